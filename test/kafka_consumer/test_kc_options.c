/*
 * test_kc_options: the [[inputs.kafka_consumer]] table as telex reads it,
 * the librdkafka properties it becomes, the subscription (regexps with
 * Telegraf's unanchored meaning) and the checks a table must pass.
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
#include "../unit/config_expect.h"

static const struct cfg_spec spec = {.section = "inputs",
				     .name = "kafka_consumer",
				     .options = kc_options,
				     .finalize = kc_config_finalize};

struct loaded {
	struct kc_config c;
	struct telex_common common;
	rd_kafka_conf_t *conf;
};

static struct loaded *load(const char *toml)
{
	struct loaded *l = calloc(1, sizeof(*l));
	config_expect_loaded(&spec, &l->c, sizeof(l->c), toml, &l->common);
	return l;
}

static void unload(struct loaded *l)
{
	if (l->conf)
		rd_kafka_conf_destroy(l->conf);
	cfg_free(&spec, &l->c, &l->common);
	free(l);
}

static void prop_is(rd_kafka_conf_t *conf, const char *name, const char *want)
{
	char v[256];
	size_t n = sizeof(v);
	assert_int_equal(rd_kafka_conf_get(conf, name, v, &n),
			 RD_KAFKA_CONF_OK);
	if (strcmp(v, want))
		fail_msg("%s: got \"%s\", want \"%s\"", name, v, want);
}

static int conf(struct loaded *l, char *err, size_t errlen)
{
	l->conf = rd_kafka_conf_new();
	return kc_config_conf(&l->c, l->conf, err, errlen);
}

static void test_defaults(void **state)
{
	(void)state;
	struct loaded *l =
	    load("[[inputs.kafka_consumer]]\nbrokers = [\"k:9092\"]\n"
		 "topics = [\"telegraf\"]\n");
	char err[256];
	assert_int_equal(conf(l, err, sizeof(err)), 0);
	prop_is(l->conf, "bootstrap.servers", "k:9092");
	prop_is(l->conf, "client.id", "Telegraf");
	prop_is(l->conf, "group.id", "telegraf_metrics_consumers");
	/* oldest, not librdkafka's latest */
	prop_is(l->conf, "auto.offset.reset", "smallest"); /* = earliest */
	prop_is(l->conf, "partition.assignment.strategy", "range");
	prop_is(l->conf, "enable.auto.offset.store", "false");
	prop_is(l->conf, "enable.auto.commit", "true");
	prop_is(l->conf, "fetch.message.max.bytes", "1048576");
	prop_is(l->conf, "fetch.min.bytes", "1");
	prop_is(l->conf, "fetch.wait.max.ms", "500");
	prop_is(l->conf, "statistics.interval.ms", "0");
	/* librdkafka's queue bounded at 8 MiB or 16384 records, telex's
	 * FIFO at half of that; 1 MiB fetch responses (README "Memory and
	 * speed"). */
	prop_is(l->conf, "queued.max.messages.kbytes", "8192");
	prop_is(l->conf, "queued.min.messages", "16384");
	prop_is(l->conf, "fetch.max.bytes", "1048576");
	assert_int_equal(l->c.max_undelivered_messages, 1000);
	assert_int_equal(l->c.max_message_len, 0);
	assert_string_equal(l->c.timestamp_source, "metric");
	assert_string_equal(l->c.data_format, "influx");
	unload(l);
}

static void test_native_options(void **state)
{
	(void)state;
	struct loaded *l = load("[[inputs.kafka_consumer]]\n"
				"brokers = [\"a:1\", \"b:2\"]\n"
				"topics = [\"t\"]\n"
				"consumer_group = \"g\"\n"
				"offset = \"newest\"\n"
				"balance_strategy = \"sticky\"\n"
				"consumer_fetch_default = \"2MiB\"\n"
				"consumer_fetch_min = 100\n"
				"consumer_fetch_max_wait = \"250ms\"\n"
				"lag_interval = \"30s\"\n"
				"topic_regexps = [\"metrics\"]\n"
				"[inputs.kafka_consumer.librdkafka]\n"
				"\"fetch.wait.max.ms\" = 100\n"
				"\"queued.max.messages.kbytes\" = 16384\n"
				"\"fetch.max.bytes\" = 8388608\n");
	char err[256];
	assert_int_equal(conf(l, err, sizeof(err)), 0);
	prop_is(l->conf, "bootstrap.servers", "a:1,b:2");
	prop_is(l->conf, "group.id", "g");
	prop_is(l->conf, "auto.offset.reset", "largest"); /* = latest */
	prop_is(l->conf, "partition.assignment.strategy", "cooperative-sticky");
	prop_is(l->conf, "fetch.message.max.bytes", "2097152");
	prop_is(l->conf, "fetch.min.bytes", "100");
	/* The pass-through table wins over the option. */
	prop_is(l->conf, "fetch.wait.max.ms", "100");
	prop_is(l->conf, "queued.max.messages.kbytes", "16384");
	prop_is(l->conf, "queued.min.messages", "16384");
	prop_is(l->conf, "fetch.max.bytes", "8388608");
	prop_is(l->conf, "statistics.interval.ms", "30000");
	/* Regexps: new topics are looked for more often than every 5 min. */
	prop_is(l->conf, "topic.metadata.refresh.interval.ms", "30000");
	unload(l);
}

static void test_subscription(void **state)
{
	(void)state;
	struct loaded *l =
	    load("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		 "topics = [\"plain\"]\n"
		 "topic_regexps = [\"metrics\", \"^hv-\", \"a|b\"]\n");
	rd_kafka_topic_partition_list_t *s = kc_config_subscription(&l->c);
	assert_non_null(s);
	assert_int_equal(s->cnt, 4);
	assert_string_equal(s->elems[0].topic, "plain");
	/* Telegraf matches anywhere in the name; librdkafka anchors. */
	assert_string_equal(s->elems[1].topic, "^.*(metrics)");
	assert_string_equal(s->elems[2].topic, "^hv-");
	assert_string_equal(s->elems[3].topic, "^.*(a|b)");
	rd_kafka_topic_partition_list_destroy(s);
	unload(l);
}

/* The table itself refuses it: the error starts with want (file:line). */
static void load_fails(const char *toml, const char *want)
{
	struct kc_config c;
	config_expect_refused(&spec, &c, sizeof(c), toml, want);
}

static void test_checks(void **state)
{
	(void)state;
	load_fails(
	    "[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n",
	    "test.conf:1: [[inputs.kafka_consumer]]: no topic to consume "
	    "(set topics or topic_regexps)");
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topics = [\"t\",\n  \"\"]\n",
		   "test.conf:4: bad value for \"topics\" in "
		   "[[inputs.kafka_consumer]]: element 2 is empty");
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topic_regexps = [\"a(\"]\n",
		   "test.conf:3: bad value for \"topic_regexps\" in "
		   "[[inputs.kafka_consumer]]: \"a(\" is not a POSIX extended "
		   "regular expression");
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topics = [\"t\"]\nconsumer_group = \"\"\n",
		   "test.conf:4: bad value for \"consumer_group\" in "
		   "[[inputs.kafka_consumer]]: may not be empty");
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topics = [\"t\"]\ndata_format = \"json\"\n",
		   "test.conf:4: bad value for \"data_format\" in "
		   "[[inputs.kafka_consumer]]: data_format = \"json\": "
		   "Telegraf's JSON parser");
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topics = [\"t\"]\njson_timestamp_units = \"0s\"\n",
		   "test.conf:4: bad value for \"json_timestamp_units\"");
	/* Delivery feedback: both or neither, at the line of the one set. */
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topics = [\"t\"]\nfeedback_socket = \"/run/fb\"\n",
		   "test.conf:4: [[inputs.kafka_consumer]]: delivery feedback "
		   "needs both feedback_socket and feedback_outputs");
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topics = [\"t\"]\n\nfeedback_outputs = [\"a\"]\n",
		   "test.conf:5: [[inputs.kafka_consumer]]: delivery feedback");
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topics = [\"t\"]\nfeedback_socket = \"/run/fb\"\n"
		   "feedback_outputs = [\"a\", \"\"]\n",
		   "test.conf:5: bad value for \"feedback_outputs\" in "
		   "[[inputs.kafka_consumer]]: element 2 is empty");
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topics = [\"t\"]\nfeedback_socket = \"/run/fb\"\n"
		   "feedback_outputs = [\"1\", \"2\", \"3\", \"4\", \"5\", "
		   "\"6\", \"7\", \"8\", \"9\"]\n",
		   "test.conf:5: bad value for \"feedback_outputs\" in "
		   "[[inputs.kafka_consumer]]: at most 8 outputs");
	/* No config file: the defaults have no topic. */
	struct kc_config c;
	char err[512];
	memset(&c, 0, sizeof(c));
	assert_int_equal(cfg_set_defaults(&spec, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "[[inputs.kafka_consumer]] (no config file, "
				 "the defaults): no topic to consume (set "
				 "topics or topic_regexps)");
}

/* A pattern glibc's regcomp takes minutes and hundreds of MB to compile
 * (ten CPU minutes and 625 MB for such a one, with SIGTERM blocked) is
 * refused within seconds; the check itself runs in a bounded child. */
static void test_costly_regexp(void **state)
{
	(void)state;
	int64_t start = telex_monotonic_ns();
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topic_regexps = [\"metrics\", \"(((a*)*){25}b)\"]\n",
		   "test.conf:3: bad value for \"topic_regexps\" in "
		   "[[inputs.kafka_consumer]]: \"(((a*)*){25}b)\" cannot be "
		   "used: too costly to compile");
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topic_regexps = [\"(((a{1,255}){1,255}){1,255})\"]\n",
		   "test.conf:3: bad value for \"topic_regexps\"");
	int64_t took = telex_monotonic_ns() - start;
	if (took > 10LL * 1000000000LL)
		fail_msg("the checks took %lld ms",
			 (long long)(took / 1000000));
	/* Ordinary ones pass. */
	struct loaded *l =
	    load("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		 "topic_regexps = [\"^metrics-(eu|us)-[0-9]+$\", "
		 "\"logs.*\"]\n");
	assert_int_equal(l->c.topic_regexps.n, 2);
	unload(l);
}

/* fetch.wait.max.ms is an int of librdkafka's, 0 to 300000: a longer
 * duration was taken modulo 2^32 (4294968296ms as 1 s). */
static void test_durations_in_range(void **state)
{
	(void)state;
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topics = [\"t\"]\n"
		   "consumer_fetch_max_wait = \"4294968296ms\"\n",
		   "test.conf:4: bad value for \"consumer_fetch_max_wait\" in "
		   "[[inputs.kafka_consumer]]: 1193h2m48.296s is out of range "
		   "(0s to 5m0s)");
	load_fails("[[inputs.kafka_consumer]]\nbrokers = [\"k:1\"]\n"
		   "topics = [\"t\"]\nlag_interval = \"-5s\"\n",
		   "test.conf:4: bad value for \"lag_interval\"");
	struct loaded *l = load("[[inputs.kafka_consumer]]\n"
				"brokers = [\"k:1\"]\ntopics = [\"t\"]\n"
				"consumer_fetch_max_wait = \"5m\"\n");
	char err[512];
	assert_int_equal(conf(l, err, sizeof(err)), 0);
	prop_is(l->conf, "fetch.wait.max.ms", "300000");
	unload(l);
}

int main(void)
{
	log_set_level(LOG_ERROR); /* ignored options warn */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_native_options),
	    cmocka_unit_test(test_subscription),
	    cmocka_unit_test(test_checks),
	    cmocka_unit_test(test_costly_regexp),
	    cmocka_unit_test(test_durations_in_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
