/* fuzz_cond.c - libFuzzer target for the condition parser alone
 * (sk_cond_parse_text), followed by resolution against a fixed set of
 * detection names (some named like keywords), the AST dump and the
 * rendering of diagnostics with their carets. Aborts if the parser's
 * result and its diagnostics disagree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cond.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const names[] = {"selection", "selection_2", "filter_main", "filter_opt_1",
                                      "keywords", "_hidden", "1", "all", "them", "of", "x*y"};
  enum { NDETS = sizeof names / sizeof *names };
  sk_arena a = {0};
  sk_diags d = {0};
  sk_source src = {"fuzz.yml", (const char *)data, size};
  sk_node *raw = sk_cond_parse_text(&a, &d, &src);
  if ((raw == NULL) != (d.errors > 0)) {
    fprintf(stderr, "fuzz_cond: parse returned %s with %u errors\n", raw ? "a tree" : "NULL",
            d.errors);
    abort();
  }
  sk_buf text = SK_BUF_INIT;
  if (raw) {
    sk_ast_dump(raw, &text);
    sk_detection dets[NDETS];
    for (size_t i = 0; i < NDETS; i++) {
      sk_loc loc = {&src, 1, 1, 1};
      dets[i] = (sk_detection){sk_str_c(names[i]), loc, sk_node_new(&a, SK_N_TRUE, loc), false};
    }
    unsigned before = d.errors;
    sk_node *tree = sk_cond_resolve(&a, &d, raw, dets, NDETS, (size % 2) == 0);
    if ((tree == NULL) != (d.errors > before)) {
      fprintf(stderr, "fuzz_cond: resolve returned %s with %u new errors\n",
              tree ? "a tree" : "NULL", d.errors - before);
      abort();
    }
    if (tree)
      sk_ast_dump(tree, &text);
  }
  sk_diags_render(&d, &text);
  sk_buf_free(&text);
  sk_diags_clear(&d);
  sk_arena_free(&a);
  return 0;
}
