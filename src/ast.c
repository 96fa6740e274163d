/* ast.c - node constructors and the s-expression dump. */
#include "ast.h"

static const char *const kind_names[] = {
#define NODE(e, name) name,
#include "ast.def"
#undef NODE
};

const char *sk_node_kind_name(sk_node_kind k) { return kind_names[k]; }

sk_node *sk_node_new(sk_arena *a, sk_node_kind kind, sk_loc loc) {
  sk_node *n = SK_NEW(a, sk_node);
  n->kind = kind;
  n->loc = loc;
  return n;
}

sk_node *sk_node_list(sk_arena *a, sk_node_kind kind, sk_loc loc, uint32_t n) {
  sk_node *node = sk_node_new(a, kind, loc);
  node->kids = sk_arena_array(a, n ? n : 1, sizeof *node->kids);
  node->n = n;
  return node;
}

sk_node *sk_node_not(sk_arena *a, sk_node *operand) {
  sk_node *n = sk_node_list(a, SK_N_NOT, operand->loc, 1);
  n->kids[0] = operand;
  return n;
}

uint64_t sk_node_size(sk_node *n) {
  if (n->size)
    return n->size;
  uint64_t t = 16;
  if (n->kind == SK_N_MATCH)
    t += n->as.match->field.len + n->as.match->value.len;
  for (uint32_t i = 0; i < n->n && t < UINT32_MAX; i++)
    t += sk_node_size(n->kids[i]);
  return n->size = t < UINT32_MAX ? t : UINT32_MAX;
}

static void dump_str(sk_buf *out, sk_str s) {
  sk_buf_putc(out, '"');
  for (size_t i = 0; i < s.len; i++) {
    char c = s.ptr[i];
    if (c == SK_WILD_STAR)
      sk_buf_puts(out, "<*>");
    else if (c == SK_WILD_ONE)
      sk_buf_puts(out, "<?>");
    else if (c == '"' || c == '\\')
      sk_buf_putc(out, '\\'), sk_buf_putc(out, c);
    else
      sk_buf_putc(out, c);
  }
  sk_buf_putc(out, '"');
}

static const char *const mop_names[] = {"str",  "re",   "num",    "bool",     "null",     "cmp",
                                        "cidr", "exists", "fieldref", "timepart", "watchlist"};
static const char *const cmp_names[] = {"==", "<", "<=", ">", ">="};

void sk_ast_dump(const sk_node *n, sk_buf *out) {
  switch (n->kind) {
  case SK_N_AND:
  case SK_N_OR:
  case SK_N_NOT:
    sk_buf_printf(out, "(%s", kind_names[n->kind]);
    for (uint32_t i = 0; i < n->n; i++) {
      sk_buf_putc(out, ' ');
      sk_ast_dump(n->kids[i], out);
    }
    sk_buf_putc(out, ')');
    return;
  case SK_N_TRUE:
  case SK_N_FALSE:
    sk_buf_puts(out, kind_names[n->kind]);
    return;
  case SK_N_REF:
    sk_buf_putstr(out, n->as.ref);
    return;
  case SK_N_OF:
    sk_buf_printf(out, "(%s ", n->as.of.all ? "all-of" : "1-of");
    sk_buf_putstr(out, n->as.of.pattern);
    sk_buf_putc(out, ')');
    return;
  case SK_N_MATCH: {
    const sk_match *m = n->as.match;
    sk_buf_printf(out, "(%s ", mop_names[m->op]);
    dump_str(out, m->field);
    if (m->op == SK_MOP_CMP || m->op == SK_MOP_TIMEPART)
      sk_buf_printf(out, " %s", cmp_names[m->cmp]);
    if (m->op == SK_MOP_TIMEPART)
      sk_buf_printf(out, " %s", m->timepart);
    if (m->op == SK_MOP_BOOL || m->op == SK_MOP_EXISTS)
      sk_buf_puts(out, m->bval ? " true" : " false");
    else if (m->op != SK_MOP_NULL) {
      sk_buf_putc(out, ' ');
      dump_str(out, m->value);
    }
    if (m->flags & SK_MF_CASED)
      sk_buf_puts(out, " cased");
    if (m->flags & (SK_MF_RE_I | SK_MF_RE_M | SK_MF_RE_S))
      sk_buf_printf(out, " flags=%s%s%s", m->flags & SK_MF_RE_I ? "i" : "",
                    m->flags & SK_MF_RE_M ? "m" : "", m->flags & SK_MF_RE_S ? "s" : "");
    sk_buf_putc(out, ')');
    return;
  }
  }
}
