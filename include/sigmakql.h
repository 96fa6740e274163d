/* sigmakql.h - compile Sigma detection rules into KQL.
 *
 * A context holds the options and the memory reused from rule to rule.
 * Each call compiles every rule document of one file (or buffer) and
 * returns the queries and the rendered diagnostics; one bad rule never
 * stops the others. Nothing here prints. */
#ifndef SIGMAKQL_H
#define SIGMAKQL_H

#include <stddef.h>

#if defined(__GNUC__)
#define SK_API __attribute__((visibility("default")))
#else
#define SK_API
#endif

#define SK_VERSION "0.1.0"

typedef struct sk_ctx sk_ctx;

typedef struct sk_options {
  const char *target;  /* "asim" (default when NULL) */
  const char *profile; /* "default" or "pysigma" (default when NULL) */
  const char *format;  /* "kql" (default when NULL), "json", "arm" or
                          "sentinel-yaml" */
  /* Processing pipelines (pySigma YAML format), applied before the
   * target's own mapping. */
  const char *const *pipelines;
  size_t npipelines;
  /* Sigma filter files (meta filters), applied to the rules they name. */
  const char *const *filters;
  size_t nfilters;
  /* Placeholder values for the expand modifier, each "NAME=v1,v2,...";
   * a YAML file of NAME: [values]; and placeholders looked up in Sentinel
   * watchlists, each "NAME=ALIAS" (these win). */
  const char *const *placeholders;
  size_t nplaceholders;
  const char *placeholders_file;
  const char *const *watchlists;
  size_t nwatchlists;
  /* Sentinel analytics rules (formats arm and sentinel-yaml): how often the
   * query runs and how far back it looks, ISO 8601 ("PT1H", "P1D") or short
   * ("5m", "1h", "2d"); NULL means 1 hour each. */
  const char *frequency, *period;
  /* Statuses whose rules are deployed enabled, a comma list of stable, test,
   * experimental, deprecated, unsupported, "none" (no status) or "all";
   * NULL means "stable,test". */
  const char *enabled;
  /* Rule selection: a rule not selected is skipped (a record with
   * skipped = 1, no diagnostics, no output). statuses: a comma list as in
   * enabled (NULL: any); min_level: informational, low, medium, high or
   * critical (NULL: any); tags: the rule needs one of them (ASCII case
   * ignored; a trailing '*' matches any suffix). Deprecated and unsupported
   * rules are skipped unless include_deprecated is set or statuses names
   * them. */
  const char *statuses, *min_level;
  const char *const *tags;
  size_t ntags;
  int include_deprecated;
  /* Also run the checks of 'sigmakql check' (lint.c): 'all of them',
   * filters used without 'not', regular expressions, Sentinel's query
   * length limit. */
  int lint;
} sk_options;

typedef enum sk_severity_level { SK_ERROR, SK_WARNING, SK_NOTE } sk_severity_level;

/* One diagnostic. line and column are 1-based; 0 when the message is
 * about the whole file. */
typedef struct sk_message {
  sk_severity_level severity;
  char *file;
  unsigned line, column;
  char *message;
} sk_message;

/* What became of one rule document. A file that cannot be read or parsed
 * is one record with ok == 0. Strings are NULL when the rule lacks them. */
typedef struct sk_rule_result {
  unsigned index; /* 0-based document number in the file */
  char *id, *title, *level, *status;
  char *table;    /* the table or parser the queries read */
  char *family;   /* its kind: "ASIM parser", "Sentinel native table", ... */
  char **queries;
  size_t nqueries;
  sk_message *messages; /* errors, warnings and notes, in report order */
  size_t nmessages;
  int ok;
  int skipped;    /* not selected (see sk_options): not compiled, no output */
  /* More metadata of the rule (NULL or empty when absent). */
  char *description, *author, *date, *modified;
  char **tags, **references, **falsepositives;
  size_t ntags, nreferences, nfalsepositives;
  unsigned id_line, id_column; /* where the id is written; 0 if none */
  /* The rule's output in the context's format, one self-contained document
   * per analytics rule: kql a query, json the rule's line, arm a template,
   * sentinel-yaml a YAML document. None for a failed or skipped rule. */
  char **outputs;
  size_t noutputs;
} sk_rule_result;

typedef struct sk_result {
  char *output;      /* the file's converted rules in the context's format (json:
                        every rule that was not skipped); "" if none */
  size_t output_len;
  char *diagnostics; /* rendered "file:line:col: severity: message" text */
  sk_rule_result *rules_v; /* per rule, in document order */
  size_t nrules;
  unsigned rules;     /* rule documents seen */
  unsigned failed;    /* rules that did not convert (or the file, if unreadable) */
  unsigned skipped;   /* rule documents not selected */
  unsigned errors, warnings;
} sk_result;

/* Returns a context, or NULL with a malloc'd message in *error for bad
 * options (unknown target, profile or format, malformed placeholder). */
SK_API sk_ctx *sk_ctx_new(const sk_options *opts, char **error);
SK_API void sk_ctx_free(sk_ctx *ctx);

/* The largest input file, in bytes; a larger one fails as a whole. The
 * corpus's largest file is 295 KB. */
#define SK_MAX_INPUT (64 << 20)

/* Compiles the rules in data[0..len). path is used in diagnostics only.
 * Returns 0 when every rule converted, 1 otherwise. The result must be
 * released with sk_result_free. */
SK_API int sk_compile_mem(sk_ctx *ctx, const char *path, const char *data, size_t len,
                          sk_result *out);
/* As sk_compile_mem for each of n contexts (targets, profiles, formats),
 * parsing the YAML once: outs[i] is the result for ctxs[i]. Returns the
 * largest of their statuses. */
SK_API int sk_compile_multi(sk_ctx *const *ctxs, size_t n, const char *path, const char *data,
                            size_t len, sk_result *outs);
/* As sk_compile_mem for a file; returns 2 if it cannot be read (the reason
 * is in out->diagnostics). */
SK_API int sk_compile_file(sk_ctx *ctx, const char *path, sk_result *out);
SK_API void sk_result_free(sk_result *res);

/* Correlation rules may refer to rules in any file of a run. Before
 * compiling, hand every file to sk_prescan (cheap: it only parses files
 * that mention "correlation"); after the last file, sk_finish compiles the
 * correlations seen and returns them like a file's results (0 when all
 * converted, 1 otherwise). A rule a correlation refers to is written only
 * with the correlation, unless that one says generate: true. The pre-scan
 * also reads filter documents, which apply to rules in any input. */
SK_API void sk_prescan(sk_ctx *ctx, const char *path, const char *data, size_t len);
SK_API int sk_finish(sk_ctx *ctx, sk_result *out);

/* What a target offers, as text (tab-separated lines, malloc'd into *out):
 * what is "targets", "tables", "logsources" or "fields" (of table). Returns
 * 0, or 2 with a message in *out for an unknown target or table. */
SK_API int sk_list(const char *what, const char *target, const char *table, char **out);

SK_API const char *sk_version(void);

/* For a program that compiles many files in one process (the command line,
 * the benchmark): asks the C library to keep freed heap memory for reuse
 * instead of handing the top of the heap back to the system after each
 * file, which made every file fault it in again (about 5% of the corpus's
 * time). Process-wide, so the library never does it by itself; a no-op
 * where the C library has no such setting. */
SK_API void sk_malloc_for_batches(void);

#endif
