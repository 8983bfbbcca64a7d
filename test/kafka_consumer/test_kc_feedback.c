/*
 * test_kc_feedback: which emitted metrics telex-kafka-consumer counts as
 * written by Telegraf's outputs, from its marks and the outputs'
 * internal_write samples (kc_feedback.c).
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

static char *one[] = {"influx", NULL};
static char *two[] = {"a", "b", NULL};

/* A sample at time ts (ns, not a round number) of an output with a
 * buffer of 10000. */
static struct kc_fb_sample smp(int64_t ts, int64_t added, int64_t written,
			       int64_t dropped)
{
	return (struct kc_fb_sample){.ts = ts,
				     .added = added,
				     .written = written,
				     .dropped = dropped,
				     .size = added - written - dropped,
				     .limit = 10000};
}

/* Nothing may be emitted before every tracked output has sent a sample
 * (its metrics_dropped is the base a drop is seen against); then the
 * window is half the smallest buffer. */
static void test_window(void **state)
{
	(void)state;
	struct kc_fb f;
	kc_fb_init(&f, two, 2, 0);
	assert_int_equal(kc_fb_window(&f), 0);
	assert_true(kc_fb_blocked(&f, 0));
	struct kc_fb_sample s = smp(1001, 0, 0, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	assert_true(kc_fb_blocked(&f, 0));
	s.limit = 3000;
	assert_int_equal(kc_fb_sample(&f, 1, &s, 0), KC_FB_NONE);
	assert_int_equal(kc_fb_window(&f), 1500);
	assert_false(kc_fb_blocked(&f, 1499));
	assert_true(kc_fb_blocked(&f, 1500));
	kc_fb_free(&f);

	kc_fb_init(&f, one, 1, 200); /* set by feedback_window */
	assert_int_equal(kc_fb_window(&f), 200);
	kc_fb_free(&f);
}

/* A mark is confirmed only by a sample taken after it came back whose
 * metrics_added the output has then written past. */
static void test_confirm_after_mark_back(void **state)
{
	(void)state;
	struct kc_fb f;
	kc_fb_init(&f, one, 1, 0);
	struct kc_fb_sample s = smp(1001, 0, 0, 0);
	kc_fb_sample(&f, 0, &s, 0);

	/* 100 metrics, then mark 1 at stdout position 5000. */
	assert_int_equal(kc_fb_mark_add(&f, 1, 5000, 100), 0);
	/* A sample before the mark is back says nothing about it, even
	 * with everything written. */
	s = smp(2001, 100, 100, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	assert_int_equal(f.confirmed_pos, 0);
	kc_fb_mark_back(&f, 1, 3000);
	/* Taken before the mark came back: no bound. */
	s = smp(2999, 100, 100, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	assert_int_equal(f.confirmed_pos, 0);
	/* After: the bound is 130 (30 from other inputs), written 120. */
	s = smp(3001, 130, 120, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	assert_int_equal(f.confirmed_pos, 0);
	/* Written up to the bound: confirmed. */
	s = smp(4001, 150, 130, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 100), KC_FB_CONFIRMED);
	assert_int_equal(f.confirmed_pos, 5000);
	assert_int_equal(f.confirmed, 100);
	/* 20 in the buffer: 4979 more may go. */
	assert_false(kc_fb_blocked(&f, 100 + 4979));
	assert_true(kc_fb_blocked(&f, 100 + 4980));
	kc_fb_free(&f);
}

/* Telegraf rounds an input's timestamps (to the second for an interval of
 * a second or more): a sample stamped on a round time may have been taken
 * up to half of that earlier. */
static void test_rounded_sample_time(void **state)
{
	(void)state;
	assert_int_equal(kc_fb_rounding(1796391668400786701LL), 0);
	assert_int_equal(kc_fb_rounding(1796391668400786700LL), 50);
	assert_int_equal(kc_fb_rounding(1796391668400000000LL), 50000000);
	assert_int_equal(kc_fb_rounding(1796391668000000000LL), 500000000);
	assert_int_equal(kc_fb_rounding(1796391660000000000LL), 500000000);

	struct kc_fb f;
	kc_fb_init(&f, one, 1, 0);
	struct kc_fb_sample s = smp(1001, 0, 0, 0);
	kc_fb_sample(&f, 0, &s, 0);
	kc_fb_mark_add(&f, 1, 700, 7);
	kc_fb_mark_back(&f, 1, 1796391667700000001LL);
	/* Stamped 1796391668 s: taken from 1796391667.5 s on, which may be
	 * before the mark came back: no bound. */
	s = smp(1796391668000000000LL, 7, 7, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	assert_int_equal(f.confirmed_pos, 0);
	s = smp(1796391669000000000LL, 7, 7, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_CONFIRMED);
	assert_int_equal(f.confirmed_pos, 700);
	kc_fb_free(&f);
}

/* A buffer shared with another consumer (or other inputs): what it
 * held at the last sample counts against the window, with what was
 * emitted since. */
static void test_shared_buffer(void **state)
{
	(void)state;
	struct kc_fb f;
	kc_fb_init(&f, one, 1, 0);
	struct kc_fb_sample s = smp(11, 4000, 0, 0); /* someone else's */
	kc_fb_sample(&f, 0, &s, 0);
	assert_false(kc_fb_blocked(&f, 999));
	assert_true(kc_fb_blocked(&f, 1000));
	/* Written meanwhile: room again, counting what went out since the
	 * sample (600 of ours in the buffer now, 400 still on the way), up
	 * to the window of ours in flight (none confirmed). */
	s = smp(21, 4600, 4000, 0);
	kc_fb_sample(&f, 0, &s, 1000);
	assert_false(kc_fb_blocked(&f, 1000));
	assert_false(kc_fb_blocked(&f, 4999));
	assert_true(kc_fb_blocked(&f, 5000));
	/* Another 4000 of someone else's: 600 + 4000 + ours since. */
	s = smp(31, 8600, 4000, 0);
	kc_fb_sample(&f, 0, &s, 1000);
	assert_true(kc_fb_blocked(&f, 1400));
	assert_false(kc_fb_blocked(&f, 1399));
	kc_fb_free(&f);
}

/* With two outputs, both must have written past their bounds. */
static void test_two_outputs(void **state)
{
	(void)state;
	struct kc_fb f;
	kc_fb_init(&f, two, 2, 0);
	struct kc_fb_sample s = smp(11, 50, 50, 0);
	kc_fb_sample(&f, 0, &s, 0);
	kc_fb_sample(&f, 1, &s, 0);
	kc_fb_mark_add(&f, 1, 100, 10);
	kc_fb_mark_add(&f, 2, 200, 20);
	kc_fb_mark_back(&f, 2, 20); /* 1 vouched for by 2 */
	s = smp(21, 70, 70, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	s = smp(21, 70, 60, 0);
	assert_int_equal(kc_fb_sample(&f, 1, &s, 0), KC_FB_NONE);
	assert_int_equal(f.confirmed_pos, 0);
	s = smp(31, 70, 70, 0);
	assert_int_equal(kc_fb_sample(&f, 1, &s, 0), KC_FB_CONFIRMED);
	assert_int_equal(f.confirmed_pos, 200);
	assert_int_equal(f.mlen, 0);
	kc_fb_free(&f);
}

/* metrics_dropped growing is reported (the caller reads everything
 * unconfirmed again); afterwards nothing new goes out until the buffer
 * has let out what it held when the drop was seen. */
static void test_drop_and_barrier(void **state)
{
	(void)state;
	struct kc_fb f;
	kc_fb_init(&f, one, 1, 0);
	struct kc_fb_sample s = smp(11, 100, 100, 3); /* dropped before */
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	kc_fb_mark_add(&f, 1, 100, 50);
	kc_fb_mark_back(&f, 1, 12);
	s = smp(21, 9000, 100, 3);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	s = smp(31, 12000, 100, 2003);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_DROPPED);
	assert_int_equal(f.dropped_seen, 2000);
	assert_int_equal(f.confirmed_pos, 0);
	kc_fb_rewind(&f, 50);
	assert_int_equal(f.mlen, 0);
	assert_true(kc_fb_blocked(&f, 50));
	s = smp(41, 12000, 9000, 2003);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	assert_true(kc_fb_blocked(&f, 50));
	s = smp(51, 12100, 9997, 2003);
	kc_fb_sample(&f, 0, &s, 0);
	assert_false(kc_fb_blocked(&f, 50));
	assert_true(kc_fb_blocked(&f, 50 + 5000));
	/* Marks after the rewind confirm as before. */
	kc_fb_mark_add(&f, 2, 900, 60);
	kc_fb_mark_back(&f, 2, 52);
	s = smp(61, 12110, 12110, 2003);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_CONFIRMED);
	assert_int_equal(f.confirmed_pos, 900);
	kc_fb_free(&f);
}

/* The same sample twice (a resend) is stale, and so is an older one
 * arriving late; two gathers within one millisecond share a time, with
 * counters that went on: the next sample. Counters going back mean two
 * outputs answer to the name: never confirm. */
static void test_duplicates_and_ambiguity(void **state)
{
	(void)state;
	struct kc_fb f;
	kc_fb_init(&f, one, 1, 0);
	struct kc_fb_sample s = smp(11, 5, 5, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_STALE);
	s = smp(9, 1, 1, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_STALE);
	assert_int_equal(f.out[0].added, 5);
	s = smp(11, 7, 7, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_NONE);
	assert_int_equal(f.out[0].added, 7);
	assert_false(f.ambiguous);
	s = smp(21, 6, 6, 0);
	assert_int_equal(kc_fb_sample(&f, 0, &s, 0), KC_FB_AMBIGUOUS);
	assert_true(kc_fb_blocked(&f, 0));
	kc_fb_free(&f);
}

/* Many marks through a ring that wraps, confirmed in order. */
static void test_many_marks(void **state)
{
	(void)state;
	struct kc_fb f;
	kc_fb_init(&f, one, 1, 0);
	struct kc_fb_sample s = smp(1, 0, 0, 0);
	kc_fb_sample(&f, 0, &s, 0);
	int64_t t = 10, added = 0;
	uint64_t seq = 1;
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 37; i++, seq++) {
			added += 3;
			assert_int_equal(
			    kc_fb_mark_add(&f, seq, seq * 10, (uint64_t)added),
			    0);
		}
		kc_fb_mark_back(&f, seq - 5, t++);
		s = smp(t++, added, added, 0);
		kc_fb_sample(&f, 0, &s, 0);
		/* All but the last 4 (not back yet) are confirmed. */
		assert_int_equal(f.confirmed_pos, (seq - 5) * 10);
		assert_int_equal(f.mlen, 4);
	}
	kc_fb_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_confirm_after_mark_back),
	    cmocka_unit_test(test_rounded_sample_time),
	    cmocka_unit_test(test_shared_buffer),
	    cmocka_unit_test(test_two_outputs),
	    cmocka_unit_test(test_drop_and_barrier),
	    cmocka_unit_test(test_duplicates_and_ambiguity),
	    cmocka_unit_test(test_many_marks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
