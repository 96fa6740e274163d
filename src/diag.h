/* diag.h - the diagnostics sink.
 * Passes report errors, warnings and notes at an sk_loc; nothing is printed
 * here. sk_diags_render() produces the gcc-style text with the source line
 * and a caret; the caller decides where it goes. */
#ifndef SK_DIAG_H
#define SK_DIAG_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "source.h"

/* A position in a source: 1-based line and column (columns count code
 * points, as libyaml marks do); len is the underline width in code points. */
typedef struct sk_loc {
  const sk_source *src;
  uint32_t line, col, len;
} sk_loc;

typedef enum sk_severity {
  SK_SEV_ERROR,   /* the rule does not convert */
  SK_SEV_WARNING, /* converted, but the user should know */
  SK_SEV_NOTE,    /* attached to the previous error or warning */
} sk_severity;

typedef struct sk_diag {
  sk_severity sev;
  sk_loc loc;    /* loc.src may be NULL for file-less messages */
  char *path;    /* copy of loc.src->path, survives the source */
  char *message; /* malloc'd */
  char *line;    /* malloc'd copy of the source line (a window of a long
                    one), or NULL */
  uint32_t caret, width; /* where the caret goes in line, code points */
} sk_diag;

typedef struct sk_diags {
  sk_diag *v;
  size_t n, cap;
  unsigned errors, warnings;
  /* Where the last quoted line was found, to resume from in that source. */
  const sk_source *last_src;
  const char *last_data;
  sk_source_pos last_pos;
} sk_diags;

void sk_diag_error(sk_diags *d, sk_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sk_diag_warning(sk_diags *d, sk_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sk_diag_note(sk_diags *d, sk_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends every diagnostic, in report order, as text. */
void sk_diags_render(const sk_diags *d, sk_buf *out);
/* Appends deep copies of from's diagnostics to to. */
void sk_diags_copy(sk_diags *to, const sk_diags *from);
void sk_diags_clear(sk_diags *d);

/* Display width of s in terminal columns (tabs count as one). */
size_t sk_display_width(sk_str s);

#endif
