/* check_data.c - the build-time check of the mapping data: fails the build
 * when a route or field mapping names a column its table does not have
 * (the mistake that costs the reference converter 581 rules). */
#include <stdio.h>

#include "backend.h"

int main(void) {
  sk_buf report = SK_BUF_INIT;
  bool ok = sk_default_check(&report);
  if (!ok)
    fprintf(stderr, "%scheck-data: the mapping data names columns that do not exist\n",
            report.ptr);
  sk_buf_free(&report);
  return ok ? 0 : 1;
}
