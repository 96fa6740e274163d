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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "gen.h"
#include "sigmakql.h"

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
  return p;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_rule_name(const char *s) {
  size_t n = strlen(s);
  return (n > 4 && strcmp(s + n - 4, ".yml") == 0) || (n > 5 && strcmp(s + n - 5, ".yaml") == 0);
}

/* Reads the rule files below dir in the command line's order: names
 * sorted, hidden entries skipped, *.yml and *.yaml. */
static void load_dir(corpus *c, const char *dir) {
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
      load_dir(c, path);
      free(path);
    } else if (is_rule_name(names[i])) {
      size_t flen;
      char *data = read_all(path, &flen);
      add_file(c, path, data, flen);
    } else {
      free(path);
    }
    free(names[i]);
  }
  free(names);
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

/* ---- files on disk, removed at exit ---- */

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

static char **created;
static size_t ncreated;

static void note_created(const char *path) {
  created = xrealloc(created, (ncreated + 1) * sizeof *created);
  created[ncreated++] = xstrdup(path);
}

static void remove_created(void) {
  while (ncreated--) { /* children before their directory */
    remove(created[ncreated]);
    free(created[ncreated]);
  }
  free(created);
  created = NULL;
  ncreated = 0;
}

static void make_dir(const char *path, int track) {
  if (mkdir(path, 0755) != 0 && errno != EEXIST)
    die(strerror(errno), path);
  if (track)
    note_created(path);
}

static void write_file(const char *path, const char *data, size_t len, int track) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
    die(strerror(errno), path);
  if (track)
    note_created(path);
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

static double best_compile(const corpus *c, const config *cf, unsigned times, unsigned runs,
                           tally *out) {
  double best = 1e30;
  for (unsigned r = 0; r < runs; r++) {
    double t0 = now();
    *out = compile_all(c, cf, times);
    double dt = now() - t0;
    if (dt < best)
      best = dt;
  }
  return best;
}

/* ---- the command line, as a child process ---- */

typedef struct run {
  double seconds, rss_mib;
  int status; /* exit status, or 128 + signal */
} run;

static run run_cli(const char *sk, const char *const *args) {
  char *argv[16];
  int n = 0;
  argv[n++] = (char *)"sigmakql";
  while (*args && n < 15)
    argv[n++] = (char *)*args++;
  argv[n] = NULL;
  double t0 = now();
  pid_t pid = fork();
  if (pid < 0)
    die(strerror(errno), "fork");
  if (pid == 0) {
    int fd = open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(sk, argv);
    _exit(127);
  }
  int st;
  struct rusage ru;
  if (wait4(pid, &st, 0, &ru) < 0)
    die(strerror(errno), "wait4");
  run r = {now() - t0, (double)ru.ru_maxrss / 1024.0, 0};
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* ---- main ---- */

static const config configs[] = {
    {"asim", "default", "kql"},    {"xdr", "default", "kql"},   {"monitor", "default", "kql"},
    {"asim", "pysigma", "kql"},    {"asim", "default", "json"}, {"xdr", "default", "json"},
    {"monitor", "default", "json"}, {"asim", "pysigma", "json"},
};
enum { NCONFIGS = sizeof configs / sizeof *configs };

static const char small_rule[] =
    "title: Small rule\nid: 0b6b1e7c-5d8c-4f59-9f1a-3d2c1b0a9e85\nstatus: test\n"
    "logsource:\n    category: process_creation\n    product: windows\n"
    "detection:\n    selection:\n        Image|endswith: '\\cmd.exe'\n"
    "        CommandLine|contains: '/c whoami'\n    condition: selection\nlevel: low\n";

static const char *verdict(int ok) { return ok ? "met" : "MISSED"; }

int main(int argc, char **argv) {
  const char *sk = "build/release/sigmakql", *dir = NULL, *write_corpus = NULL,
             *write_path = NULL;
  unsigned runs = 3, ngen = 3141, startups = 200;
  uint64_t seed = 1;
  int force_gen = 0;
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
    else if (a[0] != '-' && !dir)
      dir = a;
    else
      die("usage: sigmakql-bench [--sk PATH] [--runs N] [--seed S] [--generate N] [DIR]\n"
          "       sigmakql-bench --write-corpus DIR [--seed S] [--generate N]\n"
          "       sigmakql-bench --write-pathological DIR",
          NULL);
  }
  if (runs == 0)
    runs = 1;

  if (write_corpus || write_path) { /* the generator on its own */
    const char *out = write_corpus ? write_corpus : write_path;
    make_dir(out, 0);
    char path[4096];
    if (write_corpus) {
      for (unsigned i = 0; i < ngen; i++) {
        gen_buf b = {0};
        gen_rule(&b, seed, i);
        fmt_path(path, sizeof path, "%s/rule_%05u.yml", out, i);
        write_file(path, b.p, b.len, 0);
        free(b.p);
      }
    } else {
      for (size_t i = 0; i < gen_ncases; i++) {
        gen_buf b = {0};
        gen_cases[i].make(&b);
        fmt_path(path, sizeof path, "%s/%s.yml", out, gen_cases[i].name);
        write_file(path, b.p, b.len, 0);
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
    load_dir(&c, dir);
    printf("corpus: %s: %zu files, %.2f MiB\n", dir, c.n, (double)c.bytes / MIB);
  } else {
    generate(&c, seed, ngen);
    printf("corpus: generated, seed %llu: %zu files, %.2f MiB\n", (unsigned long long)seed, c.n,
           (double)c.bytes / MIB);
  }
  if (c.n == 0)
    die("no rule files", dir);
  double rss_loaded = peak_rss_mib();
  sink = fopen("/dev/null", "w");
  if (!sink)
    die(strerror(errno), "/dev/null");
  setvbuf(sink, NULL, _IOFBF, 1 << 16);

  /* Warm up: page in the corpus and the library once. */
  tally warm = compile_all(&c, &configs[0], 1);
  yaml_events(&c);

  /* (a) floor */
  double floor_s = 1e30;
  unsigned long long events = 0;
  for (unsigned r = 0; r < runs; r++) {
    double t0 = now();
    events = yaml_events(&c);
    double dt = now() - t0;
    if (dt < floor_s)
      floor_s = dt;
  }
  double rules = (double)warm.rules;
  printf("best of %u runs; output written to /dev/null; placeholders given for `expand`\n\n",
         runs);
  printf("%-26s %9s %11s %9s %10s\n", "", "ms", "rules/s", "x floor", "converted");
  printf("%-26s %9.1f %11.0f %9.2f %10s   (%llu events, %.0f MiB/s)\n",
         "(a) libyaml events only", floor_s * 1e3, rules / floor_s, 1.0, "-", events,
         (double)c.bytes / MIB / floor_s);

  /* (b) compile, per target, profile and format */
  double secs[NCONFIGS];
  for (int i = 0; i < NCONFIGS; i++) {
    tally t;
    secs[i] = best_compile(&c, &configs[i], 1, runs, &t);
    char label[64];
    snprintf(label, sizeof label, "(b) %s %s %s", configs[i].target, configs[i].profile,
             configs[i].format);
    printf("%-26s %9.1f %11.0f %9.2f %5llu/%-5llu\n", label, secs[i] * 1e3,
           (double)t.rules / secs[i], secs[i] / floor_s, t.rules - t.failed, t.rules);
  }
  double rss_compiled = peak_rss_mib();
  double kql_worst = 0;
  for (int i = 0; i < 3; i++)
    if (secs[i] / floor_s > kql_worst)
      kql_worst = secs[i] / floor_s;
  double json3 = (secs[4] + secs[5] + secs[6]) / floor_s;
  printf("\none target to KQL (worst of asim, xdr, monitor): %.2f x floor\n", kql_worst);
  printf("all three targets, -f json:                      %.2f x floor\n", json3);

  /* scaling, in this process */
  printf("\nscaling, asim default kql, one process (same files repeated):\n");
  static const unsigned scale[] = {1, 4, 16};
  double sc[3], sc_cli[3] = {0}, rss_cli[3] = {0};
  for (int i = 0; i < 3; i++) {
    tally t;
    sc[i] = best_compile(&c, &configs[0], scale[i], runs, &t);
    printf("  %2ux: %8.1f ms  %7.2f us/rule  %6.2f x the 1x run\n", scale[i], sc[i] * 1e3,
           sc[i] * 1e6 / (double)t.rules, sc[i] / sc[0]);
  }

  /* the command line: one directory per run, the corpus copied k times */
  int have_cli = access(sk, X_OK) == 0;
  double startup_med = 0, startup_mean = 0;
  if (have_cli) {
    const char *tmpdir = getenv("TMPDIR");
    char base[4096];
    fmt_path(base, sizeof base, "%s/sigmakql-bench-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    char *root = mkdtemp(base);
    if (!root)
      die(strerror(errno), "mkdtemp");
    note_created(root);
    char path[4096], first[4096];
    printf("\nscaling, command line `sigmakql convert -t asim DIR`, one directory per run:\n");
    for (int i = 0; i < 3; i++) {
      char rundir[4096];
      fmt_path(rundir, sizeof rundir, "%s/run_%ux", root, scale[i]);
      make_dir(rundir, 1);
      for (unsigned k = 0; k < scale[i]; k++) {
        fmt_path(path, sizeof path, "%s/copy_%02u", rundir, k);
        make_dir(path, 1);
        for (size_t f = 0; f < c.n; f++) {
          fmt_path(path, sizeof path, "%s/copy_%02u/%05zu.yml", rundir, k, f);
          fmt_path(first, sizeof first, "%s/run_1x/copy_00/%05zu.yml", root, f);
          if (strcmp(path, first) == 0 || link(first, path) != 0)
            write_file(path, c.v[f].data, c.v[f].len, 0);
          note_created(path);
        }
      }
      const char *args[] = {"convert", "-t", "asim", rundir, NULL};
      run best = {1e30, 0, 0};
      for (unsigned r = 0; r < runs; r++) {
        run x = run_cli(sk, args);
        if (x.seconds < best.seconds)
          best.seconds = x.seconds;
        if (x.rss_mib > best.rss_mib)
          best.rss_mib = x.rss_mib;
        best.status = x.status;
      }
      sc_cli[i] = best.seconds;
      rss_cli[i] = best.rss_mib;
      printf("  %2ux: %8.1f ms  %7.2f us/rule  %6.2f x the 1x run  peak RSS %.1f MiB  exit %d\n",
             scale[i], best.seconds * 1e3, best.seconds * 1e6 / (rules * scale[i]),
             best.seconds / sc_cli[0], best.rss_mib, best.status);
    }

    /* start-up: one small rule, process start to exit */
    fmt_path(path, sizeof path, "%s/small.yml", root);
    write_file(path, small_rule, sizeof small_rule - 1, 1);
    const char *args[] = {"convert", path, NULL};
    double *t = xrealloc(NULL, startups * sizeof *t);
    int status = 0;
    for (unsigned i = 0; i < startups; i++) {
      run x = run_cli(sk, args);
      t[i] = x.seconds;
      status |= x.status;
      startup_mean += x.seconds / startups;
    }
    qsort(t, startups, sizeof *t, cmp_double);
    startup_med = t[startups / 2];
    printf("\none small rule, process start to exit (%u runs): median %.2f ms, mean %.2f ms, "
           "max %.2f ms%s\n",
           startups, startup_med * 1e3, startup_mean * 1e3, t[startups - 1] * 1e3,
           status ? " (a run failed)" : "");
    free(t);
    remove_created();
  } else {
    printf("\n(command-line runs skipped: %s is not executable; use --sk PATH)\n", sk);
  }

  /* pathological inputs */
  printf("\npathological inputs, asim default kql (limit 100 ms per MiB):\n");
  int path_ok = 1;
  for (size_t i = 0; i < gen_ncases; i++) {
    const gen_case *pc = &gen_cases[i];
    gen_buf b = {0};
    pc->make(&b);
    sk_ctx *ctx = new_ctx(&configs[0]);
    double best = 1e30;
    int rc = 0;
    char first_err[160] = "";
    for (unsigned r = 0; r < runs; r++) {
      sk_result res;
      double t0 = now();
      rc = sk_compile_mem(ctx, pc->name, b.p, b.len, &res);
      fwrite(res.output, 1, res.output_len, sink);
      double dt = now() - t0;
      if (dt < best)
        best = dt;
      const char *e = strstr(res.diagnostics, "error: ");
      if (e) {
        size_t n = strcspn(e, "\n");
        snprintf(first_err, sizeof first_err, "%.*s", (int)(n < 100 ? n : 100), e);
      }
      sk_result_free(&res);
    }
    sk_ctx_free(ctx);
    double mib = (double)b.len / MIB;
    int fast = best * 1e3 <= 100.0 * mib;
    int right = rc == pc->expect && (!pc->diag || strstr(first_err, pc->diag));
    path_ok &= fast && right;
    printf("  %-16s %8.3f MiB %8.2f ms %7.1f ms/MiB  exit %d %s%s%s\n", pc->name, mib,
           best * 1e3, best * 1e3 / mib, rc, right ? "" : "(UNEXPECTED) ", fast ? "" : "(SLOW) ",
           first_err);
    free(b.p);
  }

  double rss_end = peak_rss_mib();
  printf("\npeak RSS: this process %.1f MiB after loading the corpus, %.1f MiB after compiling it "
         "8 ways, %.1f MiB at the end (pathological inputs included)\n",
         rss_loaded, rss_compiled, rss_end);
  if (have_cli)
    printf("          command line, whole corpus: %.1f MiB (1x), %.1f MiB (16x)\n", rss_cli[0],
           rss_cli[2]);

  printf("\ngoals:\n");
  printf("  one target to KQL <= 2x floor:           %5.2f x      %s\n", kql_worst,
         verdict(kql_worst <= 2));
  printf("  three targets, -f json <= 5x floor:      %5.2f x      %s\n", json3,
         verdict(json3 <= 5));
  if (have_cli) {
    printf("  peak RSS, whole corpus < 32 MiB:         %5.1f MiB    %s\n", rss_cli[0],
           verdict(rss_cli[0] < 32));
    printf("  one small rule, start to exit < 5 ms:    %5.2f ms     %s\n", startup_med * 1e3,
           verdict(startup_med < 0.005));
    printf("  16x run <= 17x the 1x run (CLI):         %5.2f x      %s\n", sc_cli[2] / sc_cli[0],
           verdict(sc_cli[2] / sc_cli[0] <= 17));
  }
  printf("  16x run <= 17x the 1x run (in process):  %5.2f x      %s\n", sc[2] / sc[0],
         verdict(sc[2] / sc[0] <= 17));
  printf("  pathological inputs, right and fast:     %s\n", verdict(path_ok));

  fclose(sink);
  for (size_t i = 0; i < c.n; i++) {
    free(c.v[i].path);
    free(c.v[i].data);
  }
  free(c.v);
  return 0;
}
