/* main.c - the sigmakql command line: arguments, the list of input files,
 * output and exit status. Everything else is in the library. */
#define _DEFAULT_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sigmakql.h"

static const char usage[] =
    "Usage: sigmakql convert [OPTIONS] RULE_OR_DIR...\n"
    "       sigmakql check [OPTIONS] RULE_OR_DIR...\n"
    "       sigmakql list targets | tables | logsources | entities [-t TARGET]\n"
    "       sigmakql list fields [-t TARGET] TABLE\n"
    "       sigmakql --help | --version\n"
    "\n"
    "Compiles Sigma detection rules into KQL queries and Microsoft Sentinel\n"
    "analytics rules.\n"
    "\n"
    "Commands:\n"
    "  convert              compile the rules and write them in the chosen format\n"
    "  check                compile and lint the rules, write nothing (for CI):\n"
    "                         'all of them', filters used without 'not', regular\n"
    "                         expressions, query length, duplicate ids\n"
    "  list                 what a target offers: its tables, the log sources that\n"
    "                         go to each, the Sigma fields behind each column, the\n"
    "                         entity mappings of each table\n"
    "\n"
    "Options:\n"
    "  -t, --target TARGET  asim: Sentinel ASIM parsers (the default); xdr: Defender\n"
    "                         XDR and monitor: Azure Monitor tables; with -f json\n"
    "                         several, as asim,xdr,monitor (each file parsed once)\n"
    "      --profile NAME   default: queries correct on the columns Microsoft's\n"
    "                         parsers fill (the default)\n"
    "                       pysigma: the reference converter's tables and output\n"
    "                         (pySigma-backend-kusto 1.0.1), for diffing\n"
    "  -f, --format FORMAT  kql: the queries (the default)\n"
    "                       json: one JSON object per rule (JSON Lines) with its\n"
    "                         queries, table, errors and warnings\n"
    "                       arm: ARM templates of Sentinel scheduled analytics\n"
    "                         rules, deployable by Sentinel Repositories\n"
    "                       sentinel-yaml: analytics rules in the YAML of the\n"
    "                         Azure-Sentinel repository\n"
    "  -o, --output PATH    write to the file PATH (replaced atomically); when PATH\n"
    "                         is a directory or ends in '/', or the format is arm,\n"
    "                         sentinel-yaml or json with a directory or several\n"
    "                         inputs: one file per rule file below PATH, mirroring\n"
    "                         the input tree\n"
    "      --filter FILE    Sigma meta filters (filter documents) for the rules they\n"
    "                         name; filter documents among the inputs apply too\n"
    "  -p, --pipeline FILE  a processing pipeline in pySigma's YAML format\n"
    "                         (field_name_mapping, add_condition, change_logsource,\n"
    "                         set_state query_table, ...); may be repeated\n"
    "      --placeholder NAME=V1[,V2...]\n"
    "                       values of %NAME% in values with the expand modifier;\n"
    "                         --placeholders FILE.yml gives them as NAME: [values],\n"
    "                         --watchlist NAME=ALIAS looks them up in a Sentinel\n"
    "                         watchlist (_GetWatchlist); each may be repeated\n"
    "\n"
    "Analytics rules (arm, sentinel-yaml):\n"
    "      --frequency D    how often the query runs (default 1h)\n"
    "      --period D       how far back it looks (default 1h); D is ISO 8601\n"
    "                         (PT5M, PT1H, P1D) or 5m, 1h, 2d; 5 minutes to 14\n"
    "                         days, a period of 2 days or more needs a frequency\n"
    "                         of at least 1 hour\n"
    "      --enabled LIST   statuses whose rules are deployed enabled (default\n"
    "                         stable,test; also experimental, deprecated,\n"
    "                         unsupported, none for no status, all)\n"
    "\n"
    "Rule selection:\n"
    "      --status LIST    only rules with one of these statuses\n"
    "      --min-level L    only rules of level L or higher (informational, low,\n"
    "                         medium, high, critical)\n"
    "      --tag TAG        only rules with this tag (a trailing '*' matches any\n"
    "                         end); may be repeated: any of them\n"
    "      --include-deprecated\n"
    "                       also deprecated and unsupported rules (skipped by\n"
    "                         default)\n"
    "\n"
    "      --fail-on WHAT   exit status 1 on: error (a rule failed; the default),\n"
    "                         warning (also a warning), never\n"
    "  -h, --help           show this help\n"
    "  -V, --version        show the version\n"
    "\n"
    "RULE_OR_DIR is a rule file, '-' for standard input, or a directory searched\n"
    "recursively for *.yml and *.yaml files (in name order).\n"
    "\n"
    "Output: each query followed by a newline, queries separated by a blank line.\n"
    "Diagnostics go to standard error as file:line:col: severity: message; with\n"
    "several files, a summary closes the run.\n"
    "\n"
    "Exit status: 0 every rule converted, 1 some rule did not convert (see\n"
    "--fail-on), 2 usage or I/O error. A bad rule never stops the others.\n";

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

/* A batch run's output directory, which walk() never enters. */
static dev_t skip_dev;
static ino_t skip_ino;
static bool skip_dir_set;

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
      if (!(skip_dir_set && st.st_dev == skip_dev && st.st_ino == skip_ino))
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

/* All of f, up to one byte past SK_MAX_INPUT (the library then refuses
 * the input as too large without more being read), or NULL on a read
 * error; the caller frees it. */
static char *read_all(FILE *f, size_t *len) {
  size_t cap = 65536, n = 0, got;
  char *buf = malloc(cap);
  while (buf && n <= SK_MAX_INPUT && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *bigger = realloc(buf, cap *= 2);
      if (!bigger)
        free(buf);
      buf = bigger;
    }
  }
  if (!buf || ferror(f)) { /* the caller reports the input as unreadable */
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *data = read_all(f, len);
  fclose(f);
  return data;
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

/* ---- convert and check ---------------------------------------------- */

typedef enum fail_policy { FAIL_ERROR, FAIL_WARNING, FAIL_NEVER } fail_policy;

/* The command line of convert and check. The vectors point into argv. */
typedef struct cli {
  bool check;
  sk_options opts;
  const char *output;
  fail_policy fail_on;
  strvec inputs, placeholders, pipelines, tags, filters, watchlists;
} cli;

static void cli_free(cli *c) {
  free(c->inputs.v);
  free(c->placeholders.v);
  free(c->filters.v);
  free(c->watchlists.v);
  free(c->pipelines.v);
  free(c->tags.v);
}

/* Parses the options; returns -1 to go on, else the exit status. */
static int parse_cli(int argc, char **argv, cli *c) {
  bool only_args = false;
  const char *fail_on = NULL;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    strvec *list = NULL;
    if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
      push(&c->inputs, (char *)a);
      continue;
    }
    if (strcmp(a, "--") == 0) {
      only_args = true;
      continue;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (strcmp(a, "--include-deprecated") == 0) {
      c->opts.include_deprecated = 1;
      continue;
    }
    const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
    size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
#define IS(opt) (strlen(opt) == name_len && strncmp(a, opt, name_len) == 0)
    if (IS("-t") || IS("--target"))
      slot = &c->opts.target;
    else if (IS("--profile"))
      slot = &c->opts.profile;
    else if (IS("-f") || IS("--format"))
      slot = &c->opts.format;
    else if ((IS("-o") || IS("--output")) && !c->check)
      slot = &c->output;
    else if (IS("--placeholder"))
      list = &c->placeholders;
    else if (IS("-p") || IS("--pipeline"))
      list = &c->pipelines;
    else if (IS("--filter"))
      list = &c->filters;
    else if (IS("--placeholders"))
      slot = &c->opts.placeholders_file;
    else if (IS("--watchlist"))
      list = &c->watchlists;
    else if (IS("--frequency"))
      slot = &c->opts.frequency;
    else if (IS("--period"))
      slot = &c->opts.period;
    else if (IS("--enabled"))
      slot = &c->opts.enabled;
    else if (IS("--status"))
      slot = &c->opts.statuses;
    else if (IS("--min-level"))
      slot = &c->opts.min_level;
    else if (IS("--tag"))
      list = &c->tags;
    else if (IS("--fail-on"))
      slot = &fail_on;
    else
      return usage_error("unknown option '%s'", a);
#undef IS
    const char *val;
    if (eq)
      val = eq + 1;
    else if (i + 1 < argc)
      val = argv[++i];
    else
      return usage_error("option '%s' needs a value", a);
    if (list)
      push(list, (char *)val);
    else
      *slot = val;
  }
  if (fail_on) {
    if (strcmp(fail_on, "error") == 0)
      c->fail_on = FAIL_ERROR;
    else if (strcmp(fail_on, "warning") == 0)
      c->fail_on = FAIL_WARNING;
    else if (strcmp(fail_on, "never") == 0)
      c->fail_on = FAIL_NEVER;
    else
      return usage_error("invalid --fail-on '%s' (expected error, warning or never)", fail_on);
  }
  if (c->inputs.n == 0)
    return usage_error("%s", c->check ? "check: no rule files given" : "convert: no rule files given");
  c->opts.placeholders = (const char *const *)c->placeholders.v;
  c->opts.nplaceholders = c->placeholders.n;
  c->opts.watchlists = (const char *const *)c->watchlists.v;
  c->opts.nwatchlists = c->watchlists.n;
  c->opts.filters = (const char *const *)c->filters.v;
  c->opts.nfilters = c->filters.n;
  c->opts.pipelines = (const char *const *)c->pipelines.v;
  c->opts.npipelines = c->pipelines.n;
  c->opts.tags = (const char *const *)c->tags.v;
  c->opts.ntags = c->tags.n;
  c->opts.lint = c->check;
  return -1;
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir -p of the directories above path (not path itself). */
static bool make_parents(const char *path) {
  char *p = xstrdup(path);
  bool ok = true;
  for (char *s = p + 1; ok && (s = strchr(s, '/')); s++) {
    *s = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "sigmakql: %s: %s\n", p, strerror(errno));
      ok = false;
    } else if (!is_dir(p)) {
      fprintf(stderr, "sigmakql: %s: not a directory\n", p);
      ok = false;
    }
    *s = '/';
  }
  free(p);
  return ok;
}

/* A rule file and where its output goes below an output directory: the
 * last component of the argument it was found under, then its path below
 * that argument ("rules/windows/x.yml" for rules/windows/x.yml found in
 * "rules" or "../sigma/rules"); a file argument keeps its name only. */
static char *relative_name(const char *arg, const char *path, bool from_dir) {
  size_t n = strlen(arg);
  while (n > 1 && arg[n - 1] == '/')
    n--;
  size_t start = n;
  while (start > 0 && arg[start - 1] != '/')
    start--;
  char *last = strndup(arg + start, n - start);
  if (!last)
    exit(2);
  bool keep = from_dir && strcmp(last, ".") != 0 && strcmp(last, "..") != 0 && last[0];
  const char *below;
  if (from_dir) {
    below = path + strlen(arg);
    while (*below == '/')
      below++;
  } else {
    below = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  }
  size_t len = strlen(last) + strlen(below) + 2;
  char *rel = malloc(len);
  if (!rel)
    exit(2);
  snprintf(rel, len, "%s%s%s", keep ? last : "", keep ? "/" : "", below);
  free(last);
  return rel;
}

/* DIR/rel with its .yml/.yaml replaced by suffix and ext. */
static char *output_name(const char *dir, const char *rel, const char *suffix, const char *ext) {
  size_t n = strlen(rel);
  if (n > 4 && strcmp(rel + n - 4, ".yml") == 0)
    n -= 4;
  else if (n > 5 && strcmp(rel + n - 5, ".yaml") == 0)
    n -= 5;
  size_t len = strlen(dir) + n + strlen(suffix) + strlen(ext) + 2;
  char *p = malloc(len);
  if (!p)
    exit(2);
  size_t d = strlen(dir);
  while (d > 1 && dir[d - 1] == '/')
    d--;
  snprintf(p, len, "%.*s/%.*s%s%s", (int)d, dir, (int)n, rel, suffix, ext);
  return p;
}

typedef struct file_id {
  dev_t dev;
  ino_t ino;
} file_id;

/* What a batch run has written and must not touch. */
typedef struct batch {
  const char *dir, *ext;
  strvec written;
  file_id *inputs;
  size_t ninputs;
} batch;

/* Writes one output file of a batch: never over an input rule file, never
 * twice in one run. False after printing why. */
static bool batch_write(batch *b, const char *path, const char *data, size_t len,
                        const char *from) {
  for (size_t i = 0; i < b->written.n; i++)
    if (strcmp(b->written.v[i], path) == 0) {
      fprintf(stderr, "%s: error: output %s was already written from another rule file; "
                      "not overwritten\n", from, path);
      return false;
    }
  struct stat st;
  if (stat(path, &st) == 0)
    for (size_t i = 0; i < b->ninputs; i++)
      if (b->inputs[i].dev == st.st_dev && b->inputs[i].ino == st.st_ino) {
        fprintf(stderr, "%s: error: output %s is an input rule file; not overwritten\n", from,
                path);
        return false;
      }
  if (!make_parents(path) || !write_atomic(path, data, len))
    return false;
  push(&b->written, xstrdup(path));
  return true;
}

/* Writes the outputs of one rule file; false after an I/O error. */
static bool batch_file(batch *b, const sk_result *res, const char *rel, const char *from,
                       bool split) {
  bool any = false, ok = true;
  for (size_t i = 0; i < res->nrules; i++)
    any |= res->rules_v[i].ok && !res->rules_v[i].skipped;
  if (!any || !res->output_len)
    return true; /* failed rules, and rules with no query, write nothing */
  if (!split) {
    char *path = output_name(b->dir, rel, "", b->ext);
    ok = batch_write(b, path, res->output, res->output_len, from);
    free(path);
    return ok;
  }
  /* One analytics rule per file: x.yaml, or x-DOC.yaml, x-QUERY.yaml and
   * x-DOC-QUERY.yaml when the file has several documents or the rule
   * several queries, so that names stay stable when another rule fails. */
  for (size_t i = 0; i < res->nrules; i++) {
    const sk_rule_result *rr = &res->rules_v[i];
    for (size_t k = 0; k < rr->noutputs; k++) {
      char suffix[48] = "";
      size_t n = 0;
      if (res->rules > 1)
        n += (size_t)snprintf(suffix + n, sizeof suffix - n, "-%u", rr->index + 1);
      if (rr->noutputs > 1)
        snprintf(suffix + n, sizeof suffix - n, "-%zu", k + 1);
      char *path = output_name(b->dir, rel, suffix, b->ext);
      ok &= batch_write(b, path, rr->outputs[k], strlen(rr->outputs[k]), from);
      free(path);
    }
  }
  return ok;
}

/* A rule id already seen in the run, and where. */
typedef struct seen_id {
  char *id, *where; /* "path:line:col" */
  const char *file; /* the file it is from (in files) */
} seen_id;

/* The ids seen, with a hash index (ASCII case folded, open addressing,
 * entry + 1 per slot): a corpus has thousands of ids. */
typedef struct id_set {
  seen_id *v;
  size_t n;
  size_t *slots, nslots; /* a power of two, at least twice n */
} id_set;

static size_t id_hash(const char *id) {
  size_t h = 14695981039346656037u;
  for (; *id; id++)
    h = (h ^ (unsigned char)tolower((unsigned char)*id)) * 1099511628211u;
  return h;
}

static seen_id *id_find(const id_set *s, const char *id) {
  if (!s->nslots)
    return NULL;
  for (size_t i = id_hash(id) & (s->nslots - 1); s->slots[i]; i = (i + 1) & (s->nslots - 1))
    if (strcasecmp(s->v[s->slots[i] - 1].id, id) == 0)
      return &s->v[s->slots[i] - 1];
  return NULL;
}

static void id_slot(id_set *s, size_t k) {
  size_t i = id_hash(s->v[k].id) & (s->nslots - 1);
  while (s->slots[i])
    i = (i + 1) & (s->nslots - 1);
  s->slots[i] = k + 1;
}

static void id_add(id_set *s, seen_id e) {
  if ((s->n & (s->n - 1)) == 0) { /* full at 0 and at powers of two */
    s->v = realloc(s->v, (s->n ? 2 * s->n : 1) * sizeof *s->v);
    if (!s->v)
      exit(2);
  }
  s->v[s->n++] = e;
  if (2 * s->n > s->nslots) {
    free(s->slots);
    s->nslots = s->nslots ? 2 * s->nslots : 1024;
    s->slots = calloc(s->nslots, sizeof *s->slots);
    if (!s->slots)
      exit(2);
    for (size_t k = 0; k < s->n; k++)
      id_slot(s, k);
  } else {
    id_slot(s, s->n - 1);
  }
}

/* Groups failure messages: quoted text and parenthesized details become
 * an ellipsis, so "no asim table for log source (product: x)" counts with
 * the other log sources. */
static char *reason_of(const char *msg) {
  size_t n = strlen(msg);
  char *r = malloc(n * 3 + 1), *o = r;
  if (!r)
    exit(2);
  for (const char *p = msg; *p;) {
    char close = *p == '\'' ? '\'' : *p == '(' ? ')' : 0;
    const char *end = close ? strchr(p + 1, close) : NULL;
    if (end) {
      *o++ = *p;
      memcpy(o, "\xe2\x80\xa6", 3);
      o += 3;
      *o++ = close;
      p = end + 1;
    } else {
      *o++ = *p++;
    }
  }
  *o = '\0';
  return r;
}

typedef struct reason_count {
  char *reason;
  unsigned n;
} reason_count;

static int cmp_reason(const void *a, const void *b) {
  const reason_count *x = a, *y = b;
  if (x->n != y->n)
    return x->n < y->n ? 1 : -1;
  return strcmp(x->reason, y->reason);
}

static const char *format_ext(const char *format) {
  if (!format || strcmp(format, "kql") == 0)
    return ".kql";
  if (strcmp(format, "sentinel-yaml") == 0)
    return ".yaml";
  return ".json"; /* json (JSON Lines) and arm */
}

/* One context per target of "-t asim,xdr,monitor"; NULL after an error
 * message. */
static sk_ctx **new_contexts(const cli *c, size_t *n) {
  enum { MAX_TARGETS = 8 };
  char names[256];
  snprintf(names, sizeof names, "%s", c->opts.target ? c->opts.target : "asim");
  sk_ctx **ctxs = calloc(MAX_TARGETS, sizeof *ctxs);
  if (!ctxs)
    exit(2);
  *n = 0;
  for (char *t = names, *end; t; t = end) {
    if ((end = strchr(t, ',')))
      *end++ = '\0';
    if (*n == MAX_TARGETS) {
      usage_error("%s", "too many targets (at most 8)");
      break;
    }
    sk_options o = c->opts;
    o.target = t;
    char *err = NULL;
    if (!(ctxs[*n] = sk_ctx_new(&o, &err))) {
      usage_error("%s", err);
      free(err);
      break;
    }
    ++*n;
    if (!end) {
      if (*n == 1 || strcmp(c->opts.format ? c->opts.format : "kql", "json") == 0)
        return ctxs;
      usage_error("%s", "several targets need -f json, whose records name their target");
      break;
    }
  }
  for (size_t k = 0; k < *n; k++)
    sk_ctx_free(ctxs[k]);
  free(ctxs);
  return NULL;
}

static void free_contexts(sk_ctx **ctxs, size_t n) {
  for (size_t k = 0; k < n; k++)
    sk_ctx_free(ctxs[k]);
  free(ctxs);
}

/* convert and check: the rules of every input, one file at a time. */
static int run(cli *c) {
  const char *format = c->opts.format ? c->opts.format : "kql";
  size_t nctx;
  sk_ctx **ctxs = new_contexts(c, &nctx);
  if (!ctxs)
    return 2;
  bool any_dir = false;
  for (size_t i = 0; i < c->inputs.n; i++)
    any_dir |= strcmp(c->inputs.v[i], "-") != 0 && is_dir(c->inputs.v[i]);
  bool deployable = strcmp(format, "arm") == 0 || strcmp(format, "sentinel-yaml") == 0 ||
                    strcmp(format, "json") == 0;
  size_t olen = c->output ? strlen(c->output) : 0;
  bool batch_mode = c->output && (is_dir(c->output) || c->output[olen - 1] == '/' ||
                                  (deployable && (c->inputs.n > 1 || any_dir)));
  if (batch_mode && nctx > 1) {
    free_contexts(ctxs, nctx);
    return usage_error("%s", "several targets cannot share an output directory; "
                             "run once per target, or write JSON to one file");
  }
  batch b = {.dir = c->output, .ext = format_ext(format)};
  struct stat outdir;
  skip_dir_set = batch_mode && stat(c->output, &outdir) == 0;
  if (skip_dir_set) { /* rules are never read from the output tree */
    skip_dev = outdir.st_dev;
    skip_ino = outdir.st_ino;
  }

  /* The rule files, each with its name below an output directory. */
  strvec files = {0}, rels = {0};
  int status = 0;
  for (size_t i = 0; i < c->inputs.n; i++) {
    const char *in = c->inputs.v[i];
    size_t first = files.n;
    bool dir = strcmp(in, "-") != 0 && is_dir(in);
    if (dir) {
      if (!walk(in, &files, 0))
        status = 2;
    } else {
      if (batch_mode && strcmp(in, "-") == 0) {
        free_contexts(ctxs, nctx);
        for (size_t k = 0; k < files.n; k++)
          free(files.v[k]), free(rels.v[k]);
        free(files.v);
        free(rels.v);
        return usage_error("%s", "standard input ('-') cannot be written to an output directory");
      }
      push(&files, xstrdup(in));
    }
    for (size_t k = first; k < files.n; k++)
      push(&rels, relative_name(in, files.v[k], dir));
  }
  if (batch_mode) {
    b.inputs = malloc((files.n ? files.n : 1) * sizeof *b.inputs);
    if (!b.inputs)
      exit(2);
    for (size_t i = 0; i < files.n; i++) {
      struct stat st;
      if (stat(files.v[i], &st) == 0)
        b.inputs[b.ninputs++] = (file_id){st.st_dev, st.st_ino};
    }
    if (!is_dir(c->output) && (!make_parents(c->output) || (mkdir(c->output, 0777) != 0 && errno != EEXIST))) {
      fprintf(stderr, "sigmakql: %s: %s\n", c->output, strerror(errno));
      status = 2;
    }
  }

  FILE *out = stdout;
  char *mem = NULL;
  size_t memlen = 0;
  bool to_memory = c->output && !batch_mode && !c->check;
  if (to_memory && !(out = open_memstream(&mem, &memlen))) {
    fprintf(stderr, "sigmakql: %s\n", strerror(errno));
    free_contexts(ctxs, nctx);
    return 2;
  }
  size_t printed = 0;
  unsigned rules = 0, clean = 0, warned = 0, failed = 0, skipped = 0;
  id_set ids = {0};
  reason_count *reasons = NULL;
  size_t nreasons = 0;
  /* Correlations may refer to rules in any input: look at every file
   * first (standard input is seen only once, when it is compiled). Files
   * are read again to compile them rather than kept, so that memory does
   * not grow with the number of rules; the second read hits the page
   * cache. */
  for (size_t i = 0; i < files.n; i++) {
    if (strcmp(files.v[i], "-") == 0)
      continue;
    size_t len;
    char *data = read_file(files.v[i], &len);
    for (size_t k = 0; data && k < nctx; k++)
      sk_prescan(ctxs[k], files.v[i], data, len);
    free(data);
  }
  /* One pass per file, then one for the correlations (i == files.n); each
   * gives a result per target, taken in turn. */
  sk_result *results = calloc(nctx, sizeof *results);
  int *rcs = calloc(nctx, sizeof *rcs);
  if (!results || !rcs)
    exit(2);
  for (size_t i = 0; i <= files.n; i++) {
    bool correlations = i == files.n;
    size_t nres = nctx;
    if (correlations) {
      nres = 0;
      for (size_t k = 0; k < nctx; k++) {
        rcs[nres] = sk_finish(ctxs[k], &results[nres]);
        if (results[nres].nrules)
          nres++;
        else
          sk_result_free(&results[nres]);
      }
    } else {
      bool in = strcmp(files.v[i], "-") == 0;
      size_t len = 0;
      char *data = in ? read_all(stdin, &len) : read_file(files.v[i], &len);
      if (in && !data) {
        fprintf(stderr, "sigmakql: <stdin>: %s\n", strerror(errno));
        status = 2;
        continue;
      }
      if (data) { /* every target from one parse */
        sk_compile_multi(ctxs, nctx, in ? "<stdin>" : files.v[i], data, len, results);
        for (size_t k = 0; k < nctx; k++)
          rcs[k] = results[k].failed ? 1 : 0;
      } else { /* a file that cannot be read: the library says why */
        for (size_t k = 0; k < nctx; k++)
          rcs[k] = sk_compile_file(ctxs[k], files.v[i], &results[k]);
      }
      free(data);
    }
    for (size_t t = 0; t < nres; t++) {
      sk_result res = results[t];
      int rc = rcs[t];
      fputs(res.diagnostics, stderr);
      const char *path = correlations                  ? "correlations"
                         : strcmp(files.v[i], "-") == 0 ? "<stdin>"
                                                        : files.v[i];
      const char *file_key = correlations ? "correlations" : files.v[i];
      /* Per rule: its status, duplicate ids across files, why it failed. */
      for (size_t r = 0; r < res.nrules; r++) {
        const sk_rule_result *rr = &res.rules_v[r];
        bool warning = false;
        const char *first_error = NULL;
        for (size_t m = 0; m < rr->nmessages; m++) {
          warning |= rr->messages[m].severity == SK_WARNING;
          if (!first_error && rr->messages[m].severity == SK_ERROR)
            first_error = rr->messages[m].message;
        }
        if (rr->id && !rr->skipped) {
          const seen_id *seen = id_find(&ids, rr->id);
          if (seen && seen->file != file_key) {
            fprintf(stderr, "%s:%u:%u: warning: duplicate id '%s'\n%s: note: first used here\n",
                    path, rr->id_line, rr->id_column, rr->id, seen->where);
            warning = true;
          } else if (!seen) {
            char where[64];
            snprintf(where, sizeof where, ":%u:%u", rr->id_line, rr->id_column);
            char *w = malloc(strlen(path) + strlen(where) + 1);
            if (!w)
              exit(2);
            strcpy(w, path);
            strcat(w, where);
            id_add(&ids, (seen_id){xstrdup(rr->id), w, file_key});
          }
        }
        if (rr->skipped) {
          skipped++;
        } else if (rr->ok) {
          if (warning)
            warned++;
          else
            clean++;
        } else {
          failed++;
          char *why = reason_of(first_error ? first_error : "unknown reason");
          size_t k = 0;
          while (k < nreasons && strcmp(reasons[k].reason, why) != 0)
            k++;
          if (k == nreasons) {
            reasons = realloc(reasons, (nreasons + 1) * sizeof *reasons);
            if (!reasons)
              exit(2);
            reasons[nreasons++] = (reason_count){why, 0};
          } else {
            free(why);
          }
          reasons[k].n++;
        }
      }
      rules += res.rules || correlations ? res.rules : 1;
      if (c->check) {
        /* nothing is written */
      } else if (batch_mode) {
        if (!batch_file(&b, &res, correlations ? "correlations.yml" : rels.v[i], path,
                        strcmp(format, "sentinel-yaml") == 0))
          status = 2;
      } else if (res.output_len) {
        /* Files are separated as the format needs: a blank line between KQL
         * queries, '---' between YAML documents. */
        if (printed++) {
          if (strcmp(format, "kql") == 0)
            fputc('\n', out);
          else if (strcmp(format, "sentinel-yaml") == 0)
            fputs("---\n", out);
        }
        fwrite(res.output, 1, res.output_len, out);
      }
      if (rc == 2)
        status = 2;
      sk_result_free(&res);
    }
    if (correlations)
      break;
  }
  free(results);
  free(rcs);
  if (to_memory) {
    fclose(out);
    if (!write_atomic(c->output, mem, memlen))
      status = 2;
    free(mem);
  } else if (!c->check && !batch_mode && fflush(stdout) != 0) {
    fprintf(stderr, "sigmakql: cannot write output: %s\n", strerror(errno));
    status = 2;
  }
  if (files.n > 1 || batch_mode || c->check) {
    /* "3141 rules: 1929 converted, 5 with warnings, 1207 failed" and the
     * most common reasons rules failed. */
    fprintf(stderr, "sigmakql: %u rule%s: %u %s", rules, rules == 1 ? "" : "s", clean,
            c->check ? "clean" : "converted");
    if (warned || c->check)
      fprintf(stderr, ", %u with warnings", warned);
    fprintf(stderr, ", %u %s", failed, c->check ? "with errors" : "failed");
    if (skipped)
      fprintf(stderr, ", %u skipped", skipped);
    fputc('\n', stderr);
    if (nreasons) {
      qsort(reasons, nreasons, sizeof *reasons, cmp_reason);
      fprintf(stderr, "sigmakql: %s: ", c->check ? "errors" : "not convertible");
      unsigned shown = 0;
      for (size_t k = 0; k < nreasons && k < 3; k++) {
        fprintf(stderr, "%s%u %s", k ? "; " : "", reasons[k].n, reasons[k].reason);
        shown += reasons[k].n;
      }
      if (shown < failed)
        fprintf(stderr, "; %u other", failed - shown);
      fputc('\n', stderr);
    }
  }
  if (status != 2) {
    bool bad = c->fail_on == FAIL_ERROR   ? failed > 0
               : c->fail_on == FAIL_WARNING ? failed > 0 || warned > 0
                                            : false;
    status = bad ? 1 : 0;
  }
  for (size_t k = 0; k < ids.n; k++)
    free(ids.v[k].id), free(ids.v[k].where);
  free(ids.v);
  free(ids.slots);
  for (size_t k = 0; k < nreasons; k++)
    free(reasons[k].reason);
  free(reasons);
  for (size_t k = 0; k < files.n; k++)
    free(files.v[k]), free(rels.v[k]);
  free(files.v);
  free(rels.v);
  for (size_t k = 0; k < b.written.n; k++)
    free(b.written.v[k]);
  free(b.written.v);
  free(b.inputs);
  free_contexts(ctxs, nctx);
  return status;
}

static int convert(int argc, char **argv, bool check) {
  cli c = {.check = check};
  int rc = parse_cli(argc, argv, &c);
  if (rc < 0)
    rc = run(&c);
  cli_free(&c);
  return rc;
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
    return usage_error("%s", "list: what? (targets, tables, logsources, entities, fields TABLE)");
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
  sk_malloc_for_batches(); /* a run may compile thousands of files */
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
    return convert(argc - 2, argv + 2, false);
  if (strcmp(cmd, "check") == 0)
    return convert(argc - 2, argv + 2, true);
  if (strcmp(cmd, "list") == 0)
    return list(argc - 2, argv + 2);
  return usage_error("unknown command '%s'", cmd);
}
