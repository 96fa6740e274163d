/* session.h - what one run remembers across files, for correlation rules:
 * which ids and names correlations refer to (from a pre-scan), copies of
 * the files that hold those rules and the correlations, and the
 * correlations still to compile once every file has been seen. */
#ifndef SK_SESSION_H
#define SK_SESSION_H

#include "correlation.h"

typedef struct sk_session sk_session;

sk_session *sk_session_new(void);
void sk_session_free(sk_session *s);

/* Notes the rules the correlations of a file refer to. Cheap for files
 * without the word "correlation". */
void sk_session_prescan(sk_session *s, const char *data, size_t len);

/* Is a rule with this id or name referred to by some correlation? Sets
 * *standalone when one of those correlations says generate: true. */
bool sk_session_referred(const sk_session *s, sk_str id, sk_str name, bool *standalone);

/* Remembers document doc (an index into the file's rule documents) of the
 * file path/data; the file is copied once. */
void sk_session_remember(sk_session *s, const char *path, const char *data, size_t len,
                         uint32_t doc, sk_str id, sk_str name, bool correlation);

/* The correlations remembered, in the order seen. */
size_t sk_session_correlations(const sk_session *s);
/* Compiles correlation k in env->p's arena (which the caller resets);
 * *path is its file. */
bool sk_session_compile(sk_session *s, size_t k, sk_corr_env *env, sk_output *out,
                        const char **path, uint32_t *doc);

/* The document and source of correlation k, loaded into p's arena. */
const sk_ynode *sk_session_doc(sk_session *s, size_t k, sk_pass *p);
const sk_source *sk_session_source(sk_session *s, size_t k, sk_pass *p);

#endif
