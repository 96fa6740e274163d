/* sigmakql.c - the driver: load -> rule -> backend for each document of a
 * file, with the rule arena reset between files. The only file that knows
 * the order of the phases. */
#include "sigmakql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__ /* defined by the headers above */
#include <malloc.h> /* mallopt */
#endif

#include "backend.h"
#include "format.h"
#include "lint.h"
#include "pipeline.h"
#include "filter.h"
#include "session.h"
#include "sentinel.h"

struct sk_ctx {
  const sk_backend *backend;
  const sk_format *format;
  const char *target, *profile;
  sk_arena perm;  /* options, for the life of the context */
  sk_arena arena; /* one file: its YAML tree and output units; reset per call */
  sk_arena rule_arena; /* one rule's passes; reset per rule, so that a file of
                          many rules costs its tree, not every rule's work */
  sk_placeholder *placeholders;
  sk_passopts passopts;
  sk_pipelines *pipelines; /* in perm */
  sk_fmtopts fopts;         /* what the output formats take */
  unsigned statuses;        /* selection: SK_ST_* bits; 0 means any */
  int min_level;            /* selection: -1 any, else a level_rank() */
  const char **tags;        /* selection patterns, in perm */
  size_t ntags;
  bool include_deprecated, lint;
  sk_session *session; /* correlations and the rules they refer to */
  sk_filters *filters; /* meta filters from --filter and the inputs */
};

static char *fmt_error2(const char *fmt, const char *a, const char *b) {
  sk_buf m = SK_BUF_INIT;
  sk_buf_printf(&m, fmt, a, b);
  return sk_buf_detach(&m, NULL);
}

/* informational 0 ... critical 4; -1 for anything else. */
static int level_rank(sk_str level) {
  static const char *const levels[] = {"informational", "low", "medium", "high", "critical"};
  for (int i = 0; i < 5; i++)
    if (sk_str_eqc(level, levels[i]))
      return i;
  return -1;
}

/* The Sentinel and selection options; false with *error set. */
static bool set_rule_options(sk_ctx *ctx, const sk_options *opts, char **error) {
  static const char statuses_expected[] =
      "(expected a comma list of stable, test, experimental, deprecated, unsupported, none or "
      "all)";
  const char *freq = opts && opts->frequency ? opts->frequency : "PT1H";
  const char *period = opts && opts->period ? opts->period : "PT1H";
  const char *why;
  if (!sk_duration_parse(freq, &ctx->fopts.frequency, &why)) {
    *error = fmt_error2("invalid frequency '%s': %s", freq, why);
    return false;
  }
  if (!sk_duration_parse(period, &ctx->fopts.period, &why)) {
    *error = fmt_error2("invalid period '%s': %s", period, why);
    return false;
  }
  if ((why = sk_durations_check(ctx->fopts.frequency, ctx->fopts.period))) {
    sk_buf m = SK_BUF_INIT;
    sk_buf_printf(&m, "frequency '%s' and period '%s': %s", freq, period, why);
    *error = sk_buf_detach(&m, NULL);
    return false;
  }
  const char *enabled = opts && opts->enabled ? opts->enabled : "stable,test";
  if (!sk_status_mask(enabled, &ctx->fopts.enabled)) {
    *error = fmt_error2("invalid enabled statuses '%s' %s", enabled, statuses_expected);
    return false;
  }
  if (opts && opts->statuses && !sk_status_mask(opts->statuses, &ctx->statuses)) {
    *error = fmt_error2("invalid statuses '%s' %s", opts->statuses, statuses_expected);
    return false;
  }
  ctx->min_level = -1;
  if (opts && opts->min_level && (ctx->min_level = level_rank(sk_str_c(opts->min_level))) < 0) {
    *error = fmt_error2("invalid level '%s' (expected %s)", opts->min_level,
                        "informational, low, medium, high or critical");
    return false;
  }
  if (opts && opts->ntags) {
    ctx->tags = sk_arena_array(&ctx->perm, opts->ntags, sizeof *ctx->tags);
    for (size_t i = 0; i < opts->ntags; i++)
      ctx->tags[ctx->ntags++] = sk_arena_strndup(&ctx->perm, opts->tags[i], strlen(opts->tags[i]));
  }
  ctx->include_deprecated = opts && opts->include_deprecated;
  ctx->lint = opts && opts->lint;
  return true;
}

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

/* Hands the rendered diagnostics to *error (one message, no final
 * newline) and clears them. */
static void take_error(sk_diags *d, char **error) {
  sk_buf text = SK_BUF_INIT;
  sk_diags_render(d, &text);
  if (text.len && text.ptr[text.len - 1] == '\n')
    text.ptr[--text.len] = '\0';
  if (error)
    *error = sk_buf_detach(&text, NULL);
  else
    sk_buf_free(&text);
  sk_diags_clear(d);
}

/* Placeholders from --placeholders FILE, --placeholder and --watchlist,
 * in perm; a later definition of a name replaces an earlier one. */
static bool load_placeholders(sk_ctx *ctx, const sk_options *opts, char **error) {
  size_t cap = opts->nplaceholders + opts->nwatchlists;
  const sk_ynode *file_map = NULL;
  if (opts->placeholders_file) {
    sk_buf data = SK_BUF_INIT;
    if (!sk_buf_read_file(&data, opts->placeholders_file)) {
      sk_buf_free(&data);
      if (error)
        *error = fmt_error("cannot read placeholder file '%s'", opts->placeholders_file);
      return false;
    }
    sk_source *src = SK_NEW(&ctx->perm, sk_source);
    src->path = opts->placeholders_file;
    src->data = sk_arena_strndup(&ctx->perm, data.ptr ? data.ptr : "", data.len);
    src->len = data.len;
    sk_buf_free(&data);
    sk_diags d = {0};
    sk_ydocs docs;
    bool ok = sk_yaml_load(&ctx->perm, &d, src, &docs);
    file_map = ok && docs.n ? docs.docs[0] : NULL;
    if (ok && (!file_map || file_map->kind != SK_Y_MAP))
      sk_diag_error(&d, (sk_loc){src, 1, 1, 1}, "a placeholder file maps names to lists of values");
    if (d.errors) {
      take_error(&d, error);
      return false;
    }
    sk_diags_clear(&d);
    cap += file_map->n / 2;
  }
  if (!cap)
    return true;
  sk_placeholder *v = sk_arena_array(&ctx->perm, cap, sizeof *v);
  size_t n = 0;
  for (uint32_t i = 0; file_map && i + 1 < file_map->n; i += 2) {
    const sk_ynode *key = file_map->kids[i], *val = file_map->kids[i + 1];
    uint32_t nv = val->kind == SK_Y_SEQ ? val->n : 1;
    const char **vals = sk_arena_array(&ctx->perm, nv + 1, sizeof *vals);
    for (uint32_t k = 0; k < nv; k++) {
      const sk_ynode *x = val->kind == SK_Y_SEQ ? val->kids[k] : val;
      vals[k] = sk_arena_strndup(&ctx->perm, x->str.ptr, x->str.len);
    }
    v[n++] = (sk_placeholder){sk_arena_strndup(&ctx->perm, key->str.ptr, key->str.len), vals, NULL};
  }
  for (size_t i = 0; i < opts->nplaceholders; i++)
    if (!parse_placeholder(&ctx->perm, opts->placeholders[i], &v[n++])) {
      if (error)
        *error = fmt_error("malformed placeholder '%s' (expected NAME=VALUE[,VALUE...])",
                           opts->placeholders[i]);
      return false;
    }
  for (size_t i = 0; i < opts->nwatchlists; i++) {
    const char *spec = opts->watchlists[i], *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) {
      if (error)
        *error = fmt_error("malformed watchlist '%s' (expected NAME=ALIAS)", spec);
      return false;
    }
    v[n++] = (sk_placeholder){sk_arena_strndup(&ctx->perm, spec, (size_t)(eq - spec)), NULL,
                              sk_arena_strndup(&ctx->perm, eq + 1, strlen(eq + 1))};
  }
  ctx->placeholders = v; /* the last definition of a name wins */
  ctx->passopts.placeholders = v;
  ctx->passopts.nplaceholders = n;
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
      *error = fmt_error2("unknown format '%s' (expected %s)", opts->format, sk_format_names);
    return NULL;
  }
  sk_ctx *ctx = sk_xmalloc(sizeof *ctx);
  memset(ctx, 0, sizeof *ctx);
  ctx->backend = b;
  ctx->session = sk_session_new();
  ctx->filters = sk_filters_new();
  ctx->format = f;
  ctx->target = b->target;
  ctx->profile = b->profile;
  ctx->fopts.target = b->target;
  ctx->fopts.profile = b->profile;
  char *opt_error = NULL;
  if (!set_rule_options(ctx, opts, &opt_error)) {
    if (error)
      *error = opt_error;
    else
      free(opt_error);
    sk_ctx_free(ctx);
    return NULL;
  }
  if (opts && !load_placeholders(ctx, opts, error)) {
    sk_ctx_free(ctx);
    return NULL;
  }
  for (size_t i = 0; opts && i < opts->nfilters; i++) {
    sk_buf data = SK_BUF_INIT;
    sk_diags d = {0};
    if (!sk_buf_read_file(&data, opts->filters[i]))
      sk_diag_error(&d, (sk_loc){0}, "cannot read filter file '%s'", opts->filters[i]);
    else
      sk_filters_add(ctx->filters, &d, opts->filters[i], data.ptr ? data.ptr : "", data.len);
    sk_buf_free(&data);
    if (d.errors) {
      take_error(&d, error);
      sk_ctx_free(ctx);
      return NULL;
    }
    sk_diags_clear(&d);
  }
  if (opts && opts->npipelines) {
    sk_diags d = {0};
    if (!sk_pipelines_load(&ctx->perm, &d, opts->pipelines, opts->npipelines, &ctx->pipelines)) {
      take_error(&d, error);
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
  sk_pipelines_free(ctx->pipelines);
  sk_session_free(ctx->session);
  sk_filters_free(ctx->filters);
  sk_arena_free(&ctx->perm);
  sk_arena_free(&ctx->arena);
  sk_arena_free(&ctx->rule_arena);
  free(ctx);
}

static char *dup_field(const sk_field *f) { return f->present ? sk_xstrdup_str(f->str) : NULL; }

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
    m->file = sk_xstrdup_str(sk_str_c(g->path ? g->path : ""));
    m->line = g->loc.line;
    m->column = g->loc.col;
    m->message = sk_xstrdup_str(sk_str_c(g->message));
  }
}

static char **dup_list(const sk_ynode *n, size_t *count) {
  *count = 0;
  if (!n || sk_yaml_is_null(n) || (n->kind != SK_Y_SEQ && n->kind != SK_Y_SCALAR))
    return NULL;
  uint32_t len = n->kind == SK_Y_SEQ ? n->n : 1;
  char **v = sk_xmalloc((len ? len : 1) * sizeof *v);
  for (uint32_t i = 0; i < len; i++) {
    const sk_ynode *item = n->kind == SK_Y_SEQ ? n->kids[i] : n;
    if (item->kind == SK_Y_SCALAR)
      v[(*count)++] = sk_xstrdup_str(item->str);
  }
  return v;
}

static void free_list(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* A scalar value of a rule document, or NULL. */
static const sk_ynode *doc_scalar(const sk_ynode *doc, const char *key) {
  const sk_ynode *n = doc && doc->kind == SK_Y_MAP ? sk_ymap_get(doc, key) : NULL;
  return n && n->kind == SK_Y_SCALAR ? n : NULL;
}

/* "attack.t1059*" matches "attack.t1059.001"; ASCII case is ignored. */
static bool tag_matches(sk_str tag, const char *pattern) {
  size_t n = strlen(pattern);
  if (n && pattern[n - 1] == '*')
    return tag.len >= n - 1 && sk_str_eqi((sk_str){tag.ptr, n - 1}, (sk_str){pattern, n - 1});
  return sk_str_eqic(tag, pattern);
}

/* Whether the options select a rule document (looked at before building
 * it, so that a rule left out reports nothing). */
static bool selected(const sk_ctx *ctx, const sk_ynode *doc) {
  if (!doc || doc->kind != SK_Y_MAP)
    return true; /* building reports it */
  const sk_ynode *st = doc_scalar(doc, "status");
  unsigned bit = sk_status_bit(st ? st->str : (sk_str){"", 0}, st != NULL);
  if (ctx->statuses ? !(ctx->statuses & bit)
                    : !ctx->include_deprecated && (bit & (SK_ST_DEPRECATED | SK_ST_UNSUPPORTED)))
    return false;
  if (ctx->min_level >= 0) {
    const sk_ynode *lv = doc_scalar(doc, "level");
    if (!lv || level_rank(lv->str) < ctx->min_level)
      return false;
  }
  if (ctx->ntags) {
    const sk_ynode *tags = sk_ymap_get(doc, "tags");
    bool any = false;
    for (uint32_t i = 0; tags && tags->kind == SK_Y_SEQ && i < tags->n && !any; i++)
      for (size_t k = 0; k < ctx->ntags && !any; k++)
        any = tags->kids[i]->kind == SK_Y_SCALAR && tag_matches(tags->kids[i]->str, ctx->tags[k]);
    if (!any)
      return false;
  }
  return true;
}

/* Whether another document of the file has the same id as doc i. */
static bool id_shared(const sk_ynode **docs, size_t n, size_t i) {
  const sk_ynode *id = doc_scalar(docs[i], "id");
  for (size_t k = 0; id && k < n; k++) {
    const sk_ynode *other = k == i ? NULL : doc_scalar(docs[k], "id");
    if (other && sk_str_eqi(other->str, id->str))
      return true;
  }
  return false;
}

static void drop_queries(sk_rule_result *rr) {
  for (size_t q = 0; q < rr->nqueries; q++)
    free(rr->queries[q]);
  rr->nqueries = 0;
}

/* The file's output, and each converted rule's own documents. units[i]
 * holds record i's units (NULL: none for any record). */
static void write_output(sk_ctx *ctx, sk_result *out, const char *path, const sk_units *units) {
  const sk_format *f = ctx->format;
  sk_buf o = SK_BUF_INIT;
  if (f->wrap) {
    size_t total = 0;
    for (size_t i = 0; units && i < out->nrules; i++)
      if (out->rules_v[i].ok && !out->rules_v[i].skipped)
        total += units[i].n;
    sk_str *all = sk_xmalloc((total ? total : 1) * sizeof *all);
    total = 0;
    for (size_t i = 0; units && i < out->nrules; i++) {
      sk_rule_result *rr = &out->rules_v[i];
      if (!rr->ok || rr->skipped || !units[i].n)
        continue;
      rr->outputs = sk_xmalloc(units[i].n * sizeof *rr->outputs);
      for (size_t k = 0; k < units[i].n; k++) {
        all[total++] = units[i].v[k];
        sk_buf one = SK_BUF_INIT;
        f->wrap(&one, &units[i].v[k], 1);
        rr->outputs[rr->noutputs++] = sk_buf_detach(&one, NULL);
      }
    }
    if (total)
      f->wrap(&o, all, total);
    free(all);
  } else {
    f->write(&o, out, path, ctx->target, ctx->profile);
    for (size_t i = 0; i < out->nrules; i++) {
      sk_rule_result *rr = &out->rules_v[i];
      if (!rr->ok || rr->skipped)
        continue;
      sk_result view = {.rules_v = rr, .nrules = 1};
      sk_buf one = SK_BUF_INIT;
      f->write(&one, &view, path, ctx->target, ctx->profile);
      rr->outputs = sk_xmalloc(sizeof *rr->outputs);
      rr->outputs[rr->noutputs++] = sk_buf_detach(&one, NULL);
    }
  }
  out->output = sk_buf_detach(&o, &out->output_len);
}

static void finish(sk_ctx *ctx, const char *path, sk_result *out, sk_diags *d,
                   const sk_units *units) {
  sk_buf text = SK_BUF_INIT;
  sk_diags_render(d, &text);
  out->diagnostics = sk_buf_detach(&text, NULL);
  out->errors = d->errors;
  out->warnings = d->warnings;
  sk_diags_clear(d);
  write_output(ctx, out, path, units);
}

/* A file that cannot be compiled at all: one record with the reason. */
static int file_failure(sk_ctx *ctx, const char *path, const char *why, sk_result *out) {
  memset(out, 0, sizeof *out);
  sk_buf msg = SK_BUF_INIT;
  sk_buf_printf(&msg, "%s: error: %s\n", path, why);
  out->diagnostics = sk_buf_detach(&msg, NULL);
  out->failed = 1;
  out->errors = 1;
  sk_rule_result *rr = new_record(out, 0);
  rr->messages = sk_xmalloc(sizeof *rr->messages);
  rr->nmessages = 1;
  rr->messages[0] = (sk_message){SK_ERROR, sk_xstrdup_str(sk_str_c(path)), 0, 0, NULL};
  rr->messages[0].message = sk_xstrdup_str(sk_str_c(why));
  write_output(ctx, out, path, NULL);
  return 2;
}

static int compile_parsed(sk_ctx *ctx, const sk_source *src, const sk_ydocs *docs,
                          sk_diags *diags, sk_result *out);

/* Moves a rule's output units (array and text) into the file's arena. */
static void keep_units(sk_arena *a, sk_units *u) {
  sk_str *v = sk_arena_array(a, u->n ? u->n : 1, sizeof *v);
  for (size_t k = 0; k < u->n; k++)
    v[k] = (sk_str){sk_arena_strndup(a, u->v[k].ptr, u->v[k].len), u->v[k].len};
  u->v = v;
  u->cap = u->n;
}

int sk_compile_mem(sk_ctx *ctx, const char *path, const char *data, size_t len,
                   sk_result *out) {
  if (len > SK_MAX_INPUT) {
    char why[96];
    snprintf(why, sizeof why, "file is larger than %d MiB, the limit for one input",
             SK_MAX_INPUT >> 20);
    file_failure(ctx, path, why, out);
    return 1;
  }
  memset(out, 0, sizeof *out);
  sk_arena_reset(&ctx->arena);
  sk_diags diags = {0};
  sk_source src = {path, data, len};
  sk_ydocs docs;
  bool parsed = sk_yaml_load(&ctx->arena, &diags, &src, &docs);
  return compile_parsed(ctx, &src, parsed ? &docs : NULL, &diags, out);
}

int sk_compile_multi(sk_ctx *const *ctxs, size_t n, const char *path, const char *data,
                     size_t len, sk_result *outs) {
  if (n == 0)
    return 0;
  if (len > SK_MAX_INPUT) {
    for (size_t i = 0; i < n; i++)
      sk_compile_mem(ctxs[i], path, data, len, &outs[i]); /* the size error */
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    memset(&outs[i], 0, sizeof outs[i]);
    sk_arena_reset(&ctxs[i]->arena);
  }
  /* The tree lives in the first context's arena until every context is
   * done with it; compiling only reads it. */
  sk_diags yaml_diags = {0};
  sk_source src = {path, data, len};
  sk_ydocs docs;
  bool parsed = sk_yaml_load(&ctxs[0]->arena, &yaml_diags, &src, &docs);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    sk_diags diags = {0};
    sk_diags_copy(&diags, &yaml_diags);
    int r = compile_parsed(ctxs[i], &src, parsed ? &docs : NULL, &diags, &outs[i]);
    rc = r > rc ? r : rc;
  }
  sk_diags_clear(&yaml_diags);
  return rc;
}

/* Whether some document of the file has key at its top level. */
static bool any_doc_has(const sk_ydocs *docs, const char *key) {
  for (size_t i = 0; i < docs->n; i++)
    if (sk_ymap_key(docs->docs[i], key))
      return true;
  return false;
}

/* Compiles one file's parsed documents for ctx (docs NULL when the YAML
 * failed); diags holds the parser's messages and is consumed. */
static int compile_parsed(sk_ctx *ctx, const sk_source *srcp, const sk_ydocs *docsp,
                          sk_diags *diagsp, sk_result *out) {
  sk_diags diags = *diagsp;
  const char *path = srcp->path, *data = srcp->data;
  size_t len = srcp->len;
  sk_pass pass = {&ctx->arena, &diags, &ctx->passopts};
  sk_pass rpass = {&ctx->rule_arena, &diags, &ctx->passopts}; /* per rule */
  if (!docsp) {
    out->failed = 1; /* a broken file: none of its rules is trusted */
    take_messages(new_record(out, 0), &diags, 0);
    finish(ctx, path, out, &diags, NULL);
    return 1;
  }
  const sk_ynode **rules;
  size_t n = sk_rule_collect(&pass, docsp, &rules);
  if (n == 0 && diags.errors == 0)
    sk_diag_error(&diags, (sk_loc){srcp, 0, 0, 0}, "no rule in file");
  /* Both look for their key in the text, then parse the file again; a
   * document without the key at its top level gives them nothing, and
   * the tree says whether there is one (most files have neither). */
  if (any_doc_has(docsp, "correlation"))
    sk_session_prescan(ctx->session, data, len); /* for correlations in this file */
  if (any_doc_has(docsp, "filter"))
    sk_filters_add(ctx->filters, &diags, path, data, len); /* and filters */
  size_t file_level = diags.n; /* messages about the file, before any rule */
  /* Each record's units, in the arena; one more for a file-level record. */
  sk_units *units = sk_arena_array(&ctx->arena, n + 1, sizeof *units);
  bool sentinel_format = ctx->format == &sk_format_arm || ctx->format == &sk_format_sentinel_yaml;
  for (size_t i = 0; i < n; i++) {
    unsigned before = diags.errors;
    size_t first = diags.n;
    sk_rule rule;
    sk_output q = {0};
    sk_arena_reset(&ctx->rule_arena);
    if (sk_ymap_get(rules[i], "filter") && !sk_ymap_get(rules[i], "detection"))
      continue; /* a filter document: applied to the rules it names */
    if (sk_ymap_get(rules[i], "correlation")) { /* compiled by sk_finish */
      const sk_ynode *id = doc_scalar(rules[i], "id"), *name = doc_scalar(rules[i], "name");
      sk_session_remember(ctx->session, path, data, len, (uint32_t)i,
                          id ? id->str : (sk_str){0}, name ? name->str : (sk_str){0}, true);
      continue;
    }
    out->rules++;
    sk_rule_result *rr = new_record(out, (unsigned)i);
    if (!selected(ctx, rules[i])) {
      const sk_ynode *f;
      rr->skipped = 1;
      rr->id = (f = doc_scalar(rules[i], "id")) ? sk_xstrdup_str(f->str) : NULL;
      rr->title = (f = doc_scalar(rules[i], "title")) ? sk_xstrdup_str(f->str) : NULL;
      rr->level = (f = doc_scalar(rules[i], "level")) ? sk_xstrdup_str(f->str) : NULL;
      rr->status = (f = doc_scalar(rules[i], "status")) ? sk_xstrdup_str(f->str) : NULL;
      out->skipped++;
      continue;
    }
    bool built = sk_rule_build(&rpass, srcp, rules[i], &rule) &&
                 sk_pipelines_apply(&rpass, ctx->pipelines, &rule) &&
                 sk_filters_apply(&rpass, ctx->filters, &rule);
    rr->id = dup_field(&rule.id);
    rr->title = dup_field(&rule.title);
    rr->level = dup_field(&rule.level);
    rr->status = dup_field(&rule.status);
    rr->description = dup_field(&rule.description);
    rr->author = dup_field(&rule.author);
    rr->date = dup_field(&rule.date);
    rr->modified = dup_field(&rule.modified);
    if (rule.id.present) {
      rr->id_line = rule.id.loc.line;
      rr->id_column = rule.id.loc.col;
    }
    if (rule.doc && rule.doc->kind == SK_Y_MAP) {
      rr->tags = dup_list(sk_ymap_get(rule.doc, "tags"), &rr->ntags);
      rr->references = dup_list(sk_ymap_get(rule.doc, "references"), &rr->nreferences);
      rr->falsepositives = dup_list(sk_ymap_get(rule.doc, "falsepositives"), &rr->nfalsepositives);
    }
    bool compiled = built && ctx->backend->compile(&rpass, &rule, &q) && diags.errors == before;
    /* A rule a correlation refers to is remembered for it; unless one of
     * those correlations says generate: true, only the correlation's
     * query is written. */
    bool standalone;
    const sk_ynode *name = doc_scalar(rules[i], "name");
    sk_str rid = rule.id.present ? rule.id.str : (sk_str){0}, rname = name ? name->str : (sk_str){0};
    bool part_of_correlation = false;
    if (built && sk_session_referred(ctx->session, rid, rname, &standalone)) {
      sk_session_remember(ctx->session, path, data, len, (uint32_t)i, rid, rname, false);
      part_of_correlation = compiled && !standalone;
    }
    if (part_of_correlation) { /* written inside its correlation only */
      rr->skipped = 1;
      out->skipped++;
      take_messages(rr, &diags, first);
      continue;
    }
    if (built && ctx->lint)
      sk_lint_rule(&rpass, &rule, sentinel_format);
    if (compiled) {
      rr->ok = 1;
      rr->table = q.table ? sk_xstrdup_str(sk_str_c(q.table)) : NULL;
      rr->family = q.family ? sk_xstrdup_str(sk_str_c(q.family)) : NULL;
      rr->queries = sk_xmalloc((q.n ? q.n : 1) * sizeof *rr->queries);
      for (uint32_t k = 0; k < q.n; k++)
        rr->queries[rr->nqueries++] = sk_xstrdup_str(q.queries[k]);
      if (ctx->lint && !sentinel_format)
        for (uint32_t k = 0; k < q.n; k++)
          sk_sentinel_check_query(&rpass, &rule, q.queries[k]);
      if (ctx->format->rule && diags.errors == before) {
        sk_fmt_rule fr = {&rpass, &rule, rr, &ctx->fopts, (unsigned)i, id_shared(rules, n, i)};
        ctx->format->rule(&fr, &units[out->nrules - 1]);
        keep_units(&ctx->arena, &units[out->nrules - 1]); /* past the rule's arena */
      }
      if (diags.errors != before) { /* the format's limits */
        rr->ok = 0;
        drop_queries(rr);
      }
    }
    if (!rr->ok)
      out->failed++;
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
      drop_queries(rr); /* a failed record carries no query */
    }
  }
  finish(ctx, path, out, &diags, units);
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
    /* Past the limit, one more chunk is enough for sk_compile_mem to
     * refuse the file; the rest is not read. */
    while (data.len <= SK_MAX_INPUT && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
      sk_buf_put(&data, chunk, got);
    if (ferror(f))
      err = errno ? errno : EIO;
    fclose(f);
  }
  if (err) {
    sk_buf_free(&data);
    sk_buf why = SK_BUF_INIT;
    sk_buf_printf(&why, "cannot read file: %s", strerror(err));
    int rc = file_failure(ctx, path, why.ptr, out);
    sk_buf_free(&why);
    return rc;
  }
  int rc = sk_compile_mem(ctx, path, data.ptr ? data.ptr : "", data.len, out);
  sk_buf_free(&data);
  return rc;
}

void sk_prescan(sk_ctx *ctx, const char *path, const char *data, size_t len) {
  sk_session_prescan(ctx->session, data, len);
  sk_diags d = {0}; /* a broken filter is reported when its file is compiled */
  sk_filters_add(ctx->filters, &d, path, data, len);
  sk_diags_clear(&d);
}

/* Correlation metadata as a rule, for the formats. */
static void corr_rule(const sk_source *src, const sk_ynode *doc, sk_rule *r) {
  memset(r, 0, sizeof *r);
  r->src = src;
  r->doc = doc;
  r->loc = doc->loc;
  static const char *const keys[] = {"title", "id", "name", "status", "level", "description",
                                     "author", "date", "modified"};
  sk_field *fields[] = {&r->title,  &r->id,          &r->name,   &r->status,  &r->level,
                        &r->description, &r->author, &r->date, &r->modified};
  for (int k = 0; k < 9; k++) {
    const sk_ynode *n = doc_scalar(doc, keys[k]);
    if (n)
      *fields[k] = (sk_field){n->str, n->loc, true};
  }
}

int sk_finish(sk_ctx *ctx, sk_result *out) {
  memset(out, 0, sizeof *out);
  size_t n = sk_session_correlations(ctx->session);
  sk_units *units = NULL;
  sk_diags diags = {0};
  const char *last_path = "correlations";
  units = sk_xmalloc((n ? n : 1) * sizeof *units);
  memset(units, 0, (n ? n : 1) * sizeof *units);
  sk_arena_reset(&ctx->arena);
  for (size_t k = 0; k < n; k++) {
    sk_pass pass = {&ctx->arena, &diags, &ctx->passopts};
    sk_corr_env env = {&pass, ctx->backend, ctx->pipelines, NULL, NULL};
    sk_output q = {0};
    const char *path;
    uint32_t doc;
    size_t first = diags.n;
    unsigned before = diags.errors;
    out->rules++;
    sk_rule_result *rr = new_record(out, 0);
    bool ok = sk_session_compile(ctx->session, k, &env, &q, &path, &doc) && diags.errors == before;
    rr->index = doc;
    last_path = path;
    if (ok) {
      rr->ok = 1;
      rr->table = sk_xstrdup_str(sk_str_c(q.table));
      rr->family = sk_xstrdup_str(sk_str_c(q.family));
      rr->queries = sk_xmalloc((q.n ? q.n : 1) * sizeof *rr->queries);
      for (uint32_t i = 0; i < q.n; i++)
        rr->queries[rr->nqueries++] = sk_xstrdup_str(q.queries[i]);
    } else {
      out->failed++;
    }
    sk_rule r;
    const sk_ynode *d = sk_session_doc(ctx->session, k, &pass);
    if (d) {
      corr_rule(sk_session_source(ctx->session, k, &pass), d, &r);
      rr->id = dup_field(&r.id);
      rr->title = dup_field(&r.title);
      rr->level = dup_field(&r.level);
      rr->status = dup_field(&r.status);
      rr->description = dup_field(&r.description);
      rr->author = dup_field(&r.author);
      if (ok && ctx->format->rule) {
        /* The correlation's timespan is how far back the rule must look. */
        sk_fmtopts fo = ctx->fopts;
        const sk_ynode *ts = sk_ymap_get(sk_ymap_get(d, "correlation"), "timespan");
        if (ts && ts->kind == SK_Y_SCALAR && ts->str.len > 1) {
          unsigned long v = strtoul(ts->str.ptr, NULL, 10);
          char unit = ts->str.ptr[ts->str.len - 1];
          unsigned long minutes = unit == 's' ? (v + 59) / 60 : unit == 'm' ? v
                                  : unit == 'h' ? v * 60 : v * 1440;
          fo.period = (unsigned)(minutes < fo.frequency ? fo.frequency : minutes);
          const char *why = sk_durations_check(fo.frequency, fo.period);
          if (why && why[0])
            sk_diag_error(&diags, ts->loc, "timespan %.*s gives a query period Sentinel refuses: %s",
                          (int)ts->str.len, ts->str.ptr, why);
        }
        if (diags.errors == before) {
          sk_fmt_rule fr = {&pass, &r, rr, &fo, doc, false};
          ctx->format->rule(&fr, &units[k]);
        }
        if (diags.errors != before) {
          rr->ok = 0;
          drop_queries(rr);
          out->failed++;
        }
      }
    }
    take_messages(rr, &diags, first);
  }
  finish(ctx, n ? last_path : "correlations", out, &diags, units);
  free(units);
  return out->failed ? 1 : 0;
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
    free(rr->description);
    free(rr->author);
    free(rr->date);
    free(rr->modified);
    free_list(rr->tags, rr->ntags);
    free_list(rr->references, rr->nreferences);
    free_list(rr->falsepositives, rr->nfalsepositives);
    free_list(rr->outputs, rr->noutputs);
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
  } else if (strcmp(what, "entities") == 0) {
    sk_entities_list(&b);
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

void sk_malloc_for_batches(void) {
#ifdef M_TRIM_THRESHOLD
  /* glibc trims when the free top of the heap exceeds 128 KiB; one file's
   * YAML parser buffers, freed, were enough, file after file. */
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif
}
