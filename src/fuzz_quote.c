/* fuzz_quote.c - libFuzzer target for sk_kql_quote and sk_kql_ident alone.
 * The first byte picks the form (plain, pysigma, no-verbatim, single
 * quotes, or an identifier); the rest, when it is valid UTF-8 (the
 * function's contract), is quoted, decoded again with fuzz_kql.h, and the
 * program aborts unless the decoded value is exactly the input, the
 * literal is the whole output in the form the flags ask for, and no
 * character it promises to escape is left raw (in the pysigma form only
 * control characters are escaped, as the reference converter does). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_kql.h"
#include "kql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why, sk_str in, const sk_buf *out) {
  fprintf(stderr, "fuzz_quote: %s\ninput (%zu bytes):", why, in.len);
  for (size_t i = 0; i < in.len; i++)
    fprintf(stderr, " %02x", (unsigned char)in.ptr[i]);
  fprintf(stderr, "\noutput: %.*s\n", (int)out->len, out->ptr ? out->ptr : "");
  abort();
}

/* The literal must be all of out[from..to) and decode to in. */
static void check_literal(sk_str in, const sk_buf *out, size_t from, size_t to,
                          bool visible_only) {
  sk_buf dec = SK_BUF_INIT;
  size_t pos = from;
  if (!fk_decode_literal(out->ptr, to, &pos, &dec, visible_only))
    fail("output is not a well-formed literal", in, out);
  if (pos != to)
    fail("text after the literal", in, out);
  if (!sk_str_eq((sk_str){dec.ptr ? dec.ptr : "", dec.len}, in))
    fail("decoded literal differs from the input", in, out);
  sk_buf_free(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const unsigned flags[] = {0, SK_Q_PYSIGMA, SK_Q_NOVERBATIM, SK_Q_SINGLE};
  if (size < 1)
    return 0;
  unsigned mode = data[0] % 5u;
  sk_str in = {(const char *)data + 1, size - 1};
  if (!fk_valid_utf8(data + 1, size - 1))
    return 0;
  sk_buf out = SK_BUF_INIT;
  if (mode == 4) { /* identifier: bare, or ['...'] / ["..."] */
    sk_kql_ident(&out, in);
    if (out.len && out.ptr[0] == '[') {
      if (sk_kql_ident_ok(in) || out.ptr[out.len - 1] != ']')
        fail("bad bracketed identifier", in, &out);
      check_literal(in, &out, 1, out.len - 1, true);
    } else if (!sk_kql_ident_ok(in) || !sk_str_eq((sk_str){out.ptr ? out.ptr : "", out.len}, in)) {
      fail("bare identifier differs from the input", in, &out);
    }
    sk_buf_free(&out);
    return 0;
  }
  sk_kql_quote(&out, in, flags[mode]);
  if (!out.len)
    fail("empty output", in, &out);
  char first = out.ptr[0];
  if ((flags[mode] & SK_Q_SINGLE) ? first != '\''
      : (flags[mode] & (SK_Q_PYSIGMA | SK_Q_NOVERBATIM)) ? first != '"'
                                                         : first != '"' && first != '@')
    fail("literal of the wrong form for the flags", in, &out);
  check_literal(in, &out, 0, out.len, !(flags[mode] & SK_Q_PYSIGMA));
  sk_buf_free(&out);
  return 0;
}
