/* be_asim.c - Microsoft Sentinel over the ASIM parsers, default profile.
 * Routes a rule's log source to an ASIM schema and its built-in parser
 * (asim_routes.def), maps Sigma fields to the columns Microsoft's parsers
 * really fill (asim_fields.def), folds tests on columns the schema lacks
 * to false, and renders with kql.c. */
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "kql.h"
#include "pass_map.h"
#include "schema.h"

typedef struct route {
  const char *category, *product, *schema, *builtin, *workspace;
} route;

static const route routes[] = {
#define ROUTE(c, p, s, b, w) {c, p, s, b, w},
#include "asim_routes.def"
#undef ROUTE
};

typedef struct field_row {
  const char *schema, *field, *expr;
} field_row;

static const field_row fields[] = {
#define FIELD(s, f, e, note) {s, f, e},
#include "asim_fields.def"
#undef FIELD
};

/* A value prefix the parsers normalize, e.g. HKLM\ -> HKEY_LOCAL_MACHINE\ */
typedef struct prefix_row {
  const char *schema, *field, *from, *to;
} prefix_row;

static const prefix_row prefixes[] = {
#define PREFIX(s, f, from, to) {s, f, from, to},
#include "asim_values.def"
#undef PREFIX
};

typedef struct eventtype_row {
  const char *category, *value;
} eventtype_row;

static const eventtype_row eventtypes[] = {
#define EVENTTYPE(c, v) {c, v},
#include "asim_eventtypes.def"
#undef EVENTTYPE
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

typedef struct absent {
  sk_loc loc;
  sk_str field;
} absent;

typedef struct mapper {
  sk_pass *p;
  const route *rt;
  absent first_absent; /* the first test dropped in the current detection */
  bool any_absent;
} mapper;

static const route *find_route(const sk_rule *r) {
  for (size_t i = 0; i < COUNT(routes); i++) {
    const route *rt = &routes[i];
    if (!r->category.present || !sk_str_eqc(r->category.str, rt->category))
      continue;
    if (rt->product[0] && !(r->product.present && sk_str_eqc(r->product.str, rt->product)))
      continue;
    return rt;
  }
  return NULL;
}

static bool field_known(sk_str f) {
  for (size_t i = 0; i < COUNT(fields); i++)
    if (sk_str_eqc(f, fields[i].field))
      return true;
  return false;
}

/* Notes the closest field names this schema accepts. */
static void suggest_fields(mapper *mp, const sk_match *m) {
  const char *best[3] = {0};
  size_t dist[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
  const sk_column *cols;
  size_t ncols = sk_schema_table(&sk_schema_asim, mp->rt->schema, &cols);
  size_t total = COUNT(fields) + ncols;
  for (size_t i = 0; i < total; i++) {
    const char *cand;
    if (i < COUNT(fields)) {
      if (strcmp(fields[i].schema, mp->rt->schema) != 0)
        continue;
      cand = fields[i].field;
    } else {
      cand = cols[i - COUNT(fields)].name;
    }
    size_t d = sk_edit_distance(m->field, sk_str_c(cand));
    bool dup = false;
    for (int k = 0; k < 3; k++)
      dup |= best[k] && strcmp(best[k], cand) == 0;
    if (dup)
      continue;
    for (int k = 0; k < 3; k++)
      if (d < dist[k]) {
        for (int j = 2; j > k; j--)
          dist[j] = dist[j - 1], best[j] = best[j - 1];
        dist[k] = d;
        best[k] = cand;
        break;
      }
  }
  size_t limit = m->field.len / 3 + 2;
  if (!best[0] || dist[0] > limit)
    return;
  sk_buf b = SK_BUF_INIT;
  for (int k = 0; k < 3 && best[k] && dist[k] <= limit; k++)
    sk_buf_printf(&b, "%s'%s'", k ? ", " : "", best[k]);
  sk_diag_note(mp->p->diags, m->field_loc, "closest valid names: %s", b.ptr);
  sk_buf_free(&b);
}

/* Rewrites a value prefix the parser normalizes (after leading '*'s). */
static void rewrite_prefix(sk_arena *a, const char *schema, sk_match *m) {
  if (m->op != SK_MOP_STR)
    return;
  for (size_t i = 0; i < COUNT(prefixes); i++) {
    const prefix_row *pr = &prefixes[i];
    if (strcmp(pr->schema, schema) != 0 || !sk_str_eqc(m->field, pr->field))
      continue;
    size_t lead = 0;
    while (lead < m->value.len && m->value.ptr[lead] == SK_WILD_STAR)
      lead++;
    sk_str rest = {m->value.ptr + lead, m->value.len - lead};
    if (!sk_str_has_prefix_i(rest, pr->from))
      continue;
    size_t from = strlen(pr->from), to = strlen(pr->to);
    size_t len = m->value.len - from + to;
    char *s = sk_arena_alloc(a, len + 1);
    memcpy(s, m->value.ptr, lead);
    memcpy(s + lead, pr->to, to);
    memcpy(s + lead + to, rest.ptr + from, rest.len - from);
    m->value = (sk_str){s, len};
    return;
  }
}

/* Resolves a Sigma field to its column alternatives; 0 when absent, -1
 * when unknown. */
static int columns_of(const char *schema, sk_str field, const char **out, int max) {
  int n = 0;
  for (size_t i = 0; i < COUNT(fields) && n < max; i++)
    if (strcmp(fields[i].schema, schema) == 0 && sk_str_eqc(field, fields[i].field))
      out[n++] = fields[i].expr;
  if (n)
    return n;
  const sk_column *c = sk_schema_find(&sk_schema_asim, schema, field);
  if (c && !c->alias) {
    out[0] = c->name;
    return 1;
  }
  if (c) { /* an alias: the parsers define it, so it can be used */
    out[0] = c->name;
    return 1;
  }
  return field_known(field) ? 0 : -1;
}

static void set_column(sk_match *m, const char *schema, const char *expr) {
  m->column = sk_str_c(expr);
  m->column_is_expr = !sk_kql_ident_ok(m->column);
  const sk_column *c = m->column_is_expr ? NULL : sk_schema_find(&sk_schema_asim, schema, m->column);
  m->type = c ? c->type : SK_TY_STRING;
}

static sk_node *map_match(void *ctx, sk_node *n) {
  mapper *mp = ctx;
  sk_pass *p = mp->p;
  const sk_match *m = n->as.match;
  const char *schema = mp->rt->schema;
  if (!m->field.len) { /* keyword: searched in every column */
    sk_node *k = sk_match_copy(p->arena, n);
    k->as.match->type = SK_TY_STRING;
    return k;
  }
  const char *cols[8];
  int nc = columns_of(schema, m->field, cols, 8);
  if (nc < 0) {
    sk_diag_error(p->diags, m->field_loc, "unknown field '%.*s' for ASIM schema %s (%s)",
                  (int)m->field.len, m->field.ptr, schema, mp->rt->builtin);
    suggest_fields(mp, m);
    return NULL;
  }
  /* A fieldref names a second field that must be mapped too. */
  const char *ref = NULL;
  if (m->op == SK_MOP_FIELDREF) {
    const char *rc[1];
    int rn = columns_of(schema, m->value, rc, 1);
    if (rn < 0) {
      sk_diag_error(p->diags, m->value_loc, "unknown field '%.*s' for ASIM schema %s (%s)",
                    (int)m->value.len, m->value.ptr, schema, mp->rt->builtin);
      return NULL;
    }
    if (rn == 0)
      nc = 0;
    else
      ref = rc[0];
  }
  if (nc == 0) {
    if (!mp->any_absent)
      mp->first_absent = (absent){m->field_loc, m->field};
    mp->any_absent = true;
    return sk_node_new(p->arena, SK_N_FALSE, n->loc);
  }
  sk_node *or = nc > 1 ? sk_node_list(p->arena, SK_N_OR, n->loc, (uint32_t)nc) : NULL;
  for (int i = 0; i < nc; i++) {
    sk_node *k = sk_match_copy(p->arena, n);
    set_column(k->as.match, schema, cols[i]);
    rewrite_prefix(p->arena, schema, k->as.match);
    if (ref) {
      sk_buf b = SK_BUF_INIT;
      if (sk_kql_ident_ok(sk_str_c(ref)))
        sk_buf_puts(&b, ref);
      else
        sk_buf_printf(&b, "%s", ref);
      k->as.match->value = (sk_str){sk_arena_strndup(p->arena, b.ptr, b.len), b.len};
      sk_buf_free(&b);
    }
    if (!or)
      return k;
    or->kids[i] = k;
  }
  return or;
}

/* Keeps only the events of the rule's category: EventType in (...) and
 * the detection. */
static sk_node *with_eventtype(sk_arena *a, const sk_rule *r, sk_node *tree) {
  uint32_t n = 0;
  for (size_t i = 0; i < COUNT(eventtypes); i++)
    n += sk_str_eqc(r->category.str, eventtypes[i].category);
  if (!n)
    return tree;
  sk_node *or = sk_node_list(a, SK_N_OR, r->logsource_loc, n);
  n = 0;
  for (size_t i = 0; i < COUNT(eventtypes); i++)
    if (sk_str_eqc(r->category.str, eventtypes[i].category)) {
      sk_node *m = sk_node_new(a, SK_N_MATCH, r->logsource_loc);
      m->as.match = SK_NEW(a, sk_match);
      m->as.match->op = SK_MOP_STR;
      m->as.match->flags = SK_MF_CASED; /* EventType values are exact words */
      m->as.match->value = sk_str_c(eventtypes[i].value);
      m->as.match->column = SK_STR_LIT("EventType");
      m->as.match->type = SK_TY_STRING;
      or->kids[n++] = m;
    }
  sk_node *and = sk_node_list(a, SK_N_AND, r->logsource_loc, 2);
  and->kids[0] = n == 1 ? or->kids[0] : or;
  and->kids[1] = tree;
  return sk_fold(a, and);
}

static bool compile(sk_pass *p, const sk_rule *r, sk_output *out) {
  const route *rt = find_route(r);
  if (!rt) {
    sk_loc at = r->category.present ? r->category.loc : r->logsource_loc;
    sk_diag_error(p->diags, at, "no ASIM route for log source (category: %.*s, product: %.*s%s%.*s)",
                  r->category.present ? (int)r->category.str.len : 1,
                  r->category.present ? r->category.str.ptr : "-",
                  r->product.present ? (int)r->product.str.len : 1,
                  r->product.present ? r->product.str.ptr : "-",
                  r->service.present ? ", service: " : "",
                  r->service.present ? (int)r->service.str.len : 0,
                  r->service.present ? r->service.str.ptr : "");
    return false;
  }
  mapper mp = {.p = p, .rt = rt};
  /* Map each detection once; then resolve the condition over the result. */
  sk_detection *dets = sk_arena_array(p->arena, r->ndets + 1, sizeof *dets);
  absent first = {0};
  bool ok = true;
  for (uint32_t i = 0; i < r->ndets; i++) {
    dets[i] = r->dets[i];
    mp.any_absent = false;
    sk_node *t = sk_map_tree(p->arena, r->dets[i].tree, map_match, &mp);
    if (!t) {
      ok = false;
      continue;
    }
    t = sk_fold(p->arena, t);
    dets[i].tree = t;
    if (!mp.any_absent)
      continue;
    if (!first.field.len)
      first = mp.first_absent;
    if (t->kind == SK_N_FALSE)
      sk_diag_warning(p->diags, mp.first_absent.loc,
                      "detection '%.*s' can never match on %s: %s has no column for '%.*s'; "
                      "it is dropped",
                      (int)r->dets[i].name.len, r->dets[i].name.ptr, rt->builtin, rt->schema,
                      (int)mp.first_absent.field.len, mp.first_absent.field.ptr);
    else
      sk_diag_warning(p->diags, mp.first_absent.loc,
                      "%s has no column for '%.*s'; its tests in detection '%.*s' never match",
                      rt->schema, (int)mp.first_absent.field.len, mp.first_absent.field.ptr,
                      (int)r->dets[i].name.len, r->dets[i].name.ptr);
  }
  if (!ok)
    return false;
  sk_node *all = sk_node_list(p->arena, SK_N_OR, r->cond_loc, r->nconds);
  for (uint32_t i = 0; i < r->nconds; i++)
    all->kids[i] = sk_cond_resolve(p->arena, p->diags, r->cond_raw[i], dets, r->ndets, false);
  sk_node *tree = sk_fold(p->arena, all);
  if (tree->kind == SK_N_FALSE) {
    sk_loc at = first.field.len ? first.loc : r->cond_loc;
    sk_diag_error(p->diags, at, "rule can never match on %s: %s has no column for '%.*s'",
                  rt->builtin, rt->schema, (int)first.field.len, first.field.ptr);
    return false;
  }
  if (tree->kind == SK_N_TRUE) {
    sk_diag_error(p->diags, r->cond_loc,
                  "rule would match every event of %s once untranslatable tests are dropped",
                  rt->builtin);
    return false;
  }
  tree = with_eventtype(p->arena, r, tree);
  sk_buf q = SK_BUF_INIT;
  sk_buf_printf(&q, "%s\n| where ", rt->builtin);
  sk_kql_render(&q, tree);
  sk_output_add(p->arena, out, q.ptr, q.len);
  out->table = rt->builtin;
  sk_buf_free(&q);
  return true;
}

const sk_backend sk_backend_asim = {
    .target = "asim",
    .profile = "default",
    .summary = "Microsoft Sentinel, ASIM parsers (_Im_*), columns as the parsers fill them",
    .compile = compile,
};
