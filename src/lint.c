/* lint.c - warnings of 'sigmakql check' about rules that convert but are
 * probably wrong. Works on the rule as built (conditions before
 * resolution, detection trees before mapping); reports, never changes. */
#include "lint.h"

#include <string.h>

static bool is_filter_name(sk_str s) { return sk_str_has_prefix_i(s, "filter"); }

/* Walks a condition before resolution; negated is the parity of 'not's
 * above n. */
static void lint_cond(sk_pass *p, const sk_node *n, bool negated) {
  switch (n->kind) {
  case SK_N_AND:
  case SK_N_OR:
    for (uint32_t i = 0; i < n->n; i++)
      lint_cond(p, n->kids[i], negated);
    return;
  case SK_N_NOT:
    lint_cond(p, n->kids[0], !negated);
    return;
  case SK_N_REF:
    if (!negated && is_filter_name(n->as.ref)) {
      sk_diag_warning(p->diags, n->loc,
                      "detection '%.*s' is used without 'not': it narrows the rule instead "
                      "of excluding events",
                      (int)n->as.ref.len, n->as.ref.ptr);
      sk_diag_note(p->diags, n->loc, "write 'not %.*s', or rename it if it selects events",
                   (int)n->as.ref.len, n->as.ref.ptr);
    }
    return;
  case SK_N_OF:
    if (n->as.of.all && sk_str_eqc(n->as.of.pattern, "them")) {
      sk_diag_warning(p->diags, n->loc,
                      "'all of them' needs every detection to match, including any added later; "
                      "name the detections");
    } else if (!negated && is_filter_name(n->as.of.pattern)) {
      sk_diag_warning(p->diags, n->loc,
                      "'%.*s' is used without 'not': the filters narrow the rule instead of "
                      "excluding events",
                      (int)n->as.of.pattern.len, n->as.of.pattern.ptr);
    }
    return;
  case SK_N_MATCH:
  case SK_N_TRUE:
  case SK_N_FALSE:
    return;
  }
}

static bool has_regex_syntax(sk_str s) {
  for (size_t i = 0; i < s.len; i++)
    if (strchr(".^$*+?()[]{}|\\", s.ptr[i]))
      return true;
  return false;
}

/* Walks a detection tree for 're' values; last is the position of the
 * last warning, so a subtree shared twice warns once. */
static void lint_re(sk_pass *p, const sk_node *n, sk_loc *last) {
  switch (n->kind) {
  case SK_N_AND:
  case SK_N_OR:
  case SK_N_NOT:
    for (uint32_t i = 0; i < n->n; i++)
      lint_re(p, n->kids[i], last);
    return;
  case SK_N_MATCH: {
    const sk_match *m = n->as.match;
    if (m->op != SK_MOP_RE)
      return;
    sk_loc at = m->value_loc.src ? m->value_loc : n->loc;
    if (at.line == last->line && at.col == last->col)
      return;
    sk_str v = m->value;
    if (!has_regex_syntax(v)) {
      sk_diag_warning(p->diags, at,
                      "regular expression '%.*s' has no special character; 'contains' "
                      "says the same, faster",
                      (int)v.len, v.ptr);
      *last = at;
    } else if ((v.len >= 2 && v.ptr[0] == '.' && v.ptr[1] == '*') ||
               (v.len >= 2 && v.ptr[v.len - 2] == '.' && v.ptr[v.len - 1] == '*' &&
                (v.len < 3 || v.ptr[v.len - 3] != '\\'))) {
      sk_diag_warning(p->diags, at,
                      "'.*' at the start or end of a regular expression is redundant: "
                      "'matches regex' finds a match anywhere, and it slows the query");
      *last = at;
    }
    return;
  }
  case SK_N_REF:
  case SK_N_OF:
  case SK_N_TRUE:
  case SK_N_FALSE:
    return;
  }
}

void sk_lint_rule(sk_pass *p, const sk_rule *r, bool format_checks_id) {
  if (!r->id.present && !format_checks_id)
    sk_diag_warning(p->diags, r->loc,
                    "rule has no 'id'; deployments and duplicate checks need a stable one");
  for (uint32_t i = 0; i < r->nconds; i++)
    if (r->cond_raw[i])
      lint_cond(p, r->cond_raw[i], false);
  sk_loc last = {0};
  for (uint32_t i = 0; i < r->ndets; i++)
    if (r->dets[i].tree)
      lint_re(p, r->dets[i].tree, &last);
}
