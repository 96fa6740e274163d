/* pipeline.h - user processing pipelines (-p FILE), the subset of pySigma's
 * YAML pipeline format that matters for KQL: field_name_mapping,
 * field_name_prefix, field_name_suffix, add_condition, change_logsource,
 * drop_detection_item, replace_string, set_state (query_table) and
 * rule_failure, with rule_conditions (logsource), field_name_conditions
 * (include_fields / exclude_fields) and priorities. They rewrite a built
 * rule before the target's own mapping runs. */
#ifndef SK_PIPELINE_H
#define SK_PIPELINE_H

#include "rule.h"

typedef struct sk_pipelines sk_pipelines;

/* Loads the pipeline files into arena a (which must outlive every rule
 * compiled with them). False after reporting errors to d. */
bool sk_pipelines_load(sk_arena *a, sk_diags *d, const char *const *paths, size_t n,
                       sk_pipelines **out);

/* Releases what the arena does not own (compiled regular expressions). */
void sk_pipelines_free(sk_pipelines *pl);

/* Applies every transformation whose conditions hold to rule r. False
 * after reporting errors (rule_failure, bad values). */
bool sk_pipelines_apply(sk_pass *p, const sk_pipelines *pl, sk_rule *r);

#endif
