/* re2_check.h - asks RE2 itself whether it accepts a regular expression.
 * KQL's 'matches regex' runs RE2, so a pattern is checked by the engine
 * that will run it, not by an approximation (re2_check.cc, C++). */
#ifndef SK_RE2_CHECK_H
#define SK_RE2_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* True if RE2, with its default options (UTF-8, Perl classes, 8 MiB
 * program memory), compiles pattern[0..len). Otherwise false, and when
 * error is not NULL *error receives RE2's message ("missing ): (abc"),
 * malloc'd and owned by the caller; the fragment of the pattern RE2 quotes
 * is cut to 40 code points and its control characters are written as
 * \n, \t, \r or \xNN, so the message stays one printable line. */
bool sk_re2_check(const char *pattern, size_t len, char **error);

#ifdef __cplusplus
}
#endif

#endif
