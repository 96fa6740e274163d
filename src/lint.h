/* lint.h - the checks 'sigmakql check' adds to compiling: things that
 * convert but are probably not what the author meant. */
#ifndef SK_LINT_H
#define SK_LINT_H

#include "rule.h"

/* Reports warnings about a built rule: 'all of them', a filter* detection
 * used without 'not', regular expressions with a redundant '.*' or no
 * special character at all, and (unless the output format already does)
 * a missing id. */
void sk_lint_rule(sk_pass *p, const sk_rule *r, bool format_checks_id);

#endif
