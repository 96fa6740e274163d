/* ast.h - the normalized, target-independent form of a rule's detection.
 * Nodes live in the rule arena. Children are arrays, not sibling links, so
 * one detection referenced twice by the condition can be shared. */
#ifndef SK_AST_H
#define SK_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"

typedef enum sk_node_kind {
#define NODE(e, name) SK_N_##e,
#include "ast.def"
#undef NODE
} sk_node_kind;

/* In SK_MOP_STR values, wildcards are encoded as bytes that never occur in
 * valid UTF-8, so that a literal '*' and a wildcard '*' stay apart. */
#define SK_WILD_STAR '\xff'
#define SK_WILD_ONE '\xfe'

typedef enum sk_mop {
  SK_MOP_STR,      /* string pattern with SK_WILD_* bytes */
  SK_MOP_RE,       /* regular expression (value), flags SK_MF_RE_* */
  SK_MOP_NUM,      /* equality with a number; value is its YAML text */
  SK_MOP_BOOL,     /* equality with bval */
  SK_MOP_NULL,     /* field is null (empty) */
  SK_MOP_CMP,      /* cmp against a number */
  SK_MOP_CIDR,     /* value is a network, IPv4 or IPv6 */
  SK_MOP_EXISTS,   /* field present (bval) */
  SK_MOP_FIELDREF, /* compare with the field named by value (pattern mode) */
  SK_MOP_TIMEPART, /* datetime part (timepart) equals or cmp the number */
  SK_MOP_WATCHLIST, /* equals a SearchKey of the watchlist named by value */
} sk_mop;

typedef enum sk_cmp { SK_CMP_EQ, SK_CMP_LT, SK_CMP_LTE, SK_CMP_GT, SK_CMP_GTE } sk_cmp;

typedef enum sk_refmode { /* fieldref combined with a string modifier */
  SK_REF_EQ,
  SK_REF_CONTAINS,
  SK_REF_STARTSWITH,
  SK_REF_ENDSWITH,
} sk_refmode;

enum {
  SK_MF_CASED = 1 << 0, /* cased: case-sensitive comparison */
  SK_MF_RE_I = 1 << 1,  /* re|i */
  SK_MF_RE_M = 1 << 2,  /* re|m */
  SK_MF_RE_S = 1 << 3,  /* re|s */
  SK_MF_VERBATIM = 1 << 4, /* pySigma profile: came from a plain list value */
};

typedef struct sk_match {
  sk_str field;    /* Sigma field name as written; empty for keywords */
  sk_loc field_loc;
  sk_mop op;
  sk_str value;    /* see sk_mop */
  sk_loc value_loc;
  unsigned flags;  /* SK_MF_* */
  sk_cmp cmp;      /* SK_MOP_CMP, SK_MOP_TIMEPART */
  sk_refmode refmode;
  bool bval;       /* SK_MOP_BOOL, SK_MOP_EXISTS */
  bool is_float;   /* SK_MOP_NUM/CMP: value has a fraction or exponent */
  const char *timepart; /* KQL datetime_part name */
  /* Filled by the mapping step: the KQL column or expression to test. */
  sk_str column;
  int type; /* sk_type of the column (schema.h) */
  bool column_is_expr;
  bool column_ident; /* column is known to be an identifier KQL takes unquoted */
  bool column_missing; /* pysigma profile: the table has no such column */
} sk_match;

/* Where an AND/OR node came from. Only the pysigma profile looks at it:
 * the reference converter builds a differently shaped tree for each. */
typedef enum sk_origin {
  SK_O_COND,      /* an operator of the condition */
  SK_O_SELECTOR,  /* "1 of x*", "all of them" */
  SK_O_MAP,       /* a detection map: its items, ANDed */
  SK_O_MAPS,      /* a detection list of maps, ORed */
  SK_O_VALUES,    /* the value list of one item */
  SK_O_EXPANSION, /* the variants of one value (windash, base64offset) */
} sk_origin;

typedef struct sk_node sk_node;
struct sk_node {
  sk_node_kind kind;
  sk_origin origin; /* AND/OR only */
  sk_loc loc;       /* where the user wrote it */
  sk_node **kids;
  uint32_t n;
  uint64_t size; /* sk_node_size() memo; 0 until computed */
  union {
    sk_match *match; /* SK_N_MATCH */
    struct {
      sk_str pattern; /* "them" or an identifier pattern with '*' */
      bool all;
    } of;        /* SK_N_OF */
    sk_str ref;  /* SK_N_REF */
  } as;
};

sk_node *sk_node_new(sk_arena *a, sk_node_kind kind, sk_loc loc);
/* A list node (AND/OR) with room for n kids, all NULL. */
sk_node *sk_node_list(sk_arena *a, sk_node_kind kind, sk_loc loc, uint32_t n);
sk_node *sk_node_not(sk_arena *a, sk_node *operand);
const char *sk_node_kind_name(sk_node_kind k);
/* About how many bytes the tree takes written out as a query: field
 * name, value and 16 bytes of syntax per test, each shared subtree
 * counted every time it is used; saturates at UINT32_MAX. Memoized per
 * node, so it costs the distinct nodes however large the query would be. */
uint64_t sk_node_size(sk_node *n);

/* Appends an s-expression form of the tree, for --dump and tests. */
void sk_ast_dump(const sk_node *n, sk_buf *out);

#endif
