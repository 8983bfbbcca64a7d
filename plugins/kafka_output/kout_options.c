/*
 * kout_options.c: the [[outputs.kafka]] table: the option table (the one
 * declaration behind parsing, --sample-config and the man page), what
 * values and the table must satisfy beyond it (checked where the config is
 * read, so that every refusal names file:line), and the librdkafka
 * producer properties it becomes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kout.h"

/* A topic name Kafka accepts. */
static int kout_check_topic(const void *value, struct cfg_problem *p)
{
	const char *topic = *(char *const *)value;
	return kout_topic_name_check(topic, strlen(topic), p->why, p->whylen);
}

/* Each header's template compiles. */
static int kout_check_headers(const void *value, struct cfg_problem *p)
{
	const struct cfg_map *m = value;
	for (size_t i = 0; i < m->n; i++) {
		const struct cfg_map one = {&m->keys[i], &m->values[i], 1};
		struct kout_headers hs;
		int rc =
		    kout_headers_compile(&hs, &one, NULL, p->why, p->whylen);
		kout_headers_free(&hs);
		if (rc) {
			p->item = i + 1;
			return -1;
		}
	}
	return 0;
}

/* The spool directory can be made (mkdir of the last component, as
 * kout_spool_open does) or exists, and the program's user can create
 * files in it. Checked without changing anything: what is found at start
 * is still refused there. */
static int kout_check_spool_dir(const void *value, struct cfg_problem *p)
{
	const char *dir = *(char *const *)value;
	if (!dir || !*dir)
		return 0; /* memory mode */
	struct stat st;
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return cfg_refuse(p, "\"%s\" is not a directory", dir);
		if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0)
			return 0;
		return cfg_refuse(p,
				  "\"%s\": cannot create files in it: %s (the "
				  "user running telex-kafka-output needs write "
				  "access)",
				  dir, strerror(errno));
	}
	int why = errno;
	if (why == ENOENT) {
		char parent[4096];
		snprintf(parent, sizeof(parent), "%s", dir);
		/* "/var/lib/x/" names x: its parent is /var/lib. */
		size_t end = strlen(parent);
		while (end > 1 && parent[end - 1] == '/')
			parent[--end] = '\0';
		char *slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			snprintf(parent, sizeof(parent), ".");
		if (faccessat(AT_FDCWD, parent, W_OK | X_OK, AT_EACCESS) == 0)
			return 0;
		why = errno;
	}
	return cfg_refuse(p, "\"%s\": cannot create it: %s", dir,
			  strerror(why));
}

/* Rules across options, at the line of the option that breaks them. */
int kout_config_finalize(void *config, struct cfg_problem *p)
{
	const struct kout_config *c = config;
	if (c->metrics_per_record > 1 &&
	    strcmp(c->data_format, "influx") != 0) {
		p->key = "metrics_per_record";
		return cfg_refuse(p, "metrics_per_record > 1 needs data_format "
				     "= \"influx\"");
	}
	if (c->idempotent_writes && c->required_acks != -1) {
		p->key = "idempotent_writes";
		return cfg_refuse(p, "idempotent_writes needs required_acks = "
				     "-1");
	}
	return kafka_config_finalize(&c->kafka, p);
}

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

const struct cfg_option kout_options[] = {
	KAFKA_CONNECT_OPTIONS(struct kout_config, kafka),
	KAFKA_SOCKS5_OPTION(struct kout_config, kafka, ""),
	KOUT_OPT(topic, .type = CFG_STRING, .flags = CFG_REQUIRED,
		 .default_value = "\"telegraf\"", .check = kout_check_topic,
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
	KAFKA_TLS_OPTIONS(struct kout_config, kafka),
	KAFKA_SASL_OPTIONS(struct kout_config, kafka),
	KAFKA_SARAMA_OPTIONS,
	KOUT_OPT(data_format, .type = CFG_STRING, .default_value = "\"influx\"",
		 .choices = kout_formats,
		 .help = "record value: \"influx\" (line protocol) or \"json\""),
	KOUT_OPT(json_timestamp_units, .type = CFG_DURATION,
		 .default_value = "\"1s\"", .min = 1,
		 .max = CFG_DURATION_MAX_DEFAULT,
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
		 .check = kout_check_spool_dir,
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
	KOUT_OPT(headers, .type = CFG_STRING_MAP, .check = kout_check_headers,
		 .help = "[outputs.kafka.headers]: name = template over the "
			 "metric ({{ .Name }}, {{ .Tag \"k\" }}, "
			 "{{ .Field \"f\" }})"),
	KAFKA_LIBRDKAFKA_OPTION(struct kout_config, kafka),
	{0},
};

/* clang-format on */

/*
 * The producer's properties. Besides the native options, telex chooses:
 *  - partitioner fnv1a_random: Sarama's hash, so a key lands on the same
 *    partition as with the native plugin;
 *  - queue.buffering.max.kbytes 32 MiB (librdkafka: 1 GiB): what telex
 *    holds in memory and would lose if killed; when full, stdin is
 *    paused and Telegraf buffers instead;
 *  - linger.ms 5 (librdkafka's own default, kept on purpose): measured
 *    against 0-500 ms with keyed records over 64 partitions, longer
 *    lingers made batches larger but cost more CPU and memory (the queue
 *    holds more, colder records) and lowered throughput; 0-2 ms cost
 *    more wake-ups and requests.
 * Anything in [outputs.kafka.librdkafka] overrides these.
 */
int kout_conf(const struct kout_config *c, rd_kafka_conf_t *conf, char *err,
	      size_t errlen)
{
	static const char *const codecs[] = {"none", "gzip", "snappy", "lz4",
					     "zstd"};
	char num[32];
	if (kafka_conf_apply(&c->kafka, conf, KOUT_TABLE, err, errlen) ||
	    kafka_conf_set(conf, "compression.codec",
			   codecs[c->compression_codec], err, errlen) ||
	    kafka_conf_set(conf, "acks",
			   c->required_acks == -1  ? "all"
			   : c->required_acks == 0 ? "0"
						   : "1",
			   err, errlen) ||
	    kafka_conf_set(conf, "enable.idempotence",
			   c->idempotent_writes ? "true" : "false", err,
			   errlen) ||
	    kafka_conf_set(conf, "partitioner", "fnv1a_random", err, errlen) ||
	    kafka_conf_set(conf, "queue.buffering.max.kbytes", "32768", err,
			   errlen) ||
	    kafka_conf_set(conf, "linger.ms", "5", err, errlen))
		return -1;
	snprintf(num, sizeof(num), "%lld", (long long)c->max_retry);
	if (kafka_conf_set(conf, "retries", num, err, errlen))
		return -1;
	/* librdkafka's message.max.bytes also caps a whole request; telex
	 * enforces max_message_bytes per record itself. */
	int64_t mmb = c->max_message_bytes + 65536;
	snprintf(num, sizeof(num), "%lld",
		 (long long)(mmb < 1000000 ? 1000000 : mmb));
	if (kafka_conf_set(conf, "message.max.bytes", num, err, errlen))
		return -1;
	snprintf(num, sizeof(num), "%lld",
		 (long long)(c->stats_interval / 1000000));
	if (kafka_conf_set(conf, "statistics.interval.ms", num, err, errlen))
		return -1;
	return kafka_conf_passthrough(&c->kafka, conf, KOUT_TABLE, err, errlen);
}
