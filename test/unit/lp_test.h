/*
 * lp_test.h: what the cmocka tests of the line-protocol model and parser
 * share: string literals as pointer and length, a slice compared by its
 * unescaped value, and the check of a metric left empty. Include after
 * cmocka.h.
 */
#ifndef TELEX_TEST_LP_TEST_H
#define TELEX_TEST_LP_TEST_H

#include <stdbool.h>
#include <string.h>

#include "telex/lp.h"

/* A string literal as the (pointer, length) pair the lp API takes. */
#define S(lit) lit, sizeof(lit) - 1

/* Whether s unescapes to want (slices of up to 512 bytes). */
static inline bool slice_is(const struct lp_slice *s, const char *want)
{
	char tmp[512];
	size_t n = lp_unescape(s, tmp);
	return n == strlen(want) && memcmp(tmp, want, n) == 0;
}

/* m holds no name, no tag and no field. */
static inline void assert_metric_empty(const struct lp_metric *m)
{
	assert_int_equal(m->ntags, 0);
	assert_int_equal(m->nfields, 0);
	assert_null(m->name.ptr);
}

#endif
