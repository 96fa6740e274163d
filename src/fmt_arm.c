/* fmt_arm.c - output format arm: an Azure Resource Manager template that
 * Sentinel Repositories deploys as is, one resource of type
 * Microsoft.OperationalInsights/workspaces/providers/alertRules (kind
 * Scheduled) per analytics rule, named from the 'workspace' parameter and
 * the rule's GUID. One unit per analytics rule: the resource object,
 * indented for the template's resources array. Every string goes through
 * arm_string(): JSON escaping plus ARM's '[[' escape for a value that would
 * otherwise be read as a template expression. */
#include "sentinel.h"

#include <string.h>

/* A JSON string that ARM reads back literally: a whole value that starts
 * with '[' and ends with ']' is an expression unless written '[[...]'
 * (Learn: "Syntax and expressions in ARM templates", escape characters). */
static void arm_string(sk_buf *b, const char *s) {
  size_t n = strlen(s);
  sk_buf_putc(b, '"');
  if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
    sk_buf_putc(b, '[');
  sk_buf_json_str(b, (sk_str){s, n});
  sk_buf_putc(b, '"');
}

static void key(sk_buf *b, int indent, const char *name) {
  sk_buf_printf(b, "%*s\"%s\": ", indent, "", name);
}

static void string_array(sk_buf *b, const char *const *v, size_t n) {
  sk_buf_putc(b, '[');
  for (size_t i = 0; i < n; i++) {
    if (i)
      sk_buf_puts(b, ", ");
    arm_string(b, v[i]);
  }
  sk_buf_putc(b, ']');
}

static void resource(sk_buf *b, const sk_analytics *a) {
  sk_buf dur = SK_BUF_INIT;
  sk_buf_puts(b, "    {\n");
  key(b, 6, "type");
  sk_buf_puts(b, "\"Microsoft.OperationalInsights/workspaces/providers/alertRules\",\n");
  key(b, 6, "apiVersion");
  sk_buf_puts(b, "\"2024-09-01\",\n");
  key(b, 6, "name");
  sk_buf_printf(b,
                "\"[concat(parameters('workspace'), '/Microsoft.SecurityInsights/', '%s')]\",\n",
                a->guid);
  key(b, 6, "kind");
  sk_buf_puts(b, "\"Scheduled\",\n");
  key(b, 6, "properties");
  sk_buf_puts(b, "{\n");
  key(b, 8, "displayName");
  arm_string(b, a->name);
  sk_buf_puts(b, ",\n");
  key(b, 8, "description");
  arm_string(b, a->description);
  sk_buf_puts(b, ",\n");
  key(b, 8, "severity");
  arm_string(b, a->severity);
  sk_buf_puts(b, ",\n");
  key(b, 8, "enabled");
  sk_buf_puts(b, a->enabled ? "true,\n" : "false,\n");
  key(b, 8, "query");
  arm_string(b, a->query);
  sk_buf_puts(b, ",\n");
  key(b, 8, "queryFrequency");
  sk_duration_iso(&dur, a->frequency);
  arm_string(b, dur.ptr);
  sk_buf_puts(b, ",\n");
  sk_buf_clear(&dur);
  key(b, 8, "queryPeriod");
  sk_duration_iso(&dur, a->period);
  arm_string(b, dur.ptr);
  sk_buf_puts(b, ",\n");
  key(b, 8, "triggerOperator");
  sk_buf_puts(b, "\"GreaterThan\",\n");
  key(b, 8, "triggerThreshold");
  sk_buf_puts(b, "0,\n");
  key(b, 8, "suppressionEnabled");
  sk_buf_puts(b, "false,\n");
  key(b, 8, "suppressionDuration");
  sk_buf_puts(b, "\"PT5H\",\n");
  key(b, 8, "tactics");
  string_array(b, a->tactics, a->ntactics);
  sk_buf_puts(b, ",\n");
  key(b, 8, "techniques");
  string_array(b, a->techniques, a->ntechniques);
  sk_buf_puts(b, ",\n");
  if (a->nentities) {
    key(b, 8, "entityMappings");
    sk_buf_puts(b, "[\n");
    for (size_t i = 0; i < a->nentities; i++) {
      const sk_entity *e = &a->entities[i];
      sk_buf_puts(b, "          {\n");
      key(b, 12, "entityType");
      arm_string(b, e->type);
      sk_buf_puts(b, ",\n");
      key(b, 12, "fieldMappings");
      sk_buf_puts(b, "[\n");
      for (unsigned f = 0; f < e->n; f++) {
        sk_buf_puts(b, "              {\"identifier\": ");
        arm_string(b, e->fields[f].identifier);
        sk_buf_puts(b, ", \"columnName\": ");
        arm_string(b, e->fields[f].column);
        sk_buf_puts(b, f + 1 < e->n ? "},\n" : "}\n");
      }
      sk_buf_puts(b, "            ]\n");
      sk_buf_puts(b, i + 1 < a->nentities ? "          },\n" : "          }\n");
    }
    sk_buf_puts(b, "        ],\n");
  }
  if (a->ndetails) {
    key(b, 8, "customDetails");
    sk_buf_puts(b, "{\n");
    for (size_t i = 0; i < a->ndetails; i++) {
      key(b, 10, a->details[i].key);
      arm_string(b, a->details[i].column);
      sk_buf_puts(b, i + 1 < a->ndetails ? ",\n" : "\n");
    }
    sk_buf_puts(b, "        },\n");
  }
  key(b, 8, "eventGroupingSettings");
  sk_buf_puts(b, "{\"aggregationKind\": \"SingleAlert\"},\n");
  key(b, 8, "incidentConfiguration");
  sk_buf_puts(b, "{\"createIncident\": true}\n");
  sk_buf_puts(b, "      }\n");
  sk_buf_puts(b, "    }");
  sk_buf_free(&dur);
}

static bool arm_rule(const sk_fmt_rule *fr, sk_units *units) {
  sk_analytics *v;
  size_t n;
  if (!sk_analytics_build(fr, &v, &n))
    return false;
  for (size_t i = 0; i < n; i++) {
    sk_buf b = SK_BUF_INIT;
    resource(&b, &v[i]);
    sk_units_add(fr->pass->arena, units, (sk_str){sk_arena_strndup(fr->pass->arena, b.ptr, b.len), b.len});
    sk_buf_free(&b);
  }
  return true;
}

static void arm_wrap(sk_buf *out, const sk_str *units, size_t n) {
  sk_buf_puts(out,
              "{\n"
              "  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/"
              "deploymentTemplate.json#\",\n"
              "  \"contentVersion\": \"1.0.0.0\",\n"
              "  \"parameters\": {\n"
              "    \"workspace\": {\n"
              "      \"type\": \"string\",\n"
              "      \"metadata\": {\"description\": \"The Log Analytics workspace of Microsoft "
              "Sentinel\"}\n"
              "    }\n"
              "  },\n"
              "  \"resources\": [\n");
  for (size_t i = 0; i < n; i++) {
    sk_buf_putstr(out, units[i]);
    sk_buf_puts(out, i + 1 < n ? ",\n" : "\n");
  }
  sk_buf_puts(out, "  ]\n}\n");
}

const sk_format sk_format_arm = {.name = "arm", .rule = arm_rule, .wrap = arm_wrap};
