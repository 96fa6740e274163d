/* fmt_json.c - output format json: one JSON object per rule document (JSON
 * Lines), for tools; a failed rule is still a line, with its errors. Rules
 * left out by selection are not written. */
#include "format.h"

static void json_string(sk_buf *out, const char *s) {
  if (!s) {
    sk_buf_puts(out, "null");
    return;
  }
  sk_buf_putc(out, '"');
  sk_buf_json_str(out, sk_str_c(s));
  sk_buf_putc(out, '"');
}

static void json_messages(sk_buf *out, const sk_rule_result *rr, sk_severity_level sev) {
  bool first = true;
  sk_buf_putc(out, '[');
  for (size_t m = 0; m < rr->nmessages; m++) {
    const sk_message *msg = &rr->messages[m];
    /* A note belongs with the message before it. */
    size_t owner = m;
    while (owner > 0 && rr->messages[owner].severity == SK_NOTE)
      owner--;
    if (rr->messages[owner].severity != sev)
      continue;
    if (!first)
      sk_buf_puts(out, ", ");
    first = false;
    sk_buf_puts(out, "{\"file\": ");
    json_string(out, msg->file);
    sk_buf_printf(out, ", \"line\": %u, \"column\": %u, \"severity\": ", msg->line, msg->column);
    json_string(out, msg->severity == SK_ERROR     ? "error"
                     : msg->severity == SK_WARNING ? "warning"
                                                   : "note");
    sk_buf_puts(out, ", \"message\": ");
    json_string(out, msg->message);
    sk_buf_putc(out, '}');
  }
  sk_buf_putc(out, ']');
}

static void json_write(sk_buf *out, const sk_result *res, const char *path, const char *target,
                       const char *profile) {
  for (size_t i = 0; i < res->nrules; i++) {
    const sk_rule_result *rr = &res->rules_v[i];
    if (rr->skipped)
      continue;
    sk_buf_puts(out, "{\"path\": ");
    json_string(out, path);
    sk_buf_printf(out, ", \"index\": %u, \"id\": ", rr->index);
    json_string(out, rr->id);
    sk_buf_puts(out, ", \"title\": ");
    json_string(out, rr->title);
    sk_buf_puts(out, ", \"level\": ");
    json_string(out, rr->level);
    sk_buf_puts(out, ", \"status\": ");
    json_string(out, rr->status);
    sk_buf_puts(out, ", \"target\": ");
    json_string(out, target);
    sk_buf_puts(out, ", \"profile\": ");
    json_string(out, profile);
    sk_buf_puts(out, ", \"table\": ");
    json_string(out, rr->table);
    sk_buf_puts(out, ", \"family\": ");
    json_string(out, rr->family);
    sk_buf_printf(out, ", \"ok\": %s, \"queries\": [", rr->ok ? "true" : "false");
    for (size_t q = 0; q < rr->nqueries; q++) {
      if (q)
        sk_buf_puts(out, ", ");
      json_string(out, rr->queries[q]);
    }
    sk_buf_puts(out, "], \"errors\": ");
    json_messages(out, rr, SK_ERROR);
    sk_buf_puts(out, ", \"warnings\": ");
    json_messages(out, rr, SK_WARNING);
    sk_buf_puts(out, "}\n");
  }
}

const sk_format sk_format_json = {.name = "json", .write = json_write};
