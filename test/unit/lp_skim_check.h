/*
 * lp_skim_check.h: whether the readers of parts of a line
 * (lp_parse_series_key, lp_skim_series_key, lp_line_time, lp_line_name)
 * agree with
 * lp_parse_line on one metric text. Shared by the conformance corpus test
 * (test_lp_corpus.c) and the parser fuzzer (fuzz_lp_parse.c).
 */
#ifndef TELEX_TEST_LP_SKIM_CHECK_H
#define TELEX_TEST_LP_SKIM_CHECK_H

#include <string.h>

#include "telex/lp.h"

static inline bool skim_same_slice(const struct lp_slice *a,
				   const struct lp_slice *b)
{
	return a->ptr == b->ptr && a->len == b->len && a->escaped == b->escaped;
}

/* The series key in s is exactly that of the parsed metric m. */
static inline const char *skim_series_differs(const struct lp_metric *s,
					      const struct lp_metric *m)
{
	if (!skim_same_slice(&s->name, &m->name))
		return "series key: name";
	if (s->ntags != m->ntags)
		return "series key: number of tags";
	for (size_t i = 0; i < s->ntags; i++)
		if (!skim_same_slice(&s->tags[i].key, &m->tags[i].key) ||
		    !skim_same_slice(&s->tags[i].value, &m->tags[i].value))
			return "series key: tag";
	if (s->nfields || s->has_time || s->line.ptr)
		return "series key: more than the series key";
	return NULL;
}

/*
 * p[0..len) (first physical line `first`) gave parse_rc and, when 0, the
 * metric m; else the error perr. NULL when the skimming readers agree: on
 * a valid line, the series key, the time and the name are the parsed
 * ones; on any text, an error in the series key is the parser's error.
 */
static inline const char *skim_differs(const char *p, size_t len, size_t first,
				       int parse_rc, const struct lp_metric *m,
				       const struct lp_error *perr)
{
	struct lp_metric s;
	struct lp_error e;
	const char *why = NULL;
	memset(&e, 0, sizeof(e));
	lp_metric_init(&s);
	int rc = lp_parse_series_key(p, len, first, &s, &e);
	struct lp_slice name = lp_line_name(p, len);
	int64_t ns = 0;
	bool has_time = lp_line_time(p, len, &ns);
	if (parse_rc == 0) {
		if (rc != 0)
			why = "series key: error on a valid line";
		else
			why = skim_series_differs(&s, m);
		if (!why && lp_skim_series_key(p, len, &s) != 0)
			why = "skimmed series key: none on a valid line";
		else if (!why)
			why = skim_series_differs(&s, m);
		if (!why && !skim_same_slice(&name, &m->name))
			why = "line name";
		if (!why &&
		    (has_time != m->has_time || (has_time && ns != m->time)))
			why = "line time";
	} else if (rc != 0 &&
		   (e.line != perr->line || e.column != perr->column ||
		    strcmp(e.msg, perr->msg) != 0)) {
		why = "series key: another error than the parser's";
	}
	lp_metric_free(&s);
	return why;
}

#endif
