/* source.c - line lookup for diagnostics. */
#include "source.h"

sk_str sk_source_line(const sk_source *src, uint32_t line) {
  sk_source_pos at = {1, sk_source_bom(src)};
  return sk_source_line_from(src, line, &at);
}

sk_str sk_source_line_from(const sk_source *src, uint32_t line, sk_source_pos *at) {
  if (at->line > line || at->line == 0 || at->offset > src->len)
    *at = (sk_source_pos){1, sk_source_bom(src)};
  size_t i = at->offset;
  uint32_t l = at->line;
  if (!memchr(src->data + i, '\r', src->len - i)) {
    /* Only '\n' ends a line (most files): jump from one to the next. */
    for (const char *nl; l < line && (nl = memchr(src->data + i, '\n', src->len - i)); l++)
      i = (size_t)(nl - src->data) + 1;
    if (l < line)
      i = src->len;
  }
  for (; l < line && i < src->len; i++)
    if (src->data[i] == '\n' ||
        (src->data[i] == '\r' && (i + 1 >= src->len || src->data[i + 1] != '\n')))
      l++;
  size_t start = i;
  *at = (sk_source_pos){l, start};
  while (i < src->len && src->data[i] != '\n' && src->data[i] != '\r')
    i++;
  return (sk_str){src->data + start, i - start};
}
