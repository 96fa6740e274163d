/* pass_cond.c - condition pass.
 * Resolves identifiers in `condition:` against the detections and expands
 * "1 of x*" / "all of them" in detection order. Detection trees are shared,
 * not copied, so the result is never larger than condition + detections:
 * nothing here expands to disjunctive normal form.
 * After this pass: no SK_N_REF or SK_N_OF remains. */
#include "cond.h"

/* Glob match where '*' matches any run of bytes. With prefix, the pattern
 * need only match a prefix of s (the reference converter's reading). */
static bool glob(sk_str pat, sk_str s, bool prefix) {
  size_t p = 0, i = 0, star = SIZE_MAX, mark = 0;
  while (i < s.len) {
    if (prefix && p == pat.len)
      return true;
    if (p < pat.len && pat.ptr[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pat.len && pat.ptr[p] == s.ptr[i]) {
      p++;
      i++;
    } else if (star != SIZE_MAX) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.len && pat.ptr[p] == '*')
    p++;
  return p == pat.len;
}

static void suggest(sk_diags *d, sk_str name, sk_detection *dets, uint32_t ndets) {
  size_t best = SIZE_MAX;
  uint32_t at = 0;
  sk_str stem = name;
  while (stem.len && stem.ptr[stem.len - 1] == '*')
    stem.len--;
  for (uint32_t i = 0; i < ndets; i++) {
    sk_str cand = dets[i].name;
    if (stem.len < name.len && cand.len > stem.len)
      cand.len = stem.len; /* compare a pattern's stem with name prefixes */
    size_t dist = sk_edit_distance(stem, cand, 2 + stem.len / 4);
    if (dist < best) {
      best = dist;
      at = i;
    }
  }
  if (best != SIZE_MAX)
    sk_diag_note(d, dets[at].loc, "did you mean '%.*s'?", (int)dets[at].name.len,
                 dets[at].name.ptr);
}

static sk_node *resolve(sk_arena *a, sk_diags *d, sk_node *n, sk_detection *dets,
                        uint32_t ndets, bool prefix) {
  switch (n->kind) {
  case SK_N_AND:
  case SK_N_OR:
  case SK_N_NOT: {
    sk_node *copy = sk_node_list(a, n->kind, n->loc, n->n);
    copy->origin = n->origin;
    bool ok = true;
    for (uint32_t i = 0; i < n->n; i++)
      ok &= (copy->kids[i] = resolve(a, d, n->kids[i], dets, ndets, prefix)) != NULL;
    return ok ? copy : NULL;
  }
  case SK_N_REF:
    for (uint32_t i = 0; i < ndets; i++)
      if (sk_str_eq(dets[i].name, n->as.ref)) {
        dets[i].used = true;
        return dets[i].tree;
      }
    sk_diag_error(d, n->loc, "unknown detection identifier '%.*s'", (int)n->as.ref.len,
                  n->as.ref.ptr);
    suggest(d, n->as.ref, dets, ndets);
    return NULL;
  case SK_N_OF: {
    bool them = sk_str_eqc(n->as.of.pattern, "them");
    uint32_t count = 0;
    for (uint32_t i = 0; i < ndets; i++)
      if (them ? !(dets[i].name.len && dets[i].name.ptr[0] == '_')
               : glob(n->as.of.pattern, dets[i].name, prefix))
        count++;
    if (count == 0) {
      if (them)
        sk_diag_error(d, n->loc, "'them' matches no detection identifier");
      else
        sk_diag_error(d, n->loc, "no detection identifier matches '%.*s'",
                      (int)n->as.of.pattern.len, n->as.of.pattern.ptr);
      if (!them)
        suggest(d, n->as.of.pattern, dets, ndets);
      return NULL;
    }
    sk_node *list = sk_node_list(a, n->as.of.all ? SK_N_AND : SK_N_OR, n->loc, count);
    list->origin = SK_O_SELECTOR;
    count = 0;
    for (uint32_t i = 0; i < ndets; i++)
      if (them ? !(dets[i].name.len && dets[i].name.ptr[0] == '_')
               : glob(n->as.of.pattern, dets[i].name, prefix)) {
        dets[i].used = true;
        list->kids[count++] = dets[i].tree;
      }
    return list;
  }
  case SK_N_MATCH:
  case SK_N_TRUE:
  case SK_N_FALSE:
    return n;
  }
  return n;
}

sk_node *sk_cond_resolve(sk_arena *a, sk_diags *d, sk_node *cond, sk_detection *dets,
                         uint32_t ndets, bool prefix) {
  return resolve(a, d, cond, dets, ndets, prefix);
}
