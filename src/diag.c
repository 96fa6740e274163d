/* diag.c - collects diagnostics and renders them as
 *   path:line:col: error: message
 *      12 |     source line
 *         |     ^~~~
 * Source lines are copied at report time so that rendering does not depend
 * on the rule's memory still being alive. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "arena.h"

static char *xstrdup(const char *s, size_t n) {
  char *p = sk_xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* Byte length of the first n code points of s (or all of s). */
static size_t prefix_bytes(sk_str s, size_t n) {
  size_t i = 0;
  while (n > 0 && i < s.len) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t k =
        utf8proc_iterate((const utf8proc_uint8_t *)s.ptr + i, (utf8proc_ssize_t)(s.len - i), &cp);
    i += k > 0 ? (size_t)k : 1;
    n--;
  }
  return i;
}

/* Characters a terminal would act on rather than show: C0 and C1
 * controls and the bidirectional overrides that can reorder what a
 * reviewer reads (CVE-2021-42574). Tabs stay in quoted lines. */
static bool unsafe(utf8proc_int32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x061C || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Copies user text for a diagnostic. In a message each unsafe character
 * or invalid byte becomes an escape (\x1b, \u{202E}); in a quoted source
 * line it becomes one U+FFFD, so that columns, counted in code points,
 * still line up with the caret. */
static char *clean_copy(const char *s, size_t n, bool line) {
  sk_buf b = SK_BUF_INIT;
  for (size_t i = 0; i < n;) {
    size_t j = i; /* printable ASCII needs no decoding */
    while (j < n && s[j] >= 0x20 && s[j] < 0x7F)
      j++;
    if (j > i) {
      sk_buf_put(&b, s + i, j - i);
      i = j;
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t k =
        utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
    if (k > 0 && (!unsafe(cp) || (line && cp == '\t'))) {
      sk_buf_put(&b, s + i, (size_t)k);
    } else if (line) {
      sk_buf_puts(&b, "\xEF\xBF\xBD");
    } else if (k <= 0 || cp < 0x80) {
      sk_buf_printf(&b, "\\x%02x", (unsigned char)s[i]);
    } else {
      sk_buf_printf(&b, "\\u{%04X}", (unsigned)cp);
    }
    i += k > 0 ? (size_t)k : 1;
  }
  return sk_buf_detach(&b, NULL);
}

static void add(sk_diags *d, sk_severity sev, sk_loc loc, const char *fmt, va_list ap) {
  if (d->n == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 8;
    d->v = sk_xrealloc(d->v, d->cap * sizeof *d->v);
  }
  sk_diag *g = &d->v[d->n++];
  memset(g, 0, sizeof *g);
  g->sev = sev;
  g->loc = loc;
  sk_buf b = SK_BUF_INIT;
  va_list aq;
  va_copy(aq, ap);
  char small[512];
  int n = vsnprintf(small, sizeof small, fmt, aq);
  va_end(aq);
  if (n >= 0 && (size_t)n < sizeof small) {
    sk_buf_put(&b, small, (size_t)n);
  } else if (n >= 0) {
    sk_buf_grow(&b, (size_t)n);
    vsnprintf(b.ptr, (size_t)n + 1, fmt, ap);
    b.len = (size_t)n;
  }
  g->message = clean_copy(b.ptr ? b.ptr : "", b.len, false);
  sk_buf_free(&b);
  if (loc.src) {
    g->path = xstrdup(loc.src->path, strlen(loc.src->path));
    if (loc.line) {
      if (d->last_src != loc.src || d->last_data != loc.src->data) {
        d->last_src = loc.src;
        d->last_data = loc.src->data;
        d->last_pos = (sk_source_pos){0, 0};
      }
      sk_str line = sk_source_line_from(loc.src, loc.line, &d->last_pos);
      g->caret = loc.col ? loc.col - 1 : 0;
      g->width = loc.len;
      /* A long line is quoted as a window around the caret, so that many
       * errors on one huge line do not each copy all of it. */
      enum { BEFORE = 60, WINDOW = 160 };
      size_t from = 0, to = line.len;
      if (line.len > WINDOW) {
        size_t skip = g->caret > BEFORE ? g->caret - BEFORE : 0;
        from = prefix_bytes(line, skip);
        to = from + prefix_bytes((sk_str){line.ptr + from, line.len - from}, WINDOW);
        g->caret -= (uint32_t)skip;
        if (g->width > WINDOW - g->caret)
          g->width = WINDOW - g->caret;
      }
      sk_buf w = SK_BUF_INIT;
      if (from > 0) {
        sk_buf_puts(&w, "...");
        g->caret += 3;
      }
      char *text = clean_copy(line.ptr + from, to - from, true);
      sk_buf_puts(&w, text);
      free(text);
      if (to < line.len)
        sk_buf_puts(&w, "...");
      g->line = sk_buf_detach(&w, NULL);
    }
  }
  if (sev == SK_SEV_ERROR)
    d->errors++;
  else if (sev == SK_SEV_WARNING)
    d->warnings++;
}

#define DEFINE_REPORT(name, sev)                                                    \
  void name(sk_diags *d, sk_loc loc, const char *fmt, ...) {                        \
    va_list ap;                                                                     \
    va_start(ap, fmt);                                                              \
    add(d, sev, loc, fmt, ap);                                                      \
    va_end(ap);                                                                     \
  }
DEFINE_REPORT(sk_diag_error, SK_SEV_ERROR)
DEFINE_REPORT(sk_diag_warning, SK_SEV_WARNING)
DEFINE_REPORT(sk_diag_note, SK_SEV_NOTE)

size_t sk_display_width(sk_str s) {
  size_t w = 0;
  const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s.ptr;
  utf8proc_ssize_t left = (utf8proc_ssize_t)s.len;
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate(p, left, &cp);
    if (k <= 0) { /* invalid byte: count it as one column */
      k = 1;
      w++;
    } else {
      int cw = utf8proc_charwidth(cp);
      w += cp == '\t' ? 1 : (size_t)(cw < 0 ? 0 : cw);
    }
    p += k;
    left -= k;
  }
  return w;
}

static const char *const sev_name[] = {"error", "warning", "note"};

void sk_diags_render(const sk_diags *d, sk_buf *out) {
  for (size_t i = 0; i < d->n; i++) {
    const sk_diag *g = &d->v[i];
    /* path:line:col: severity: message, then the line; puts, not printf:
     * a run with many warnings renders thousands of these */
    if (g->path) {
      sk_buf_puts(out, g->path);
      if (g->loc.line) {
        sk_buf_putc(out, ':');
        sk_buf_putu(out, g->loc.line, 0);
        sk_buf_putc(out, ':');
        sk_buf_putu(out, g->loc.col, 0);
      }
      sk_buf_puts(out, ": ");
    }
    sk_buf_puts(out, sev_name[g->sev]);
    sk_buf_puts(out, ": ");
    sk_buf_puts(out, g->message);
    sk_buf_putc(out, '\n');
    if (!g->line)
      continue;
    sk_str line = sk_str_c(g->line);
    sk_buf_putu(out, g->loc.line, 5);
    sk_buf_puts(out, " | ");
    sk_buf_putstr(out, line);
    sk_buf_putc(out, '\n');
    /* Keep tabs in the padding so the caret lines up under them. */
    size_t pre = prefix_bytes(line, g->caret);
    sk_buf_puts(out, "      | ");
    for (size_t j = 0; j < pre;) {
      if (line.ptr[j] == '\t') {
        sk_buf_putc(out, '\t');
        j++;
        continue;
      }
      size_t k = prefix_bytes((sk_str){line.ptr + j, line.len - j}, 1);
      size_t w = sk_display_width((sk_str){line.ptr + j, k});
      for (size_t c = 0; c < w; c++)
        sk_buf_putc(out, ' ');
      j += k;
    }
    sk_buf_putc(out, '^');
    size_t rest = prefix_bytes((sk_str){line.ptr + pre, line.len - pre}, g->width);
    size_t width = sk_display_width((sk_str){line.ptr + pre, rest});
    for (size_t c = 1; c < width; c++)
      sk_buf_putc(out, '~');
    sk_buf_putc(out, '\n');
  }
}

static char *dup_or_null(const char *s) { return s ? xstrdup(s, strlen(s)) : NULL; }

void sk_diags_copy(sk_diags *to, const sk_diags *from) {
  for (size_t i = 0; i < from->n; i++) {
    if (to->n == to->cap) {
      to->cap = to->cap ? to->cap * 2 : 8;
      to->v = sk_xrealloc(to->v, to->cap * sizeof *to->v);
    }
    sk_diag *g = &to->v[to->n++];
    *g = from->v[i];
    g->path = dup_or_null(g->path);
    g->message = dup_or_null(g->message);
    g->line = dup_or_null(g->line);
  }
  to->errors += from->errors;
  to->warnings += from->warnings;
}

void sk_diags_clear(sk_diags *d) {
  for (size_t i = 0; i < d->n; i++) {
    free(d->v[i].message);
    free(d->v[i].path);
    free(d->v[i].line);
  }
  free(d->v);
  memset(d, 0, sizeof *d);
}
