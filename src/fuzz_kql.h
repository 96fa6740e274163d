/* fuzz_kql.h - a strict decoder of the KQL string literals sk_kql_quote
 * writes, for the fuzz targets (header only: each fuzzer is one program).
 *   "..." and '...'  escapes \\ \" \' \n \r \t \uXXXX (UTF-16 units, as
 *                    Kusto decodes them; a surrogate pair is one character)
 *   @"..."           verbatim: nothing is escaped, "" is one quote
 * Stricter than KQL on purpose: any other escape, a lone surrogate, an
 * unterminated literal or a raw character that sk_kql_quote promises to
 * escape makes the decoder fail: control characters always, and unless
 * visible_only is false (the pysigma form, SK_Q_PYSIGMA) also format and
 * separator characters, surrogates, private-use and unassigned code
 * points. */
#ifndef SK_FUZZ_KQL_H
#define SK_FUZZ_KQL_H

#include <stdbool.h>
#include <stdint.h>
#include <utf8proc.h>

#include "buf.h"

/* True if the code point must never appear raw inside a literal. */
static bool fk_hidden(utf8proc_int32_t cp) {
  if (cp < 0x20 || cp == 0x7f)
    return true;
  if (cp < 0x80)
    return false;
  utf8proc_category_t c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_ZL ||
         c == UTF8PROC_CATEGORY_ZP || c == UTF8PROC_CATEGORY_CS || c == UTF8PROC_CATEGORY_CO ||
         c == UTF8PROC_CATEGORY_CN;
}

/* Reads 4 hex digits at s[i..i+4) into *unit. */
static bool fk_hex4(const char *s, size_t len, size_t i, unsigned *unit) {
  if (i + 4 > len)
    return false;
  unsigned v = 0;
  for (size_t k = i; k < i + 4; k++) {
    char c = s[k];
    unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                 : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                 : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                        : 16u;
    if (d == 16)
      return false;
    v = v * 16 + d;
  }
  *unit = v;
  return true;
}

/* Decodes the literal starting at s[*pos]; appends its value to out and
 * moves *pos past it. Returns false if there is no well-formed literal. */
static bool fk_decode_literal(const char *s, size_t len, size_t *pos, sk_buf *out,
                              bool visible_only) {
  size_t i = *pos;
  bool verbatim = i < len && s[i] == '@';
  if (verbatim)
    i++;
  if (i >= len || (s[i] != '"' && s[i] != '\''))
    return false;
  char q = s[i++];
  if (verbatim && q != '"')
    return false; /* sk_kql_quote writes only @"..." */
  for (;;) {
    if (i >= len)
      return false; /* unterminated */
    utf8proc_int32_t cp;
    utf8proc_ssize_t k =
        utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
    if (k <= 0 || cp < 0x20 || cp == 0x7f || (visible_only && fk_hidden(cp)))
      return false;
    if (cp == q) {
      if (verbatim && i + 1 < len && s[i + 1] == q) { /* "" inside @"..." */
        sk_buf_putc(out, q);
        i += 2;
        continue;
      }
      *pos = i + 1;
      return true;
    }
    if (cp != '\\' || verbatim) {
      sk_buf_put(out, s + i, (size_t)k);
      i += (size_t)k;
      continue;
    }
    if (i + 1 >= len)
      return false;
    char e = s[i + 1];
    i += 2;
    switch (e) {
    case '\\': sk_buf_putc(out, '\\'); continue;
    case '"': sk_buf_putc(out, '"'); continue;
    case '\'': sk_buf_putc(out, '\''); continue;
    case 'n': sk_buf_putc(out, '\n'); continue;
    case 'r': sk_buf_putc(out, '\r'); continue;
    case 't': sk_buf_putc(out, '\t'); continue;
    case 'u': break;
    default: return false;
    }
    unsigned u1, u2;
    if (!fk_hex4(s, len, i, &u1))
      return false;
    i += 4;
    utf8proc_int32_t c = (utf8proc_int32_t)u1;
    if (u1 >= 0xD800 && u1 <= 0xDBFF) { /* needs its low half next */
      if (i + 2 > len || s[i] != '\\' || s[i + 1] != 'u' || !fk_hex4(s, len, i + 2, &u2) ||
          u2 < 0xDC00 || u2 > 0xDFFF)
        return false;
      i += 6;
      c = (utf8proc_int32_t)(0x10000 + ((u1 - 0xD800) << 10) + (u2 - 0xDC00));
    } else if (u1 >= 0xDC00 && u1 <= 0xDFFF) {
      return false;
    }
    utf8proc_uint8_t enc[4];
    utf8proc_ssize_t n = utf8proc_encode_char(c, enc);
    sk_buf_put(out, enc, (size_t)n);
  }
}

/* True if s[0..len) is UTF-8 that utf8proc accepts (no surrogates). */
static bool fk_valid_utf8(const uint8_t *s, size_t len) {
  for (size_t i = 0; i < len;) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
    if (k <= 0)
      return false;
    i += (size_t)k;
  }
  return true;
}

#endif
