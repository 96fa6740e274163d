/* pysigma.h - shared by the compatibility profile's two halves:
 * be_pysigma.c (the reference converter's pipelines: routing, mapping,
 * value rewrites) and pysigma_render.c (its text backend). */
#ifndef SK_PYSIGMA_H
#define SK_PYSIGMA_H

#include "ast.h"

/* A detection item the reference drops leaves NONE in the tree: kept by
 * the condition, skipped when rendering. */
#define SK_PS_NONE SK_N_TRUE

/* Reads Sigma text (\*, \? and \\ escapes; bare * and ? are wildcards)
 * into a pattern with SK_WILD_* bytes, appended to b. */
void sk_ps_parse_text(sk_buf *b, sk_str text);

/* Appends the reference's rendering of tree; false when it renders to
 * nothing (every member dropped). */
bool sk_ps_render(sk_buf *out, const sk_node *tree);

#endif
