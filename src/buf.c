/* buf.c - growable byte buffer (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"

void sk_buf_grow(sk_buf *b, size_t extra) {
  if (extra > SIZE_MAX / 2 - b->len)
    sk_oom();
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap *= 2;
  b->ptr = sk_xrealloc(b->ptr, cap);
  b->cap = cap;
}

void sk_buf_printf(sk_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof small) {
    sk_buf_put(b, small, (size_t)n);
    return;
  }
  sk_buf_grow(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void sk_buf_putu(sk_buf *b, unsigned long v, size_t width) {
  char digits[24];
  size_t n = 0;
  do
    digits[sizeof digits - ++n] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  for (size_t i = n; i < width; i++)
    sk_buf_putc(b, ' ');
  sk_buf_put(b, digits + sizeof digits - n, n);
}

char *sk_buf_detach(sk_buf *b, size_t *len) {
  if (!b->ptr)
    sk_buf_grow(b, 0), b->ptr[0] = '\0';
  char *p = b->ptr;
  if (len)
    *len = b->len;
  b->ptr = NULL;
  b->len = b->cap = 0;
  return p;
}

void sk_buf_clear(sk_buf *b) {
  b->len = 0;
  if (b->ptr)
    b->ptr[0] = '\0';
}

void sk_buf_free(sk_buf *b) {
  free(b->ptr);
  b->ptr = NULL;
  b->len = b->cap = 0;
}

bool sk_buf_read_file(sk_buf *b, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  char chunk[65536];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
    sk_buf_put(b, chunk, got);
  bool ok = !ferror(f);
  fclose(f);
  return ok;
}

/* The bytes a JSON string cannot hold as they are: controls, '"', '\\',
 * and DEL (escaped too, so that output stays printable). */
static const unsigned char json_escape[256] = { /* 0x00 to 0x7f; the rest 0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
};

void sk_buf_json_str(sk_buf *b, sk_str s) {
  for (size_t i = 0; i < s.len; i++) {
    size_t run = i; /* bytes that need no escape go in one copy */
    while (run < s.len && !json_escape[(unsigned char)s.ptr[run]])
      run++;
    if (run > i) {
      sk_buf_put(b, s.ptr + i, run - i);
      i = run - 1;
      continue;
    }
    unsigned char c = (unsigned char)s.ptr[i];
    switch (c) {
    case '"': sk_buf_puts(b, "\\\""); break;
    case '\\': sk_buf_puts(b, "\\\\"); break;
    case '\n': sk_buf_puts(b, "\\n"); break;
    case '\r': sk_buf_puts(b, "\\r"); break;
    case '\t': sk_buf_puts(b, "\\t"); break;
    case '\b': sk_buf_puts(b, "\\b"); break;
    case '\f': sk_buf_puts(b, "\\f"); break;
    default:
      if (c < 0x20 || c == 0x7f)
        sk_buf_printf(b, "\\u%04x", c);
      else
        sk_buf_putc(b, c);
    }
  }
}
