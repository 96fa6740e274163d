/* pass_map.h - the mapping pass: rebuilds a detection tree with each MATCH
 * replaced by what a target's field mapping makes of it, then folds the
 * constants that unmappable tests leave behind. */
#ifndef SK_PASS_MAP_H
#define SK_PASS_MAP_H

#include "rule.h"

/* Maps one MATCH node: returns a new MATCH (column set), an OR of them
 * (several alternative columns), SK_N_FALSE (no such column in this
 * table), or NULL after reporting an error. */
typedef sk_node *(*sk_map_fn)(void *ctx, sk_node *match);

/* Copies tree with every MATCH mapped by fn. NULL if any mapping failed. */
sk_node *sk_map_tree(sk_arena *a, sk_node *tree, sk_map_fn fn, void *ctx);

/* Folds TRUE/FALSE through AND/OR/NOT and flattens nested lists of the
 * same kind and one-element lists. The result is TRUE, FALSE, or a tree
 * with no constants. */
sk_node *sk_fold(sk_arena *a, sk_node *n);

/* The outcome of test m on a field whose value is the constant text v in
 * every event of a table (a route's filter guarantees it: the event id of
 * the one event a table holds): 1 true, 0 false, -1 when only the query
 * can tell (regular expressions, networks, comparisons, ...). */
int sk_match_const(const sk_match *m, sk_str v);

/* A MATCH node copying m, to be given a column. */
sk_node *sk_match_copy(sk_arena *a, const sk_node *m);

#endif
