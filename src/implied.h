/* implied.h - the values of one field that a condition requires: what a
 * route keyed by Windows event id needs to know before it can pick the
 * table that holds those events ("EventID: 7045" on service: system). */
#ifndef SK_IMPLIED_H
#define SK_IMPLIED_H

#include "ast.h"

enum { SK_IMPLIED_MAX = 16 };

/* The set of values the field can take in any event the condition
 * matches, when the condition pins it down: every way to match goes
 * through an equality test of that field with a plain value (a number or
 * a string without wildcards). */
typedef struct sk_implied {
  bool known; /* false: some match leaves the field free (or too many values) */
  uint32_t n;
  sk_str v[SK_IMPLIED_MAX];
} sk_implied;

/* The values conds[0] or ... or conds[n-1] requires of field. */
sk_implied sk_implied_values(sk_node *const *conds, uint32_t n, sk_str field);

/* Is every value of s one of the space-separated words of list? A set
 * not known, or empty (a condition no event can match), is never in. */
bool sk_implied_within(const sk_implied *s, const char *list);

#endif
