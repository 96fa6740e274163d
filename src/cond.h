/* cond.h - the condition language: parser (cond_parse.c) and resolution
 * against detection identifiers (pass_cond.c). Grammar in
 * grammar/condition.ebnf. */
#ifndef SK_COND_H
#define SK_COND_H

#include "ast.h"
#include "yaml.h"

enum { SK_COND_MAX_DEPTH = 256 };
/* Size of one condition written out (sk_node_size), in MiB. Sharing
 * keeps the tree small, but a detection named many times is written out
 * each time; the corpus's largest query is about 150 KB. */
enum { SK_COND_MAX_MIB = 16 };

/* Parses the condition scalar into a tree of AND/OR/NOT/REF/OF nodes in
 * arena a. Returns NULL after reporting an error. */
sk_node *sk_cond_parse(sk_arena *a, sk_diags *d, const sk_ynode *scalar);

/* Parses condition text with no YAML around it (tests, fuzzing); positions
 * are reported against src, line 1. */
sk_node *sk_cond_parse_text(sk_arena *a, sk_diags *d, const sk_source *src);

/* Location of bytes [off, off+len) of a scalar's value. */
sk_loc sk_scalar_loc(const sk_ynode *scalar, size_t off, size_t len);

typedef struct sk_detection {
  sk_str name;
  sk_loc loc;    /* the identifier key */
  sk_node *tree; /* AND/OR/NOT/MATCH */
  bool used;     /* referenced by some condition */
} sk_detection;

/* Replaces REF and OF nodes by the detections' trees. Patterns match whole
 * names, or only a prefix with prefix set. Returns NULL after reporting
 * errors (unknown identifier, pattern matching nothing). */
sk_node *sk_cond_resolve(sk_arena *a, sk_diags *d, sk_node *cond, sk_detection *dets,
                         uint32_t ndets, bool prefix);

#endif
