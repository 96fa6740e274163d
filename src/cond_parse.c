/* cond_parse.c - recursive-descent parser for grammar/condition.ebnf.
 * The lexer splits the scalar into words and parentheses; keywords are
 * recognized by the parser from context, so a detection may be named like
 * a keyword where that is unambiguous ("all" not followed by "of").
 * Positions are byte offsets into the scalar, turned into file:line:col
 * only when reporting. */
#include <utf8proc.h>

#include "cond.h"

typedef enum tok_kind { T_WORD, T_LPAREN, T_RPAREN, T_EOF } tok_kind;

typedef struct tok {
  tok_kind kind;
  size_t off, len; /* bytes in the scalar */
  uint32_t col;    /* code points before off, counted once by the lexer */
} tok;

typedef struct parser {
  sk_arena *arena;
  sk_diags *diags;
  const sk_ynode *scalar; /* NULL when parsing bare text */
  const sk_source *src;   /* for bare text */
  sk_str text;
  tok *toks;
  size_t ntoks;
  int depth;
} parser;

sk_loc sk_scalar_loc(const sk_ynode *scalar, size_t off, size_t len) {
  sk_loc l = scalar->loc;
  if (scalar->offset == UINT32_MAX) /* position inside the value unknown */
    return l;
  /* Columns count code points, as libyaml's do. */
  uint32_t before = 0, width = 0;
  for (size_t i = 0; i < off && i < scalar->str.len; i++)
    before += ((unsigned char)scalar->str.ptr[i] & 0xC0) != 0x80;
  for (size_t i = off; i < off + len && i < scalar->str.len; i++)
    width += ((unsigned char)scalar->str.ptr[i] & 0xC0) != 0x80;
  l.col += scalar->offset + before;
  l.len = width ? width : 1;
  return l;
}

static sk_loc tok_loc(const parser *p, const tok *t) {
  uint32_t width = 0;
  for (size_t i = t->off; i < t->off + t->len; i++)
    width += ((unsigned char)p->text.ptr[i] & 0xC0) != 0x80;
  if (!p->scalar)
    return (sk_loc){p->src, 1, 1 + t->col, t->len ? (uint32_t)t->len : 1};
  sk_loc l = p->scalar->loc;
  if (p->scalar->offset == UINT32_MAX) /* position inside the value unknown */
    return l;
  l.col += p->scalar->offset + t->col;
  l.len = width ? width : 1;
  return l;
}

static sk_str tok_str(const parser *p, const tok *t) {
  return (sk_str){p->text.ptr + t->off, t->len};
}

static bool is_word(const parser *p, const tok *t, const char *kw) {
  return t->kind == T_WORD && sk_str_eqic(tok_str(p, t), kw);
}

static bool is_ident_byte(unsigned char c) {
  return sk_is_alnum(c) || c == '_' || c == '-' || c == '.' || c == '*' || c >= 0x80;
}

/* Code points from *at up to byte i, added to *col; the lexer moves
 * forward only, so counting stays linear in the condition's length. */
static uint32_t col_at(const parser *p, size_t *at, uint32_t *col, size_t i) {
  for (; *at < i; (*at)++)
    *col += ((unsigned char)p->text.ptr[*at] & 0xC0) != 0x80;
  return *col;
}

static bool lex(parser *p) {
  size_t cap = 16, n = 0;
  tok *v = sk_arena_array(p->arena, cap, sizeof *v);
  size_t i = 0, at = 0;
  uint32_t col = 0;
  for (;;) {
    while (i < p->text.len && sk_is_space((unsigned char)p->text.ptr[i]))
      i++;
    if (n + 1 >= cap) {
      tok *w = sk_arena_array(p->arena, cap * 2, sizeof *w);
      memcpy(w, v, n * sizeof *v);
      v = w;
      cap *= 2;
    }
    uint32_t here = col_at(p, &at, &col, i);
    if (i >= p->text.len) {
      v[n++] = (tok){T_EOF, i, 0, here};
      break;
    }
    unsigned char c = (unsigned char)p->text.ptr[i];
    if (c == '(' || c == ')') {
      v[n++] = (tok){c == '(' ? T_LPAREN : T_RPAREN, i, 1, here};
      i++;
    } else if (is_ident_byte(c)) {
      size_t start = i;
      while (i < p->text.len && is_ident_byte((unsigned char)p->text.ptr[i]))
        i++;
      v[n++] = (tok){T_WORD, start, i - start, here};
    } else {
      tok bad = {T_WORD, i, 1, here};
      sk_diag_error(p->diags, tok_loc(p, &bad), "unexpected character '%c' in condition", c);
      return false;
    }
  }
  p->toks = v;
  p->ntoks = n;
  return true;
}

static sk_node *parse_or(parser *p, tok **rest, tok *t);

static void expected(parser *p, const tok *t, const char *what) {
  if (t->kind == T_EOF)
    sk_diag_error(p->diags, tok_loc(p, t), "expected %s at end of condition", what);
  else
    sk_diag_error(p->diags, tok_loc(p, t), "expected %s, found '%.*s'", what, (int)t->len,
                  p->text.ptr + t->off);
}

static bool is_operator_word(const parser *p, const tok *t) {
  return is_word(p, t, "and") || is_word(p, t, "or") || is_word(p, t, "not") ||
         is_word(p, t, "of");
}

/* quantifier = ( "1" | "any" | "all" ) "of" ( "them" | pattern ) */
static sk_node *parse_quantifier(parser *p, tok **rest, tok *t) {
  bool all = is_word(p, t, "all");
  tok *of = t + 1, *what = t + 2;
  if (what->kind != T_WORD || is_operator_word(p, what)) {
    expected(p, what, "'them' or an identifier pattern after 'of'");
    return NULL;
  }
  sk_node *n = sk_node_new(p->arena, SK_N_OF, tok_loc(p, t));
  n->loc.len = (uint32_t)(what->off + what->len - t->off);
  (void)of;
  n->as.of.all = all;
  n->as.of.pattern = tok_str(p, what);
  *rest = what + 1;
  return n;
}

/* primary = "(" or_expr ")" | quantifier | identifier */
static sk_node *parse_primary(parser *p, tok **rest, tok *t) {
  if (t->kind == T_LPAREN) {
    tok *open = t;
    if (++p->depth > SK_COND_MAX_DEPTH) {
      sk_diag_error(p->diags, tok_loc(p, t), "condition nested too deeply (limit is %d)",
                    SK_COND_MAX_DEPTH);
      return NULL;
    }
    sk_node *n = parse_or(p, &t, t + 1);
    if (!n)
      return NULL;
    p->depth--;
    if (t->kind != T_RPAREN) {
      expected(p, t, "')'");
      sk_diag_note(p->diags, tok_loc(p, open), "to match this '('");
      return NULL;
    }
    *rest = t + 1;
    return n;
  }
  if (t->kind == T_WORD && (is_word(p, t, "1") || is_word(p, t, "any") || is_word(p, t, "all")) &&
      is_word(p, t + 1, "of"))
    return parse_quantifier(p, rest, t);
  if (t->kind != T_WORD || is_operator_word(p, t)) {
    expected(p, t, "an identifier, '(' or 'not'");
    return NULL;
  }
  sk_str name = tok_str(p, t);
  size_t digits = 0;
  while (digits < name.len && sk_is_digit((unsigned char)name.ptr[digits]))
    digits++;
  if (digits == name.len && is_word(p, t + 1, "of")) {
    sk_diag_error(p->diags, tok_loc(p, t),
                  "'%.*s of' is not a quantifier: use '1 of', 'any of' or 'all of'",
                  (int)name.len, name.ptr);
    return NULL;
  }
  if (memchr(name.ptr, '*', name.len)) {
    sk_diag_error(p->diags, tok_loc(p, t),
                  "wildcard '*' is only allowed in '1 of' and 'all of' patterns");
    return NULL;
  }
  sk_node *n = sk_node_new(p->arena, SK_N_REF, tok_loc(p, t));
  n->as.ref = name;
  *rest = t + 1;
  return n;
}

/* not_expr = "not" not_expr | primary */
static sk_node *parse_not(parser *p, tok **rest, tok *t) {
  if (is_word(p, t, "not")) {
    if (++p->depth > SK_COND_MAX_DEPTH) {
      sk_diag_error(p->diags, tok_loc(p, t), "condition nested too deeply (limit is %d)",
                    SK_COND_MAX_DEPTH);
      return NULL;
    }
    sk_node *operand = parse_not(p, rest, t + 1);
    p->depth--;
    if (!operand)
      return NULL;
    sk_node *n = sk_node_not(p->arena, operand);
    n->loc = tok_loc(p, t);
    return n;
  }
  return parse_primary(p, rest, t);
}

/* Builds an AND/OR node from the operands collected in v. */
static sk_node *make_list(parser *p, sk_node_kind kind, sk_node **v, uint32_t n, sk_loc loc) {
  if (n == 1)
    return v[0];
  sk_node *node = sk_node_list(p->arena, kind, loc, n);
  memcpy(node->kids, v, n * sizeof *v);
  return node;
}

/* Shared loop of and_expr and or_expr: operand { op operand } */
static sk_node *parse_chain(parser *p, tok **rest, tok *t, const char *op, sk_node_kind kind,
                            sk_node *(*operand)(parser *, tok **, tok *)) {
  uint32_t n = 0, cap = 4;
  sk_node **v = sk_arena_array(p->arena, cap, sizeof *v);
  sk_node *first = operand(p, &t, t);
  if (!first)
    return NULL;
  v[n++] = first;
  sk_loc op_loc = first->loc;
  while (is_word(p, t, op)) {
    op_loc = tok_loc(p, t);
    sk_node *next = operand(p, &t, t + 1);
    if (!next)
      return NULL;
    if (n == cap) {
      sk_node **w = sk_arena_array(p->arena, cap * 2, sizeof *w);
      memcpy(w, v, n * sizeof *v);
      v = w;
      cap *= 2;
    }
    v[n++] = next;
  }
  *rest = t;
  return make_list(p, kind, v, n, n > 1 ? op_loc : first->loc);
}

/* and_expr = not_expr { "and" not_expr } */
static sk_node *parse_and(parser *p, tok **rest, tok *t) {
  return parse_chain(p, rest, t, "and", SK_N_AND, parse_not);
}

/* or_expr = and_expr { "or" and_expr } */
static sk_node *parse_or(parser *p, tok **rest, tok *t) {
  return parse_chain(p, rest, t, "or", SK_N_OR, parse_and);
}

/* condition = or_expr EOF */
static sk_node *parse_condition(parser *p) {
  if (!lex(p))
    return NULL;
  tok *t = p->toks;
  if (t->kind == T_EOF) {
    sk_diag_error(p->diags, tok_loc(p, t), "empty condition");
    return NULL;
  }
  sk_node *n = parse_or(p, &t, t);
  if (!n)
    return NULL;
  if (t->kind != T_EOF) {
    if (t->kind == T_RPAREN)
      sk_diag_error(p->diags, tok_loc(p, t), "unbalanced ')' in condition");
    else
      expected(p, t, "'and', 'or' or end of condition");
    return NULL;
  }
  return n;
}

sk_node *sk_cond_parse(sk_arena *a, sk_diags *d, const sk_ynode *scalar) {
  parser p = {.arena = a, .diags = d, .scalar = scalar, .text = scalar->str};
  return parse_condition(&p);
}

sk_node *sk_cond_parse_text(sk_arena *a, sk_diags *d, const sk_source *src) {
  parser p = {.arena = a, .diags = d, .src = src, .text = {src->data, src->len}};
  return parse_condition(&p);
}
