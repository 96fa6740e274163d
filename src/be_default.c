/* be_default.c - the default profile of every target: queries correct on
 * the columns the data really has. Everything target-specific is data
 * (docs/mapping-data.md): SOURCE rows (a parser or table and its schema),
 * ROUTE rows (log source -> source, with a filter), FIELD / FALLBACK /
 * ABSENT rows (Sigma field -> column or expression) and PREFIX rows (value
 * prefixes the data normalizes). Tests on columns a source lacks fold to
 * false; the KQL is written by kql.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "implied.h"
#include "kql.h"
#include "pass_map.h"
#include "schema.h"

typedef struct source {
  const char *name, *head, *family, *columns, *table, *fields;
} source;

typedef struct route {
  const char *target, *category, *product, *service;
  const char *events; /* ROUTE_EVENTS: the EventID values the rule must require; "" for any */
  const char *source, *filter;
} route;

typedef struct field_row {
  enum { F_FIELD, F_FALLBACK, F_ABSENT } kind;
  const char *fields, *sigma, *expr;
  size_t sigma_len; /* counted when compiling: lookups compare it, not strlen */
} field_row;

typedef struct prefix_row {
  const char *fields, *sigma, *from, *to;
} prefix_row;

#define SOURCE(n, h, f, c, t, m) {n, h, f, c, t, m},
#define ROUTE(tg, c, p, s, src, flt)
#define ROUTE_EVENTS(tg, c, p, s, ev, src, flt)
static const source sources[] = {
#include "asim_sources.def"
#include "native_sources.def"
#include "xdr_sources.def"
};
#undef SOURCE
#undef ROUTE
#undef ROUTE_EVENTS

#define SOURCE(n, h, f, c, t, m)
#define ROUTE(tg, c, p, s, src, flt) {tg, c, p, s, "", src, flt},
#define ROUTE_EVENTS(tg, c, p, s, ev, src, flt) {tg, c, p, s, ev, src, flt},
static const route routes[] = {
#include "asim_sources.def"
#include "native_sources.def"
#include "xdr_sources.def"
};
#undef SOURCE
#undef ROUTE
#undef ROUTE_EVENTS

#define FIELD(m, f, e, note) {F_FIELD, m, f, e, sizeof(f) - 1},
#define FALLBACK(m, pattern, note) {F_FALLBACK, m, NULL, pattern, 0},
#define ABSENT(m, f, note) {F_ABSENT, m, f, NULL, sizeof(f) - 1},
static const field_row fields[] = {
#include "asim_fields.def"
#include "native_fields.def"
#include "xdr_fields.def"
};
#undef FIELD
#undef FALLBACK
#undef ABSENT

#define PREFIX(m, f, from, to) {m, f, from, to},
static const prefix_row prefixes[] = {
#include "asim_values.def"
#include "xdr_values.def"
    {NULL, NULL, NULL, NULL},
};
#undef PREFIX

#define COUNT(a) (sizeof(a) / sizeof *(a))

static const source *find_source(const char *name) {
  for (size_t i = 0; i < COUNT(sources); i++)
    if (strcmp(sources[i].name, name) == 0)
      return &sources[i];
  return NULL;
}

/* "" matches anything; "-" only an absent key. */
static bool key_matches(const char *want, const sk_field *have) {
  if (!want[0])
    return true;
  if (strcmp(want, "-") == 0)
    return !have->present;
  return have->present && sk_str_eqic(have->str, want);
}

/* Does the route's target and log source (the keys, not the events) fit? */
static bool logsource_matches(const route *rt, const char *target, const sk_rule *r) {
  return strcmp(rt->target, target) == 0 && key_matches(rt->category, &r->category) &&
         key_matches(rt->product, &r->product) && key_matches(rt->service, &r->service);
}

/* The first route whose log source matches; a ROUTE_EVENTS row also needs
 * the rule to require event ids of its list (worked out once, and only
 * for a rule that reaches such a row). */
static const route *find_route(const char *target, const sk_rule *r) {
  sk_implied ids = {.known = false};
  bool have_ids = false;
  for (size_t i = 0; i < COUNT(routes); i++) {
    const route *rt = &routes[i];
    if (!logsource_matches(rt, target, r))
      continue;
    if (!rt->events[0])
      return rt;
    if (!have_ids) {
      ids = sk_implied_values(r->conds, r->nconds, SK_STR_LIT("EventID"));
      have_ids = true;
    }
    if (sk_implied_within(&ids, rt->events))
      return rt;
  }
  return NULL;
}

typedef struct absent {
  sk_loc loc;
  sk_str field;
} absent;

typedef struct mapper {
  sk_pass *p;
  const source *src; /* NULL: a table named by a pipeline, fields as written */
  const sk_schema *schema;
  const sk_column *cols; /* the columns of src's table */
  size_t ncols;
  const field_row *const *rows;  /* the rows of src's field map, in order */
  const field_row *const *named; /* the same rows sorted by Sigma field */
  size_t nrows;
  const field_row *fallback;
  const prefix_row *const *prefixes; /* the value prefixes src's map rewrites */
  size_t nprefixes;
  absent first_absent; /* the first test dropped in the current detection */
  bool any_absent;
  bool any_const; /* some test was decided by a field constant on the source */
  absent first_false; /* the first such test that was false */
  sk_str false_value; /* the constant it was tested against */
} mapper;

/* The rows of each field map, grouped once per process: a rule's lookups
 * then see its map's rows only, not the thousand of every target. Each map
 * has its rows twice: in file order (grouped), and sorted by Sigma field
 * with file order kept among equal names (named), for binary search. */
static const field_row *grouped[COUNT(fields)], *named[COUNT(fields)];
static const field_row *all_named[COUNT(fields)]; /* every row, sorted likewise */
static struct {
  const char *name;
  uint32_t first, n;
  const field_row *fallback; /* the map's first FALLBACK row, if any */
} maps[COUNT(fields)];
static size_t nmaps;
/* The value prefix rows the same way: grouped by map, in file order. */
static const prefix_row *grouped_prefixes[COUNT(prefixes)];
static struct {
  const char *name;
  uint32_t first, n;
} prefix_maps[COUNT(prefixes)];
static size_t nprefix_maps;
static pthread_once_t grouped_once = PTHREAD_ONCE_INIT;

static int cmp_named(const void *a, const void *b) {
  const field_row *x = *(const field_row *const *)a, *y = *(const field_row *const *)b;
  int r = strcmp(x->sigma ? x->sigma : "", y->sigma ? y->sigma : "");
  return r ? r : (x > y) - (x < y); /* rows are in file order in fields[] */
}

static void group_rows(void) {
  size_t at = 0;
  for (size_t i = 0; i < COUNT(fields); i++) {
    size_t m = 0;
    while (m < nmaps && strcmp(maps[m].name, fields[i].fields) != 0)
      m++;
    if (m < nmaps)
      continue; /* grouped with the first row of its map */
    maps[nmaps].name = fields[i].fields;
    maps[nmaps].first = (uint32_t)at;
    for (size_t j = i; j < COUNT(fields); j++)
      if (strcmp(fields[j].fields, fields[i].fields) == 0) {
        if (fields[j].kind == F_FALLBACK && !maps[nmaps].fallback)
          maps[nmaps].fallback = &fields[j];
        grouped[at++] = &fields[j];
      }
    maps[nmaps].n = (uint32_t)(at - maps[nmaps].first);
    memcpy(&named[maps[nmaps].first], &grouped[maps[nmaps].first],
           maps[nmaps].n * sizeof *named);
    qsort(&named[maps[nmaps].first], maps[nmaps].n, sizeof *named, cmp_named);
    nmaps++;
  }
  for (size_t i = 0; i < COUNT(fields); i++)
    all_named[i] = &fields[i];
  qsort(all_named, COUNT(fields), sizeof *all_named, cmp_named);
  at = 0;
  for (size_t i = 0; prefixes[i].fields; i++) {
    size_t m = 0;
    while (m < nprefix_maps && strcmp(prefix_maps[m].name, prefixes[i].fields) != 0)
      m++;
    if (m < nprefix_maps)
      continue; /* grouped with the first row of its map */
    prefix_maps[m].name = prefixes[i].fields;
    prefix_maps[m].first = (uint32_t)at;
    for (size_t j = i; prefixes[j].fields; j++)
      if (strcmp(prefixes[j].fields, prefixes[i].fields) == 0)
        grouped_prefixes[at++] = &prefixes[j];
    prefix_maps[m].n = (uint32_t)(at - prefix_maps[m].first);
    nprefix_maps++;
  }
}

static void collect_rows(mapper *mp) {
  pthread_once(&grouped_once, group_rows);
  for (size_t m = 0; m < nmaps; m++)
    if (strcmp(maps[m].name, mp->src->fields) == 0) {
      mp->rows = &grouped[maps[m].first];
      mp->named = &named[maps[m].first];
      mp->nrows = maps[m].n;
      mp->fallback = maps[m].fallback;
      break;
    }
  for (size_t m = 0; m < nprefix_maps; m++)
    if (strcmp(prefix_maps[m].name, mp->src->fields) == 0) {
      mp->prefixes = &grouped_prefixes[prefix_maps[m].first];
      mp->nprefixes = prefix_maps[m].n;
      break;
    }
}

/* The rows of a sorted array (named, all_named) for one Sigma field, in
 * file order: *first and the count. */
static size_t rows_named(const field_row *const *rows, size_t n, sk_str field,
                         const field_row *const **first) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (sk_str_cmp((sk_str){rows[mid]->sigma, rows[mid]->sigma_len}, field) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t end = lo;
  while (end < n && sk_str_eq(field, (sk_str){rows[end]->sigma, rows[end]->sigma_len}))
    end++;
  *first = rows + lo;
  return end - lo;
}

/* A field some other map of the same schema set knows: a known Sigma field
 * that this source simply lacks. */
static bool known_elsewhere(const source *src, sk_str f) {
  const field_row *const *rows;
  size_t n = rows_named(all_named, COUNT(all_named), f, &rows);
  for (size_t i = 0; i < n; i++) {
    const field_row *fr = rows[i];
    if (fr->kind == F_ABSENT && strcmp(fr->fields, src->fields) == 0)
      return true;
    for (size_t s = 0; s < COUNT(sources); s++)
      if (strcmp(sources[s].fields, fr->fields) == 0 &&
          strcmp(sources[s].columns, src->columns) == 0)
        return true;
  }
  return false;
}

/* A FALLBACK pattern with its "%s" replaced by the field's name, written
 * as KQL needs it: EventData.['where'] for a keyword, not EventData.where,
 * which does not parse. */
static const char *fill_fallback(sk_arena *a, const char *pat, sk_str field) {
  sk_buf b = SK_BUF_INIT;
  const char *pct = strstr(pat, "%s");
  sk_buf_put(&b, pat, (size_t)(pct - pat));
  sk_kql_ident(&b, field);
  sk_buf_puts(&b, pct + 2);
  const char *s = sk_arena_strndup(a, b.ptr, b.len);
  sk_buf_free(&b);
  return s;
}

/* Resolves a Sigma field to its column alternatives (arena strings);
 * 0 when the source lacks it, -1 when it is unknown. */
static int columns_of(mapper *mp, sk_str field, const char **out, int max) {
  const source *src = mp->src;
  const field_row *const *rows;
  size_t nrows = rows_named(mp->named, mp->nrows, field, &rows);
  int n = 0;
  for (size_t i = 0; i < nrows && n < max; i++)
    if (rows[i]->kind == F_FIELD)
      out[n++] = rows[i]->expr;
  if (n)
    return n;
  for (size_t i = 0; i < nrows; i++)
    if (rows[i]->kind == F_ABSENT)
      return 0;
  const sk_column *c = sk_schema_column(mp->cols, mp->ncols, field);
  if (c) {
    out[0] = c->name;
    return 1;
  }
  if (sk_str_is_ident(field) && mp->fallback) {
    out[0] = fill_fallback(mp->p->arena, mp->fallback->expr, field);
    return 1;
  }
  return known_elsewhere(src, field) ? 0 : -1;
}

/* Notes the closest field names this source accepts. */
static void suggest_fields(mapper *mp, const sk_match *m) {
  const char *best[3] = {0};
  size_t dist[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
  size_t limit = m->field.len / 3 + 2;
  const sk_column *cols = mp->cols;
  size_t ncols = mp->ncols;
  sk_edit_name field;
  sk_edit_name_init(&field, m->field);
  for (size_t i = 0; i < mp->nrows + ncols; i++) {
    sk_str cand;
    if (i < mp->nrows) {
      if (mp->rows[i]->kind != F_FIELD)
        continue;
      cand = (sk_str){mp->rows[i]->sigma, mp->rows[i]->sigma_len};
    } else {
      cand = (sk_str){cols[i - mp->nrows].name, cols[i - mp->nrows].len};
    }
    /* only a candidate closer than the third best can still enter */
    size_t d = sk_edit_distance_to(&field, cand, dist[2] <= limit ? dist[2] - 1 : limit);
    if (d == SIZE_MAX)
      continue;
    bool dup = false;
    for (int k = 0; k < 3; k++)
      dup |= best[k] && strcmp(best[k], cand.ptr) == 0;
    for (int k = 0; k < 3 && !dup; k++)
      if (d < dist[k]) {
        for (int j = 2; j > k; j--)
          dist[j] = dist[j - 1], best[j] = best[j - 1];
        dist[k] = d;
        best[k] = cand.ptr;
        break;
      }
  }
  if (!best[0])
    return;
  sk_buf b = SK_BUF_INIT;
  for (int k = 0; k < 3 && best[k]; k++)
    sk_buf_printf(&b, "%s'%s'", k ? ", " : "", best[k]);
  sk_diag_note(mp->p->diags, m->field_loc, "closest valid names: %s", b.ptr);
  sk_buf_free(&b);
}

/* Rewrites a value prefix the data normalizes (after leading '*'s). */
static void rewrite_prefix(sk_arena *a, const mapper *mp, sk_match *m) {
  if (m->op != SK_MOP_STR)
    return;
  for (size_t i = 0; i < mp->nprefixes; i++) {
    const prefix_row *pr = mp->prefixes[i];
    if (!sk_str_eqc(m->field, pr->sigma))
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

/* The text of a FIELD expression that is a plain "..." literal with no
 * escapes, the value of a field constant on its source; else {NULL, 0}. */
static sk_str string_literal(const char *expr) {
  size_t n = strlen(expr);
  if (n < 2 || expr[0] != '"' || expr[n - 1] != '"' || memchr(expr + 1, '"', n - 2) ||
      memchr(expr + 1, '\\', n - 2))
    return (sk_str){NULL, 0};
  return (sk_str){expr + 1, n - 2};
}

static void set_column(mapper *mp, sk_match *m, const char *expr) {
  m->column = sk_str_c(expr);
  m->column_ident = sk_kql_ident_ok(m->column);
  m->column_is_expr = !m->column_ident;
  const sk_column *c =
      m->column_is_expr ? NULL : sk_schema_column(mp->cols, mp->ncols, m->column);
  m->type = c ? c->type : SK_TY_STRING;
}

static sk_node *map_match(void *ctx, sk_node *n) {
  mapper *mp = ctx;
  sk_pass *p = mp->p;
  const sk_match *m = n->as.match;
  if (!m->field.len) { /* keyword: searched in every column */
    sk_node *k = sk_match_copy(p->arena, n);
    k->as.match->type = SK_TY_STRING;
    return k;
  }
  if (!mp->src) { /* the pipeline's own table: its fields are its columns */
    sk_node *k = sk_match_copy(p->arena, n);
    k->as.match->column = m->field;
    k->as.match->type = SK_TY_STRING;
    return k;
  }
  const char *cols[8];
  int nc = columns_of(mp, m->field, cols, 8);
  if (nc < 0) {
    sk_diag_error(p->diags, m->field_loc, "unknown field '%.*s' for %s (%s)", (int)m->field.len,
                  m->field.ptr, mp->src->head, mp->src->family);
    suggest_fields(mp, m);
    return NULL;
  }
  /* A fieldref names a second field that must be mapped too. */
  const char *ref = NULL;
  if (m->op == SK_MOP_FIELDREF) {
    const char *rc[8];
    int rn = columns_of(mp, m->value, rc, 8);
    if (rn < 0) {
      sk_diag_error(p->diags, m->value_loc, "unknown field '%.*s' for %s (%s)",
                    (int)m->value.len, m->value.ptr, mp->src->head, mp->src->family);
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
    sk_str lit = string_literal(cols[i]);
    int known = lit.ptr && !ref ? sk_match_const(m, lit) : -1;
    sk_node *k;
    if (known >= 0) { /* a field every event of the source has the same value of */
      mp->any_const = true;
      if (!known && !mp->first_false.field.len) {
        mp->first_false = (absent){m->field_loc, m->field};
        mp->false_value = lit;
      }
      k = sk_node_new(p->arena, known ? SK_N_TRUE : SK_N_FALSE, n->loc);
    } else {
      k = sk_match_copy(p->arena, n);
      set_column(mp, k->as.match, cols[i]);
      rewrite_prefix(p->arena, mp, k->as.match);
    }
    if (ref)
      k->as.match->value = sk_str_c(ref);
    if (!or)
      return k;
    or->kids[i] = k;
  }
  return or;
}

static void no_route(sk_pass *p, const sk_rule *r, const char *target) {
  sk_loc at = r->category.present  ? r->category.loc
              : r->service.present ? r->service.loc
              : r->product.present ? r->product.loc
                                   : r->logsource_loc;
  sk_buf ls = SK_BUF_INIT;
  const sk_field *keys[] = {&r->product, &r->category, &r->service};
  const char *names[] = {"product", "category", "service"};
  for (int i = 0; i < 3; i++)
    if (keys[i]->present)
      sk_buf_printf(&ls, "%s%s: %.*s", ls.len ? ", " : "", names[i], (int)keys[i]->str.len,
                    keys[i]->str.ptr);
  sk_diag_error(p->diags, at, "no %s table for log source (%s)", target,
                ls.len ? ls.ptr : "none given");
  /* Routes of this log source that the rule's event ids did not reach. */
  sk_buf ids = SK_BUF_INIT;
  for (size_t i = 0; i < COUNT(routes); i++) {
    const route *rt = &routes[i];
    if (rt->events[0] && logsource_matches(rt, target, r)) {
      if (ids.len)
        sk_buf_puts(&ids, ", ");
      for (const char *e = rt->events; *e; e++) /* "4624 4625" as "4624, 4625" */
        if (*e == ' ')
          sk_buf_puts(&ids, ", ");
        else
          sk_buf_putc(&ids, *e);
    }
  }
  if (ids.len)
    sk_diag_note(p->diags, at, "%s reads this log source only for rules whose condition requires "
                 "EventID %s", target, ids.ptr);
  sk_buf_free(&ids);
  sk_buf_free(&ls);
}

/* A pipeline's set_state query_table: read that table, fields as written. */
static const source *pipeline_table(sk_arena *a, const sk_rule *r, route *rt) {
  source *src = SK_NEW(a, source);
  src->head = sk_arena_strndup(a, r->query_table.ptr, r->query_table.len);
  src->name = src->head;
  src->family = "table set by a pipeline";
  src->columns = src->table = src->fields = "";
  *rt = (route){"", "", "", "", "", src->name, ""};
  return src;
}

/* Routes, maps and folds a rule: the parts of its query. */
static bool build(const char *target, sk_pass *p, const sk_rule *r, sk_parts *out) {
  route custom;
  const route *rt = r->query_table.len ? &custom : find_route(target, r);
  const source *src = r->query_table.len ? pipeline_table(p->arena, r, &custom)
                      : rt                ? find_source(rt->source)
                                          : NULL;
  if (!src) {
    no_route(p, r, target);
    return false;
  }
  if (!r->query_table.len && strcmp(target, "asim") == 0 && strcmp(src->columns, "asim") != 0)
    sk_diag_warning(p->diags, r->logsource_loc,
                    "no ASIM parser for this log source; reading the %s %s", src->family,
                    src->head);
  mapper *mp = SK_NEW(p->arena, mapper);
  *mp = (mapper){.p = p, .src = r->query_table.len ? NULL : src, .schema = sk_schema_set(src->columns)};
  if (mp->src) {
    collect_rows(mp);
    mp->ncols = sk_schema_table(mp->schema, src->table, &mp->cols);
  }
  /* Map each detection once; then resolve the condition over the result. */
  sk_detection *dets = sk_arena_array(p->arena, r->ndets + 1, sizeof *dets);
  absent first = {0};
  bool ok = true;
  for (uint32_t i = 0; i < r->ndets; i++) {
    dets[i] = r->dets[i];
    mp->any_absent = false;
    sk_node *t = sk_map_tree(p->arena, r->dets[i].tree, map_match, mp);
    if (!t) {
      ok = false;
      continue;
    }
    t = sk_fold(p->arena, t);
    dets[i].tree = t;
    if (!mp->any_absent)
      continue;
    if (!first.field.len)
      first = mp->first_absent;
    if (t->kind == SK_N_FALSE)
      sk_diag_warning(p->diags, mp->first_absent.loc,
                      "detection '%.*s' can never match on %s: it has no column for '%.*s'; "
                      "it is dropped",
                      (int)r->dets[i].name.len, r->dets[i].name.ptr, src->head,
                      (int)mp->first_absent.field.len, mp->first_absent.field.ptr);
    else
      sk_diag_warning(p->diags, mp->first_absent.loc,
                      "%s has no column for '%.*s'; its tests in detection '%.*s' never match",
                      src->head, (int)mp->first_absent.field.len, mp->first_absent.field.ptr,
                      (int)r->dets[i].name.len, r->dets[i].name.ptr);
  }
  if (!ok)
    return false;
  sk_node *all = sk_node_list(p->arena, SK_N_OR, r->cond_loc, r->nconds);
  for (uint32_t i = 0; i < r->nconds; i++)
    all->kids[i] = sk_cond_resolve(p->arena, p->diags, r->cond_raw[i], dets, r->ndets, false);
  sk_node *tree = sk_fold(p->arena, all);
  /* Without a dropped test, a constant outcome comes from fields every row
   * of the source has the same value of ("EventID: 7045" where every row is
   * a service installation). */
  if (tree->kind == SK_N_FALSE && (first.field.len || !mp->any_const)) {
    sk_loc at = first.field.len ? first.loc : r->cond_loc;
    sk_diag_error(p->diags, at, "rule can never match on %s: it has no column for '%.*s'",
                  src->head, (int)first.field.len, first.field.ptr);
    return false;
  }
  if (tree->kind == SK_N_FALSE) {
    sk_diag_error(p->diags, mp->first_false.loc,
                  "rule can never match on %s: every event there has %.*s '%.*s'", src->head,
                  (int)mp->first_false.field.len, mp->first_false.field.ptr,
                  (int)mp->false_value.len, mp->false_value.ptr);
    return false;
  }
  if (tree->kind == SK_N_TRUE && (first.field.len || !mp->any_const)) {
    sk_diag_error(p->diags, r->cond_loc,
                  "rule would match every event of %s once untranslatable tests are dropped",
                  src->head);
    return false;
  }
  if (tree->kind == SK_N_TRUE) {
    out->where = "true"; /* every event the route keeps */
  } else {
    sk_buf q = SK_BUF_INIT;
    sk_kql_render(&q, tree);
    out->where = sk_arena_strndup(p->arena, q.ptr, q.len);
    sk_buf_free(&q);
  }
  out->head = src->head;
  out->filter = rt->filter;
  out->family = src->family;
  out->mapper = mp;
  return true;
}

/* sk_parts.map_field: the first alternative of a field's mapping. */
static const char *map_field(void *ctx, sk_str field, sk_loc loc) {
  mapper *mp = ctx;
  if (!mp->src) /* a pipeline's table: fields as written */
    return sk_arena_strndup(mp->p->arena, field.ptr, field.len);
  const char *cols[8];
  int n = columns_of(mp, field, cols, 8);
  if (n <= 0) {
    sk_diag_error(mp->p->diags, loc, "%s has no column for '%.*s'", mp->src->head,
                  (int)field.len, field.ptr);
    return NULL;
  }
  if (n > 1)
    sk_diag_warning(mp->p->diags, loc, "'%.*s' maps to several columns of %s; using %s",
                    (int)field.len, field.ptr, mp->src->head, cols[0]);
  if (sk_kql_ident_ok(sk_str_c(cols[0])) || strchr(cols[0], '('))
    return cols[0];
  sk_buf b = SK_BUF_INIT; /* a column name that needs quoting */
  sk_kql_ident(&b, sk_str_c(cols[0]));
  const char *s = sk_arena_strndup(mp->p->arena, b.ptr, b.len);
  sk_buf_free(&b);
  return s;
}

static bool parts(const char *target, sk_pass *p, const sk_rule *r, sk_parts *out) {
  if (!build(target, p, r, out))
    return false;
  out->map_field = map_field;
  return true;
}

static bool compile(const char *target, sk_pass *p, const sk_rule *r, sk_output *out) {
  sk_parts pt;
  if (!build(target, p, r, &pt))
    return false;
  sk_buf q = SK_BUF_INIT;
  sk_buf_puts(&q, pt.head); /* puts, not printf: a query can be megabytes */
  if (pt.filter[0]) {
    sk_buf_puts(&q, "\n| where ");
    sk_buf_puts(&q, pt.filter);
  }
  sk_buf_puts(&q, "\n| where ");
  sk_buf_puts(&q, pt.where);
  sk_output_add(p->arena, out, q.ptr, q.len);
  out->table = pt.head;
  out->family = pt.family;
  sk_buf_free(&q);
  return true;
}

#define TARGET(t, summary_text)                                                          \
  static bool compile_##t(sk_pass *p, const sk_rule *r, sk_output *out) {                \
    return compile(#t, p, r, out);                                                      \
  }                                                                                      \
  static bool parts_##t(sk_pass *p, const sk_rule *r, sk_parts *out) {                   \
    return parts(#t, p, r, out);                                                        \
  }                                                                                      \
  const sk_backend sk_backend_##t = {.target = #t,                                       \
                                     .profile = "default",                               \
                                     .summary = summary_text,                            \
                                     .compile = compile_##t,                             \
                                     .parts = parts_##t};

TARGET(asim, "Microsoft Sentinel: ASIM parsers (_Im_*), native tables where none exists")
TARGET(xdr, "Microsoft Defender XDR advanced hunting tables")
TARGET(monitor, "Azure Monitor / Log Analytics native tables, no ASIM parsers")

/* ---- the data check (run at build time by check_data.c) ---- */

/* Words of KQL that are not column names in our expressions. */
static bool kql_word(sk_str w) {
  static const char *const words[] = {
      "and", "or", "not", "in", "has", "has_any", "has_all", "contains", "contains_cs",
      "startswith", "startswith_cs", "endswith", "endswith_cs", "hasprefix", "hassuffix",
      "matches", "regex", "true", "false", "between", "dynamic", "null", "int", "long",
      "string", "bool", "real", "datetime", "timespan", "guid"};
  for (size_t i = 0; i < COUNT(words); i++)
    if (sk_str_eqc(w, words[i]))
      return true;
  return false;
}

/* Reports every identifier of expr that is not a column of src. Words in
 * string literals, function names (followed by '('), dynamic properties
 * (after '.') and the FALLBACK slot "%s" are skipped. */
static bool check_expr(sk_buf *report, const char *what, const source *src, const char *expr) {
  const sk_schema *schema = sk_schema_set(src->columns);
  bool ok = true;
  for (const char *p = expr; *p;) {
    if (*p == '"' || *p == '\'') { /* a string literal, with backslash escapes */
      char q = *p++;
      while (*p && *p != q)
        p += p[0] == '\\' && p[1] ? 2 : 1;
      p += *p == q;
      continue;
    }
    if (p[0] == '@' && (p[1] == '"' || p[1] == '\'')) { /* verbatim */
      char q = p[1];
      for (p += 2; *p && !(p[0] == q && p[1] != q); p += p[0] == q ? 2 : 1)
        ;
      p += *p == q;
      continue;
    }
    if (p[0] == '%' && p[1] == 's') {
      p += 2;
      continue;
    }
    if (!(sk_is_alpha((unsigned char)*p) || *p == '_')) {
      p++;
      continue;
    }
    const char *start = p;
    while (sk_is_alnum((unsigned char)*p) || *p == '_')
      p++;
    sk_str w = {start, (size_t)(p - start)};
    const char *after = p;
    while (*after == ' ')
      after++;
    bool property = start > expr && start[-1] == '.';
    bool function = *after == '(';
    bool number = sk_is_digit((unsigned char)start[0]);
    if (property || function || number || kql_word(w))
      continue;
    if (!sk_schema_find(schema, src->table, w)) {
      sk_buf_printf(report, "%s: column '%.*s' is not in %s (%s schema)\n", what, (int)w.len,
                    w.ptr, src->table, src->columns);
      ok = false;
    }
  }
  return ok;
}

bool sk_default_check(sk_buf *report) {
  bool ok = true;
  for (size_t i = 0; i < COUNT(sources); i++) {
    const sk_column *cols;
    if (!sk_schema_table(sk_schema_set(sources[i].columns), sources[i].table, &cols)) {
      sk_buf_printf(report, "SOURCE %s: no table %s in the %s schema\n", sources[i].name,
                    sources[i].table, sources[i].columns);
      ok = false;
    }
  }
  for (size_t i = 0; i < COUNT(routes); i++) {
    const source *src = find_source(routes[i].source);
    char what[160];
    snprintf(what, sizeof what, "ROUTE %s %s/%s/%s", routes[i].target, routes[i].product,
             routes[i].category, routes[i].service);
    if (!src) {
      sk_buf_printf(report, "%s: no SOURCE named %s\n", what, routes[i].source);
      ok = false;
    } else {
      ok &= check_expr(report, what, src, routes[i].filter);
    }
  }
  for (size_t i = 0; i < COUNT(fields); i++) {
    const field_row *fr = &fields[i];
    bool used = false;
    for (size_t s = 0; s < COUNT(sources); s++) {
      if (strcmp(sources[s].fields, fr->fields) != 0)
        continue;
      used = true;
      if (fr->kind == F_ABSENT)
        continue;
      char what[160];
      snprintf(what, sizeof what, "%s %s %s (source %s)",
               fr->kind == F_FIELD ? "FIELD" : "FALLBACK", fr->fields,
               fr->sigma ? fr->sigma : "", sources[s].name);
      ok &= check_expr(report, what, &sources[s], fr->expr);
    }
    if (!used) {
      sk_buf_printf(report, "field map %s (field %s) is used by no SOURCE\n", fr->fields,
                    fr->sigma ? fr->sigma : "");
      ok = false;
    }
  }
  return ok;
}

/* ---- listings for `sigmakql list` ---- */

static bool source_in_target(const source *src, const char *target) {
  for (size_t i = 0; i < COUNT(routes); i++)
    if (strcmp(routes[i].target, target) == 0 && strcmp(routes[i].source, src->name) == 0)
      return true;
  return false;
}

/* Does expr name column (as a whole word)? */
static bool names_column(const char *expr, const char *column) {
  size_t n = strlen(column);
  for (const char *p = strstr(expr, column); p; p = strstr(p + 1, column)) {
    bool left = p == expr || !(sk_is_alnum((unsigned char)p[-1]) || p[-1] == '_');
    bool right = !(sk_is_alnum((unsigned char)p[n]) || p[n] == '_');
    if (left && right)
      return true;
  }
  return false;
}

bool sk_default_list(sk_buf *out, const char *what, const char *target, const char *table) {
  if (strcmp(what, "tables") == 0) {
    for (size_t i = 0; i < COUNT(sources); i++)
      if (source_in_target(&sources[i], target))
        sk_buf_printf(out, "%s\t%s\n", sources[i].head, sources[i].family);
    return true;
  }
  if (strcmp(what, "logsources") == 0) {
    for (size_t i = 0; i < COUNT(routes); i++) {
      const route *rt = &routes[i];
      if (strcmp(rt->target, target) != 0)
        continue;
      const source *src = find_source(rt->source);
      sk_buf_printf(out, "product=%s category=%s service=%s%s%s\t%s%s%s\n",
                    rt->product[0] ? rt->product : "*", rt->category[0] ? rt->category : "*",
                    rt->service[0] ? rt->service : "*", rt->events[0] ? " EventID=" : "",
                    rt->events, src ? src->head : rt->source, rt->filter[0] ? " | where " : "",
                    rt->filter);
    }
    return true;
  }
  if (strcmp(what, "fields") == 0) {
    const source *src = NULL;
    for (size_t i = 0; i < COUNT(sources) && !src; i++)
      if (strcmp(sources[i].head, table) == 0 && source_in_target(&sources[i], target))
        src = &sources[i];
    if (!src)
      return false;
    const sk_column *cols;
    size_t n = sk_schema_table(sk_schema_set(src->columns), src->table, &cols);
    for (size_t c = 0; c < n; c++) {
      sk_buf_printf(out, "%s\t%s", cols[c].name, sk_type_name((sk_type)cols[c].type));
      const char *sep = "\t";
      for (size_t i = 0; i < COUNT(fields); i++)
        if (fields[i].kind == F_FIELD && strcmp(fields[i].fields, src->fields) == 0 &&
            names_column(fields[i].expr, cols[c].name)) {
          sk_buf_printf(out, "%s%s", sep, fields[i].sigma);
          sep = ", ";
        }
      sk_buf_putc(out, '\n');
    }
    for (size_t i = 0; i < COUNT(fields); i++)
      if (fields[i].kind == F_FALLBACK && strcmp(fields[i].fields, src->fields) == 0)
        sk_buf_printf(out, "(any other field)\t\t%s\n", fields[i].expr);
    return true;
  }
  return false;
}
