/* main.c - the sigmakql command line: arguments, the list of input files,
 * output and exit status. Everything else is in the library. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sigmakql.h"

static const char usage[] =
    "Usage: sigmakql convert [OPTIONS] RULE_OR_DIR...\n"
    "       sigmakql list targets | tables | logsources [-t TARGET]\n"
    "       sigmakql list fields [-t TARGET] TABLE\n"
    "       sigmakql --help | --version\n"
    "\n"
    "Compiles Sigma detection rules into KQL queries for Microsoft Sentinel.\n"
    "\n"
    "Commands:\n"
    "  convert              compile the rules and print one query per rule\n"
    "  list                 what a target offers: its tables, the log sources that\n"
    "                         go to each, the Sigma fields behind each column\n"
    "\n"
    "Options:\n"
    "  -t, --target TARGET  asim: Sentinel ASIM parsers (the default); xdr: Defender\n"
    "                         XDR and monitor: Azure Monitor tables (pysigma profile)\n"
    "      --profile NAME   default: queries correct on the columns Microsoft's\n"
    "                         parsers fill (the default)\n"
    "                       pysigma: the reference converter's tables and output\n"
    "                         (pySigma-backend-kusto 1.0.1), for diffing\n"
    "  -f, --format FORMAT  kql: the queries (the default)\n"
    "                       json: one JSON object per rule (JSON Lines) with its\n"
    "                         queries, table, errors and warnings\n"
    "  -o, --output FILE    write the output to FILE (replaced atomically)\n"
    "  -p, --pipeline FILE  a processing pipeline in pySigma's YAML format\n"
    "                         (field_name_mapping, add_condition, change_logsource,\n"
    "                         set_state query_table, ...); may be repeated\n"
    "      --placeholder NAME=V1[,V2...]\n"
    "                       values of %NAME% in values with the expand modifier;\n"
    "                         may be repeated\n"
    "  -h, --help           show this help\n"
    "  -V, --version        show the version\n"
    "\n"
    "RULE_OR_DIR is a rule file, '-' for standard input, or a directory searched\n"
    "recursively for *.yml and *.yaml files (in name order).\n"
    "\n"
    "Output: each query followed by a newline, queries separated by a blank line.\n"
    "Diagnostics go to standard error as file:line:col: severity: message.\n"
    "\n"
    "Exit status: 0 every rule converted, 1 some rule did not convert,\n"
    "2 usage or I/O error. A bad rule never stops the others.\n";

typedef struct strvec {
  char **v;
  size_t n, cap;
} strvec;

static void push(strvec *s, char *str) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 16;
    s->v = realloc(s->v, s->cap * sizeof *s->v);
    if (!s->v) {
      fputs("sigmakql: fatal: out of memory\n", stderr);
      exit(2);
    }
  }
  s->v[s->n++] = str;
}

static char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (!p) {
    fputs("sigmakql: fatal: out of memory\n", stderr);
    exit(2);
  }
  return p;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_rule_name(const char *name) {
  size_t n = strlen(name);
  return (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
         (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

/* Adds the rule files below dir, sorted, skipping hidden entries. */
static bool walk(const char *dir, strvec *files, int depth) {
  if (depth > 64) {
    fprintf(stderr, "sigmakql: %s: directories nested too deeply\n", dir);
    return false;
  }
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "sigmakql: %s: %s\n", dir, strerror(errno));
    return false;
  }
  strvec names = {0};
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.')
      push(&names, xstrdup(e->d_name));
  closedir(d);
  qsort(names.v, names.n, sizeof *names.v, cmp_str);
  bool ok = true;
  for (size_t i = 0; i < names.n; i++) {
    size_t len = strlen(dir) + strlen(names.v[i]) + 2;
    char *path = malloc(len);
    if (!path)
      exit(2);
    snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names.v[i]);
    struct stat st;
    if (stat(path, &st) != 0) {
      fprintf(stderr, "sigmakql: %s: %s\n", path, strerror(errno));
      ok = false;
      free(path);
    } else if (S_ISDIR(st.st_mode)) {
      ok &= walk(path, files, depth + 1);
      free(path);
    } else if (is_rule_name(names.v[i])) {
      push(files, path);
    } else {
      free(path);
    }
    free(names.v[i]);
  }
  free(names.v);
  return ok;
}

static char *read_stdin(size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
    n += got;
    if (n == cap)
      buf = realloc(buf, cap *= 2);
  }
  if (!buf || ferror(stdin)) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

static int usage_error(const char *fmt, const char *arg) {
  fputs("sigmakql: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\nTry 'sigmakql --help'.\n", stderr);
  return 2;
}

/* Writes data to path through a temporary file and rename, so a failed run
 * never leaves half a file. */
static bool write_atomic(const char *path, const char *data, size_t len) {
  size_t n = strlen(path) + 16;
  char *tmp = malloc(n);
  if (!tmp)
    return false;
  snprintf(tmp, n, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    fprintf(stderr, "sigmakql: %s: %s\n", path, strerror(errno));
    free(tmp);
    return false;
  }
  FILE *f = fdopen(fd, "wb");
  bool ok = f && fwrite(data, 1, len, f) == len;
  ok = (f && fclose(f) == 0) && ok;
  if (ok && rename(tmp, path) != 0)
    ok = false;
  if (!ok) {
    fprintf(stderr, "sigmakql: %s: %s\n", path, strerror(errno));
    unlink(tmp);
  }
  free(tmp);
  return ok;
}

static int convert_with(int argc, char **argv, strvec *inputs, strvec *placeholders);

static strvec pipeline_files; /* -p FILE, in the order given */

static int convert(int argc, char **argv) {
  strvec inputs = {0}, placeholders = {0};
  int rc = convert_with(argc, argv, &inputs, &placeholders);
  free(inputs.v);
  free(placeholders.v);
  free(pipeline_files.v);
  return rc;
}

/* The caller owns (and frees) the two vectors, so every return is clean. */
static int convert_with(int argc, char **argv, strvec *inputs, strvec *placeholders) {
  sk_options opts = {0};
  const char *output = NULL;
  bool only_args = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    bool ph = false, pipe = false;
    if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
      push(inputs, (char *)a);
      continue;
    }
    if (strcmp(a, "--") == 0) {
      only_args = true;
      continue;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return (0);
    }
    const char *val = NULL;
    const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
    size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
#define IS(opt) (strlen(opt) == name_len && strncmp(a, opt, name_len) == 0)
    if (IS("-t") || IS("--target"))
      slot = &opts.target;
    else if (IS("--profile"))
      slot = &opts.profile;
    else if (IS("-f") || IS("--format"))
      slot = &opts.format;
    else if (IS("-o") || IS("--output"))
      slot = &output;
    else if (IS("--placeholder"))
      ph = true;
    else if (IS("-p") || IS("--pipeline"))
      pipe = true;
    else
      return (usage_error("unknown option '%s'", a));
#undef IS
    if (eq)
      val = eq + 1;
    else if (i + 1 < argc)
      val = argv[++i];
    else
      return (usage_error("option '%s' needs a value", a));
    if (ph)
      push(placeholders, (char *)val);
    else if (pipe)
      push(&pipeline_files, (char *)val);
    else
      *slot = val;
  }
  if (inputs->n == 0)
    return (usage_error("%s", "convert: no rule files given"));
  opts.placeholders = (const char *const *)placeholders->v;
  opts.nplaceholders = placeholders->n;
  opts.pipelines = (const char *const *)pipeline_files.v;
  opts.npipelines = pipeline_files.n;
  char *err = NULL;
  sk_ctx *ctx = sk_ctx_new(&opts, &err);
  if (!ctx) {
    int rc = usage_error("%s", err);
    free(err);
    return (rc);
  }

  strvec files = {0};
  int status = 0;
  bool json = opts.format && strcmp(opts.format, "json") == 0;
  for (size_t i = 0; i < inputs->n; i++) {
    struct stat st;
    const char *in = inputs->v[i];
    if (strcmp(in, "-") != 0 && stat(in, &st) == 0 && S_ISDIR(st.st_mode)) {
      if (!walk(in, &files, 0))
        status = 2;
    } else {
      push(&files, xstrdup(in));
    }
  }

  FILE *out = stdout;
  char *mem = NULL;
  size_t memlen = 0;
  if (output && !(out = open_memstream(&mem, &memlen))) {
    fprintf(stderr, "sigmakql: %s\n", strerror(errno));
    sk_ctx_free(ctx);
    return (2);
  }
  size_t printed = 0;
  unsigned rules = 0, failed = 0;
  for (size_t i = 0; i < files.n; i++) {
    sk_result res;
    int rc;
    if (strcmp(files.v[i], "-") == 0) {
      size_t len;
      char *data = read_stdin(&len);
      if (!data) {
        fprintf(stderr, "sigmakql: <stdin>: %s\n", strerror(errno));
        status = 2;
        continue;
      }
      rc = sk_compile_mem(ctx, "<stdin>", data, len, &res);
      free(data);
    } else {
      rc = sk_compile_file(ctx, files.v[i], &res);
    }
    fputs(res.diagnostics, stderr);
    if (res.output_len) {
      /* KQL queries of consecutive files are separated by a blank line. */
      if (printed++ && !json)
        fputc('\n', out);
      fwrite(res.output, 1, res.output_len, out);
    }
    rules += res.rules;
    failed += res.failed;
    if (rc == 2)
      status = 2;
    else if (rc == 1 && status == 0)
      status = 1;
    sk_result_free(&res);
    free(files.v[i]);
  }
  free(files.v);
  if (output) {
    fclose(out);
    if (!write_atomic(output, mem, memlen))
      status = 2;
    free(mem);
  } else if (fflush(stdout) != 0) {
    fprintf(stderr, "sigmakql: cannot write output: %s\n", strerror(errno));
    status = 2;
  }
  if (files.n > 1)
    fprintf(stderr, "sigmakql: %u rule%s: %u converted, %u failed\n", rules,
            rules == 1 ? "" : "s", rules - (failed > rules ? rules : failed), failed);
  sk_ctx_free(ctx);
  return (status);
}

/* sigmakql list targets | tables [-t T] | logsources [-t T] | fields [-t T] TABLE */
static int list(int argc, char **argv) {
  const char *what = NULL, *target = "asim", *table = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--target") == 0) {
      if (++i >= argc)
        return usage_error("option '%s' needs a value", argv[i - 1]);
      target = argv[i];
    } else if (strncmp(argv[i], "--target=", 9) == 0) {
      target = argv[i] + 9;
    } else if (!what) {
      what = argv[i];
    } else if (!table) {
      table = argv[i];
    } else {
      return usage_error("list: unexpected argument '%s'", argv[i]);
    }
  }
  if (!what)
    return usage_error("%s", "list: what? (targets, tables, logsources, fields TABLE)");
  if (strcmp(what, "fields") == 0 && !table)
    return usage_error("%s", "list fields: which table? (see 'sigmakql list tables')");
  char *text;
  int rc = sk_list(what, target, table, &text);
  if (rc)
    usage_error("%s", text);
  else
    fputs(text, stdout);
  free(text);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return usage_error("%s", "no command given");
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
    printf("sigmakql %s\n", sk_version());
    return 0;
  }
  if (strcmp(cmd, "convert") == 0)
    return convert(argc - 2, argv + 2);
  if (strcmp(cmd, "list") == 0)
    return list(argc - 2, argv + 2);
  return usage_error("unknown command '%s'", cmd);
}
