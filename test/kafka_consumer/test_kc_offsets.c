/*
 * test_kc_offsets: which offsets telex-kafka-consumer may commit, given
 * the stdout positions of the records' lines.
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

static uint32_t part(struct kc_offsets *o, const char *topic, int32_t p)
{
	int64_t i = kc_offsets_get(o, topic, p);
	assert_true(i >= 0);
	return (uint32_t)i;
}

static uint32_t assigned(struct kc_offsets *o, const char *topic, int32_t p)
{
	uint32_t i = part(o, topic, p);
	kc_offsets_assign(o, i);
	return i;
}

/* A record is done only once stdout has taken its last byte. */
static void test_done_when_written(void **state)
{
	(void)state;
	struct kc_offsets o;
	kc_offsets_init(&o);
	uint32_t a = assigned(&o, "t", 0), b = assigned(&o, "t", 1);
	assert_int_equal(kc_offsets_track(&o, a, 11, 100), 0); /* t[0]@10 */
	assert_int_equal(kc_offsets_track(&o, b, 6, 250), 0);  /* t[1]@5 */
	assert_int_equal(kc_offsets_track(&o, a, 12, 300), 0); /* t[0]@11 */
	assert_int_equal(o.undelivered, 3);

	assert_int_equal(kc_offsets_written(&o, 99), 0);
	assert_int_equal(o.parts[a].done, -1);
	assert_int_equal(kc_offsets_written(&o, 100), 1);
	assert_int_equal(o.parts[a].done, 11);
	assert_int_equal(o.parts[b].done, -1);
	assert_int_equal(kc_offsets_written(&o, 299), 1);
	assert_int_equal(o.parts[b].done, 6);
	assert_int_equal(o.parts[a].done, 11);
	assert_int_equal(o.undelivered, 1);

	size_t n;
	const uint32_t *d = kc_offsets_take_dirty(&o, &n);
	assert_int_equal(n, 2);
	assert_int_equal(d[0], a);
	assert_int_equal(d[1], b);
	kc_offsets_take_dirty(&o, &n);
	assert_int_equal(n, 0);

	assert_int_equal(kc_offsets_written(&o, 1000), 1);
	assert_int_equal(o.parts[a].done, 12);
	assert_int_equal(o.undelivered, 0);
	d = kc_offsets_take_dirty(&o, &n);
	assert_int_equal(n, 1);
	assert_int_equal(d[0], a);
	kc_offsets_free(&o);
}

/* Records without output join the run before them when it is of the same
 * partition; they still count as undelivered until it is written. */
static void test_runs_merge(void **state)
{
	(void)state;
	struct kc_offsets o;
	kc_offsets_init(&o);
	uint32_t a = assigned(&o, "t", 0), b = assigned(&o, "u", 0);
	kc_offsets_track(&o, a, 1, 50);
	kc_offsets_track(&o, a, 2, 50); /* no line: same position */
	kc_offsets_track(&o, a, 3, 50);
	assert_int_equal(o.len, 1);
	kc_offsets_track(&o, b, 8, 50); /* same position, other partition */
	assert_int_equal(o.len, 2);
	assert_int_equal(o.undelivered, 4);
	assert_int_equal(kc_offsets_written(&o, 50), 4);
	assert_int_equal(o.parts[a].done, 3);
	assert_int_equal(o.parts[b].done, 8);
	kc_offsets_free(&o);
}

/* A revoked partition's pending records are forgotten: never committed by
 * this consumer, no longer counted. The other partitions keep theirs. */
static void test_revoke_forgets(void **state)
{
	(void)state;
	struct kc_offsets o;
	kc_offsets_init(&o);
	uint32_t a = assigned(&o, "t", 0), b = assigned(&o, "t", 1);
	kc_offsets_track(&o, a, 1, 10);
	kc_offsets_track(&o, b, 1, 20);
	kc_offsets_track(&o, a, 2, 30);
	kc_offsets_track(&o, b, 2, 40);
	kc_offsets_written(&o, 10);
	kc_offsets_revoke(&o, a);
	assert_false(o.parts[a].assigned);
	assert_int_equal(o.undelivered, 2);
	assert_int_equal(o.len, 2);
	assert_int_equal(kc_offsets_written(&o, 100), 2);
	assert_int_equal(o.parts[a].done, 1); /* what was done before */
	assert_int_equal(o.parts[b].done, 2);

	/* Assigned again: a fresh start. */
	kc_offsets_assign(&o, a);
	assert_true(o.parts[a].assigned);
	assert_int_equal(o.parts[a].done, -1);
	assert_int_equal(o.parts[a].committed, -1);
	kc_offsets_free(&o);
}

/* Many partitions: each name and number finds its own entry. */
static void test_many_partitions(void **state)
{
	(void)state;
	struct kc_offsets o;
	kc_offsets_init(&o);
	char name[32];
	for (int t = 0; t < 50; t++)
		for (int p = 0; p < 40; p++) {
			snprintf(name, sizeof(name), "topic-%d", t);
			assert_int_equal(kc_offsets_get(&o, name, p),
					 t * 40 + p);
		}
	assert_int_equal(o.nparts, 2000);
	for (int t = 49; t >= 0; t--)
		for (int p = 39; p >= 0; p--) {
			snprintf(name, sizeof(name), "topic-%d", t);
			int64_t i = kc_offsets_find(&o, name, p);
			assert_int_equal(i, t * 40 + p);
			assert_string_equal(o.parts[i].topic, name);
			assert_int_equal(o.parts[i].partition, p);
		}
	assert_int_equal(kc_offsets_find(&o, "topic-50", 0), -1);
	assert_int_equal(kc_offsets_find(&o, "topic-1", 40), -1);
	kc_offsets_free(&o);
}

/* The FIFO grows and wraps around while being drained: every record is
 * done exactly once, in order. */
static void test_ring_wraps(void **state)
{
	(void)state;
	struct kc_offsets o;
	kc_offsets_init(&o);
	uint32_t p[3];
	for (int i = 0; i < 3; i++)
		p[i] = assigned(&o, "w", i);
	uint64_t pos = 0, written = 0, done = 0;
	int64_t next[3] = {0, 0, 0};
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 700 + round * 37; i++) {
			int k = (i * 7 + round) % 3;
			pos += 10;
			next[k]++;
			assert_int_equal(
			    kc_offsets_track(&o, p[k], next[k], pos), 0);
		}
		written += (pos - written) / 2;
		done += kc_offsets_written(&o, written);
		assert_int_equal(done + o.undelivered,
				 next[0] + next[1] + next[2]);
	}
	done += kc_offsets_written(&o, pos);
	assert_int_equal(o.undelivered, 0);
	assert_int_equal(done, next[0] + next[1] + next[2]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(o.parts[p[i]].done, next[i]);
	kc_offsets_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_done_when_written),
	    cmocka_unit_test(test_runs_merge),
	    cmocka_unit_test(test_revoke_forgets),
	    cmocka_unit_test(test_many_partitions),
	    cmocka_unit_test(test_ring_wraps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
