/* gen.h - reproducible Sigma rules for the benchmark: a corpus of varied
 * rules (every value modifier, every condition form) and the pathological
 * inputs of testdata/pathological.sh. Everything is a pure function of
 * (seed, index), so the same seed gives the same bytes on every machine. */
#ifndef SK_BENCH_GEN_H
#define SK_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>

/* Growable byte buffer; the caller frees p. Allocation failure aborts. */
typedef struct gen_buf {
  char *p;
  size_t len, cap;
} gen_buf;

void gen_put(gen_buf *b, const char *s, size_t n);
void gen_puts(gen_buf *b, const char *s);
void gen_printf(gen_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends rule number index of the corpus of seed to b: one YAML document
 * of about 1.6 KiB, like a SigmaHQ rule. Most convert; some fail on some
 * targets (log sources or fields a target lacks). */
void gen_rule(gen_buf *b, uint64_t seed, unsigned index);

/* Placeholder values the corpus's `expand` values need ("NAME=v1,v2"). */
extern const char *const gen_placeholders[];
extern const size_t gen_nplaceholders;

/* One pathological input. expect is the exit status the compiler must give
 * (0: converts, 1: fails with a diagnostic, -1: either, as for correlations,
 * which are being implemented); diag is a piece of the expected first
 * error, or NULL. */
typedef struct gen_case {
  const char *name;
  const char *what;
  int expect;
  const char *diag;
  void (*make)(gen_buf *b);
} gen_case;

extern const gen_case gen_cases[];
extern const size_t gen_ncases;

#endif
