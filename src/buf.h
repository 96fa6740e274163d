/* buf.h - growable byte buffer, always NUL-terminated after put operations.
 * The buffer owns ptr (malloc'd); sk_buf_detach() hands it to the caller. */
#ifndef SK_BUF_H
#define SK_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "str.h"

typedef struct sk_buf {
  char *ptr;
  size_t len, cap;
} sk_buf;

#define SK_BUF_INIT {NULL, 0, 0}

void sk_buf_grow(sk_buf *b, size_t extra);

/* The put operations are inline: rendering a query appends a few bytes at
 * a time, and a call per append showed in profiles. */
static inline void sk_buf_put(sk_buf *b, const void *p, size_t n) {
  if (b->cap - b->len <= n) /* room for n bytes and the NUL; cap 0 too */
    sk_buf_grow(b, n);
  if (n)
    memcpy(b->ptr + b->len, p, n);
  b->len += n;
  b->ptr[b->len] = '\0';
}
static inline void sk_buf_puts(sk_buf *b, const char *s) { sk_buf_put(b, s, strlen(s)); }
static inline void sk_buf_putstr(sk_buf *b, sk_str s) { sk_buf_put(b, s.ptr, s.len); }
static inline void sk_buf_putc(sk_buf *b, int c) {
  if (b->cap - b->len <= 1)
    sk_buf_grow(b, 1);
  b->ptr[b->len++] = (char)c;
  b->ptr[b->len] = '\0';
}
void sk_buf_printf(sk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal, padded with spaces on the left to width: what
 * printf's "%*u" writes, without parsing a format. */
void sk_buf_putu(sk_buf *b, unsigned long v, size_t width);
/* Returns the bytes (NUL-terminated, caller frees) and empties the buffer. */
char *sk_buf_detach(sk_buf *b, size_t *len);
void sk_buf_clear(sk_buf *b);
void sk_buf_free(sk_buf *b);
/* Appends the whole file at path; false (errno set) if it cannot be read. */
bool sk_buf_read_file(sk_buf *b, const char *path);
/* Appends s as the body of a JSON string (no quotes), escaping as RFC 8259 asks. */
void sk_buf_json_str(sk_buf *b, sk_str s);

#endif
