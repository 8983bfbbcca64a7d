/*
 * test_kc_lag: kafka_consumer_lag rows from librdkafka's statistics JSON
 * (the document below is librdkafka 2.0.2's, trimmed to fewer fields per
 * partition) and the metric made of a row.
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

static const char stats_doc[] =
    "{\"name\":\"rdkafka#consumer-1\",\"client_id\":\"Telegraf\","
    "\"type\":\"consumer\",\"ts\":1234,\"time\":1700000000,"
    "\"brokers\":{\"127.0.0.1:9092/1\":{\"name\":\"127.0.0.1:9092/1\"}},"
    "\"topics\":{"
    " \"t\":{\"topic\":\"t\",\"age\":995,\"batchsize\":{\"min\":3},"
    "  \"partitions\":{"
    "   \"0\":{\"partition\":0,\"broker\":1,\"desired\":true,"
    "    \"fetch_state\":\"active\",\"next_offset\":3,\"app_offset\":3,"
    "    \"stored_offset\":3,\"committed_offset\":3,\"hi_offset\":10,"
    "    \"ls_offset\":10,\"consumer_lag\":7,\"consumer_lag_stored\":7},"
    "   \"1\":{\"partition\":1,\"broker\":1,\"desired\":true,"
    "    \"committed_offset\":-1001,\"hi_offset\":7,\"consumer_lag\":-1},"
    "   \"2\":{\"partition\":2,\"broker\":1,\"desired\":false,"
    "    \"committed_offset\":5,\"hi_offset\":9,\"consumer_lag\":4},"
    "   \"-1\":{\"partition\":-1,\"broker\":-1,\"desired\":false,"
    "    \"committed_offset\":-1001,\"hi_offset\":-1001,"
    "    \"consumer_lag\":-1}}},"
    " \"other\":{\"topic\":\"other\",\"partitions\":{"
    "   \"0\":{\"partition\":0,\"committed_offset\":100,"
    "    \"hi_offset\":100,\"consumer_lag\":0}}}},"
    "\"cgrp\":{\"state\":\"up\"}}";

struct rows {
	struct kc_lag_row r[8];
	char topics[8][16];
	int n;
};

/* Everything but t[2] is assigned. */
static bool is_assigned(void *arg, const char *topic, int32_t partition)
{
	(void)arg;
	return !(strcmp(topic, "t") == 0 && partition == 2);
}

static void collect(void *arg, const struct kc_lag_row *row)
{
	struct rows *rs = arg;
	assert_true(rs->n < 8);
	rs->r[rs->n] = *row;
	snprintf(rs->topics[rs->n], sizeof(rs->topics[0]), "%s", row->topic);
	rs->r[rs->n].topic = rs->topics[rs->n];
	rs->n++;
}

static const struct kc_lag_row *find(const struct rows *rs, const char *t,
				     int32_t p)
{
	for (int i = 0; i < rs->n; i++)
		if (strcmp(rs->r[i].topic, t) == 0 && rs->r[i].partition == p)
			return &rs->r[i];
	return NULL;
}

static void test_rows(void **state)
{
	(void)state;
	struct rows rs = {.n = 0};
	char err[128];
	int n = kc_lag_parse(stats_doc, strlen(stats_doc), is_assigned, collect,
			     &rs, err, sizeof(err));
	assert_int_equal(n, 3);
	assert_int_equal(rs.n, 3);
	const struct kc_lag_row *r = find(&rs, "t", 0);
	assert_non_null(r);
	assert_int_equal(r->lag, 7);
	assert_int_equal(r->committed, 3);
	assert_int_equal(r->high_watermark, 10);
	r = find(&rs, "t", 1);
	assert_non_null(r);
	assert_int_equal(r->lag, -1);
	assert_int_equal(r->committed, -1);
	assert_int_equal(r->high_watermark, 7);
	r = find(&rs, "other", 0);
	assert_non_null(r);
	assert_int_equal(r->lag, 0);
	assert_null(find(&rs, "t", 2));	 /* not assigned */
	assert_null(find(&rs, "t", -1)); /* librdkafka's internal one */
}

static void test_not_statistics(void **state)
{
	(void)state;
	struct rows rs = {.n = 0};
	char err[128];
	static const char *const bad[] = {
	    "",
	    "{",
	    "[1,2]",
	    "{\"name\":\"x\"}",
	    "{\"topics\":[]}",
	    "{\"topics\":{\"t\":{\"partitions\":{\"0\":{\"partition\":0}}}}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = kc_lag_parse(bad[i], strlen(bad[i]), is_assigned,
				     collect, &rs, err, sizeof(err));
		if (i < 5) {
			assert_int_equal(n, -1);
			assert_true(strlen(err) > 0);
		} else {
			/* A partition with nothing known is a row of -1s. */
			assert_int_equal(n, 1);
		}
	}
}

static void written(const struct lp_metric *m, const char *want)
{
	struct buf b = BUF_INIT;
	struct lp_error e;
	assert_int_equal(lp_write_metric(&b, m, 0, &e), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	buf_free(&b);
}

static void test_metric(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	struct kc_lag_row row = {.topic = "t",
				 .partition = 12,
				 .lag = 7,
				 .committed = 3,
				 .high_watermark = 10};
	assert_int_equal(kc_lag_metric(&m, &row, "telegraf_metrics_consumers",
				       1700000000000000000LL),
			 0);
	written(&m, "kafka_consumer_lag,consumer_group=telegraf_metrics_"
		    "consumers,partition=12,topic=t lag=7i,committed_offset=3i,"
		    "high_watermark=10i 1700000000000000000\n");

	/* Nothing committed yet: no lag, no committed_offset. */
	row.lag = row.committed = -1;
	assert_int_equal(kc_lag_metric(&m, &row, "g", 5), 0);
	written(&m, "kafka_consumer_lag,consumer_group=g,partition=12,topic=t "
		    "high_watermark=10i 5\n");

	row.high_watermark = -1;
	assert_int_equal(kc_lag_metric(&m, &row, "g", 5), -1);
	lp_metric_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_not_statistics),
	    cmocka_unit_test(test_metric),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
