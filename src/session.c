/* session.c - the cross-file memory of a run (see session.h). Files are
 * copied only when they hold a correlation or a rule one refers to, so a
 * run without correlations keeps nothing. */
#include "session.h"

#include <stdlib.h>

typedef struct kept_file {
  char *path, *data;
  size_t len;
} kept_file;

typedef struct entry {
  char *id, *name;
  size_t file;
  uint32_t doc;
  bool correlation;
} entry;

typedef struct referral {
  char *text;
  bool standalone;
} referral;

struct sk_session {
  kept_file *files;
  size_t nfiles;
  entry *entries;
  size_t nentries;
  referral *refs;
  size_t nrefs;
  size_t *corrs; /* indexes into entries */
  size_t ncorrs;
};

sk_session *sk_session_new(void) {
  sk_session *s = sk_xmalloc(sizeof *s);
  memset(s, 0, sizeof *s);
  return s;
}

void sk_session_free(sk_session *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->nfiles; i++)
    free(s->files[i].path), free(s->files[i].data);
  for (size_t i = 0; i < s->nentries; i++)
    free(s->entries[i].id), free(s->entries[i].name);
  for (size_t i = 0; i < s->nrefs; i++)
    free(s->refs[i].text);
  free(s->files);
  free(s->entries);
  free(s->refs);
  free(s->corrs);
  free(s);
}

void sk_session_prescan(sk_session *s, const char *data, size_t len) {
  if (!sk_contains(data, len, "correlation"))
    return;
  sk_arena a = {0};
  sk_diags d = {0}; /* errors are reported when the file is compiled */
  sk_source src = {"", data, len};
  sk_ydocs docs;
  sk_yaml_load(&a, &d, &src, &docs);
  for (size_t i = 0; i < docs.n; i++) {
    if (!docs.docs[i] || !sk_ymap_get(docs.docs[i], "correlation"))
      continue;
    sk_str refs[256];
    bool standalone;
    size_t n = sk_corr_refs(docs.docs[i], refs, 256, &standalone);
    for (size_t k = 0; k < n; k++) {
      size_t j = 0;
      while (j < s->nrefs && !sk_str_eqc(refs[k], s->refs[j].text))
        j++;
      if (j == s->nrefs) {
        s->refs = sk_xrealloc(s->refs, (s->nrefs + 1) * sizeof *s->refs);
        s->refs[s->nrefs++] = (referral){sk_xstrdup_str(refs[k]), standalone};
      } else {
        s->refs[j].standalone |= standalone;
      }
    }
  }
  sk_diags_clear(&d);
  sk_arena_free(&a);
}

bool sk_session_referred(const sk_session *s, sk_str id, sk_str name, bool *standalone) {
  *standalone = false;
  bool found = false;
  for (size_t j = 0; j < s->nrefs; j++)
    if ((id.len && sk_str_eqc(id, s->refs[j].text)) ||
        (name.len && sk_str_eqc(name, s->refs[j].text))) {
      found = true;
      *standalone |= s->refs[j].standalone;
    }
  return found;
}

void sk_session_remember(sk_session *s, const char *path, const char *data, size_t len,
                         uint32_t doc, sk_str id, sk_str name, bool correlation) {
  /* Documents of one file arrive together: the last file kept is reused. */
  if (!s->nfiles || strcmp(s->files[s->nfiles - 1].path, path) != 0 ||
      s->files[s->nfiles - 1].len != len ||
      memcmp(s->files[s->nfiles - 1].data, data, len) != 0) {
    s->files = sk_xrealloc(s->files, (s->nfiles + 1) * sizeof *s->files);
    kept_file *f = &s->files[s->nfiles++];
    f->path = sk_xstrdup_str(sk_str_c(path));
    f->data = sk_xmalloc(len ? len : 1);
    memcpy(f->data, data, len);
    f->len = len;
  }
  s->entries = sk_xrealloc(s->entries, (s->nentries + 1) * sizeof *s->entries);
  s->entries[s->nentries++] =
      (entry){id.len ? sk_xstrdup_str(id) : NULL, name.len ? sk_xstrdup_str(name) : NULL, s->nfiles - 1, doc,
              correlation};
  if (correlation) {
    s->corrs = sk_xrealloc(s->corrs, (s->ncorrs + 1) * sizeof *s->corrs);
    s->corrs[s->ncorrs++] = s->nentries - 1;
  }
}

size_t sk_session_correlations(const sk_session *s) { return s->ncorrs; }

/* Loads document doc of a kept file into the arena. */
static const sk_ynode *load(sk_pass *p, const kept_file *f, uint32_t doc, const sk_source **out) {
  sk_source *src = SK_NEW(p->arena, sk_source);
  *src = (sk_source){f->path, f->data, f->len};
  sk_diags quiet = {0}; /* the file was compiled once already: no repeats */
  sk_pass q = {p->arena, &quiet, p->opts};
  sk_ydocs docs;
  const sk_ynode *result = NULL;
  if (sk_yaml_load(p->arena, &quiet, src, &docs)) {
    const sk_ynode **rules;
    size_t n = sk_rule_collect(&q, &docs, &rules);
    if (doc < n)
      result = rules[doc];
  }
  sk_diags_clear(&quiet);
  *out = src;
  return result;
}

typedef struct lookup_ctx {
  sk_session *s;
} lookup_ctx;

static bool lookup(void *ctx, sk_pass *p, sk_str ref, const sk_source **src,
                   const sk_ynode **doc) {
  sk_session *s = ((lookup_ctx *)ctx)->s;
  for (size_t i = 0; i < s->nentries; i++) {
    const entry *e = &s->entries[i];
    if ((e->id && sk_str_eqc(ref, e->id)) || (e->name && sk_str_eqc(ref, e->name))) {
      *doc = load(p, &s->files[e->file], e->doc, src);
      return *doc != NULL;
    }
  }
  return false;
}

bool sk_session_compile(sk_session *s, size_t k, sk_corr_env *env, sk_output *out,
                        const char **path, uint32_t *doc) {
  const entry *e = &s->entries[s->corrs[k]];
  const kept_file *f = &s->files[e->file];
  *path = f->path;
  *doc = e->doc;
  const sk_source *src;
  const sk_ynode *d = load(env->p, f, e->doc, &src);
  if (!d)
    return false;
  lookup_ctx lc = {s};
  env->lookup = lookup;
  env->ctx = &lc;
  return sk_corr_compile(env, src, d, out);
}

const sk_ynode *sk_session_doc(sk_session *s, size_t k, sk_pass *p) {
  const entry *e = &s->entries[s->corrs[k]];
  const sk_source *src;
  return load(p, &s->files[e->file], e->doc, &src);
}

const sk_source *sk_session_source(sk_session *s, size_t k, sk_pass *p) {
  const entry *e = &s->entries[s->corrs[k]];
  const sk_source *src;
  load(p, &s->files[e->file], e->doc, &src);
  return src;
}
