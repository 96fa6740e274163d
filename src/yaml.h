/* yaml.h - a small YAML tree built from libyaml's parser events.
 * Every node keeps its position. Strings are copied into the rule arena.
 * Aliases share the anchored node (no copying); their expanded size is
 * bounded. Duplicate keys, merge keys, NUL bytes and invalid UTF-8 are
 * errors. */
#ifndef SK_YAML_H
#define SK_YAML_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

typedef enum sk_ykind {
  SK_Y_SCALAR, /* str holds the value */
  SK_Y_SEQ,    /* kids[0..n) */
  SK_Y_MAP,    /* kids[2i] is a key scalar, kids[2i+1] its value */
} sk_ykind;

typedef enum sk_ystyle {
  SK_YS_PLAIN,  /* may be null, bool, number by YAML 1.1 resolution */
  SK_YS_QUOTED, /* single- or double-quoted: always a string */
  SK_YS_BLOCK,  /* literal | or folded >: always a string */
} sk_ystyle;

typedef struct sk_ynode sk_ynode;
struct sk_ynode {
  sk_ykind kind;
  sk_ystyle style;
  bool str_tag;    /* explicit !!str tag: a string whatever it looks like */
  sk_loc loc;      /* start of the node; len spans a one-line scalar */
  uint32_t offset; /* column offset of the value's first byte for plain and
                      simple quoted scalars, for positions inside the value;
                      UINT32_MAX when unknown */
  sk_str str;
  sk_ynode **kids;
  uint32_t n;
};

typedef struct sk_ydocs {
  sk_ynode **docs;
  size_t n;
} sk_ydocs;

/* Parses every document of src. On failure reports a diagnostic and returns
 * false; documents before the failure are still in out. */
bool sk_yaml_load(sk_arena *a, sk_diags *d, const sk_source *src, sk_ydocs *out);

/* The key node of key in a map node; NULL if absent. */
sk_ynode *sk_ymap_key(const sk_ynode *map, const char *key);

/* Looks up key in a map node; NULL if absent. */
sk_ynode *sk_ymap_get(const sk_ynode *map, const char *key);

/* The YAML 1.1 null test used by PyYAML: plain "", "~", "null" (any case form
 * PyYAML accepts). */
bool sk_yaml_is_null(const sk_ynode *n);

#endif
