/*
 * test_kc_record: one Kafka record to metrics: every line validated, the
 * native plugin's tags, name and timestamp, JSON records, limits. The sink
 * writes what telex_emit() would: original bytes when nothing changed,
 * else the serialised metric.
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

struct sink {
	struct buf out;
	int fail_after; /* emits that succeed before the writer breaks; -1 */
	int emitted;
	bool broken;
};

static enum telex_emit_result sink_emit(void *arg, struct lp_metric *m)
{
	struct sink *s = arg;
	if (s->fail_after >= 0 && s->emitted >= s->fail_after) {
		s->broken = true;
		return TELEX_EMIT_UNWRITABLE;
	}
	s->emitted++;
	if (m->line.ptr && !m->modified) {
		buf_append(&s->out, m->line.ptr, m->line.len);
		buf_putc(&s->out, '\n');
		return TELEX_EMIT_QUEUED;
	}
	struct lp_error e;
	return lp_write_metric(&s->out, m, 0, &e) == 0 ? 1 : -1;
}

static bool sink_broken(void *arg)
{
	return ((struct sink *)arg)->broken;
}

struct fixture {
	struct kc_record r;
	struct sink s;
	struct log_limiter lim;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	kc_record_init(&f->r);
	f->s.out = (struct buf)BUF_INIT;
	f->s.fail_after = -1;
	f->r.sink = (struct kc_sink){sink_emit, sink_broken, &f->s};
	f->r.limiter = &f->lim;
	log_set_level(LOG_ERROR); /* the skipped lines are expected */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kc_record_free(&f->r);
	buf_free(&f->s.out);
	free(f);
	return 0;
}

static int process(struct fixture *f, const char *payload)
{
	struct kc_msg msg = {.topic = "metrics",
			     .partition = 3,
			     .offset = 42,
			     .payload = payload,
			     .len = payload ? strlen(payload) : 0,
			     .timestamp_ms = -1};
	return kc_record_process(&f->r, &msg);
}

static void output_is(struct fixture *f, const char *want)
{
	buf_putc(&f->s.out, '\0');
	assert_string_equal(f->s.out.data, want);
	f->s.out.len = 0;
}

/* Many lines per record; a bad line costs that line only; blank lines and
 * comments are not metrics; unchanged lines keep their bytes. */
static void test_lines(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(process(f, "cpu,host=a usage=1 1\n"
				    "# a comment\n"
				    "cpu,host=b usage=oops 2\n"
				    "\n"
				    "mem,host=a   free=2i 3\r\n"
				    "disk free=3i"),
			 0);
	output_is(f, "cpu,host=a usage=1 1\nmem,host=a   free=2i 3\n"
		     "disk free=3i\n");
	assert_int_equal(f->r.st.metrics, 3);
	assert_int_equal(f->r.st.invalid, 1);
	assert_int_equal(f->r.st.records, 1);
	assert_int_equal(log_limited_total(&f->lim, "invalid line"), 1);
}

/* topic_tag replaces a tag of the same key, as Telegraf's AddTag does. */
static void test_topic_tag(void **state)
{
	struct fixture *f = *state;
	f->r.topic_tag = "topic";
	f->r.topic_tag_len = 5;
	assert_int_equal(process(f, "cpu,host=a usage=1 1\n"
				    "cpu,topic=old,zone=z usage=2 2\n"),
			 0);
	output_is(f, "cpu,host=a,topic=metrics usage=1 1\n"
		     "cpu,topic=metrics,zone=z usage=2 2\n");
}

static void test_headers(void **state)
{
	struct fixture *f = *state;
	char *tags[] = {"dc", "rack"};
	f->r.header_tags = tags;
	f->r.nheader_tags = 2;
	f->r.name_header = "name";
	f->r.topic_tag = "dc"; /* applied after the headers: wins */
	f->r.topic_tag_len = 2;
	const struct kc_header h[] = {
	    {"rack", "r1", 2}, {"name", "first", 5},   {"other", "x", 1},
	    {"rack", "r2", 2}, {"name", "renamed", 7}, {"dc", "eu", 2},
	};
	const char *payload = "cpu,host=a usage=1 1\n";
	struct kc_msg msg = {.topic = "metrics",
			     .partition = 0,
			     .offset = 1,
			     .payload = payload,
			     .len = strlen(payload),
			     .timestamp_ms = -1,
			     .headers = h,
			     .nheaders = 6};
	assert_true(kc_record_wants_headers(&f->r));
	assert_int_equal(kc_record_process(&f->r, &msg), 0);
	output_is(f, "renamed,dc=metrics,host=a,rack=r2 usage=1 1\n");

	/* A header without a value: an empty tag, which is not written. */
	const struct kc_header nul[] = {{"rack", NULL, 0}};
	msg.headers = nul;
	msg.nheaders = 1;
	f->r.topic_tag = NULL;
	assert_int_equal(kc_record_process(&f->r, &msg), 0);
	output_is(f, "cpu,host=a usage=1 1\n");
}

static int process_headers(struct fixture *f, const char *topic,
			   const struct kc_header *h, size_t n,
			   const char *payload)
{
	struct kc_msg msg = {.topic = topic,
			     .partition = 0,
			     .offset = 7,
			     .payload = payload,
			     .len = strlen(payload),
			     .timestamp_ms = -1,
			     .headers = h,
			     .nheaders = n};
	return kc_record_process(&f->r, &msg);
}

/* A header value that line protocol cannot carry as it is makes invalid
 * lines, like any other line that would fail the parser: a measurement
 * starting with '#' (a comment), one ending in a backslash (lost), a tag
 * value that is not UTF-8. The record's metrics are skipped, counted and
 * logged with the header's name; the next record is judged on its own. */
static void test_header_values_validated(void **state)
{
	struct fixture *f = *state;
	char *tags[] = {"dc"};
	f->r.header_tags = tags;
	f->r.nheader_tags = 1;
	f->r.name_header = "name";
	const char *two = "cpu,host=a usage=1 1\ncpu,host=b usage=2 2\n";
	static const struct kc_header bad[][1] = {
	    {{"name", "#x", 2}},	{{"name", "ab\\", 3}},
	    {{"name", "a\xff\xfe", 3}}, {{"name", "", 0}},
	    {{"dc", "eu\xff\xfe", 4}},	{{"dc", "eu\\", 3}},
	    {{"dc", "a\nb", 3}},
	};
	size_t n = sizeof(bad) / sizeof(bad[0]);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(process_headers(f, "metrics", bad[i], 1, two),
				 0);
		output_is(f, "");
	}
	assert_int_equal(f->r.st.invalid, 2 * n);
	assert_int_equal(f->r.st.metrics, 0);
	assert_int_equal(log_limited_total(&f->lim, "invalid header"), 2 * n);

	/* The last header of a name wins: an earlier bad one is not used. */
	const struct kc_header later[] = {{"name", "#x", 2},
					  {"name", "renamed", 7},
					  {"dc", "eu\\", 3},
					  {"dc", "caf\xc3\xa9", 5}};
	assert_int_equal(process_headers(f, "metrics", later, 4, two), 0);
	output_is(f, "renamed,dc=caf\xc3\xa9,host=a usage=1 1\n"
		     "renamed,dc=caf\xc3\xa9,host=b usage=2 2\n");
	/* Escapable bytes are fine: they are written escaped. */
	const struct kc_header esc[] = {{"name", "a b,c", 5},
					{"dc", "x=y z", 5}};
	assert_int_equal(process_headers(f, "metrics", esc, 2, two), 0);
	output_is(f, "a\\ b\\,c,dc=x\\=y\\ z,host=a usage=1 1\n"
		     "a\\ b\\,c,dc=x\\=y\\ z,host=b usage=2 2\n");
	assert_int_equal(f->r.st.metrics, 4);

	/* A topic Kafka would not name (it never does) as a tag: checked
	 * the same way. */
	f->r.header_tags = NULL;
	f->r.nheader_tags = 0;
	f->r.name_header = NULL;
	f->r.topic_tag = "topic";
	f->r.topic_tag_len = 5;
	assert_int_equal(process_headers(f, "t\xff", NULL, 0, two), 0);
	output_is(f, "");
	assert_int_equal(process_headers(f, "t x", NULL, 0, "m v=1 1\n"), 0);
	output_is(f, "m,topic=t\\ x v=1 1\n");
}

/* Records without a value (empty, or null: a tombstone) are counted and
 * logged, as the README says. */
static void test_empty_records(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(process(f, NULL), 0);
	assert_int_equal(process(f, ""), 0);
	assert_int_equal(process(f, "m v=1 1\n"), 0);
	output_is(f, "m v=1 1\n");
	assert_int_equal(f->r.st.empty, 2);
	assert_int_equal(f->r.st.records, 3);
	assert_int_equal(log_limited_total(&f->lim, "empty record"), 2);
}

static void test_timestamps(void **state)
{
	struct fixture *f = *state;
	const char *payload = "cpu usage=1 1\ncpu usage=2\n";
	struct kc_msg msg = {.topic = "t",
			     .partition = 0,
			     .offset = 1,
			     .payload = payload,
			     .len = strlen(payload),
			     .timestamp_ms = 1700000000123};
	f->r.ts_source = KC_TS_METRIC;
	assert_int_equal(kc_record_process(&f->r, &msg), 0);
	output_is(f, "cpu usage=1 1\ncpu usage=2\n");
	f->r.ts_source = KC_TS_INNER;
	assert_int_equal(kc_record_process(&f->r, &msg), 0);
	output_is(f, "cpu usage=1 1700000000123000000\n"
		     "cpu usage=2 1700000000123000000\n");
	f->r.ts_source = KC_TS_OUTER;
	assert_int_equal(kc_record_process(&f->r, &msg), 0);
	output_is(f, "cpu usage=1 1700000000123000000\n"
		     "cpu usage=2 1700000000123000000\n");
	/* No record timestamp: the metric keeps its own. */
	msg.timestamp_ms = -1;
	assert_int_equal(kc_record_process(&f->r, &msg), 0);
	output_is(f, "cpu usage=1 1\ncpu usage=2\n");
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	f->r.max_len = 16;
	assert_int_equal(process(f, "cpu usage=1 1\n"), 0);
	assert_int_equal(process(f, "cpu usage=1234567 1\n"), 0);
	assert_int_equal(process(f, NULL), 0);
	output_is(f, "cpu usage=1 1\n");
	assert_int_equal(f->r.st.oversize, 1);
	assert_int_equal(f->r.st.empty, 1);
	assert_int_equal(f->r.st.records, 3);
	assert_int_equal(log_limited_total(&f->lim, "record too large"), 1);
}

static void test_json(void **state)
{
	struct fixture *f = *state;
	f->r.format = KC_FORMAT_JSON;
	f->r.topic_tag = "topic";
	f->r.topic_tag_len = 5;
	assert_int_equal(
	    process(f, "{\"fields\":{\"usage\":1.5},\"name\":\"cpu\","
		       "\"tags\":{\"host\":\"a\"},\"timestamp\":1700000000}"),
	    0);
	output_is(f, "cpu,host=a,topic=metrics usage=1.5 "
		     "1700000000000000000\n");
	/* A batch with one bad metric (no fields). */
	assert_int_equal(
	    process(f, "{\"metrics\":["
		       "{\"fields\":{\"a\":1},\"name\":\"m1\",\"tags\":{},"
		       "\"timestamp\":1},"
		       "{\"fields\":{},\"name\":\"m2\",\"tags\":{},"
		       "\"timestamp\":2},"
		       "{\"fields\":{\"c\":\"x\"},\"name\":\"m3\",\"tags\":{},"
		       "\"timestamp\":3}]}"),
	    0);
	output_is(f, "m1,topic=metrics a=1i 1000000000\n"
		     "m3,topic=metrics c=\"x\" 3000000000\n");
	assert_int_equal(f->r.st.invalid, 1);
	assert_int_equal(process(f, "cpu usage=1 1\n"), 0);
	output_is(f, "");
	assert_int_equal(f->r.st.invalid, 2);
	assert_int_equal(log_limited_total(&f->lim, "invalid JSON"), 1);
}

/* stdout gone in the middle of a record: the record is not done. */
static void test_broken(void **state)
{
	struct fixture *f = *state;
	f->s.fail_after = 1;
	assert_int_equal(process(f, "a x=1 1\nb x=2 2\nc x=3 3\n"), -1);
	output_is(f, "a x=1 1\n");
	assert_int_equal(f->r.st.metrics, 1);
}

/* Every test runs on a fresh fixture. */
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_lines),	   T(test_topic_tag),
	    T(test_headers),	   T(test_header_values_validated),
	    T(test_empty_records), T(test_timestamps),
	    T(test_limits),	   T(test_json),
	    T(test_broken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
