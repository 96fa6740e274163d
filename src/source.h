/* source.h - a loaded input: its bytes and the path as the user gave it.
 * Line starts are computed only when a diagnostic needs a source line. */
#ifndef SK_SOURCE_H
#define SK_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "str.h"

typedef struct sk_source {
  const char *path; /* as given on the command line; "<stdin>" for - */
  const char *data; /* not necessarily NUL-terminated */
  size_t len;
} sk_source;

/* Length of a UTF-8 byte-order mark at the start of src (3 or 0). It is
 * not part of line 1: YAML skips it, and so do columns and quoted lines. */
static inline size_t sk_source_bom(const sk_source *src) {
  return src->len >= 3 && (unsigned char)src->data[0] == 0xEF &&
                 (unsigned char)src->data[1] == 0xBB && (unsigned char)src->data[2] == 0xBF
             ? 3
             : 0;
}

/* Returns the bytes of 1-based line `line` without its terminator, or an
 * empty slice past the end. */
sk_str sk_source_line(const sk_source *src, uint32_t line);

/* A line and the offset where it starts, to resume from. */
typedef struct sk_source_pos {
  uint32_t line; /* 0: unknown */
  size_t offset;
} sk_source_pos;

/* As sk_source_line, scanning from *at when it is not past line (from the
 * start otherwise), and leaving *at at the line found: diagnostics come
 * mostly in file order, so each one scans only what lies between. */
sk_str sk_source_line_from(const sk_source *src, uint32_t line, sk_source_pos *at);

#endif
