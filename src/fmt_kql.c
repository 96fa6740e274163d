/* fmt_kql.c - output format kql: each query followed by a newline, the
 * queries separated by one blank line (the CLI adds the blank line between
 * files). One unit per query. */
#include "format.h"

static bool kql_rule(const sk_fmt_rule *fr, sk_units *units) {
  for (size_t q = 0; q < fr->rr->nqueries; q++)
    sk_units_add(fr->pass->arena, units, sk_str_c(fr->rr->queries[q]));
  return true;
}

static void kql_wrap(sk_buf *out, const sk_str *units, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (i)
      sk_buf_putc(out, '\n');
    sk_buf_putstr(out, units[i]);
    sk_buf_putc(out, '\n');
  }
}

const sk_format sk_format_kql = {.name = "kql", .rule = kql_rule, .wrap = kql_wrap};
