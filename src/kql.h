/* kql.h - KQL text: the one string-quoting function, identifier quoting,
 * and the default renderer of a mapped condition tree. */
#ifndef SK_KQL_H
#define SK_KQL_H

#include "ast.h"

enum {
  SK_Q_PYSIGMA = 1 << 0,    /* the reference converter's form: always "...",
                               only control characters escaped */
  SK_Q_NOVERBATIM = 1 << 1, /* always "..." with escapes */
  SK_Q_SINGLE = 1 << 2,     /* '...' with escapes (for ['name']) */
};

/* Appends s as a KQL string literal whose value is exactly s. Never emits
 * raw control characters: they, and format/separator characters that could
 * hide text from a reviewer, become \uXXXX escapes in a "..." literal.
 * Without flags, a value with backslashes is written verbatim (@"...").
 * s must not contain SK_WILD_* bytes. */
void sk_kql_quote(sk_buf *out, sk_str s, unsigned flags);

/* True if name can be written bare: [A-Za-z_][A-Za-z0-9_]*, not a keyword
 * that cannot be an identifier, not true/false. */
bool sk_kql_ident_ok(sk_str name);
/* Appends name, as ['name'] when it is not a bare identifier. */
void sk_kql_ident(sk_buf *out, sk_str name);

/* Escapes regular-expression metacharacters of literal text for RE2. */
void sk_kql_regex_literal(sk_buf *out, sk_str s);

/* Renders a mapped, folded tree (AND/OR/NOT/MATCH with columns set) as a
 * KQL predicate, choosing case-insensitive operators unless cased. */
void sk_kql_render(sk_buf *out, const sk_node *n);

#endif
