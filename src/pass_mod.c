/* pass_mod.c - modifier pass.
 * Turns one search identifier (a map, a list of maps, or keywords) into
 * AND/OR/NOT/MATCH nodes: splits "Field|mod|mod", checks which modifiers
 * may be combined, types each YAML value (YAML 1.1, as Sigma tools read
 * it), parses Sigma's wildcard escapes and applies the value modifiers in
 * the order written. Field names are left as written: mapping them to
 * columns is the target's job. */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <utf8proc.h>

#include "re2_check.h"
#include "rule.h"

typedef enum modid {
#define MOD(e, name, kind) M_##e,
#include "modifier.def"
#undef MOD
  M_COUNT
} modid;

enum { K_PATTERN, K_ENCODE, K_TYPE, K_FLAG, K_REFLAG };

static const struct {
  const char *name;
  int kind;
} mods[] = {
#define MOD(e, name, kind) {name, K_##kind},
#include "modifier.def"
#undef MOD
};

enum {
  SK_MAX_MODIFIERS = 16,
  SK_MAX_VARIANTS = 4096,          /* values one value may expand into */
  SK_MAX_VARIANT_BYTES = 1 << 20,  /* and their text: a 1.4 KB value with five
                                      flags asked windash for 5.6 MB of query */
};

typedef enum vkind { V_STR, V_BIN, V_RE, V_NUM, V_BOOL, V_NULL } vkind;

typedef struct val {
  vkind kind;
  const char *s; /* V_STR: pattern with SK_WILD_*; V_BIN: raw bytes; others: text */
  size_t len;
  bool is_float, bval;
  bool range; /* V_STR: written as a number KQL cannot hold (2^63, 1e400, .inf) */
} val;

typedef struct vlist {
  val *v;
  size_t n, cap;
} vlist;

typedef struct item {
  sk_pass *p;
  const sk_ynode *key;
  sk_str field;
  sk_loc field_loc;
  modid m[SK_MAX_MODIFIERS];
  sk_loc mloc[SK_MAX_MODIFIERS];
  int nm;
  bool has[M_COUNT];
  sk_loc has_loc[M_COUNT];
} item;

static void vpush(sk_arena *a, vlist *l, val v) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 4;
    val *w = sk_arena_array(a, cap, sizeof *w);
    if (l->n)
      memcpy(w, l->v, l->n * sizeof *w);
    l->v = w;
    l->cap = cap;
  }
  l->v[l->n++] = v;
}

/* ---- YAML 1.1 scalar typing (what PyYAML, and so pySigma, does) ---- */

static bool all_chars(sk_str s, size_t from, const char *set) {
  if (from >= s.len)
    return false;
  for (size_t i = from; i < s.len; i++)
    if (!strchr(set, s.ptr[i]))
      return false;
  return true;
}

static bool is_yaml_bool(sk_str s, bool *v) {
  static const char *const t[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const char *const f[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    if (sk_str_eqc(s, t[i]))
      return *v = true, true;
    if (sk_str_eqc(s, f[i]))
      return *v = false, true;
  }
  return false;
}

/* Returns the decimal text of a YAML 1.1 int, or NULL when s is not one
 * or (*range set) is one beyond KQL's 64-bit long. Forms: [-+]? decimal /
 * 0octal / 0x hex / 0b binary, '_' allowed. */
static char *yaml_int(sk_arena *a, sk_str s, bool *range) {
  size_t i = 0;
  bool neg = false;
  if (i < s.len && (s.ptr[i] == '-' || s.ptr[i] == '+'))
    neg = s.ptr[i++] == '-';
  int base = 10;
  if (s.len - i >= 2 && s.ptr[i] == '0' && (s.ptr[i + 1] == 'x' || s.ptr[i + 1] == 'b')) {
    base = s.ptr[i + 1] == 'x' ? 16 : 2;
    i += 2;
    if (!all_chars(s, i, base == 16 ? "0123456789abcdefABCDEF_" : "01_"))
      return NULL;
  } else if (s.len - i >= 2 && s.ptr[i] == '0') {
    base = 8;
    if (!all_chars(s, i, "01234567_"))
      return NULL;
  } else {
    if (i >= s.len || !sk_is_digit((unsigned char)s.ptr[i]) || !all_chars(s, i, "0123456789_"))
      return NULL;
    if (s.ptr[i] == '0' && s.len - i > 1)
      return NULL;
  }
  /* The value must fit a long: up to 2^63 - 1, or 2^63 when negative. */
  unsigned long long v = 0, max = neg ? 1ULL << 63 : (1ULL << 63) - 1;
  for (; i < s.len; i++) {
    char c = s.ptr[i];
    if (c == '_')
      continue;
    unsigned d = sk_is_digit((unsigned char)c) ? (unsigned)(c - '0') : (unsigned)(sk_lower((unsigned char)c) - 'a' + 10);
    if (v > (max - d) / (unsigned)base) {
      *range = true;
      return NULL;
    }
    v = v * (unsigned)base + d;
  }
  char text[24];
  int n = snprintf(text, sizeof text, "%s%llu", neg && v ? "-" : "", v);
  return sk_arena_strndup(a, text, (size_t)n);
}

/* YAML 1.1 infinity or not-a-number: [-+]?.inf, .nan (any of its cases). */
static bool is_yaml_nonfinite(sk_str s) {
  size_t i = s.len && (s.ptr[0] == '-' || s.ptr[0] == '+');
  if (s.len - i == 4 && s.ptr[i] == '.') {
    sk_str w = {s.ptr + i + 1, 3};
    return sk_str_eqc(w, "inf") || sk_str_eqc(w, "Inf") || sk_str_eqc(w, "INF") ||
           (!i && (sk_str_eqc(w, "nan") || sk_str_eqc(w, "NaN") || sk_str_eqc(w, "NAN")));
  }
  return false;
}

/* YAML 1.1 float: [-+]? digits . digits? ([eE][-+]digits)? or .digits */
static bool is_yaml_float(sk_str s) {
  size_t i = 0;
  if (i < s.len && (s.ptr[i] == '-' || s.ptr[i] == '+'))
    i++;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.len && (sk_is_digit((unsigned char)s.ptr[i]) || s.ptr[i] == '_'))
    i++, int_digits++;
  if (i >= s.len || s.ptr[i] != '.')
    return false;
  i++;
  while (i < s.len && (sk_is_digit((unsigned char)s.ptr[i]) || s.ptr[i] == '_'))
    i++, frac_digits++;
  if (!int_digits && !frac_digits)
    return false;
  if (i < s.len && (s.ptr[i] == 'e' || s.ptr[i] == 'E')) {
    i++;
    if (i >= s.len || (s.ptr[i] != '-' && s.ptr[i] != '+'))
      return false;
    i++;
    if (!all_chars(s, i, "0123456789"))
      return false;
    return true;
  }
  return i == s.len;
}

/* ---- Sigma strings ---- */

/* Parses Sigma's escapes into dst (room for s.len bytes): "\*", "\?" and
 * "\\" make the next character literal; any other backslash is itself.
 * Unescaped * and ? become wildcards. With expand, "\%" is a literal percent
 * too. Returns the length written. */
static size_t unescape_sigma(char *dst, sk_str s, bool expand) {
  char *p = dst;
  for (size_t i = 0; i < s.len; i++) {
    char c = s.ptr[i];
    if (c == '\\' && i + 1 < s.len &&
        (s.ptr[i + 1] == '*' || s.ptr[i + 1] == '?' || s.ptr[i + 1] == '\\' ||
         (expand && s.ptr[i + 1] == '%'))) {
      *p++ = s.ptr[++i];
    } else if (c == '*') {
      *p++ = SK_WILD_STAR;
    } else if (c == '?') {
      *p++ = SK_WILD_ONE;
    } else {
      *p++ = c;
    }
  }
  return (size_t)(p - dst); /* never more than s.len */
}

static void parse_sigma_string(sk_buf *b, sk_str s, bool expand) {
  sk_buf_grow(b, s.len);
  b->len += unescape_sigma(b->ptr + b->len, s, expand);
  b->ptr[b->len] = '\0';
}

static bool has_wildcard(const val *v) {
  return v->kind == V_STR &&
         (memchr(v->s, SK_WILD_STAR, v->len) || memchr(v->s, SK_WILD_ONE, v->len));
}

static val arena_val(sk_arena *a, vkind kind, const char *s, size_t len) {
  val v = {.kind = kind, .len = len};
  v.s = sk_arena_strndup(a, s, len);
  return v;
}

/* ---- diagnostics helpers ---- */

static sk_loc value_loc(const sk_ynode *n) {
  sk_loc l = n->loc;
  return l;
}

/* Where modifier m stands in the key (it must be there). */
static int written_at(const item *it, modid m) {
  int i = 0;
  while (it->m[i] != m)
    i++;
  return i;
}

/* Reports two modifiers that exclude each other at the one written
 * second: that is where the key goes wrong. */
static void err_combo(item *it, modid a, modid b) {
  if (written_at(it, a) < written_at(it, b)) {
    modid t = a;
    a = b;
    b = t;
  }
  sk_diag_error(it->p->diags, it->has_loc[a], "modifier '%s' cannot be combined with '%s'",
                mods[a].name, mods[b].name);
}

/* Of the key's modifiers that satisfy in(), the second written, and the
 * first in *first; M_COUNT when there are fewer than two. */
static modid second_in(const item *it, bool (*in)(modid), modid *first) {
  *first = M_COUNT;
  for (int i = 0; i < it->nm; i++)
    if (in(it->m[i])) {
      if (*first != M_COUNT)
        return it->m[i];
      *first = it->m[i];
    }
  return M_COUNT;
}

/* ---- modifier list ---- */

static bool split_key(item *it) {
  sk_str k = it->key->str;
  size_t bar = 0;
  while (bar < k.len && k.ptr[bar] != '|')
    bar++;
  it->field = (sk_str){k.ptr, bar};
  it->field_loc = sk_scalar_loc(it->key, 0, bar);
  bool ok = true;
  size_t i = bar;
  while (i < k.len) {
    size_t start = ++i;
    while (i < k.len && k.ptr[i] != '|')
      i++;
    sk_str name = {k.ptr + start, i - start};
    sk_loc loc = sk_scalar_loc(it->key, start, name.len ? name.len : 1);
    int found = -1;
    for (int m = 0; m < M_COUNT; m++)
      if (sk_str_eqc(name, mods[m].name))
        found = m;
    if (found < 0) {
      if (!name.len) {
        sk_diag_error(it->p->diags, loc, "empty modifier name");
      } else {
        sk_diag_error(it->p->diags, loc, "unknown modifier '%.*s'", (int)name.len, name.ptr);
        size_t best = 99;
        int at = 0;
        for (int m = 0; m < M_COUNT; m++) {
          size_t d = sk_edit_distance(sk_str_c(mods[m].name), name, 2);
          if (d < best)
            best = d, at = m;
        }
        if (best <= 2 && name.len > 2)
          sk_diag_note(it->p->diags, loc, "did you mean '%s'?", mods[at].name);
      }
      ok = false;
      continue;
    }
    if (it->has[found]) {
      sk_diag_error(it->p->diags, loc, "modifier '%s' is given twice", mods[found].name);
      ok = false;
      continue;
    }
    if (it->nm == SK_MAX_MODIFIERS) {
      sk_diag_error(it->p->diags, loc, "too many modifiers (limit is %d)", SK_MAX_MODIFIERS);
      return false;
    }
    it->m[it->nm] = (modid)found;
    it->mloc[it->nm++] = loc;
    it->has[found] = true;
    it->has_loc[found] = loc;
  }
  return ok;
}

/* The modifier that decides what kind of test this is, if any. */
static int type_modifier(const item *it) {
  static const modid order[] = {M_RE, M_CIDR, M_EXISTS, M_FIELDREF, M_MINUTE, M_HOUR,
                                M_DAY, M_WEEK, M_MONTH, M_YEAR, M_LT, M_LTE, M_GT, M_GTE};
  for (size_t i = 0; i < sizeof order / sizeof *order; i++)
    if (it->has[order[i]])
      return order[i];
  return -1;
}

static bool is_cmp(modid m) { return m == M_LT || m == M_LTE || m == M_GT || m == M_GTE; }
static bool is_timepart(modid m) { return m >= M_MINUTE && m <= M_YEAR; }
static bool is_pattern(modid m) { return m == M_CONTAINS || m == M_STARTSWITH || m == M_ENDSWITH; }
static bool is_utf16(modid m) { return m == M_UTF16LE || m == M_UTF16BE || m == M_UTF16 || m == M_WIDE; }

/* Checks which modifiers may appear together; reports at the offender. */
static bool check_combination(item *it) {
  int type = type_modifier(it);
  bool ok = true;
  /* Which modifiers each type modifier tolerates besides itself. */
  for (int i = 0; i < it->nm; i++) {
    modid m = it->m[i];
    if (type < 0 || (int)m == type)
      continue;
    bool allowed;
    switch ((modid)type) {
    case M_RE:
      allowed = mods[m].kind == K_REFLAG || m == M_ALL || m == M_NEQ || m == M_CASED;
      break;
    case M_CIDR:
      allowed = m == M_ALL || m == M_NEQ;
      break;
    case M_EXISTS:
      allowed = false;
      break;
    case M_FIELDREF:
      allowed = mods[m].kind == K_PATTERN || m == M_CASED || m == M_NEQ || m == M_ALL;
      break;
    default: /* time parts and comparisons */
      if (is_timepart((modid)type))
        allowed = is_cmp(m) || m == M_ALL || m == M_NEQ;
      else
        allowed = m == M_ALL;
      break;
    }
    if (!allowed) {
      err_combo(it, m, (modid)type);
      ok = false;
    }
  }
  for (int i = 0; i < it->nm; i++) {
    modid m = it->m[i];
    if (mods[m].kind == K_REFLAG && !it->has[M_RE]) {
      sk_diag_error(it->p->diags, it->mloc[i], "modifier '%s' needs 're' before it", mods[m].name);
      ok = false;
    }
    if (m == M_RE) {
      for (int j = 0; j < i; j++)
        if (mods[it->m[j]].kind == K_REFLAG) {
          sk_diag_error(it->p->diags, it->mloc[j], "modifier '%s' must follow 're'",
                        mods[it->m[j]].name);
          ok = false;
        }
    }
    /* UTF-16 output is binary: only base64 can make a query string of it. */
    if (is_utf16(m)) {
      bool encoded = false;
      for (int j = i + 1; j < it->nm; j++)
        encoded |= it->m[j] == M_BASE64 || it->m[j] == M_BASE64OFFSET;
      if (!encoded) {
        sk_diag_error(it->p->diags, it->mloc[i],
                      "modifier '%s' must be followed by 'base64' or 'base64offset'",
                      mods[m].name);
        ok = false;
      }
    }
  }
  if (it->has[M_BASE64] && it->has[M_BASE64OFFSET]) {
    err_combo(it, M_BASE64OFFSET, M_BASE64);
    ok = false;
  }
  modid first, second;
  if ((second = second_in(it, is_utf16, &first)) != M_COUNT) {
    sk_diag_error(it->p->diags, it->has_loc[second], "more than one UTF-16 encoding modifier");
    ok = false;
  }
  if ((second = second_in(it, is_pattern, &first)) != M_COUNT) {
    err_combo(it, second, first);
    ok = false;
  }
  if ((second = second_in(it, is_cmp, &first)) != M_COUNT && type >= 0 &&
      is_timepart((modid)type)) {
    sk_diag_error(it->p->diags, it->has_loc[second], "more than one comparison modifier");
    ok = false;
  }
  if ((second = second_in(it, is_timepart, &first)) != M_COUNT) {
    sk_diag_error(it->p->diags, it->has_loc[second], "more than one time-part modifier");
    ok = false;
  }
  if (it->has[M_EXPAND] && type >= 0 && type != M_FIELDREF) {
    err_combo(it, M_EXPAND, (modid)type);
    ok = false;
  }
  return ok;
}

/* ---- typing one YAML value ---- */

/* Reads a scalar as Sigma sees it. For string tests the text is parsed for
 * wildcards; for re, cidr and fieldref it stays raw. */
static bool typed_value(item *it, const sk_ynode *n, bool raw, val *out) {
  sk_arena *a = it->p->arena;
  sk_str s = n->str;
  if (memchr(s.ptr, '\0', s.len)) {
    sk_diag_error(it->p->diags, value_loc(n), "NUL character in value");
    return false;
  }
  if (n->style == SK_YS_PLAIN && !n->str_tag) {
    bool b;
    char *num;
    if (sk_yaml_is_null(n)) {
      *out = (val){.kind = V_NULL};
      return true;
    }
    if (is_yaml_bool(s, &b)) {
      *out = (val){.kind = V_BOOL, .bval = b};
      out->s = b ? "true" : "false";
      out->len = strlen(out->s);
      return true;
    }
    bool range = false;
    if ((num = yaml_int(a, s, &range))) {
      *out = (val){.kind = V_NUM, .s = num, .len = strlen(num)};
      return true;
    }
    if (!range && is_yaml_float(s)) {
      sk_buf b2 = SK_BUF_INIT;
      for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] != '_' && !(i == 0 && s.ptr[i] == '+'))
          sk_buf_putc(&b2, s.ptr[i]);
      sk_buf_putc(&b2, '\0');
      double d = strtod(b2.ptr, NULL);
      range = d == HUGE_VAL || d == -HUGE_VAL;
      if (!range) {
        *out = arena_val(a, V_NUM, b2.ptr, b2.len - 1);
        out->is_float = true;
      }
      sk_buf_free(&b2);
      if (!range)
        return true;
    }
    /* Too big for KQL, or not finite: text, which a comparison refuses. */
    if (range || is_yaml_nonfinite(s)) {
      sk_ynode text = *n;
      text.str_tag = true;
      bool ok = typed_value(it, &text, raw, out);
      out->range = true;
      return ok;
    }
  }
  if (raw) {
    *out = arena_val(a, V_STR, s.ptr, s.len);
    return true;
  }
  char *text = sk_arena_bytes(a, s.len + 1);
  size_t len = unescape_sigma(text, s, it->has[M_EXPAND]);
  text[len] = '\0';
  *out = (val){.kind = V_STR, .s = text, .len = len};
  return true;
}

/* A number or bool used where a string is expected becomes its text. */
static void as_string(val *v) {
  if (v->kind == V_NUM || v->kind == V_BOOL)
    v->kind = V_STR;
}

/* ---- transformations ---- */

static void add_wildcards(sk_arena *a, val *v, bool front, bool back) {
  bool has_front = v->len && v->s[0] == SK_WILD_STAR;
  bool has_back = v->len && v->s[v->len - 1] == SK_WILD_STAR;
  size_t len = v->len + (front && !has_front) + (back && !has_back);
  char *s = sk_arena_alloc(a, len + 1), *p = s;
  if (front && !has_front)
    *p++ = SK_WILD_STAR;
  memcpy(p, v->s, v->len);
  p += v->len;
  if (back && !has_back)
    *p++ = SK_WILD_STAR;
  v->s = s;
  v->len = len;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(sk_buf *out, const unsigned char *p, size_t n) {
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
    char q[4] = {b64chars[v >> 18], b64chars[(v >> 12) & 63], b64chars[(v >> 6) & 63],
                 b64chars[v & 63]};
    sk_buf_put(out, q, 4);
  }
  if (n - i == 1) {
    unsigned v = (unsigned)p[i] << 16;
    char q[4] = {b64chars[v >> 18], b64chars[(v >> 12) & 63], '=', '='};
    sk_buf_put(out, q, 4);
  } else if (n - i == 2) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
    char q[4] = {b64chars[v >> 18], b64chars[(v >> 12) & 63], b64chars[(v >> 6) & 63], '='};
    sk_buf_put(out, q, 4);
  }
}

static void utf16(sk_buf *out, const char *s, size_t n, modid enc) {
  if (enc == M_UTF16)
    sk_buf_put(out, "\xff\xfe", 2);
  bool be = enc == M_UTF16BE;
  const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
  utf8proc_ssize_t left = (utf8proc_ssize_t)n;
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate(p, left, &cp);
    if (k <= 0) { /* cannot happen: input was validated */
      k = 1;
      cp = 0xFFFD;
    }
    unsigned units[2];
    int nu = 0;
    if (cp >= 0x10000) {
      unsigned c = (unsigned)cp - 0x10000;
      units[nu++] = 0xD800 | (c >> 10);
      units[nu++] = 0xDC00 | (c & 0x3FF);
    } else {
      units[nu++] = (unsigned)cp;
    }
    for (int u = 0; u < nu; u++) {
      unsigned char lo = (unsigned char)(units[u] & 0xFF), hi = (unsigned char)(units[u] >> 8);
      sk_buf_putc(out, be ? hi : lo);
      sk_buf_putc(out, be ? lo : hi);
    }
    p += k;
    left -= k;
  }
}

static bool is_wild(char c) { return c == SK_WILD_STAR || c == SK_WILD_ONE; }

static bool is_word_byte(unsigned char c) { return sk_is_alnum(c) || c == '_' || c >= 0x80; }

/* windash: every '-' or '/' that starts a word after a non-word character
 * (a command-line flag) may be written with any of the five dashes. */
static bool windash(item *it, const val *v, vlist *out, sk_loc loc) {
  static const char *const dashes[] = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95"};
  size_t pos[32], npos = 0;
  for (size_t i = 0; i < v->len; i++) {
    unsigned char c = (unsigned char)v->s[i];
    if (c != '-' && c != '/')
      continue;
    /* Wildcards end a literal run: they count as the string's edges. */
    bool word_before = i > 0 && !is_wild(v->s[i - 1]) && is_word_byte((unsigned char)v->s[i - 1]);
    bool word_after = i + 1 < v->len && !is_wild(v->s[i + 1]) &&
                      is_word_byte((unsigned char)v->s[i + 1]);
    if (!word_before && word_after) {
      if (npos == 32) {
        sk_diag_error(it->p->diags, loc, "windash: too many dashes in one value (limit is 32)");
        return false;
      }
      pos[npos++] = i;
    }
  }
  size_t total = 1;
  for (size_t i = 0; i < npos; i++) {
    total *= 5;
    if (total > SK_MAX_VARIANTS) {
      sk_diag_error(it->p->diags, loc, "windash: value expands to more than %d variants",
                    SK_MAX_VARIANTS);
      return false;
    }
  }
  if (npos && total * (v->len + 2 * npos) > SK_MAX_VARIANT_BYTES) { /* a long dash: 3 bytes */
    sk_diag_error(it->p->diags, loc, "windash: the %zu variants of this value are more than "
                  "%d MiB of text", total, SK_MAX_VARIANT_BYTES >> 20);
    return false;
  }
  /* The first dash varies slowest, as in a nested loop over positions. */
  for (size_t k = 0; k < total; k++) {
    sk_buf b = SK_BUF_INIT;
    size_t rem = k, div = total, prev = 0;
    for (size_t i = 0; i < npos; i++) {
      div /= 5;
      size_t choice = rem / div;
      rem %= div;
      sk_buf_put(&b, v->s + prev, pos[i] - prev);
      sk_buf_puts(&b, dashes[choice]);
      prev = pos[i] + 1;
    }
    sk_buf_put(&b, v->s + prev, v->len - prev);
    vpush(it->p->arena, out, arena_val(it->p->arena, V_STR, b.ptr ? b.ptr : "", b.len));
    sk_buf_free(&b);
  }
  return true;
}

/* base64offset: the value may sit at any of three byte offsets inside a
 * longer encoded string; keep only the characters that do not depend on
 * the neighbours. */
static void base64offset(sk_arena *a, const val *v, vlist *out) {
  static const size_t start[3] = {0, 2, 3};
  for (size_t i = 0; i < 3; i++) {
    sk_buf raw = SK_BUF_INIT, enc = SK_BUF_INIT;
    for (size_t j = 0; j < i; j++)
      sk_buf_putc(&raw, ' ');
    sk_buf_put(&raw, v->s, v->len);
    base64(&enc, (const unsigned char *)raw.ptr, raw.len);
    size_t cut_end[3] = {0, 3, 2}; /* indexed by (len + i) % 3 */
    size_t end = enc.len - cut_end[(v->len + i) % 3];
    size_t from = start[i] < end ? start[i] : end;
    vpush(a, out, arena_val(a, V_STR, enc.ptr + from, end - from));
    sk_buf_free(&raw);
    sk_buf_free(&enc);
  }
}

/* expand: replaces %name% placeholders with each configured value. The raw
 * text is split into literal parts (Sigma-escaped) and placeholders. */
static bool expand(item *it, const sk_ynode *n, vlist *out) {
  sk_arena *a = it->p->arena;
  const sk_passopts *o = it->p->opts;
  vlist cur = {0};
  vpush(a, &cur, arena_val(a, V_STR, "", 0));
  sk_str s = n->str;
  size_t i = 0;
  while (i <= s.len) {
    /* literal run up to an unescaped '%' */
    size_t start = i;
    while (i < s.len && !(s.ptr[i] == '%' && (i == 0 || s.ptr[i - 1] != '\\')))
      i++;
    sk_buf lit = SK_BUF_INIT;
    parse_sigma_string(&lit, (sk_str){s.ptr + start, i - start}, true);
    for (size_t k = 0; k < cur.n; k++) {
      sk_buf b = SK_BUF_INIT;
      sk_buf_put(&b, cur.v[k].s, cur.v[k].len);
      sk_buf_put(&b, lit.ptr ? lit.ptr : "", lit.len);
      cur.v[k] = arena_val(a, V_STR, b.ptr ? b.ptr : "", b.len);
      sk_buf_free(&b);
    }
    sk_buf_free(&lit);
    if (i >= s.len)
      break;
    size_t name_start = ++i;
    while (i < s.len && s.ptr[i] != '%')
      i++;
    if (i >= s.len || i == name_start) { /* a lone '%' or "%%" is literal */
      for (size_t k = 0; k < cur.n; k++) {
        sk_buf b = SK_BUF_INIT;
        sk_buf_put(&b, cur.v[k].s, cur.v[k].len);
        sk_buf_putc(&b, '%');
        if (i >= s.len)
          sk_buf_put(&b, s.ptr + name_start, s.len - name_start);
        cur.v[k] = arena_val(a, V_STR, b.ptr, b.len);
        sk_buf_free(&b);
      }
      if (i >= s.len)
        break;
      continue;
    }
    sk_str name = {s.ptr + name_start, i - name_start};
    i++;
    const sk_placeholder *ph = NULL;
    for (size_t k = 0; o && k < o->nplaceholders; k++)
      if (sk_str_eqc(name, o->placeholders[k].name))
        ph = &o->placeholders[k];
    if (!ph) {
      sk_diag_error(it->p->diags, sk_scalar_loc(n, name_start - 1, name.len + 2),
                    "placeholder '%%%.*s%%' has no values", (int)name.len, name.ptr);
      sk_diag_note(it->p->diags, sk_scalar_loc(n, name_start - 1, name.len + 2),
                   "give them with --placeholder %.*s=VALUE,...", (int)name.len, name.ptr);
      return false;
    }
    if (ph->watchlist) {
      sk_diag_error(it->p->diags, sk_scalar_loc(n, name_start - 1, name.len + 2),
                    "placeholder '%%%.*s%%' is a watchlist lookup: it must be the whole value",
                    (int)name.len, name.ptr);
      return false;
    }
    vlist next = {0};
    for (size_t k = 0; k < cur.n; k++)
      for (const char **v = ph->values; *v; v++) {
        sk_buf b = SK_BUF_INIT;
        sk_buf_put(&b, cur.v[k].s, cur.v[k].len);
        parse_sigma_string(&b, sk_str_c(*v), false);
        if (next.n >= SK_MAX_VARIANTS) {
          sk_buf_free(&b);
          sk_diag_error(it->p->diags, value_loc(n),
                        "placeholders expand to more than %d values", SK_MAX_VARIANTS);
          return false;
        }
        vpush(a, &next, arena_val(a, V_STR, b.ptr ? b.ptr : "", b.len));
        sk_buf_free(&b);
      }
    cur = next;
  }
  for (size_t k = 0; k < cur.n; k++)
    vpush(a, out, cur.v[k]);
  return true;
}

/* Applies the string-changing modifiers, in the order written, to one
 * value; the result may be several alternatives. */
static bool transform(item *it, val v0, const sk_ynode *n, vlist *out) {
  sk_arena *a = it->p->arena;
  vlist cur = {0};
  if (it->has[M_EXPAND] && v0.kind == V_STR) {
    if (!expand(it, n, &cur))
      return false;
  } else {
    vpush(a, &cur, v0);
  }
  modid enc = M_COUNT; /* pending UTF-16 encoding */
  for (int i = 0; i < it->nm; i++) {
    modid m = it->m[i];
    if (mods[m].kind != K_PATTERN && mods[m].kind != K_ENCODE)
      continue;
    vlist next = {0};
    for (size_t k = 0; k < cur.n; k++) {
      val v = cur.v[k];
      as_string(&v);
      if (v.kind != V_STR && v.kind != V_BIN) {
        sk_diag_error(it->p->diags, it->mloc[i], "modifier '%s' needs a string value",
                      mods[m].name);
        sk_diag_note(it->p->diags, value_loc(n), "the value is %s",
                     v.kind == V_NULL ? "null" : "not a string");
        return false;
      }
      switch (m) {
      case M_CONTAINS:
      case M_STARTSWITH:
      case M_ENDSWITH:
        add_wildcards(a, &v, m != M_STARTSWITH, m != M_ENDSWITH);
        vpush(a, &next, v);
        break;
      case M_WINDASH:
        if (!windash(it, &v, &next, value_loc(n)))
          return false;
        break;
      case M_UTF16LE:
      case M_UTF16BE:
      case M_UTF16:
      case M_WIDE:
      case M_BASE64:
      case M_BASE64OFFSET: {
        if (has_wildcard(&v)) {
          sk_diag_error(it->p->diags, value_loc(n),
                        "cannot apply '%s' to a value with wildcards", mods[m].name);
          sk_diag_note(it->p->diags, it->mloc[i], "put 'contains', 'startswith' or "
                                                   "'endswith' after the encoding modifiers");
          return false;
        }
        if (m == M_BASE64 || m == M_BASE64OFFSET) {
          sk_buf raw = SK_BUF_INIT;
          if (enc != M_COUNT)
            utf16(&raw, v.s, v.len, enc);
          else
            sk_buf_put(&raw, v.s, v.len);
          val bin = {.kind = V_BIN, .s = raw.ptr ? raw.ptr : "", .len = raw.len};
          if (m == M_BASE64) {
            sk_buf e = SK_BUF_INIT;
            base64(&e, (const unsigned char *)bin.s, bin.len);
            vpush(a, &next, arena_val(a, V_STR, e.ptr ? e.ptr : "", e.len));
            sk_buf_free(&e);
          } else {
            base64offset(a, &bin, &next);
          }
          sk_buf_free(&raw);
        } else {
          enc = m == M_WIDE ? M_UTF16LE : m;
          vpush(a, &next, v);
        }
        break;
      }
      default:
        vpush(a, &next, v);
        break;
      }
      if (next.n > SK_MAX_VARIANTS) {
        sk_diag_error(it->p->diags, value_loc(n), "value expands to more than %d variants",
                      SK_MAX_VARIANTS);
        return false;
      }
    }
    size_t bytes = 0; /* limited when this modifier made more values */
    for (size_t k = 0; next.n > cur.n && k < next.n; k++)
      bytes += next.v[k].len;
    if (bytes > SK_MAX_VARIANT_BYTES) {
      sk_diag_error(it->p->diags, value_loc(n), "value expands to more than %d MiB of text",
                    SK_MAX_VARIANT_BYTES >> 20);
      return false;
    }
    cur = next;
  }
  for (size_t k = 0; k < cur.n; k++)
    vpush(a, out, cur.v[k]);
  return true;
}

/* ---- building match nodes ---- */

static sk_node *match_node(item *it, const sk_ynode *n) {
  sk_match *m = SK_NEW(it->p->arena, sk_match);
  m->field = it->field;
  m->field_loc = it->field_loc;
  m->value_loc = value_loc(n);
  if (it->has[M_CASED])
    m->flags |= SK_MF_CASED;
  sk_node *node = sk_node_new(it->p->arena, SK_N_MATCH, n->loc);
  node->as.match = m;
  return node;
}

static bool check_cidr(item *it, const sk_ynode *n, sk_str s) {
  /* The address is checked by the C library's parser: dotted quads
   * without leading zeros, IPv6 in every form RFC 4291 allows (one '::',
   * an IPv4 tail); the prefix length by range. */
  const char *slash = memchr(s.ptr, '/', s.len);
  size_t alen = slash ? (size_t)(slash - s.ptr) : s.len;
  bool v6 = memchr(s.ptr, ':', alen) != NULL;
  char addr[INET6_ADDRSTRLEN];
  unsigned char bin[16];
  bool ok = alen > 0 && alen < sizeof addr && !memchr(s.ptr, '\0', alen);
  if (ok) {
    memcpy(addr, s.ptr, alen);
    addr[alen] = '\0';
    ok = inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) == 1;
  }
  if (ok && slash) {
    size_t plen = s.len - alen - 1;
    int bits = 0;
    ok = plen > 0 && plen <= 3;
    for (size_t i = 0; ok && i < plen; i++) {
      char c = slash[1 + i];
      ok = sk_is_digit((unsigned char)c);
      bits = bits * 10 + (c - '0');
    }
    ok = ok && bits <= (v6 ? 128 : 32);
  }
  if (!ok)
    sk_diag_error(it->p->diags, value_loc(n), "invalid CIDR network '%.*s'", (int)s.len, s.ptr);
  return ok;
}

/* One YAML value of a field item -> one node (an OR of its variants when a
 * modifier expands it). */
static sk_node *value_node(item *it, const sk_ynode *n, bool in_list) {
  sk_pass *p = it->p;
  int type = type_modifier(it);
  bool raw = type == M_RE || type == M_CIDR || type == M_FIELDREF;
  val v;
  if (n->kind != SK_Y_SCALAR) {
    sk_diag_error(p->diags, n->loc, "expected a value, found a %s",
                  n->kind == SK_Y_MAP ? "mapping" : "list");
    return NULL;
  }
  if (!typed_value(it, n, raw, &v))
    return NULL;
  if (v.kind == V_NULL && in_list) {
    sk_diag_error(p->diags, n->loc, "null cannot be part of a value list");
    sk_diag_note(p->diags, n->loc, "test for null in a selection of its own");
    return NULL;
  }
  sk_node *node;
  sk_match *m;
  switch (type) {
  case M_EXISTS:
    if (v.kind != V_BOOL) {
      sk_diag_error(p->diags, n->loc, "'exists' needs true or false");
      return NULL;
    }
    node = match_node(it, n);
    node->as.match->op = SK_MOP_EXISTS;
    node->as.match->bval = v.bval;
    return node;
  case M_RE:
  case M_CIDR:
  case M_FIELDREF:
    if (v.kind == V_NULL || (v.kind != V_STR && type != M_RE)) {
      sk_diag_error(p->diags, n->loc, "modifier '%s' needs a string value", mods[type].name);
      return NULL;
    }
    if (v.kind == V_BOOL || v.kind == V_NUM) /* a regex like 123 is text */
      v = arena_val(p->arena, V_STR, n->str.ptr, n->str.len);
    if (type == M_CIDR && !check_cidr(it, n, (sk_str){v.s, v.len}))
      return NULL;
    if (type == M_RE && v.len == 0) {
      sk_diag_error(p->diags, n->loc, "empty regular expression");
      return NULL;
    }
    if (type == M_RE) { /* RE2 runs 'matches regex': ask it, flags included */
      sk_buf re = SK_BUF_INIT;
      if (it->has[M_I] || it->has[M_M] || it->has[M_S])
        sk_buf_printf(&re, "(?%s%s%s)", it->has[M_I] ? "i" : "", it->has[M_M] ? "m" : "",
                      it->has[M_S] ? "s" : "");
      sk_buf_put(&re, v.s, v.len);
      char *err = NULL;
      bool good = sk_re2_check(re.ptr, re.len, &err);
      sk_buf_free(&re);
      if (!good) {
        sk_diag_error(p->diags, n->loc, "RE2 rejects this regular expression: %s", err);
        free(err);
        return NULL;
      }
    }
    node = match_node(it, n);
    m = node->as.match;
    m->op = type == M_RE ? SK_MOP_RE : type == M_CIDR ? SK_MOP_CIDR : SK_MOP_FIELDREF;
    m->value = (sk_str){v.s, v.len};
    if (it->has[M_I]) m->flags |= SK_MF_RE_I;
    if (it->has[M_M]) m->flags |= SK_MF_RE_M;
    if (it->has[M_S]) m->flags |= SK_MF_RE_S;
    m->refmode = it->has[M_CONTAINS]     ? SK_REF_CONTAINS
                 : it->has[M_STARTSWITH] ? SK_REF_STARTSWITH
                 : it->has[M_ENDSWITH]   ? SK_REF_ENDSWITH
                                         : SK_REF_EQ;
    return node;
  default:
    break;
  }
  if (type >= 0) { /* comparisons and time parts need numbers */
    if (v.kind != V_NUM) {
      if (v.range)
        sk_diag_error(p->diags, n->loc,
                      "modifier '%s' needs a number KQL can hold: a 64-bit integer or a finite "
                      "double", mods[type].name);
      else
        sk_diag_error(p->diags, n->loc, "modifier '%s' needs a number", mods[type].name);
      return NULL;
    }
    node = match_node(it, n);
    m = node->as.match;
    m->value = (sk_str){v.s, v.len};
    m->is_float = v.is_float;
    m->cmp = it->has[M_LT] ? SK_CMP_LT : it->has[M_LTE] ? SK_CMP_LTE
             : it->has[M_GT] ? SK_CMP_GT : it->has[M_GTE] ? SK_CMP_GTE : SK_CMP_EQ;
    if (is_timepart((modid)type)) {
      static const char *const parts[] = {"minute", "hour", "day", "week_of_year", "month", "year"};
      m->op = SK_MOP_TIMEPART;
      m->timepart = parts[type - M_MINUTE];
    } else {
      m->op = SK_MOP_CMP;
    }
    return node;
  }
  /* Plain and transformed values. */
  if (v.kind == V_NULL) {
    bool transforms = false;
    for (int i = 0; i < it->nm; i++)
      transforms |= mods[it->m[i]].kind == K_PATTERN || mods[it->m[i]].kind == K_ENCODE;
    if (transforms) {
      sk_diag_error(p->diags, n->loc, "modifiers cannot be applied to null");
      return NULL;
    }
    node = match_node(it, n);
    node->as.match->op = SK_MOP_NULL;
    return node;
  }
  /* A placeholder bound to a watchlist: a lookup, when it is the value. */
  if (it->has[M_EXPAND] && v.kind == V_STR && n->str.len > 2 && n->str.ptr[0] == '%' &&
      n->str.ptr[n->str.len - 1] == '%' && !memchr(n->str.ptr + 1, '%', n->str.len - 2)) {
    const sk_passopts *o = p->opts;
    const sk_placeholder *ph = NULL; /* the last definition wins */
    for (size_t k = 0; o && k < o->nplaceholders; k++)
      if (sk_str_eq((sk_str){n->str.ptr + 1, n->str.len - 2}, sk_str_c(o->placeholders[k].name)))
        ph = &o->placeholders[k];
    if (ph && ph->watchlist) {
      for (int i = 0; i < it->nm; i++)
        if (mods[it->m[i]].kind == K_PATTERN || mods[it->m[i]].kind == K_ENCODE) {
          sk_diag_error(p->diags, it->mloc[i],
                        "modifier '%s' cannot apply to a watchlist placeholder",
                        mods[it->m[i]].name);
          return NULL;
        }
      node = match_node(it, n);
      node->as.match->op = SK_MOP_WATCHLIST;
      node->as.match->value = sk_str_c(ph->watchlist);
      return node;
    }
  }
  vlist vals = {0};
  if (!transform(it, v, n, &vals))
    return NULL;
  sk_node *or = vals.n == 1 ? NULL : sk_node_list(p->arena, SK_N_OR, n->loc, (uint32_t)vals.n);
  if (or)
    or->origin = SK_O_EXPANSION;
  for (size_t k = 0; k < vals.n; k++) {
    val *x = &vals.v[k];
    node = match_node(it, n);
    m = node->as.match;
    m->value = (sk_str){x->s, x->len};
    if (x->kind == V_NUM) {
      m->op = SK_MOP_NUM;
      m->is_float = x->is_float;
    } else if (x->kind == V_BOOL) {
      m->op = SK_MOP_BOOL;
      m->bval = x->bval;
    } else {
      m->op = SK_MOP_STR;
      size_t stars = 0;
      while (stars < x->len && x->s[stars] == SK_WILD_STAR)
        stars++;
      if (!it->field.len && stars == x->len) {
        /* "" or "*" searched for anywhere: the rule would fire on every event */
        sk_diag_error(p->diags, value_loc(n), "this keyword matches every event");
        return NULL;
      }
    }
    if (!or)
      return node;
    or->kids[k] = node;
  }
  return or;
}

/* field|mods: value  or  field|mods: [values] */
static sk_node *field_item(sk_pass *p, const sk_ynode *key, const sk_ynode *value) {
  item it = {.p = p, .key = key};
  if (!split_key(&it) || !check_combination(&it))
    return NULL;
  bool list = value && value->kind == SK_Y_SEQ;
  uint32_t n = list ? value->n : 1;
  if (list && n == 0) {
    sk_diag_error(p->diags, value->loc, "empty list of values for '%.*s'", (int)key->str.len,
                  key->str.ptr);
    return NULL;
  }
  if (it.has[M_ALL] && !list) {
    sk_diag_error(p->diags, it.has_loc[M_ALL], "modifier 'all' needs a list of values");
    return NULL;
  }
  if (it.has[M_EXISTS] && list) {
    sk_diag_error(p->diags, value->loc, "'exists' takes a single true or false");
    return NULL;
  }
  sk_node *group = list ? sk_node_list(p->arena, it.has[M_ALL] ? SK_N_AND : SK_N_OR,
                                       value->loc, n)
                        : NULL;
  if (group)
    group->origin = SK_O_VALUES;
  bool ok = true;
  sk_node *single = NULL;
  for (uint32_t i = 0; i < n; i++) {
    const sk_ynode *vn = list ? value->kids[i] : value;
    sk_node *node = value_node(&it, vn, list);
    if (!node) {
      ok = false;
      continue;
    }
    if (list)
      group->kids[i] = node;
    else
      single = node;
  }
  if (!ok)
    return NULL;
  sk_node *result = list ? group : single;
  if (it.has[M_NEQ])
    result = sk_node_not(p->arena, result);
  return result;
}

/* keywords: a list of values (or one value) that match anywhere */
static sk_node *keywords(sk_pass *p, const sk_ynode *value, const sk_ynode *key) {
  static const sk_ynode empty_key = {.kind = SK_Y_SCALAR, .offset = UINT32_MAX};
  sk_ynode k = key ? *key : empty_key;
  if (!key)
    k.loc = value->loc;
  return field_item(p, &k, value);
}

static sk_node *map_node(sk_pass *p, const sk_ynode *map) {
  if (map->n == 0) {
    sk_diag_error(p->diags, map->loc, "empty mapping in detection");
    return NULL;
  }
  sk_node *and = sk_node_list(p->arena, SK_N_AND, map->loc, map->n / 2);
  and->origin = SK_O_MAP;
  bool ok = true;
  for (uint32_t i = 0; i + 1 < map->n; i += 2) {
    const sk_ynode *key = map->kids[i], *value = map->kids[i + 1];
    sk_node *node;
    if (key->str.len && key->str.ptr[0] == '|') /* '|all': keywords */
      node = keywords(p, value, key);
    else
      node = field_item(p, key, value);
    if (!node)
      ok = false;
    and->kids[i / 2] = node;
  }
  return ok ? and : NULL;
}

sk_node *sk_mod_detection(sk_pass *p, const sk_ynode *key, const sk_ynode *value) {
  if (!value || sk_yaml_is_null(value)) {
    sk_diag_error(p->diags, key->loc, "detection '%.*s' is empty", (int)key->str.len,
                  key->str.ptr);
    return NULL;
  }
  if (value->kind == SK_Y_MAP)
    return map_node(p, value);
  if (value->kind == SK_Y_SCALAR)
    return keywords(p, value, NULL);
  /* A list: of maps (OR of ANDs) or of keyword values, not both. */
  if (value->n == 0) {
    sk_diag_error(p->diags, value->loc, "detection '%.*s' is an empty list", (int)key->str.len,
                  key->str.ptr);
    return NULL;
  }
  uint32_t maps = 0;
  for (uint32_t i = 0; i < value->n; i++)
    maps += value->kids[i]->kind == SK_Y_MAP;
  if (maps == 0)
    return keywords(p, value, NULL);
  if (maps != value->n) {
    for (uint32_t i = 0; i < value->n; i++)
      if (value->kids[i]->kind != SK_Y_MAP) {
        sk_diag_error(p->diags, value->kids[i]->loc,
                      "a detection list must hold only maps or only values");
        break;
      }
    return NULL;
  }
  sk_node *or = sk_node_list(p->arena, SK_N_OR, value->loc, value->n);
  or->origin = SK_O_MAPS;
  for (uint32_t i = 0; i < value->n; i++)
    if (!(or->kids[i] = map_node(p, value->kids[i])))
      return NULL;
  return or;
}
