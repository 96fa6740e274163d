/* format.h - output formats: how one file's results are written.
 * Each format appends to a buffer; the CLI only prints it. */
#ifndef SK_FORMAT_H
#define SK_FORMAT_H

#include "sigmakql.h"

#include "buf.h"

typedef struct sk_format {
  const char *name; /* -f value */
  void (*write)(sk_buf *out, const sk_result *res, const char *path, const char *target,
                const char *profile);
} sk_format;

/* NULL for an unknown name. */
const sk_format *sk_format_find(const char *name);

#endif
