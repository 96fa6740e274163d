/* fuzz_rule.c - libFuzzer target for the whole pipeline: rule bytes ->
 * YAML -> rule -> backend -> format, through the public API.
 * The first byte picks one of 12 contexts: target (asim, xdr, monitor) x
 * profile (default, pysigma) x format (kql, json); the rest is the file.
 * Besides the sanitizers, it aborts when the result breaks a promise of
 * the API: a failed rule without an error, an exit status that disagrees
 * with the counts, output that is not UTF-8, a query with a raw control
 * character, a string literal that does not decode, or (default profile)
 * a 'matches regex' literal that RE2 rejects. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_kql.h"
#include "re2_check.h"
#include "sigmakql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const targets[] = {"asim", "xdr", "monitor"};
static const char *const profiles[] = {"default", "pysigma"};
static const char *const formats[] = {"kql", "json"};
enum { NCTX = 12 };

static _Noreturn void fail(const char *why, const char *query, const sk_result *res) {
  fprintf(stderr, "fuzz_rule: %s\n", why);
  if (query)
    fprintf(stderr, "query:\n%s\n", query);
  fprintf(stderr, "diagnostics:\n%s", res->diagnostics ? res->diagnostics : "");
  abort();
}

/* Every string literal of the query decodes (so no value ended its
 * literal early). In the default profile (strict) no invisible character
 * is left raw, and every 'matches regex' literal is accepted by RE2 (the
 * check in pass_mod.c, and the regexes the renderer builds from
 * wildcards); the pysigma profile reproduces the reference converter's
 * literals and regexes as they are. */
static void check_literals(const char *q, const sk_result *res, bool strict) {
  static const char op[] = " matches regex ";
  size_t len = strlen(q), oplen = sizeof op - 1;
  for (size_t i = 0; i < len;) {
    if (q[i] != '"' && q[i] != '\'' && !(q[i] == '@' && i + 1 < len && q[i + 1] == '"')) {
      i++;
      continue;
    }
    bool regex = i >= oplen && memcmp(q + i - oplen, op, oplen) == 0;
    sk_buf lit = SK_BUF_INIT;
    if (!fk_decode_literal(q, len, &i, &lit, strict))
      fail("malformed string literal", q, res);
    char *err = NULL;
    if (strict && regex && !sk_re2_check(lit.ptr ? lit.ptr : "", lit.len, &err)) {
      fprintf(stderr, "fuzz_rule: RE2: %s\n", err);
      fail("query has a regex RE2 rejects", q, res);
    }
    sk_buf_free(&lit);
  }
}

/* Checks the promises of the API on one result (of a file or of the
 * correlations at the end); frees it. */
static void check_result(int rc, sk_result *res, bool strict) {
  if (rc != (res->failed ? 1 : 0))
    fail("exit status disagrees with the failed count", NULL, res);
  if (res->failed && !res->errors)
    fail("a rule failed without an error", NULL, res);
  if (res->errors && !(res->diagnostics && *res->diagnostics))
    fail("errors counted but no diagnostics", NULL, res);
  if (!fk_valid_utf8((const uint8_t *)res->output, res->output_len))
    fail("output is not UTF-8", NULL, res);
  /* Diagnostics quote user text; it reaches a terminal or a CI log
   * escaped (diag.c), never as raw control bytes or invalid UTF-8. */
  const char *dg = res->diagnostics ? res->diagnostics : "";
  if (!fk_valid_utf8((const uint8_t *)dg, strlen(dg)))
    fail("diagnostics are not UTF-8", NULL, res);
  for (const char *c = dg; *c; c++)
    if (((unsigned char)*c < 0x20 && *c != '\n' && *c != '\t') || *c == 0x7F)
      fail("raw control character in the diagnostics", NULL, res);
  for (size_t r = 0; r < res->nrules; r++) {
    const sk_rule_result *rr = &res->rules_v[r];
    if (!rr->ok && rr->nqueries)
      fail("a failed rule has queries", rr->queries[0], res);
    for (size_t k = 0; k < rr->nqueries; k++) {
      const char *q = rr->queries[k];
      for (const char *c = q; *c; c++)
        if ((unsigned char)*c < 0x20 && *c != '\n')
          fail("raw control character in a query", q, res);
      check_literals(q, res, strict);
    }
  }
  sk_result_free(res);
}

/* A fresh context per input: a context remembers files for correlations
 * and filters, so reusing one would make a finding depend on the inputs
 * before it (and memory grow with the run). sk_ctx_new costs well under
 * a microsecond. sk_finish then compiles the correlations of the file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const placeholders[] = {"p=a,b", "domain=%x%,*y"};
  if (size < 1)
    return 0;
  unsigned sel = data[0] % NCTX;
  unsigned target = sel % 3, profile = (sel / 3) % 2, format = sel / 6;
  sk_options o = {.target = targets[target], .profile = profiles[profile],
                  .format = formats[format], .placeholders = placeholders,
                  .nplaceholders = 2};
  char *err = NULL;
  sk_ctx *ctx = sk_ctx_new(&o, &err);
  if (!ctx) {
    fprintf(stderr, "fuzz_rule: sk_ctx_new: %s\n", err);
    abort();
  }
  sk_result res;
  int rc = sk_compile_mem(ctx, "fuzz.yml", (const char *)data + 1, size - 1, &res);
  check_result(rc, &res, profile == 0);
  rc = sk_finish(ctx, &res);
  check_result(rc, &res, profile == 0);
  sk_ctx_free(ctx);
  return 0;
}
