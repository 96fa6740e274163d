/* backend.h - targets and profiles behind one interface.
 * A backend turns a built rule into one or more KQL queries for one target
 * (asim, ...) in one profile (default: correct on real data; pysigma: the
 * reference converter's tables and rendering, for diffing). */
#ifndef SK_BACKEND_H
#define SK_BACKEND_H

#include "rule.h"

typedef struct sk_output {
  sk_str *queries; /* arena strings */
  uint32_t n, cap;
  const char *table;  /* the table or parser the queries read */
  const char *family; /* what kind of table: "ASIM parser", ... */
} sk_output;

/* A rule compiled for use inside a larger query (correlations): where it
 * reads from, and how its fields map there. */
typedef struct sk_parts {
  const char *head;   /* table or function */
  const char *filter; /* route filter, "" for none */
  const char *where;  /* the rule's predicate */
  const char *family;
  void *mapper; /* backend state for map_field */
  /* The KQL column or expression of a Sigma field in this rule's table;
   * NULL after reporting an error at loc (unknown or absent field). */
  const char *(*map_field)(void *mapper, sk_str field, sk_loc loc);
} sk_parts;

typedef struct sk_backend {
  const char *target;  /* -t value */
  const char *profile; /* --profile value */
  const char *summary; /* one line for --help and 'list targets' */
  /* Appends the rule's queries to out; false after reporting errors. */
  bool (*compile)(sk_pass *p, const sk_rule *r, sk_output *out);
  /* As compile, for a rule a correlation refers to; NULL when the backend
   * does not support correlations. */
  bool (*parts)(sk_pass *p, const sk_rule *r, sk_parts *out);
} sk_backend;

extern const sk_backend sk_backend_asim;
extern const sk_backend sk_backend_xdr;
extern const sk_backend sk_backend_monitor;
extern const sk_backend sk_backend_asim_pysigma;
extern const sk_backend sk_backend_xdr_pysigma;
extern const sk_backend sk_backend_monitor_pysigma;

/* NULL if no backend has that target and profile. */
const sk_backend *sk_backend_find(const char *target, const char *profile);
/* The registry, NULL-terminated. */
extern const sk_backend *const sk_backends[];

/* Checks the default profile's data: every column a route filter or a
 * field mapping names exists in its source's table. Appends one line per
 * problem to report. */
bool sk_default_check(sk_buf *report);

/* Appends a listing of the default profile's data for target: "tables",
 * "logsources", or "fields" of table (a source's head). False if table is
 * not a table of the target. */
bool sk_default_list(sk_buf *out, const char *what, const char *target, const char *table);

void sk_output_add(sk_arena *a, sk_output *out, const char *text, size_t len);

#endif
