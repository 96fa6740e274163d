/* format.h - output formats: how the results of one file are written.
 * A format may look at each converted rule first (rule hook: check it
 * against the format's limits and render its analytics rules, one unit
 * each), then joins units into a document (wrap). JSON Lines, which also
 * describes failed rules, writes from the whole result instead. The
 * driver (sigmakql.c) calls the hooks; the CLI only prints. */
#ifndef SK_FORMAT_H
#define SK_FORMAT_H

#include "sigmakql.h"

#include "buf.h"
#include "rule.h"

enum { /* rule statuses as bits, for selection and the enabled policy */
  SK_ST_STABLE = 1 << 0,
  SK_ST_TEST = 1 << 1,
  SK_ST_EXPERIMENTAL = 1 << 2,
  SK_ST_DEPRECATED = 1 << 3,
  SK_ST_UNSUPPORTED = 1 << 4,
  SK_ST_NONE = 1 << 5, /* the rule has no status */
  SK_ST_ALL = (1 << 6) - 1,
};

/* What the formats take from the command line. */
typedef struct sk_fmtopts {
  const char *target, *profile;
  unsigned frequency, period; /* minutes, already checked against Sentinel's limits */
  unsigned enabled;           /* SK_ST_* whose rules are deployed enabled */
} sk_fmtopts;

/* One converted rule, as the rule hooks see it. */
typedef struct sk_fmt_rule {
  sk_pass *pass;             /* arena (for units) and diagnostics */
  const sk_rule *rule;       /* metadata with positions */
  const sk_rule_result *rr;  /* queries and table */
  const sk_fmtopts *opts;
  unsigned doc;              /* 0-based document number in the file */
  bool id_shared;            /* another document of the file has the same id */
} sk_fmt_rule;

typedef struct sk_units {
  sk_str *v; /* arena strings */
  size_t n, cap;
} sk_units;

void sk_units_add(sk_arena *a, sk_units *u, sk_str text);

typedef struct sk_format {
  const char *name; /* -f value */
  /* Renders one converted rule into units (arena). Reports problems at the
   * rule's positions; false after an error (the rule then fails). */
  bool (*rule)(const sk_fmt_rule *fr, sk_units *units);
  /* Joins units (of one rule or of a whole file) into a document. */
  void (*wrap)(sk_buf *out, const sk_str *units, size_t n);
  /* Formats without units write from the whole result (skipping skipped
   * records). */
  void (*write)(sk_buf *out, const sk_result *res, const char *path, const char *target,
                const char *profile);
} sk_format;

/* NULL for an unknown name. */
const sk_format *sk_format_find(const char *name);
/* "kql, json, arm or sentinel-yaml", for messages. */
extern const char sk_format_names[];

extern const sk_format sk_format_kql, sk_format_json, sk_format_arm, sk_format_sentinel_yaml;

/* Parses a comma list of statuses ("stable,test", "all", "none" for no
 * status) into SK_ST_* bits; false for an unknown word. */
bool sk_status_mask(const char *list, unsigned *mask);
/* The SK_ST_* bit of a status (SK_ST_NONE when absent or unknown). */
unsigned sk_status_bit(sk_str status, bool present);

#endif
