/* pipeline.c - user processing pipelines (see pipeline.h).
 * A pipeline file is YAML: `priority` (lower runs first; ties keep file
 * order) and `transformations`, a list of maps with `type`, the type's
 * arguments, and optional `rule_conditions` / `field_name_conditions`.
 * Transformations rewrite the rule's detection trees in place of the
 * reference converter's Python objects. */
#include "pipeline.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>

#include "pass_map.h"

typedef enum tkind {
  T_FIELD_MAP,   /* field_name_mapping: mapping {field: name | [names]} */
  T_PREFIX,      /* field_name_prefix: prefix */
  T_SUFFIX,      /* field_name_suffix: suffix */
  T_ADD_COND,    /* add_condition: conditions {field: value} */
  T_CHANGE_LS,   /* change_logsource: category, product, service */
  T_DROP,        /* drop_detection_item */
  T_REPLACE,     /* replace_string: regex, replacement */
  T_SET_STATE,   /* set_state: key query_table, val */
  T_FAIL,        /* rule_failure: message */
} tkind;

static const struct {
  const char *name;
  tkind kind;
} kinds[] = {
    {"field_name_mapping", T_FIELD_MAP}, {"field_name_prefix", T_PREFIX},
    {"field_name_suffix", T_SUFFIX},     {"add_condition", T_ADD_COND},
    {"change_logsource", T_CHANGE_LS},   {"drop_detection_item", T_DROP},
    {"replace_string", T_REPLACE},       {"set_state", T_SET_STATE},
    {"rule_failure", T_FAIL},
};

typedef struct logsource_cond {
  const sk_ynode *category, *product, *service;
} logsource_cond;

typedef struct field_cond {
  bool include;          /* include_fields, or exclude_fields */
  const sk_ynode *fields; /* a list of names */
} field_cond;

typedef struct transform {
  tkind kind;
  long priority;
  size_t order;
  const sk_ynode *node; /* the transformation's map, for positions */
  const char *pipeline; /* the file's path */
  logsource_cond *rconds;
  size_t nrconds;
  bool rcond_or, rcond_not;
  field_cond *fconds;
  size_t nfconds;
  bool fcond_or, fcond_not;
  const sk_ynode *arg;  /* mapping, conditions, or the scalar argument */
  const sk_ynode *arg2; /* replace_string replacement */
  regex_t re;
  bool has_re;
} transform;

struct sk_pipelines {
  transform *v;
  size_t n;
};

/* ---- loading ---- */

static const sk_ynode *want(sk_diags *d, const sk_ynode *map, const char *key, sk_ykind kind,
                            bool required) {
  const sk_ynode *n = sk_ymap_get(map, key);
  if (!n) {
    if (required)
      sk_diag_error(d, map->loc, "transformation needs '%s'", key);
    return NULL;
  }
  if (n->kind != kind) {
    static const char *const names[] = {"a string", "a list", "a mapping"};
    sk_diag_error(d, n->loc, "'%s' must be %s", key, names[kind]);
    return NULL;
  }
  return n;
}

static bool is_true(const sk_ynode *n) {
  return n && n->kind == SK_Y_SCALAR && (sk_str_eqic(n->str, "true") || sk_str_eqic(n->str, "yes"));
}

static bool load_conditions(sk_arena *a, sk_diags *d, const sk_ynode *tn, transform *t) {
  const sk_ynode *rc = sk_ymap_get(tn, "rule_conditions");
  if (rc) {
    if (rc->kind != SK_Y_SEQ) {
      sk_diag_error(d, rc->loc, "'rule_conditions' must be a list");
      return false;
    }
    t->rconds = sk_arena_array(a, rc->n + 1, sizeof *t->rconds);
    for (uint32_t i = 0; i < rc->n; i++) {
      const sk_ynode *c = rc->kids[i], *type = sk_ymap_get(c, "type");
      if (!type || type->kind != SK_Y_SCALAR || !sk_str_eqc(type->str, "logsource")) {
        sk_diag_error(d, type ? type->loc : c->loc,
                      "unsupported rule condition (only 'logsource' is)");
        return false;
      }
      t->rconds[t->nrconds++] = (logsource_cond){sk_ymap_get(c, "category"),
                                                 sk_ymap_get(c, "product"),
                                                 sk_ymap_get(c, "service")};
    }
  }
  const sk_ynode *op = sk_ymap_get(tn, "rule_cond_op");
  t->rcond_or = op && op->kind == SK_Y_SCALAR && sk_str_eqic(op->str, "or");
  t->rcond_not = is_true(sk_ymap_get(tn, "rule_cond_not"));
  const sk_ynode *fc = sk_ymap_get(tn, "field_name_conditions");
  if (fc) {
    if (fc->kind != SK_Y_SEQ) {
      sk_diag_error(d, fc->loc, "'field_name_conditions' must be a list");
      return false;
    }
    t->fconds = sk_arena_array(a, fc->n + 1, sizeof *t->fconds);
    for (uint32_t i = 0; i < fc->n; i++) {
      const sk_ynode *c = fc->kids[i], *type = sk_ymap_get(c, "type");
      bool include = type && type->kind == SK_Y_SCALAR && sk_str_eqc(type->str, "include_fields");
      bool exclude = type && type->kind == SK_Y_SCALAR && sk_str_eqc(type->str, "exclude_fields");
      if (!include && !exclude) {
        sk_diag_error(d, type ? type->loc : c->loc,
                      "unsupported field name condition (expected include_fields or "
                      "exclude_fields)");
        return false;
      }
      const sk_ynode *f = want(d, c, "fields", SK_Y_SEQ, true);
      if (!f)
        return false;
      t->fconds[t->nfconds++] = (field_cond){include, f};
    }
  }
  op = sk_ymap_get(tn, "field_name_cond_op");
  t->fcond_or = op && op->kind == SK_Y_SCALAR && sk_str_eqic(op->str, "or");
  t->fcond_not = is_true(sk_ymap_get(tn, "field_name_cond_not"));
  return true;
}

static bool load_transform(sk_arena *a, sk_diags *d, const sk_ynode *tn, transform *t) {
  if (tn->kind != SK_Y_MAP) {
    sk_diag_error(d, tn->loc, "a transformation must be a mapping");
    return false;
  }
  const sk_ynode *type = want(d, tn, "type", SK_Y_SCALAR, true);
  if (!type)
    return false;
  size_t k = 0;
  while (k < sizeof kinds / sizeof *kinds && !sk_str_eqc(type->str, kinds[k].name))
    k++;
  if (k == sizeof kinds / sizeof *kinds) {
    sk_diag_error(d, type->loc, "unsupported transformation type '%.*s'", (int)type->str.len,
                  type->str.ptr);
    return false;
  }
  t->kind = kinds[k].kind;
  t->node = tn;
  switch (t->kind) {
  case T_FIELD_MAP:
    t->arg = want(d, tn, "mapping", SK_Y_MAP, true);
    break;
  case T_PREFIX:
    t->arg = want(d, tn, "prefix", SK_Y_SCALAR, true);
    break;
  case T_SUFFIX:
    t->arg = want(d, tn, "suffix", SK_Y_SCALAR, true);
    break;
  case T_ADD_COND:
    t->arg = want(d, tn, "conditions", SK_Y_MAP, true);
    break;
  case T_CHANGE_LS:
    t->arg = tn;
    break;
  case T_DROP:
    t->arg = tn;
    break;
  case T_REPLACE:
    t->arg = want(d, tn, "regex", SK_Y_SCALAR, true);
    t->arg2 = want(d, tn, "replacement", SK_Y_SCALAR, true);
    if (t->arg && t->arg2) {
      char *re = sk_arena_strndup(a, t->arg->str.ptr, t->arg->str.len);
      int rc = regcomp(&t->re, re, REG_EXTENDED);
      if (rc) {
        char msg[200];
        regerror(rc, &t->re, msg, sizeof msg);
        sk_diag_error(d, t->arg->loc, "invalid regex: %s", msg);
        return false;
      }
      t->has_re = true;
    }
    break;
  case T_SET_STATE: {
    const sk_ynode *key = want(d, tn, "key", SK_Y_SCALAR, true);
    t->arg = want(d, tn, "val", SK_Y_SCALAR, true);
    if (key && !sk_str_eqc(key->str, "query_table")) {
      sk_diag_error(d, key->loc, "unsupported state key '%.*s' (only query_table is)",
                    (int)key->str.len, key->str.ptr);
      return false;
    }
    if (t->arg && !sk_str_is_ident(t->arg->str)) {
      sk_diag_error(d, t->arg->loc, "query_table must be a table or function name");
      return false;
    }
    break;
  }
  case T_FAIL:
    t->arg = want(d, tn, "message", SK_Y_SCALAR, true);
    break;
  }
  if (t->arg != NULL && load_conditions(a, d, tn, t))
    return true;
  if (t->has_re)
    regfree(&t->re);
  t->has_re = false;
  return false;
}

static int by_priority(const void *x, const void *y) {
  const transform *a = x, *b = y;
  if (a->priority != b->priority)
    return a->priority < b->priority ? -1 : 1;
  return a->order < b->order ? -1 : a->order > b->order;
}

bool sk_pipelines_load(sk_arena *a, sk_diags *d, const char *const *paths, size_t n,
                       sk_pipelines **out) {
  sk_pipelines *pl = SK_NEW(a, sk_pipelines);
  size_t cap = 0;
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    sk_buf data = SK_BUF_INIT;
    if (!sk_buf_read_file(&data, paths[i])) {
      sk_buf_free(&data);
      sk_diag_error(d, (sk_loc){0}, "cannot read pipeline '%s'", paths[i]);
      ok = false;
      continue;
    }
    sk_source *src = SK_NEW(a, sk_source);
    src->path = sk_arena_strndup(a, paths[i], strlen(paths[i]));
    src->len = data.len;
    src->data = sk_arena_strndup(a, data.ptr ? data.ptr : "", data.len);
    sk_buf_free(&data);
    sk_ydocs docs;
    if (!sk_yaml_load(a, d, src, &docs)) {
      ok = false;
      continue;
    }
    const sk_ynode *doc = docs.n ? docs.docs[0] : NULL;
    if (!doc || doc->kind != SK_Y_MAP) {
      sk_diag_error(d, (sk_loc){src, 1, 1, 1}, "a pipeline must be a YAML mapping");
      ok = false;
      continue;
    }
    long priority = 0;
    const sk_ynode *prio = sk_ymap_get(doc, "priority");
    if (prio) {
      char buf[32];
      snprintf(buf, sizeof buf, "%.*s", (int)(prio->str.len < 31 ? prio->str.len : 31), prio->str.ptr);
      char *end;
      priority = strtol(buf, &end, 10);
      if (prio->kind != SK_Y_SCALAR || *end || !prio->str.len) {
        sk_diag_error(d, prio->loc, "'priority' must be an integer");
        ok = false;
        continue;
      }
    }
    const sk_ynode *ts = want(d, doc, "transformations", SK_Y_SEQ, true);
    if (!ts) {
      ok = false;
      continue;
    }
    for (uint32_t k = 0; k < ts->n; k++) {
      if (pl->n == cap) {
        cap = cap ? cap * 2 : 8;
        transform *v = sk_arena_array(a, cap, sizeof *v);
        if (pl->n)
          memcpy(v, pl->v, pl->n * sizeof *v);
        pl->v = v;
      }
      transform *t = &pl->v[pl->n];
      memset(t, 0, sizeof *t);
      t->priority = priority;
      t->order = pl->n;
      t->pipeline = src->path;
      if (load_transform(a, d, ts->kids[k], t))
        pl->n++;
      else
        ok = false;
    }
  }
  if (pl->n)
    qsort(pl->v, pl->n, sizeof *pl->v, by_priority);
  *out = pl;
  return ok;
}

void sk_pipelines_free(sk_pipelines *pl) {
  for (size_t i = 0; pl && i < pl->n; i++)
    if (pl->v[i].has_re)
      regfree(&pl->v[i].re);
}

/* ---- conditions ---- */

static bool key_ok(const sk_ynode *want_value, const sk_field *have) {
  if (!want_value)
    return true;
  return have->present && want_value->kind == SK_Y_SCALAR && sk_str_eqi(want_value->str, have->str);
}

static bool rule_applies(const transform *t, const sk_rule *r) {
  if (!t->nrconds)
    return true;
  bool result = !t->rcond_or;
  for (size_t i = 0; i < t->nrconds; i++) {
    const logsource_cond *c = &t->rconds[i];
    bool m = key_ok(c->category, &r->category) && key_ok(c->product, &r->product) &&
             key_ok(c->service, &r->service);
    result = t->rcond_or ? result || m : result && m;
  }
  return result != t->rcond_not;
}

static bool in_fields(const sk_ynode *list, sk_str field) {
  for (uint32_t i = 0; i < list->n; i++)
    if (list->kids[i]->kind == SK_Y_SCALAR && sk_str_eq(list->kids[i]->str, field))
      return true;
  return false;
}

static bool field_applies(const transform *t, sk_str field) {
  if (!t->nfconds)
    return true;
  bool result = !t->fcond_or;
  for (size_t i = 0; i < t->nfconds; i++) {
    bool in = in_fields(t->fconds[i].fields, field);
    bool m = t->fconds[i].include ? in : !in;
    result = t->fcond_or ? result || m : result && m;
  }
  return result != t->fcond_not;
}

/* ---- rewriting the detection trees ---- */

typedef struct rewrite {
  sk_pass *p;
  const transform *t;
  bool ok;
} rewrite;

static sk_str concat(sk_arena *a, sk_str x, sk_str y) {
  char *s = sk_arena_alloc(a, x.len + y.len + 1);
  memcpy(s, x.ptr, x.len);
  memcpy(s + x.len, y.ptr, y.len);
  return (sk_str){s, x.len + y.len};
}

static sk_node *renamed(sk_arena *a, const sk_node *n, sk_str field) {
  sk_node *k = sk_match_copy(a, n);
  k->as.match->field = field;
  return k;
}

/* Regex replacement with \0..\9 back-references in the replacement. */
static sk_str replace_all(sk_arena *a, const regex_t *re, sk_str value, sk_str repl) {
  char *text = sk_arena_strndup(a, value.ptr, value.len);
  sk_buf out = SK_BUF_INIT;
  const char *p = text;
  regmatch_t m[10];
  int flags = 0;
  while (*p && regexec(re, p, 10, m, flags) == 0) {
    sk_buf_put(&out, p, (size_t)m[0].rm_so);
    for (size_t i = 0; i < repl.len; i++) {
      if (repl.ptr[i] == '\\' && i + 1 < repl.len && sk_is_digit((unsigned char)repl.ptr[i + 1])) {
        int g = repl.ptr[++i] - '0';
        if (m[g].rm_so >= 0)
          sk_buf_put(&out, p + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
      } else if (repl.ptr[i] == '\\' && i + 1 < repl.len && repl.ptr[i + 1] == '\\') {
        sk_buf_putc(&out, '\\'); /* "\\" is one backslash, as in Python */
        i++;
      } else {
        sk_buf_putc(&out, repl.ptr[i]);
      }
    }
    if (m[0].rm_eo == m[0].rm_so) { /* an empty match: keep one character */
      if (!p[m[0].rm_eo])
        break;
      sk_buf_putc(&out, p[m[0].rm_eo]);
      p += m[0].rm_eo + 1;
    } else {
      p += m[0].rm_eo;
    }
    flags = REG_NOTBOL;
  }
  sk_buf_puts(&out, p);
  sk_str s = {sk_arena_strndup(a, out.ptr ? out.ptr : "", out.len), out.len};
  sk_buf_free(&out);
  return s;
}

/* One MATCH: the transformed node, or NULL to drop it. */
static sk_node *on_match(rewrite *rw, sk_node *n) {
  const transform *t = rw->t;
  sk_arena *a = rw->p->arena;
  sk_match *m = n->as.match;
  if (!m->field.len || !field_applies(t, m->field))
    return n;
  switch (t->kind) {
  case T_FIELD_MAP: {
    const sk_ynode *to = NULL;
    for (uint32_t i = 0; i + 1 < t->arg->n; i += 2)
      if (sk_str_eq(t->arg->kids[i]->str, m->field))
        to = t->arg->kids[i + 1];
    if (!to)
      return n;
    if (to->kind == SK_Y_SCALAR)
      return renamed(a, n, to->str);
    sk_node *or = sk_node_list(a, SK_N_OR, n->loc, to->n);
    for (uint32_t i = 0; i < to->n; i++)
      or->kids[i] = renamed(a, n, to->kids[i]->str);
    return or;
  }
  case T_PREFIX:
    return renamed(a, n, concat(a, t->arg->str, m->field));
  case T_SUFFIX:
    return renamed(a, n, concat(a, m->field, t->arg->str));
  case T_DROP:
    return NULL;
  case T_REPLACE: {
    if (m->op != SK_MOP_STR)
      return n;
    sk_node *k = sk_match_copy(a, n);
    k->as.match->value = replace_all(a, &t->re, m->value, t->arg2->str);
    return k;
  }
  default:
    return n;
  }
}

/* Rebuilds a tree; dropped members leave their list. */
static sk_node *walk(rewrite *rw, sk_node *n) {
  if (n->kind == SK_N_MATCH)
    return on_match(rw, n);
  if (n->kind != SK_N_AND && n->kind != SK_N_OR && n->kind != SK_N_NOT)
    return n;
  sk_node *copy = sk_node_list(rw->p->arena, n->kind, n->loc, n->n);
  copy->origin = n->origin;
  copy->n = 0;
  for (uint32_t i = 0; i < n->n; i++) {
    sk_node *k = walk(rw, n->kids[i]);
    if (k)
      copy->kids[copy->n++] = k;
  }
  return copy->n ? copy : NULL;
}

static void add_condition(sk_pass *p, const transform *t, sk_rule *r) {
  const sk_ynode *key = sk_ymap_key(t->node, "conditions");
  sk_node *tree = sk_mod_detection(p, key, t->arg);
  if (!tree)
    return;
  char name[48];
  snprintf(name, sizeof name, "_pipeline_condition_%u", r->ndets);
  sk_detection *dets = sk_arena_array(p->arena, r->ndets + 1, sizeof *dets);
  memcpy(dets, r->dets, r->ndets * sizeof *dets);
  sk_str sname = {sk_arena_strndup(p->arena, name, strlen(name)), strlen(name)};
  dets[r->ndets] = (sk_detection){sname, key->loc, tree, true};
  r->dets = dets;
  r->ndets++;
  for (uint32_t i = 0; i < r->nconds; i++) {
    sk_node *ref = sk_node_new(p->arena, SK_N_REF, key->loc);
    ref->as.ref = sname;
    sk_node *and = sk_node_list(p->arena, SK_N_AND, key->loc, 2);
    and->kids[0] = ref;
    and->kids[1] = r->cond_raw[i];
    r->cond_raw[i] = and;
  }
}

static void change_logsource(const transform *t, sk_rule *r) {
  static const char *const keys[] = {"category", "product", "service"};
  sk_field *fields[] = {&r->category, &r->product, &r->service};
  for (int i = 0; i < 3; i++) {
    const sk_ynode *v = sk_ymap_get(t->arg, keys[i]);
    if (v && v->kind == SK_Y_SCALAR)
      *fields[i] = (sk_field){v->str, v->loc, true};
  }
}

bool sk_pipelines_apply(sk_pass *p, const sk_pipelines *pl, sk_rule *r) {
  if (!pl)
    return true;
  for (size_t i = 0; i < pl->n; i++) {
    const transform *t = &pl->v[i];
    if (!rule_applies(t, r))
      continue;
    switch (t->kind) {
    case T_ADD_COND:
      add_condition(p, t, r);
      break;
    case T_CHANGE_LS:
      change_logsource(t, r);
      break;
    case T_SET_STATE:
      r->query_table = t->arg->str;
      break;
    case T_FAIL:
      sk_diag_error(p->diags, r->loc, "rule refused by pipeline %s: %.*s", t->pipeline,
                    (int)t->arg->str.len, t->arg->str.ptr);
      sk_diag_note(p->diags, t->arg->loc, "the rule_failure transformation is here");
      return false;
    case T_FIELD_MAP:
    case T_PREFIX:
    case T_SUFFIX:
    case T_DROP:
    case T_REPLACE: {
      rewrite rw = {p, t, true};
      for (uint32_t k = 0; k < r->ndets; k++) {
        sk_node *tree = walk(&rw, r->dets[k].tree);
        /* A detection left empty constrains nothing. */
        r->dets[k].tree = tree ? tree : sk_node_new(p->arena, SK_N_TRUE, r->dets[k].loc);
      }
      break;
    }
    }
  }
  return true;
}
