/* pysigma_render.c - the reference converter's text backend, as
 * docs/pysigma-rendering.md describes it (section 5): in-list forms, its
 * parenthesization, its string and regex escaping, its mistakes. Only
 * control characters are escaped beyond what it does, so that a query
 * stays one valid line. */
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "kql.h"
#include "pysigma.h"
#include "schema.h"

/* Reads Sigma text as a pattern, with Sigma's escapes, into b. */
void sk_ps_parse_text(sk_buf *b, sk_str text) {
  for (size_t i = 0; i < text.len; i++) {
    char ch = text.ptr[i];
    if (ch == '\\' && i + 1 < text.len &&
        (text.ptr[i + 1] == '*' || text.ptr[i + 1] == '?' || text.ptr[i + 1] == '\\'))
      sk_buf_putc(b, text.ptr[++i]);
    else if (ch == '*')
      sk_buf_putc(b, SK_WILD_STAR);
    else if (ch == '?')
      sk_buf_putc(b, SK_WILD_ONE);
    else
      sk_buf_putc(b, ch);
  }
}



static bool is_word(sk_str col) {
  if (!col.len)
    return false;
  for (size_t i = 0; i < col.len; i++)
    if (!(sk_is_alnum((unsigned char)col.ptr[i]) || col.ptr[i] == '_' ||
          (unsigned char)col.ptr[i] >= 0x80))
      return false;
  return true;
}

/* Q(F): the column, or the reference's single-quoted form (which KQL
 * reads as a string, not a column: a known mistake, reproduced). */
static void ps_col(sk_buf *out, const sk_match *m) {
  sk_str col = m->column;
  if (m->column_missing && is_word(col)) {
    /* Deviation 'missing-column': the reference names a column its table
     * does not have, which KQL rejects; this reads as empty instead. */
    sk_buf_puts(out, "column_ifexists(\"");
    sk_buf_putstr(out, col);
    sk_buf_puts(out, "\", \"\")");
    return;
  }
  if (is_word(col)) {
    sk_buf_putstr(out, col);
  } else {
    sk_buf_putc(out, '\'');
    sk_buf_putstr(out, col);
    sk_buf_putc(out, '\'');
  }
}

/* The reference's string literal: \ " and a literal * get a backslash,
 * both wildcards become *, then every "\*" becomes "*". Where that leaves
 * "\*" after an escaped backslash (a backslash before a wildcard), the
 * reference writes an invalid escape; the escaped backslash is kept
 * instead (deviation 'bad-escape'). Control characters are escaped so
 * that a query stays one valid line. */
static void ps_string(sk_buf *out, sk_str v) {
  sk_buf t = SK_BUF_INIT;
  for (size_t i = 0; i < v.len; i++) {
    char ch = v.ptr[i];
    sk_buf_putc(&t, ch == SK_WILD_STAR || ch == SK_WILD_ONE ? '*' : ch);
  }
  sk_kql_quote(out, (sk_str){t.ptr ? t.ptr : "", t.len}, SK_Q_PYSIGMA);
  sk_buf_free(&t);
}

/* E(t): regex text in quotes, only \ and " escaped (and control
 * characters, as everywhere). */
static void ps_regex(sk_buf *out, sk_str flags, sk_str re) {
  sk_buf t = SK_BUF_INIT;
  sk_buf_putstr(&t, flags);
  sk_buf_putstr(&t, re);
  sk_kql_quote(out, (sk_str){t.ptr ? t.ptr : "", t.len}, SK_Q_PYSIGMA);
  sk_buf_free(&t);
}

static bool wild(char ch) { return ch == SK_WILD_STAR || ch == SK_WILD_ONE; }

static bool any_wild(sk_str v) {
  for (size_t i = 0; i < v.len; i++)
    if (wild(v.ptr[i]))
      return true;
  return false;
}

/* Python's shortest repr of a float, integral floats as integers. */
static void ps_number(sk_buf *out, const sk_match *m) {
  if (!m->is_float) {
    sk_buf_putstr(out, m->value);
    return;
  }
  char text[64];
  snprintf(text, sizeof text, "%.*s", (int)(m->value.len < 60 ? m->value.len : 60), m->value.ptr);
  double d = strtod(text, NULL);
  if (d > -1e15 && d < 1e15 && d == (double)(long long)d) { /* range first: no cast overflow */
    sk_buf_printf(out, "%lld", (long long)d);
    return;
  }
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(text, sizeof text, "%.*g", prec, d);
    if (strtod(text, NULL) == d)
      break;
  }
  sk_buf_puts(out, text);
}

/* Rule S: one string value on a column. */
static void ps_str_leaf(sk_buf *out, const sk_match *m) {
  sk_str v = m->value;
  bool lead = v.len && v.ptr[0] == SK_WILD_STAR;
  bool trail = v.len && v.ptr[v.len - 1] == SK_WILD_STAR;
  ps_col(out, m);
  if (trail && !any_wild((sk_str){v.ptr, v.len - 1})) {
    sk_buf_puts(out, " startswith ");
    ps_string(out, (sk_str){v.ptr, v.len - 1});
  } else if (lead && !any_wild((sk_str){v.ptr + 1, v.len - 1})) {
    sk_buf_puts(out, " endswith ");
    ps_string(out, (sk_str){v.ptr + 1, v.len - 1});
  } else if (lead && trail && v.len >= 2 && !any_wild((sk_str){v.ptr + 1, v.len - 2})) {
    sk_buf_puts(out, " contains ");
    ps_string(out, (sk_str){v.ptr + 1, v.len - 2});
  } else if (any_wild(v)) {
    sk_buf rx = SK_BUF_INIT;
    for (size_t i = 0; i < v.len; i++) {
      char ch = v.ptr[i];
      if (ch == SK_WILD_STAR)
        sk_buf_puts(&rx, ".*");
      else if (ch == SK_WILD_ONE)
        sk_buf_putc(&rx, '.');
      else
        sk_kql_regex_literal(&rx, (sk_str){&v.ptr[i], 1});
    }
    sk_buf_puts(out, " matches regex ");
    ps_regex(out, (sk_str){"", 0}, (sk_str){rx.ptr ? rx.ptr : "", rx.len});
    sk_buf_free(&rx);
  } else {
    sk_buf_puts(out, " =~ ");
    ps_string(out, v);
  }
}

static void ps_leaf(sk_buf *out, const sk_match *m) {
  if (!m->column.len) {
    /* Deviation 'keyword-bare-string': the reference writes the bare
     * value, which is not a predicate; a keyword is searched for in every
     * column. */
    sk_buf_puts(out, "* contains ");
    if (m->op == SK_MOP_NUM) {
      sk_buf num = SK_BUF_INIT;
      ps_number(&num, m);
      ps_string(out, (sk_str){num.ptr, num.len});
      sk_buf_free(&num);
    } else {
      ps_string(out, m->value);
    }
    return;
  }
  switch (m->op) {
  case SK_MOP_STR:
    ps_str_leaf(out, m);
    return;
  case SK_MOP_NUM:
    ps_col(out, m);
    sk_buf_puts(out, " == ");
    if (m->type == SK_TY_STRING) { /* deviation 'number-on-string-column' */
      sk_buf num = SK_BUF_INIT;
      ps_number(&num, m);
      ps_string(out, (sk_str){num.ptr, num.len});
      sk_buf_free(&num);
    } else {
      ps_number(out, m);
    }
    return;
  case SK_MOP_BOOL:
    ps_col(out, m);
    /* Deviation 'bool-string-column': =~ needs a string on both sides. */
    if (m->type == SK_TY_STRING)
      sk_buf_puts(out, m->bval ? " =~ \"true\"" : " =~ \"false\"");
    else
      sk_buf_puts(out, m->bval ? " =~ true" : " =~ false");
    return;
  case SK_MOP_NULL:
    sk_buf_puts(out, "isnull(");
    ps_col(out, m);
    sk_buf_putc(out, ')');
    return;
  case SK_MOP_EXISTS:
    sk_buf_puts(out, m->bval ? "isnotempty(" : "isempty(");
    ps_col(out, m);
    sk_buf_putc(out, ')');
    return;
  case SK_MOP_CMP: {
    static const char *const ops[] = {"==", "<", "<=", ">", ">="};
    ps_col(out, m);
    sk_buf_printf(out, " %s ", ops[m->cmp]);
    ps_number(out, m);
    return;
  }
  case SK_MOP_CIDR:
    sk_buf_puts(out, "ipv4_is_in_range(");
    if (m->column_missing)
      ps_col(out, m);
    else
      sk_buf_putstr(out, m->column);
    sk_buf_puts(out, ", \"");
    sk_buf_putstr(out, m->value);
    sk_buf_puts(out, "\")");
    return;
  case SK_MOP_RE: {
    char flags[8] = "";
    if (m->flags & (SK_MF_RE_I | SK_MF_RE_M | SK_MF_RE_S))
      snprintf(flags, sizeof flags, "(?%s%s%s)", m->flags & SK_MF_RE_I ? "i" : "",
               m->flags & SK_MF_RE_M ? "m" : "", m->flags & SK_MF_RE_S ? "s" : "");
    ps_col(out, m);
    sk_buf_puts(out, " matches regex ");
    ps_regex(out, sk_str_c(flags), m->value);
    return;
  }
  case SK_MOP_FIELDREF:
  case SK_MOP_WATCHLIST:
  case SK_MOP_TIMEPART:
    return; /* refused by ps_item */
  }
}

/* A leaf, or the variants of one value (never an in-list). */
static bool is_leafish(const sk_node *n) {
  return n->kind == SK_N_MATCH || n->origin == SK_O_EXPANSION;
}


/* 5.2: children all test one column with strings or numbers. */
static bool in_list_eligible(const sk_node *n) {
  const sk_match *first = NULL;
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_node *k = n->kids[i];
    if (k->kind != SK_N_MATCH)
      return false;
    const sk_match *m = k->as.match;
    if (!m->column.len || (m->op != SK_MOP_STR && m->op != SK_MOP_NUM))
      return false;
    if (first && !sk_str_eq(first->column, m->column))
      return false;
    first = m;
  }
  return first != NULL;
}

/* True if every wildcard-free value of an in-list is a number, written
 * as one: on a numeric column the list must hold numbers. */
static bool numeric_values(const sk_node *n) {
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_match *m = n->kids[i]->as.match;
    if (m->op == SK_MOP_STR && any_wild(m->value))
      continue;
    if (m->op == SK_MOP_NUM)
      continue;
    for (size_t k = 0; k < m->value.len; k++)
      if (!sk_is_digit((unsigned char)m->value.ptr[k]) && !(k == 0 && m->value.ptr[k] == '-'))
        return false;
    if (!m->value.len)
      return false;
  }
  return true;
}

/* Long chains are split into parenthesized groups: the KQL parser
 * refuses to analyse a tree nested deeper than 300, and an n-term chain
 * nests n deep (deviation 'deep-chain'). Shorter chains stay flat, as the
 * reference writes them. */
enum { PS_FLAT_MAX = 400, PS_CHUNK = 100 };

static void join_terms(sk_buf *out, sk_buf *terms, size_t n, const char *sep) {
  size_t per = n > PS_FLAT_MAX ? PS_CHUNK : n;
  for (size_t i = 0; i < n; i += per) {
    if (i)
      sk_buf_puts(out, sep);
    size_t len = n - i < per ? n - i : per;
    if (per < n)
      sk_buf_putc(out, '(');
    for (size_t k = i; k < i + len; k++) {
      if (k > i)
        sk_buf_puts(out, sep);
      sk_buf_put(out, terms[k].ptr, terms[k].len);
    }
    if (per < n)
      sk_buf_putc(out, ')');
  }
}

static sk_buf *new_terms(size_t n) {
  sk_buf *t = calloc(n ? n : 1, sizeof *t);
  if (!t)
    sk_oom();
  return t;
}

static void free_terms(sk_buf *t, size_t n) {
  for (size_t i = 0; i < n; i++)
    sk_buf_free(&t[i]);
  free(t);
}

static void ps_in_list(sk_buf *out, const sk_node *n) {
  bool and = n->kind == SK_N_AND;
  const sk_match *col = n->kids[0]->as.match;
  /* Deviation 'int-column-string-list': on a numeric column the reference
   * quotes the numbers ("53"), which KQL rejects; they stay numbers. */
  bool numeric = !and && sk_type_is_numeric((sk_type)col->type) && numeric_values(n);
  /* Deviation 'text-list-numeric-column': text values on a numeric column
   * compare with the column's text. */
  bool as_text = !and && sk_type_is_numeric((sk_type)col->type) && !numeric;
  sk_buf *terms = new_terms(n->n + 1);
  size_t nt = 0;
  uint32_t plain = 0;
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_match *m = n->kids[i]->as.match;
    if (m->op == SK_MOP_STR && any_wild(m->value))
      continue;
    sk_buf *t = &terms[0];
    if (plain++ == 0) {
      nt = 1;
      if (as_text)
        sk_buf_puts(t, "tostring(");
      ps_col(t, col);
      if (as_text)
        sk_buf_putc(t, ')');
      sk_buf_puts(t, and ? " has_all (" : numeric ? " in (" : " in~ (");
    } else {
      sk_buf_puts(t, ", ");
    }
    if (m->op == SK_MOP_NUM) {
      sk_buf tmp = SK_BUF_INIT;
      ps_number(&tmp, m);
      if (numeric)
        sk_buf_put(t, tmp.ptr, tmp.len);
      else
        ps_string(t, (sk_str){tmp.ptr, tmp.len});
      sk_buf_free(&tmp);
    } else if (numeric) {
      sk_buf_putstr(t, m->value);
    } else {
      ps_string(t, m->value);
    }
  }
  if (plain)
    sk_buf_putc(&terms[0], ')');
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_match *m = n->kids[i]->as.match;
    if (m->op != SK_MOP_STR || !any_wild(m->value))
      continue;
    sk_buf *t = &terms[nt++];
    sk_str v = m->value;
    bool inner = false;
    for (size_t k = 1; k + 1 < v.len; k++)
      inner |= wild(v.ptr[k]);
    if (!inner) {
      ps_str_leaf(t, m);
      continue;
    }
    /* an inner wildcard: the literal runs, each as "contains" */
    sk_buf_putc(t, '(');
    bool first_run = true;
    for (size_t k = 0; k < v.len;) {
      if (wild(v.ptr[k])) {
        k++;
        continue;
      }
      size_t e = k;
      while (e < v.len && !wild(v.ptr[e]))
        e++;
      if (!first_run)
        sk_buf_puts(t, " and ");
      first_run = false;
      ps_col(t, col);
      sk_buf_puts(t, " contains ");
      sk_buf run = SK_BUF_INIT; /* the run is read again as Sigma text */
      sk_ps_parse_text(&run, (sk_str){v.ptr + k, e - k});
      ps_string(t, (sk_str){run.ptr ? run.ptr : "", run.len});
      sk_buf_free(&run);
      k = e;
    }
    sk_buf_putc(t, ')');
  }
  join_terms(out, terms, nt, and ? " and " : " or ");
  free_terms(terms, n->n + 1);
}

/* 5.3: join form; a child node is always parenthesised, an expansion
 * only inside an AND. Returns false when nothing was written. */
static bool ps_join(sk_buf *out, const sk_node *n) {
  sk_buf *terms = new_terms(n->n);
  size_t nt = 0;
  for (uint32_t i = 0; i < n->n; i++) {
    const sk_node *k = n->kids[i];
    if (k->kind == SK_PS_NONE)
      continue;
    sk_buf part = SK_BUF_INIT;
    bool group = k->kind == SK_N_NOT ||
                 ((k->kind == SK_N_AND || k->kind == SK_N_OR) &&
                  (k->origin != SK_O_EXPANSION || n->kind == SK_N_AND));
    if (sk_ps_render(&part, k)) {
      sk_buf *t = &terms[nt++];
      if (group)
        sk_buf_putc(t, '(');
      sk_buf_put(t, part.ptr, part.len);
      if (group)
        sk_buf_putc(t, ')');
    }
    sk_buf_free(&part);
  }
  join_terms(out, terms, nt, n->kind == SK_N_AND ? " and " : " or ");
  free_terms(terms, n->n);
  return nt > 0;
}

bool sk_ps_render(sk_buf *out, const sk_node *n) {
  switch (n->kind) {
  case SK_N_AND:
  case SK_N_OR:
    if (n->origin == SK_O_EXPANSION) { /* OR-join of the variants */
      sk_buf *terms = new_terms(n->n);
      for (uint32_t i = 0; i < n->n; i++)
        ps_leaf(&terms[i], n->kids[i]->as.match);
      join_terms(out, terms, n->n, " or ");
      free_terms(terms, n->n);
      return n->n > 0;
    }
    if (in_list_eligible(n)) {
      ps_in_list(out, n);
      return true;
    }
    return ps_join(out, n);
  case SK_N_NOT: {
    const sk_node *k = n->kids[0];
    sk_buf_puts(out, "not(");
    if (k->kind == SK_N_AND || k->kind == SK_N_OR || k->kind == SK_N_NOT) {
      if (is_leafish(k)) {
        sk_ps_render(out, k);
      } else {
        sk_buf_putc(out, '(');
        sk_ps_render(out, k);
        sk_buf_putc(out, ')');
      }
    } else {
      sk_ps_render(out, k);
    }
    sk_buf_putc(out, ')');
    return true;
  }
  case SK_N_MATCH:
    ps_leaf(out, n->as.match);
    return true;
  default:
    return false;
  }
}

