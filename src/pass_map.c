/* pass_map.c - see pass_map.h. */
#include "pass_map.h"

#include <stdint.h>

sk_node *sk_match_copy(sk_arena *a, const sk_node *m) {
  sk_node *n = sk_node_new(a, SK_N_MATCH, m->loc);
  n->as.match = SK_NEW(a, sk_match);
  *n->as.match = *m->as.match;
  return n;
}

/* Does pattern p (SK_WILD_* bytes for '*' and '?') match all of s? The
 * last star is retried one byte further on each mismatch. */
static bool wild_match(sk_str p, sk_str s, bool cased) {
  size_t i = 0, j = 0, star = SIZE_MAX, from = 0;
  while (j < s.len) {
    if (i < p.len && p.ptr[i] == SK_WILD_STAR) {
      star = i++;
      from = j;
    } else if (i < p.len && (p.ptr[i] == SK_WILD_ONE ||
                             (cased ? p.ptr[i] == s.ptr[j]
                                    : sk_lower((unsigned char)p.ptr[i]) ==
                                          sk_lower((unsigned char)s.ptr[j])))) {
      i++, j++;
    } else if (star != SIZE_MAX) {
      i = star + 1;
      j = ++from;
    } else {
      return false;
    }
  }
  while (i < p.len && p.ptr[i] == SK_WILD_STAR)
    i++;
  return i == p.len;
}

/* A decimal integer without leading zeros, for comparing numbers as text. */
static sk_str digits(sk_str s) {
  for (size_t i = 0; i < s.len; i++)
    if (!sk_is_digit((unsigned char)s.ptr[i]))
      return (sk_str){NULL, 0};
  while (s.len > 1 && s.ptr[0] == '0')
    s.ptr++, s.len--;
  return s;
}

int sk_match_const(const sk_match *m, sk_str v) {
  switch (m->op) {
  case SK_MOP_STR:
    return wild_match(m->value, v, m->flags & SK_MF_CASED);
  case SK_MOP_NUM: {
    sk_str a = digits(m->value), b = digits(v);
    return a.ptr && b.ptr ? sk_str_eq(a, b) : -1;
  }
  case SK_MOP_NULL:
    return v.len == 0;
  case SK_MOP_EXISTS:
    return m->bval;
  default:
    return -1;
  }
}

sk_node *sk_map_tree(sk_arena *a, sk_node *tree, sk_map_fn fn, void *ctx) {
  switch (tree->kind) {
  case SK_N_MATCH:
    return fn(ctx, tree);
  case SK_N_AND:
  case SK_N_OR:
  case SK_N_NOT: {
    sk_node *copy = sk_node_list(a, tree->kind, tree->loc, tree->n);
    copy->origin = tree->origin;
    bool ok = true;
    for (uint32_t i = 0; i < tree->n; i++)
      ok &= (copy->kids[i] = sk_map_tree(a, tree->kids[i], fn, ctx)) != NULL;
    return ok ? copy : NULL;
  }
  case SK_N_TRUE:
  case SK_N_FALSE:
  case SK_N_REF:
  case SK_N_OF:
    return tree;
  }
  return tree;
}

sk_node *sk_fold(sk_arena *a, sk_node *n) {
  switch (n->kind) {
  case SK_N_NOT: {
    sk_node *k = sk_fold(a, n->kids[0]);
    if (k->kind == SK_N_TRUE || k->kind == SK_N_FALSE)
      return sk_node_new(a, k->kind == SK_N_TRUE ? SK_N_FALSE : SK_N_TRUE, n->loc);
    if (k->kind == SK_N_NOT) /* not(not(x)) is x */
      return k->kids[0];
    sk_node *copy = sk_node_not(a, k);
    copy->loc = n->loc;
    return copy;
  }
  case SK_N_AND:
  case SK_N_OR: {
    sk_node_kind absorbing = n->kind == SK_N_AND ? SK_N_FALSE : SK_N_TRUE;
    sk_node **kids = sk_arena_array(a, n->n ? n->n : 1, sizeof *kids);
    uint32_t cnt = 0, cap = n->n ? n->n : 1;
    for (uint32_t i = 0; i < n->n; i++) {
      sk_node *k = sk_fold(a, n->kids[i]);
      if (k->kind == absorbing)
        return sk_node_new(a, absorbing, n->loc);
      if (k->kind == SK_N_TRUE || k->kind == SK_N_FALSE)
        continue; /* the neutral constant */
      uint32_t add = k->kind == n->kind ? k->n : 1;
      if (cnt + add > cap) {
        cap = (cnt + add) * 2;
        sk_node **w = sk_arena_array(a, cap, sizeof *w);
        memcpy(w, kids, cnt * sizeof *w);
        kids = w;
      }
      if (k->kind == n->kind) /* flatten (a and (b and c)) */
        for (uint32_t j = 0; j < k->n; j++)
          kids[cnt++] = k->kids[j];
      else
        kids[cnt++] = k;
    }
    if (cnt == 0)
      return sk_node_new(a, n->kind == SK_N_AND ? SK_N_TRUE : SK_N_FALSE, n->loc);
    if (cnt == 1)
      return kids[0];
    sk_node *copy = sk_node_new(a, n->kind, n->loc);
    copy->kids = kids;
    copy->n = cnt;
    return copy;
  }
  case SK_N_MATCH:
  case SK_N_TRUE:
  case SK_N_FALSE:
  case SK_N_REF:
  case SK_N_OF:
    return n;
  }
  return n;
}
