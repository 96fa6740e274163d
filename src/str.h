/* str.h - byte slices and locale-free ASCII helpers.
 * An sk_str never owns its bytes and is not NUL-terminated. */
#ifndef SK_STR_H
#define SK_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct sk_str {
  const char *ptr;
  size_t len;
} sk_str;

#define SK_STR_LIT(s) ((sk_str){(s), sizeof(s) - 1})

static inline sk_str sk_str_c(const char *s) { return (sk_str){s, s ? strlen(s) : 0}; }

static inline bool sk_is_digit(int c) { return c >= '0' && c <= '9'; }
static inline bool sk_is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool sk_is_alnum(int c) { return sk_is_alpha(c) || sk_is_digit(c); }
static inline bool sk_is_space(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static inline int sk_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static inline int sk_upper(int c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }

static inline bool sk_str_eq(sk_str a, sk_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}
static inline bool sk_str_eqc(sk_str a, const char *b) {
  for (size_t i = 0; i < a.len; i++) /* no strlen: most comparisons fail early */
    if (!b[i] || b[i] != a.ptr[i])
      return false;
  return !b[a.len];
}

/* ASCII case-insensitive equality. */
static inline bool sk_str_eqi(sk_str a, sk_str b) {
  if (a.len != b.len)
    return false;
  for (size_t i = 0; i < a.len; i++)
    if (sk_lower((unsigned char)a.ptr[i]) != sk_lower((unsigned char)b.ptr[i]))
      return false;
  return true;
}
static inline bool sk_str_eqic(sk_str a, const char *b) { return sk_str_eqi(a, sk_str_c(b)); }

static inline bool sk_str_has_prefix_i(sk_str s, const char *p) {
  size_t n = strlen(p);
  return s.len >= n && sk_str_eqi((sk_str){s.ptr, n}, (sk_str){p, n});
}

static inline int sk_str_cmp(sk_str a, sk_str b) {
  size_t n = a.len < b.len ? a.len : b.len;
  int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
  if (c)
    return c;
  return a.len < b.len ? -1 : a.len > b.len;
}

/* Does some line of data[0..len) start with key followed by ':' (a
 * top-level key of a block-style YAML document)? Cheap, for pre-scans:
 * a flow-style document ({filter: ...}) is not seen. */
static inline bool sk_has_top_key(const char *data, size_t len, const char *key) {
  size_t n = strlen(key);
  const char *p = data, *end = data + len;
  if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) /* a byte-order mark */
    p += 3;
  while (p && p < end) {
    if ((size_t)(end - p) > n && memcmp(p, key, n) == 0) {
      const char *q = p + n;
      while (q < end && *q == ' ')
        q++;
      if (q < end && *q == ':')
        return true;
    }
    p = memchr(p, '\n', (size_t)(end - p));
    p = p ? p + 1 : NULL;
  }
  return false;
}

/* Does data[0..len) contain word? */
static inline bool sk_contains(const char *data, size_t len, const char *word) {
  size_t n = strlen(word);
  const char *p = data, *end = data + len;
  while (n && (size_t)(end - p) >= n && (p = memchr(p, word[0], (size_t)(end - p) - n + 1))) {
    if (memcmp(p, word, n) == 0)
      return true;
    p++;
  }
  return n == 0;
}

/* [A-Za-z_][A-Za-z0-9_]*: a name usable as is in KQL and in our data. */
static inline bool sk_str_is_ident(sk_str s) {
  if (!s.len || !(sk_is_alpha((unsigned char)s.ptr[0]) || s.ptr[0] == '_'))
    return false;
  for (size_t i = 1; i < s.len; i++)
    if (!(sk_is_alnum((unsigned char)s.ptr[i]) || s.ptr[i] == '_'))
      return false;
  return true;
}

/* Edit distance, ASCII case-insensitive; SIZE_MAX when it exceeds max
 * or a string is over 64 bytes. For "did you mean" notes. */
size_t sk_edit_distance(sk_str a, sk_str b, size_t max);

/* A name to compare with many candidates: folded and counted once. */
typedef struct sk_edit_name {
  sk_str s;
  char folded[64];          /* s in ASCII lower case, when s.len <= 64 */
  unsigned char count[256]; /* occurrences of each byte of folded */
} sk_edit_name;

void sk_edit_name_init(sk_edit_name *n, sk_str s);
/* sk_edit_distance(n->s, b, max). */
size_t sk_edit_distance_to(const sk_edit_name *n, sk_str b, size_t max);

#endif
