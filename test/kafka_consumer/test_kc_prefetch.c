/*
 * test_kc_prefetch: the prefetch FIFO's order across growth and wrap-around,
 * its high-water marks derived from librdkafka's queue limits, and what a
 * record costs against them (key, value and librdkafka's message object).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/kafka_consumer/kc.h"

/* Messages made here, never destroyed by the FIFO: popped, not dropped. */
static rd_kafka_message_t *msgs(size_t n, size_t len, size_t key_len)
{
	rd_kafka_message_t *v = calloc(n, sizeof(*v));
	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		v[i].offset = (int64_t)i;
		v[i].len = len;
		v[i].key_len = key_len;
	}
	return v;
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *v)
{
	char err[256];
	if (rd_kafka_conf_set(conf, name, v, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK)
		fail_msg("%s: %s", name, err);
}

static void test_order(void **state)
{
	(void)state;
	struct kc_prefetch p;
	kc_prefetch_init(&p);
	rd_kafka_message_t *v = msgs(10000, 10, 0);
	/* Wrapped around, then grown while wrapped. */
	size_t in = 0, out = 0;
	for (; in < 3000; in++)
		assert_int_equal(kc_prefetch_push(&p, &v[in]), 0);
	for (; out < 2000; out++)
		assert_ptr_equal(kc_prefetch_pop(&p), &v[out]);
	for (; in < 10000; in++)
		assert_int_equal(kc_prefetch_push(&p, &v[in]), 0);
	assert_int_equal(p.len, 8000);
	for (; out < 10000; out++)
		assert_ptr_equal(kc_prefetch_pop(&p), &v[out]);
	assert_null(kc_prefetch_pop(&p));
	assert_int_equal(p.bytes, 0);
	kc_prefetch_free(&p);
	free(v);
}

static void test_limits_from_conf(void **state)
{
	(void)state;
	struct kc_prefetch p;
	kc_prefetch_init(&p);
	/* Unbounded until the limits are read. */
	assert_false(kc_prefetch_full(&p));
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	assert_int_equal(kc_prefetch_limits(&p, conf), 0);
	/* Half of librdkafka's own defaults: 64 MiB, 100000 records. */
	assert_int_equal(KC_PREFETCH_SHARE, 2);
	assert_int_equal(p.high_bytes, 32768 * 1024);
	assert_int_equal(p.high_records, 50000);
	set(conf, "queued.max.messages.kbytes", "2");
	set(conf, "queued.min.messages", "7");
	assert_int_equal(kc_prefetch_limits(&p, conf), 0);
	assert_int_equal(p.high_bytes, 1024);
	assert_int_equal(p.high_records, 3);
	rd_kafka_conf_destroy(conf);
	kc_prefetch_free(&p);
}

/* Bytes: records of 100 + 4 bytes cost 424 with librdkafka's object. */
static void test_bytes_mark(void **state)
{
	(void)state;
	assert_int_equal(KC_PREFETCH_RECORD_COST, 320);
	struct kc_prefetch p;
	kc_prefetch_init(&p);
	p.high_bytes = 2048; /* 4 records: 1696; 5: 2120 */
	p.high_records = 1000;
	rd_kafka_message_t *v = msgs(8, 100, 4);
	size_t in = 0;
	for (; in < 4; in++) {
		assert_int_equal(kc_prefetch_push(&p, &v[in]), 0);
		assert_false(kc_prefetch_full(&p));
	}
	assert_int_equal(p.bytes, 4 * 424);
	assert_int_equal(kc_prefetch_push(&p, &v[in++]), 0);
	assert_true(kc_prefetch_full(&p));
	/* Low at a quarter: 512 bytes, one record (424). */
	for (int i = 0; i < 3; i++) {
		kc_prefetch_pop(&p);
		assert_false(kc_prefetch_low(&p));
	}
	kc_prefetch_pop(&p);
	assert_int_equal(p.len, 1);
	assert_true(kc_prefetch_low(&p));
	assert_false(kc_prefetch_full(&p));
	kc_prefetch_pop(&p);
	assert_int_equal(p.bytes, 0);
	kc_prefetch_free(&p);
	free(v);
}

/* Records: empty records still count, by number. */
static void test_records_mark(void **state)
{
	(void)state;
	struct kc_prefetch p;
	kc_prefetch_init(&p);
	p.high_bytes = 1 << 20;
	p.high_records = 8;
	rd_kafka_message_t *v = msgs(8, 0, 0);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(kc_prefetch_push(&p, &v[i]), 0);
	assert_false(kc_prefetch_full(&p));
	assert_int_equal(kc_prefetch_push(&p, &v[7]), 0);
	assert_true(kc_prefetch_full(&p));
	while (p.len > 2) {
		assert_false(kc_prefetch_low(&p));
		kc_prefetch_pop(&p);
	}
	assert_true(kc_prefetch_low(&p));
	while (kc_prefetch_pop(&p))
		; /* free() would destroy them as librdkafka's */
	kc_prefetch_free(&p);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order),
	    cmocka_unit_test(test_limits_from_conf),
	    cmocka_unit_test(test_bytes_mark),
	    cmocka_unit_test(test_records_mark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
