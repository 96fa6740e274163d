/* filter.h - Sigma meta filters (filter documents): extra conditions a
 * filter adds to the rules it names whose log source it covers. They come
 * from --filter files and from filter documents among the inputs. */
#ifndef SK_FILTER_H
#define SK_FILTER_H

#include "rule.h"

typedef struct sk_filters sk_filters;

sk_filters *sk_filters_new(void);
void sk_filters_free(sk_filters *f);

/* Reads the filter documents of a file (copied). False after reporting
 * errors in a file that holds filters. Cheap for files without "filter". */
bool sk_filters_add(sk_filters *f, sk_diags *d, const char *path, const char *data, size_t len);

/* ANDs the condition of every filter that applies to r into r's
 * conditions, warning when a filter restricts rather than excludes. */
bool sk_filters_apply(sk_pass *p, const sk_filters *f, sk_rule *r);

#endif
