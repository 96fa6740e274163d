/* kql.c - KQL quoting and the default renderer.
 * The renderer picks the exact KQL operator for each Sigma test:
 * =~ / in~ for equality, startswith / endswith / contains when the only
 * wildcards are a leading and/or trailing '*', and an anchored
 * case-insensitive regex otherwise (never a looser match). Columns are
 * compared with the types of the schema. */
#include "kql.h"

#include "arena.h"

#include <pthread.h>
#include <stdlib.h>
#include <utf8proc.h>

#include "schema.h"

static const char *const keywords[] = {
#define KW(w) w,
#include "kql_keywords.def"
#undef KW
};

/* The bytes keywords start with. Column names mostly start with a capital
 * letter, which no keyword does, so most names skip the search. */
static bool kw_first[256];
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;

static void index_keywords(void) {
  for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
    kw_first[(unsigned char)keywords[i][0]] = true;
}

static int cmp_kw(const void *key, const void *elem) {
  const sk_str *k = key;
  return sk_str_cmp(*k, sk_str_c(*(const char *const *)elem));
}

bool sk_kql_ident_ok(sk_str name) {
  if (!name.len || !(sk_is_alpha((unsigned char)name.ptr[0]) || name.ptr[0] == '_'))
    return false;
  for (size_t i = 1; i < name.len; i++)
    if (!(sk_is_alnum((unsigned char)name.ptr[i]) || name.ptr[i] == '_'))
      return false;
  if (sk_str_eqc(name, "true") || sk_str_eqc(name, "false"))
    return false;
  pthread_once(&kw_once, index_keywords);
  if (!kw_first[(unsigned char)name.ptr[0]])
    return true;
  return !bsearch(&name, keywords, sizeof keywords / sizeof *keywords, sizeof *keywords, cmp_kw);
}

void sk_kql_ident(sk_buf *out, sk_str name) {
  if (sk_kql_ident_ok(name)) {
    sk_buf_putstr(out, name);
    return;
  }
  /* ['name'], or ["name"] when the name has a quote (Kusto.Language's own
   * choice); either way an ordinary escaped literal inside. */
  sk_buf_putc(out, '[');
  bool quote = name.len && memchr(name.ptr, '\'', name.len);
  sk_kql_quote(out, name, quote ? SK_Q_NOVERBATIM : SK_Q_SINGLE);
  sk_buf_putc(out, ']');
}

/* Characters written as \uXXXX: controls, and invisible format and
 * separator characters (bidi overrides, zero-width joiners, U+2028...). */
static bool must_escape(utf8proc_int32_t cp) {
  if (cp < 0x20 || cp == 0x7f)
    return true;
  if (cp < 0x80)
    return false;
  utf8proc_category_t c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_ZL ||
         c == UTF8PROC_CATEGORY_ZP || c == UTF8PROC_CATEGORY_CS || c == UTF8PROC_CATEGORY_CO ||
         c == UTF8PROC_CATEGORY_CN;
}

static bool is_control(utf8proc_int32_t cp) { return cp < 0x20 || cp == 0x7f; }

static void put_u(sk_buf *out, utf8proc_int32_t cp) {
  if (cp >= 0x10000) { /* a surrogate pair, as \u escapes are UTF-16 units */
    unsigned c = (unsigned)cp - 0x10000;
    sk_buf_printf(out, "\\u%04X\\u%04X", 0xD800 | (c >> 10), 0xDC00 | (c & 0x3FF));
  } else {
    sk_buf_printf(out, "\\u%04X", (unsigned)cp);
  }
}

void sk_kql_quote(sk_buf *out, sk_str s, unsigned flags) {
  /* The reference converter escapes nothing but \ and ": only the control
   * characters that would break the line are escaped in its form. */
  bool (*escape)(utf8proc_int32_t) = flags & SK_Q_PYSIGMA ? is_control : must_escape;
  bool escapes = false, backslash = false;
  const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s.ptr;
  for (size_t i = 0; i < s.len;) {
    if (s.ptr[i] >= 0x20 && s.ptr[i] < 0x7f) { /* printable ASCII: no decoding */
      backslash |= s.ptr[i++] == '\\';
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(s.len - i), &cp);
    if (k <= 0) {
      escapes = true;
      k = 1;
    } else if (escape(cp)) {
      escapes = true;
    } else if (cp == '\\') {
      backslash = true;
    }
    i += (size_t)k;
  }
  if (backslash && !escapes && !(flags & (SK_Q_PYSIGMA | SK_Q_NOVERBATIM | SK_Q_SINGLE))) {
    /* Verbatim: backslashes stay as they are; only the quote doubles. */
    sk_buf_puts(out, "@\"");
    for (size_t i = 0; i < s.len;) {
      const char *quote = memchr(s.ptr + i, '"', s.len - i);
      size_t end = quote ? (size_t)(quote - s.ptr) + 1 : s.len;
      sk_buf_put(out, s.ptr + i, end - i);
      if (quote)
        sk_buf_putc(out, '"');
      i = end;
    }
    sk_buf_putc(out, '"');
    return;
  }
  char q = flags & SK_Q_SINGLE ? '\'' : '"';
  sk_buf_putc(out, q);
  for (size_t i = 0; i < s.len;) {
    size_t run = i; /* printable ASCII other than the quote and \ goes as is */
    while (run < s.len && s.ptr[run] >= 0x20 && s.ptr[run] < 0x7f && s.ptr[run] != q &&
           s.ptr[run] != '\\')
      run++;
    if (run > i) {
      sk_buf_put(out, s.ptr + i, run - i);
      i = run;
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(s.len - i), &cp);
    if (k <= 0) { /* not reachable for validated input; keep it visible */
      sk_buf_printf(out, "\\u%04X", 0xFFFDu);
      i++;
      continue;
    }
    if (cp == q) {
      sk_buf_putc(out, '\\');
      sk_buf_putc(out, q);
      i += (size_t)k;
      continue;
    }
    switch (cp) {
    case '\\': sk_buf_puts(out, "\\\\"); break;
    case '\n': sk_buf_puts(out, "\\n"); break;
    case '\r': sk_buf_puts(out, "\\r"); break;
    case '\t': sk_buf_puts(out, "\\t"); break;
    default:
      if (escape(cp))
        put_u(out, cp);
      else
        sk_buf_put(out, s.ptr + i, (size_t)k);
    }
    i += (size_t)k;
  }
  sk_buf_putc(out, q);
}

void sk_kql_regex_literal(sk_buf *out, sk_str s) {
  for (size_t i = 0; i < s.len; i++) {
    char c = s.ptr[i];
    if (strchr("\\.+*?()|[]{}^$", c) && c)
      sk_buf_putc(out, '\\');
    sk_buf_putc(out, c);
  }
}

/* ---- the default renderer ---- */

typedef enum shape { S_EQ, S_CONTAINS, S_STARTS, S_ENDS, S_ANY, S_REGEX } shape;

/* What a wildcard pattern asks for; *inner is the text between the leading
 * and trailing '*' for the simple shapes. */
static shape classify(sk_str v, sk_str *inner) {
  size_t lead = 0, trail = 0;
  while (lead < v.len && v.ptr[lead] == SK_WILD_STAR)
    lead++;
  if (lead == v.len) {
    *inner = (sk_str){v.ptr, 0};
    return lead ? S_ANY : S_EQ;
  }
  while (trail < v.len - lead && v.ptr[v.len - 1 - trail] == SK_WILD_STAR)
    trail++;
  *inner = (sk_str){v.ptr + lead, v.len - lead - trail};
  if (inner->len && (memchr(inner->ptr, SK_WILD_STAR, inner->len) ||
                     memchr(inner->ptr, SK_WILD_ONE, inner->len)))
    return S_REGEX;
  if (lead && trail)
    return S_CONTAINS;
  if (lead)
    return S_ENDS;
  if (trail)
    return S_STARTS;
  return S_EQ;
}

static void column(sk_buf *out, const sk_match *m) {
  if (m->column_is_expr || m->column_ident)
    sk_buf_putstr(out, m->column);
  else
    sk_kql_ident(out, m->column);
}

/* The column as text, for string operators: KQL defines =~, contains,
 * in~ and matches regex only on strings (and dynamic), so a number, bool
 * or datetime column is compared through tostring(). */
static void text_column(sk_buf *out, const sk_match *m) {
  if (m->type == SK_TY_STRING || m->type == SK_TY_GUID || m->type == SK_TY_DYNAMIC) {
    column(out, m);
    return;
  }
  sk_buf_puts(out, "tostring(");
  column(out, m);
  sk_buf_putc(out, ')');
}

static void wildcard_regex(sk_buf *re, sk_str v, bool cased) {
  sk_buf_puts(re, cased ? "(?s)^" : "(?is)^");
  for (size_t i = 0; i < v.len;) {
    if (v.ptr[i] == SK_WILD_STAR) {
      sk_buf_puts(re, ".*");
      i++;
    } else if (v.ptr[i] == SK_WILD_ONE) {
      sk_buf_putc(re, '.');
      i++;
    } else {
      size_t j = i;
      while (j < v.len && v.ptr[j] != SK_WILD_STAR && v.ptr[j] != SK_WILD_ONE)
        j++;
      sk_kql_regex_literal(re, (sk_str){v.ptr + i, j - i});
      i = j;
    }
  }
  sk_buf_putc(re, '$');
}

static void render_str(sk_buf *out, const sk_match *m) {
  bool cased = m->flags & SK_MF_CASED;
  sk_str inner;
  shape sh = classify(m->value, &inner);
  bool keyword = m->column.len == 0;
  if (keyword) {
    sk_buf_puts(out, "* ");
  } else if (sh == S_ANY || (sh == S_EQ && inner.len == 0)) {
    sk_buf_puts(out, sh == S_ANY ? "isnotempty(" : "isempty(");
    column(out, m);
    sk_buf_putc(out, ')');
    return;
  } else {
    text_column(out, m);
    sk_buf_putc(out, ' ');
  }
  if (keyword && sh != S_REGEX && sh != S_ANY)
    sh = S_CONTAINS; /* a keyword matches anywhere in the event */
  static const char *const ops[2][6] = {
      {"=~ ", "contains ", "startswith ", "endswith ", "", "matches regex "},
      {"== ", "contains_cs ", "startswith_cs ", "endswith_cs ", "", "matches regex "},
  };
  sk_buf_puts(out, ops[cased][sh]);
  if (sh == S_REGEX) {
    sk_buf re = SK_BUF_INIT;
    wildcard_regex(&re, m->value, cased);
    sk_kql_quote(out, (sk_str){re.ptr, re.len}, 0);
    sk_buf_free(&re);
  } else {
    sk_kql_quote(out, inner, 0);
  }
}

static const char *const cmp_ops[] = {"==", "<", "<=", ">", ">="};

static void render_match(sk_buf *out, const sk_match *m) {
  bool str_col = m->type == SK_TY_STRING || m->type == SK_TY_GUID;
  if (!m->column.len && (m->op == SK_MOP_NUM || m->op == SK_MOP_BOOL)) {
    /* a keyword that YAML read as a number or boolean: its text, anywhere */
    sk_match text = *m;
    text.op = SK_MOP_STR;
    if (m->op == SK_MOP_BOOL)
      text.value = sk_str_c(m->bval ? "true" : "false");
    render_str(out, &text);
    return;
  }
  switch (m->op) {
  case SK_MOP_STR:
    render_str(out, m);
    return;
  case SK_MOP_NUM:
    column(out, m);
    if (str_col) {
      sk_buf_puts(out, " == ");
      sk_kql_quote(out, m->value, 0);
    } else {
      sk_buf_puts(out, " == ");
      sk_buf_putstr(out, m->value);
    }
    return;
  case SK_MOP_BOOL:
    column(out, m);
    if (m->type == SK_TY_BOOL)
      sk_buf_puts(out, m->bval ? " == true" : " == false");
    else
      sk_buf_puts(out, m->bval ? " =~ \"true\"" : " =~ \"false\"");
    return;
  case SK_MOP_NULL:
  case SK_MOP_EXISTS: {
    bool present = m->op == SK_MOP_EXISTS && m->bval;
    if (str_col)
      sk_buf_puts(out, present ? "isnotempty(" : "isempty(");
    else
      sk_buf_puts(out, present ? "isnotnull(" : "isnull(");
    column(out, m);
    sk_buf_putc(out, ')');
    return;
  }
  case SK_MOP_CMP:
    if (sk_type_is_numeric((sk_type)m->type)) {
      column(out, m);
    } else {
      sk_buf_puts(out, m->is_float ? "todouble(" : "tolong(");
      column(out, m);
      sk_buf_putc(out, ')');
    }
    sk_buf_printf(out, " %s ", cmp_ops[m->cmp]);
    sk_buf_putstr(out, m->value);
    return;
  case SK_MOP_WATCHLIST: /* the placeholder's values live in a watchlist */
    column(out, m);
    sk_buf_puts(out, m->flags & SK_MF_CASED ? " in (_GetWatchlist(" : " in~ (_GetWatchlist(");
    sk_kql_quote(out, m->value, 0);
    sk_buf_puts(out, ") | project SearchKey)");
    return;
  case SK_MOP_TIMEPART:
    sk_buf_printf(out, "datetime_part(\"%s\", ", m->timepart);
    if (m->type != SK_TY_DATETIME)
      sk_buf_puts(out, "todatetime(");
    column(out, m);
    if (m->type != SK_TY_DATETIME)
      sk_buf_putc(out, ')');
    sk_buf_printf(out, ") %s ", cmp_ops[m->cmp]);
    sk_buf_putstr(out, m->value);
    return;
  case SK_MOP_CIDR:
    sk_buf_puts(out, memchr(m->value.ptr, ':', m->value.len) ? "ipv6_is_in_range("
                                                              : "ipv4_is_in_range(");
    column(out, m);
    sk_buf_puts(out, ", ");
    sk_kql_quote(out, m->value, 0);
    sk_buf_putc(out, ')');
    return;
  case SK_MOP_RE: {
    text_column(out, m);
    sk_buf_puts(out, " matches regex ");
    sk_buf re = SK_BUF_INIT;
    if (m->flags & (SK_MF_RE_I | SK_MF_RE_M | SK_MF_RE_S))
      sk_buf_printf(&re, "(?%s%s%s)", m->flags & SK_MF_RE_I ? "i" : "",
                    m->flags & SK_MF_RE_M ? "m" : "", m->flags & SK_MF_RE_S ? "s" : "");
    sk_buf_putstr(&re, m->value);
    sk_kql_quote(out, (sk_str){re.ptr, re.len}, 0);
    sk_buf_free(&re);
    return;
  }
  case SK_MOP_FIELDREF: {
    /* The value was mapped to the other column by the mapping pass. */
    static const char *const ref_ops[2][4] = {
        {"=~", "contains", "startswith", "endswith"},
        {"==", "contains_cs", "startswith_cs", "endswith_cs"},
    };
    column(out, m);
    sk_buf_printf(out, " %s ", ref_ops[(m->flags & SK_MF_CASED) != 0][m->refmode]);
    sk_buf_putstr(out, m->value);
    return;
  }
  }
}

/* A plain equality on a column, mergeable into "in~ (...)" / "in (...)". */
static bool is_plain_eq(const sk_node *n) {
  if (n->kind != SK_N_MATCH)
    return false;
  const sk_match *m = n->as.match;
  sk_str inner;
  if (!m->column.len)
    return false;
  if (m->op == SK_MOP_NUM)
    return true;
  return m->op == SK_MOP_STR && classify(m->value, &inner) == S_EQ && m->value.len > 0;
}

/* Numbers compare exactly, so they take "in"; strings take "in~" unless
 * cased. */
static bool exact_eq(const sk_match *m) { return m->op == SK_MOP_NUM || (m->flags & SK_MF_CASED); }

static bool same_column(const sk_match *a, const sk_match *b) {
  return sk_str_eq(a->column, b->column) && a->column_is_expr == b->column_is_expr &&
         exact_eq(a) == exact_eq(b) && (a->op == SK_MOP_NUM) == (b->op == SK_MOP_NUM);
}

static void eq_literal(sk_buf *out, const sk_match *m) {
  bool str_col = m->type == SK_TY_STRING || m->type == SK_TY_GUID;
  if (m->op == SK_MOP_NUM && !str_col)
    sk_buf_putstr(out, m->value);
  else
    sk_kql_quote(out, m->value, 0);
}

/* An OR whose kids all merge into one "in" test needs no parentheses. */
static bool single_in_list(const sk_node *n) {
  if (n->kind != SK_N_OR || n->n < 2 || !is_plain_eq(n->kids[0]))
    return false;
  for (uint32_t i = 1; i < n->n; i++)
    if (!is_plain_eq(n->kids[i]) || !same_column(n->kids[0]->as.match, n->kids[i]->as.match))
      return false;
  return true;
}

static void render(sk_buf *out, const sk_node *n, sk_node_kind parent);

enum { SK_KQL_CHUNK = 32 };

/* Joins terms with sep. Long chains are split into parenthesized groups
 * of at most SK_KQL_CHUNK terms, recursively, because a flat chain of a
 * thousand 'or's nests too deep for the KQL parser (its limit is 300). */
static void join_terms(sk_buf *out, sk_buf *terms, size_t n, const char *sep) {
  if (n <= SK_KQL_CHUNK) {
    for (size_t i = 0; i < n; i++) {
      if (i)
        sk_buf_puts(out, sep);
      sk_buf_put(out, terms[i].ptr, terms[i].len);
    }
    return;
  }
  size_t per = (n + SK_KQL_CHUNK - 1) / SK_KQL_CHUNK;
  for (size_t i = 0; i < n; i += per) {
    if (i)
      sk_buf_puts(out, sep);
    sk_buf_putc(out, '(');
    join_terms(out, terms + i, n - i < per ? n - i : per, sep);
    sk_buf_putc(out, ')');
  }
}

/* Writes kid i of list n into t, merged with the later kids that test the
 * same column for equality ("in"), which it marks done. */
static void render_term(sk_buf *t, const sk_node *n, uint32_t i, bool *done) {
  const sk_node *k = n->kids[i];
  uint32_t same = 0;
  if (done && is_plain_eq(k))
    for (uint32_t j = i + 1; j < n->n; j++)
      same += is_plain_eq(n->kids[j]) && same_column(k->as.match, n->kids[j]->as.match);
  if (!same) {
    render(t, k, n->kind);
    return;
  }
  const sk_match *m = k->as.match;
  if (m->op == SK_MOP_NUM)
    column(t, m);
  else
    text_column(t, m);
  sk_buf_puts(t, exact_eq(m) ? " in (" : " in~ (");
  eq_literal(t, m);
  for (uint32_t j = i + 1; j < n->n; j++)
    if (is_plain_eq(n->kids[j]) && same_column(m, n->kids[j]->as.match)) {
      sk_buf_puts(t, ", ");
      eq_literal(t, n->kids[j]->as.match);
      done[j] = true;
    }
  sk_buf_putc(t, ')');
}

static void render_list(sk_buf *out, const sk_node *n) {
  const char *sep = n->kind == SK_N_AND ? " and " : " or ";
  bool small[SK_KQL_CHUNK] = {0};
  bool *done = NULL;
  if (n->kind == SK_N_OR)
    done = n->n <= SK_KQL_CHUNK ? small : calloc(n->n, sizeof *done);
  if (n->kind == SK_N_OR && !done)
    sk_oom();
  if (n->n <= SK_KQL_CHUNK) { /* no grouping needed: straight into out */
    bool first = true;
    for (uint32_t i = 0; i < n->n; i++) {
      if (done && done[i])
        continue;
      if (!first)
        sk_buf_puts(out, sep);
      first = false;
      render_term(out, n, i, done);
    }
    return;
  }
  sk_buf *terms = calloc(n->n, sizeof *terms);
  if (!terms)
    sk_oom();
  size_t nterms = 0;
  for (uint32_t i = 0; i < n->n; i++)
    if (!(done && done[i]))
      render_term(&terms[nterms++], n, i, done);
  join_terms(out, terms, nterms, sep);
  for (size_t i = 0; i < nterms; i++)
    sk_buf_free(&terms[i]);
  free(terms);
  free(done);
}

static void render(sk_buf *out, const sk_node *n, sk_node_kind parent) {
  switch (n->kind) {
  case SK_N_AND:
  case SK_N_OR:
    if (n->n == 1) {
      render(out, n->kids[0], parent);
      return;
    }
    if ((parent == SK_N_AND || parent == SK_N_OR) && !single_in_list(n)) {
      sk_buf_putc(out, '(');
      render_list(out, n);
      sk_buf_putc(out, ')');
    } else {
      render_list(out, n);
    }
    return;
  case SK_N_NOT:
    sk_buf_puts(out, "not(");
    render(out, n->kids[0], SK_N_NOT);
    sk_buf_putc(out, ')');
    return;
  case SK_N_MATCH:
    render_match(out, n->as.match);
    return;
  case SK_N_TRUE:
    sk_buf_puts(out, "true");
    return;
  case SK_N_FALSE:
    sk_buf_puts(out, "false");
    return;
  case SK_N_REF:
  case SK_N_OF:
    break; /* resolved by pass_cond before any rendering */
  }
  abort();
}

void sk_kql_render(sk_buf *out, const sk_node *n) { render(out, n, SK_N_NOT); }
