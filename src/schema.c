/* schema.c - the compiled-in column tables and their lookups. */
#include "schema.h"

#include <string.h>

#define STRING SK_TY_STRING
#define INT SK_TY_INT
#define LONG SK_TY_LONG
#define REAL SK_TY_REAL
#define BOOL SK_TY_BOOL
#define DATETIME SK_TY_DATETIME
#define DYNAMIC SK_TY_DYNAMIC
#define GUID SK_TY_GUID
#define TIMESPAN SK_TY_TIMESPAN
#define DECIMAL SK_TY_DECIMAL

static const sk_column asim_cols[] = {
#define COL(t, c, ty) {t, c, sizeof(c) - 1, ty, false},
#define ALIAS(t, c, ty) {t, c, sizeof(c) - 1, ty, true},
#include "asim_schema.def"
#undef COL
#undef ALIAS
};
const sk_schema sk_schema_asim = {asim_cols, sizeof asim_cols / sizeof *asim_cols};

static const sk_column pysigma_asim_cols[] = {
#define PS_COL(t, c, ty) {t, c, sizeof(c) - 1, ty, false},
#include "pysigma_asim_schema.def"
#undef PS_COL
};
const sk_schema sk_schema_pysigma_asim = {pysigma_asim_cols,
                                          sizeof pysigma_asim_cols / sizeof *pysigma_asim_cols};

static const sk_column xdr_cols[] = {
#define COL(t, c, ty) {t, c, sizeof(c) - 1, ty, false},
#include "xdr_schema.def"
#undef COL
};
const sk_schema sk_schema_xdr = {xdr_cols, sizeof xdr_cols / sizeof *xdr_cols};

static const sk_column monitor_cols[] = {
#define COL(t, c, ty) {t, c, sizeof(c) - 1, ty, false},
#include "monitor_schema.def"
#undef COL
};
const sk_schema sk_schema_monitor = {monitor_cols, sizeof monitor_cols / sizeof *monitor_cols};

const sk_schema *sk_schema_set(const char *name) {
  if (strcmp(name, "asim") == 0)
    return &sk_schema_asim;
  if (strcmp(name, "xdr") == 0)
    return &sk_schema_xdr;
  return &sk_schema_monitor;
}

static int cmp_key(const char *table, sk_str col, const sk_column *c) {
  int r = strcmp(table, c->table);
  if (r)
    return r;
  return sk_str_cmp(col, (sk_str){c->name, c->len});
}

const sk_column *sk_schema_find(const sk_schema *s, const char *table, sk_str column) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = cmp_key(table, column, &s->cols[mid]);
    if (r == 0)
      return &s->cols[mid];
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

size_t sk_schema_table(const sk_schema *s, const char *table, const sk_column **first) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) { /* first row whose table is >= table */
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(s->cols[mid].table, table) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t end = s->n;
  for (size_t l = lo; l < end;) { /* first row whose table is > table */
    size_t mid = l + (end - l) / 2;
    if (strcmp(s->cols[mid].table, table) <= 0)
      l = mid + 1;
    else
      end = mid;
  }
  *first = s->cols + lo;
  return end - lo;
}

bool sk_type_is_numeric(sk_type t) {
  return t == SK_TY_INT || t == SK_TY_LONG || t == SK_TY_REAL || t == SK_TY_DECIMAL;
}

const char *sk_type_name(sk_type t) {
  static const char *const names[] = {"string", "int",     "long", "real",     "bool",
                                      "datetime", "dynamic", "guid", "timespan", "decimal"};
  return names[t];
}

const sk_column *sk_schema_column(const sk_column *cols, size_t n, sk_str column) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = sk_str_cmp(column, (sk_str){cols[mid].name, cols[mid].len});
    if (r == 0)
      return &cols[mid];
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}
