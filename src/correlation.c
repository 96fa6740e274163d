/* correlation.c - compiles Sigma correlation rules (see correlation.h).
 *
 * Shape of the query, e.g. event_count over two rules grouped by User:
 *   let sigma_1 = <table> | where <filter> | where <rule 1>
 *   | project TimeGenerated, sigma_rule = "r1", User = <User in table 1>;
 *   let sigma_2 = ...;
 *   union sigma_1, sigma_2
 *   | summarize event_count = count() by User, window_start = bin(TimeGenerated, 5m)
 *   | where event_count >= 10
 * Windows are fixed bins (the spec asks for a warning about that). A
 * correlation referring to a correlation becomes one more `let` whose
 * rows carry the window start as TimeGenerated. */
#include "correlation.h"

#include <stdio.h>
#include <stdlib.h>

#include "kql.h"

typedef enum ctype {
  C_EVENT_COUNT,
  C_VALUE_COUNT,
  C_TEMPORAL,
  C_TEMPORAL_ORDERED,
  C_VALUE_SUM,
  C_VALUE_AVG,
  C_VALUE_PERCENTILE,
  C_VALUE_MEDIAN,
} ctype;

static const struct {
  const char *name;
  const char *column; /* the aggregate the condition tests */
  bool needs_field;
} types[] = {
    {"event_count", "event_count", false},       {"value_count", "value_count", true},
    {"temporal", "rule_count", false},           {"temporal_ordered", "rule_count", false},
    {"value_sum", "value_sum", true},            {"value_avg", "value_avg", true},
    {"value_percentile", "value_percentile", true}, {"value_median", "value_median", true},
};

static const struct {
  const char *name, *kql;
} ops[] = {{"gt", ">"}, {"gte", ">="}, {"lt", "<"}, {"lte", "<="}, {"eq", "=="}, {"neq", "!="}};

enum { MAX_DEPTH = 16, MAX_GROUP = 32 };

typedef struct corr {
  const sk_source *src;
  const sk_ynode *doc;
  ctype type;
  sk_str id, name, title;
  const sk_ynode *rules, *aliases, *timespan_node;
  const sk_ynode *group[MAX_GROUP];
  uint32_t ngroup;
  const sk_ynode *field; /* condition.field */
  const char *cond[2], *value[2]; /* KQL operators and numbers */
  int nconds;
  sk_str timespan; /* KQL timespan literal */
} corr;

static sk_loc at(const corr *c, const sk_ynode *n) { return n ? n->loc : c->doc->loc; }

static bool scalar(sk_pass *p, const sk_ynode *n, const char *what) {
  if (n && n->kind == SK_Y_SCALAR)
    return true;
  if (n)
    sk_diag_error(p->diags, n->loc, "'%s' must be a string", what);
  return false;
}

/* Xs, Xm, Xh, Xd (the spec's units); also accepted: w and M (months). */
static bool parse_timespan(sk_pass *p, corr *c, const sk_ynode *n) {
  if (!n) {
    sk_diag_error(p->diags, c->doc->loc, "correlation has no 'timespan'");
    return false;
  }
  sk_str s = n->str;
  size_t digits = 0;
  while (digits < s.len && sk_is_digit((unsigned char)s.ptr[digits]))
    digits++;
  bool ok = n->kind == SK_Y_SCALAR && digits > 0 && digits <= 9 && s.len == digits + 1 &&
            strchr("smhd", s.ptr[digits]) && s.ptr[digits];
  if (ok) {
    long v = strtol(s.ptr, NULL, 10);
    ok = v > 0;
  }
  if (!ok) {
    sk_diag_error(p->diags, n->loc,
                  "invalid timespan '%.*s' (expected a number and one of s, m, h, d, e.g. 5m)",
                  (int)s.len, s.ptr);
    return false;
  }
  c->timespan = s; /* the same text is a KQL timespan literal */
  c->timespan_node = n;
  return true;
}

static bool parse_condition(sk_pass *p, corr *c, const sk_ynode *cond) {
  if (!cond) {
    if (c->type == C_TEMPORAL || c->type == C_TEMPORAL_ORDERED)
      return true; /* all the rules, by default */
    sk_diag_error(p->diags, c->doc->loc, "correlation has no 'condition'");
    return false;
  }
  if (cond->kind != SK_Y_MAP) {
    sk_diag_error(p->diags, cond->loc, "'condition' must be a mapping (e.g. gte: 10)");
    return false;
  }
  for (uint32_t i = 0; i + 1 < cond->n; i += 2) {
    const sk_ynode *k = cond->kids[i], *v = cond->kids[i + 1];
    if (sk_str_eqc(k->str, "field")) {
      if (v->kind == SK_Y_SEQ && v->n == 1)
        v = v->kids[0];
      if (!scalar(p, v, "field"))
        return false;
      c->field = v;
      continue;
    }
    size_t o = 0;
    while (o < sizeof ops / sizeof *ops && !sk_str_eqc(k->str, ops[o].name))
      o++;
    if (o == sizeof ops / sizeof *ops) {
      sk_diag_error(p->diags, k->loc,
                    "unknown condition '%.*s' (expected gt, gte, lt, lte, eq, neq or field)",
                    (int)k->str.len, k->str.ptr);
      return false;
    }
    char *end = NULL;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(v->str.len < 63 ? v->str.len : 63), v->str.ptr);
    strtod(buf, &end);
    if (v->kind != SK_Y_SCALAR || !v->str.len || *end || v->style != SK_YS_PLAIN) {
      sk_diag_error(p->diags, v->loc, "condition '%s' needs a number", ops[o].name);
      return false;
    }
    if (c->nconds == 2) {
      sk_diag_error(p->diags, k->loc, "a condition has at most two comparisons (a range)");
      return false;
    }
    c->cond[c->nconds] = ops[o].kql;
    c->value[c->nconds++] = sk_arena_strndup(p->arena, v->str.ptr, v->str.len);
  }
  if (types[c->type].needs_field && !c->field) {
    sk_diag_error(p->diags, cond->loc, "a %s correlation needs 'field' in its condition",
                  types[c->type].name);
    return false;
  }
  if (!c->nconds && c->type != C_TEMPORAL && c->type != C_TEMPORAL_ORDERED) {
    sk_diag_error(p->diags, cond->loc, "condition has no comparison (gt, gte, lt, lte, eq, neq)");
    return false;
  }
  return true;
}

static bool parse(sk_pass *p, const sk_source *src, const sk_ynode *doc, corr *c) {
  memset(c, 0, sizeof *c);
  c->src = src;
  c->doc = doc;
  const sk_ynode *title = sk_ymap_get(doc, "title"), *id = sk_ymap_get(doc, "id"),
                 *name = sk_ymap_get(doc, "name");
  if (scalar(p, title, "title"))
    c->title = title->str;
  if (scalar(p, id, "id"))
    c->id = id->str;
  if (scalar(p, name, "name"))
    c->name = name->str;
  const sk_ynode *body = sk_ymap_get(doc, "correlation");
  if (!body || body->kind != SK_Y_MAP) {
    sk_diag_error(p->diags, at(c, body), "'correlation' must be a mapping");
    return false;
  }
  const sk_ynode *type = sk_ymap_get(body, "type");
  if (!scalar(p, type, "type")) {
    if (!type)
      sk_diag_error(p->diags, body->loc, "correlation has no 'type'");
    return false;
  }
  size_t t = 0;
  while (t < sizeof types / sizeof *types && !sk_str_eqc(type->str, types[t].name))
    t++;
  if (t == sizeof types / sizeof *types) {
    sk_diag_error(p->diags, type->loc, "unknown correlation type '%.*s'", (int)type->str.len,
                  type->str.ptr);
    return false;
  }
  c->type = (ctype)t;
  if (c->type == C_VALUE_MEDIAN)
    sk_diag_warning(p->diags, type->loc,
                    "value_median is an extension, not part of the Sigma specification");
  c->rules = sk_ymap_get(body, "rules");
  if (!c->rules || c->rules->kind != SK_Y_SEQ || c->rules->n == 0) {
    sk_diag_error(p->diags, at(c, c->rules ? c->rules : body),
                  "'rules' must be a non-empty list of rule ids or names");
    return false;
  }
  for (uint32_t i = 0; i < c->rules->n; i++)
    if (!scalar(p, c->rules->kids[i], "rules"))
      return false;
  const sk_ynode *group = sk_ymap_get(body, "group-by");
  if (group) {
    if (group->kind == SK_Y_SCALAR) {
      c->group[c->ngroup++] = group;
    } else if (group->kind == SK_Y_SEQ) {
      for (uint32_t i = 0; i < group->n; i++) {
        if (!scalar(p, group->kids[i], "group-by"))
          return false;
        if (c->ngroup == MAX_GROUP) {
          sk_diag_error(p->diags, group->kids[i]->loc, "too many group-by fields (limit is %d)",
                        MAX_GROUP);
          return false;
        }
        c->group[c->ngroup++] = group->kids[i];
      }
    } else {
      sk_diag_error(p->diags, group->loc, "'group-by' must be a list of field names");
      return false;
    }
  }
  c->aliases = sk_ymap_get(body, "aliases");
  if (c->aliases && c->aliases->kind != SK_Y_MAP) {
    sk_diag_error(p->diags, c->aliases->loc, "'aliases' must be a mapping");
    return false;
  }
  return parse_timespan(p, c, sk_ymap_get(body, "timespan")) &&
         parse_condition(p, c, sk_ymap_get(body, "condition"));
}

size_t sk_corr_refs(const sk_ynode *doc, sk_str *refs, size_t max, bool *generate) {
  const sk_ynode *body = sk_ymap_get(doc, "correlation");
  const sk_ynode *rules = sk_ymap_get(body, "rules"), *gen = sk_ymap_get(body, "generate");
  if (!gen)
    gen = sk_ymap_get(doc, "generate");
  *generate = gen && gen->kind == SK_Y_SCALAR &&
              (sk_str_eqic(gen->str, "true") || sk_str_eqic(gen->str, "yes"));
  size_t n = 0;
  for (uint32_t i = 0; rules && rules->kind == SK_Y_SEQ && i < rules->n && n < max; i++)
    if (rules->kids[i]->kind == SK_Y_SCALAR)
      refs[n++] = rules->kids[i]->str;
  return n;
}

/* ---- building the query ---- */

typedef struct builder {
  sk_corr_env *env;
  sk_buf lets;  /* every let statement, in order */
  unsigned next;
  const sk_ynode *stack[MAX_DEPTH]; /* correlations being built, for cycles */
  unsigned depth;
} builder;

static void ident(sk_buf *b, sk_str name) { sk_kql_ident(b, name); }

/* The field a group-by entry stands for in the rule named rule_name. */
static sk_str group_field(const corr *c, const sk_ynode *g, sk_str rule_name, sk_str rule_id) {
  if (c->aliases)
    for (uint32_t i = 0; i + 1 < c->aliases->n; i += 2)
      if (sk_str_eq(c->aliases->kids[i]->str, g->str)) {
        const sk_ynode *m = c->aliases->kids[i + 1];
        for (uint32_t k = 0; m->kind == SK_Y_MAP && k + 1 < m->n; k += 2)
          if ((rule_name.len && sk_str_eq(m->kids[k]->str, rule_name)) ||
              (rule_id.len && sk_str_eq(m->kids[k]->str, rule_id)))
            return m->kids[k + 1]->str;
      }
  return g->str;
}

static bool build_corr(builder *b, const corr *c, sk_buf *out);

/* Documents are loaded afresh for each reference: compare positions. */
static bool same_doc(const sk_ynode *a, const sk_ynode *b) {
  return a->loc.line == b->loc.line && a->loc.col == b->loc.col && a->loc.src && b->loc.src &&
         strcmp(a->loc.src->path, b->loc.src->path) == 0;
}

/* One referenced rule as a let statement; its rows carry TimeGenerated,
 * sigma_rule, sigma_order, the group-by columns and sigma_value. */
static bool build_ref(builder *b, const corr *c, uint32_t index, const char *let_name) {
  sk_corr_env *env = b->env;
  sk_pass *p = env->p;
  const sk_ynode *ref = c->rules->kids[index];
  const sk_source *src;
  const sk_ynode *doc;
  if (!env->lookup(env->ctx, p, ref->str, &src, &doc)) {
    sk_diag_error(p->diags, ref->loc, "no rule with id or name '%.*s' in this run",
                  (int)ref->str.len, ref->str.ptr);
    return false;
  }
  const sk_ynode *name = sk_ymap_get(doc, "name"), *id = sk_ymap_get(doc, "id");
  sk_str rname = name && name->kind == SK_Y_SCALAR ? name->str : (sk_str){0};
  sk_str rid = id && id->kind == SK_Y_SCALAR ? id->str : (sk_str){0};
  sk_buf cols = SK_BUF_INIT; /* the projected columns after TimeGenerated */
  sk_buf_puts(&cols, "sigma_rule = ");
  sk_kql_quote(&cols, ref->str, 0);
  sk_buf_printf(&cols, ", sigma_order = %u", index);
  bool ok = true;
  if (sk_ymap_get(doc, "correlation")) { /* a chain: the inner correlation's rows */
    for (unsigned i = 0; i < b->depth; i++)
      if (same_doc(b->stack[i], doc)) {
        sk_diag_error(p->diags, ref->loc, "correlation refers to itself through '%.*s'",
                      (int)ref->str.len, ref->str.ptr);
        sk_buf_free(&cols);
        return false;
      }
    corr inner;
    if (!parse(p, src, doc, &inner)) {
      sk_diag_error(p->diags, ref->loc, "referenced correlation '%.*s' does not convert",
                    (int)ref->str.len, ref->str.ptr);
      sk_buf_free(&cols);
      return false;
    }
    sk_buf body = SK_BUF_INIT;
    ok = build_corr(b, &inner, &body);
    if (ok) {
      /* the outer group-by must be among the inner one's output columns */
      for (uint32_t g = 0; g < c->ngroup && ok; g++) {
        sk_str f = group_field(c, c->group[g], rname, rid);
        bool found = false;
        for (uint32_t k = 0; k < inner.ngroup; k++)
          found |= sk_str_eq(inner.group[k]->str, f);
        if (!found) {
          sk_diag_error(p->diags, c->group[g]->loc,
                        "group-by field '%.*s' is not grouped by the correlation '%.*s'",
                        (int)f.len, f.ptr, (int)ref->str.len, ref->str.ptr);
          ok = false;
        }
        sk_buf_puts(&cols, ", ");
        ident(&cols, c->group[g]->str);
        sk_buf_puts(&cols, " = ");
        ident(&cols, f);
      }
      sk_buf_printf(&b->lets, "let %s = %s\n| project TimeGenerated = window_start, %s;\n",
                    let_name, body.ptr, cols.ptr);
    }
    sk_buf_free(&body);
    sk_buf_free(&cols);
    return ok;
  }
  sk_rule r;
  sk_parts parts;
  unsigned errors = p->diags->errors;
  if (!sk_rule_build(p, src, doc, &r) || !sk_pipelines_apply(p, env->pipelines, &r) ||
      !env->backend->parts(p, &r, &parts) || p->diags->errors != errors) {
    sk_diag_error(p->diags, ref->loc, "referenced rule '%.*s' does not convert",
                  (int)ref->str.len, ref->str.ptr);
    sk_buf_free(&cols);
    return false;
  }
  for (uint32_t g = 0; g < c->ngroup; g++) {
    sk_str f = group_field(c, c->group[g], rname, rid);
    const char *expr = parts.map_field(parts.mapper, f, c->group[g]->loc);
    if (!expr) {
      sk_diag_note(p->diags, ref->loc, "in the events of rule '%.*s'", (int)ref->str.len,
                   ref->str.ptr);
      ok = false;
      continue;
    }
    sk_buf_puts(&cols, ", ");
    ident(&cols, c->group[g]->str);
    sk_buf_printf(&cols, " = %s", expr);
  }
  if (c->field) {
    const char *expr = parts.map_field(parts.mapper, c->field->str, c->field->loc);
    if (!expr) {
      sk_diag_note(p->diags, ref->loc, "in the events of rule '%.*s'", (int)ref->str.len,
                   ref->str.ptr);
      ok = false;
    } else {
      sk_buf_printf(&cols, ", sigma_value = %s", expr);
    }
  }
  if (ok) {
    sk_buf_printf(&b->lets, "let %s = %s\n", let_name, parts.head);
    if (parts.filter[0])
      sk_buf_printf(&b->lets, "| where %s\n", parts.filter);
    sk_buf_printf(&b->lets, "| where %s\n| project TimeGenerated, %s;\n", parts.where, cols.ptr);
  }
  sk_buf_free(&cols);
  return ok;
}

/* "User, Host" for the by-clause and the join keys. */
static void group_list(sk_buf *b, const corr *c) {
  for (uint32_t g = 0; g < c->ngroup; g++) {
    ident(b, c->group[g]->str);
    sk_buf_puts(b, ", ");
  }
}

/* Appends the correlation's tabular expression (after its lets) to out. */
static bool build_corr(builder *b, const corr *c, sk_buf *out) {
  sk_pass *p = b->env->p;
  if (b->depth == MAX_DEPTH) {
    sk_diag_error(p->diags, c->doc->loc, "correlations chained too deeply (limit is %d)",
                  MAX_DEPTH);
    return false;
  }
  b->stack[b->depth++] = c->doc;
  char **names = sk_arena_array(p->arena, c->rules->n, sizeof *names);
  bool ok = true;
  for (uint32_t i = 0; i < c->rules->n; i++) {
    char nm[32];
    snprintf(nm, sizeof nm, "sigma_%u", ++b->next);
    names[i] = sk_arena_strndup(p->arena, nm, strlen(nm));
    ok &= build_ref(b, c, i, names[i]);
  }
  b->depth--;
  if (!ok)
    return false;
  sk_buf events = SK_BUF_INIT;
  if (c->rules->n == 1) {
    sk_buf_puts(&events, names[0]);
  } else {
    sk_buf_puts(&events, "union ");
    for (uint32_t i = 0; i < c->rules->n; i++)
      sk_buf_printf(&events, "%s%s", i ? ", " : "", names[i]);
  }
  sk_buf by = SK_BUF_INIT;
  group_list(&by, c);
  sk_buf_printf(&by, "window_start = bin(TimeGenerated, %.*s)", (int)c->timespan.len,
                c->timespan.ptr);
  const char *col = types[c->type].column;
  switch (c->type) {
  case C_EVENT_COUNT:
    sk_buf_printf(out, "%s\n| summarize event_count = count() by %s", events.ptr, by.ptr);
    break;
  case C_VALUE_COUNT:
    sk_buf_printf(out, "%s\n| summarize value_count = dcount(sigma_value) by %s", events.ptr,
                  by.ptr);
    break;
  case C_VALUE_SUM:
    sk_buf_printf(out, "%s\n| summarize value_sum = sum(todouble(sigma_value)) by %s",
                  events.ptr, by.ptr);
    break;
  case C_VALUE_AVG:
    sk_buf_printf(out, "%s\n| summarize value_avg = avg(todouble(sigma_value)) by %s",
                  events.ptr, by.ptr);
    break;
  case C_VALUE_MEDIAN:
    sk_buf_printf(out,
                  "%s\n| summarize value_median = percentile(todouble(sigma_value), 50) by %s",
                  events.ptr, by.ptr);
    break;
  case C_VALUE_PERCENTILE: {
    /* The share (in percent) of a window's events that have each value:
     * rare values are the ones under the condition. */
    sk_buf keys = SK_BUF_INIT;
    group_list(&keys, c);
    sk_buf_puts(&keys, "window_start");
    sk_buf_printf(out,
                  "%s\n| summarize value_events = count() by %s, sigma_value = tostring(sigma_value)"
                  "\n| join kind=inner (%s\n    | summarize window_events = count() by %s) on %s"
                  "\n| extend value_percentile = 100.0 * value_events / window_events",
                  events.ptr, by.ptr, events.ptr, by.ptr, keys.ptr);
    sk_buf_free(&keys);
    break;
  }
  case C_TEMPORAL:
  case C_TEMPORAL_ORDERED:
    sk_buf_printf(out, "%s\n| summarize rule_count = dcount(sigma_rule)", events.ptr);
    if (c->type == C_TEMPORAL_ORDERED)
      /* Each event as "<time>|<rule index>;", sorted by time: the rules'
       * order is a subsequence of that string. */
      sk_buf_puts(out, ", sigma_sequence = strcat_array(array_sort_asc(make_list(strcat("
                       "format_datetime(TimeGenerated, \"yyyy-MM-dd HH:mm:ss.fffffff\"), \"|\", "
                       "sigma_order, \";\"))), \"\")");
    sk_buf_printf(out, " by %s", by.ptr);
    break;
  }
  bool wrote_where = false;
  for (int i = 0; i < c->nconds; i++) {
    sk_buf_printf(out, "\n%s %s %s %s", wrote_where ? "  and" : "| where", col, c->cond[i],
                  c->value[i]);
    wrote_where = true;
  }
  if ((c->type == C_TEMPORAL || c->type == C_TEMPORAL_ORDERED) && !c->nconds) {
    sk_buf_printf(out, "\n| where rule_count == %u", c->rules->n);
    wrote_where = true;
  }
  if (c->type == C_TEMPORAL_ORDERED) {
    sk_buf re = SK_BUF_INIT;
    for (uint32_t i = 0; i < c->rules->n; i++)
      sk_buf_printf(&re, "%s\\|%u;", i ? ".*" : "", i);
    sk_buf_printf(out, "\n%s sigma_sequence matches regex ", wrote_where ? "  and" : "| where");
    sk_kql_quote(out, (sk_str){re.ptr, re.len}, 0);
    sk_buf_free(&re);
  }
  sk_buf_free(&events);
  sk_buf_free(&by);
  return true;
}

bool sk_corr_compile(sk_corr_env *env, const sk_source *src, const sk_ynode *doc,
                     sk_output *out) {
  sk_pass *p = env->p;
  if (!env->backend->parts) {
    sk_diag_error(p->diags, sk_ymap_key(doc, "correlation")->loc,
                  "this profile does not support correlation rules (the reference converter "
                  "does not)");
    return false;
  }
  corr c;
  if (!parse(p, src, doc, &c))
    return false;
  builder b = {.env = env};
  sk_buf body = SK_BUF_INIT;
  bool ok = build_corr(&b, &c, &body);
  if (ok) {
    sk_diag_warning(p->diags, c.timespan_node->loc,
                    "the %.*s window is a fixed time bin, not a sliding window: events on both "
                    "sides of a bin boundary are not correlated",
                    (int)c.timespan.len, c.timespan.ptr);
    sk_buf q = SK_BUF_INIT;
    sk_buf_put(&q, b.lets.ptr, b.lets.len);
    sk_buf_put(&q, body.ptr, body.len);
    sk_output_add(p->arena, out, q.ptr, q.len);
    out->table = "correlation";
    out->family = "correlation";
    sk_buf_free(&q);
  }
  sk_buf_free(&body);
  sk_buf_free(&b.lets);
  return ok;
}
