/* sentinel.c - Sigma metadata to Sentinel analytics-rule properties.
 * Owns the mapping (title, description, level, status, ATT&CK tags), the
 * limits, entity mappings, durations and rule GUIDs; fmt_arm.c and
 * fmt_sentinel.c only write the result. Policy choices (documented in
 * docs/ci.md): critical -> High; a rule's GUID is its Sigma id when it
 * yields one analytics rule, else UUIDv5(Sigma id, "<target>/<doc>/<query>");
 * a technique whose tactic the rule does not list gets that tactic from
 * Sentinel's own technique table, so the validator accepts the pair. */
#include "sentinel.h"

#include <stdio.h>
#include <string.h>

#include "schema.h"

/* ---- ATT&CK (attack.def) ---- */

enum {
#define TACTIC(name, slug, slug1, id) SK_TAC_##name,
#define TACTIC_ALIAS(slug, name)
#define TECHNIQUE(id, name, validator, v17)
#include "attack.def"
#undef TACTIC
#undef TACTIC_ALIAS
#undef TECHNIQUE
  SK_TAC_COUNT
};

static const struct {
  const char *name, *slug, *slug1, *id;
} tactics[] = {
#define TACTIC(name, slug, slug1, id) {#name, slug, slug1, id},
#define TACTIC_ALIAS(slug, name)
#define TECHNIQUE(id, name, validator, v17)
#include "attack.def"
#undef TACTIC
#undef TACTIC_ALIAS
#undef TECHNIQUE
};

static const struct {
  const char *slug;
  int tactic;
} tactic_aliases[] = {
#define TACTIC(name, slug, slug1, id)
#define TACTIC_ALIAS(slug, name) {slug, SK_TAC_##name},
#define TECHNIQUE(id, name, validator, v17)
#include "attack.def"
#undef TACTIC
#undef TACTIC_ALIAS
#undef TECHNIQUE
};

typedef struct technique {
  const char *id, *name;
  uint32_t validator, v17; /* bit (1 << SK_TAC_x) per tactic */
} technique;

static const technique techniques[] = {
#define TAC(name) (1u << SK_TAC_##name)
#define TACTIC(name, slug, slug1, id)
#define TACTIC_ALIAS(slug, name)
#define TECHNIQUE(id, name, validator, v17) {id, name, validator, v17},
#include "attack.def"
#undef TACTIC
#undef TACTIC_ALIAS
#undef TECHNIQUE
#undef TAC
};

static const technique *technique_find(const char *id) {
  size_t lo = 0, hi = sizeof techniques / sizeof *techniques;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(id, techniques[mid].id);
    if (c == 0)
      return &techniques[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* The tactic a tag names after "attack." ("defense-evasion",
 * "defense_evasion", "ta0005", a newer slug such as "stealth"), or -1. */
static int tactic_of_slug(sk_str slug) {
  for (int i = 0; i < SK_TAC_COUNT; i++)
    if ((tactics[i].slug[0] && sk_str_eqic(slug, tactics[i].slug)) ||
        (tactics[i].slug1[0] && sk_str_eqic(slug, tactics[i].slug1)) ||
        (tactics[i].id[0] && sk_str_eqic(slug, tactics[i].id)))
      return i;
  for (size_t i = 0; i < sizeof tactic_aliases / sizeof *tactic_aliases; i++)
    if (sk_str_eqic(slug, tactic_aliases[i].slug))
      return tactic_aliases[i].tactic;
  return -1;
}

/* "t1059" or "t1059.001" (any case): 5 or 9 bytes. */
static bool is_technique_tag(sk_str s) {
  if ((s.len != 5 && s.len != 9) || (s.ptr[0] != 't' && s.ptr[0] != 'T'))
    return false;
  for (size_t i = 1; i < s.len; i++)
    if (i == 5 ? s.ptr[i] != '.' : !sk_is_digit((unsigned char)s.ptr[i]))
      return false;
  return true;
}

/* "g0001", "s0002", "ds0005", "m1042", "c0010": ATT&CK groups, software,
 * data sources, mitigations and campaigns, which Sentinel has no field for. */
static bool is_group_or_software_tag(sk_str s) {
  size_t n = s.len >= 2 && sk_str_eqi((sk_str){s.ptr, 2}, SK_STR_LIT("ds")) ? 2 : 1;
  if (s.len != n + 4 || (n == 1 && !strchr("gGsSmMcC", s.ptr[0])))
    return false;
  for (size_t i = n; i < s.len; i++)
    if (!sk_is_digit((unsigned char)s.ptr[i]))
      return false;
  return true;
}

/* ---- UTF-16 lengths ---- */

size_t sk_utf16_len(sk_str s) {
  size_t n = 0;
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.ptr[i];
    if ((c & 0xc0) != 0x80)
      n += c >= 0xf0 ? 2 : 1;
  }
  return n;
}

/* The longest prefix of s of at most max UTF-16 code units, cut between
 * code points. */
static sk_str utf16_prefix(sk_str s, size_t max) {
  size_t n = 0, i = 0;
  while (i < s.len) {
    unsigned char c = (unsigned char)s.ptr[i];
    size_t w = c >= 0xf0 ? 2 : 1, len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (n + w > max)
      break;
    n += w;
    i += len;
  }
  return (sk_str){s.ptr, i < s.len ? i : s.len};
}

static sk_str trim(sk_str s) {
  while (s.len && sk_is_space((unsigned char)s.ptr[0]))
    s.ptr++, s.len--;
  while (s.len && sk_is_space((unsigned char)s.ptr[s.len - 1]))
    s.len--;
  return s;
}

/* ---- durations ---- */

bool sk_duration_parse(const char *text, unsigned *minutes, const char **why) {
  const char *p = text;
  unsigned long long secs = 0;
  bool any = false;
  *why = "expected ISO 8601 (PT5M, PT1H, P1D) or a number with m, h or d (5m, 1h, 2d)";
  if (*p == 'P' || *p == 'p') { /* P[nW][nD][T[nH][nM][nS]], units in this order */
    static const char units[] = "WDHMS";
    static const unsigned long long unit_secs[] = {7 * 86400ull, 86400, 3600, 60, 1};
    size_t next = 0; /* the first unit still allowed */
    bool in_time = false;
    p++;
    while (*p) {
      if ((*p == 'T' || *p == 't') && !in_time) {
        in_time = true;
        next = 2;
        if (!*++p)
          return false;
        continue;
      }
      if (!sk_is_digit((unsigned char)*p))
        return false;
      unsigned long long n = 0;
      while (sk_is_digit((unsigned char)*p) && n < 100000000ull)
        n = n * 10 + (unsigned)(*p++ - '0');
      if (sk_is_digit((unsigned char)*p))
        return false;
      char u = (char)sk_upper((unsigned char)*p++);
      const char *at = u ? strchr(units, u) : NULL;
      size_t k = at ? (size_t)(at - units) : 0;
      /* W and D before T, H M S after it, each at most once and in order */
      if (!at || k < next || (in_time ? k < 2 : k >= 2))
        return false;
      next = k + 1;
      secs += n * unit_secs[k];
      any = true;
    }
  } else { /* N followed by s, m, h, d or w */
    unsigned long long n = 0;
    while (sk_is_digit((unsigned char)*p) && n < 100000000ull) {
      n = n * 10 + (unsigned)(*p++ - '0');
      any = true;
    }
    if (!any || !*p || p[1])
      return false;
    switch (*p) {
    case 's': secs = n; break;
    case 'm': secs = n * 60; break;
    case 'h': case 'H': secs = n * 3600; break;
    case 'd': case 'D': secs = n * 86400; break;
    case 'w': case 'W': secs = n * 7 * 86400; break;
    case 'M':
      *why = "'M' would be months; write minutes as 'm'";
      return false;
    default: return false;
    }
  }
  if (!any)
    return false;
  if (secs % 60) {
    *why = "Sentinel counts whole minutes";
    return false;
  }
  if (secs / 60 > 100000000ull) {
    *why = "too long";
    return false;
  }
  *minutes = (unsigned)(secs / 60);
  return true;
}

const char *sk_durations_check(unsigned frequency, unsigned period) {
  if (frequency < SK_SENTINEL_MIN_MINUTES)
    return "the frequency is under Sentinel's minimum of 5 minutes";
  if (frequency > SK_SENTINEL_MAX_MINUTES)
    return "the frequency is over Sentinel's maximum of 14 days";
  if (period < SK_SENTINEL_MIN_MINUTES)
    return "the period is under Sentinel's minimum of 5 minutes";
  if (period > SK_SENTINEL_MAX_MINUTES)
    return "the period is over Sentinel's maximum of 14 days";
  if (period < frequency)
    return "the period is shorter than the frequency (Sentinel would skip events)";
  if (period >= 2 * 24 * 60 && frequency < 60)
    return "a period of 2 days or more needs a frequency of at least 1 hour";
  return NULL;
}

void sk_duration_iso(sk_buf *b, unsigned minutes) {
  if (minutes && minutes % (24 * 60) == 0)
    sk_buf_printf(b, "P%uD", minutes / (24 * 60));
  else if (minutes && minutes % 60 == 0)
    sk_buf_printf(b, "PT%uH", minutes / 60);
  else
    sk_buf_printf(b, "PT%uM", minutes);
}

void sk_duration_short(sk_buf *b, unsigned minutes) {
  if (minutes && minutes % (24 * 60) == 0)
    sk_buf_printf(b, "%ud", minutes / (24 * 60));
  else if (minutes && minutes % 60 == 0)
    sk_buf_printf(b, "%uh", minutes / 60);
  else
    sk_buf_printf(b, "%um", minutes);
}

/* ---- SHA-1 and UUIDv5 ---- */

typedef struct sha1 {
  uint32_t h[5];
  uint64_t len; /* bytes so far */
  uint8_t buf[64];
  size_t n; /* bytes in buf */
} sha1;

static uint32_t rol(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(uint32_t h[5], const uint8_t *p) {
  uint32_t w[80];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  for (int i = 16; i < 80; i++)
    w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20)
      f = (b & c) | (~b & d), k = 0x5a827999;
    else if (i < 40)
      f = b ^ c ^ d, k = 0x6ed9eba1;
    else if (i < 60)
      f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
    else
      f = b ^ c ^ d, k = 0xca62c1d6;
    uint32_t t = rol(a, 5) + f + e + k + w[i];
    e = d, d = c, c = rol(b, 30), b = a, a = t;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static void sha1_init(sha1 *s) {
  static const uint32_t h0[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  memcpy(s->h, h0, sizeof h0);
  s->len = 0;
  s->n = 0;
}

static void sha1_update(sha1 *s, const void *data, size_t len) {
  const uint8_t *p = data;
  s->len += len;
  while (len) {
    size_t take = 64 - s->n < len ? 64 - s->n : len;
    memcpy(s->buf + s->n, p, take);
    s->n += take, p += take, len -= take;
    if (s->n == 64) {
      sha1_block(s->h, s->buf);
      s->n = 0;
    }
  }
}

static void sha1_final(sha1 *s, uint8_t out[20]) {
  uint64_t bits = s->len * 8;
  uint8_t pad[72] = {0x80};
  size_t padlen = s->n < 56 ? 56 - s->n : 120 - s->n;
  for (int i = 0; i < 8; i++)
    pad[padlen + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
  sha1_update(s, pad, padlen + 8);
  for (int i = 0; i < 20; i++)
    out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

void sk_sha1(const void *data, size_t len, uint8_t out[20]) {
  sha1 s;
  sha1_init(&s);
  sha1_update(&s, data, len);
  sha1_final(&s, out);
}

static int hexval(int c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

bool sk_uuid_parse(sk_str s, uint8_t out[16]) {
  if (s.len != 36)
    return false;
  size_t k = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s.ptr[i++] != '-')
        return false;
      continue;
    }
    int hi = hexval((unsigned char)s.ptr[i]), lo = hexval((unsigned char)s.ptr[i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[k++] = (uint8_t)(hi << 4 | lo);
    i += 2;
  }
  return true;
}

static void uuid_format(const uint8_t u[16], char out[37]) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out[o++] = '-';
    out[o++] = hex[u[i] >> 4];
    out[o++] = hex[u[i] & 15];
  }
  out[o] = '\0';
}

void sk_uuid5(const uint8_t ns[16], sk_str name, char out[37]) {
  sha1 s;
  uint8_t d[20];
  sha1_init(&s);
  sha1_update(&s, ns, 16);
  sha1_update(&s, name.ptr, name.len);
  sha1_final(&s, d);
  d[6] = (uint8_t)((d[6] & 0x0f) | 0x50);
  d[8] = (uint8_t)((d[8] & 0x3f) | 0x80);
  uuid_format(d, out);
}

/* ---- entity mappings (entities.def) ---- */

typedef struct table_row {
  const char *table, *set, *schema_table, *group;
} table_row;
typedef struct entity_row {
  const char *group, *type, *f[6];
} entity_row;
typedef struct detail_row {
  const char *group, *key, *column;
} detail_row;

static const table_row table_rows[] = {
#define TABLE(t, set, st, g) {t, set, st, g},
#define ENTITY(g, type, i1, c1, i2, c2, i3, c3)
#define DETAIL(g, k, c)
#include "entities.def"
#undef TABLE
#undef ENTITY
#undef DETAIL
};
static const entity_row entity_rows[] = {
#define TABLE(t, set, st, g)
#define ENTITY(g, type, i1, c1, i2, c2, i3, c3) {g, type, {i1, c1, i2, c2, i3, c3}},
#define DETAIL(g, k, c)
#include "entities.def"
#undef TABLE
#undef ENTITY
#undef DETAIL
};
static const detail_row detail_rows[] = {
#define TABLE(t, set, st, g)
#define ENTITY(g, type, i1, c1, i2, c2, i3, c3)
#define DETAIL(g, k, c) {g, k, c},
#include "entities.def"
#undef TABLE
#undef ENTITY
#undef DETAIL
};

/* Identifiers that identify an entity on their own (one is required). */
static bool strong_identifier(const char *type, const char *id) {
  static const char *const strong[][7] = {
      {"Host", "FullName", "HostName", "NetBiosName", "AzureID", "OMSAgentID", NULL},
      {"Account", "FullName", "Sid", "Name", "AadUserId", "PUID", "ObjectGuid"},
      {"Process", "CommandLine", "ProcessId", NULL},
      {"File", "Name", NULL},
      {"IP", "Address", NULL},
      {"URL", "Url", NULL},
      {"DNS", "DomainName", NULL},
      {"RegistryKey", "Key", "Hive", NULL},
      {"RegistryValue", "Name", NULL},
  };
  for (size_t i = 0; i < sizeof strong / sizeof *strong; i++)
    if (strcmp(strong[i][0], type) == 0) {
      for (size_t k = 1; k < 7 && strong[i][k]; k++)
        if (strcmp(strong[i][k], id) == 0)
          return true;
      return false;
    }
  return false;
}

/* Why a column may not be written ("" when it may). Entity columns must be
 * strings; detail columns may have any type. */
static const char *column_problem(const table_row *t, const char *column, bool entity) {
  const sk_column *c = sk_schema_find(sk_schema_set(t->set), t->schema_table, sk_str_c(column));
  if (!c)
    return "no such column";
  if (c->alias)
    return "an alias, not a column";
  if (entity && c->type != SK_TY_STRING)
    return "not a string column";
  return "";
}

static const table_row *table_find(const char *table) {
  if (!table)
    return NULL;
  for (size_t i = 0; i < sizeof table_rows / sizeof *table_rows; i++)
    if (strcmp(table_rows[i].table, table) == 0)
      return &table_rows[i];
  return NULL;
}

static void entities_of(sk_arena *a, const char *table, sk_analytics *an) {
  const table_row *t = table_find(table);
  if (!t)
    return;
  sk_entity *ents = sk_arena_array(a, SK_SENTINEL_ENTITIES_MAX, sizeof *ents);
  size_t n = 0;
  for (size_t i = 0; i < sizeof entity_rows / sizeof *entity_rows; i++) {
    const entity_row *r = &entity_rows[i];
    if (strcmp(r->group, t->group) != 0 || n == SK_SENTINEL_ENTITIES_MAX)
      continue;
    sk_entity e = {r->type, {{0}}, 0};
    bool strong = false;
    for (int k = 0; k < 6; k += 2)
      if (r->f[k][0] && !column_problem(t, r->f[k + 1], true)[0]) {
        e.fields[e.n++] = (sk_entity_field){r->f[k], r->f[k + 1]};
        strong |= strong_identifier(r->type, r->f[k]);
      }
    if (strong)
      ents[n++] = e;
  }
  an->entities = ents;
  an->nentities = n;
  sk_detail *dets = sk_arena_array(a, SK_SENTINEL_DETAILS_MAX, sizeof *dets);
  size_t nd = 0;
  for (size_t i = 0; i < sizeof detail_rows / sizeof *detail_rows; i++) {
    const detail_row *r = &detail_rows[i];
    if (strcmp(r->group, t->group) == 0 && nd < SK_SENTINEL_DETAILS_MAX &&
        !column_problem(t, r->column, false)[0])
      dets[nd++] = (sk_detail){r->key, r->column};
  }
  an->details = dets;
  an->ndetails = nd;
}

void sk_entities_list(sk_buf *out) {
  for (size_t i = 0; i < sizeof table_rows / sizeof *table_rows; i++) {
    const table_row *t = &table_rows[i];
    for (size_t k = 0; k < sizeof entity_rows / sizeof *entity_rows; k++) {
      const entity_row *r = &entity_rows[k];
      if (strcmp(r->group, t->group) != 0)
        continue;
      bool strong = false;
      for (int f = 0; f < 6; f += 2)
        if (r->f[f][0] && !column_problem(t, r->f[f + 1], true)[0])
          strong |= strong_identifier(r->type, r->f[f]);
      for (int f = 0; f < 6; f += 2) {
        if (!r->f[f][0])
          continue;
        const char *why = column_problem(t, r->f[f + 1], true);
        sk_buf_printf(out, "%s\t%s\t%s\t%s\t%s\n", t->table, r->type, r->f[f], r->f[f + 1],
                      why[0] ? why : strong ? "ok" : "no required identifier");
      }
    }
    for (size_t k = 0; k < sizeof detail_rows / sizeof *detail_rows; k++) {
      const detail_row *r = &detail_rows[k];
      if (strcmp(r->group, t->group) != 0)
        continue;
      const char *why = column_problem(t, r->column, false);
      sk_buf_printf(out, "%s\tdetail\t%s\t%s\t%s\n", t->table, r->key, r->column,
                    why[0] ? why : "ok");
    }
  }
}

/* ---- the analytics rule ---- */

static const char *severity_of(const sk_field *level) {
  static const char *const map[][2] = {
      {"informational", "Informational"}, {"low", "Low"},   {"medium", "Medium"},
      {"high", "High"},                   {"critical", "High"},
  };
  if (level->present)
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
      if (sk_str_eqc(level->str, map[i][0]))
        return map[i][1];
  return "Medium";
}

static void put_list(sk_buf *b, const char *heading, const sk_ynode *n) {
  if (!n || sk_yaml_is_null(n))
    return;
  bool any = false;
  uint32_t count = n->kind == SK_Y_SEQ ? n->n : 1;
  for (uint32_t i = 0; i < count; i++) {
    const sk_ynode *item = n->kind == SK_Y_SEQ ? n->kids[i] : n;
    if (item->kind != SK_Y_SCALAR || !trim(item->str).len)
      continue;
    if (!any)
      sk_buf_printf(b, "\n\n%s:", heading);
    any = true;
    sk_buf_puts(b, "\n- ");
    sk_buf_putstr(b, trim(item->str));
  }
}

/* The description: Sigma's, then references, false positives and author,
 * cut to Sentinel's limit with a warning. */
static const char *description_of(sk_pass *p, const sk_rule *r) {
  sk_buf b = SK_BUF_INIT;
  sk_str d = r->description.present ? trim(r->description.str) : (sk_str){"", 0};
  sk_buf_putstr(&b, d.len ? d : trim(r->title.str));
  put_list(&b, "References", sk_ymap_get(r->doc, "references"));
  put_list(&b, "False positives", sk_ymap_get(r->doc, "falsepositives"));
  if (r->author.present && trim(r->author.str).len) {
    sk_buf_puts(&b, "\n\nAuthor: ");
    sk_buf_putstr(&b, trim(r->author.str));
  }
  sk_str text = {b.ptr ? b.ptr : "", b.len};
  size_t len = sk_utf16_len(text);
  if (len > SK_SENTINEL_DESC_MAX) {
    sk_diag_warning(p->diags, r->description.present ? r->description.loc : r->loc,
                    "description with references, false positives and author is %zu "
                    "characters; cut to Sentinel's limit of %d",
                    len, SK_SENTINEL_DESC_MAX);
    text = utf16_prefix(text, SK_SENTINEL_DESC_MAX - 1);
    char *s = sk_arena_alloc(p->arena, text.len + 4);
    memcpy(s, text.ptr, text.len);
    memcpy(s + text.len, "\xe2\x80\xa6", 4); /* U+2026, one code unit */
    sk_buf_free(&b);
    return s;
  }
  char *s = sk_arena_strndup(p->arena, text.ptr, text.len);
  sk_buf_free(&b);
  return s;
}

static const char *display_name(sk_arena *a, sk_str title, size_t q, size_t n) {
  char suffix[48] = "";
  if (n > 1)
    snprintf(suffix, sizeof suffix, " (%zu/%zu)", q + 1, n);
  size_t room = SK_SENTINEL_NAME_MAX - strlen(suffix);
  sk_buf b = SK_BUF_INIT;
  title = trim(title);
  if (sk_utf16_len(title) > room) {
    sk_buf_putstr(&b, utf16_prefix(title, room - 1));
    sk_buf_puts(&b, "\xe2\x80\xa6");
  } else {
    sk_buf_putstr(&b, title);
  }
  sk_buf_puts(&b, suffix);
  char *s = sk_arena_strndup(a, b.ptr ? b.ptr : "", b.len);
  sk_buf_free(&b);
  return s;
}

static bool add_unique(const char **v, size_t *n, const char *s) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp(v[i], s) == 0)
      return false;
  v[(*n)++] = s;
  return true;
}

/* Tactics and techniques from the tags. Techniques Sentinel's validator does
 * not know are left out with a warning; a technique none of whose tactics
 * the rule lists brings its tactics (validator's, narrowed to ATT&CK
 * v17.1's when they share one). */
static void attack_of(sk_pass *p, const sk_rule *r, sk_analytics *an) {
  const sk_ynode *tags = sk_ymap_get(r->doc, "tags");
  uint32_t ntags = tags && tags->kind == SK_Y_SEQ ? tags->n : 0;
  an->techniques = sk_arena_array(p->arena, ntags + 1, sizeof *an->techniques);
  an->relevant = sk_arena_array(p->arena, ntags + 1, sizeof *an->relevant);
  uint32_t have = 0, need = 0;
  for (uint32_t i = 0; i < ntags; i++) { /* tactics first */
    const sk_ynode *t = tags->kids[i];
    if (t->kind != SK_Y_SCALAR || !sk_str_has_prefix_i(t->str, "attack."))
      continue;
    int k = tactic_of_slug((sk_str){t->str.ptr + 7, t->str.len - 7});
    if (k >= 0)
      have |= 1u << k;
  }
  for (uint32_t i = 0; i < ntags; i++) {
    const sk_ynode *t = tags->kids[i];
    if (t->kind != SK_Y_SCALAR || !sk_str_has_prefix_i(t->str, "attack."))
      continue;
    sk_str rest = {t->str.ptr + 7, t->str.len - 7};
    if (tactic_of_slug(rest) >= 0 || is_group_or_software_tag(rest))
      continue;
    if (!is_technique_tag(rest)) {
      sk_diag_warning(p->diags, t->loc,
                      "tag '%.*s' is no ATT&CK tactic, technique, group, software or data "
                      "source",
                      (int)t->str.len, t->str.ptr);
      continue;
    }
    char id[10], base[6];
    for (size_t c = 0; c < rest.len; c++)
      id[c] = (char)sk_upper((unsigned char)rest.ptr[c]);
    id[rest.len] = '\0';
    memcpy(base, id, 5);
    base[5] = '\0';
    const technique *bt = technique_find(base), *st = rest.len == 9 ? technique_find(id) : bt;
    if (!bt) {
      sk_diag_warning(p->diags, t->loc,
                      "tag '%.*s' is in neither ATT&CK v17.1 nor Sentinel's technique table; "
                      "left out of the analytics rule",
                      (int)t->str.len, t->str.ptr);
      continue;
    }
    if (!bt->validator) {
      sk_diag_warning(p->diags, t->loc,
                      "ATT&CK technique %s (%s) is newer than Sentinel's technique table; "
                      "left out of the analytics rule",
                      base, bt->name);
      continue;
    }
    const char *full = id;
    if (!st) {
      sk_diag_warning(p->diags, t->loc,
                      "tag '%.*s' names no ATT&CK sub-technique; %s is written instead",
                      (int)t->str.len, t->str.ptr, base);
      full = base;
    }
    if (add_unique(an->techniques, &an->ntechniques, sk_arena_strndup(p->arena, base, 5)) &&
        !(bt->validator & have)) {
      uint32_t pick = bt->validator & bt->v17 ? bt->validator & bt->v17 : bt->validator;
      need |= pick;
    }
    add_unique(an->relevant, &an->nrelevant, sk_arena_strndup(p->arena, full, strlen(full)));
  }
  /* The tactics added for techniques count for later techniques too, but
   * each technique already checks against the rule's own tactics: a tactic
   * added for one never stops another from getting its own. */
  uint32_t all = have | need;
  an->tactics = sk_arena_array(p->arena, SK_TAC_COUNT, sizeof *an->tactics);
  for (int k = 0; k < SK_TAC_COUNT; k++)
    if (all & (1u << k))
      an->tactics[an->ntactics++] = tactics[k].name;
}

bool sk_sentinel_check_query(sk_pass *p, const sk_rule *r, sk_str query) {
  size_t len = sk_utf16_len(query);
  if (len <= SK_SENTINEL_QUERY_MAX)
    return true;
  sk_diag_error(p->diags, r->cond_loc.src ? r->cond_loc : r->loc,
                "query is %zu characters long; Sentinel's limit is %d", len,
                SK_SENTINEL_QUERY_MAX);
  return false;
}

/* The namespace of rules without an id: UUIDv5(URL, "urn:sigmakql:no-id"). */
static void no_id_namespace(uint8_t ns[16]) {
  static const uint8_t url_ns[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                     0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
  char text[37];
  sk_uuid5(url_ns, SK_STR_LIT("urn:sigmakql:no-id"), text);
  sk_uuid_parse(sk_str_c(text), ns);
}

static void guid_of(const sk_fmt_rule *fr, size_t q, size_t n, char out[37]) {
  const sk_rule *r = fr->rule;
  uint8_t ns[16];
  sk_buf name = SK_BUF_INIT;
  if (r->id.present && sk_uuid_parse(r->id.str, ns)) {
    if (n == 1 && !fr->id_shared) {
      uuid_format(ns, out); /* the Sigma id itself, lower-cased */
      return;
    }
    sk_buf_printf(&name, "%s/%u/%zu", fr->opts->target, fr->doc + 1, q + 1);
  } else {
    no_id_namespace(ns);
    const char *path = r->src && r->src->path ? r->src->path : "";
    const char *slash = strrchr(path, '/');
    sk_buf_printf(&name, "%s/%.*s/%s/%u/%zu", slash ? slash + 1 : path, (int)r->title.str.len,
                  r->title.str.ptr, fr->opts->target, fr->doc + 1, q + 1);
  }
  sk_uuid5(ns, (sk_str){name.ptr, name.len}, out);
  sk_buf_free(&name);
}

bool sk_analytics_build(const sk_fmt_rule *fr, sk_analytics **out, size_t *n) {
  sk_pass *p = fr->pass;
  const sk_rule *r = fr->rule;
  const sk_rule_result *rr = fr->rr;
  bool ok = true;
  for (size_t q = 0; q < rr->nqueries; q++)
    ok &= sk_sentinel_check_query(p, r, sk_str_c(rr->queries[q]));
  if (!ok)
    return false;
  if (!r->id.present)
    sk_diag_warning(p->diags, r->loc,
                    "rule has no 'id'; its analytics rule id is derived from the file name "
                    "and title, and changes with them");
  sk_analytics common = {0};
  common.description = description_of(p, r);
  common.severity = severity_of(&r->level);
  common.enabled = (fr->opts->enabled & sk_status_bit(r->status.str, r->status.present)) != 0;
  common.frequency = fr->opts->frequency;
  common.period = fr->opts->period;
  attack_of(p, r, &common);
  entities_of(p->arena, rr->table, &common);
  sk_analytics *v = sk_arena_array(p->arena, rr->nqueries ? rr->nqueries : 1, sizeof *v);
  for (size_t q = 0; q < rr->nqueries; q++) {
    v[q] = common;
    v[q].name = display_name(p->arena, r->title.str, q, rr->nqueries);
    v[q].query = rr->queries[q];
    guid_of(fr, q, rr->nqueries, v[q].guid);
  }
  *out = v;
  *n = rr->nqueries;
  return true;
}
