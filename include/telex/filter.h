/*
 * filter.h: Telegraf's per-plugin metric selection and modification
 * (namepass/namedrop, tagpass/tagdrop, fieldinclude/fieldexclude,
 * taginclude/tagexclude, name_override/prefix/suffix, [NAME.tags]) compiled
 * once from struct telex_common and applied per metric, in Telegraf's order.
 * Patterns use Telegraf's glob syntax (*, ?, [abc], [!abc], {a,b}).
 */
#ifndef TELEX_FILTER_H
#define TELEX_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "telex/config.h"
#include "telex/lp.h"

struct metric_filter;

/* Compile. for_input selects Telegraf's order and what applies: inputs
 * (RunningInput.MakeMetric): select, then name_override/prefix/suffix and
 * [NAME.tags] (tags the metric already has win), then field/tag
 * include/exclude; outputs (RunningOutput.AddMetric): select, then
 * include/exclude, then the name changes; no [NAME.tags]. A metric left
 * without fields is dropped. Returns NULL with err set on a bad pattern. */
struct metric_filter *filter_new(const struct telex_common *c, bool for_input,
				 char *err, size_t errlen);
void filter_free(struct metric_filter *f);

/* True when the filter neither selects nor changes anything: the hot path
 * skips it and forwards original bytes. */
bool filter_is_noop(const struct metric_filter *f);

/* Apply to m. Returns false when the metric is dropped (not selected, or
 * no field left). Changes mark m modified; added strings live in m->arena. */
bool filter_apply(const struct metric_filter *f, struct lp_metric *m);

/* Telegraf glob match of s[0..n) against a compiled pattern list (see
 * shim/glob.c for the syntax). An empty list matches nothing; Telegraf
 * treats an empty list as "no filter", which is the caller's test. */
struct glob_list;
struct glob_list *glob_list_new(const struct cfg_strv *patterns, char *err,
				size_t errlen);
/* The same with separators (namepass_separator): a '*' does not match
 * them, a '**' does, a '?' never does. NULL or "" for none. */
struct glob_list *glob_list_new_sep(const struct cfg_strv *patterns,
				    const char *separators, char *err,
				    size_t errlen);
bool glob_list_match(const struct glob_list *g, const char *s, size_t n);
void glob_list_free(struct glob_list *g);

#endif
