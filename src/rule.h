/* rule.h - a Sigma rule as the passes see it.
 * Built from one YAML document by rule.c (metadata, logsource) and
 * pass_mod.c (detections); lives in the rule arena. */
#ifndef SK_RULE_H
#define SK_RULE_H

#include "cond.h"
#include "yaml.h"

typedef struct sk_placeholder {
  const char *name;      /* without the % signs */
  const char **values;   /* NULL-terminated */
  const char *watchlist; /* or: a Sentinel watchlist alias to look values up in */
} sk_placeholder;

/* What the passes need from the command line. */
typedef struct sk_passopts {
  const sk_placeholder *placeholders;
  size_t nplaceholders;
} sk_passopts;

typedef struct sk_field {
  sk_str str;
  sk_loc loc;
  bool present;
} sk_field;

typedef struct sk_rule {
  const sk_source *src;
  const sk_ynode *doc;
  sk_loc loc;      /* start of the document */
  sk_field title, id, name, status, level, description, author, date, modified, license;
  sk_field category, product, service;
  sk_str query_table; /* set by a pipeline's set_state: the table to read */
  sk_loc logsource_loc;
  sk_str *tags;
  uint32_t ntags;
  sk_detection *dets;
  uint32_t ndets;
  sk_node **conds;    /* resolved conditions; a condition list gives several */
  sk_node **cond_raw; /* the same before resolution, for re-resolving */
  uint32_t nconds;
  sk_loc cond_loc; /* the condition value */
} sk_rule;

typedef struct sk_pass {
  sk_arena *arena;
  sk_diags *diags;
  const sk_passopts *opts;
} sk_pass;

/* Turns the YAML documents of one file into rule documents, applying the
 * legacy action: global/reset/repeat collections. Returns the number of
 * rule documents written to out (arena-allocated array). */
size_t sk_rule_collect(sk_pass *p, const sk_ydocs *docs, const sk_ynode ***out);

/* Checks the top-level fields and builds the rule. False after errors. */
bool sk_rule_build(sk_pass *p, const sk_source *src, const sk_ynode *doc, sk_rule *r);

/* pass_mod.c: builds the tree of one search identifier's value. */
sk_node *sk_mod_detection(sk_pass *p, const sk_ynode *key, const sk_ynode *value);

#endif
