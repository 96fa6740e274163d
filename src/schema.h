/* schema.h - column tables of the targets, compiled in from .def data.
 * Each table is an array sorted by (table, column) in byte order, so a
 * lookup is a binary search. */
#ifndef SK_SCHEMA_H
#define SK_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "str.h"

typedef enum sk_type {
  SK_TY_STRING,
  SK_TY_INT,
  SK_TY_LONG,
  SK_TY_REAL,
  SK_TY_BOOL,
  SK_TY_DATETIME,
  SK_TY_DYNAMIC,
  SK_TY_GUID,
  SK_TY_TIMESPAN,
  SK_TY_DECIMAL,
} sk_type;

typedef struct sk_column {
  const char *table; /* ASIM schema name or table name */
  const char *name;
  uint16_t len;  /* strlen(name), counted when compiling: lookups compare it first */
  uint8_t type;  /* sk_type */
  bool alias;    /* documented alias, not a stored column */
} sk_column;

typedef struct sk_schema {
  const sk_column *cols;
  size_t n;
} sk_schema;

extern const sk_schema sk_schema_asim;         /* asim_schema.def */
extern const sk_schema sk_schema_pysigma_asim; /* pysigma_asim_schema.def */
extern const sk_schema sk_schema_xdr;          /* xdr_schema.def */
extern const sk_schema sk_schema_monitor;      /* monitor_schema.def */

/* A schema set by name: "asim", "xdr", anything else the monitor tables. */
const sk_schema *sk_schema_set(const char *name);

/* Exact (case-sensitive) lookup; NULL if the table has no such column. */
const sk_column *sk_schema_find(const sk_schema *s, const char *table, sk_str column);
/* The columns of one table: *first and the count. */
size_t sk_schema_table(const sk_schema *s, const char *table, const sk_column **first);
/* sk_schema_find within the n columns of one table that sk_schema_table gave. */
const sk_column *sk_schema_column(const sk_column *cols, size_t n, sk_str column);
bool sk_type_is_numeric(sk_type t);
const char *sk_type_name(sk_type t);

#endif
