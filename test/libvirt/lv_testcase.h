/*
 * lv_testcase.h: what the cmocka tests of telex-libvirt assert alike (an
 * integer field, a collector started, a gather without schema violations).
 * Include after cmocka.h; lv_testlib.h holds what programs without cmocka share
 * too.
 */
#ifndef LV_TESTCASE_H
#define LV_TESTCASE_H

#include "lv_collect.h"
#include "lv_testlib.h"

/* The integer field key of m (m, the field and its type must be there). */
static inline int64_t lvt_int_field(const struct lvt_metric *m, const char *key)
{
	if (!m)
		fail_msg("metric missing (field %s)", key);
	const struct lvt_field *fl = lvt_field(m, key);
	if (!fl)
		fail_msg("field %s missing in %s", key, m->name);
	assert_int_equal(fl->type, LP_INT);
	return fl->i;
}

/* Starts col with set, its metrics into cap; the schema check then allows
 * the optional tags and fields that those settings add. */
static inline void lvt_start(struct lv_collector *col,
			     const struct lv_settings *set,
			     struct log_limiter *limiter,
			     struct lvt_capture *cap)
{
	cap->options = set->vcpu_mapping || set->device_name_tags ||
		       set->domain_uuid_tag || set->kvm_vcpu_stats;
	lv_collector_init(col, set, NULL, limiter, lvt_capture_emit, cap);
}

/* One gather of col on c into cap (cleared first): it succeeds and every
 * metric conforms to the schema. */
static inline void lvt_gather(struct lv_collector *col, virConnectPtr c,
			      struct lvt_capture *cap)
{
	lvt_capture_clear(cap);
	assert_int_equal(lv_collect_on(col, c), 0);
	if (cap->violations)
		fail_msg("%zu schema violations, first: %s", cap->violations,
			 cap->first_violation);
}

#endif
