/* be_pysigma.c - the compatibility profile: the reference converter's
 * (pySigma + pySigma-backend-kusto 1.0.1) pipelines for each target —
 * routing, field maps, drops and value rewrites, mistakes included — as
 * data rows (pysigma_<target>.def), plus the steps that read them, in the
 * reference's order. pysigma_render.c writes the text. Correct queries
 * come from the default profile; docs/pysigma-rendering.md describes what
 * is reproduced here. */
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "kql.h"
#include "pass_map.h"
#include "pysigma.h"
#include "schema.h"

/* One row of a pipeline table; which strings and numbers mean what
 * depends on the kind (see the macros below). */
typedef enum row_kind {
  R_ROUTE,          /* a = category, b = table */
  R_EVENTID,        /* n = event id, a = event-id category, m = rank */
  R_EVENTID_ROUTE,  /* a = event-id category, b = table */
  R_FIELD,          /* a = table, b = Sigma field, c = column (repeat = OR) */
  R_GENERIC,        /* b = Sigma field, c = column */
  R_DROP,           /* b = field; a = category it is limited to, "" = all */
  R_DROP_AFTER_MAP, /* b = column dropped after the table map */
  R_REPLACE,        /* a = columns (comma list), b = prefix, c = replacement */
  R_VALUE_MAP,      /* a = column, b = value, c = new value (repeat = OR) */
  R_HASH,           /* a = table ("*" = any), b = column prefix, c = algorithms */
  R_HASH_ONE,       /* a = table, b = the one column, c = algorithms */
  R_BASENAME,       /* a = category it skips, b = field, c = new column */
  R_SPLIT_DOMAIN,   /* a = column, b = domain column */
} row_kind;

typedef struct row {
  row_kind kind;
  const char *a, *b, *c;
  int n, m;
} row;

#define PS_ROUTE(cat, t) {R_ROUTE, cat, t, NULL, 0, 0},
#define PS_EVENTID(id, cat, order) {R_EVENTID, cat, NULL, NULL, id, order},
#define PS_EVENTID_ROUTE(cat, t) {R_EVENTID_ROUTE, cat, t, NULL, 0, 0},
#define PS_FIELD(t, f, col) {R_FIELD, t, f, col, 0, 0},
#define PS_GENERIC(f, col) {R_GENERIC, NULL, f, col, 0, 0},
#define PS_DROP(f, cat) {R_DROP, cat, f, NULL, 0, 0},
#define PS_DROP_AFTER_MAP(col, cat) {R_DROP_AFTER_MAP, cat, col, NULL, 0, 0},
#define PS_REPLACE(cols, prefix, repl, order) {R_REPLACE, cols, prefix, repl, order, 0},
#define PS_VALUE_MAP(col, from, to) {R_VALUE_MAP, col, from, to, 0, 0},
#define PS_HASH(t, prefix, algos) {R_HASH, t, prefix, algos, 0, 0},
#define PS_HASH_ONE_COLUMN(t, col, algos) {R_HASH_ONE, t, col, algos, 0, 0},
#define PS_PARENT_BASENAME(skip, f, col) {R_BASENAME, skip, f, col, 0, 0},
#define PS_SPLIT_DOMAIN(col, dom) {R_SPLIT_DOMAIN, col, dom, NULL, 0, 0},
static const row asim_rows[] = {
#include "pysigma_asim.def"
};
static const row xdr_rows[] = {
#include "pysigma_xdr.def"
};
static const row monitor_rows[] = {
#include "pysigma_monitor.def"
};

typedef struct pipeline {
  const row *rows;
  size_t n;
  const sk_schema *schema; /* what the field check accepts as columns */
  const sk_schema *real;   /* the columns the target really has */
  /* The real schema's name for a table ("imFileEvent" -> "FileEvent"). */
  const char *const (*real_names)[2];
} pipeline;

/* The reference's ASIM "tables" are parser functions; their columns are
 * those of the ASIM schema. */
static const char *const asim_schemas[][2] = {
    {"imProcessCreate", "ProcessEvent"}, {"imFileEvent", "FileEvent"},
    {"imRegistry", "RegistryEvent"},     {"imNetworkSession", "NetworkSession"},
    {"imWebSession", "WebSession"},      {"imAuthentication", "Authentication"},
    {"_Im_Dns", "Dns"},                  {"imAuditEvent", "AuditEvent"},
    {NULL, NULL},
};

#define COUNT(a) (sizeof(a) / sizeof *(a))
static const pipeline asim = {asim_rows, COUNT(asim_rows), &sk_schema_pysigma_asim,
                              &sk_schema_asim, asim_schemas};
static const pipeline xdr = {xdr_rows, COUNT(xdr_rows), &sk_schema_xdr, &sk_schema_xdr, NULL};
static const pipeline monitor = {monitor_rows, COUNT(monitor_rows), &sk_schema_monitor,
                                 &sk_schema_monitor, NULL};

typedef struct ps_ctx {
  sk_pass *p;
  const sk_rule *r;
  const pipeline *pl;
  const char *table;
  const char *real_table; /* the table's name in pl->real */
} ps_ctx;

#define EACH_ROW(pl, r, k) \
  for (const row *r = (pl)->rows; r < (pl)->rows + (pl)->n; r++) if (r->kind == (k))

static bool category_is(const ps_ctx *c, const char *cat) {
  return c->r->category.present && sk_str_eqc(c->r->category.str, cat);
}

/* ---- table selection ---- */

static const char *table_for_eventid(const pipeline *pl, long id) {
  const row *best = NULL;
  EACH_ROW(pl, r, R_EVENTID)
    if (r->n == id && (!best || r->m < best->m))
      best = r;
  if (best)
    EACH_ROW(pl, r, R_EVENTID_ROUTE)
      if (strcmp(r->a, best->a) == 0)
        return r->b;
  return NULL;
}

/* The first EventID/EventCode value, in document order, that routes. */
static const char *table_in_tree(const pipeline *pl, const sk_node *n) {
  if (n->kind == SK_N_MATCH) {
    const sk_match *m = n->as.match;
    if ((sk_str_eqc(m->field, "EventID") || sk_str_eqc(m->field, "EventCode")) &&
        (m->op == SK_MOP_NUM || m->op == SK_MOP_STR) && m->value.len && m->value.len < 12) {
      char buf[16], *end;
      memcpy(buf, m->value.ptr, m->value.len);
      buf[m->value.len] = '\0';
      long id = strtol(buf, &end, 10);
      if (*end == '\0')
        return table_for_eventid(pl, id);
    }
    return NULL;
  }
  for (uint32_t i = 0; i < n->n; i++) {
    const char *t = table_in_tree(pl, n->kids[i]);
    if (t)
      return t;
  }
  return NULL;
}

/* A pipeline's query_table; else by category alone; without a category,
 * by the EventID of a 'sel*' detection. */
static const char *choose_table(sk_arena *a, const pipeline *pl, const sk_rule *r) {
  if (r->query_table.len) /* set by a pipeline: it wins */
    return sk_arena_strndup(a, r->query_table.ptr, r->query_table.len);
  if (r->category.present) {
    EACH_ROW(pl, rt, R_ROUTE)
      if (sk_str_eqc(r->category.str, rt->a))
        return rt->b;
    return NULL;
  }
  for (uint32_t i = 0; i < r->ndets; i++)
    if (sk_str_has_prefix_i(r->dets[i].name, "sel")) {
      const char *t = table_in_tree(pl, r->dets[i].tree);
      if (t)
        return t;
    }
  return NULL;
}

/* ---- the reference's tree ----
 * Built with its shape rules: a detection or group of one member
 * collapses; an item whose field maps to several columns becomes an OR of
 * copies of the whole item; a dropped item leaves NONE, which the
 * condition keeps and rendering skips. */

static sk_node *none(sk_arena *a, sk_loc loc) { return sk_node_new(a, SK_PS_NONE, loc); }

static bool is_map_key(const ps_ctx *c, sk_str name) {
  EACH_ROW(c->pl, r, R_FIELD)
    if (strcmp(r->a, c->table) == 0 && sk_str_eqc(name, r->b))
      return true;
  EACH_ROW(c->pl, r, R_GENERIC)
    if (sk_str_eqc(name, r->b))
      return true;
  return false;
}

/* The field check: a column of its schema table, a key of one of its
 * maps, or Hashes. */
static bool column_accepted(const ps_ctx *c, sk_str col) {
  return sk_schema_find(c->pl->schema, c->table, col) || is_map_key(c, col) ||
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

static sk_str parse_text(sk_arena *a, sk_str text) {
  sk_buf b = SK_BUF_INIT;
  sk_ps_parse_text(&b, text);
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

/* The leaves of an item: itself, or its values. */
/* NULL with *n == 1 when the item is a single value (itself). */
static sk_node **leaves_of(sk_node *item, uint32_t *n) {
  if (item->kind == SK_N_MATCH || item->origin == SK_O_EXPANSION) {
    *n = 1;
    return NULL;
  }
  *n = item->n;
  return item->kids;
}

static sk_node *first_leaf(sk_node *n) {
  while (n->kind != SK_N_MATCH)
    n = n->kids[0];
  return n;
}

/* Applies fn to every leaf of an item in place of the leaf; fn may return
 * a value list (origin VALUES) whose values join the item's list. */
typedef sk_node *(*leaf_fn)(ps_ctx *c, sk_node *leaf, const void *arg);

static sk_node *each_leaf(ps_ctx *c, sk_node *item, leaf_fn fn, const void *arg) {
  sk_arena *a = c->p->arena;
  if (item->kind == SK_N_MATCH)
    return fn(c, item, arg);
  sk_node *copy = sk_node_list(a, item->kind, item->loc, item->n);
  copy->origin = item->origin;
  uint32_t n = 0;
  for (uint32_t i = 0; i < item->n; i++) {
    sk_node *k = each_leaf(c, item->kids[i], fn, arg);
    if (k->kind != SK_N_MATCH && item->origin == SK_O_VALUES && k->origin == SK_O_VALUES) {
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

/* Gives a leaf its column, with the column's type in the reference's
 * schema (the renderer needs it only to keep its output valid KQL). */
static sk_node *set_column(ps_ctx *c, sk_node *leaf, const void *arg) {
  sk_node *k = sk_match_copy(c->p->arena, leaf);
  sk_match *m = k->as.match;
  m->column = *(const sk_str *)arg;
  const sk_column *col = sk_schema_find(c->pl->real, c->real_table, m->column);
  m->type = col ? col->type : SK_TY_STRING;
  m->column_missing = col == NULL;
  return k;
}

/* A number on a text rewrite becomes its decimal text first. */
static void as_text(sk_match *m) {
  if (m->op == SK_MOP_NUM)
    m->op = SK_MOP_STR;
}

/* Registry round trip: the value is written as text, the hive prefix
 * replaced, every backslash not before a wildcard doubled, and the text
 * read back, so a backslash before a wildcard eats it and the wildcard
 * turns literal. Every value on the columns is rewritten, matching or
 * not. */
static sk_node *round_trip(ps_ctx *c, sk_node *leaf, const void *arg) {
  const row *rp = arg;
  sk_match *m = leaf->as.match;
  if (m->op != SK_MOP_STR && m->op != SK_MOP_NUM)
    return leaf;
  sk_node *k = sk_match_copy(c->p->arena, leaf);
  m = k->as.match;
  as_text(m);
  sk_buf t = SK_BUF_INIT, u = SK_BUF_INIT;
  plain_text(&t, m->value);
  size_t plen = strlen(rp->b), from = 0;
  if (t.len >= plen && sk_str_eqi((sk_str){t.ptr, plen}, sk_str_c(rp->b))) {
    sk_buf_puts(&u, rp->c);
    from = plen;
  }
  for (size_t i = from; i < t.len; i++) {
    sk_buf_putc(&u, t.ptr[i]);
    if (t.ptr[i] == '\\' && !(i + 1 < t.len && (t.ptr[i + 1] == '*' || t.ptr[i + 1] == '?')))
      sk_buf_putc(&u, '\\');
  }
  m->value = parse_text(c->p->arena, (sk_str){u.ptr ? u.ptr : "", u.len});
  sk_buf_free(&t);
  sk_buf_free(&u);
  return k;
}

/* EventType names: one value may become two, and so a value list. */
static sk_node *value_map(ps_ctx *c, sk_node *leaf, const void *arg) {
  (void)arg;
  sk_arena *a = c->p->arena;
  sk_match *m = leaf->as.match;
  if (m->op != SK_MOP_STR)
    return leaf;
  sk_buf t = SK_BUF_INIT;
  plain_text(&t, m->value);
  sk_str text = {t.ptr ? t.ptr : "", t.len};
  uint32_t hits = 0;
  EACH_ROW(c->pl, r, R_VALUE_MAP)
    hits += sk_str_eqc(m->column, r->a) && sk_str_eqc(text, r->b);
  sk_node *result = leaf;
  if (hits) {
    sk_node *list = hits > 1 ? sk_node_list(a, SK_N_OR, leaf->loc, hits) : NULL;
    if (list)
      list->origin = SK_O_VALUES;
    hits = 0;
    EACH_ROW(c->pl, r, R_VALUE_MAP)
      if (sk_str_eqc(m->column, r->a) && sk_str_eqc(text, r->b)) {
        sk_node *v = sk_match_copy(a, leaf);
        v->as.match->value = parse_text(a, sk_str_c(r->c));
        if (!list) {
          result = v;
          break;
        }
        list->kids[hits++] = v;
      }
    if (list)
      result = list;
  }
  sk_buf_free(&t);
  return result;
}

/* XDR outside process_creation: a parent image keeps only its file name. */
static sk_node *basename_of(ps_ctx *c, sk_node *leaf, const void *arg) {
  (void)arg;
  sk_match *m = leaf->as.match;
  if (m->op != SK_MOP_STR && m->op != SK_MOP_NUM)
    return leaf;
  sk_node *k = sk_match_copy(c->p->arena, leaf);
  m = k->as.match;
  as_text(m);
  sk_buf t = SK_BUF_INIT;
  plain_text(&t, m->value);
  sk_str s = {t.ptr ? t.ptr : "", t.len};
  for (size_t i = s.len; i-- > 0;)
    if (s.ptr[i] == '\\') {
      s = (sk_str){s.ptr + i + 1, s.len - i - 1};
      break;
    }
  for (size_t i = s.len; i-- > 0;)
    if (s.ptr[i] == '/') {
      s = (sk_str){s.ptr + i + 1, s.len - i - 1};
      break;
    }
  m->value = parse_text(c->p->arena, s);
  sk_buf_free(&t);
  return k;
}

static sk_node *leaf_with(ps_ctx *c, sk_node *leaf, sk_str column, sk_str text) {
  sk_node *k = set_column(c, leaf, &column);
  k->as.match->op = SK_MOP_STR;
  k->as.match->value = parse_text(c->p->arena, text);
  return k;
}

/* XDR DOMAIN\user: each value becomes user AND domain, ORed. */
static sk_node *split_domain(ps_ctx *c, sk_node *item, const row *r) {
  sk_arena *a = c->p->arena;
  uint32_t n;
  sk_node **leaves = leaves_of(item, &n);
  sk_node *or = sk_node_list(a, SK_N_OR, item->loc, n);
  or->origin = SK_O_MAPS;
  for (uint32_t i = 0; i < n; i++) {
    sk_node *leaf = leaves ? leaves[i] : item;
    const sk_match *m = leaf->kind == SK_N_MATCH ? leaf->as.match : NULL;
    if (!m || (m->op != SK_MOP_STR && m->op != SK_MOP_NUM && m->op != SK_MOP_BOOL &&
               m->op != SK_MOP_NULL && m->op != SK_MOP_RE)) {
      sk_diag_error(c->p->diags, first_leaf(item)->as.match->value_loc,
                    "the reference converter cannot split this value into user and domain");
      return NULL;
    }
    sk_buf t = SK_BUF_INIT;
    if (m->op == SK_MOP_STR)
      plain_text(&t, m->value);
    const char *bs = t.len ? memchr(t.ptr, '\\', t.len) : NULL;
    if (bs && !memchr(bs + 1, '\\', t.len - (size_t)(bs + 1 - t.ptr))) {
      sk_node *and = sk_node_list(a, SK_N_AND, leaf->loc, 2);
      and->origin = SK_O_MAP;
      and->kids[0] = leaf_with(c, leaf, m->column,
                               (sk_str){bs + 1, t.len - (size_t)(bs + 1 - t.ptr)});
      and->kids[1] = leaf_with(c, leaf, sk_str_c(r->b), (sk_str){t.ptr, (size_t)(bs - t.ptr)});
      or->kids[i] = and;
    } else {
      or->kids[i] = leaf;
    }
    sk_buf_free(&t);
  }
  return n == 1 ? or->kids[0] : or;
}

/* Hashes: each value goes to the column of its algorithm; the values of
 * one column form one item, ORed in first-seen order. */
static sk_node *split_hashes(ps_ctx *c, sk_node *item, const row *h, bool one_column) {
  sk_arena *a = c->p->arena;
  uint32_t n;
  sk_node **leaves = leaves_of(item, &n);
  const char **cols = sk_arena_array(a, n, sizeof *cols);
  sk_node ***groups = sk_arena_array(a, n, sizeof *groups);
  uint32_t *sizes = sk_arena_array(a, n, sizeof *sizes), ngroups = 0;
  bool valid = false;
  for (uint32_t i = 0; i < n; i++) {
    sk_node *leaf = leaves ? leaves[i] : item;
    const sk_match *m = first_leaf(leaf)->as.match;
    sk_buf t = SK_BUF_INIT;
    if (m->op == SK_MOP_STR)
      plain_text(&t, m->value);
    else
      sk_buf_putstr(&t, m->value);
    sk_str text = {t.ptr ? t.ptr : "", t.len};
    /* split at '|', or else at '='; two parts name the algorithm */
    size_t parts = 1;
    char sep = memchr(text.ptr, '|', text.len) ? '|' : '=';
    for (size_t k = 0; k < text.len; k++)
      parts += text.ptr[k] == sep;
    const char *cut = memchr(text.ptr, sep, text.len);
    char algo[16] = "";
    sk_str value;
    if (parts == 2) {
      sk_str name = {text.ptr, (size_t)(cut - text.ptr)};
      while (name.len && name.ptr[0] == '*')
        name.ptr++, name.len--;
      if (name.len < sizeof algo) {
        for (size_t k = 0; k < name.len; k++)
          algo[k] = (char)sk_upper((unsigned char)name.ptr[k]);
        algo[name.len] = '\0';
      }
      if (!in_list(h->c, sk_str_c(algo)))
        algo[0] = '\0';
      value = (sk_str){cut + 1, text.len - (size_t)(cut + 1 - text.ptr)};
    } else {
      value = parts > 1 ? (sk_str){text.ptr, (size_t)(cut - text.ptr)} : text;
      strcpy(algo, value.len == 32 ? "MD5" : value.len == 40 ? "SHA1" : value.len == 64 ? "SHA256"
                   : value.len == 128 ? "SHA512" : "");
    }
    valid |= algo[0] != '\0';
    sk_buf col = SK_BUF_INIT;
    sk_buf_printf(&col, "%s%s", h->b, one_column ? "" : algo);
    const char *colname = sk_arena_strndup(a, col.ptr ? col.ptr : "", col.len);
    sk_buf_free(&col);
    if (colname[0]) { /* a value with neither algorithm nor prefix is dropped */
      uint32_t g = 0;
      while (g < ngroups && strcmp(cols[g], colname) != 0)
        g++;
      if (g == ngroups) {
        cols[g] = colname;
        groups[g] = sk_arena_array(a, n, sizeof *groups[g]);
        sizes[g] = 0;
        ngroups++;
      }
      groups[g][sizes[g]++] = leaf_with(c, first_leaf(leaf), sk_str_c(colname), value);
    }
    sk_buf_free(&t);
  }
  if (!valid) {
    sk_diag_error(c->p->diags, first_leaf(item)->as.match->value_loc,
                  "no valid hash algorithm in Hashes (expected one of %s)", h->c);
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

static const row *hash_row(const ps_ctx *c, bool *one_column) {
  EACH_ROW(c->pl, r, R_HASH_ONE)
    if (strcmp(r->a, c->table) == 0)
      return *one_column = true, r;
  *one_column = false;
  const row *any = NULL;
  EACH_ROW(c->pl, r, R_HASH) {
    if (strcmp(r->a, c->table) == 0)
      return r;
    if (strcmp(r->a, "*") == 0)
      any = r;
  }
  return any;
}

/* The steps after the table map, on one copy of an item. */
static sk_node *after_map(ps_ctx *c, sk_node *item, sk_str col, bool renamed) {
  sk_pass *p = c->p;
  if (!renamed)
    EACH_ROW(c->pl, r, R_GENERIC)
      if (sk_str_eqc(col, r->b)) {
        col = sk_str_c(r->c);
        break;
      }
  EACH_ROW(c->pl, r, R_DROP_AFTER_MAP)
    if (sk_str_eqc(col, r->b))
      return none(p->arena, item->loc);
  item = each_leaf(c, item, set_column, &col);
  EACH_ROW(c->pl, r, R_BASENAME)
    if (!category_is(c, r->a) && sk_str_eqc(col, r->b)) {
      col = sk_str_c(r->c);
      item = each_leaf(c, item, set_column, &col);
      item = each_leaf(c, item, basename_of, NULL);
    }
  EACH_ROW(c->pl, r, R_REPLACE)
    if (in_list(r->a, col))
      item = each_leaf(c, item, round_trip, r);
  item = each_leaf(c, item, value_map, NULL);
  EACH_ROW(c->pl, r, R_SPLIT_DOMAIN)
    if (sk_str_eqc(col, r->a) && !(item = split_domain(c, item, r)))
      return NULL;
  bool one_column;
  const row *h = hash_row(c, &one_column);
  if (h && sk_str_eqc(col, one_column ? h->b : "Hashes") && !(item = split_hashes(c, item, h, one_column)))
    return NULL;
  EACH_ROW(c->pl, r, R_DROP)
    if (r->a[0] && category_is(c, r->a) && sk_str_eqc(col, r->b))
      return none(p->arena, item->loc);
  return item;
}

/* Checks every leaf's column (and field-reference value) like the
 * reference's field check. */
static bool check_fields(ps_ctx *c, const sk_node *n, const sk_match *orig) {
  if (n->kind == SK_N_MATCH) {
    const sk_match *m = n->as.match;
    if (!column_accepted(c, m->column)) {
      sk_diag_error(c->p->diags, orig->field_loc,
                    "field '%.*s' becomes '%.*s', which the reference converter does not accept "
                    "for %s",
                    (int)orig->field.len, orig->field.ptr, (int)m->column.len, m->column.ptr,
                    c->table);
      return false;
    }
    if (m->op == SK_MOP_FIELDREF) {
      if (!column_accepted(c, m->value))
        sk_diag_error(c->p->diags, m->value_loc,
                      "field '%.*s' is not accepted by the reference converter for %s",
                      (int)m->value.len, m->value.ptr, c->table);
      else
        sk_diag_error(c->p->diags, m->field_loc,
                      "the reference converter does not support 'fieldref'");
      return false;
    }
    return true;
  }
  for (uint32_t i = 0; i < n->n; i++)
    if (n->kids[i]->kind != SK_PS_NONE && !check_fields(c, n->kids[i], orig))
      return false;
  return true;
}

/* One detection item: drop, map, rewrite, check. */
static sk_node *ps_item(ps_ctx *c, sk_node *item) {
  sk_pass *p = c->p;
  const sk_match *m = first_leaf(item)->as.match;
  if (!m->field.len)
    return item; /* keywords are neither mapped nor checked */
  EACH_ROW(c->pl, r, R_DROP)
    if (!r->a[0] && sk_str_eqc(m->field, r->b))
      return none(p->arena, item->loc);
  if (m->op == SK_MOP_TIMEPART || m->op == SK_MOP_WATCHLIST || (m->flags & SK_MF_CASED)) {
    sk_diag_error(p->diags, m->field_loc, "the reference converter does not support '%s'",
                  m->op == SK_MOP_TIMEPART    ? m->timepart
                  : m->op == SK_MOP_WATCHLIST ? "watchlist placeholders"
                                              : "cased");
    return NULL;
  }
  uint32_t nc = 0;
  EACH_ROW(c->pl, r, R_FIELD)
    nc += strcmp(r->a, c->table) == 0 && sk_str_eqc(m->field, r->b);
  sk_node *result;
  if (nc <= 1) {
    sk_str col = m->field;
    EACH_ROW(c->pl, r, R_FIELD)
      if (strcmp(r->a, c->table) == 0 && sk_str_eqc(m->field, r->b))
        col = sk_str_c(r->c);
    result = after_map(c, item, col, nc == 1);
  } else { /* several columns: an OR of copies of the whole item */
    result = sk_node_list(p->arena, SK_N_OR, item->loc, nc);
    result->origin = SK_O_MAPS;
    nc = 0;
    EACH_ROW(c->pl, r, R_FIELD)
      if (strcmp(r->a, c->table) == 0 && sk_str_eqc(m->field, r->b))
        if (!(result->kids[nc++] = after_map(c, item, sk_str_c(r->c), true)))
          return NULL;
  }
  if (!result || (result->kind != SK_PS_NONE && !check_fields(c, result, m)))
    return NULL;
  return result;
}

/* Walks a detection: maps and lists of maps hold items. */
static sk_node *ps_walk(ps_ctx *c, sk_node *n) {
  if (n->kind == SK_N_NOT) { /* neq */
    sk_node *k = ps_walk(c, n->kids[0]);
    return k ? sk_node_not(c->p->arena, k) : NULL;
  }
  if (n->kind == SK_N_MATCH || n->origin == SK_O_VALUES || n->origin == SK_O_EXPANSION)
    return ps_item(c, n);
  if (n->n == 1) /* a detection of one member is that member */
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
  if (n->kind == SK_PS_NONE)
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

/* NOT of NONE: the reference refuses the rule. */
static bool has_not_none(const sk_node *n) {
  if (n->kind == SK_N_NOT && n->kids[0]->kind == SK_PS_NONE)
    return true;
  for (uint32_t i = 0; i < n->n && n->kind != SK_N_MATCH; i++)
    if (has_not_none(n->kids[i]))
      return true;
  return false;
}

static bool compile(const pipeline *pl, sk_pass *p, const sk_rule *r, sk_output *out) {
  const char *table = choose_table(p->arena, pl, r);
  if (!table) {
    sk_loc at = r->category.present ? r->category.loc : r->logsource_loc;
    sk_diag_error(p->diags, at,
                  "the reference converter has no table for this log source (it routes by "
                  "category, or by EventID when there is no category)");
    return false;
  }
  ps_ctx c = {p, r, pl, table, table};
  for (size_t i = 0; pl->real_names && pl->real_names[i][0]; i++)
    if (strcmp(pl->real_names[i][0], table) == 0)
      c.real_table = pl->real_names[i][1];
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
    if (sk_ps_render(&q, tree)) /* a condition left empty gives no query */
      sk_output_add(p->arena, out, q.ptr, q.len);
    sk_buf_free(&q);
  }
  out->table = table;
  return true;
}

static bool compile_asim(sk_pass *p, const sk_rule *r, sk_output *out) {
  return compile(&asim, p, r, out);
}
static bool compile_xdr(sk_pass *p, const sk_rule *r, sk_output *out) {
  return compile(&xdr, p, r, out);
}
static bool compile_monitor(sk_pass *p, const sk_rule *r, sk_output *out) {
  return compile(&monitor, p, r, out);
}

const sk_backend sk_backend_asim_pysigma = {
    .target = "asim",
    .profile = "pysigma",
    .summary = "the reference converter's ASIM tables and output (pySigma-backend-kusto 1.0.1)",
    .compile = compile_asim,
};
const sk_backend sk_backend_xdr_pysigma = {
    .target = "xdr",
    .profile = "pysigma",
    .summary = "the reference converter's Defender XDR tables and output",
    .compile = compile_xdr,
};
const sk_backend sk_backend_monitor_pysigma = {
    .target = "monitor",
    .profile = "pysigma",
    .summary = "the reference converter's Azure Monitor tables and output",
    .compile = compile_monitor,
};
