/* fmt_sentinel.c - output format sentinel-yaml: the analytics-rule YAML of
 * the Azure-Sentinel repository (Detections/, Solutions/NAME/Analytic Rules/),
 * one document per analytics rule. libyaml's emitter does the quoting; we
 * only force quotes on strings a YAML 1.1 reader would take for something
 * else (yes, 1.0, 2024-01-01, ~), and ask for block scalars for multi-line
 * text (libyaml falls back to double quotes when a block cannot hold it). */
#include "sentinel.h"

#include <string.h>
#include <yaml.h>

typedef struct emitter {
  yaml_emitter_t e;
  sk_buf *out;
  bool ok;
} emitter;

static int write_handler(void *data, unsigned char *buffer, size_t size) {
  sk_buf_put(data, buffer, size);
  return 1;
}

static void emit(emitter *y, yaml_event_t *ev) {
  if (!y->ok) {
    yaml_event_delete(ev);
    return;
  }
  if (!yaml_emitter_emit(&y->e, ev)) /* frees the event either way */
    y->ok = false;
}

/* True when a plain scalar s would not read back as the string s in YAML
 * 1.1 (PyYAML) or 1.2: null, booleans, numbers, timestamps, '<<', '='. */
static bool plain_is_not_string(const char *s) {
  static const char *const words[] = {
      "~",     "null", "Null", "NULL", "y",     "Y",     "yes",   "Yes",   "YES",   "n",
      "N",     "no",   "No",   "NO",   "true",  "True",  "TRUE",  "false", "False", "FALSE",
      "on",    "On",   "ON",   "off",  "Off",   "OFF",   ".inf",  ".Inf",  ".INF",  "-.inf",
      "-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF", ".nan", ".NaN",  ".NAN",  "<<",    "=",
  };
  if (!*s)
    return true;
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (strcmp(s, words[i]) == 0)
      return true;
  /* Numbers (any base, '_' and ':' separators) and timestamps start with a
   * digit, or a sign or dot and a digit; quote every such string whose
   * characters could all belong to one. */
  const char *p = s;
  if (*p == '-' || *p == '+')
    p++;
  if (!sk_is_digit((unsigned char)*p) && !(*p == '.' && sk_is_digit((unsigned char)p[1])))
    return false;
  bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
  for (p = s; *p; p++)
    if (!sk_is_digit((unsigned char)*p) && !strchr("_.:+-eExXoObB tTzZ", *p) &&
        !(hex && strchr("abcdefABCDEF", *p)))
      return false;
  return true;
}

static void scalar(emitter *y, const char *s, yaml_scalar_style_t style) {
  yaml_event_t ev;
  yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)YAML_STR_TAG, (yaml_char_t *)s,
                               (int)strlen(s), 1, 1, style);
  emit(y, &ev);
}

static void str(emitter *y, const char *s) {
  yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
  if (strchr(s, '\n'))
    style = YAML_LITERAL_SCALAR_STYLE;
  else if (plain_is_not_string(s))
    style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
  scalar(y, s, style);
}

static void number(emitter *y, unsigned n) {
  char text[16];
  snprintf(text, sizeof text, "%u", n);
  yaml_event_t ev;
  yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)YAML_INT_TAG, (yaml_char_t *)text,
                               (int)strlen(text), 1, 0, YAML_PLAIN_SCALAR_STYLE);
  emit(y, &ev);
}

static void map_start(emitter *y, yaml_mapping_style_t style) {
  yaml_event_t ev;
  yaml_mapping_start_event_initialize(&ev, NULL, (yaml_char_t *)YAML_MAP_TAG, 1, style);
  emit(y, &ev);
}

static void map_end(emitter *y) {
  yaml_event_t ev;
  yaml_mapping_end_event_initialize(&ev);
  emit(y, &ev);
}

static void seq_start(emitter *y, yaml_sequence_style_t style) {
  yaml_event_t ev;
  yaml_sequence_start_event_initialize(&ev, NULL, (yaml_char_t *)YAML_SEQ_TAG, 1, style);
  emit(y, &ev);
}

static void seq_end(emitter *y) {
  yaml_event_t ev;
  yaml_sequence_end_event_initialize(&ev);
  emit(y, &ev);
}

static void str_list(emitter *y, const char *k, const char *const *v, size_t n) {
  str(y, k);
  seq_start(y, YAML_BLOCK_SEQUENCE_STYLE);
  for (size_t i = 0; i < n; i++)
    str(y, v[i]);
  seq_end(y);
}

/* One analytics rule as a YAML document. False if libyaml refused it
 * (it cannot for valid UTF-8, which every string here is). */
static bool document(sk_buf *out, const sk_analytics *a) {
  emitter y = {.out = out, .ok = true};
  yaml_emitter_initialize(&y.e);
  yaml_emitter_set_output(&y.e, write_handler, out);
  yaml_emitter_set_unicode(&y.e, 1);
  yaml_emitter_set_width(&y.e, -1); /* never fold long lines */
  yaml_emitter_set_indent(&y.e, 2);
  yaml_event_t ev;
  yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
  emit(&y, &ev);
  yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
  emit(&y, &ev);
  map_start(&y, YAML_BLOCK_MAPPING_STYLE);
  sk_buf dur = SK_BUF_INIT;
  str(&y, "id");
  str(&y, a->guid);
  str(&y, "name");
  str(&y, a->name);
  str(&y, "description");
  str(&y, a->description);
  str(&y, "severity");
  str(&y, a->severity);
  str_list(&y, "requiredDataConnectors", NULL, 0);
  str(&y, "queryFrequency");
  sk_duration_short(&dur, a->frequency);
  str(&y, dur.ptr);
  sk_buf_clear(&dur);
  str(&y, "queryPeriod");
  sk_duration_short(&dur, a->period);
  str(&y, dur.ptr);
  str(&y, "triggerOperator");
  str(&y, "gt");
  str(&y, "triggerThreshold");
  number(&y, 0);
  str_list(&y, "tactics", a->tactics, a->ntactics);
  str_list(&y, "relevantTechniques", a->relevant, a->nrelevant);
  /* A literal block for the query, ending in a newline ("query: |"), as the
   * repository writes it. */
  sk_buf q = SK_BUF_INIT;
  sk_buf_puts(&q, a->query);
  sk_buf_putc(&q, '\n');
  str(&y, "query");
  scalar(&y, q.ptr, YAML_LITERAL_SCALAR_STYLE);
  sk_buf_free(&q);
  if (a->nentities) {
    str(&y, "entityMappings");
    seq_start(&y, YAML_BLOCK_SEQUENCE_STYLE);
    for (size_t i = 0; i < a->nentities; i++) {
      const sk_entity *e = &a->entities[i];
      map_start(&y, YAML_BLOCK_MAPPING_STYLE);
      str(&y, "entityType");
      str(&y, e->type);
      str(&y, "fieldMappings");
      seq_start(&y, YAML_BLOCK_SEQUENCE_STYLE);
      for (unsigned f = 0; f < e->n; f++) {
        map_start(&y, YAML_BLOCK_MAPPING_STYLE);
        str(&y, "identifier");
        str(&y, e->fields[f].identifier);
        str(&y, "columnName");
        str(&y, e->fields[f].column);
        map_end(&y);
      }
      seq_end(&y);
      map_end(&y);
    }
    seq_end(&y);
  }
  if (a->ndetails) {
    str(&y, "customDetails");
    map_start(&y, YAML_BLOCK_MAPPING_STYLE);
    for (size_t i = 0; i < a->ndetails; i++) {
      str(&y, a->details[i].key);
      str(&y, a->details[i].column);
    }
    map_end(&y);
  }
  str(&y, "eventGroupingSettings");
  map_start(&y, YAML_BLOCK_MAPPING_STYLE);
  str(&y, "aggregationKind");
  str(&y, "SingleAlert");
  map_end(&y);
  str(&y, "version");
  str(&y, "1.0.0");
  str(&y, "kind");
  str(&y, "Scheduled");
  map_end(&y);
  yaml_document_end_event_initialize(&ev, 1);
  emit(&y, &ev);
  yaml_stream_end_event_initialize(&ev);
  emit(&y, &ev);
  yaml_emitter_flush(&y.e);
  yaml_emitter_delete(&y.e);
  sk_buf_free(&dur);
  return y.ok;
}

static bool yaml_rule(const sk_fmt_rule *fr, sk_units *units) {
  sk_analytics *v;
  size_t n;
  if (!sk_analytics_build(fr, &v, &n))
    return false;
  for (size_t i = 0; i < n; i++) {
    sk_buf b = SK_BUF_INIT;
    if (!document(&b, &v[i])) {
      sk_diag_error(fr->pass->diags, fr->rule->loc, "cannot write the rule as YAML");
      sk_buf_free(&b);
      return false;
    }
    sk_units_add(fr->pass->arena, units,
                 (sk_str){sk_arena_strndup(fr->pass->arena, b.ptr ? b.ptr : "", b.len), b.len});
    sk_buf_free(&b);
  }
  return true;
}

/* Documents of one stream, separated by '---'. */
static void yaml_wrap(sk_buf *out, const sk_str *units, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (i)
      sk_buf_puts(out, "---\n");
    sk_buf_putstr(out, units[i]);
  }
}

const sk_format sk_format_sentinel_yaml = {
    .name = "sentinel-yaml", .rule = yaml_rule, .wrap = yaml_wrap};
