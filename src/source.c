/* source.c - line lookup for diagnostics. */
#include "source.h"

sk_str sk_source_line(const sk_source *src, uint32_t line) {
  size_t i = sk_source_bom(src);
  for (uint32_t l = 1; l < line && i < src->len; i++)
    if (src->data[i] == '\n' ||
        (src->data[i] == '\r' && (i + 1 >= src->len || src->data[i + 1] != '\n')))
      l++;
  size_t start = i;
  while (i < src->len && src->data[i] != '\n' && src->data[i] != '\r')
    i++;
  return (sk_str){src->data + start, i - start};
}
