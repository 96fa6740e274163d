/* rule.c - YAML documents -> sk_rule.
 * Applies legacy collections (action: global/reset/repeat), checks the
 * top-level fields of Sigma 2.1 for type and value, and hands each search
 * identifier to pass_mod.c and the condition to cond_parse.c/pass_cond.c.
 * Knows nothing about targets. */
#include "rule.h"

/* ---- legacy collections ---- */

/* Deep merge: keys of b override those of a; maps merge recursively. */
static const sk_ynode *merge(sk_arena *arena, const sk_ynode *a, const sk_ynode *b) {
  if (!a || a->kind != SK_Y_MAP || !b || b->kind != SK_Y_MAP)
    return b;
  sk_ynode *m = SK_NEW(arena, sk_ynode);
  *m = *b;
  m->kids = sk_arena_array(arena, (size_t)a->n + b->n + 1, sizeof *m->kids);
  m->n = 0;
  for (uint32_t i = 0; i + 1 < a->n; i += 2) {
    const sk_ynode *over = sk_ymap_get(b, a->kids[i]->str.ptr);
    m->kids[m->n++] = a->kids[i];
    m->kids[m->n++] = (sk_ynode *)(over ? merge(arena, a->kids[i + 1], over) : a->kids[i + 1]);
  }
  for (uint32_t i = 0; i + 1 < b->n; i += 2)
    if (!sk_ymap_get(a, b->kids[i]->str.ptr)) {
      m->kids[m->n++] = b->kids[i];
      m->kids[m->n++] = b->kids[i + 1];
    }
  return m;
}

/* A copy of map without the key `action`. */
static const sk_ynode *without_action(sk_arena *arena, const sk_ynode *map) {
  sk_ynode *m = SK_NEW(arena, sk_ynode);
  *m = *map;
  m->kids = sk_arena_array(arena, map->n + 1, sizeof *m->kids);
  m->n = 0;
  for (uint32_t i = 0; i + 1 < map->n; i += 2)
    if (!sk_str_eqc(map->kids[i]->str, "action")) {
      m->kids[m->n++] = map->kids[i];
      m->kids[m->n++] = map->kids[i + 1];
    }
  return m;
}

size_t sk_rule_collect(sk_pass *p, const sk_ydocs *docs, const sk_ynode ***out) {
  const sk_ynode **v = sk_arena_array(p->arena, docs->n + 1, sizeof *v);
  size_t n = 0;
  const sk_ynode *global = NULL, *prev = NULL;
  bool warned = false;
  for (size_t i = 0; i < docs->n; i++) {
    const sk_ynode *doc = docs->docs[i];
    if (!doc)
      continue; /* an empty document, e.g. after a trailing '---' */
    const sk_ynode *action = sk_ymap_get(doc, "action");
    if (!action) {
      prev = merge(p->arena, global, doc);
      v[n++] = prev;
      continue;
    }
    if (!warned) {
      sk_diag_warning(p->diags, action->loc,
                      "'action' collections are deprecated; write one rule per document");
      warned = true;
    }
    if (action->kind == SK_Y_SCALAR && sk_str_eqc(action->str, "global")) {
      global = without_action(p->arena, doc);
    } else if (action->kind == SK_Y_SCALAR && sk_str_eqc(action->str, "reset")) {
      global = NULL;
    } else if (action->kind == SK_Y_SCALAR && sk_str_eqc(action->str, "repeat")) {
      if (!prev) {
        sk_diag_error(p->diags, action->loc, "'action: repeat' with no rule before it");
        continue;
      }
      prev = merge(p->arena, prev, without_action(p->arena, doc));
      v[n++] = prev;
    } else {
      sk_diag_error(p->diags, action->loc,
                    "unknown action '%.*s' (expected global, reset or repeat)",
                    (int)action->str.len, action->str.ptr);
    }
  }
  *out = v;
  return n;
}

/* ---- top-level fields ---- */

static bool want_string(sk_pass *p, const sk_ynode *n, const char *key, sk_field *f) {
  if (!n)
    return true;
  if (n->kind != SK_Y_SCALAR) {
    sk_diag_error(p->diags, n->loc, "'%s' must be a string", key);
    return false;
  }
  f->str = n->str;
  f->loc = n->loc;
  f->present = true;
  return true;
}

static bool want_string_list(sk_pass *p, const sk_ynode *n, const char *key, bool scalar_ok) {
  if (!n || (scalar_ok && n->kind == SK_Y_SCALAR) || sk_yaml_is_null(n))
    return true;
  if (n->kind != SK_Y_SEQ) {
    sk_diag_error(p->diags, n->loc, "'%s' must be a list of strings", key);
    return false;
  }
  for (uint32_t i = 0; i < n->n; i++)
    if (n->kids[i]->kind != SK_Y_SCALAR) {
      sk_diag_error(p->diags, n->kids[i]->loc, "'%s' must be a list of strings", key);
      return false;
    }
  return true;
}

static bool one_of(sk_pass *p, const sk_field *f, const char *key, const char *const *allowed) {
  if (!f->present)
    return true;
  for (const char *const *a = allowed; *a; a++)
    if (sk_str_eqc(f->str, *a))
      return true;
  sk_buf list = SK_BUF_INIT;
  for (const char *const *a = allowed; *a; a++)
    sk_buf_printf(&list, "%s%s", a == allowed ? "" : ", ", *a);
  sk_diag_error(p->diags, f->loc, "invalid %s '%.*s' (expected one of %s)", key, (int)f->str.len,
                f->str.ptr, list.ptr);
  sk_buf_free(&list);
  return false;
}

static bool is_uuid(sk_str s) {
  if (s.len != 36)
    return false;
  for (size_t i = 0; i < 36; i++) {
    char c = s.ptr[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-')
        return false;
    } else if (!strchr("0123456789abcdefABCDEF", c) || !c) {
      return false;
    }
  }
  return true;
}

static bool build_logsource(sk_pass *p, const sk_ynode *ls, sk_rule *r) {
  if (!ls) {
    sk_diag_error(p->diags, r->loc, "rule has no 'logsource'");
    return false;
  }
  if (ls->kind != SK_Y_MAP) {
    sk_diag_error(p->diags, ls->loc, "'logsource' must be a mapping");
    return false;
  }
  r->logsource_loc = ls->loc;
  bool ok = want_string(p, sk_ymap_get(ls, "category"), "category", &r->category);
  ok &= want_string(p, sk_ymap_get(ls, "product"), "product", &r->product);
  ok &= want_string(p, sk_ymap_get(ls, "service"), "service", &r->service);
  sk_field def = {0};
  ok &= want_string(p, sk_ymap_get(ls, "definition"), "definition", &def);
  return ok;
}

static bool build_detection(sk_pass *p, const sk_ynode *det, sk_rule *r) {
  if (!det) {
    sk_diag_error(p->diags, r->loc, "rule has no 'detection'");
    return false;
  }
  if (det->kind != SK_Y_MAP) {
    sk_diag_error(p->diags, det->loc, "'detection' must be a mapping");
    return false;
  }
  const sk_ynode *cond = NULL;
  r->dets = sk_arena_array(p->arena, det->n / 2 + 1, sizeof *r->dets);
  bool ok = true;
  for (uint32_t i = 0; i + 1 < det->n; i += 2) {
    const sk_ynode *key = det->kids[i], *value = det->kids[i + 1];
    if (sk_str_eqc(key->str, "condition")) {
      cond = value;
      continue;
    }
    if (sk_str_eqc(key->str, "timeframe")) {
      sk_diag_warning(p->diags, key->loc,
                      "'timeframe' is ignored; use a correlation rule for time windows");
      continue;
    }
    sk_node *tree = sk_mod_detection(p, key, value);
    if (!tree) {
      ok = false;
      continue;
    }
    r->dets[r->ndets++] = (sk_detection){key->str, key->loc, tree, false};
  }
  if (!cond) {
    const sk_ynode *key = sk_ymap_key(r->doc, "detection");
    sk_diag_error(p->diags, key ? key->loc : det->loc, "detection has no 'condition'");
    return false;
  }
  if (!ok)
    return false;
  r->cond_loc = cond->loc;
  uint32_t n = cond->kind == SK_Y_SEQ ? cond->n : 1;
  if (n == 0 || cond->kind == SK_Y_MAP) {
    sk_diag_error(p->diags, cond->loc, "'condition' must be a string or a list of strings");
    return false;
  }
  r->conds = sk_arena_array(p->arena, n, sizeof *r->conds);
  r->cond_raw = sk_arena_array(p->arena, n, sizeof *r->cond_raw);
  for (uint32_t i = 0; i < n; i++) {
    const sk_ynode *c = cond->kind == SK_Y_SEQ ? cond->kids[i] : cond;
    if (c->kind != SK_Y_SCALAR) {
      sk_diag_error(p->diags, c->loc, "'condition' must be a string or a list of strings");
      return false;
    }
    sk_node *raw = sk_cond_parse(p->arena, p->diags, c), *tree = NULL;
    if (!raw || !(tree = sk_cond_resolve(p->arena, p->diags, raw, r->dets, r->ndets, false))) {
      ok = false;
      continue;
    }
    uint64_t size = sk_node_size(tree);
    if (size > (uint64_t)SK_COND_MAX_MIB << 20) {
      sk_diag_error(p->diags, c->loc,
                    "condition would write about %llu MiB of query once its detections are "
                    "expanded (limit is %d MiB)",
                    (unsigned long long)(size >> 20), SK_COND_MAX_MIB);
      ok = false;
      continue;
    }
    r->cond_raw[r->nconds] = raw;
    r->conds[r->nconds++] = tree;
  }
  return ok;
}

bool sk_rule_build(sk_pass *p, const sk_source *src, const sk_ynode *doc, sk_rule *r) {
  static const char *const statuses[] = {"stable", "test", "experimental", "deprecated",
                                         "unsupported", NULL};
  static const char *const levels[] = {"informational", "low", "medium", "high", "critical",
                                       NULL};
  memset(r, 0, sizeof *r);
  r->src = src;
  r->doc = doc;
  r->loc = doc ? doc->loc : (sk_loc){src, 1, 1, 1};
  if (!doc || doc->kind != SK_Y_MAP) {
    sk_diag_error(p->diags, r->loc, "a rule must be a YAML mapping");
    return false;
  }
  const sk_ynode *corr = sk_ymap_key(doc, "correlation");
  if (corr) {
    sk_diag_error(p->diags, corr->loc, "correlation rules are not supported yet");
    return false;
  }

  bool ok = want_string(p, sk_ymap_get(doc, "title"), "title", &r->title);
  ok &= want_string(p, sk_ymap_get(doc, "id"), "id", &r->id);
  ok &= want_string(p, sk_ymap_get(doc, "name"), "name", &r->name);
  ok &= want_string(p, sk_ymap_get(doc, "status"), "status", &r->status);
  ok &= want_string(p, sk_ymap_get(doc, "level"), "level", &r->level);
  ok &= want_string(p, sk_ymap_get(doc, "description"), "description", &r->description);
  ok &= want_string(p, sk_ymap_get(doc, "author"), "author", &r->author);
  ok &= want_string(p, sk_ymap_get(doc, "date"), "date", &r->date);
  ok &= want_string(p, sk_ymap_get(doc, "modified"), "modified", &r->modified);
  ok &= want_string(p, sk_ymap_get(doc, "license"), "license", &r->license);
  ok &= want_string_list(p, sk_ymap_get(doc, "references"), "references", false);
  ok &= want_string_list(p, sk_ymap_get(doc, "tags"), "tags", false);
  ok &= want_string_list(p, sk_ymap_get(doc, "fields"), "fields", false);
  ok &= want_string_list(p, sk_ymap_get(doc, "scope"), "scope", false);
  ok &= want_string_list(p, sk_ymap_get(doc, "falsepositives"), "falsepositives", true);
  if (!r->title.present && !sk_ymap_key(doc, "title")) {
    sk_diag_error(p->diags, r->loc, "rule has no 'title'");
    ok = false;
  } else if (r->title.str.len > 256) {
    sk_diag_warning(p->diags, r->title.loc, "title is longer than 256 characters");
  }
  if (r->id.present && !is_uuid(r->id.str)) {
    sk_diag_error(p->diags, r->id.loc, "'id' must be a UUID");
    ok = false;
  }
  ok &= one_of(p, &r->status, "status", statuses);
  ok &= one_of(p, &r->level, "level", levels);
  const sk_ynode *related = sk_ymap_get(doc, "related");
  if (related && !sk_yaml_is_null(related)) {
    bool good = related->kind == SK_Y_SEQ;
    for (uint32_t i = 0; good && i < related->n; i++) {
      const sk_ynode *rel = related->kids[i];
      const sk_ynode *rid = sk_ymap_get(rel, "id"), *rtype = sk_ymap_get(rel, "type");
      if (rel->kind != SK_Y_MAP || !rid || rid->kind != SK_Y_SCALAR || !rtype ||
          rtype->kind != SK_Y_SCALAR) {
        sk_diag_error(p->diags, rel->loc, "each 'related' entry needs an 'id' and a 'type'");
        ok = false;
      }
    }
    if (!good) {
      sk_diag_error(p->diags, related->loc, "'related' must be a list");
      ok = false;
    }
  }
  const sk_ynode *tags = sk_ymap_get(doc, "tags");
  if (tags && tags->kind == SK_Y_SEQ) {
    r->tags = sk_arena_array(p->arena, tags->n + 1, sizeof *r->tags);
    for (uint32_t i = 0; i < tags->n; i++)
      if (tags->kids[i]->kind == SK_Y_SCALAR)
        r->tags[r->ntags++] = tags->kids[i]->str;
  }
  ok &= build_logsource(p, sk_ymap_get(doc, "logsource"), r);
  ok &= build_detection(p, sk_ymap_get(doc, "detection"), r);
  return ok;
}
