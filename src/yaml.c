/* yaml.c - libyaml parser events -> sk_ynode tree (see yaml.h).
 * The tree is built with an explicit stack, so deeply nested input costs
 * no C stack; nesting beyond SK_YAML_MAX_DEPTH is an error. */
#include "yaml.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <yaml.h>

enum {
  SK_YAML_MAX_DEPTH = 256,
  /* Nodes visited when every alias is expanded; a rule is a few hundred. */
  SK_YAML_MAX_EXPANDED = 1000000,
};

typedef struct frame {
  sk_ynode *node;
  size_t first;    /* where its kids start on the builder's kid stack */
  size_t n;        /* kids so far */
  uint64_t weight; /* expanded size of the subtree so far */
  char *anchor;    /* malloc'd anchor name, registered when the node ends */
  uint32_t *keys;  /* a big map's key set: open addressing, kid index + 1 */
  size_t nslots;
} frame;

typedef struct anchor {
  char *name;
  sk_ynode *node;
  uint64_t weight;
} anchor;

typedef struct builder {
  sk_arena *arena;
  sk_diags *diags;
  const sk_source *src;
  frame *stack;
  size_t depth, cap;
  /* The kids of every open node, innermost last: one array for the whole
   * file instead of one malloc'd array per node. */
  sk_ynode **kids;
  size_t nkids, kids_cap;
  bool ascii; /* the file is printable ASCII and newlines (plain_ascii) */
  anchor *anchors;
  size_t nanchors, anchors_cap;
  /* result of the last finished node, to be added to its parent */
  sk_ynode *done;
  uint64_t done_weight;
} builder;

static sk_loc mark_loc(const builder *b, yaml_mark_t start, yaml_mark_t end) {
  sk_loc l = {b->src, (uint32_t)start.line + 1, (uint32_t)start.column + 1, 1};
  if (end.line == start.line && end.index > start.index)
    l.len = (uint32_t)(end.index - start.index);
  return l;
}

/* True when every byte is printable ASCII or a newline, so that
 * check_bytes has nothing to report: most rule files. Blocks of 64 with a
 * fixed count, so that the compiler vectorizes the inner loop. */
static bool plain_ascii(const unsigned char *p, size_t n) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    unsigned char bad = 0;
    for (size_t j = 0; j < 64; j++) {
      unsigned char c = p[i + j];
      bad |= (unsigned char)((c >= 0x7f) | ((c < 0x20) & (c != '\n')));
    }
    if (bad)
      return false;
  }
  for (; i < n; i++)
    if (p[i] >= 0x7f || (p[i] < 0x20 && p[i] != '\n'))
      return false;
  return true;
}

/* Checks encoding before libyaml sees the bytes, so that the position of a
 * NUL or a bad byte is exact. */
static bool check_bytes(builder *b) {
  const sk_source *s = b->src;
  uint32_t line = 1, col = 1;
  size_t i = sk_source_bom(s);
  if (plain_ascii((const unsigned char *)s->data + i, s->len - i)) {
    b->ascii = true;
    return true;
  }
  while (i < s->len) {
    unsigned char c = (unsigned char)s->data[i];
    if (c >= 0x20 && c < 0x7F) { /* most bytes: printable ASCII */
      i++;
      col++;
      continue;
    }
    if (c == '\n') {
      i++;
      line++;
      col = 1;
      continue;
    }
    sk_loc here = {s, line, col, 1};
    if (c == 0) {
      sk_diag_error(b->diags, here, "NUL byte in rule file");
      return false;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s->data + i,
                                          (utf8proc_ssize_t)(s->len - i), &cp);
    if (k < 0) {
      sk_diag_error(b->diags, here, "invalid UTF-8 byte 0x%02x", c);
      return false;
    }
    /* YAML's printable set; libyaml would report these at the start of
     * the token, or of the file. */
    if (!(cp == '\t' || cp == '\n' || cp == '\r' || (cp >= 0x20 && cp <= 0x7E) || cp == 0x85 ||
          (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000)) {
      sk_diag_error(b->diags, here,
                    "character U+%04X is not allowed in YAML; write it as an escape "
                    "in a double-quoted string",
                    (unsigned)cp);
      return false;
    }
    i += (size_t)k;
    if (c == '\n' || (c == '\r' && !(i < s->len && s->data[i] == '\n'))) {
      line++;
      col = 1;
    } else if (c != '\r') {
      col++;
    }
  }
  return true;
}

static void push(builder *b, sk_ynode *node) {
  if (b->depth == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 16;
    b->stack = sk_xrealloc(b->stack, b->cap * sizeof *b->stack);
  }
  b->stack[b->depth++] = (frame){node, b->nkids, 0, 1, NULL, NULL, 0};
}

/* The kids of f so far; valid until the next frame_add. Before a file's
 * first kid there is no array, and NULL + 0 is undefined behaviour
 * (clang's -fsanitize=undefined reports it; fuzz_rule found it). */
static sk_ynode **frame_kids(const builder *b, const frame *f) {
  return b->kids ? b->kids + f->first : NULL;
}

static void frame_add(builder *b, frame *f, sk_ynode *kid, uint64_t weight) {
  if (b->nkids == b->kids_cap) {
    b->kids_cap = b->kids_cap ? b->kids_cap * 2 : 64;
    b->kids = sk_xrealloc(b->kids, b->kids_cap * sizeof *b->kids);
  }
  b->kids[b->nkids++] = kid;
  f->n++;
  f->weight += weight;
}

static void remember_anchor(builder *b, const yaml_char_t *name, sk_ynode *node, uint64_t w) {
  if (!name)
    return;
  if (b->nanchors == b->anchors_cap) {
    b->anchors_cap = b->anchors_cap ? b->anchors_cap * 2 : 8;
    b->anchors = sk_xrealloc(b->anchors, b->anchors_cap * sizeof *b->anchors);
  }
  size_t n = strlen((const char *)name);
  char *copy = sk_xmalloc(n + 1);
  memcpy(copy, name, n + 1);
  b->anchors[b->nanchors++] = (anchor){copy, node, w};
}

static uint64_t hash_str(sk_str s) {
  uint64_t h = 1469598103934665603u; /* FNV-1a */
  for (size_t i = 0; i < s.len; i++)
    h = (h ^ (unsigned char)s.ptr[i]) * 1099511628211u;
  return h;
}

static void insert_key(const builder *b, frame *f, uint32_t kid) {
  size_t mask = f->nslots - 1, i = hash_str(frame_kids(b, f)[kid]->str) & mask;
  while (f->keys[i])
    i = (i + 1) & mask;
  f->keys[i] = kid + 1;
}

/* The kid index of an earlier equal key, or SIZE_MAX. Small maps are
 * scanned; from 32 keys a hash set keeps a map of thousands linear. */
static size_t find_key(const builder *b, frame *f, sk_str key) {
  sk_ynode **kids = frame_kids(b, f);
  size_t nkeys = f->n / 2;
  if (nkeys < 32) {
    for (size_t i = 0; i < f->n; i += 2)
      if (sk_str_eq(kids[i]->str, key))
        return i;
    return SIZE_MAX;
  }
  if (nkeys * 2 >= f->nslots) { /* (re)build at half load */
    free(f->keys);
    f->nslots = f->nslots ? f->nslots * 4 : 256;
    f->keys = sk_xmalloc(f->nslots * sizeof *f->keys);
    memset(f->keys, 0, f->nslots * sizeof *f->keys);
    for (size_t i = 0; i < f->n; i += 2)
      insert_key(b, f, (uint32_t)i);
  }
  size_t mask = f->nslots - 1;
  for (size_t i = hash_str(key) & mask; f->keys[i]; i = (i + 1) & mask)
    if (sk_str_eq(kids[f->keys[i] - 1]->str, key))
      return f->keys[i] - 1;
  return SIZE_MAX;
}

/* Adds a finished node to the parent frame, checking map keys. */
static bool add_to_parent(builder *b, sk_ynode *node, uint64_t weight) {
  if (b->depth == 0) {
    b->done = node;
    b->done_weight = weight;
    return true;
  }
  frame *f = &b->stack[b->depth - 1];
  if (f->node->kind == SK_Y_MAP && f->n % 2 == 0) {
    if (node->kind != SK_Y_SCALAR) {
      sk_diag_error(b->diags, node->loc, "mapping keys must be plain strings");
      return false;
    }
    if (node->style == SK_YS_PLAIN && sk_str_eqc(node->str, "<<")) {
      sk_diag_error(b->diags, node->loc, "YAML merge keys ('<<') are not supported in rules");
      return false;
    }
    size_t dup = find_key(b, f, node->str);
    if (dup != SIZE_MAX) {
      sk_diag_error(b->diags, node->loc, "duplicate key '%.*s'", (int)node->str.len,
                    node->str.ptr);
      sk_diag_note(b->diags, frame_kids(b, f)[dup]->loc, "first defined here");
      return false;
    }
  }
  if (f->weight + weight > SK_YAML_MAX_EXPANDED) {
    sk_diag_error(b->diags, node->loc,
                  "YAML aliases expand to too many nodes (limit is %d)", SK_YAML_MAX_EXPANDED);
    return false;
  }
  frame_add(b, f, node, weight);
  if (f->keys && f->node->kind == SK_Y_MAP && (f->n - 1) % 2 == 0)
    insert_key(b, f, (uint32_t)(f->n - 1));
  return true;
}

static bool on_event(builder *b, yaml_event_t *ev) {
  sk_loc loc = mark_loc(b, ev->start_mark, ev->end_mark);
  switch (ev->type) {
  case YAML_SCALAR_EVENT: {
    sk_ynode *n = SK_NEW(b->arena, sk_ynode);
    n->kind = SK_Y_SCALAR;
    n->loc = loc;
    n->offset = UINT32_MAX;
    size_t len = ev->data.scalar.length;
    n->str = (sk_str){sk_arena_strndup(b->arena, (const char *)ev->data.scalar.value, len), len};
    size_t span = ev->end_mark.index - ev->start_mark.index;
    switch (ev->data.scalar.style) {
    case YAML_PLAIN_SCALAR_STYLE:
      n->style = SK_YS_PLAIN;
      if (ev->end_mark.line == ev->start_mark.line)
        n->offset = 0;
      break;
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
      n->style = SK_YS_QUOTED;
      /* Positions inside the value are exact only when no escape changed
       * the length; the character count is compared with the span. */
      if (ev->end_mark.line == ev->start_mark.line) {
        size_t chars = len; /* libyaml's marks count characters, not bytes */
        if (!b->ascii) {
          chars = 0;
          for (size_t i = 0; i < len; i++)
            chars += ((unsigned char)n->str.ptr[i] & 0xC0) != 0x80;
        }
        if (chars + 2 == span)
          n->offset = 1;
      }
      break;
    default:
      n->style = SK_YS_BLOCK;
      break;
    }
    const char *tag = (const char *)ev->data.scalar.tag;
    if (tag && strcmp(tag, "tag:yaml.org,2002:str") == 0)
      n->str_tag = true;
    remember_anchor(b, ev->data.scalar.anchor, n, 1);
    return add_to_parent(b, n, 1);
  }
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    if (b->depth >= SK_YAML_MAX_DEPTH) {
      sk_diag_error(b->diags, loc, "YAML nested too deeply (limit is %d)", SK_YAML_MAX_DEPTH);
      return false;
    }
    sk_ynode *n = SK_NEW(b->arena, sk_ynode);
    n->kind = ev->type == YAML_SEQUENCE_START_EVENT ? SK_Y_SEQ : SK_Y_MAP;
    n->loc = loc;
    n->loc.len = 1;
    n->offset = UINT32_MAX;
    push(b, n);
    /* The anchor is registered at the end, when the weight is known; an
     * alias to an unfinished node (recursion) is then "unknown anchor". */
    const yaml_char_t *an = ev->type == YAML_SEQUENCE_START_EVENT
                                ? ev->data.sequence_start.anchor
                                : ev->data.mapping_start.anchor;
    if (an) {
      size_t len = strlen((const char *)an);
      b->stack[b->depth - 1].anchor = sk_xmalloc(len + 1);
      memcpy(b->stack[b->depth - 1].anchor, an, len + 1);
    }
    return true;
  }
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT: {
    frame f = b->stack[--b->depth];
    sk_ynode *n = f.node;
    n->n = (uint32_t)f.n;
    n->kids = sk_arena_array(b->arena, f.n ? f.n : 1, sizeof *n->kids);
    if (f.n)
      memcpy(n->kids, frame_kids(b, &f), f.n * sizeof *n->kids);
    b->nkids = f.first;
    free(f.keys);
    if (f.anchor) {
      remember_anchor(b, (const yaml_char_t *)f.anchor, n, f.weight);
      free(f.anchor);
    }
    return add_to_parent(b, n, f.weight);
  }
  case YAML_ALIAS_EVENT: {
    const char *name = (const char *)ev->data.alias.anchor;
    for (size_t i = b->nanchors; i-- > 0;)
      if (strcmp(b->anchors[i].name, name) == 0)
        return add_to_parent(b, b->anchors[i].node, b->anchors[i].weight);
    for (size_t i = 0; i < b->depth; i++)
      if (b->stack[i].anchor && strcmp(b->stack[i].anchor, name) == 0) {
        sk_diag_error(b->diags, loc, "YAML alias '*%s' inside the node its anchor names: "
                                     "a recursive structure", name);
        return false;
      }
    sk_diag_error(b->diags, loc, "unknown YAML anchor '%s'", name);
    return false;
  }
  default:
    return true;
  }
}

/* A U+FEFF on the line of a parse error, before its column and not the
 * file's own BOM, is what libyaml tripped on (it says 'did not find
 * expected key'): moves *l to it. */
static bool stray_bom(const sk_source *src, sk_loc *l) {
  sk_str line = sk_source_line(src, l->line);
  uint32_t col = 1;
  for (size_t i = 0; i < line.len && col <= l->col; i++) {
    if ((unsigned char)line.ptr[i] == 0xEF && i + 2 < line.len &&
        memcmp(line.ptr + i, "\xEF\xBB\xBF", 3) == 0 && line.ptr + i != src->data) {
      l->col = col;
      return true;
    }
    col += ((unsigned char)line.ptr[i] & 0xC0) != 0x80;
  }
  return false;
}

bool sk_yaml_load(sk_arena *a, sk_diags *d, const sk_source *src, sk_ydocs *out) {
  builder b = {.arena = a, .diags = d, .src = src};
  out->docs = NULL;
  out->n = 0;
  if (!check_bytes(&b))
    return false;

  yaml_parser_t p;
  if (!yaml_parser_initialize(&p))
    sk_oom();
  size_t bom = sk_source_bom(src);
  yaml_parser_set_input_string(&p, (const unsigned char *)src->data + bom, src->len - bom);
  yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);

  sk_ynode **docs = NULL;
  size_t ndocs = 0, cap = 0;
  bool ok = true;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      sk_loc l = {src, (uint32_t)p.problem_mark.line + 1, (uint32_t)p.problem_mark.column + 1, 1};
      if (stray_bom(src, &l)) {
        sk_diag_error(d, l, "byte-order mark (U+FEFF) inside a document: YAML allows one only "
                            "where a document starts (were files joined?)");
        ok = false;
        break;
      }
      sk_diag_error(d, l, "YAML: %s", p.problem ? p.problem : "syntax error");
      if (p.context) {
        sk_loc c = {src, (uint32_t)p.context_mark.line + 1, (uint32_t)p.context_mark.column + 1, 1};
        sk_diag_note(d, c, "%s", p.context);
      }
      ok = false;
      break;
    }
    yaml_event_type_t type = ev.type;
    if (type == YAML_DOCUMENT_START_EVENT) {
      b.done = NULL;
      for (size_t i = 0; i < b.nanchors; i++) /* anchors are local to a document */
        free(b.anchors[i].name);
      b.nanchors = 0;
    }
    bool good = on_event(&b, &ev);
    yaml_event_delete(&ev);
    if (!good) {
      ok = false;
      break;
    }
    if (type == YAML_DOCUMENT_END_EVENT) {
      if (ndocs == cap) {
        cap = cap ? cap * 2 : 4;
        docs = sk_xrealloc(docs, cap * sizeof *docs);
      }
      docs[ndocs++] = b.done; /* NULL for an empty document */
    }
    if (type == YAML_STREAM_END_EVENT)
      break;
  }
  yaml_parser_delete(&p);
  for (size_t i = 0; i < b.depth; i++) {
    free(b.stack[i].anchor);
    free(b.stack[i].keys);
  }
  free(b.stack);
  free(b.kids);
  for (size_t i = 0; i < b.nanchors; i++)
    free(b.anchors[i].name);
  free(b.anchors);

  if (ndocs) {
    out->docs = sk_arena_array(a, ndocs, sizeof *out->docs);
    memcpy(out->docs, docs, ndocs * sizeof *docs);
    out->n = ndocs;
  }
  free(docs);
  return ok;
}

/* The kid index of key in a map node, or UINT32_MAX. The length is
 * compared first: it tells most keys of a rule apart. */
static uint32_t key_index(const sk_ynode *map, const char *key) {
  if (!map || map->kind != SK_Y_MAP)
    return UINT32_MAX;
  sk_str k = sk_str_c(key);
  for (uint32_t i = 0; i + 1 < map->n; i += 2)
    if (sk_str_eq(map->kids[i]->str, k))
      return i;
  return UINT32_MAX;
}

sk_ynode *sk_ymap_key(const sk_ynode *map, const char *key) {
  uint32_t i = key_index(map, key);
  return i == UINT32_MAX ? NULL : map->kids[i];
}

sk_ynode *sk_ymap_get(const sk_ynode *map, const char *key) {
  uint32_t i = key_index(map, key);
  return i == UINT32_MAX ? NULL : map->kids[i + 1];
}

bool sk_yaml_is_null(const sk_ynode *n) {
  if (!n)
    return true;
  if (n->kind != SK_Y_SCALAR || n->style != SK_YS_PLAIN || n->str_tag)
    return false;
  sk_str s = n->str;
  return s.len == 0 || sk_str_eqc(s, "~") || sk_str_eqc(s, "null") || sk_str_eqc(s, "Null") ||
         sk_str_eqc(s, "NULL");
}
