/* sigmakql.c - the driver: load -> rule -> backend for each document of a
 * file, with the rule arena reset between files. The only file that knows
 * the order of the phases. */
#include "sigmakql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

struct sk_ctx {
  const sk_backend *backend;
  sk_arena perm;  /* options, for the life of the context */
  sk_arena arena; /* one file's rules; reset per call */
  sk_placeholder *placeholders;
  sk_passopts passopts;
};

static char *fmt_error(const char *fmt, const char *arg) {
  size_t n = strlen(fmt) + strlen(arg) + 1;
  char *p = sk_xmalloc(n);
  snprintf(p, n, fmt, arg);
  return p;
}

/* "NAME=v1,v2" -> placeholder NAME with values v1, v2 */
static bool parse_placeholder(sk_arena *a, const char *spec, sk_placeholder *ph) {
  const char *eq = strchr(spec, '=');
  if (!eq || eq == spec)
    return false;
  ph->name = sk_arena_strndup(a, spec, (size_t)(eq - spec));
  size_t n = 1;
  for (const char *c = eq + 1; *c; c++)
    n += *c == ',';
  const char **v = sk_arena_array(a, n + 1, sizeof *v);
  size_t i = 0;
  const char *start = eq + 1;
  for (const char *c = start;; c++)
    if (*c == ',' || !*c) {
      v[i++] = sk_arena_strndup(a, start, (size_t)(c - start));
      if (!*c)
        break;
      start = c + 1;
    }
  v[i] = NULL;
  ph->values = v;
  return true;
}

sk_ctx *sk_ctx_new(const sk_options *opts, char **error) {
  const char *target = opts && opts->target ? opts->target : "asim";
  const char *profile = opts && opts->profile ? opts->profile : "default";
  const sk_backend *b = sk_backend_find(target, profile);
  if (!b) {
    bool known = false;
    for (const sk_backend *const *k = sk_backends; *k; k++)
      known |= strcmp((*k)->target, target) == 0;
    if (error)
      *error = known ? fmt_error("unknown profile '%s' (expected default or pysigma)", profile)
                     : fmt_error("unknown target '%s' (try 'asim')", target);
    return NULL;
  }
  sk_ctx *ctx = sk_xmalloc(sizeof *ctx);
  memset(ctx, 0, sizeof *ctx);
  ctx->backend = b;
  if (opts && opts->nplaceholders) {
    ctx->placeholders = sk_arena_array(&ctx->perm, opts->nplaceholders, sizeof *ctx->placeholders);
    for (size_t i = 0; i < opts->nplaceholders; i++)
      if (!parse_placeholder(&ctx->perm, opts->placeholders[i], &ctx->placeholders[i])) {
        if (error)
          *error = fmt_error("malformed placeholder '%s' (expected NAME=VALUE[,VALUE...])",
                             opts->placeholders[i]);
        sk_ctx_free(ctx);
        return NULL;
      }
    ctx->passopts.placeholders = ctx->placeholders;
    ctx->passopts.nplaceholders = opts->nplaceholders;
  }
  return ctx;
}

void sk_ctx_free(sk_ctx *ctx) {
  if (!ctx)
    return;
  sk_arena_free(&ctx->perm);
  sk_arena_free(&ctx->arena);
  free(ctx);
}

static void add_query(sk_result *out, sk_str q) {
  out->queries = sk_xrealloc(out->queries, (out->nqueries + 1) * sizeof *out->queries);
  char *s = sk_xmalloc(q.len + 1);
  memcpy(s, q.ptr, q.len);
  s[q.len] = '\0';
  out->queries[out->nqueries++] = s;
}

static void finish(sk_result *out, sk_diags *d) {
  sk_buf text = SK_BUF_INIT;
  sk_diags_render(d, &text);
  out->diagnostics = sk_buf_detach(&text, NULL);
  out->errors = d->errors;
  out->warnings = d->warnings;
  sk_diags_clear(d);
}

int sk_compile_mem(sk_ctx *ctx, const char *path, const char *data, size_t len,
                   sk_result *out) {
  memset(out, 0, sizeof *out);
  sk_arena_reset(&ctx->arena);
  sk_diags diags = {0};
  sk_source src = {path, data, len};
  sk_pass pass = {&ctx->arena, &diags, &ctx->passopts};

  sk_ydocs docs;
  if (!sk_yaml_load(&ctx->arena, &diags, &src, &docs)) {
    out->failed = 1; /* a broken file: none of its rules is trusted */
    finish(out, &diags);
    return 1;
  }
  const sk_ynode **rules;
  size_t n = sk_rule_collect(&pass, &docs, &rules);
  if (n == 0 && diags.errors == 0)
    sk_diag_error(&diags, (sk_loc){&src, 0, 0, 0}, "no rule in file");
  for (size_t i = 0; i < n; i++) {
    unsigned before = diags.errors;
    sk_rule rule;
    sk_output q = {0};
    out->rules++;
    if (sk_rule_build(&pass, &src, rules[i], &rule) &&
        ctx->backend->compile(&pass, &rule, &q) && diags.errors == before) {
      for (uint32_t k = 0; k < q.n; k++)
        add_query(out, q.queries[k]);
    } else {
      out->failed++;
    }
  }
  if (diags.errors && !out->failed)
    out->failed = 1; /* errors outside any rule, e.g. a bad 'action' */
  finish(out, &diags);
  return out->failed ? 1 : 0;
}

int sk_compile_file(sk_ctx *ctx, const char *path, sk_result *out) {
  sk_buf data = SK_BUF_INIT;
  int err = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    err = errno;
  } else {
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
      sk_buf_put(&data, chunk, got);
    if (ferror(f))
      err = errno ? errno : EIO;
    fclose(f);
  }
  if (err) {
    memset(out, 0, sizeof *out);
    sk_buf msg = SK_BUF_INIT;
    sk_buf_printf(&msg, "%s: error: cannot read file: %s\n", path, strerror(err));
    out->diagnostics = sk_buf_detach(&msg, NULL);
    out->failed = 1;
    out->errors = 1;
    sk_buf_free(&data);
    return 2;
  }
  int rc = sk_compile_mem(ctx, path, data.ptr ? data.ptr : "", data.len, out);
  sk_buf_free(&data);
  return rc;
}

void sk_result_free(sk_result *res) {
  for (size_t i = 0; i < res->nqueries; i++)
    free(res->queries[i]);
  free(res->queries);
  free(res->diagnostics);
  memset(res, 0, sizeof *res);
}

const char *sk_version(void) { return SK_VERSION; }
