/* test_main.c - unit tests for the pieces with no file format of their
 * own: arena, buffers, KQL quoting, identifiers, the condition parser and
 * the YAML loader's limits. Prints FAIL lines and "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cond.h"
#include "implied.h"
#include "kql.h"
#include "pass_map.h"
#include "sigmakql.h"
#include "yaml.h"

static int passed, failed;

#define OK(cond, ...)                                                                   \
  do {                                                                                  \
    if (cond) {                                                                         \
      passed++;                                                                         \
    } else {                                                                            \
      failed++;                                                                         \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                                       \
      printf(__VA_ARGS__);                                                              \
      putchar('\n');                                                                    \
    }                                                                                   \
  } while (0)

#define STR_EQ(got, want, what)                                                         \
  OK(strcmp((got), (want)) == 0, "%s: got [%s], want [%s]", (what), (got), (want))

static void test_arena(void) {
  sk_arena a = {0};
  char *first = sk_arena_alloc(&a, 1);
  OK(((uintptr_t)first % _Alignof(max_align_t)) == 0, "arena alignment");
  bool zeroed = true;
  for (int i = 0; i < 10000; i++) {
    int *p = sk_arena_alloc(&a, sizeof *p * 7);
    zeroed &= p[0] == 0 && p[6] == 0;
    p[0] = p[6] = i + 1;
  }
  OK(zeroed, "arena memory is zeroed across chunks");
  char *big = sk_arena_alloc(&a, 1 << 20);
  big[(1 << 20) - 1] = 'x';
  sk_arena_reset(&a);
  char *again = sk_arena_strndup(&a, "hello", 3);
  STR_EQ(again, "hel", "strndup after reset");
  /* Several rounds over kept chunks: every block stays its own. */
  bool distinct = true;
  for (int round = 0; round < 3; round++) {
    sk_arena_reset(&a);
    char *blocks[64];
    for (int i = 0; i < 64; i++) {
      blocks[i] = sk_arena_bytes(&a, 4000);
      memset(blocks[i], i, 4000);
    }
    for (int i = 0; i < 64; i++)
      distinct &= blocks[i][0] == (char)i && blocks[i][3999] == (char)i;
  }
  OK(distinct, "blocks over chunks kept by reset do not overlap");
  sk_arena_free(&a);
}

static void test_buf(void) {
  sk_buf b = SK_BUF_INIT;
  for (int i = 0; i < 1000; i++)
    sk_buf_printf(&b, "%d,", i);
  OK(b.len == 3890, "buf length after 1000 printf: %zu", b.len);
  sk_buf_clear(&b);
  sk_buf_json_str(&b, sk_str_c("a\"b\\c\n\x01"));
  STR_EQ(b.ptr, "a\\\"b\\\\c\\n\\u0001", "json escaping");
  sk_buf_free(&b);
}

static void quote_case(const char *in, size_t len, unsigned flags, const char *want) {
  sk_buf b = SK_BUF_INIT;
  sk_kql_quote(&b, (sk_str){in, len}, flags);
  STR_EQ(b.ptr, want, in);
  sk_buf_free(&b);
}

static void test_quote(void) {
  quote_case("abc", 3, 0, "\"abc\"");
  quote_case("", 0, 0, "\"\"");
  quote_case("C:\\Windows\\x.exe", 16, 0, "@\"C:\\Windows\\x.exe\"");
  quote_case("say \"hi\"", 8, 0, "\"say \\\"hi\\\"\"");
  quote_case("a\\\"b", 4, 0, "@\"a\\\"\"b\"");
  quote_case("a'b", 3, 0, "\"a'b\"");
  quote_case("line1\nline2", 11, 0, "\"line1\\nline2\"");
  quote_case("tab\there\\", 9, 0, "\"tab\\there\\\\\"");
  quote_case("\r", 1, 0, "\"\\r\"");
  quote_case("\x01\x7f", 2, 0, "\"\\u0001\\u007F\"");
  quote_case("x\xe2\x80\xaey", 5, 0, "\"x\\u202Ey\""); /* right-to-left override */
  quote_case("\xe2\x80\xa8", 3, 0, "\"\\u2028\"");    /* line separator */
  quote_case("caf\xc3\xa9 \xf0\x9f\x98\x80", 10, 0, "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  quote_case("| where 1 == 1 //", 17, 0, "\"| where 1 == 1 //\"");
  quote_case("C:\\x", 4, SK_Q_PYSIGMA, "\"C:\\\\x\"");
  quote_case("a\"b", 3, SK_Q_PYSIGMA, "\"a\\\"b\"");
}

static void ident_case(const char *name, const char *want) {
  sk_buf b = SK_BUF_INIT;
  sk_kql_ident(&b, sk_str_c(name));
  STR_EQ(b.ptr, want, name);
  sk_buf_free(&b);
}

static void test_ident(void) {
  ident_case("TargetFilePath", "TargetFilePath");
  ident_case("_x1", "_x1");
  ident_case("c-uri", "['c-uri']");
  ident_case("where", "['where']");
  ident_case("true", "['true']");
  ident_case("1day", "['1day']");
  ident_case("a b", "['a b']");
  ident_case("count", "count"); /* a keyword that may be an identifier */
  ident_case("x\"y", "['x\"y']");
  ident_case("it's", "[\"it's\"]");
  ident_case("a\\b", "['a\\\\b']");
}

/* Parses condition text and returns its dump, or "error: <message>". */
static void cond_case(const char *text, const char *want) {
  sk_arena a = {0};
  sk_diags d = {0};
  sk_source src = {"cond", text, strlen(text)};
  sk_node *n = sk_cond_parse_text(&a, &d, &src);
  sk_buf b = SK_BUF_INIT;
  if (n)
    sk_ast_dump(n, &b);
  else if (d.n)
    sk_buf_printf(&b, "error@%u: %s", d.v[0].loc.col, d.v[0].message);
  else
    sk_buf_puts(&b, "error without diagnostic");
  STR_EQ(b.ptr ? b.ptr : "", want, text);
  sk_buf_free(&b);
  sk_diags_clear(&d);
  sk_arena_free(&a);
}

static void test_cond(void) {
  cond_case("sel", "sel");
  cond_case("a and b or c", "(or (and a b) c)");
  cond_case("a or b and c", "(or a (and b c))");
  cond_case("a and b and c", "(and a b c)");
  cond_case("not a and b", "(and (not a) b)");
  cond_case("not not a", "(not (not a))");
  cond_case("a and not (b or c)", "(and a (not (or b c)))");
  cond_case("(a)", "a");
  cond_case("1 of sel*", "(1-of sel*)");
  cond_case("any of sel_*", "(1-of sel_*)");
  cond_case("all of them", "(all-of them)");
  cond_case("1 of them and not 1 of filter*", "(and (1-of them) (not (1-of filter*)))");
  cond_case("selection AND NOT filter", "(and selection (not filter))");
  cond_case("all", "all"); /* not followed by 'of': an identifier */
  cond_case("sel-1 or sel.2", "(or sel-1 sel.2)");
  cond_case("a\tand\nb", "(and a b)");
  cond_case("", "error@1: empty condition");
  cond_case("a and", "error@6: expected an identifier, '(' or 'not' at end of condition");
  cond_case("(a or b", "error@8: expected ')' at end of condition");
  cond_case("a or b)", "error@7: unbalanced ')' in condition");
  cond_case("a b", "error@3: expected 'and', 'or' or end of condition, found 'b'");
  cond_case("1 of", "error@5: expected 'them' or an identifier pattern after 'of' at end of condition");
  cond_case("sel* and x", "error@1: wildcard '*' is only allowed in '1 of' and 'all of' patterns");
  cond_case("a | b", "error@3: unexpected character '|' in condition");
  cond_case("and", "error@1: expected an identifier, '(' or 'not', found 'and'");
  /* nesting beyond the limit is an error, not a stack overflow */
  sk_buf deep = SK_BUF_INIT;
  for (int i = 0; i < 10000; i++)
    sk_buf_putc(&deep, '(');
  sk_buf_putc(&deep, 'a');
  for (int i = 0; i < 10000; i++)
    sk_buf_putc(&deep, ')');
  cond_case(deep.ptr, "error@257: condition nested too deeply (limit is 256)");
  sk_buf_clear(&deep);
  for (int i = 0; i < 300; i++)
    sk_buf_puts(&deep, "not ");
  sk_buf_putc(&deep, 'a');
  cond_case(deep.ptr, "error@1025: condition nested too deeply (limit is 256)");
  sk_buf_free(&deep);
}

static const char *yaml_error(const char *text) {
  static char msg[256];
  sk_arena a = {0};
  sk_diags d = {0};
  sk_source src = {"y", text, strlen(text)};
  sk_ydocs docs;
  bool ok = sk_yaml_load(&a, &d, &src, &docs);
  snprintf(msg, sizeof msg, "%s", ok ? "ok" : d.n ? d.v[0].message : "no diagnostic");
  sk_diags_clear(&d);
  sk_arena_free(&a);
  return msg;
}

static void test_yaml(void) {
  STR_EQ(yaml_error("a: 1\nb: [x, y]\n"), "ok", "plain document");
  STR_EQ(yaml_error("a: 1\na: 2\n"), "duplicate key 'a'", "duplicate key");
  STR_EQ(yaml_error("a: &x {b: 1}\n<<: *x\n"), "YAML merge keys ('<<') are not supported in rules",
         "merge key");
  STR_EQ(yaml_error("a: *nope\n"), "unknown YAML anchor 'nope'", "unknown anchor");
  /* a big map keeps a hash set of its keys: a late duplicate is found */
  sk_buf big = SK_BUF_INIT;
  for (int i = 0; i < 1000; i++)
    sk_buf_printf(&big, "k%d: v\n", i);
  STR_EQ(yaml_error(big.ptr), "ok", "1000 distinct keys");
  sk_buf_puts(&big, "k517: again\n");
  STR_EQ(yaml_error(big.ptr), "duplicate key 'k517'", "a duplicate among 1000 keys");
  sk_buf_free(&big);
  /* the billion-laughs shape: each level doubles the expanded size */
  sk_buf bomb = SK_BUF_INIT;
  sk_buf_puts(&bomb, "l0: &l0 [x, x]\n");
  for (int i = 1; i < 40; i++)
    sk_buf_printf(&bomb, "l%d: &l%d [*l%d, *l%d]\n", i, i, i - 1, i - 1);
  STR_EQ(yaml_error(bomb.ptr), "YAML aliases expand to too many nodes (limit is 1000000)",
         "alias bomb");
  sk_buf_free(&bomb);
  char nul[] = "a: x\0y\n";
  sk_arena a = {0};
  sk_diags d = {0};
  sk_source src = {"y", nul, sizeof nul - 1};
  sk_ydocs docs;
  OK(!sk_yaml_load(&a, &d, &src, &docs) && d.n && strcmp(d.v[0].message, "NUL byte in rule file") == 0 &&
         d.v[0].loc.line == 1 && d.v[0].loc.col == 5,
     "NUL byte position");
  sk_diags_clear(&d);
  sk_arena_free(&a);
  STR_EQ(yaml_error("a: \xff\n"), "invalid UTF-8 byte 0xff", "invalid UTF-8");
  sk_buf deep = SK_BUF_INIT;
  for (int i = 0; i < 300; i++)
    sk_buf_putc(&deep, '[');
  STR_EQ(yaml_error(deep.ptr), "YAML nested too deeply (limit is 256)", "deep nesting");
  sk_buf_free(&deep);
}

static void test_distance(void) {
  OK(sk_edit_distance(sk_str_c("contains"), sk_str_c("contians"), 9) == 2, "transposition costs 2");
  OK(sk_edit_distance(sk_str_c("Image"), sk_str_c("image"), 9) == 0, "distance ignores ASCII case");
  OK(sk_edit_distance(sk_str_c(""), sk_str_c("abc"), 9) == 3, "distance from empty");
  OK(sk_edit_distance(sk_str_c("contains"), sk_str_c("contians"), 1) == SIZE_MAX,
     "distance over the bound is SIZE_MAX");
  OK(sk_edit_distance(sk_str_c("a"), sk_str_c("abcd"), 2) == SIZE_MAX, "length bound");
  /* The banded, bounded version against the full table on random
   * strings over a small alphabet (so that distances vary). */
  unsigned seed = 1;
#define NEXT() ((seed = seed * 1103515245u + 12345u) >> 16)
  bool same = true;
  for (int it = 0; it < 20000 && same; it++) {
    char a[13], b[13];
    size_t n = NEXT() % 8, m = NEXT() % 12;
    for (size_t i = 0; i < n; i++)
      a[i] = (char)('a' + NEXT() % 3);
    for (size_t j = 0; j < m; j++)
      b[j] = (char)('a' + NEXT() % 3);
    size_t d[13][13];
    for (size_t i = 0; i <= n; i++)
      for (size_t j = 0; j <= m; j++) {
        if (!i || !j) {
          d[i][j] = i + j;
          continue;
        }
        size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
        size_t ins = d[i][j - 1] + 1, del = d[i - 1][j] + 1;
        d[i][j] = sub < ins ? (sub < del ? sub : del) : (ins < del ? ins : del);
      }
    size_t max = (size_t)it % 7, want = d[n][m] <= max ? d[n][m] : SIZE_MAX;
    same = sk_edit_distance((sk_str){a, n}, (sk_str){b, m}, max) == want;
  }
#undef NEXT
  OK(same, "bounded distance agrees with the full table");
}

/* The mapping data names only columns that exist (also a build step). */
static void test_data(void) {
  sk_buf report = SK_BUF_INIT;
  OK(sk_default_check(&report), "mapping data: %s", report.ptr ? report.ptr : "");
  sk_buf_free(&report);
}

/* Parsing once for several contexts gives what compiling for each does:
 * a good rule (two documents, a warning), broken YAML, and no rule. */
static void test_multi(void) {
  static const char *const inputs[] = {
      "title: t\nstatus: experimental\nlogsource: {category: process_creation, product: windows}\n"
      "detection:\n  s:\n    Image|endswith: '\\\\a.exe'\n    Unknown: x\n  condition: s\n---\n"
      "title: u\nlogsource: {category: file_event, product: windows}\n"
      "detection:\n  s:\n    TargetFilename|contains: b\n  condition: s\n",
      "title: [broken\n",
      "just: a mapping\n",
  };
  static const sk_options opts[] = {
      {.target = "asim", .format = "kql"},
      {.target = "xdr", .format = "json"},
      {.target = "monitor", .profile = "pysigma", .format = "kql"},
  };
  enum { N = sizeof opts / sizeof *opts };
  sk_ctx *ctxs[N];
  for (int i = 0; i < N; i++) {
    char *err = NULL;
    ctxs[i] = sk_ctx_new(&opts[i], &err);
    OK(ctxs[i] != NULL, "sk_ctx_new: %s", err ? err : "");
    if (!ctxs[i])
      return;
  }
  for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++) {
    sk_result multi[N], one;
    int rc = sk_compile_multi(ctxs, N, "m.yml", inputs[k], strlen(inputs[k]), multi);
    int worst = 0;
    for (int i = 0; i < N; i++) {
      int r = sk_compile_mem(ctxs[i], "m.yml", inputs[k], strlen(inputs[k]), &one);
      worst = r > worst ? r : worst;
      OK(multi[i].output_len == one.output_len &&
             memcmp(multi[i].output, one.output, one.output_len) == 0,
         "input %zu, context %d: output differs", k, i);
      STR_EQ(multi[i].diagnostics, one.diagnostics, "diagnostics");
      OK(multi[i].rules == one.rules && multi[i].failed == one.failed &&
             multi[i].errors == one.errors && multi[i].warnings == one.warnings,
         "input %zu, context %d: counts differ", k, i);
      sk_result_free(&one);
      sk_result_free(&multi[i]);
    }
    OK(rc == worst, "input %zu: status %d, want %d", k, rc, worst);
  }
  for (int i = 0; i < N; i++)
    sk_ctx_free(ctxs[i]);
}

/* A value's variants are limited to 1 MiB of text when a modifier
 * multiplies them (base64offset: three); one long value is not. */
static void test_variant_bytes(void) {
  static const char head[] = "title: t\nlogsource: {category: process_creation, product: windows}\n"
                             "detection:\n  s:\n    CommandLine|base64offset|contains: '";
  static const char tail[] = "'\n  condition: s\n";
  static const size_t sizes[] = {100000, 400000};
  char *err = NULL;
  sk_ctx *ctx = sk_ctx_new(&(sk_options){.target = "asim", .format = "kql"}, &err);
  OK(ctx != NULL, "sk_ctx_new: %s", err ? err : "");
  for (size_t k = 0; ctx && k < 2; k++) {
    size_t n = sizes[k], len = sizeof head - 1 + n + sizeof tail - 1;
    char *rule = malloc(len);
    if (!rule)
      abort();
    memcpy(rule, head, sizeof head - 1);
    memset(rule + sizeof head - 1, 'x', n);
    memcpy(rule + sizeof head - 1 + n, tail, sizeof tail - 1);
    sk_result res;
    int rc = sk_compile_mem(ctx, "v.yml", rule, len, &res);
    bool refused = strstr(res.diagnostics, "value expands to more than 1 MiB of text") != NULL;
    OK(rc == (k == 1) && refused == (k == 1), "%zu bytes: status %d, diagnostics [%.200s]", n,
       rc, res.diagnostics);
    sk_result_free(&res);
    free(rule);
  }
  sk_ctx_free(ctx);
}

/* A MATCH node testing field with a number or a string pattern. */
static sk_node *test_match(sk_arena *a, const char *field, sk_mop op, const char *value) {
  sk_node *n = sk_node_new(a, SK_N_MATCH, (sk_loc){0});
  n->as.match = SK_NEW(a, sk_match);
  *n->as.match = (sk_match){.field = sk_str_c(field), .op = op, .value = sk_str_c(value)};
  return n;
}

static sk_node *test_list(sk_arena *a, sk_node_kind kind, sk_node *x, sk_node *y) {
  sk_node *n = sk_node_list(a, kind, (sk_loc){0}, 2);
  n->kids[0] = x, n->kids[1] = y;
  return n;
}

static void test_implied(void) {
  sk_arena a = {0};
  sk_str ev = SK_STR_LIT("EventID");
  sk_node *e7045 = test_match(&a, "EventID", SK_MOP_NUM, "7045");
  sk_node *e4697 = test_match(&a, "EventID", SK_MOP_STR, "4697");
  sk_node *name = test_match(&a, "ServiceName", SK_MOP_STR, "x");
  sk_node *c[1] = {test_list(&a, SK_N_AND, e7045, name)};
  sk_implied s = sk_implied_values(c, 1, ev);
  OK(s.known && s.n == 1 && sk_str_eqc(s.v[0], "7045"), "an ANDed test pins the id");
  OK(sk_implied_within(&s, "7045"), "7045 within \"7045\"");
  OK(!sk_implied_within(&s, "4697 70450"), "whole words only");
  c[0] = test_list(&a, SK_N_OR, e7045, e4697);
  s = sk_implied_values(c, 1, ev);
  OK(s.known && s.n == 2 && sk_implied_within(&s, "4697 7045"), "OR: the union");
  OK(!sk_implied_within(&s, "7045"), "OR: one id is not enough");
  c[0] = test_list(&a, SK_N_OR, e7045, name);
  OK(!sk_implied_values(c, 1, ev).known, "a branch without the id leaves it open");
  c[0] = sk_node_not(&a, e7045);
  OK(!sk_implied_values(c, 1, ev).known, "a negated id pins nothing");
  c[0] = test_list(&a, SK_N_AND, e7045, e4697);
  s = sk_implied_values(c, 1, ev);
  OK(s.known && s.n == 0 && !sk_implied_within(&s, "7045 4697"), "contradiction: no route");
  c[0] = test_list(&a, SK_N_AND, test_match(&a, "EventID", SK_MOP_STR, "70\xff"), name);
  OK(!sk_implied_values(c, 1, ev).known, "a wildcard value pins nothing");
  sk_node *conds[2] = {e7045, e4697}; /* a condition list: either */
  OK(sk_implied_within((s = sk_implied_values(conds, 2, ev), &s), "7045 4697"), "condition list");
  sk_arena_free(&a);
}

static void test_match_const(void) {
  sk_arena a = {0};
  struct {
    sk_mop op;
    const char *value, *constant;
    int want;
  } cases[] = {
      {SK_MOP_NUM, "7045", "7045", 1},
      {SK_MOP_NUM, "07045", "7045", 1},
      {SK_MOP_NUM, "4697", "7045", 0},
      {SK_MOP_NUM, "1e3", "1000", -1},
      {SK_MOP_STR, "service control manager", "Service Control Manager", 1},
      {SK_MOP_STR, "\xff" "Control\xff", "Service Control Manager", 1},
      {SK_MOP_STR, "Service\xff", "Security", 0},
      {SK_MOP_STR, "S\xfe" "stem", "System", 1},
      {SK_MOP_STR, "\xff" "a\xff" "b", "xaxxb", 1},
      {SK_MOP_STR, "\xff" "a\xff" "b", "xbxa", 0},
      {SK_MOP_STR, "", "", 1},
      {SK_MOP_NULL, "", "System", 0},
      {SK_MOP_RE, "^Sys", "System", -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    sk_node *n = test_match(&a, "Channel", cases[i].op, cases[i].value);
    int got = sk_match_const(n->as.match, sk_str_c(cases[i].constant));
    OK(got == cases[i].want, "constant test %zu: got %d, want %d", i, got, cases[i].want);
  }
  sk_node *cased = test_match(&a, "Channel", SK_MOP_STR, "system");
  cased->as.match->flags = SK_MF_CASED;
  OK(sk_match_const(cased->as.match, sk_str_c("System")) == 0, "cased: case counts");
  sk_arena_free(&a);
}

int main(void) {
  test_arena();
  test_buf();
  test_quote();
  test_ident();
  test_cond();
  test_yaml();
  test_distance();
  test_data();
  test_multi();
  test_variant_bytes();
  test_implied();
  test_match_const();
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
