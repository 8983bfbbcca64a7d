/*
 * lp_test.h: what the cmocka tests of the line-protocol model and parser
 * share: string literals as pointer and length, a slice compared by its
 * unescaped value, and the check of a metric left empty. Include after
 * cmocka.h.
 */
#ifndef TELEX_TEST_LP_TEST_H
#define TELEX_TEST_LP_TEST_H

#include <stdbool.h>
#include <stdint.h>
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

/* The values of a metric with one field of each type, in the order int,
 * uint, float, bool, string, and its timestamp. */
struct lp_each_type {
	int64_t i;
	uint64_t u;
	double f;
	bool b;
	const char *s;
	int64_t time;
};

/* m holds exactly the fields of want, in that order, and its time. */
static inline void assert_each_type(const struct lp_metric *m,
				    const struct lp_each_type *want)
{
	assert_int_equal(m->nfields, 5);
	assert_int_equal(m->fields[0].type, LP_INT);
	assert_int_equal(m->fields[0].v.i, want->i);
	assert_int_equal(m->fields[1].type, LP_UINT);
	assert_true(m->fields[1].v.u == want->u);
	assert_int_equal(m->fields[2].type, LP_FLOAT);
	assert_true(m->fields[2].v.f == want->f);
	assert_int_equal(m->fields[3].type, LP_BOOL);
	assert_true(m->fields[3].v.b == want->b);
	assert_int_equal(m->fields[4].type, LP_STRING);
	assert_true(slice_is(&m->fields[4].v.s, want->s));
	assert_true(m->has_time);
	assert_int_equal(m->time, want->time);
}

#endif
