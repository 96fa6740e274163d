/* bench.c - sigmakql-bench: how fast the compiler is compared with reading
 * the rules at all. In one process and over the same files, all read into
 * memory first: (a) the floor, libyaml's event loop over every file with no
 * tree; (b) sk_compile_mem for each target and format, the output written
 * to /dev/null; then scaling (the corpus 1x, 4x and 16x, in this process
 * and through the command line over one directory per run), the start-up
 * cost of one small rule, the pathological inputs of gen.c, and peak
 * memory. Only the public API (sigmakql.h) is used.
 *
 *   sigmakql-bench [--sk PATH] [--runs N] [--seed S] [--generate N] [DIR]
 *   sigmakql-bench --write-corpus DIR [--seed S] [--generate N]
 *   sigmakql-bench --write-pathological DIR
 *   sigmakql-bench --only floor|TARGET/PROFILE/FORMAT [DIR]   (one pass, for
 *       perf or valgrind --tool=callgrind --toggle-collect=yaml_events ...)
 *
 * DIR defaults to ../shared/corpus/sigma/rules, else a corpus generated
 * from --seed (default 1) of --generate rules (default 3141). */
#define _DEFAULT_SOURCE /* wait4 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "gen.h"
#include "sigmakql.h"

extern char **environ;

#define DEFAULT_CORPUS "../shared/corpus/sigma/rules"
#define MIB (1024.0 * 1024.0)

static void die(const char *what, const char *arg) {
  fprintf(stderr, "sigmakql-bench: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
  exit(2);
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n);
  if (!p)
    die("out of memory", NULL);
  return p;
}

static char *xstrdup(const char *s) {
  char *p = xrealloc(NULL, strlen(s) + 1);
  strcpy(p, s);
  return p;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU time of this process: a cross-check when other work shares the
 * machine, since wall time then includes waiting for a CPU. */
static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Best (least) wall and CPU time over runs. */
typedef struct timing {
  double wall, cpu;
} timing;

static void keep_best(timing *best, double wall0, double cpu0) {
  double w = now() - wall0, c = cpu_now() - cpu0;
  if (w < best->wall)
    best->wall = w;
  if (c < best->cpu)
    best->cpu = c;
}

static double peak_rss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

/* ---- the corpus, in memory ---- */

typedef struct file {
  char *path; /* as found, or a made-up name for generated rules */
  char *data;
  size_t len;
} file;

typedef struct corpus {
  file *v;
  size_t n, cap;
  size_t bytes;
} corpus;

static void add_file(corpus *c, char *path, char *data, size_t len) {
  if (c->n == c->cap)
    c->v = xrealloc(c->v, (c->cap = c->cap ? c->cap * 2 : 1024) * sizeof *c->v);
  c->v[c->n++] = (file){path, data, len};
  c->bytes += len;
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    die(strerror(errno), path);
  size_t cap = 8192, n = 0, got;
  char *p = xrealloc(NULL, cap);
  while ((got = fread(p + n, 1, cap - n, f)) > 0)
    if ((n += got) == cap)
      p = xrealloc(p, cap *= 2);
  if (ferror(f))
    die(strerror(errno), path);
  fclose(f);
  *len = n;
  return xrealloc(p, n ? n : 1); /* no slack: the corpus is measured in RSS */
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_rule_name(const char *s) {
  size_t n = strlen(s);
  return (n > 4 && strcmp(s + n - 4, ".yml") == 0) || (n > 5 && strcmp(s + n - 5, ".yaml") == 0);
}

/* Lists the rule files below dir in the command line's order: names
 * sorted, hidden entries skipped, *.yml and *.yaml. load_data reads them. */
static void list_dir(corpus *c, const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    die(strerror(errno), dir);
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') {
      names = xrealloc(names, (n + 1) * sizeof *names);
      names[n++] = xstrdup(e->d_name);
    }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(dir) + strlen(names[i]) + 2;
    char *path = xrealloc(NULL, len);
    snprintf(path, len, "%s/%s", dir, names[i]);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      list_dir(c, path);
      free(path);
    } else if (is_rule_name(names[i])) {
      add_file(c, path, NULL, 0);
    } else {
      free(path);
    }
    free(names[i]);
  }
  free(names);
}

static void free_corpus(corpus *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->v[i].path);
    free(c->v[i].data);
  }
  free(c->v);
}

static void load_data(corpus *c) {
  for (size_t i = 0; i < c->n; i++)
    if (!c->v[i].data) {
      c->v[i].data = read_all(c->v[i].path, &c->v[i].len);
      c->bytes += c->v[i].len;
    }
}

static void generate(corpus *c, uint64_t seed, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    gen_buf b = {0};
    gen_rule(&b, seed, i);
    char name[64];
    snprintf(name, sizeof name, "generated/rule_%05u.yml", i);
    add_file(c, xstrdup(name), b.p, b.len);
  }
}

/* ---- files on disk ---- */

/* snprintf into a path buffer; a path too long is fatal, not truncated. */
static void fmt_path(char *dst, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt_path(char *dst, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(dst, n, fmt, ap);
  va_end(ap);
  if (k < 0 || (size_t)k >= n)
    die("path too long", fmt);
}

/* Removes dir and everything below it. */
static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
        fmt_path(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
          remove_tree(path);
        else
          unlink(path);
      }
    closedir(d);
  }
  rmdir(dir);
}

static void make_dir(const char *path) {
  if (mkdir(path, 0755) != 0 && errno != EEXIST)
    die(strerror(errno), path);
}

static void write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
    die(strerror(errno), path);
}

/* ---- (a) the floor: libyaml events, no tree ---- */

static unsigned long long yaml_events(const corpus *c) {
  unsigned long long events = 0;
  for (size_t i = 0; i < c->n; i++) {
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
      die("yaml_parser_initialize failed", NULL);
    yaml_parser_set_input_string(&p, (const unsigned char *)c->v[i].data, c->v[i].len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    for (;;) {
      yaml_event_t ev;
      if (!yaml_parser_parse(&p, &ev))
        break; /* a broken file costs what it costs */
      events++;
      int end = ev.type == YAML_STREAM_END_EVENT;
      yaml_event_delete(&ev);
      if (end)
        break;
    }
    yaml_parser_delete(&p);
  }
  return events;
}

/* ---- (b) compiling ---- */

typedef struct config {
  const char *target, *profile, *format;
} config;

typedef struct tally {
  unsigned long long rules, failed, files, bytes_out;
} tally;

static FILE *sink;

static sk_ctx *new_ctx(const config *cf) {
  sk_options o = {.target = cf->target,
                  .profile = cf->profile,
                  .format = cf->format,
                  .placeholders = gen_placeholders,
                  .nplaceholders = gen_nplaceholders};
  char *err = NULL;
  sk_ctx *ctx = sk_ctx_new(&o, &err);
  if (!ctx)
    die(err, cf->target);
  return ctx;
}

/* Compiles every file `times` times with one context, as the command line
 * does, writing output and diagnostics to the sink. */
static tally compile_all(const corpus *c, const config *cf, unsigned times) {
  tally t = {0};
  sk_ctx *ctx = new_ctx(cf);
  for (unsigned k = 0; k < times; k++)
    for (size_t i = 0; i < c->n; i++) {
      sk_result res;
      sk_compile_mem(ctx, c->v[i].path, c->v[i].data, c->v[i].len, &res);
      fwrite(res.output, 1, res.output_len, sink);
      fputs(res.diagnostics, sink);
      t.rules += res.rules;
      t.failed += res.failed;
      t.files++;
      t.bytes_out += res.output_len;
      sk_result_free(&res);
    }
  sk_ctx_free(ctx);
  return t;
}

/* The configs together through sk_compile_multi: each file parsed once. */
static tally compile_multi(const corpus *c, const config *cfs, int n) {
  tally t = {0};
  sk_ctx *ctxs[8];
  sk_result res[8];
  for (int k = 0; k < n; k++)
    ctxs[k] = new_ctx(&cfs[k]);
  for (size_t i = 0; i < c->n; i++) {
    sk_compile_multi(ctxs, (size_t)n, c->v[i].path, c->v[i].data, c->v[i].len, res);
    for (int k = 0; k < n; k++) {
      fwrite(res[k].output, 1, res[k].output_len, sink);
      fputs(res[k].diagnostics, sink);
      t.rules += res[k].rules;
      t.failed += res[k].failed;
      t.bytes_out += res[k].output_len;
      sk_result_free(&res[k]);
    }
    t.files++;
  }
  for (int k = 0; k < n; k++)
    sk_ctx_free(ctxs[k]);
  return t;
}

/* ---- the command line, as a child process ---- */

typedef struct run {
  double seconds, cpu, rss_mib; /* wall, user + system, peak RSS */
  int status; /* exit status, or 128 + signal */
} run;

static run run_cli(const char *sk, const char *const *args) {
  char *argv[16];
  int n = 0;
  argv[n++] = (char *)"sigmakql";
  while (*args && n < 15)
    argv[n++] = (char *)*args++;
  argv[n] = NULL;
  /* posix_spawn, not fork: a forked child's peak RSS would start from
   * this process's, corpus included. */
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  double t0 = now();
  pid_t pid;
  int err = posix_spawn(&pid, sk, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err)
    die(strerror(err), sk);
  int st;
  struct rusage ru;
  if (wait4(pid, &st, 0, &ru) < 0)
    die(strerror(errno), "wait4");
  run r = {now() - t0,
           (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6,
           (double)ru.ru_maxrss / 1024.0, 0};
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* ---- the command line, over files on disk ---- */

typedef struct cli_results {
  int ran;
  double wall[3], cpu[3], rss[3]; /* the corpus 1x, 4x, 16x */
  int status[3];
  double start_med, start_cpu, start_mean, start_min; /* one small rule */
  int start_status;
  double own_rss; /* this process's peak when it spawned them */
} cli_results;

static const unsigned scale[] = {1, 4, 16};

static const char small_rule[] =
    "title: Small rule\nid: 0b6b1e7c-5d8c-4f59-9f1a-3d2c1b0a9e85\nstatus: test\n"
    "logsource:\n    category: process_creation\n    product: windows\n"
    "detection:\n    selection:\n        Image|endswith: '\\cmd.exe'\n"
    "        CommandLine|contains: '/c whoami'\n    condition: selection\nlevel: low\n";

/* Runs `sigmakql convert` over one directory per run, holding the corpus
 * (c's files, or rules generated from seed when c has none) 1, 4 and 16
 * times, then over one small rule many times. Called before the corpus is
 * read into memory: Linux carries the parent's peak RSS into a child's
 * ru_maxrss across fork and exec, so this process must still be small. */
static void cli_section(const char *sk, const corpus *c, uint64_t seed, unsigned ngen,
                        unsigned runs, unsigned startups, cli_results *o) {
  memset(o, 0, sizeof *o);
  if (access(sk, X_OK) != 0)
    return;
  o->ran = 1;
  const char *tmpdir = getenv("TMPDIR");
  char base[4096];
  fmt_path(base, sizeof base, "%s/sigmakql-bench-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  char *root = mkdtemp(base);
  if (!root)
    die(strerror(errno), "mkdtemp");
  size_t nfiles = c->n ? c->n : ngen;
  char path[4096], first[4096];
  for (int i = 0; i < 3; i++) {
    char rundir[4096];
    fmt_path(rundir, sizeof rundir, "%s/run_%ux", root, scale[i]);
    make_dir(rundir);
    for (unsigned k = 0; k < scale[i]; k++) {
      fmt_path(path, sizeof path, "%s/copy_%02u", rundir, k);
      make_dir(path);
      for (size_t f = 0; f < nfiles; f++) {
        fmt_path(path, sizeof path, "%s/copy_%02u/%05zu.yml", rundir, k, f);
        fmt_path(first, sizeof first, "%s/run_1x/copy_00/%05zu.yml", root, f);
        const char *from = strcmp(path, first) == 0 ? (c->n ? c->v[f].path : NULL) : first;
        if (!from || link(from, path) != 0) { /* hard links where the file system allows */
          size_t len;
          char *data;
          if (c->n) {
            data = read_all(c->v[f].path, &len);
          } else {
            gen_buf b = {0};
            gen_rule(&b, seed, (unsigned)f);
            data = b.p, len = b.len;
          }
          write_file(path, data, len);
          free(data);
        }
      }
    }
  }
  /* A warm-up round, then the three sizes take turns. */
  for (int i = 0; i < 3; i++)
    o->wall[i] = o->cpu[i] = 1e30;
  for (unsigned r = 0; r <= runs; r++)
    for (int i = 0; i < 3; i++) {
      char rundir[4096];
      fmt_path(rundir, sizeof rundir, "%s/run_%ux", root, scale[i]);
      const char *args[8] = {"convert", "-t", "asim"};
      int na = 3;
      for (size_t k = 0; k < gen_nplaceholders && na < 6; k++) {
        args[na++] = "--placeholder";
        args[na++] = gen_placeholders[k];
      }
      args[na++] = rundir;
      args[na] = NULL;
      run x = run_cli(sk, args);
      if (r == 0)
        continue;
      o->wall[i] = x.seconds < o->wall[i] ? x.seconds : o->wall[i];
      o->cpu[i] = x.cpu < o->cpu[i] ? x.cpu : o->cpu[i];
      o->rss[i] = x.rss_mib > o->rss[i] ? x.rss_mib : o->rss[i];
      o->status[i] = x.status;
    }

  fmt_path(path, sizeof path, "%s/small.yml", root);
  write_file(path, small_rule, sizeof small_rule - 1);
  const char *args[] = {"convert", path, NULL};
  double *t = xrealloc(NULL, 2 * startups * sizeof *t), *tc = t + startups;
  for (unsigned i = 0; i < startups; i++) {
    run x = run_cli(sk, args);
    t[i] = x.seconds;
    tc[i] = x.cpu;
    o->start_status |= x.status;
    o->start_mean += x.seconds / startups;
  }
  qsort(t, startups, sizeof *t, cmp_double);
  qsort(tc, startups, sizeof *tc, cmp_double);
  o->start_med = t[startups / 2];
  o->start_cpu = tc[startups / 2];
  o->start_min = t[0];
  free(t);
  o->own_rss = peak_rss_mib();
  remove_tree(root);
}

/* ---- main ---- */

static const config configs[] = {
    {"asim", "default", "kql"},    {"xdr", "default", "kql"},   {"monitor", "default", "kql"},
    {"asim", "pysigma", "kql"},    {"asim", "default", "json"}, {"xdr", "default", "json"},
    {"monitor", "default", "json"}, {"asim", "pysigma", "json"},
};
enum { NCONFIGS = sizeof configs / sizeof *configs };

static const char *verdict(int ok) { return ok ? "met" : "MISSED"; }

int main(int argc, char **argv) {
  const char *sk = "build/release/sigmakql", *dir = NULL, *write_corpus = NULL,
             *write_path = NULL, *only = NULL;
  unsigned runs = 3, ngen = 3141, startups = 200;
  uint64_t seed = 1;
  int force_gen = 0;
  /* The malloc setting of the command line (src/main.c), for the floor
   * and the compiles alike: the numbers are those of `sigmakql convert`. */
  sk_malloc_for_batches();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--sk") == 0 && v)
      sk = v, i++;
    else if (strcmp(a, "--runs") == 0 && v)
      runs = (unsigned)strtoul(v, NULL, 10), i++;
    else if (strcmp(a, "--seed") == 0 && v)
      seed = strtoull(v, NULL, 10), i++;
    else if (strcmp(a, "--generate") == 0 && v)
      ngen = (unsigned)strtoul(v, NULL, 10), force_gen = 1, i++;
    else if (strcmp(a, "--write-corpus") == 0 && v)
      write_corpus = v, i++;
    else if (strcmp(a, "--write-pathological") == 0 && v)
      write_path = v, i++;
    else if (strcmp(a, "--only") == 0 && v)
      only = v, i++;
    else if (a[0] != '-' && !dir)
      dir = a;
    else
      die("usage: sigmakql-bench [--sk PATH] [--runs N] [--seed S] [--generate N] [DIR]\n"
          "       sigmakql-bench --write-corpus DIR [--seed S] [--generate N]\n"
          "       sigmakql-bench --write-pathological DIR\n"
          "       sigmakql-bench --only floor|json3|TARGET/PROFILE/FORMAT [DIR]",
          NULL);
  }
  if (runs == 0)
    runs = 1;

  if (write_corpus || write_path) { /* the generator on its own */
    const char *out = write_corpus ? write_corpus : write_path;
    make_dir(out);
    char path[4096];
    if (write_corpus) {
      for (unsigned i = 0; i < ngen; i++) {
        gen_buf b = {0};
        gen_rule(&b, seed, i);
        fmt_path(path, sizeof path, "%s/rule_%05u.yml", out, i);
        write_file(path, b.p, b.len);
        free(b.p);
      }
    } else {
      for (size_t i = 0; i < gen_ncases; i++) {
        gen_buf b = {0};
        gen_cases[i].make(&b);
        fmt_path(path, sizeof path, "%s/%s.yml", out, gen_cases[i].name);
        write_file(path, b.p, b.len);
        free(b.p);
      }
    }
    return 0;
  }

  corpus c = {0};
  struct stat st;
  if (!dir && !force_gen && stat(DEFAULT_CORPUS, &st) == 0 && S_ISDIR(st.st_mode))
    dir = DEFAULT_CORPUS;
  if (dir) {
    list_dir(&c, dir);
    if (c.n == 0)
      die("no rule files", dir);
  }
  cli_results cli;
  if (!only)
    cli_section(sk, &c, seed, ngen, runs, startups, &cli);
  if (dir) {
    load_data(&c);
    printf("corpus: %s: %zu files, %.2f MiB\n", dir, c.n, (double)c.bytes / MIB);
  } else {
    generate(&c, seed, ngen);
    printf("corpus: generated, seed %llu: %zu files, %.2f MiB\n", (unsigned long long)seed, c.n,
           (double)c.bytes / MIB);
  }
  double rss_loaded = peak_rss_mib();
  if (only) { /* one pass of one thing, for a profiler */
    double w0 = now();
    if (strcmp(only, "floor") == 0) {
      yaml_events(&c);
    } else if (strcmp(only, "json3") == 0) {
      sink = fopen("/dev/null", "w");
      if (!sink)
        die(strerror(errno), "/dev/null");
      compile_multi(&c, &configs[4], 3);
      fclose(sink);
    } else {
      char spec[128];
      snprintf(spec, sizeof spec, "%s", only);
      char *p1 = strchr(spec, '/'), *p2 = p1 ? strchr(p1 + 1, '/') : NULL;
      if (!p2)
        die("--only wants floor or TARGET/PROFILE/FORMAT", only);
      *p1++ = '\0';
      *p2++ = '\0';
      config cf = {spec, p1, p2};
      sink = fopen("/dev/null", "w");
      if (!sink)
        die(strerror(errno), "/dev/null");
      compile_all(&c, &cf, 1);
      fclose(sink);
    }
    printf("%s: %.1f ms, peak RSS %.1f MiB\n", only, (now() - w0) * 1e3, peak_rss_mib());
    free_corpus(&c);
    return 0;
  }
  sink = fopen("/dev/null", "w");
  if (!sink)
    die(strerror(errno), "/dev/null");
  setvbuf(sink, NULL, _IOFBF, 1 << 16);

  /* Warm up: page in the corpus and the library once. */
  tally warm = compile_all(&c, &configs[0], 1);
  yaml_events(&c);

  /* (a) and (b) take turns, run after run, so that a burst of other work
   * on the machine cannot favour one of them. */
  timing fl = {1e30, 1e30}, tm[NCONFIGS];
  tally tl[NCONFIGS];
  unsigned long long events = 0;
  for (int i = 0; i < NCONFIGS; i++)
    tm[i] = fl;
  timing tm3 = fl;
  tally tl3 = {0};
  for (unsigned r = 0; r < runs; r++) {
    double w0 = now(), c0 = cpu_now();
    events = yaml_events(&c);
    keep_best(&fl, w0, c0);
    for (int i = 0; i < NCONFIGS; i++) {
      w0 = now(), c0 = cpu_now();
      tl[i] = compile_all(&c, &configs[i], 1);
      keep_best(&tm[i], w0, c0);
    }
    w0 = now(), c0 = cpu_now();
    tl3 = compile_multi(&c, &configs[4], 3); /* the three json configs */
    keep_best(&tm3, w0, c0);
  }
  double rules = (double)warm.rules;
  printf("best of %u runs; output written to /dev/null; placeholders given for `expand`;\n"
         "wall time (CLOCK_MONOTONIC), with CPU time as a cross-check\n\n",
         runs);
  printf("%-26s %9s %9s %11s %9s %9s %12s\n", "", "wall ms", "cpu ms", "rules/s", "x floor",
         "(cpu)", "converted");
  printf("%-26s %9.1f %9.1f %11.0f %9.2f %9.2f %12s   %llu events, %.0f MiB/s\n",
         "(a) libyaml events only", fl.wall * 1e3, fl.cpu * 1e3, rules / fl.wall, 1.0, 1.0, "-",
         events, (double)c.bytes / MIB / fl.wall);

  /* (b) compile, per target, profile and format */
  double secs[NCONFIGS], cpus[NCONFIGS];
  for (int i = 0; i < NCONFIGS; i++) {
    secs[i] = tm[i].wall;
    cpus[i] = tm[i].cpu;
    char label[64];
    snprintf(label, sizeof label, "(b) %s %s %s", configs[i].target, configs[i].profile,
             configs[i].format);
    printf("%-26s %9.1f %9.1f %11.0f %9.2f %9.2f %6llu/%-5llu\n", label, tm[i].wall * 1e3,
           tm[i].cpu * 1e3, (double)tl[i].rules / tm[i].wall, tm[i].wall / fl.wall,
           tm[i].cpu / fl.cpu, tl[i].rules - tl[i].failed, tl[i].rules);
  }
  double rss_compiled = peak_rss_mib();
  double kql_worst = 0, kql_worst_cpu = 0;
  for (int i = 0; i < 3; i++) {
    if (secs[i] / fl.wall > kql_worst)
      kql_worst = secs[i] / fl.wall;
    if (cpus[i] / fl.cpu > kql_worst_cpu)
      kql_worst_cpu = cpus[i] / fl.cpu;
  }
  printf("%-26s %9.1f %9.1f %11.0f %9.2f %9.2f %6llu/%-5llu\n", "(b) all three json, 1 parse",
         tm3.wall * 1e3, tm3.cpu * 1e3, (double)tl3.rules / tm3.wall, tm3.wall / fl.wall,
         tm3.cpu / fl.cpu, tl3.rules - tl3.failed, tl3.rules);
  /* The three targets through the library's sk_compile_multi: one parse
   * per file (the command line still runs one target per invocation). */
  double json3 = tm3.wall / fl.wall, json3_cpu = tm3.cpu / fl.cpu;
  printf("\none target to KQL (worst of asim, xdr, monitor): %5.2f x floor (cpu %.2f)\n",
         kql_worst, kql_worst_cpu);
  printf("all three targets, -f json:                      %5.2f x floor (cpu %.2f)\n", json3,
         json3_cpu);

  /* scaling, in this process */
  printf("\nscaling, asim default kql, one process (same files repeated):\n");
  double sc[3], sc_cpu[3];
  timing st3[3] = {{1e30, 1e30}, {1e30, 1e30}, {1e30, 1e30}};
  tally t3[3];
  for (unsigned r = 0; r < runs; r++)
    for (int i = 0; i < 3; i++) {
      double w0 = now(), c0 = cpu_now();
      t3[i] = compile_all(&c, &configs[0], scale[i]);
      keep_best(&st3[i], w0, c0);
    }
  for (int i = 0; i < 3; i++) {
    sc[i] = st3[i].wall;
    sc_cpu[i] = st3[i].cpu;
    printf("  %2ux: %8.1f ms  %7.2f us/rule  %6.2f x the 1x run (cpu %.2f)\n", scale[i],
           sc[i] * 1e3, sc[i] * 1e6 / (double)t3[i].rules, sc[i] / sc[0], sc_cpu[i] / sc_cpu[0]);
  }

  if (cli.ran) {
    printf("\nscaling, command line `sigmakql convert -t asim DIR`, one directory per run:\n");
    for (int i = 0; i < 3; i++)
      printf("  %2ux: %8.1f ms  %7.2f us/rule  %6.2f x the 1x run (cpu %.2f)  peak RSS %.1f MiB"
             "  exit %d\n",
             scale[i], cli.wall[i] * 1e3, cli.wall[i] * 1e6 / (rules * scale[i]),
             cli.wall[i] / cli.wall[0], cli.cpu[i] / cli.cpu[0], cli.rss[i], cli.status[i]);
    printf("\none small rule, process start to exit (%u runs): median %.2f ms (cpu %.2f ms), "
           "mean %.2f ms, min %.2f ms%s\n",
           startups, cli.start_med * 1e3, cli.start_cpu * 1e3, cli.start_mean * 1e3,
           cli.start_min * 1e3, cli.start_status ? " (a run failed)" : "");
  } else {
    printf("\n(command-line runs skipped: %s is not executable; use --sk PATH)\n", sk);
  }

  /* pathological inputs */
  printf("\npathological inputs, asim default kql (limit 100 ms per MiB, at least 5 ms):\n");
  int path_ok = 1;
  for (size_t i = 0; i < gen_ncases; i++) {
    const gen_case *pc = &gen_cases[i];
    gen_buf b = {0};
    pc->make(&b);
    sk_ctx *ctx = new_ctx(&configs[0]);
    timing best = {1e30, 1e30};
    int rc = 0;
    char first_err[160] = "";
    for (unsigned r = 0; r < runs; r++) {
      sk_result res;
      double w0 = now(), c0 = cpu_now();
      rc = sk_compile_mem(ctx, pc->name, b.p, b.len, &res);
      fwrite(res.output, 1, res.output_len, sink);
      keep_best(&best, w0, c0);
      const char *e = strstr(res.diagnostics, "error: ");
      if (e) {
        size_t n = strcspn(e, "\n");
        snprintf(first_err, sizeof first_err, "%.*s", (int)(n < 100 ? n : 100), e);
      }
      sk_result_free(&res);
    }
    sk_ctx_free(ctx);
    double mib = (double)b.len / MIB;
    /* 100 ms per MiB; any input may take 5 ms, the start-up budget */
    int fast = best.wall * 1e3 <= (mib > 0.05 ? 100.0 * mib : 5.0);
    int right = (pc->expect < 0 ? rc <= 1 : rc == pc->expect) &&
                (rc == 0 ? !first_err[0] : first_err[0] && (!pc->diag || strstr(first_err, pc->diag)));
    path_ok &= fast && right;
    printf("  %-16s %7.3f MiB %8.2f ms %7.1f ms/MiB (cpu %6.1f)  exit %d %s%s%s\n", pc->name,
           mib, best.wall * 1e3, best.wall * 1e3 / mib, best.cpu * 1e3 / mib, rc,
           right ? "" : "(UNEXPECTED) ", fast ? "" : "(SLOW) ", first_err);
    free(b.p);
  }

  double rss_end = peak_rss_mib();
  printf("\npeak RSS: this process %.1f MiB after loading the corpus, %.1f MiB after compiling it "
         "8 ways, %.1f MiB at the end (pathological inputs included)\n",
         rss_loaded, rss_compiled, rss_end);
  if (cli.ran)
    printf("          command line, whole corpus: %.1f MiB (1x), %.1f MiB (16x); its parent "
           "peaked at %.1f MiB\n",
           cli.rss[0], cli.rss[2], cli.own_rss);

  printf("\ngoals:\n");
  printf("  one target to KQL <= 2x floor:           %5.2f x      %s (cpu %.2f x)\n", kql_worst,
         verdict(kql_worst <= 2), kql_worst_cpu);
  printf("  three targets, -f json <= 5x floor:      %5.2f x      %s (cpu %.2f x)\n", json3,
         verdict(json3 <= 5), json3_cpu);
  if (cli.ran) {
    printf("  peak RSS, whole corpus < 32 MiB:         %5.1f MiB    %s\n", cli.rss[0],
           verdict(cli.rss[0] < 32));
    printf("  one small rule, start to exit < 5 ms:    %5.2f ms     %s (cpu %.2f ms)\n",
           cli.start_med * 1e3, verdict(cli.start_med < 0.005), cli.start_cpu * 1e3);
    printf("  16x run <= 17x the 1x run (CLI):         %5.2f x      %s (cpu %.2f x)\n",
           cli.wall[2] / cli.wall[0], verdict(cli.wall[2] / cli.wall[0] <= 17),
           cli.cpu[2] / cli.cpu[0]);
  }
  printf("  16x run <= 17x the 1x run (in process):  %5.2f x      %s (cpu %.2f x)\n",
         sc[2] / sc[0], verdict(sc[2] / sc[0] <= 17), sc_cpu[2] / sc_cpu[0]);
  printf("  pathological inputs, right and fast:     %s\n", verdict(path_ok));

  fclose(sink);
  free_corpus(&c);
  return 0;
}
