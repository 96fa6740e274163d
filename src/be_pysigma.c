/* be_pysigma.c - the compatibility profile: the reference converter's
 * (pySigma + pySigma-backend-kusto 1.0.1) routing, field mappings, value
 * rewrites and rendering, mistakes included (pysigma_asim.def), so that a
 * team can diff our output against what it runs today. Correct queries
 * come from be_asim.c; docs/pysigma-rendering.md describes what is
 * reproduced here and why. */
#include <stdlib.h>

#include "backend.h"
#include "kql.h"
#include "pass_map.h"
#include "schema.h"

typedef struct { const char *category, *table; } ps_route;
typedef struct { int id; const char *category; int order; } ps_eventid;
typedef struct { const char *table, *field, *column; } ps_field;
typedef struct { const char *field, *column; } ps_generic;
typedef struct { const char *field, *category; } ps_drop;
typedef struct { const char *columns, *prefix, *replacement; int order; } ps_replace;
typedef struct { const char *column, *from, *to; } ps_value_map;
typedef struct { const char *table, *prefix, *algorithms; } ps_hash;

#define PS_ROUTE(c, t)
#define PS_EVENTID(i, c, o)
#define PS_EVENTID_ROUTE(c, t)
#define PS_FIELD(t, f, c)
#define PS_GENERIC(f, c)
#define PS_DROP(f, c)
#define PS_REPLACE(cols, p, r, o)
#define PS_VALUE_MAP(c, f, t)
#define PS_HASH(t, p, a)
#define PS_DROP_AFTER_MAP(c, cat)
#define PS_HASH_ONE_COLUMN(t, c, a)
#define PS_PARENT_BASENAME(x, f, c)
#define PS_SPLIT_DOMAIN(c, d)

/* Each table includes the .def once with one macro switched on. */
#undef PS_ROUTE
#define PS_ROUTE(c, t) {c, t},
static const ps_route routes[] = {
#include "pysigma_asim.def"
};
#undef PS_ROUTE
#define PS_ROUTE(c, t)

#undef PS_EVENTID
#define PS_EVENTID(i, c, o) {i, c, o},
static const ps_eventid eventids[] = {
#include "pysigma_asim.def"
};
#undef PS_EVENTID
#define PS_EVENTID(i, c, o)

#undef PS_EVENTID_ROUTE
#define PS_EVENTID_ROUTE(c, t) {c, t},
static const ps_route eventid_routes[] = {
#include "pysigma_asim.def"
};
#undef PS_EVENTID_ROUTE
#define PS_EVENTID_ROUTE(c, t)

#undef PS_FIELD
#define PS_FIELD(t, f, c) {t, f, c},
static const ps_field fields[] = {
#include "pysigma_asim.def"
};
#undef PS_FIELD
#define PS_FIELD(t, f, c)

#undef PS_GENERIC
#define PS_GENERIC(f, c) {f, c},
static const ps_generic generics[] = {
#include "pysigma_asim.def"
};
#undef PS_GENERIC
#define PS_GENERIC(f, c)

#undef PS_DROP
#define PS_DROP(f, c) {f, c},
static const ps_drop drops[] = {
#include "pysigma_asim.def"
};
#undef PS_DROP
#define PS_DROP(f, c)

#undef PS_REPLACE
#define PS_REPLACE(cols, p, r, o) {cols, p, r, o},
static const ps_replace replaces[] = {
#include "pysigma_asim.def"
};
#undef PS_REPLACE
#define PS_REPLACE(cols, p, r, o)

#undef PS_VALUE_MAP
#define PS_VALUE_MAP(c, f, t) {c, f, t},
static const ps_value_map value_maps[] = {
#include "pysigma_asim.def"
};
#undef PS_VALUE_MAP
#define PS_VALUE_MAP(c, f, t)

#undef PS_HASH
#define PS_HASH(t, p, a) {t, p, a},
static const ps_hash hashes[] = {
#include "pysigma_asim.def"
};
#undef PS_HASH

#define COUNT(a) (sizeof(a) / sizeof *(a))

typedef struct ps_ctx {
  sk_pass *p;
  const sk_rule *r;
  const char *table;
} ps_ctx;

/* ---- table selection ---- */

static const char *table_for_eventid(long id) {
  const ps_eventid *best = NULL;
  for (size_t i = 0; i < COUNT(eventids); i++)
    if (eventids[i].id == id && (!best || eventids[i].order < best->order))
      best = &eventids[i];
  if (!best)
    return NULL;
  for (size_t i = 0; i < COUNT(eventid_routes); i++)
    if (strcmp(eventid_routes[i].category, best->category) == 0)
      return eventid_routes[i].table;
  return NULL;
}

static const char *table_in_tree(const sk_node *n) {
  if (n->kind == SK_N_MATCH) {
    const sk_match *m = n->as.match;
    if ((sk_str_eqc(m->field, "EventID") || sk_str_eqc(m->field, "EventCode")) &&
        (m->op == SK_MOP_NUM || m->op == SK_MOP_STR) && m->value.len && m->value.len < 12) {
      char buf[16];
      memcpy(buf, m->value.ptr, m->value.len);
      buf[m->value.len] = '\0';
      char *end;
      long id = strtol(buf, &end, 10);
      if (*end == '\0')
        return table_for_eventid(id);
    }
    return NULL;
  }
  for (uint32_t i = 0; i < n->n; i++) {
    const char *t = table_in_tree(n->kids[i]);
    if (t)
      return t;
  }
  return NULL;
}

static const char *choose_table(const sk_rule *r) {
  if (r->category.present) {
    for (size_t i = 0; i < COUNT(routes); i++)
      if (sk_str_eqc(r->category.str, routes[i].category))
        return routes[i].table;
    return NULL;
  }
  for (uint32_t i = 0; i < r->ndets; i++)
    if (sk_str_has_prefix_i(r->dets[i].name, "sel")) {
      const char *t = table_in_tree(r->dets[i].tree);
      if (t)
        return t;
    }
  return NULL;
}

/* ---- field mapping and value rewrites ---- */

static bool dropped(const ps_ctx *c, sk_str field) {
  for (size_t i = 0; i < COUNT(drops); i++)
    if (sk_str_eqc(field, drops[i].field) &&
        (!drops[i].category[0] ||
         (c->r->category.present && sk_str_eqc(c->r->category.str, drops[i].category))))
      return true;
  return false;
}

static bool is_map_key(const char *table, sk_str name) {
  for (size_t i = 0; i < COUNT(fields); i++)
    if (strcmp(fields[i].table, table) == 0 && sk_str_eqc(name, fields[i].field))
      return true;
  for (size_t i = 0; i < COUNT(generics); i++)
    if (sk_str_eqc(name, generics[i].field))
      return true;
  return false;
}

/* The reference's check after mapping: a real column of its schema, a key
 * of one of its maps, or Hashes. */
static bool column_accepted(const char *table, sk_str col) {
  return sk_schema_find(&sk_schema_pysigma_asim, table, col) || is_map_key(table, col) ||
         sk_str_eqc(col, "Hashes");
}

/* Sigma text of a pattern: wildcards as * and ?, nothing escaped. */
static void pattern_text(sk_buf *b, sk_str v) {
  for (size_t i = 0; i < v.len; i++)
    sk_buf_putc(b, v.ptr[i] == SK_WILD_STAR ? '*' : v.ptr[i] == SK_WILD_ONE ? '?' : v.ptr[i]);
}

/* Re-reads Sigma text as a pattern (its escapes apply again). */
static sk_str reparse(sk_arena *a, sk_str text) {
  sk_buf b = SK_BUF_INIT;
  for (size_t i = 0; i < text.len; i++) {
    char ch = text.ptr[i];
    if (ch == '\\' && i + 1 < text.len &&
        (text.ptr[i + 1] == '*' || text.ptr[i + 1] == '?' || text.ptr[i + 1] == '\\'))
      sk_buf_putc(&b, text.ptr[++i]);
    else if (ch == '*')
      sk_buf_putc(&b, SK_WILD_STAR);
    else if (ch == '?')
      sk_buf_putc(&b, SK_WILD_ONE);
    else
      sk_buf_putc(&b, ch);
  }
  sk_str s = {sk_arena_strndup(a, b.ptr ? b.ptr : "", b.len), b.len};
  sk_buf_free(&b);
  return s;
}

static bool in_list(const char *csv, sk_str name) {
  const char *p = csv;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == name.len && memcmp(p, name.ptr, n) == 0)
      return true;
    if (!e)
      break;
    p = e + 1;
  }
  return false;
}

/* Registry hive rewrites: the reference turns the value into text,
 * replaces the prefix, and reads the text back, so a backslash before an
 * added wildcard now escapes it. */
static void rewrite_hives(sk_arena *a, sk_match *m) {
  if (m->op != SK_MOP_STR)
    return;
  for (size_t i = 0; i < COUNT(replaces); i++) {
    const ps_replace *rp = &replaces[i];
    if (!in_list(rp->columns, m->column) || !sk_str_has_prefix_i(m->value, rp->prefix))
      continue;
    sk_buf b = SK_BUF_INIT;
    size_t plen = strlen(rp->prefix);
    sk_buf_puts(&b, rp->replacement);
    pattern_text(&b, (sk_str){m->value.ptr + plen, m->value.len - plen});
    m->value = reparse(a, (sk_str){b.ptr, b.len});
    sk_buf_free(&b);
  }
}

static sk_node *value_mapped(ps_ctx *c, sk_node *n) {
  sk_match *m = n->as.match;
  if (m->op != SK_MOP_STR)
    return n;
  uint32_t hits = 0;
  for (size_t i = 0; i < COUNT(value_maps); i++)
    hits += sk_str_eqc(m->column, value_maps[i].column) && sk_str_eqc(m->value, value_maps[i].from);
  if (!hits)
    return n;
  sk_node *or = hits > 1 ? sk_node_list(c->p->arena, SK_N_OR, n->loc, hits) : NULL;
  hits = 0;
  for (size_t i = 0; i < COUNT(value_maps); i++)
    if (sk_str_eqc(m->column, value_maps[i].column) && sk_str_eqc(m->value, value_maps[i].from)) {
      sk_node *k = sk_match_copy(c->p->arena, n);
      k->as.match->value = sk_str_c(value_maps[i].to);
      if (!or)
        return k;
      or->kids[hits++] = k;
    }
  return or;
}

/* Hashes: one test per value on the column of its algorithm. */
static sk_node *split_hashes(ps_ctx *c, sk_node *n, const ps_hash *h) {
  sk_match *m = n->as.match;
  sk_str v = m->value;
  size_t cut = 0;
  while (cut < v.len && v.ptr[cut] != '=' && v.ptr[cut] != '|')
    cut++;
  sk_str algo = {v.ptr, cut < v.len ? cut : 0};
  sk_str hash = cut < v.len ? (sk_str){v.ptr + cut + 1, v.len - cut - 1} : v;
  while (algo.len && algo.ptr[0] == SK_WILD_STAR)
    algo.ptr++, algo.len--;
  char name[16] = "";
  if (algo.len && algo.len < sizeof name) {
    for (size_t i = 0; i < algo.len; i++)
      name[i] = (char)(algo.ptr[i] >= 'a' && algo.ptr[i] <= 'z' ? algo.ptr[i] - 32 : algo.ptr[i]);
    name[algo.len] = '\0';
  } else if (!algo.len) {
    size_t digits = hash.len;
    const char *by_len = digits == 32 ? "MD5" : digits == 40 ? "SHA1" : digits == 64 ? "SHA256"
                         : digits == 128 ? "SHA512" : "";
    strcpy(name, by_len);
  }
  if (!name[0] || !in_list(h->algorithms, sk_str_c(name)))
    return NULL;
  sk_node *k = sk_match_copy(c->p->arena, n);
  sk_buf col = SK_BUF_INIT;
  sk_buf_printf(&col, "%s%s", h->prefix, name);
  k->as.match->column = (sk_str){sk_arena_strndup(c->p->arena, col.ptr, col.len), col.len};
  k->as.match->value = hash;
  sk_buf_free(&col);
  return k;
}

static sk_node *map_match(void *vctx, sk_node *n) {
  ps_ctx *c = vctx;
  sk_pass *p = c->p;
  const sk_match *m = n->as.match;
  if (!m->field.len)
    return sk_match_copy(p->arena, n);
  if (dropped(c, m->field))
    return sk_node_new(p->arena, SK_N_TRUE, n->loc); /* removed, see prune() */
  const char *cols[8];
  int nc = 0;
  for (size_t i = 0; i < COUNT(fields) && nc < 8; i++)
    if (strcmp(fields[i].table, c->table) == 0 && sk_str_eqc(m->field, fields[i].field))
      cols[nc++] = fields[i].column;
  for (size_t i = 0; i < COUNT(generics) && !nc; i++)
    if (sk_str_eqc(m->field, generics[i].field))
      cols[nc++] = generics[i].column;
  sk_str keep = m->field;
  if (!nc)
    cols[nc++] = NULL;
  sk_node *or = nc > 1 ? sk_node_list(p->arena, SK_N_OR, n->loc, (uint32_t)nc) : NULL;
  for (int i = 0; i < nc; i++) {
    sk_str col = cols[i] ? sk_str_c(cols[i]) : keep;
    if (!column_accepted(c->table, col)) {
      sk_diag_error(p->diags, m->field_loc,
                    "field '%.*s' maps to '%.*s', which is not a column of %s in the reference "
                    "converter's schema",
                    (int)m->field.len, m->field.ptr, (int)col.len, col.ptr, c->table);
      return NULL;
    }
    if (m->op == SK_MOP_FIELDREF || m->op == SK_MOP_TIMEPART || (m->flags & SK_MF_CASED)) {
      sk_diag_error(p->diags, m->field_loc,
                    "the reference converter does not support this modifier ('%s')",
                    m->op == SK_MOP_FIELDREF ? "fieldref"
                    : m->op == SK_MOP_TIMEPART ? m->timepart : "cased");
      return NULL;
    }
    sk_node *k = sk_match_copy(p->arena, n);
    k->as.match->column = col;
    if (sk_str_eqc(col, "Hashes")) {
      const ps_hash *h = NULL;
      for (size_t j = 0; j < COUNT(hashes); j++)
        if (strcmp(hashes[j].table, c->table) == 0)
          h = &hashes[j];
      if (h && !(k = split_hashes(c, k, h))) {
        sk_diag_error(p->diags, m->value_loc, "no valid hash algorithm in value '%.*s'",
                      (int)m->value.len, m->value.ptr);
        return NULL;
      }
    }
    rewrite_hives(p->arena, k->as.match);
    k = value_mapped(c, k);
    if (!or)
      return k;
    or->kids[i] = k;
  }
  return or;
}

/* Removes dropped items (TRUE markers) the way the reference deletes a
 * detection item: from its list, whatever the list's kind. NULL when
 * nothing is left. */
static sk_node *prune(sk_arena *a, sk_node *n) {
  switch (n->kind) {
  case SK_N_TRUE:
    return NULL;
  case SK_N_NOT: {
    sk_node *k = prune(a, n->kids[0]);
    if (!k)
      return NULL;
    sk_node *copy = sk_node_not(a, k);
    copy->loc = n->loc;
    return copy;
  }
  case SK_N_AND:
  case SK_N_OR: {
    sk_node *copy = sk_node_list(a, n->kind, n->loc, n->n);
    copy->n = 0;
    for (uint32_t i = 0; i < n->n; i++) {
      sk_node *k = prune(a, n->kids[i]);
      if (k)
        copy->kids[copy->n++] = k;
    }
    return copy->n ? copy : NULL;
  }
  default:
    return n;
  }
}

/* ---- rendering, as the reference's text backend does it ---- */

/* Unwraps lists of one: the reference builds no group for them. */
static const sk_node *unwrap(const sk_node *n) {
  while ((n->kind == SK_N_AND || n->kind == SK_N_OR) && n->n == 1)
    n = n->kids[0];
  return n;
}

static void ps_col(sk_buf *out, sk_str col) {
  bool word = col.len > 0;
  for (size_t i = 0; i < col.len; i++)
    word &= sk_is_alnum((unsigned char)col.ptr[i]) || col.ptr[i] == '_';
  if (word) {
    sk_buf_putstr(out, col);
  } else { /* the reference's quoting: a string literal, not a column */
    sk_buf_putc(out, '\'');
    sk_buf_putstr(out, col);
    sk_buf_putc(out, '\'');
  }
}

static void ps_string(sk_buf *out, sk_str s) { sk_kql_quote(out, s, SK_Q_PYSIGMA); }

/* Literal text of a pattern, wildcards dropped at the ends. */
static sk_str strip_ends(sk_str v, bool *lead, bool *trail) {
  *lead = v.len && v.ptr[0] == SK_WILD_STAR;
  *trail = v.len > (size_t)*lead && v.ptr[v.len - 1] == SK_WILD_STAR;
  return (sk_str){v.ptr + *lead, v.len - *lead - *trail};
}

static bool has_inner_wildcard(sk_str v) {
  for (size_t i = 0; i < v.len; i++)
    if (v.ptr[i] == SK_WILD_STAR || v.ptr[i] == SK_WILD_ONE)
      return true;
  return false;
}

static bool is_plain(const sk_node *n) {
  if (n->kind != SK_N_MATCH)
    return false;
  const sk_match *m = n->as.match;
  return m->op == SK_MOP_NUM || (m->op == SK_MOP_STR && !has_inner_wildcard(m->value));
}

static void ps_match(sk_buf *out, const sk_match *m) {
  switch (m->op) {
  case SK_MOP_STR: {
    bool lead, trail;
    sk_str inner = strip_ends(m->value, &lead, &trail);
    if (!m->column.len) { /* keyword: the bare string, as the reference emits it */
      ps_string(out, inner);
      return;
    }
    if (has_inner_wildcard(inner)) {
      ps_col(out, m->column);
      sk_buf_puts(out, " matches regex ");
      sk_buf re = SK_BUF_INIT;
      for (size_t i = 0; i < m->value.len; i++) {
        char ch = m->value.ptr[i];
        if (ch == SK_WILD_STAR)
          sk_buf_puts(&re, ".*");
        else if (ch == SK_WILD_ONE)
          sk_buf_putc(&re, '.');
        else
          sk_kql_regex_literal(&re, (sk_str){&m->value.ptr[i], 1});
      }
      ps_string(out, (sk_str){re.ptr ? re.ptr : "", re.len});
      sk_buf_free(&re);
      return;
    }
    ps_col(out, m->column);
    sk_buf_puts(out, lead && trail ? " contains " : lead ? " endswith " : trail ? " startswith " : " =~ ");
    ps_string(out, inner);
    return;
  }
  case SK_MOP_NUM:
    ps_col(out, m->column);
    sk_buf_puts(out, " == ");
    sk_buf_putstr(out, m->value);
    return;
  case SK_MOP_BOOL:
    ps_col(out, m->column);
    sk_buf_puts(out, m->bval ? " =~ true" : " =~ false");
    return;
  case SK_MOP_NULL:
    sk_buf_puts(out, "isnull(");
    ps_col(out, m->column);
    sk_buf_putc(out, ')');
    return;
  case SK_MOP_EXISTS:
    sk_buf_puts(out, m->bval ? "isnotempty(" : "isempty(");
    ps_col(out, m->column);
    sk_buf_putc(out, ')');
    return;
  case SK_MOP_CMP: {
    static const char *const ops[] = {"==", "<", "<=", ">", ">="};
    ps_col(out, m->column);
    sk_buf_printf(out, " %s ", ops[m->cmp]);
    sk_buf_putstr(out, m->value);
    return;
  }
  case SK_MOP_CIDR:
    sk_buf_puts(out, "ipv4_is_in_range(");
    ps_col(out, m->column);
    sk_buf_puts(out, ", ");
    ps_string(out, m->value);
    sk_buf_putc(out, ')');
    return;
  case SK_MOP_RE: {
    ps_col(out, m->column);
    sk_buf_puts(out, " matches regex ");
    sk_buf re = SK_BUF_INIT;
    if (m->flags & SK_MF_RE_I) sk_buf_puts(&re, "(?i)");
    if (m->flags & SK_MF_RE_M) sk_buf_puts(&re, "(?m)");
    if (m->flags & SK_MF_RE_S) sk_buf_puts(&re, "(?s)");
    sk_buf_putstr(&re, m->value);
    ps_string(out, (sk_str){re.ptr, re.len});
    sk_buf_free(&re);
    return;
  }
  case SK_MOP_FIELDREF:
  case SK_MOP_TIMEPART:
    return; /* refused by map_match */
  }
}

/* Precedence ranks of the reference: a group is written around an inner
 * AND/OR/NOT unless the inner binds tighter (AND inside OR). */
static int rank(sk_node_kind k) { return k == SK_N_AND ? 0 : k == SK_N_OR ? 1 : 2; }

static void ps_render(sk_buf *out, const sk_node *n);

static void ps_inner(sk_buf *out, const sk_node *inner, sk_node_kind outer) {
  inner = unwrap(inner);
  bool group = inner->kind != SK_N_MATCH && rank(inner->kind) >= rank(outer);
  if (group)
    sk_buf_putc(out, '(');
  ps_render(out, inner);
  if (group)
    sk_buf_putc(out, ')');
}

/* An OR over plain values of one column becomes "in~"; values with
 * wildcards keep their own tests after it. */
static bool ps_in_list(sk_buf *out, const sk_node *n) {
  uint32_t plain = 0;
  const sk_match *first = NULL;
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_node *k = n->kids[i];
    if (k->kind != SK_N_MATCH || !k->as.match->column.len)
      return false;
    if (first && !sk_str_eq(first->column, k->as.match->column))
      return false;
    first = k->as.match;
    plain += is_plain(k) && !(k->as.match->op == SK_MOP_STR &&
                              (k->as.match->value.len && (k->as.match->value.ptr[0] == SK_WILD_STAR ||
                                                          k->as.match->value.ptr[k->as.match->value.len - 1] == SK_WILD_STAR)));
  }
  if (plain < 2 || plain != n->n)
    return false;
  ps_col(out, first->column);
  sk_buf_puts(out, " in~ (");
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_match *m = n->kids[i]->as.match;
    if (i)
      sk_buf_puts(out, ", ");
    if (m->op == SK_MOP_NUM)
      sk_buf_putstr(out, m->value);
    else
      ps_string(out, m->value);
  }
  sk_buf_putc(out, ')');
  return true;
}

static void ps_render(sk_buf *out, const sk_node *n) {
  n = unwrap(n);
  switch (n->kind) {
  case SK_N_AND:
  case SK_N_OR:
    if (n->kind == SK_N_OR && ps_in_list(out, n))
      return;
    for (uint32_t i = 0; i < n->n; i++) {
      if (i)
        sk_buf_puts(out, n->kind == SK_N_AND ? " and " : " or ");
      ps_inner(out, n->kids[i], n->kind);
    }
    return;
  case SK_N_NOT: {
    const sk_node *k = unwrap(n->kids[0]);
    sk_buf_puts(out, "not(");
    if (k->kind == SK_N_AND || k->kind == SK_N_OR) {
      sk_buf_putc(out, '(');
      ps_render(out, k);
      sk_buf_putc(out, ')');
    } else {
      ps_render(out, k);
    }
    sk_buf_putc(out, ')');
    return;
  }
  case SK_N_MATCH:
    ps_match(out, n->as.match);
    return;
  default:
    return;
  }
}

static bool compile(sk_pass *p, const sk_rule *r, sk_output *out) {
  const char *table = choose_table(r);
  if (!table) {
    sk_loc at = r->category.present ? r->category.loc : r->logsource_loc;
    sk_diag_error(p->diags, at,
                  "the reference converter has no table for this log source (it routes by "
                  "category, or by EventID when there is no category)");
    return false;
  }
  ps_ctx c = {p, r, table};
  sk_detection *dets = sk_arena_array(p->arena, r->ndets + 1, sizeof *dets);
  bool ok = true;
  for (uint32_t i = 0; i < r->ndets; i++) {
    dets[i] = r->dets[i];
    sk_node *t = sk_map_tree(p->arena, r->dets[i].tree, map_match, &c);
    if (!t) {
      ok = false;
      continue;
    }
    t = prune(p->arena, t);
    /* A detection left empty matches nothing the reference would write:
     * it disappears from the condition (see prune on the condition). */
    dets[i].tree = t ? t : sk_node_new(p->arena, SK_N_TRUE, r->dets[i].loc);
  }
  if (!ok)
    return false;
  for (uint32_t i = 0; i < r->nconds; i++) {
    sk_node *tree = sk_cond_resolve(p->arena, p->diags, r->cond_raw[i], dets, r->ndets);
    tree = tree ? prune(p->arena, tree) : NULL;
    if (!tree)
      continue; /* nothing left to test: the reference writes no query */
    sk_buf q = SK_BUF_INIT;
    sk_buf_printf(&q, "%s\n| where ", table);
    ps_render(&q, tree);
    sk_output_add(p->arena, out, q.ptr, q.len);
    sk_buf_free(&q);
  }
  out->table = table;
  return true;
}

const sk_backend sk_backend_asim_pysigma = {
    .target = "asim",
    .profile = "pysigma",
    .summary = "the reference converter's ASIM tables and output (pySigma-backend-kusto 1.0.1)",
    .compile = compile,
};
