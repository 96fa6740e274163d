/* filter.c - Sigma meta filters (see filter.h).
 * A filter document: title, logsource, and `filter:` with `rules` (ids or
 * names of the rules it applies to; absent means every rule of its log
 * source), detections, and a `condition`. Its detections join the rule
 * under private names, and the rule's condition becomes
 * (rule condition) and (filter condition). The specification's own
 * example restricts a rule (condition: selection) instead of excluding
 * events (not selection); that is almost never meant, so it is warned. */
#include "filter.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct filter {
  sk_source *src;
  const sk_ynode *doc, *body, *logsource, *rules, *condition;
} filter;

struct sk_filters {
  sk_arena arena; /* the files' bytes and trees */
  filter *v;
  size_t n, cap;
};

sk_filters *sk_filters_new(void) {
  sk_filters *f = sk_xmalloc(sizeof *f);
  memset(f, 0, sizeof *f);
  return f;
}

void sk_filters_free(sk_filters *f) {
  if (!f)
    return;
  sk_arena_free(&f->arena);
  free(f->v);
  free(f);
}

bool sk_filters_add(sk_filters *f, sk_diags *d, const char *path, const char *data, size_t len) {
  if (!sk_has_top_key(data, len, "filter"))
    return true;
  for (size_t i = 0; i < f->n; i++) /* seen in the pre-scan already */
    if (strcmp(f->v[i].src->path, path) == 0 && f->v[i].src->len == len &&
        memcmp(f->v[i].src->data, data, len) == 0)
      return true;
  sk_source *src = SK_NEW(&f->arena, sk_source);
  src->path = sk_arena_strndup(&f->arena, path, strlen(path));
  src->data = sk_arena_strndup(&f->arena, data, len);
  src->len = len;
  sk_ydocs docs;
  sk_diags quiet = {0}; /* a broken file is reported when it is compiled */
  bool parsed = sk_yaml_load(&f->arena, &quiet, src, &docs);
  sk_diags_clear(&quiet);
  if (!parsed)
    return true;
  bool ok = true;
  for (size_t i = 0; i < docs.n; i++) {
    const sk_ynode *doc = docs.docs[i], *body = sk_ymap_get(doc, "filter");
    if (!body || sk_ymap_get(doc, "detection"))
      continue;
    if (body->kind != SK_Y_MAP) {
      sk_diag_error(d, body->loc, "'filter' must be a mapping");
      ok = false;
      continue;
    }
    const sk_ynode *cond = sk_ymap_get(body, "condition"), *rules = sk_ymap_get(body, "rules");
    if (!cond || cond->kind != SK_Y_SCALAR) {
      sk_diag_error(d, cond ? cond->loc : body->loc, "a filter needs a 'condition' string");
      ok = false;
      continue;
    }
    if (rules && rules->kind == SK_Y_SCALAR) {
      /* one id or name */
    } else if (rules && rules->kind != SK_Y_SEQ) {
      sk_diag_error(d, rules->loc, "'rules' must be a list of rule ids or names");
      ok = false;
      continue;
    }
    if (f->n == f->cap) {
      f->cap = f->cap ? f->cap * 2 : 4;
      f->v = sk_xrealloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = (filter){src, doc, body, sk_ymap_get(doc, "logsource"), rules, cond};
  }
  return ok;
}

/* Every key of the filter's logsource is the rule's too. */
static bool covers(const filter *fl, const sk_rule *r) {
  static const char *const keys[] = {"category", "product", "service"};
  const sk_field *have[] = {&r->category, &r->product, &r->service};
  for (int i = 0; i < 3; i++) {
    const sk_ynode *want = sk_ymap_get(fl->logsource, keys[i]);
    if (want && (want->kind != SK_Y_SCALAR || !have[i]->present ||
                 !sk_str_eqi(want->str, have[i]->str)))
      return false;
  }
  return true;
}

static bool names_rule(const filter *fl, const sk_rule *r) {
  if (!fl->rules)
    return true;
  const sk_ynode *one = fl->rules->kind == SK_Y_SCALAR ? fl->rules : NULL;
  uint32_t n = one ? 1 : fl->rules->n;
  for (uint32_t i = 0; i < n; i++) {
    const sk_ynode *ref = one ? one : fl->rules->kids[i];
    if (ref->kind != SK_Y_SCALAR)
      continue;
    if ((r->id.present && sk_str_eqi(ref->str, r->id.str)) ||
        (r->name.present && sk_str_eq(ref->str, r->name.str)))
      return true;
  }
  return false;
}

/* Prefixes every identifier and pattern of a parsed filter condition. */
static void prefix_names(sk_arena *a, sk_node *n, sk_str prefix) {
  if (n->kind == SK_N_REF || n->kind == SK_N_OF) {
    sk_str *s = n->kind == SK_N_REF ? &n->as.ref : &n->as.of.pattern;
    if (n->kind == SK_N_OF && sk_str_eqc(*s, "them")) { /* the filter's own */
      char *pat = sk_arena_alloc(a, prefix.len + 2);
      memcpy(pat, prefix.ptr, prefix.len);
      pat[prefix.len] = '*';
      *s = (sk_str){pat, prefix.len + 1};
      return;
    }
    char *buf = sk_arena_alloc(a, prefix.len + s->len + 1);
    memcpy(buf, prefix.ptr, prefix.len);
    memcpy(buf + prefix.len, s->ptr, s->len);
    *s = (sk_str){buf, prefix.len + s->len};
    return;
  }
  for (uint32_t i = 0; i < n->n; i++)
    prefix_names(a, n->kids[i], prefix);
}

bool sk_filters_apply(sk_pass *p, const sk_filters *f, sk_rule *r) {
  for (size_t k = 0; f && k < f->n; k++) {
    const filter *fl = &f->v[k];
    if (!covers(fl, r) || !names_rule(fl, r))
      continue;
    char pre[32];
    snprintf(pre, sizeof pre, "_filter%zu_", k);
    sk_str prefix = {sk_arena_strndup(p->arena, pre, strlen(pre)), strlen(pre)};
    /* The filter's detections, under private names. */
    uint32_t extra = 0;
    for (uint32_t i = 0; i + 1 < fl->body->n; i += 2)
      extra += !sk_str_eqc(fl->body->kids[i]->str, "rules") &&
               !sk_str_eqc(fl->body->kids[i]->str, "condition");
    sk_detection *dets = sk_arena_array(p->arena, r->ndets + extra + 1, sizeof *dets);
    memcpy(dets, r->dets, r->ndets * sizeof *dets);
    uint32_t nd = r->ndets;
    bool ok = true;
    for (uint32_t i = 0; i + 1 < fl->body->n; i += 2) {
      const sk_ynode *key = fl->body->kids[i];
      if (sk_str_eqc(key->str, "rules") || sk_str_eqc(key->str, "condition"))
        continue;
      sk_node *tree = sk_mod_detection(p, key, fl->body->kids[i + 1]);
      if (!tree) {
        ok = false;
        continue;
      }
      char *name = sk_arena_alloc(p->arena, prefix.len + key->str.len + 1);
      memcpy(name, prefix.ptr, prefix.len);
      memcpy(name + prefix.len, key->str.ptr, key->str.len);
      dets[nd++] = (sk_detection){{name, prefix.len + key->str.len}, key->loc, tree, true};
    }
    sk_node *cond = sk_cond_parse(p->arena, p->diags, fl->condition);
    if (!ok || !cond)
      return false;
    prefix_names(p->arena, cond, prefix);
    if (!sk_cond_resolve(p->arena, p->diags, cond, dets, nd, false))
      return false;
    if (cond->kind != SK_N_NOT) {
      const sk_ynode *title = sk_ymap_get(fl->doc, "title");
      sk_str t = title && title->kind == SK_Y_SCALAR ? title->str : SK_STR_LIT("(untitled)");
      sk_diag_warning(p->diags, fl->condition->loc,
                      "filter '%.*s' restricts rule '%.*s' to what it selects instead of "
                      "excluding it (write 'not %.*s' to exclude)",
                      (int)t.len, t.ptr, (int)r->title.str.len, r->title.str.ptr,
                      (int)fl->condition->str.len, fl->condition->str.ptr);
    }
    r->dets = dets;
    r->ndets = nd;
    for (uint32_t i = 0; i < r->nconds; i++) {
      sk_node *and = sk_node_list(p->arena, SK_N_AND, fl->condition->loc, 2);
      and->kids[0] = r->cond_raw[i];
      and->kids[1] = cond;
      r->cond_raw[i] = and;
    }
  }
  return true;
}
