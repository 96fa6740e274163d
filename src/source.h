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

/* Returns the bytes of 1-based line `line` without its terminator, or an
 * empty slice past the end. */
sk_str sk_source_line(const sk_source *src, uint32_t line);

#endif
