/* be_pysigma.c - the compatibility profile: the reference converter's
 * (pySigma + pySigma-backend-kusto 1.0.1) routing, field mappings, value
 * rewrites and rendering, mistakes included (pysigma_asim.def), so that a
 * team can diff our output against what it runs today. Correct queries
 * come from be_asim.c; docs/pysigma-rendering.md describes what is
 * reproduced here and why. */
#include <stdio.h>
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

/* ---- the reference's tree ----
 * Built from our tree with the same shape rules as the reference: a
 * detection or group of one member collapses; an item whose field maps to
 * several columns becomes an OR of copies of the whole item; a dropped item
 * leaves NONE (a TRUE node here), which the condition keeps and rendering
 * skips. */

#define NONE SK_N_TRUE

static sk_node *none(sk_arena *a, sk_loc loc) { return sk_node_new(a, NONE, loc); }

static bool dropped(sk_str field) {
  for (size_t i = 0; i < COUNT(drops); i++)
    if (sk_str_eqc(field, drops[i].field) && !drops[i].category[0])
      return true;
  return false;
}

/* Initiated is dropped after mapping, so only where nothing renamed it. */
static bool dropped_after_map(const ps_ctx *c, sk_str column) {
  for (size_t i = 0; i < COUNT(drops); i++)
    if (drops[i].category[0] && sk_str_eqc(column, drops[i].field) && c->r->category.present &&
        sk_str_eqc(c->r->category.str, drops[i].category))
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

/* The reference's field check: a column of its schema table, a key of one
 * of its maps, or Hashes. */
static bool column_accepted(const char *table, sk_str col) {
  return sk_schema_find(&sk_schema_pysigma_asim, table, col) || is_map_key(table, col) ||
         sk_str_eqc(col, "Hashes");
}

/* Plain text of a pattern: literal * and ? escaped, wildcards bare. */
static void plain_text(sk_buf *b, sk_str v) {
  for (size_t i = 0; i < v.len; i++) {
    char ch = v.ptr[i];
    if (ch == SK_WILD_STAR)
      sk_buf_putc(b, '*');
    else if (ch == SK_WILD_ONE)
      sk_buf_putc(b, '?');
    else if (ch == '*' || ch == '?')
      sk_buf_putc(b, '\\'), sk_buf_putc(b, ch);
    else
      sk_buf_putc(b, ch);
  }
}

/* Reads Sigma text as a pattern, with Sigma's escapes, into b. */
static void parse_text_buf(sk_buf *b, sk_str text) {
  for (size_t i = 0; i < text.len; i++) {
    char ch = text.ptr[i];
    if (ch == '\\' && i + 1 < text.len &&
        (text.ptr[i + 1] == '*' || text.ptr[i + 1] == '?' || text.ptr[i + 1] == '\\'))
      sk_buf_putc(b, text.ptr[++i]);
    else if (ch == '*')
      sk_buf_putc(b, SK_WILD_STAR);
    else if (ch == '?')
      sk_buf_putc(b, SK_WILD_ONE);
    else
      sk_buf_putc(b, ch);
  }
}

static sk_str parse_text(sk_arena *a, sk_str text) {
  sk_buf b = SK_BUF_INIT;
  parse_text_buf(&b, text);
  sk_str s = {sk_arena_strndup(a, b.ptr ? b.ptr : "", b.len), b.len};
  sk_buf_free(&b);
  return s;
}

static bool in_list(const char *csv, sk_str name) {
  for (const char *p = csv; *p;) {
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

/* The registry round trip: every value on the listed columns is written
 * as text, the hive prefix replaced, backslashes not before a wildcard
 * doubled, and the text read back; so a backslash before a wildcard eats
 * it and the wildcard turns literal. Runs once per rule row. */
static void round_trip(sk_arena *a, sk_match *m) {
  if (m->op != SK_MOP_STR)
    return;
  for (size_t i = 0; i < COUNT(replaces); i++) {
    const ps_replace *rp = &replaces[i];
    if (!in_list(rp->columns, m->column))
      continue;
    sk_buf t = SK_BUF_INIT, u = SK_BUF_INIT;
    plain_text(&t, m->value);
    size_t plen = strlen(rp->prefix), from = 0;
    if (t.len >= plen && sk_str_eqi((sk_str){t.ptr, plen}, sk_str_c(rp->prefix))) {
      sk_buf_puts(&u, rp->replacement);
      from = plen;
    }
    for (size_t k = from; k < t.len; k++) {
      sk_buf_putc(&u, t.ptr[k]);
      if (t.ptr[k] == '\\' && !(k + 1 < t.len && (t.ptr[k + 1] == '*' || t.ptr[k + 1] == '?')))
        sk_buf_putc(&u, '\\');
    }
    m->value = parse_text(a, (sk_str){u.ptr ? u.ptr : "", u.len});
    sk_buf_free(&t);
    sk_buf_free(&u);
  }
}

static sk_node *leaf_copy(ps_ctx *c, const sk_node *n, sk_str column) {
  sk_node *k = sk_match_copy(c->p->arena, n);
  k->as.match->column = column;
  return k;
}

/* The leaves of an item: itself, or its values. */
static uint32_t item_leaves(sk_node *item, sk_node ***out) {
  if (item->kind == SK_N_MATCH || item->origin == SK_O_EXPANSION) {
    *out = NULL;
    return 0;
  }
  *out = item->kids;
  return item->n;
}

static sk_node *first_leaf(sk_node *n) {
  while (n->kind != SK_N_MATCH)
    n = n->kids[0];
  return n;
}

/* Copies an item (leaf, expansion or value list) onto another column,
 * applying the value rewrites of that column. */
static sk_node *item_on_column(ps_ctx *c, sk_node *item, sk_str column) {
  sk_arena *a = c->p->arena;
  if (item->kind == SK_N_MATCH) {
    sk_node *k = leaf_copy(c, item, column);
    round_trip(a, k->as.match);
    /* EventType names: one value may become two, making a value list. */
    sk_match *m = k->as.match;
    if (m->op == SK_MOP_STR && sk_str_eqc(column, "EventType")) {
      sk_buf t = SK_BUF_INIT;
      plain_text(&t, m->value);
      uint32_t hits = 0;
      for (size_t i = 0; i < COUNT(value_maps); i++)
        hits += sk_str_eqc((sk_str){t.ptr, t.len}, value_maps[i].from);
      if (hits) {
        sk_node *list = hits > 1 ? sk_node_list(a, SK_N_OR, item->loc, hits) : NULL;
        if (list)
          list->origin = SK_O_VALUES;
        hits = 0;
        for (size_t i = 0; i < COUNT(value_maps); i++)
          if (sk_str_eqc((sk_str){t.ptr, t.len}, value_maps[i].from)) {
            sk_node *v = leaf_copy(c, k, column);
            v->as.match->value = parse_text(a, sk_str_c(value_maps[i].to));
            if (!list) {
              k = v;
              break;
            }
            list->kids[hits++] = v;
          }
        if (list)
          k = list;
      }
      sk_buf_free(&t);
    }
    return k;
  }
  sk_node *copy = sk_node_list(a, item->kind, item->loc, item->n);
  copy->origin = item->origin;
  uint32_t n = 0;
  for (uint32_t i = 0; i < item->n; i++) {
    sk_node *k = item_on_column(c, item->kids[i], column);
    if (k->kind != SK_N_MATCH && item->origin == SK_O_VALUES && k->origin == SK_O_VALUES) {
      /* a value that became two joins the item's list */
      sk_node *grown = sk_node_list(a, copy->kind, copy->loc, copy->n + k->n - 1);
      grown->origin = copy->origin;
      memcpy(grown->kids, copy->kids, n * sizeof *copy->kids);
      copy = grown;
      for (uint32_t j = 0; j < k->n; j++)
        copy->kids[n++] = k->kids[j];
      continue;
    }
    copy->kids[n++] = k;
  }
  copy->n = n;
  return copy;
}

/* Hashes: every value goes to the column of its algorithm; values of one
 * column form one item, the items are ORed in first-seen order. */
static sk_node *split_hashes(ps_ctx *c, sk_node *item, const ps_hash *h) {
  sk_arena *a = c->p->arena;
  sk_node **leaves, *single[1] = {item};
  uint32_t n = item_leaves(item, &leaves);
  if (!n) {
    leaves = single;
    n = 1;
  }
  const char **cols = sk_arena_array(a, n, sizeof *cols);
  sk_node ***groups = sk_arena_array(a, n, sizeof *groups);
  uint32_t *sizes = sk_arena_array(a, n, sizeof *sizes), ngroups = 0;
  for (uint32_t i = 0; i < n; i++) {
    const sk_match *m = leaves[i]->as.match;
    sk_buf t = SK_BUF_INIT;
    if (m->op == SK_MOP_STR)
      plain_text(&t, m->value);
    else
      sk_buf_putstr(&t, m->value);
    sk_str text = {t.ptr ? t.ptr : "", t.len};
    const char *sep = memchr(text.ptr, '|', text.len);
    if (!sep)
      sep = memchr(text.ptr, '=', text.len);
    char algo[16] = "";
    sk_str value = text;
    if (sep && !memchr(sep + 1, sep[0], text.len - (size_t)(sep + 1 - text.ptr))) {
      sk_str name = {text.ptr, (size_t)(sep - text.ptr)};
      while (name.len && name.ptr[0] == '*')
        name.ptr++, name.len--;
      if (name.len < sizeof algo) {
        for (size_t k = 0; k < name.len; k++)
          algo[k] = (char)(name.ptr[k] >= 'a' && name.ptr[k] <= 'z' ? name.ptr[k] - 32 : name.ptr[k]);
        algo[name.len] = '\0';
      }
      if (!in_list(h->algorithms, sk_str_c(algo)))
        algo[0] = '\0';
      value = (sk_str){sep + 1, text.len - (size_t)(sep + 1 - text.ptr)};
    } else {
      if (sep) /* more than two parts: the first is the value */
        value = (sk_str){text.ptr, (size_t)(sep - text.ptr)};
      const char *by_len = value.len == 32 ? "MD5" : value.len == 40 ? "SHA1"
                           : value.len == 64 ? "SHA256" : value.len == 128 ? "SHA512" : "";
      strcpy(algo, by_len);
    }
    sk_buf col = SK_BUF_INIT;
    sk_buf_printf(&col, "%s%s", h->prefix, algo);
    const char *colname = sk_arena_strndup(a, col.ptr, col.len);
    sk_buf_free(&col);
    uint32_t g = 0;
    while (g < ngroups && strcmp(cols[g], colname) != 0)
      g++;
    if (g == ngroups) {
      cols[g] = colname;
      groups[g] = sk_arena_array(a, n, sizeof *groups[g]);
      sizes[g] = 0;
      ngroups++;
    }
    sk_node *leaf = leaf_copy(c, leaves[i], sk_str_c(colname));
    leaf->as.match->op = SK_MOP_STR;
    leaf->as.match->value = parse_text(a, value);
    groups[g][sizes[g]++] = leaf;
    sk_buf_free(&t);
  }
  bool valid = false;
  for (uint32_t g = 0; g < ngroups; g++)
    valid |= strlen(cols[g]) > strlen(h->prefix);
  if (!valid) {
    sk_diag_error(c->p->diags, first_leaf(item)->as.match->value_loc,
                  "no valid hash algorithm in Hashes (expected one of %s)", h->algorithms);
    return NULL;
  }
  sk_node *or = sk_node_list(a, SK_N_OR, item->loc, ngroups);
  or->origin = SK_O_MAPS;
  for (uint32_t g = 0; g < ngroups; g++) {
    if (sizes[g] == 1) {
      or->kids[g] = groups[g][0];
    } else {
      sk_node *v = sk_node_list(a, SK_N_OR, item->loc, sizes[g]);
      v->origin = SK_O_VALUES;
      memcpy(v->kids, groups[g], sizes[g] * sizeof *v->kids);
      or->kids[g] = v;
    }
  }
  return ngroups == 1 ? or->kids[0] : or;
}

/* One detection item: drop, map, rewrite, check. */
static sk_node *ps_item(ps_ctx *c, sk_node *item) {
  sk_pass *p = c->p;
  sk_node *leaf = first_leaf(item);
  const sk_match *m = leaf->as.match;
  if (!m->field.len)
    return item; /* keywords are neither mapped nor checked */
  if (dropped(m->field))
    return none(p->arena, item->loc);
  if (m->op == SK_MOP_TIMEPART || (m->flags & SK_MF_CASED)) {
    sk_diag_error(p->diags, m->field_loc, "the reference converter does not support '%s'",
                  m->op == SK_MOP_TIMEPART ? m->timepart : "cased");
    return NULL;
  }
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
  sk_node *or = nc > 1 ? sk_node_list(p->arena, SK_N_OR, item->loc, (uint32_t)nc) : NULL;
  if (or)
    or->origin = SK_O_MAPS;
  bool ok = true;
  for (int i = 0; i < nc; i++) {
    sk_str col = cols[i] ? sk_str_c(cols[i]) : keep;
    if (!column_accepted(c->table, col)) {
      sk_diag_error(p->diags, m->field_loc,
                    "field '%.*s' becomes '%.*s', which the reference converter does not accept "
                    "for %s",
                    (int)m->field.len, m->field.ptr, (int)col.len, col.ptr, c->table);
      ok = false;
      continue;
    }
    if (m->op == SK_MOP_FIELDREF) {
      if (!column_accepted(c->table, m->value)) {
        sk_diag_error(p->diags, m->value_loc,
                      "field '%.*s' is not accepted by the reference converter for %s",
                      (int)m->value.len, m->value.ptr, c->table);
      } else {
        sk_diag_error(p->diags, m->field_loc,
                      "the reference converter does not support 'fieldref'");
      }
      ok = false;
      continue;
    }
    sk_node *k;
    if (sk_str_eqc(col, "Hashes")) {
      const ps_hash *h = NULL;
      for (size_t j = 0; j < COUNT(hashes); j++)
        if (strcmp(hashes[j].table, c->table) == 0)
          h = &hashes[j];
      k = h ? split_hashes(c, item_on_column(c, item, col), h) : item_on_column(c, item, col);
      if (!k) {
        ok = false;
        continue;
      }
    } else {
      if (dropped_after_map(c, col))
        return none(p->arena, item->loc);
      k = item_on_column(c, item, col);
    }
    if (!or)
      return k;
    or->kids[i] = k;
  }
  return ok ? or : NULL;
}

/* Walks a detection: maps and lists of maps hold items. */
static sk_node *ps_walk(ps_ctx *c, sk_node *n) {
  if (n->kind == SK_N_NOT) { /* neq */
    sk_node *k = ps_walk(c, n->kids[0]);
    return k ? sk_node_not(c->p->arena, k) : NULL;
  }
  if (n->kind == SK_N_MATCH || n->origin == SK_O_VALUES || n->origin == SK_O_EXPANSION)
    return ps_item(c, n);
  /* A detection of one member is that member. */
  if (n->n == 1)
    return ps_walk(c, n->kids[0]);
  sk_node *copy = sk_node_list(c->p->arena, n->kind, n->loc, n->n);
  copy->origin = n->origin;
  bool ok = true;
  for (uint32_t i = 0; i < n->n; i++)
    ok &= (copy->kids[i] = ps_walk(c, n->kids[i])) != NULL;
  return ok ? copy : NULL;
}

/* Removes NONE members of a detection, collapsing the groups left with
 * one member; NULL when nothing is left. */
static sk_node *normalize(sk_arena *a, sk_node *n) {
  if (n->kind == NONE)
    return NULL;
  if ((n->kind != SK_N_AND && n->kind != SK_N_OR) || n->origin == SK_O_VALUES ||
      n->origin == SK_O_EXPANSION)
    return n;
  sk_node *copy = sk_node_list(a, n->kind, n->loc, n->n);
  copy->origin = n->origin;
  copy->n = 0;
  for (uint32_t i = 0; i < n->n; i++) {
    sk_node *k = normalize(a, n->kids[i]);
    if (k)
      copy->kids[copy->n++] = k;
  }
  if (copy->n == 0)
    return NULL;
  return copy->n == 1 ? copy->kids[0] : copy;
}

/* Condition groups of one member collapse; NONE members stay. */
static sk_node *collapse_condition(sk_arena *a, sk_node *n) {
  if (n->kind == SK_N_NOT) {
    sk_node *k = collapse_condition(a, n->kids[0]);
    return k == n->kids[0] ? n : sk_node_not(a, k);
  }
  if ((n->kind != SK_N_AND && n->kind != SK_N_OR) ||
      (n->origin != SK_O_COND && n->origin != SK_O_SELECTOR))
    return n;
  if (n->n == 1)
    return collapse_condition(a, n->kids[0]);
  sk_node *copy = sk_node_list(a, n->kind, n->loc, n->n);
  copy->origin = n->origin;
  for (uint32_t i = 0; i < n->n; i++)
    copy->kids[i] = collapse_condition(a, n->kids[i]);
  return copy;
}

/* ---- rendering ---- */

static bool is_word(sk_str col) {
  if (!col.len)
    return false;
  for (size_t i = 0; i < col.len; i++)
    if (!(sk_is_alnum((unsigned char)col.ptr[i]) || col.ptr[i] == '_' ||
          (unsigned char)col.ptr[i] >= 0x80))
      return false;
  return true;
}

/* Q(F): the column, or the reference's single-quoted form (which KQL
 * reads as a string, not a column: a known mistake, reproduced). */
static void ps_col(sk_buf *out, sk_str col) {
  if (is_word(col)) {
    sk_buf_putstr(out, col);
  } else {
    sk_buf_putc(out, '\'');
    sk_buf_putstr(out, col);
    sk_buf_putc(out, '\'');
  }
}

/* The reference's string literal: \ " and a literal * get a backslash, both
 * wildcards become *, then every "\*" becomes "*". Control characters are
 * escaped so that the query stays one valid line. */
static void ps_string(sk_buf *out, sk_str v) {
  sk_buf t = SK_BUF_INIT;
  for (size_t i = 0; i < v.len; i++) {
    char ch = v.ptr[i];
    if (ch == SK_WILD_STAR || ch == SK_WILD_ONE)
      sk_buf_putc(&t, '*');
    else if (ch == '\\' || ch == '"' || ch == '*')
      sk_buf_putc(&t, '\\'), sk_buf_putc(&t, ch);
    else
      sk_buf_putc(&t, ch);
  }
  sk_buf_putc(out, '"');
  for (size_t i = 0; i < t.len; i++) {
    unsigned char ch = (unsigned char)t.ptr[i];
    if (ch == '\\' && i + 1 < t.len && t.ptr[i + 1] == '*') {
      sk_buf_putc(out, '*');
      i++;
    } else if (ch < 0x20 || ch == 0x7f) {
      sk_buf_printf(out, "\\u%04X", ch);
    } else {
      sk_buf_putc(out, (char)ch);
    }
  }
  sk_buf_putc(out, '"');
  sk_buf_free(&t);
}

/* E(t): regex text in quotes, only \ and " escaped. */
static void ps_regex(sk_buf *out, sk_str flags, sk_str re) {
  sk_buf_putc(out, '"');
  sk_buf_putstr(out, flags);
  for (size_t i = 0; i < re.len; i++) {
    unsigned char ch = (unsigned char)re.ptr[i];
    if (ch == '\\' || ch == '"')
      sk_buf_putc(out, '\\'), sk_buf_putc(out, (char)ch);
    else if (ch < 0x20 || ch == 0x7f)
      sk_buf_printf(out, "\\u%04X", ch);
    else
      sk_buf_putc(out, (char)ch);
  }
  sk_buf_putc(out, '"');
}

static bool wild(char ch) { return ch == SK_WILD_STAR || ch == SK_WILD_ONE; }

static bool any_wild(sk_str v) {
  for (size_t i = 0; i < v.len; i++)
    if (wild(v.ptr[i]))
      return true;
  return false;
}

/* Python's shortest repr of a float, integral floats as integers. */
static void ps_number(sk_buf *out, const sk_match *m) {
  if (!m->is_float) {
    sk_buf_putstr(out, m->value);
    return;
  }
  char text[64];
  snprintf(text, sizeof text, "%.*s", (int)(m->value.len < 60 ? m->value.len : 60), m->value.ptr);
  double d = strtod(text, NULL);
  if (d == (double)(long long)d && d > -1e15 && d < 1e15) {
    sk_buf_printf(out, "%lld", (long long)d);
    return;
  }
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(text, sizeof text, "%.*g", prec, d);
    if (strtod(text, NULL) == d)
      break;
  }
  sk_buf_puts(out, text);
}

/* Rule S: one string value on a column. */
static void ps_str_leaf(sk_buf *out, const sk_match *m) {
  sk_str v = m->value;
  bool lead = v.len && v.ptr[0] == SK_WILD_STAR;
  bool trail = v.len && v.ptr[v.len - 1] == SK_WILD_STAR;
  ps_col(out, m->column);
  if (trail && !any_wild((sk_str){v.ptr, v.len - 1})) {
    sk_buf_puts(out, " startswith ");
    ps_string(out, (sk_str){v.ptr, v.len - 1});
  } else if (lead && !any_wild((sk_str){v.ptr + 1, v.len - 1})) {
    sk_buf_puts(out, " endswith ");
    ps_string(out, (sk_str){v.ptr + 1, v.len - 1});
  } else if (lead && trail && v.len >= 2 && !any_wild((sk_str){v.ptr + 1, v.len - 2})) {
    sk_buf_puts(out, " contains ");
    ps_string(out, (sk_str){v.ptr + 1, v.len - 2});
  } else if (any_wild(v)) {
    sk_buf rx = SK_BUF_INIT;
    for (size_t i = 0; i < v.len; i++) {
      char ch = v.ptr[i];
      if (ch == SK_WILD_STAR)
        sk_buf_puts(&rx, ".*");
      else if (ch == SK_WILD_ONE)
        sk_buf_putc(&rx, '.');
      else
        sk_kql_regex_literal(&rx, (sk_str){&v.ptr[i], 1});
    }
    sk_buf_puts(out, " matches regex ");
    ps_regex(out, (sk_str){"", 0}, (sk_str){rx.ptr ? rx.ptr : "", rx.len});
    sk_buf_free(&rx);
  } else {
    sk_buf_puts(out, " =~ ");
    ps_string(out, v);
  }
}

static void ps_leaf(sk_buf *out, const sk_match *m) {
  if (!m->column.len) { /* keyword: the bare value, as the reference writes it */
    if (m->op == SK_MOP_NUM)
      ps_number(out, m);
    else
      ps_string(out, m->value);
    return;
  }
  switch (m->op) {
  case SK_MOP_STR:
    ps_str_leaf(out, m);
    return;
  case SK_MOP_NUM:
    ps_col(out, m->column);
    sk_buf_puts(out, " == ");
    ps_number(out, m);
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
    ps_number(out, m);
    return;
  }
  case SK_MOP_CIDR:
    sk_buf_puts(out, "ipv4_is_in_range(");
    sk_buf_putstr(out, m->column);
    sk_buf_puts(out, ", \"");
    sk_buf_putstr(out, m->value);
    sk_buf_puts(out, "\")");
    return;
  case SK_MOP_RE: {
    char flags[8] = "";
    if (m->flags & (SK_MF_RE_I | SK_MF_RE_M | SK_MF_RE_S))
      snprintf(flags, sizeof flags, "(?%s%s%s)", m->flags & SK_MF_RE_I ? "i" : "",
               m->flags & SK_MF_RE_M ? "m" : "", m->flags & SK_MF_RE_S ? "s" : "");
    ps_col(out, m->column);
    sk_buf_puts(out, " matches regex ");
    ps_regex(out, sk_str_c(flags), m->value);
    return;
  }
  case SK_MOP_FIELDREF:
  case SK_MOP_TIMEPART:
    return; /* refused by ps_item */
  }
}

/* A leaf, or the variants of one value (never an in-list). */
static bool is_leafish(const sk_node *n) {
  return n->kind == SK_N_MATCH || n->origin == SK_O_EXPANSION;
}

static bool ps_render(sk_buf *out, const sk_node *n);

/* 5.2: children all test one column with strings or numbers. */
static bool in_list_eligible(const sk_node *n) {
  const sk_match *first = NULL;
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_node *k = n->kids[i];
    if (k->kind != SK_N_MATCH)
      return false;
    const sk_match *m = k->as.match;
    if (!m->column.len || (m->op != SK_MOP_STR && m->op != SK_MOP_NUM))
      return false;
    if (first && !sk_str_eq(first->column, m->column))
      return false;
    first = m;
  }
  return first != NULL;
}

static void ps_in_list(sk_buf *out, const sk_node *n) {
  bool and = n->kind == SK_N_AND;
  const char *joiner = and ? " and " : " or ";
  sk_str col = n->kids[0]->as.match->column;
  uint32_t plain = 0;
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_match *m = n->kids[i]->as.match;
    if (m->op == SK_MOP_STR && any_wild(m->value))
      continue;
    if (plain++ == 0) {
      ps_col(out, col);
      sk_buf_puts(out, and ? " has_all (" : " in~ (");
    } else {
      sk_buf_puts(out, ", ");
    }
    if (m->op == SK_MOP_NUM) {
      sk_buf tmp = SK_BUF_INIT;
      ps_number(&tmp, m);
      ps_string(out, (sk_str){tmp.ptr, tmp.len});
      sk_buf_free(&tmp);
    } else {
      ps_string(out, m->value);
    }
  }
  if (plain)
    sk_buf_putc(out, ')');
  bool first = plain == 0;
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_match *m = n->kids[i]->as.match;
    if (m->op != SK_MOP_STR || !any_wild(m->value))
      continue;
    if (!first)
      sk_buf_puts(out, joiner);
    first = false;
    sk_str v = m->value;
    bool inner = false;
    for (size_t k = 1; k + 1 < v.len; k++)
      inner |= wild(v.ptr[k]);
    if (!inner) {
      ps_str_leaf(out, m);
      continue;
    }
    /* an inner wildcard: the literal runs, each as "contains" */
    sk_buf_putc(out, '(');
    bool first_run = true;
    for (size_t k = 0; k < v.len;) {
      if (wild(v.ptr[k])) {
        k++;
        continue;
      }
      size_t e = k;
      while (e < v.len && !wild(v.ptr[e]))
        e++;
      if (!first_run)
        sk_buf_puts(out, " and ");
      first_run = false;
      ps_col(out, col);
      sk_buf_puts(out, " contains ");
      sk_buf run = SK_BUF_INIT; /* the run is read again as Sigma text */
      parse_text_buf(&run, (sk_str){v.ptr + k, e - k});
      ps_string(out, (sk_str){run.ptr ? run.ptr : "", run.len});
      sk_buf_free(&run);
      k = e;
    }
    sk_buf_putc(out, ')');
  }
}

/* 5.3: join form; a child node is always parenthesised, an expansion
 * only inside an AND. Returns false when nothing was written. */
static bool ps_join(sk_buf *out, const sk_node *n) {
  bool any = false;
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_node *k = n->kids[i];
    if (k->kind == NONE)
      continue;
    sk_buf part = SK_BUF_INIT;
    bool group = k->kind == SK_N_NOT ||
                 ((k->kind == SK_N_AND || k->kind == SK_N_OR) &&
                  (k->origin != SK_O_EXPANSION || n->kind == SK_N_AND));
    bool wrote = ps_render(&part, k);
    if (wrote) {
      if (any)
        sk_buf_puts(out, n->kind == SK_N_AND ? " and " : " or ");
      if (group)
        sk_buf_putc(out, '(');
      sk_buf_put(out, part.ptr, part.len);
      if (group)
        sk_buf_putc(out, ')');
      any = true;
    }
    sk_buf_free(&part);
  }
  return any;
}

static bool ps_render(sk_buf *out, const sk_node *n) {
  switch (n->kind) {
  case SK_N_AND:
  case SK_N_OR:
    if (n->origin == SK_O_EXPANSION) { /* OR-join of the variants */
      for (uint32_t i = 0; i < n->n; i++) {
        if (i)
          sk_buf_puts(out, " or ");
        ps_leaf(out, n->kids[i]->as.match);
      }
      return n->n > 0;
    }
    if (in_list_eligible(n)) {
      ps_in_list(out, n);
      return true;
    }
    return ps_join(out, n);
  case SK_N_NOT: {
    const sk_node *k = n->kids[0];
    sk_buf_puts(out, "not(");
    if (k->kind == SK_N_AND || k->kind == SK_N_OR || k->kind == SK_N_NOT) {
      if (is_leafish(k)) {
        ps_render(out, k);
      } else {
        sk_buf_putc(out, '(');
        ps_render(out, k);
        sk_buf_putc(out, ')');
      }
    } else {
      ps_render(out, k);
    }
    sk_buf_putc(out, ')');
    return true;
  }
  case SK_N_MATCH:
    ps_leaf(out, n->as.match);
    return true;
  default:
    return false;
  }
}

/* NOT of NONE: the reference refuses the rule. */
static bool has_not_none(const sk_node *n) {
  if (n->kind == SK_N_NOT && n->kids[0]->kind == NONE)
    return true;
  for (uint32_t i = 0; i < n->n && n->kind != SK_N_MATCH; i++)
    if (has_not_none(n->kids[i]))
      return true;
  return false;
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
    sk_node *t = ps_walk(&c, r->dets[i].tree);
    if (!t) {
      ok = false;
      continue;
    }
    t = normalize(p->arena, t);
    dets[i].tree = t ? t : none(p->arena, r->dets[i].loc);
  }
  if (!ok)
    return false;
  for (uint32_t i = 0; i < r->nconds; i++) {
    sk_node *tree = sk_cond_resolve(p->arena, p->diags, r->cond_raw[i], dets, r->ndets, true);
    if (!tree)
      return false;
    tree = collapse_condition(p->arena, tree);
    if (has_not_none(tree)) {
      sk_diag_error(p->diags, r->cond_loc,
                    "the reference converter cannot negate a detection whose every item it "
                    "drops");
      return false;
    }
    sk_buf q = SK_BUF_INIT;
    sk_buf_printf(&q, "%s\n| where ", table);
    if (ps_render(&q, tree)) /* a condition left empty gives no query */
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
