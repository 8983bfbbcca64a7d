/*
 * telex-kafka-output: metrics from stdin (outputs.execd, or any pipe) to
 * Kafka with librdkafka, reading Telegraf's [[outputs.kafka]] table. This
 * file holds the option table (the one declaration behind parsing,
 * --sample-config and the man page), the checks a config must pass, the
 * librdkafka properties it becomes, and the plugin's life cycle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kout.h"

static const char *const kout_suffix_methods[] = {"", "measurement", "tags",
						  NULL};
static const char *const kout_timestamps[] = {"metric", "now", NULL};
static const char *const kout_formats[] = {"influx", "json", NULL};
static const char *const kout_fsyncs[] = {"interval", "always", "never", NULL};

/* clang-format off */
#define KOUT_OPT(field, ...)                                                  \
	{.name = #field, .offset = offsetof(struct kout_config, field),       \
	 __VA_ARGS__}

static const struct cfg_option kout_suffix_options[] = {
	{.name = "method",
	 .type = CFG_STRING,
	 .offset = offsetof(struct kout_topic_suffix, method),
	 .default_value = "\"\"",
	 .choices = kout_suffix_methods,
	 .help = "\"measurement\": topic + separator + measurement; \"tags\": "
		 "topic + separator + the values of keys"},
	{.name = "keys",
	 .type = CFG_STRING_LIST,
	 .offset = offsetof(struct kout_topic_suffix, keys),
	 .default_value = "[]",
	 .help = "tags whose values make the suffix (missing ones skipped)"},
	{.name = "separator",
	 .type = CFG_STRING,
	 .offset = offsetof(struct kout_topic_suffix, separator),
	 .default_value = "\"\"",
	 .help = "text between topic and suffix parts"},
	{0},
};

static const struct cfg_option kout_options[] = {
	KAFKA_CONNECT_OPTIONS(struct kout_config, kc),
	KAFKA_SOCKS5_OPTION(struct kout_config, kc, ""),
	KOUT_OPT(topic, .type = CFG_STRING, .flags = CFG_REQUIRED,
		 .default_value = "\"telegraf\"",
		 .help = "topic of the records"),
	KOUT_OPT(topic_tag, .type = CFG_STRING, .default_value = "\"\"",
		 .help = "if a metric has this tag, its value is the topic"),
	KOUT_OPT(exclude_topic_tag, .type = CFG_BOOL, .default_value = "false",
		 .help = "remove topic_tag from the record (re-serialises it)"),
	KOUT_OPT(routing_tag, .type = CFG_STRING, .flags = CFG_EXAMPLE,
		 .default_value = "\"host\"",
		 .help = "the value of this tag is the record key"),
	KOUT_OPT(routing_key, .type = CFG_STRING, .default_value = "\"\"",
		 .help = "key when routing_tag is unset or missing; \"random\": "
			 "a UUIDv4 per record; empty: no key"),
	KOUT_OPT(compression_codec, .type = CFG_INT, .default_value = "0",
		 .min = 0, .max = 4,
		 .help = "0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd"),
	KOUT_OPT(idempotent_writes, .type = CFG_BOOL, .default_value = "false",
		 .help = "exactly one copy of each record (needs required_acks "
			 "= -1)"),
	KOUT_OPT(required_acks, .type = CFG_INT, .default_value = "-1",
		 .min = -1, .max = 1,
		 .help = "0 none, 1 the leader, -1 all in-sync replicas"),
	KOUT_OPT(max_retry, .type = CFG_INT, .default_value = "3", .min = 0,
		 .max = 2147483647,
		 .help = "retries of a failed produce request (librdkafka "
			 "retries)"),
	KOUT_OPT(max_message_bytes, .type = CFG_INT,
		 .default_value = "1000000", .min = 1, .max = 1000000000,
		 .help = "a larger record is dropped with an error"),
	KOUT_OPT(producer_timestamp, .type = CFG_STRING,
		 .default_value = "\"metric\"", .choices = kout_timestamps,
		 .help = "(after Telegraf 1.25) record timestamp: \"metric\" "
			 "time (ms) or \"now\""),
	KOUT_OPT(metric_name_header, .type = CFG_STRING,
		 .flags = CFG_DEPRECATED, .default_value = "\"\"",
		 .help = "deprecated: a header holding the measurement; use "
			 "[outputs.kafka.headers]"),
	KAFKA_TLS_OPTIONS(struct kout_config, kc),
	KAFKA_SASL_OPTIONS(struct kout_config, kc),
	KAFKA_SARAMA_OPTIONS,
	KOUT_OPT(data_format, .type = CFG_STRING, .default_value = "\"influx\"",
		 .choices = kout_formats,
		 .help = "record value: \"influx\" (line protocol) or \"json\""),
	KOUT_OPT(json_timestamp_units, .type = CFG_DURATION,
		 .default_value = "\"1s\"",
		 .help = "json: unit of the timestamp"),
	KAFKA_IGNORED("json_timestamp_format", "\"\"",
		      "ignored: json timestamps are numbers"),
	KAFKA_IGNORED("influx_max_line_bytes", "0",
		      "ignored: lines are forwarded as they come"),
	KAFKA_IGNORED("influx_sort_fields", "false",
		      "ignored: lines are forwarded as they come"),
	KAFKA_IGNORED("influx_uint_support", "false",
		      "ignored: lines are forwarded as they come"),
	KOUT_OPT(metrics_per_record, .type = CFG_INT, .default_value = "1",
		 .min = 1, .max = 1000000,
		 .help = "(telex) pack up to this many metrics of one topic "
			 "and key into a record (influx only)"),
	KOUT_OPT(stats_interval, .type = CFG_DURATION,
		 .default_value = "\"60s\"",
		 .help = "(telex) log a delivery summary this often (0: "
			 "never)"),
	KOUT_OPT(max_topics, .type = CFG_INT, .default_value = "1000",
		 .min = 1, .max = 1000000,
		 .help = "(telex) records for more distinct topics are refused "
			 "(librdkafka keeps every topic it saw until exit)"),
	KOUT_OPT(spool_dir, .type = CFG_STRING, .flags = CFG_EXAMPLE,
		 .default_value = "\"/var/lib/telex/kafka-output\"",
		 .help = "(telex) a directory where lines wait until Kafka "
			 "confirms them (outages, restarts, crashes lose "
			 "nothing); unset or \"\": memory only (the package "
			 "creates this one for Telegraf's user)"),
	KOUT_OPT(spool_max_bytes, .type = CFG_SIZE,
		 .default_value = "\"1GiB\"", .min = 1 << 20,
		 .max = INT64_C(1) << 50,
		 .help = "(telex) the spool's size; when full, stdin is paused "
			 "(nothing is dropped)"),
	KOUT_OPT(spool_fsync, .type = CFG_STRING,
		 .default_value = "\"interval\"", .choices = kout_fsyncs,
		 .help = "(telex) \"interval\": sync every spool_fsync_interval "
			 "(a power loss may lose that much); \"always\": "
			 "before lines are taken; \"never\": when the kernel "
			 "writes back"),
	KOUT_OPT(spool_fsync_interval, .type = CFG_DURATION,
		 .default_value = "\"1s\"", .min = 1000000,
		 .max = INT64_C(3600) * 1000000000,
		 .help = "(telex) how often the spool is synced and its "
			 "delivered position recorded"),
	KOUT_OPT(spool_rejected_max_bytes, .type = CFG_SIZE,
		 .default_value = "\"100MiB\"", .min = 0,
		 .max = INT64_C(1) << 50,
		 .help = "(telex) the most spool_dir/rejected.lp keeps of "
			 "records Kafka refused for good"),
	KOUT_OPT(topic_suffix, .type = CFG_TABLE, .sub = kout_suffix_options,
		 .help = "[outputs.kafka.topic_suffix]: a suffix for the topic"),
	KOUT_OPT(headers, .type = CFG_STRING_MAP,
		 .help = "[outputs.kafka.headers]: name = template over the "
			 "metric ({{ .Name }}, {{ .Tag \"k\" }}, "
			 "{{ .Field \"f\" }})"),
	KAFKA_LIBRDKAFKA_OPTION(struct kout_config, kc),
	{0},
};

/* clang-format on */

static void kout_close(struct telex *t, void *state);

/* Everything init needs after the checks; on failure the caller closes
 * what was opened (the shim calls close() only after a successful init). */
static int kout_open(struct telex *t, struct kout *k, char *err, size_t errlen)
{
	const struct kout_config *c = k->cfg;
	char why[768];
	if (kout_headers_compile(&k->headers, &c->headers,
				 c->metric_name_header, why, sizeof(why))) {
		snprintf(err, errlen, "[%s.headers] %s", KOUT_TABLE, why);
		return TELEX_EXIT_USAGE;
	}
	kout_router_init(&k->router, c, &k->headers);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (kout_conf(c, conf, err, errlen) ||
	    kafka_client_conf(&k->kc, conf, &c->kc, telex_log_limiter(t), err,
			      errlen)) {
		rd_kafka_conf_destroy(conf);
		return TELEX_EXIT_USAGE;
	}
	kout_set_dr_cb(conf);
	k->topics.max = (size_t)c->max_topics;
	if (c->spool_dir && *c->spool_dir) {
		int rc = kout_spool_start(k, err, errlen);
		if (rc) {
			rd_kafka_conf_destroy(conf);
			return rc;
		}
	}
	k->queue_max_records =
	    kafka_conf_get_int(conf, "queue.buffering.max.messages", 100000);
	k->pack_linger_ns = kafka_conf_get_int(conf, "linger.ms", 5) * 1000000;
	k->queue_max_bytes =
	    kafka_conf_get_int(conf, "queue.buffering.max.kbytes", 32768) *
	    1024;
	k->kc.owner = k;
	k->kc.on_served = kout_on_served;
	k->kc.on_stats = kout_on_stats;
	k->kc.on_fatal = kout_on_fatal;
	/* rd_kafka_new() refuses inconsistent properties: a config error. */
	if (kafka_client_start(&k->kc, RD_KAFKA_PRODUCER, conf, telex_loop(t),
			       err, errlen))
		return TELEX_EXIT_USAGE;
	const char *reason;
	k->default_rkt = kout_topic_get(&k->topics, k->kc.rk, c->topic,
					strlen(c->topic), &reason, err, errlen);
	if (!k->default_rkt) {
		char why[512];
		snprintf(why, sizeof(why), "%.500s", err);
		snprintf(err, errlen, "[%s] topic: %s", KOUT_TABLE, why);
		return TELEX_EXIT_USAGE;
	}
	/* What an earlier run left in the spool goes first. */
	if (k->spooling)
		kout_on_served(k);
	return 0;
}

static int kout_init(struct telex *t, void *config, void **state)
{
	const struct kout_config *c = config;
	char err[1024];
	if (kout_check(c, err, sizeof(err))) {
		log_error("%s", err);
		return TELEX_EXIT_USAGE;
	}
	struct kout *k = calloc(1, sizeof(*k));
	if (!k) {
		log_error("out of memory");
		return TELEX_EXIT_FAILURE;
	}
	k->t = t;
	k->cfg = c;
	k->kc.pipe_r = k->kc.pipe_w = -1;
	int rc = kout_open(t, k, err, sizeof(err));
	if (rc) {
		log_error("%s", err);
		kout_close(t, k);
		return rc;
	}
	*state = k;
	return 0;
}

static void kout_close(struct telex *t, void *state)
{
	struct kout *k = state;
	if (!k)
		return;
	if (k->pack_timer)
		loop_cancel_timer(telex_loop(t), k->pack_timer);
	kout_packer_free(&k->packer);
	for (size_t i = k->retry.next; i < k->retry.n; i++)
		kout_token_drop(&k->ledger, k->retry.v[i].tok);
	kout_retry_reset(&k->retry);
	kout_topics_free(&k->topics);
	kafka_client_close(&k->kc);
	/* After the client: its last delivery reports may still move the
	 * spool's ack position. */
	kout_spool_stop(k);
	kout_ledger_free(&k->ledger);
	kout_router_free(&k->router);
	buf_free(&k->scratch);
	kout_headers_free(&k->headers);
	for (size_t i = 0; i < KOUT_LEFT_TOPICS; i++)
		free(k->left[i].name);
	free(k->lpos);
	free(k);
}

/* --spool-status DIR (or =DIR): print what the spool holds and exit;
 * handled before the shim's command line, as it needs no config. Returns
 * -1 when argv does not ask for it. */
static int kout_status_request(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-')
			continue;
		const char *name = a + 1 + (a[1] == '-');
		if (strncmp(name, "spool-status", 12) != 0 ||
		    (name[12] && name[12] != '='))
			continue;
		const char *dir = name[12] == '=' ? name + 13
				  : i + 1 < argc  ? argv[i + 1]
						  : NULL;
		if (!dir || !*dir) {
			log_error("--spool-status needs the spool's directory");
			return TELEX_EXIT_USAGE;
		}
		struct buf out = BUF_INIT;
		int rc = kout_spool_status(dir, &out);
		if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
			rc = TELEX_EXIT_FAILURE;
		buf_free(&out);
		return rc;
	}
	return -1;
}

static const struct telex_usage_option kout_usage[] = {
    {"--spool-status DIR",
     "print what the spool in DIR holds (records, bytes, the oldest, "
     "rejected) without changing it, and exit"},
    {NULL, NULL},
};

static const struct telex_plugin kout_plugin = {
    .program = "telex-kafka-output",
    .summary = "write metrics from stdin to Kafka, a drop-in for "
	       "Telegraf's outputs.kafka",
    .usage_extra = kout_usage,
    .kind = TELEX_OUTPUT,
    .config = {.section = "outputs", .name = "kafka", .options = kout_options},
    .config_size = sizeof(struct kout_config),
    .init = kout_init,
    .write = kout_write,
    .flush = kout_flush,
    .close = kout_close,
};

int main(int argc, char **argv)
{
	int rc = kout_status_request(argc, argv);
	return rc >= 0 ? rc : telex_main(&kout_plugin, argc, argv);
}
