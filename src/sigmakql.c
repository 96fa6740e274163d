/* sigmakql.c - the driver: load -> rule -> backend for each document of a
 * file, with the rule arena reset between files. The only file that knows
 * the order of the phases. */
#include "sigmakql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "format.h"
#include "pipeline.h"

struct sk_ctx {
  const sk_backend *backend;
  const sk_format *format;
  const char *target, *profile;
  sk_arena perm;  /* options, for the life of the context */
  sk_arena arena; /* one file's rules; reset per call */
  sk_placeholder *placeholders;
  sk_passopts passopts;
  sk_pipelines *pipelines; /* in perm */
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
    bool known_profile = strcmp(profile, "default") == 0 || strcmp(profile, "pysigma") == 0;
    if (error)
      *error = !known        ? fmt_error("unknown target '%s' (expected asim, xdr or monitor)", target)
               : known_profile ? fmt_error("target '%s' has only the pysigma profile so far", target)
                               : fmt_error("unknown profile '%s' (expected default or pysigma)", profile);
    return NULL;
  }
  const sk_format *f = sk_format_find(opts && opts->format ? opts->format : "kql");
  if (!f) {
    if (error)
      *error = fmt_error("unknown format '%s' (expected kql or json)", opts->format);
    return NULL;
  }
  sk_ctx *ctx = sk_xmalloc(sizeof *ctx);
  memset(ctx, 0, sizeof *ctx);
  ctx->backend = b;
  ctx->format = f;
  ctx->target = b->target;
  ctx->profile = b->profile;
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
  if (opts && opts->npipelines) {
    sk_diags d = {0};
    if (!sk_pipelines_load(&ctx->perm, &d, opts->pipelines, opts->npipelines, &ctx->pipelines)) {
      sk_buf text = SK_BUF_INIT;
      sk_diags_render(&d, &text);
      if (text.len && text.ptr[text.len - 1] == '\n')
        text.ptr[--text.len] = '\0';
      if (error)
        *error = sk_buf_detach(&text, NULL);
      else
        sk_buf_free(&text);
      sk_diags_clear(&d);
      sk_ctx_free(ctx);
      return NULL;
    }
    sk_diags_clear(&d);
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

static char *dup_str(sk_str s) {
  char *p = sk_xmalloc(s.len + 1);
  if (s.len)
    memcpy(p, s.ptr, s.len);
  p[s.len] = '\0';
  return p;
}

static char *dup_field(const sk_field *f) { return f->present ? dup_str(f->str) : NULL; }

static sk_rule_result *new_record(sk_result *out, unsigned index) {
  out->rules_v = sk_xrealloc(out->rules_v, (out->nrules + 1) * sizeof *out->rules_v);
  sk_rule_result *rr = &out->rules_v[out->nrules++];
  memset(rr, 0, sizeof *rr);
  rr->index = index;
  return rr;
}

/* Moves diagnostics [from, d->n) into the record's messages. */
static void take_messages(sk_rule_result *rr, const sk_diags *d, size_t from) {
  size_t n = d->n - from;
  if (!n)
    return;
  rr->messages = sk_xrealloc(rr->messages, (rr->nmessages + n) * sizeof *rr->messages);
  for (size_t i = from; i < d->n; i++) {
    const sk_diag *g = &d->v[i];
    sk_message *m = &rr->messages[rr->nmessages++];
    m->severity = g->sev == SK_SEV_ERROR ? SK_ERROR : g->sev == SK_SEV_WARNING ? SK_WARNING : SK_NOTE;
    m->file = dup_str(sk_str_c(g->path ? g->path : ""));
    m->line = g->loc.line;
    m->column = g->loc.col;
    m->message = dup_str(sk_str_c(g->message));
  }
}

static void finish(sk_ctx *ctx, const char *path, sk_result *out, sk_diags *d) {
  sk_buf text = SK_BUF_INIT;
  sk_diags_render(d, &text);
  out->diagnostics = sk_buf_detach(&text, NULL);
  out->errors = d->errors;
  out->warnings = d->warnings;
  sk_diags_clear(d);
  sk_buf o = SK_BUF_INIT;
  ctx->format->write(&o, out, path, ctx->target, ctx->profile);
  out->output = sk_buf_detach(&o, &out->output_len);
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
    take_messages(new_record(out, 0), &diags, 0);
    finish(ctx, path, out, &diags);
    return 1;
  }
  const sk_ynode **rules;
  size_t n = sk_rule_collect(&pass, &docs, &rules);
  if (n == 0 && diags.errors == 0)
    sk_diag_error(&diags, (sk_loc){&src, 0, 0, 0}, "no rule in file");
  size_t file_level = diags.n; /* messages about the file, before any rule */
  for (size_t i = 0; i < n; i++) {
    unsigned before = diags.errors;
    size_t first = diags.n;
    sk_rule rule;
    sk_output q = {0};
    out->rules++;
    sk_rule_result *rr = new_record(out, (unsigned)i);
    bool built = sk_rule_build(&pass, &src, rules[i], &rule) &&
                 sk_pipelines_apply(&pass, ctx->pipelines, &rule);
    rr->id = dup_field(&rule.id);
    rr->title = dup_field(&rule.title);
    rr->level = dup_field(&rule.level);
    rr->status = dup_field(&rule.status);
    if (built && ctx->backend->compile(&pass, &rule, &q) && diags.errors == before) {
      rr->ok = 1;
      rr->table = q.table ? dup_str(sk_str_c(q.table)) : NULL;
      rr->family = q.family ? dup_str(sk_str_c(q.family)) : NULL;
      rr->queries = sk_xmalloc((q.n ? q.n : 1) * sizeof *rr->queries);
      for (uint32_t k = 0; k < q.n; k++)
        rr->queries[rr->nqueries++] = dup_str(q.queries[k]);
    } else {
      out->failed++;
    }
    take_messages(rr, &diags, first);
  }
  if (file_level) { /* e.g. a bad 'action' or an empty file: charge it to a record */
    sk_rule_result *rr = out->nrules ? &out->rules_v[0] : new_record(out, 0);
    sk_diags head = diags;
    head.n = file_level;
    take_messages(rr, &head, 0);
    if (diags.errors && !out->failed) {
      out->failed = 1;
      rr->ok = 0;
    }
  }
  finish(ctx, path, out, &diags);
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
    sk_rule_result *rr = new_record(out, 0);
    rr->messages = sk_xmalloc(sizeof *rr->messages);
    rr->nmessages = 1;
    rr->messages[0] = (sk_message){SK_ERROR, dup_str(sk_str_c(path)), 0, 0, NULL};
    sk_buf m2 = SK_BUF_INIT;
    sk_buf_printf(&m2, "cannot read file: %s", strerror(err));
    rr->messages[0].message = sk_buf_detach(&m2, NULL);
    sk_buf o = SK_BUF_INIT;
    ctx->format->write(&o, out, path, ctx->target, ctx->profile);
    out->output = sk_buf_detach(&o, &out->output_len);
    sk_buf_free(&data);
    return 2;
  }
  int rc = sk_compile_mem(ctx, path, data.ptr ? data.ptr : "", data.len, out);
  sk_buf_free(&data);
  return rc;
}

void sk_result_free(sk_result *res) {
  for (size_t i = 0; i < res->nrules; i++) {
    sk_rule_result *rr = &res->rules_v[i];
    for (size_t q = 0; q < rr->nqueries; q++)
      free(rr->queries[q]);
    for (size_t m = 0; m < rr->nmessages; m++) {
      free(rr->messages[m].file);
      free(rr->messages[m].message);
    }
    free(rr->queries);
    free(rr->messages);
    free(rr->id);
    free(rr->title);
    free(rr->level);
    free(rr->status);
    free(rr->table);
    free(rr->family);
  }
  free(res->rules_v);
  free(res->output);
  free(res->diagnostics);
  memset(res, 0, sizeof *res);
}

int sk_list(const char *what, const char *target, const char *table, char **out) {
  sk_buf b = SK_BUF_INIT;
  int rc = 0;
  if (strcmp(what, "targets") == 0) {
    for (const sk_backend *const *k = sk_backends; *k; k++)
      sk_buf_printf(&b, "%s\t%s\t%s\n", (*k)->target, (*k)->profile, (*k)->summary);
  } else if (!sk_backend_find(target ? target : "asim", "default")) {
    sk_buf_printf(&b, "unknown target '%s'", target);
    rc = 2;
  } else if (!sk_default_list(&b, what, target ? target : "asim", table ? table : "")) {
    sk_buf_clear(&b);
    if (strcmp(what, "fields") == 0)
      sk_buf_printf(&b, "'%s' is not a table of target '%s' (see 'sigmakql list tables')",
                    table ? table : "", target ? target : "asim");
    else
      sk_buf_printf(&b, "unknown listing '%s' (expected targets, tables, fields, logsources)",
                    what);
    rc = 2;
  }
  *out = sk_buf_detach(&b, NULL);
  return rc;
}

const char *sk_version(void) { return SK_VERSION; }
