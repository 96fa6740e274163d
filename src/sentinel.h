/* sentinel.h - a Sigma rule as Microsoft Sentinel scheduled analytics
 * rules: the model the arm and sentinel-yaml formats write (fmt_arm.c,
 * fmt_sentinel.c), with Sentinel's limits, the ATT&CK tables (attack.def),
 * entity mappings (entities.def), durations, and the rule GUIDs (SHA-1 and
 * UUIDv5). Facts: reference/sentinel-rule-formats.md. */
#ifndef SK_SENTINEL_H
#define SK_SENTINEL_H

#include <stdint.h>

#include "format.h"

enum {
  SK_SENTINEL_NAME_MAX = 256,    /* displayName / name */
  SK_SENTINEL_DESC_MAX = 5000,   /* description */
  SK_SENTINEL_QUERY_MAX = 10000, /* query */
  SK_SENTINEL_MIN_MINUTES = 5,   /* queryFrequency and queryPeriod */
  SK_SENTINEL_MAX_MINUTES = 14 * 24 * 60,
  SK_SENTINEL_ENTITIES_MAX = 10,
  SK_SENTINEL_DETAILS_MAX = 20,
};

typedef struct sk_entity_field {
  const char *identifier, *column;
} sk_entity_field;

typedef struct sk_entity {
  const char *type; /* "Host", "Account", ... */
  sk_entity_field fields[3];
  unsigned n;
} sk_entity;

typedef struct sk_detail {
  const char *key, *column;
} sk_detail;

/* One scheduled analytics rule. Strings are NUL-terminated, in the rule
 * arena or static. */
typedef struct sk_analytics {
  char guid[37];           /* lower-case, with hyphens */
  const char *name;        /* displayName; at most 256 UTF-16 code units */
  const char *description; /* at most 5,000 */
  const char *severity;    /* Informational, Low, Medium, High */
  bool enabled;
  const char *query;
  unsigned frequency, period; /* minutes */
  const char **tactics;       /* Sentinel names, kill-chain order */
  size_t ntactics;
  const char **techniques; /* T#### only (ARM techniques) */
  size_t ntechniques;
  const char **relevant; /* T#### or T####.### (YAML relevantTechniques) */
  size_t nrelevant;
  const sk_entity *entities;
  size_t nentities;
  const sk_detail *details;
  size_t ndetails;
} sk_analytics;

/* Builds the analytics rules of one converted rule, one per query, in the
 * rule arena. Reports warnings (description cut to the limit, techniques
 * Sentinel does not know, a rule without id) and errors (a query over the
 * length limit) at the rule's positions; false after an error. */
bool sk_analytics_build(const sk_fmt_rule *fr, sk_analytics **out, size_t *n);

/* Reports an error at the rule's condition when query is longer than
 * Sentinel allows; false then. */
bool sk_sentinel_check_query(sk_pass *p, const sk_rule *r, sk_str query);

/* Length in UTF-16 code units, as .NET (and so Sentinel) counts characters. */
size_t sk_utf16_len(sk_str s);

/* Durations: "PT1H", "P1D", "P1DT12H", "PT90M" (ISO 8601) or "5m", "1h",
 * "2d" (also "1w", and "Ns" for whole minutes). False with a reason in *why
 * (static text) if text is neither or not a whole number of minutes. */
bool sk_duration_parse(const char *text, unsigned *minutes, const char **why);
/* NULL when frequency and period satisfy Sentinel's rules, else why not
 * (static text). */
const char *sk_durations_check(unsigned frequency, unsigned period);
void sk_duration_iso(sk_buf *b, unsigned minutes);   /* PT5M, PT1H, P2D */
void sk_duration_short(sk_buf *b, unsigned minutes); /* 5m, 1h, 2d */

/* SHA-1 (FIPS 180-4) of data[0..len). */
void sk_sha1(const void *data, size_t len, uint8_t out[20]);
/* Parses a UUID with hyphens (either case); false if s is not one. */
bool sk_uuid_parse(sk_str s, uint8_t out[16]);
/* The name-based UUID, version 5 (RFC 9562, SHA-1), of name in namespace
 * ns, written lower-case with hyphens and a NUL into out. */
void sk_uuid5(const uint8_t ns[16], sk_str name, char out[37]);

/* Appends the entity mappings and custom details of every table of
 * entities.def, one line per field: table, entity type (or "detail"),
 * identifier (or key), column, and "ok" or why it is not written. */
void sk_entities_list(sk_buf *out);

#endif
