/*
 * kc_options.c: the [[inputs.kafka_consumer]] table (the one declaration
 * behind parsing, --sample-config and the man page), what values and the
 * table must satisfy beyond it (checked where the config is read, so that
 * every refusal names file:line), and the librdkafka properties it
 * becomes.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

static const char *const kc_offsets_choices[] = {"oldest", "newest", NULL};
static const char *const kc_strategies[] = {"range", "roundrobin", "sticky",
					    NULL};
static const char *const kc_ts_sources[] = {"metric", "inner", "outer", NULL};
/* "json" is listed so that kc_check_data_format can say why it is
 * refused. */
static const char *const kc_formats[] = {"influx", "telegraf_json", "json",
					 NULL};

/* Telegraf matches topic_regexps anywhere in the name (Go's MatchString);
 * librdkafka anchors a "^..." subscription at the start. */
static char *kc_regexp_pattern(const char *re)
{
	char *p;
	if (re[0] == '^')
		return strdup(re);
	if (asprintf(&p, "^.*(%s)", re) < 0)
		return NULL;
	return p;
}

/* A list of names none of which is empty. */
static int kc_check_names(const void *value, struct cfg_problem *p)
{
	const struct cfg_strv *v = value;
	for (size_t i = 0; i < v->n; i++)
		if (!*v->v[i]) {
			p->item = i + 1;
			return cfg_refuse(p, "element %zu is empty", i + 1);
		}
	return 0;
}

/* Each regexp compiles, in a bounded time (cfg_check_regex). */
static int kc_check_regexps(const void *value, struct cfg_problem *p)
{
	const struct cfg_strv *v = value;
	for (size_t i = 0; i < v->n; i++) {
		char *pattern = kc_regexp_pattern(v->v[i]);
		char why[256] = "out of memory";
		int rc =
		    pattern ? cfg_check_regex(pattern, REG_EXTENDED | REG_NOSUB,
					      why, sizeof(why))
			    : -1;
		free(pattern);
		if (rc < 0) {
			p->item = i + 1;
			return cfg_refuse(p, "\"%.200s\" %s: %s", v->v[i],
					  rc == -2 ? "cannot be used"
						   : "is not a POSIX extended "
						     "regular expression",
					  why);
		}
	}
	return 0;
}

static int kc_check_data_format(const void *value, struct cfg_problem *p)
{
	if (strcmp(*(char *const *)value, "json") != 0)
		return 0;
	return cfg_refuse(
	    p, "data_format = \"json\": Telegraf's JSON parser turns a record "
	       "into a \"kafka_consumer\" metric of its numeric values "
	       "(json_name_key, tag_keys, ...), which telex does not "
	       "implement; for records that outputs.kafka wrote with "
	       "data_format = \"json\" set data_format = \"telegraf_json\", "
	       "for other JSON use Telegraf's own inputs.kafka_consumer");
}

static int kc_check_not_empty(const void *value, struct cfg_problem *p)
{
	return **(char *const *)value ? 0 : cfg_refuse(p, "may not be empty");
}

static int kc_check_feedback_outputs(const void *value, struct cfg_problem *p)
{
	const struct cfg_strv *v = value;
	if (v->n > KC_FB_MAX_OUTPUTS)
		return cfg_refuse(p, "at most %d outputs", KC_FB_MAX_OUTPUTS);
	return kc_check_names(value, p);
}

int kc_config_finalize(void *config, struct cfg_problem *p)
{
	const struct kc_config *c = config;
	if (c->topics.n == 0 && c->topic_regexps.n == 0)
		return cfg_refuse(p, "no topic to consume (set topics or "
				     "topic_regexps)");
	bool fb = c->feedback_socket && *c->feedback_socket;
	if (fb != (c->feedback_outputs.n > 0)) {
		p->key = fb ? "feedback_socket" : "feedback_outputs";
		return cfg_refuse(p, "delivery feedback needs both "
				     "feedback_socket and feedback_outputs");
	}
	return kafka_config_finalize(&c->kafka, p);
}

/* clang-format off */
#define KC_OPT(field, ...)                                                    \
	{.name = #field, .offset = offsetof(struct kc_config, field),         \
	 __VA_ARGS__}

const struct cfg_option kc_options[] = {
	KAFKA_CONNECT_OPTIONS(struct kc_config, kafka),
	KAFKA_SOCKS5_OPTION(struct kc_config, kafka, "(after Telegraf 1.25) "),
	KAFKA_IGNORED("kafka_version", "\"\"",
		      "ignored: librdkafka negotiates protocol versions"),
	KC_OPT(topics, .type = CFG_STRING_LIST, .flags = CFG_EXAMPLE,
	       .check = kc_check_names,
	       .default_value = "[\"telegraf\"]",
	       .help = "topics to consume (this or topic_regexps is "
		       "required)"),
	KC_OPT(topic_regexps, .type = CFG_STRING_LIST, .default_value = "[]",
	       .check = kc_check_regexps,
	       .help = "(after Telegraf 1.25) also consume every topic "
		       "matching one of these (POSIX extended, unanchored), "
		       "also topics created later"),
	KC_OPT(topic_tag, .type = CFG_STRING, .default_value = "\"\"",
	       .help = "add this tag with the record's topic as value"),
	KC_OPT(msg_headers_as_tags, .type = CFG_STRING_LIST,
	       .default_value = "[]",
	       .help = "(after Telegraf 1.25) record headers that become "
		       "tags"),
	KC_OPT(msg_header_as_metric_name, .type = CFG_STRING,
	       .default_value = "\"\"",
	       .help = "(after Telegraf 1.25) record header whose value "
		       "replaces the measurement name"),
	KC_OPT(timestamp_source, .type = CFG_STRING,
	       .default_value = "\"metric\"", .choices = kc_ts_sources,
	       .help = "(after Telegraf 1.25) metric time: \"metric\" (as "
		       "written), \"inner\" (record timestamp), \"outer\" "
		       "(same as inner)"),
	KAFKA_TLS_OPTIONS(struct kc_config, kafka),
	KAFKA_SASL_OPTIONS(struct kc_config, kafka),
	KAFKA_SARAMA_OPTIONS,
	KC_OPT(consumer_group, .type = CFG_STRING, .check = kc_check_not_empty,
	       .default_value = "\"telegraf_metrics_consumers\"",
	       .help = "name of the consumer group"),
	KAFKA_IGNORED("compression_codec", "0",
		      "ignored: a consumer reads every codec"),
	KC_OPT(offset, .type = CFG_STRING, .default_value = "\"oldest\"",
	       .choices = kc_offsets_choices,
	       .help = "where a group without a committed offset starts: "
		       "\"oldest\" or \"newest\""),
	KC_OPT(balance_strategy, .type = CFG_STRING,
	       .default_value = "\"range\"", .choices = kc_strategies,
	       .help = "partition assignment: \"range\", \"roundrobin\" or "
		       "\"sticky\" (cooperative-sticky)"),
	KAFKA_IGNORED("connection_strategy", "\"startup\"",
		      "ignored: librdkafka connects in the background and "
		      "retries"),
	KAFKA_IGNORED("startup_error_behavior", "\"error\"",
		      "ignored: brokers that are down are retried"),
	KAFKA_IGNORED("resolve_canonical_bootstrap_servers_only", "false",
		      "ignored: see client.dns.lookup in [*.librdkafka]"),
	KC_OPT(max_message_len, .type = CFG_SIZE, .default_value = "0",
	       .min = 0, .max = 2147483647,
	       .help = "larger records are skipped with an error (0: no "
		       "limit)"),
	KC_OPT(max_undelivered_messages, .type = CFG_INT,
	       .default_value = "1000", .min = 0, .max = 100000000,
	       .help = "records read but not yet written to stdout, at "
		       "most (0: 1000)"),
	KAFKA_IGNORED("max_processing_time", "\"100ms\"",
		      "ignored: records are never abandoned"),
	KC_OPT(consumer_fetch_default, .type = CFG_SIZE,
	       .default_value = "\"1MiB\"", .min = 1, .max = 1000000000,
	       .help = "bytes fetched per partition and request "
		       "(fetch.message.max.bytes)"),
	KC_OPT(consumer_fetch_min, .type = CFG_SIZE, .default_value = "1",
	       .min = 1, .max = 100000000,
	       .help = "(telex) bytes a fetch waits for (fetch.min.bytes)"),
	KC_OPT(consumer_fetch_max_wait, .type = CFG_DURATION,
	       .default_value = "\"500ms\"", .min = 0,
	       .max = 300000LL * 1000000, /* librdkafka's range */
	       .help = "(telex) longest wait for consumer_fetch_min bytes "
		       "(fetch.wait.max.ms)"),
	KC_OPT(data_format, .type = CFG_STRING, .default_value = "\"influx\"",
	       .choices = kc_formats, .check = kc_check_data_format,
	       .help = "record value: \"influx\" (line protocol, many lines "
		       "per record) or (telex) \"telegraf_json\" (Telegraf's "
		       "JSON metric format, as outputs.kafka writes it with "
		       "data_format = \"json\"); \"json\" is refused"),
	KC_OPT(json_timestamp_units, .type = CFG_DURATION,
	       .default_value = "\"1s\"", .min = 1,
	       .max = CFG_DURATION_MAX_DEFAULT,
	       .help = "telegraf_json: unit of the timestamp"),
	KC_OPT(lag_interval, .type = CFG_DURATION, .default_value = "\"0s\"",
	       .help = "(telex) emit kafka_consumer_lag this often (0: "
		       "never)"),
	KC_OPT(feedback_socket, .type = CFG_STRING, .default_value = "\"\"",
	       .help = "(telex) Unix socket for Telegraf's delivery feedback "
		       "(see --feedback-relay); commits follow what the "
		       "outputs wrote (\"\": what the pipe took)"),
	KC_OPT(feedback_outputs, .type = CFG_STRING_LIST,
	       .default_value = "[]", .check = kc_check_feedback_outputs,
	       .help = "(telex) the aliases of the outputs that must write a "
		       "record's metrics before it is committed"),
	KC_OPT(feedback_window, .type = CFG_INT, .default_value = "0",
	       .min = 0, .max = 100000000,
	       .help = "(telex) metrics emitted and not yet written, at most "
		       "(0: half of the outputs' metric_buffer_limit)"),
	KAFKA_LIBRDKAFKA_OPTION(struct kc_config, kafka),
	{0},
};

/* clang-format on */

static int kc_conf_int(rd_kafka_conf_t *conf, const char *name, int64_t v,
		       char *err, size_t errlen)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", (long long)v);
	return kafka_conf_set(conf, name, num, err, errlen);
}

/*
 * Properties telex chooses; see README.md, "Memory and speed". Records are
 * taken out of librdkafka's queue as soon as they arrive, into telex's
 * prefetch FIFO (kc_prefetch.c), which is bounded by half of the same two
 * limits: 4 MiB (records and librdkafka's objects for them) or 8192
 * records, 6 ms of work at 700k lines/s, enough to hide a fetch round
 * trip. A fetch response is at most fetch.max.bytes per broker (and one
 * record batch more).
 */
#define KC_QUEUED_MIN_MESSAGES 16384
#define KC_QUEUED_MAX_KBYTES 8192
#define KC_FETCH_MAX_BYTES (INT64_C(1) << 20)
/* New topics matching topic_regexps are found by a metadata refresh
 * (librdkafka: every 5 minutes by default). */
#define KC_REGEXP_REFRESH_MS 30000

int kc_config_conf(const struct kc_config *c, rd_kafka_conf_t *conf, char *err,
		   size_t errlen)
{
	const char *strategy = strcmp(c->balance_strategy, "sticky") == 0
				   ? "cooperative-sticky"
				   : c->balance_strategy;
	if (kafka_conf_apply(&c->kafka, conf, KC_TABLE, err, errlen) ||
	    kafka_conf_set(conf, "group.id", c->consumer_group, err, errlen) ||
	    kafka_conf_set(conf, "auto.offset.reset",
			   strcmp(c->offset, "newest") == 0 ? "latest"
							    : "earliest",
			   err, errlen) ||
	    kafka_conf_set(conf, "partition.assignment.strategy", strategy, err,
			   errlen) ||
	    /* Offsets are stored by telex once a record's lines are in the
	     * pipe; librdkafka commits what is stored, periodically. */
	    kafka_conf_set(conf, "enable.auto.offset.store", "false", err,
			   errlen) ||
	    kafka_conf_set(conf, "enable.auto.commit", "true", err, errlen) ||
	    kafka_conf_set(conf, "enable.partition.eof", "false", err,
			   errlen) ||
	    kc_conf_int(conf, "queued.min.messages", KC_QUEUED_MIN_MESSAGES,
			err, errlen) ||
	    kc_conf_int(conf, "queued.max.messages.kbytes",
			KC_QUEUED_MAX_KBYTES, err, errlen) ||
	    kc_conf_int(conf, "fetch.max.bytes", KC_FETCH_MAX_BYTES, err,
			errlen) ||
	    kc_conf_int(conf, "fetch.message.max.bytes",
			c->consumer_fetch_default, err, errlen) ||
	    kc_conf_int(conf, "fetch.min.bytes", c->consumer_fetch_min, err,
			errlen) ||
	    kc_conf_int(conf, "fetch.wait.max.ms",
			c->consumer_fetch_max_wait / 1000000, err, errlen))
		return -1;
	if (c->topic_regexps.n &&
	    kc_conf_int(conf, "topic.metadata.refresh.interval.ms",
			KC_REGEXP_REFRESH_MS, err, errlen))
		return -1;
	if (c->lag_interval > 0) {
		int64_t ms = c->lag_interval / 1000000;
		if (kc_conf_int(conf, "statistics.interval.ms", ms ? ms : 1,
				err, errlen))
			return -1;
	}
	return kafka_conf_passthrough(&c->kafka, conf, KC_TABLE, err, errlen);
}

rd_kafka_topic_partition_list_t *
kc_config_subscription(const struct kc_config *c)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(
	    (int)(c->topics.n + c->topic_regexps.n));
	for (size_t i = 0; i < c->topics.n; i++)
		rd_kafka_topic_partition_list_add(l, c->topics.v[i],
						  RD_KAFKA_PARTITION_UA);
	for (size_t i = 0; i < c->topic_regexps.n; i++) {
		char *p = kc_regexp_pattern(c->topic_regexps.v[i]);
		if (!p) {
			rd_kafka_topic_partition_list_destroy(l);
			return NULL;
		}
		rd_kafka_topic_partition_list_add(l, p, RD_KAFKA_PARTITION_UA);
		free(p);
	}
	return l;
}
