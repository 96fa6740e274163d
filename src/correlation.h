/* correlation.h - Sigma correlation rules: event_count, value_count,
 * temporal, temporal_ordered, value_sum, value_avg, value_percentile (and
 * value_median, an extension). A correlation is compiled into one KQL
 * query: the referred rules' queries as `let` statements, tagged by rule,
 * unioned, summarized per group-by and time window, then filtered by the
 * condition. */
#ifndef SK_CORRELATION_H
#define SK_CORRELATION_H

#include "backend.h"
#include "pipeline.h"

/* Finds the rule (or correlation) named by ref (its id or name): the
 * document and the source it is in, loaded into the pass's arena. */
typedef bool (*sk_corr_lookup)(void *ctx, sk_pass *p, sk_str ref, const sk_source **src,
                               const sk_ynode **doc);

typedef struct sk_corr_env {
  sk_pass *p;
  const sk_backend *backend;
  const sk_pipelines *pipelines;
  sk_corr_lookup lookup;
  void *ctx;
} sk_corr_env;

/* Compiles the correlation document doc. False after reporting errors. */
bool sk_corr_compile(sk_corr_env *env, const sk_source *src, const sk_ynode *doc,
                     sk_output *out);

/* The ids or names a correlation document refers to (its `rules`), for
 * the driver's pre-scan; *generate is the `generate` flag. */
size_t sk_corr_refs(const sk_ynode *doc, sk_str *refs, size_t max, bool *generate);

#endif
