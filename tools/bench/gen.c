/* gen.c - the benchmark's rule generator (see gen.h).
 * A corpus rule is built from small word pools by a splitmix64 stream seeded
 * with (seed, index): metadata like SigmaHQ's, one of six log sources, 1-4
 * selections and 0-3 filters whose items use every value modifier, and a
 * condition drawn from every form of grammar/condition.ebnf. The
 * pathological inputs are the same as testdata/pathological.sh builds with
 * awk; keep the two in step. */
#include "gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer ---- */

static void grow(gen_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra + 1)
    cap *= 2;
  b->p = realloc(b->p, cap);
  if (!b->p) {
    fputs("sigmakql-bench: out of memory\n", stderr);
    exit(2);
  }
  b->cap = cap;
}

void gen_put(gen_buf *b, const char *s, size_t n) {
  grow(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void gen_puts(gen_buf *b, const char *s) { gen_put(b, s, strlen(s)); }

void gen_printf(gen_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  grow(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* ---- random stream: splitmix64, the same on every platform ---- */

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t next(rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static unsigned below(rng *r, unsigned n) { return (unsigned)(next(r) % n); }
static int chance(rng *r, unsigned percent) { return below(r, 100) < percent; }
#define COUNT(a) (sizeof(a) / sizeof *(a))
#define PICK(r, a) ((a)[below((r), (unsigned)COUNT(a))])

/* ---- word pools ---- */

static const char *const exes[] = {
    "cmd.exe",      "powershell.exe", "pwsh.exe",     "rundll32.exe", "regsvr32.exe",
    "mshta.exe",    "wscript.exe",    "cscript.exe",  "certutil.exe", "bitsadmin.exe",
    "wmic.exe",     "msiexec.exe",    "schtasks.exe", "reg.exe",      "net.exe",
    "net1.exe",     "sc.exe",         "vssadmin.exe", "bcdedit.exe",  "wevtutil.exe",
    "cmstp.exe",    "msbuild.exe",    "installutil.exe", "odbcconf.exe", "forfiles.exe",
};
static const char *const dirs[] = {
    "C:\\Windows\\System32\\", "C:\\Windows\\SysWOW64\\", "C:\\ProgramData\\",
    "C:\\Users\\Public\\",     "\\AppData\\Local\\Temp\\", "\\AppData\\Roaming\\",
    "C:\\Windows\\Temp\\",     "\\Downloads\\",            "C:\\PerfLogs\\",
    "\\Desktop\\",
};
static const char *const cmds[] = {
    " -enc ",          " -nop ",           "/c whoami",         "Invoke-Expression",
    "DownloadString(", "FromBase64String", " delete shadows",   "/create /sc ",
    " -w hidden ",     "add HKLM\\",       "http://",           "\\\\127.0.0.1\\ADMIN$",
    "-ExecutionPolicy Bypass", "resize shadowstorage", "/transfer ", " -urlcache ",
    "javascript:",     "vbscript:",        "sekurlsa::",        " /node:",
    "ntdsutil",        "comsvcs.dll",      "MiniDump",          "IEX (New-Object",
};
static const char *const linux_paths[] = {
    "/tmp/", "/dev/shm/", "/usr/bin/curl", "/bin/bash", "/usr/bin/wget", "/var/tmp/",
    "/usr/bin/python3", "/bin/sh", "/usr/sbin/useradd", "/etc/cron.d/",
};
static const char *const linux_cmds[] = {
    "base64 -d", "| sh", "chmod +x", "/etc/passwd", "nc -e", "LD_PRELOAD=",
    "/dev/tcp/", "history -c", "iptables -F", "crontab -r",
};
static const char *const words[] = {
    "Microsoft Corporation", "Windows PowerShell", "High", "System", "Sysinternals",
    "Evil Corp", "Medium", "Windows host process", "Task Scheduler", "Remote Desktop",
};
static const char *const users[] = {
    "NT AUTHORITY\\SYSTEM", "NT AUTHORITY\\LOCAL SERVICE", "AUTORITE NT", "admin",
    "NT AUTHORITY\\NETWORK SERVICE", "root",
};
static const char *const hosts[] = {
    ".onion", "pastebin.com", "raw.githubusercontent.com", "ngrok.io", "transfer.sh",
    "api.telegram.org", "anonfiles.com", "portmap.io", ".duckdns.org", "discord.com",
};
static const char *const regkeys[] = {
    "\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\",
    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\",
    "\\Environment\\windir",
    "\\Image File Execution Options\\",
    "HKU\\.DEFAULT\\Control Panel\\Desktop\\",
    "\\Microsoft\\Windows Defender\\Exclusions\\",
    "HKCR\\exefile\\shell\\open\\command",
};
static const char *const ips[] = {"10.0.0.1", "192.168.1.10", "127.0.0.1", "::1",
                                  "169.254.169.254", "8.8.8.8"};
static const char *const cidrs[] = {"10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12",
                                    "fe80::/10", "127.0.0.0/8", "::1/128"};
static const char *const regexes[] = {
    "\\s-[eE]nc(odedCommand)?\\s", "invoke-(webrequest|restmethod)", "^cmd.+/c",
    "[a-z0-9]{32}\\.exe$",         "\\\\temp\\\\.*\\.ps1",            "(?:https?|ftp)://[^ ]+",
    "^[A-Z]:\\\\Users\\\\[^\\\\]+\\\\Downloads",
};
static const char *const tags[] = {
    "attack.execution", "attack.t1059.001", "attack.defense-evasion", "attack.t1218",
    "attack.persistence", "attack.t1547.001", "attack.credential-access", "attack.t1003.001",
    "attack.command-and-control", "attack.t1105", "attack.discovery", "attack.t1082",
    "detection.threat-hunting", "cve.2021-44228",
};
static const char *const sentences[] = {
    "Detects a suspicious invocation seen in intrusions.",
    "Adversaries may abuse this binary to proxy execution of malicious code.",
    "This technique was used by several ransomware families.",
    "Threat actors were observed using this command line to dump credentials.",
    "The process is rarely started this way by legitimate software.",
    "Requires process creation auditing with command line logging enabled.",
};
static const char *const authors[] = {
    "Florian Roth (Nextron Systems)", "frack113", "Nasreddine Bencherchali (Nextron Systems)",
    "oscd.community", "Swachchhanda Shrawan Poudel", "sigmakql bench generator",
};
static const char *const statuses[] = {"test", "experimental", "stable"};
static const char *const levels[] = {"informational", "low", "medium", "high", "critical"};
static const char *const names[] = {
    "img", "cli", "parent", "user", "path", "hash", "susp", "tool", "ext", "flags",
    "ofn", "dir", "net", "key", "value", "encoded",
};

/* ---- fields per log source ---- */

enum kind {
  K_PATH, /* a full path */
  K_CMD,  /* a command line */
  K_STR,  /* other text */
  K_USER,
  K_NUM,
  K_IP,
  K_BOOL,
  K_HOST,
  K_REG,  /* a registry key */
  K_TIME, /* a date column, for hour/day/... */
};

typedef struct gfield {
  const char *name;
  enum kind kind;
} gfield;

static const gfield f_proc_win[] = {
    {"Image", K_PATH},          {"ParentImage", K_PATH},        {"CommandLine", K_CMD},
    {"ParentCommandLine", K_CMD}, {"OriginalFileName", K_STR},  {"User", K_USER},
    {"CurrentDirectory", K_PATH}, {"IntegrityLevel", K_STR},    {"Description", K_STR},
    {"Company", K_STR},         {"Product", K_STR},             {"ProcessId", K_NUM},
    {"ParentProcessId", K_NUM}, {"EventStartTime", K_TIME},
};
static const gfield f_proc_lin[] = {
    {"Image", K_PATH}, {"CommandLine", K_CMD}, {"ParentImage", K_PATH},
    {"User", K_USER},  {"CurrentDirectory", K_PATH},
};
static const gfield f_file[] = {
    {"TargetFilename", K_PATH}, {"Image", K_PATH}, {"User", K_USER},
};
static const gfield f_reg[] = {
    {"TargetObject", K_REG}, {"Details", K_STR}, {"Image", K_PATH},
};
static const gfield f_net[] = {
    {"Image", K_PATH},          {"DestinationIp", K_IP},          {"SourceIp", K_IP},
    {"DestinationPort", K_NUM}, {"SourcePort", K_NUM},            {"DestinationHostname", K_HOST},
    {"Initiated", K_BOOL},      {"User", K_USER},
};
static const gfield f_dns[] = {
    {"QueryName", K_HOST}, {"Image", K_PATH}, {"QueryResults", K_STR},
};
static const gfield f_image_load[] = {
    {"ImageLoaded", K_PATH}, {"Image", K_PATH}, {"OriginalFileName", K_STR},
};
static const gfield f_security[] = {
    {"EventID", K_NUM},         {"SubjectUserName", K_USER}, {"TargetUserName", K_USER},
    {"ObjectName", K_PATH},     {"ProcessName", K_PATH},
};

typedef struct gsource {
  const char *category, *product, *service;
  const gfield *fields;
  unsigned nfields;
  unsigned weight; /* out of 100, roughly SigmaHQ's mix */
  int linux_values;
} gsource;

/* image_load and the Security channel: log sources that not every target
 * routes, so that some rules fail there, as a part of SigmaHQ's do. */
#define SRC(c, p, sv, f, w, l) {c, p, sv, f, (unsigned)COUNT(f), w, l}
static const gsource sources[] = {
    SRC("process_creation", "windows", NULL, f_proc_win, 50, 0),
    SRC("process_creation", "linux", NULL, f_proc_lin, 7, 1),
    SRC("file_event", "windows", NULL, f_file, 11, 0),
    SRC("registry_set", "windows", NULL, f_reg, 9, 0),
    SRC("network_connection", "windows", NULL, f_net, 7, 0),
    SRC("dns_query", "windows", NULL, f_dns, 6, 0),
    SRC("image_load", "windows", NULL, f_image_load, 5, 0),
    SRC(NULL, "windows", "security", f_security, 5, 0),
};

const char *const gen_placeholders[] = {"Admins=admin,administrator,root",
                                        "JumpServers=jump01,jump02"};
const size_t gen_nplaceholders = COUNT(gen_placeholders);

/* ---- scalars ---- */

/* Writes s as a YAML scalar: plain when that is safe, else single- or
 * double-quoted, so the corpus exercises every scalar style. */
static void put_scalar(gen_buf *b, rng *r, const char *s) {
  int plain = *s && !strchr("-?:,[]{}#&*!|>'\"%@` ", *s);
  for (const char *c = s; *c && plain; c++)
    plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            *c == '.' || *c == '_' || *c == '\\' || *c == '/';
  if (plain && strcmp(s, "null") != 0 && strcmp(s, "true") != 0 && strcmp(s, "false") != 0 &&
      chance(r, 60) && !(s[0] >= '0' && s[0] <= '9')) {
    gen_puts(b, s);
    return;
  }
  if (chance(r, 15)) {
    gen_puts(b, "\"");
    for (const char *c = s; *c; c++) {
      if (*c == '\\' || *c == '"')
        gen_puts(b, "\\");
      gen_put(b, c, 1);
    }
    gen_puts(b, "\"");
    return;
  }
  gen_puts(b, "'");
  for (const char *c = s; *c; c++) {
    if (*c == '\'')
      gen_puts(b, "'");
    gen_put(b, c, 1);
  }
  gen_puts(b, "'");
}

/* Puts a value for a field of kind k into v (a string value). wild allows
 * Sigma wildcards inside; linux picks Linux paths and commands. */
static void make_value(rng *r, enum kind k, int linux, int wild, char *v, size_t n) {
  unsigned tag = below(r, 1000);
  switch (k) {
  case K_PATH:
    if (linux)
      snprintf(v, n, "%s%s", PICK(r, linux_paths), chance(r, 30) ? "x" : "");
    else if (wild && chance(r, 30))
      snprintf(v, n, "%s*\\%s", PICK(r, dirs), PICK(r, exes));
    else if (chance(r, 50))
      snprintf(v, n, "\\%s", PICK(r, exes));
    else if (chance(r, 50))
      snprintf(v, n, "%s%s", PICK(r, dirs), PICK(r, exes));
    else
      snprintf(v, n, "%stool%u.exe", PICK(r, dirs), tag);
    break;
  case K_CMD:
    if (linux)
      snprintf(v, n, "%s", PICK(r, linux_cmds));
    else if (wild && chance(r, 25))
      snprintf(v, n, "*%s*%s*", PICK(r, cmds), PICK(r, cmds));
    else if (wild && chance(r, 10))
      snprintf(v, n, "%s\\*literal?%u", PICK(r, cmds), tag);
    else
      snprintf(v, n, "%s", PICK(r, cmds));
    break;
  case K_STR:
    if (chance(r, 30))
      snprintf(v, n, "%s", PICK(r, exes));
    else
      snprintf(v, n, "%s%s", PICK(r, words), chance(r, 20) ? " Ltd" : "");
    break;
  case K_USER:
    snprintf(v, n, "%s", PICK(r, users));
    break;
  case K_NUM:
    snprintf(v, n, "%u", below(r, 65536));
    break;
  case K_IP:
    snprintf(v, n, "%s", PICK(r, ips));
    break;
  case K_BOOL:
    snprintf(v, n, "%s", chance(r, 50) ? "true" : "false");
    break;
  case K_HOST:
    snprintf(v, n, "%s", PICK(r, hosts));
    break;
  case K_REG:
    snprintf(v, n, "%s%s", PICK(r, regkeys), chance(r, 40) ? PICK(r, names) : "");
    break;
  case K_TIME:
    snprintf(v, n, "%u", below(r, 24));
    break;
  }
}

static const char *const path_mods[] = {
    "", "|endswith", "|endswith", "|startswith", "|contains", "|endswith|cased",
    "|contains|all", "|re", "|neq", "|exists", "|fieldref", "|startswith|cased",
};
static const char *const cmd_mods[] = {
    "|contains",          "|contains",           "|contains|all",         "|windash|contains",
    "|base64offset|contains", "|base64|contains", "|utf16le|base64offset|contains",
    "|utf16be|base64|contains", "|utf16|base64|contains", "|wide|base64offset|contains",
    "|re",                "|re|i",               "|re|m|s",               "|contains|cased",
    "|startswith",        "|fieldref|contains",  "",                      "|endswith",
    "|contains|all|windash",
};
static const char *const str_mods[] = {"", "", "|contains", "|startswith", "|cased", "|neq",
                                       "|exists", "|endswith"};
static const char *const user_mods[] = {"", "|contains", "|expand", "|neq", "|startswith"};
static const char *const num_mods[] = {"", "|gt", "|gte", "|lt", "|lte", "|neq"};
static const char *const ip_mods[] = {"|cidr", "|cidr", "", "|startswith"};
static const char *const host_mods[] = {"|endswith", "|contains", "", "|re", "|endswith|cased"};
static const char *const reg_mods[] = {"|contains", "|endswith", "|startswith", "", "|contains|all"};
static const char *const time_mods[] = {"|hour", "|minute", "|day|lt", "|week", "|month",
                                        "|year|gte", "|hour|gte"};

static const char *pick_mods(rng *r, enum kind k) {
  switch (k) {
  case K_PATH: return PICK(r, path_mods);
  case K_CMD: return PICK(r, cmd_mods);
  case K_STR: return PICK(r, str_mods);
  case K_USER: return PICK(r, user_mods);
  case K_NUM: return PICK(r, num_mods);
  case K_IP: return PICK(r, ip_mods);
  case K_BOOL: return "";
  case K_HOST: return PICK(r, host_mods);
  case K_REG: return PICK(r, reg_mods);
  case K_TIME: return PICK(r, time_mods);
  }
  return "";
}

/* One "Field|mods: value(s)" entry at the given indent. */
static void put_item(gen_buf *b, rng *r, const gsource *s, const gfield *f, int indent,
                     int first_in_list) {
  const char *mods = pick_mods(r, f->kind);
  if (f->kind == K_TIME && !(s->category && strcmp(s->category, "process_creation") == 0))
    mods = "";
  gen_printf(b, "%*s%s%s: ", first_in_list ? 0 : indent, "", f->name, mods);
  char v[256];
  if (strstr(mods, "exists")) {
    gen_puts(b, chance(r, 70) ? "true\n" : "false\n");
    return;
  }
  if (strstr(mods, "fieldref")) {
    const gfield *o = &s->fields[below(r, s->nfields)];
    gen_printf(b, "%s\n", o->name == f->name ? s->fields[0].name : o->name);
    return;
  }
  if (strstr(mods, "expand")) {
    gen_puts(b, chance(r, 50) ? "'%Admins%'\n" : "'%JumpServers%'\n");
    return;
  }
  if (strstr(mods, "cidr")) {
    unsigned nv = 1 + below(r, 4);
    if (nv == 1) {
      gen_printf(b, "'%s'\n", PICK(r, cidrs));
      return;
    }
    gen_puts(b, "\n");
    for (unsigned i = 0; i < nv; i++)
      gen_printf(b, "%*s- '%s'\n", indent + 4, "", PICK(r, cidrs));
    return;
  }
  if (strstr(mods, "|re")) {
    gen_puts(b, "'");
    const char *re = PICK(r, regexes);
    for (const char *c = re; *c; c++) {
      if (*c == '\'')
        gen_puts(b, "'");
      gen_put(b, c, 1);
    }
    gen_puts(b, "'\n");
    return;
  }
  if (f->kind == K_TIME) {
    gen_printf(b, "%u\n", 1 + below(r, 12));
    return;
  }
  int wild = !strstr(mods, "base64") && !strstr(mods, "cased") && !strstr(mods, "neq");
  int all = strstr(mods, "|all") != NULL;
  unsigned nv = all ? 2 + below(r, 3) : chance(r, 50) ? 1 : 2 + below(r, chance(r, 5) ? 30 : 5);
  if (f->kind == K_BOOL || strstr(mods, "|gt") || strstr(mods, "|lt"))
    nv = 1;
  if (nv == 1) {
    if ((f->kind == K_STR || f->kind == K_HOST) && !*mods && chance(r, 8)) {
      gen_puts(b, chance(r, 50) ? "null\n" : "''\n");
      return;
    }
    make_value(r, f->kind, s->linux_values, wild, v, sizeof v);
    if (f->kind == K_NUM || f->kind == K_BOOL)
      gen_puts(b, v);
    else
      put_scalar(b, r, v);
    gen_puts(b, "\n");
    return;
  }
  if (chance(r, 15) && f->kind != K_CMD && f->kind != K_PATH && f->kind != K_REG) {
    /* a flow sequence */
    gen_puts(b, "[");
    for (unsigned i = 0; i < nv; i++) {
      make_value(r, f->kind, s->linux_values, wild, v, sizeof v);
      if (i)
        gen_puts(b, ", ");
      gen_puts(b, "'");
      gen_puts(b, v);
      gen_puts(b, "'");
    }
    gen_puts(b, "]\n");
    return;
  }
  gen_puts(b, "\n");
  for (unsigned i = 0; i < nv; i++) {
    make_value(r, f->kind, s->linux_values, wild, v, sizeof v);
    gen_printf(b, "%*s- ", indent + 4, "");
    if (f->kind == K_NUM)
      gen_puts(b, v);
    else
      put_scalar(b, r, v);
    gen_puts(b, "\n");
  }
}

/* A map of 1..max distinct fields at indent; in a list, the first line
 * follows "- " already written. */
static void put_map(gen_buf *b, rng *r, const gsource *s, int indent, unsigned max,
                    int in_list) {
  unsigned nf = 1 + below(r, max);
  if (nf > s->nfields)
    nf = s->nfields;
  unsigned start = below(r, s->nfields);
  unsigned step = 1 + below(r, s->nfields - 1 ? s->nfields - 1 : 1);
  unsigned used = 0;
  uint64_t seen = 0;
  for (unsigned i = 0; used < nf && i < 2 * s->nfields; i++) {
    unsigned k = (start + i * step) % s->nfields;
    if (seen & (1ull << k))
      continue;
    seen |= 1ull << k;
    put_item(b, r, s, &s->fields[k], indent, in_list && used == 0);
    used++;
  }
}

/* The body of one detection item named name. */
static void put_detection(gen_buf *b, rng *r, const gsource *s, const char *name, int keywords) {
  gen_printf(b, "    %s:\n", name);
  if (keywords) {
    unsigned nv = 1 + below(r, 5);
    for (unsigned i = 0; i < nv; i++) {
      char v[256];
      make_value(r, K_CMD, s->linux_values, 0, v, sizeof v);
      gen_puts(b, "        - ");
      put_scalar(b, r, v);
      gen_puts(b, "\n");
    }
    return;
  }
  if (chance(r, 15)) { /* a list of maps */
    unsigned nm = 2 + below(r, 2);
    for (unsigned i = 0; i < nm; i++) {
      gen_puts(b, "        - ");
      put_map(b, r, s, 10, 2, 1);
    }
    return;
  }
  put_map(b, r, s, 8, 4, 0);
}

/* A random boolean expression over the names, with parentheses and not. */
static void put_expr(gen_buf *b, rng *r, char names_v[][32], unsigned n, unsigned nf,
                     int depth) {
  if (depth == 0 || chance(r, 35)) {
    unsigned form = below(r, 10);
    if (form == 0)
      gen_puts(b, "1 of selection_*");
    else if (form == 1 && nf)
      gen_puts(b, "all of filter_*");
    else if (form == 2)
      gen_printf(b, "not %s", names_v[below(r, n)]);
    else
      gen_puts(b, names_v[below(r, n)]);
    return;
  }
  int neg = chance(r, 25);
  gen_puts(b, neg ? "not (" : "(");
  put_expr(b, r, names_v, n, nf, depth - 1);
  gen_puts(b, chance(r, 50) ? " and " : " or ");
  put_expr(b, r, names_v, n, nf, depth - 1);
  gen_puts(b, ")");
}

static void put_uuid(gen_buf *b, rng *r) {
  uint64_t h = next(r), l = next(r);
  gen_printf(b, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h >> 32), (unsigned)(h >> 16) & 0xffff,
             (unsigned)h & 0xfff, 0x8000u | ((unsigned)(l >> 48) & 0x3fff),
             (unsigned long long)(l & 0xffffffffffffull));
}

void gen_rule(gen_buf *b, uint64_t seed, unsigned index) {
  rng r = {seed * 0x100000001B3ull ^ (uint64_t)index * 0x9E3779B97F4A7C15ull};
  next(&r);
  unsigned w = below(&r, 100), acc = 0;
  const gsource *s = &sources[0];
  for (size_t i = 0; i < COUNT(sources); i++)
    if (w < (acc += sources[i].weight)) {
      s = &sources[i];
      break;
    }

  gen_printf(b, "title: Generated %s rule %u (%s)\nid: ", s->category ? s->category : s->service,
             index, PICK(&r, exes));
  put_uuid(b, &r);
  gen_printf(b, "\nstatus: %s\n", PICK(&r, statuses));
  if (chance(&r, 30)) {
    gen_puts(b, "related:\n    - id: ");
    put_uuid(b, &r);
    gen_puts(b, "\n      type: derived\n");
  }
  if (chance(&r, 30)) {
    gen_puts(b, "description: |\n");
    for (unsigned i = 0, n = 1 + below(&r, 3); i < n; i++)
      gen_printf(b, "    %s\n", PICK(&r, sentences));
  } else {
    gen_printf(b, "description: %s %s\n", PICK(&r, sentences), PICK(&r, sentences));
  }
  gen_puts(b, "references:\n");
  for (unsigned i = 0, n = 1 + below(&r, 3); i < n; i++)
    gen_printf(b, "    - https://example.org/research/%u/%s-%u\n", index, PICK(&r, names),
               below(&r, 100000));
  gen_printf(b, "author: %s\ndate: 20%02u-%02u-%02u\n", PICK(&r, authors), 18 + below(&r, 7),
             1 + below(&r, 12), 1 + below(&r, 28));
  if (chance(&r, 50))
    gen_printf(b, "modified: 2025-%02u-%02u\n", 1 + below(&r, 12), 1 + below(&r, 28));
  gen_puts(b, "tags:\n");
  for (unsigned i = 0, n = 1 + below(&r, 4); i < n; i++)
    gen_printf(b, "    - %s\n", tags[(index + i * 3) % COUNT(tags)]);
  gen_puts(b, "logsource:\n");
  if (s->category)
    gen_printf(b, "    category: %s\n", s->category);
  gen_printf(b, "    product: %s\n", s->product);
  if (s->service)
    gen_printf(b, "    service: %s\n", s->service);

  /* detection: selections, filters, then the condition */
  gen_puts(b, "detection:\n");
  unsigned form = below(&r, 12);
  unsigned ns = form == 0 ? 1 : 1 + below(&r, 4), nf = form == 0 ? 0 : below(&r, 4);
  if (form >= 10 && nf == 0)
    nf = 1;
  char nm[8][32];
  unsigned n = 0;
  int keywords = chance(&r, 5) && s->category && strcmp(s->category, "process_creation") == 0;
  for (unsigned i = 0; i < ns; i++) {
    if (form == 0)
      snprintf(nm[n], sizeof nm[n], keywords ? "keywords" : "selection");
    else
      snprintf(nm[n], sizeof nm[n], "selection_%s%u", names[below(&r, COUNT(names))], i);
    put_detection(b, &r, s, nm[n], keywords && i == 0);
    n++;
  }
  for (unsigned i = 0; i < nf; i++) {
    /* the first filter is a main one, the second optional, so that the
       patterns below always match something */
    snprintf(nm[n], sizeof nm[n], "filter_%s_%s%u",
             i == 0 || (i > 1 && chance(&r, 60)) ? "main" : "optional",
             names[below(&r, COUNT(names))], i);
    put_detection(b, &r, s, nm[n], 0);
    n++;
  }
  gen_puts(b, "    condition: ");
  switch (form) {
  case 0:
    gen_puts(b, nm[0]);
    break;
  case 1: /* a and b and not f and not g */
    for (unsigned i = 0; i < n; i++)
      gen_printf(b, "%s%s%s", i ? " and " : "", i >= ns ? "not " : "", nm[i]);
    break;
  case 2:
    gen_puts(b, chance(&r, 50) ? "1 of selection_*" : "any of selection_*");
    break;
  case 3:
    gen_puts(b, "all of selection_*");
    break;
  case 4:
    gen_puts(b, nf ? "1 of selection_* and not 1 of filter_main_*" : "1 of selection_*");
    break;
  case 5:
    gen_puts(b, nf ? "all of selection_* and not 1 of filter_*" : "all of selection_*");
    break;
  case 6:
    gen_puts(b, chance(&r, 50) ? "1 of them" : "all of them");
    break;
  case 7:
  case 8:
    put_expr(b, &r, nm, n, nf, 1 + (int)below(&r, 4));
    break;
  case 9: /* a condition list */
    gen_puts(b, "\n");
    for (unsigned i = 0; i < ns; i++)
      gen_printf(b, "        - %s%s%s\n", nm[i], nf ? " and not " : "", nf ? nm[ns] : "");
    break;
  case 10:
    gen_printf(b, "%s and not (%s", nm[0], nm[ns]);
    for (unsigned i = ns + 1; i < n; i++)
      gen_printf(b, " or %s", nm[i]);
    gen_puts(b, ")");
    break;
  default:
    gen_printf(b, "(%s) and not 1 of filter_main_*%s", ns > 1 ? "1 of selection_*" : nm[0],
               nf > 1 ? " and not 1 of filter_optional_*" : "");
    break;
  }
  if (form != 9)
    gen_puts(b, "\n");
  if (chance(&r, 20))
    gen_puts(b, "fields:\n    - CommandLine\n    - ParentCommandLine\n");
  gen_puts(b, "falsepositives:\n");
  if (chance(&r, 50))
    gen_puts(b, "    - Unknown\n");
  else
    gen_printf(b, "    - Legitimate use of %s by administrators\n", PICK(&r, exes));
  gen_printf(b, "level: %s\n", PICK(&r, levels));
}

/* ---- pathological inputs ---- */

static void head(gen_buf *b, const char *title, const char *category) {
  gen_printf(b,
             "title: %s\nid: 5f0d7a3c-0c4e-4d8b-9a61-2f3e4d5c6b7a\nstatus: test\n"
             "logsource:\n    category: %s\n    product: windows\ndetection:\n",
             title, category);
}

static void make_values_100k(gen_buf *b) {
  head(b, "Pathological - a value list of 100000 items", "process_creation");
  gen_puts(b, "    selection:\n        CommandLine|contains:\n");
  for (unsigned i = 0; i < 100000; i++)
    gen_printf(b, "            - 'value%06u'\n", i);
  gen_puts(b, "    condition: selection\nlevel: low\n");
}

static void make_parens_10k(gen_buf *b) {
  head(b, "Pathological - 10000 nested parentheses", "process_creation");
  gen_puts(b, "    selection:\n        Image|endswith: '\\cmd.exe'\n    condition: ");
  for (unsigned i = 0; i < 10000; i++)
    gen_puts(b, "(");
  gen_puts(b, "selection");
  for (unsigned i = 0; i < 10000; i++)
    gen_puts(b, ")");
  gen_puts(b, "\nlevel: low\n");
}

static void make_one_of_5k(gen_buf *b) {
  head(b, "Pathological - 1 of sel* over 5000 selections", "process_creation");
  for (unsigned i = 0; i < 5000; i++)
    gen_printf(b, "    sel%u:\n        Image|endswith: '\\p%u.exe'\n", i, i);
  gen_puts(b, "    condition: 1 of sel*\nlevel: low\n");
}

static void make_all_of_them_5k(gen_buf *b) {
  head(b, "Pathological - all of them over 5000 selections", "process_creation");
  for (unsigned i = 0; i < 5000; i++)
    gen_printf(b, "    sel%u:\n        CommandLine|contains: 'part%u'\n", i, i);
  gen_puts(b, "    condition: all of them\nlevel: low\n");
}

static void make_value_1mib(gen_buf *b) {
  head(b, "Pathological - a single 1 MiB value", "process_creation");
  gen_puts(b, "    selection:\n        CommandLine|contains: '");
  static const char unit[] = "C:\\Temp\\abc def-0123456789 "; /* 27 bytes */
  for (size_t n = 0; n < 1024 * 1024; n += sizeof unit - 1)
    gen_put(b, unit, sizeof unit - 1);
  gen_puts(b, "'\n    condition: selection\nlevel: low\n");
}

static void make_file_10mib(gen_buf *b) {
  head(b, "Pathological - a 10 MiB rule file", "process_creation");
  unsigned i = 0;
  while (b->len < 10u * 1024 * 1024) {
    gen_printf(b, "    %s_%u:\n        Image|endswith:\n", i % 8 == 7 ? "filter" : "selection", i);
    for (unsigned k = 0; k < 8; k++)
      gen_printf(b, "            - '\\tool%u_%u.exe'\n", i, k);
    gen_printf(b, "        CommandLine|contains|all:\n            - ' -a%u'\n            - ' -b%u'\n",
               i, i);
    i++;
  }
  gen_puts(b, "    condition: 1 of selection_* and not 1 of filter_*\nlevel: low\n");
}

static void make_correlation_200(gen_buf *b) {
  for (unsigned i = 0; i < 200; i++) {
    gen_printf(b,
               "title: Base rule %u\nid: 5f0d7a3c-0c4e-4d8b-9a61-%012u\nname: base_rule_%u\n"
               "status: test\nlogsource:\n    category: process_creation\n    product: windows\n"
               "detection:\n    selection:\n        Image|endswith: '\\tool%u.exe'\n"
               "    condition: selection\nlevel: low\n---\n",
               i, i, i, i);
  }
  gen_puts(b, "title: Pathological - a correlation over 200 rules\n"
              "id: 5f0d7a3c-0c4e-4d8b-9a61-ffffffffffff\nstatus: test\ncorrelation:\n"
              "    type: event_count\n    rules:\n");
  for (unsigned i = 0; i < 200; i++)
    gen_printf(b, "        - base_rule_%u\n", i);
  gen_puts(b, "    group-by:\n        - User\n    timespan: 1h\n    condition:\n        gte: 5\n"
              "level: high\n");
}

static void make_yaml_nest_10k(gen_buf *b) {
  head(b, "Pathological - YAML nested 10000 deep", "process_creation");
  gen_puts(b, "    selection:\n        CommandLine|contains: ");
  for (unsigned i = 0; i < 10000; i++)
    gen_puts(b, "[");
  gen_puts(b, "x");
  for (unsigned i = 0; i < 10000; i++)
    gen_puts(b, "]");
  gen_puts(b, "\n    condition: selection\nlevel: low\n");
}

const gen_case gen_cases[] = {
    {"values_100k", "a value list of 100,000 items", 0, NULL, make_values_100k},
    {"parens_10k", "a condition with 10,000 nested parentheses", 1, "nested too deeply",
     make_parens_10k},
    {"one_of_5k", "1 of sel* over 5,000 selections", 0, NULL, make_one_of_5k},
    {"all_of_them_5k", "all of them over 5,000 selections", 0, NULL, make_all_of_them_5k},
    {"value_1mib", "a single 1 MiB value", 0, NULL, make_value_1mib},
    {"file_10mib", "a 10 MiB rule file", 0, NULL, make_file_10mib},
    {"correlation_200", "a correlation over 200 rules", -1, NULL, make_correlation_200},
    {"yaml_nest_10k", "YAML flow sequences nested 10,000 deep", 1, "nested too deeply",
     make_yaml_nest_10k},
};
const size_t gen_ncases = COUNT(gen_cases);
