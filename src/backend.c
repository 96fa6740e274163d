/* backend.c - the registry of backends, and helpers they share. */
#include "backend.h"

#include <string.h>

const sk_backend *const sk_backends[] = {
    &sk_backend_asim,
    &sk_backend_xdr,
    &sk_backend_monitor,
    &sk_backend_asim_pysigma,
    &sk_backend_xdr_pysigma,
    &sk_backend_monitor_pysigma,
    NULL,
};

const sk_backend *sk_backend_find(const char *target, const char *profile) {
  for (const sk_backend *const *b = sk_backends; *b; b++)
    if (strcmp((*b)->target, target) == 0 && strcmp((*b)->profile, profile) == 0)
      return *b;
  return NULL;
}

void sk_output_add(sk_arena *a, sk_output *out, const char *text, size_t len) {
  if (out->n == out->cap) {
    uint32_t cap = out->cap ? out->cap * 2 : 2;
    sk_str *v = sk_arena_array(a, cap, sizeof *v);
    if (out->n)
      memcpy(v, out->queries, out->n * sizeof *v);
    out->queries = v;
    out->cap = cap;
  }
  out->queries[out->n++] = (sk_str){sk_arena_strndup(a, text, len), len};
}
