/* format.c - the registry of output formats and what they share: the
 * units list and the status words of selection and the enabled policy.
 * The formats themselves are in fmt_*.c, one file each. */
#include "format.h"

#include <string.h>

static const sk_format *const formats[] = {
    &sk_format_kql,
    &sk_format_json,
    &sk_format_arm,
    &sk_format_sentinel_yaml,
};

const char sk_format_names[] = "kql, json, arm or sentinel-yaml";

const sk_format *sk_format_find(const char *name) {
  for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
    if (strcmp(formats[i]->name, name) == 0)
      return formats[i];
  return NULL;
}

void sk_units_add(sk_arena *a, sk_units *u, sk_str text) {
  if (u->n == u->cap) {
    size_t cap = u->cap ? u->cap * 2 : 4;
    sk_str *v = sk_arena_array(a, cap, sizeof *v);
    if (u->n)
      memcpy(v, u->v, u->n * sizeof *v);
    u->v = v;
    u->cap = cap;
  }
  u->v[u->n++] = text;
}

static const struct {
  const char *name;
  unsigned bit;
} statuses[] = {
    {"stable", SK_ST_STABLE},         {"test", SK_ST_TEST},
    {"experimental", SK_ST_EXPERIMENTAL}, {"deprecated", SK_ST_DEPRECATED},
    {"unsupported", SK_ST_UNSUPPORTED}, {"none", SK_ST_NONE},
    {"all", SK_ST_ALL},
};

unsigned sk_status_bit(sk_str status, bool present) {
  if (present)
    for (size_t i = 0; i + 2 < sizeof statuses / sizeof *statuses; i++)
      if (sk_str_eqc(status, statuses[i].name))
        return statuses[i].bit;
  return SK_ST_NONE;
}

bool sk_status_mask(const char *list, unsigned *mask) {
  *mask = 0;
  const char *p = list;
  for (;;) {
    const char *end = strchr(p, ',');
    sk_str w = {p, end ? (size_t)(end - p) : strlen(p)};
    while (w.len && sk_is_space((unsigned char)w.ptr[0]))
      w.ptr++, w.len--;
    while (w.len && sk_is_space((unsigned char)w.ptr[w.len - 1]))
      w.len--;
    size_t i = 0, n = sizeof statuses / sizeof *statuses;
    while (i < n && !sk_str_eqc(w, statuses[i].name))
      i++;
    if (i == n)
      return false;
    *mask |= statuses[i].bit;
    if (!end)
      return true;
    p = end + 1;
  }
}
