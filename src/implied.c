/* implied.c - see implied.h. */
#include "implied.h"

static bool has(const sk_implied *s, sk_str v) {
  for (uint32_t i = 0; i < s->n; i++)
    if (sk_str_eq(s->v[i], v))
      return true;
  return false;
}

/* A plain value: a number, or a string with no wildcard. Cased or not
 * does not matter for the digits of an event id. */
static bool plain_equality(const sk_match *m) {
  if (m->op == SK_MOP_NUM)
    return !m->is_float;
  return m->op == SK_MOP_STR && m->value.len && !memchr(m->value.ptr, SK_WILD_STAR, m->value.len) &&
         !memchr(m->value.ptr, SK_WILD_ONE, m->value.len);
}

static sk_implied unknown(void) { return (sk_implied){.known = false}; }

static sk_implied walk(const sk_node *n, sk_str field) {
  switch (n->kind) {
  case SK_N_MATCH: {
    const sk_match *m = n->as.match;
    if (!sk_str_eq(m->field, field) || !plain_equality(m))
      return unknown();
    return (sk_implied){.known = true, .n = 1, .v = {m->value}};
  }
  case SK_N_FALSE: /* matches nothing: requires anything */
    return (sk_implied){.known = true};
  case SK_N_AND: { /* each kid that pins the field narrows the set */
    sk_implied acc = unknown();
    for (uint32_t i = 0; i < n->n; i++) {
      sk_implied k = walk(n->kids[i], field);
      if (!k.known)
        continue;
      if (!acc.known) {
        acc = k;
        continue;
      }
      uint32_t keep = 0;
      for (uint32_t j = 0; j < acc.n; j++)
        if (has(&k, acc.v[j]))
          acc.v[keep++] = acc.v[j];
      acc.n = keep;
    }
    return acc;
  }
  case SK_N_OR: { /* every way to match must pin it */
    sk_implied acc = {.known = true};
    for (uint32_t i = 0; i < n->n; i++) {
      sk_implied k = walk(n->kids[i], field);
      if (!k.known)
        return unknown();
      for (uint32_t j = 0; j < k.n; j++) {
        if (has(&acc, k.v[j]))
          continue;
        if (acc.n == SK_IMPLIED_MAX)
          return unknown();
        acc.v[acc.n++] = k.v[j];
      }
    }
    return acc;
  }
  case SK_N_NOT: /* "not EventID: 4624" leaves every other id open */
  case SK_N_TRUE:
  case SK_N_REF:
  case SK_N_OF:
    return unknown();
  }
  return unknown();
}

sk_implied sk_implied_values(sk_node *const *conds, uint32_t n, sk_str field) {
  if (!n)
    return unknown();
  sk_node or = {.kind = SK_N_OR, .kids = (sk_node **)conds, .n = n};
  return walk(&or, field);
}

bool sk_implied_within(const sk_implied *s, const char *list) {
  if (!s->known || !s->n)
    return false;
  for (uint32_t i = 0; i < s->n; i++) {
    bool found = false;
    for (const char *p = list; *p && !found;) {
      while (*p == ' ')
        p++;
      size_t len = strcspn(p, " ");
      found = len && sk_str_eq(s->v[i], (sk_str){p, len});
      p += len;
    }
    if (!found)
      return false;
  }
  return true;
}
