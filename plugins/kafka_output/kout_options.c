/*
 * kout_options.c: what a [[outputs.kafka]] table must satisfy beyond its
 * declaration, and the librdkafka producer properties it becomes.
 */
#include <stdio.h>
#include <string.h>

#include "kout.h"

int kout_check(const struct kout_config *c, char *err, size_t errlen)
{
	const char *m = c->topic_suffix.method;
	if (!c->topic || !*c->topic)
		snprintf(err, errlen, "[%s] topic: may not be empty",
			 KOUT_TABLE);
	else if (m && *m && strcmp(m, "measurement") && strcmp(m, "tags"))
		snprintf(err, errlen,
			 "[%s.topic_suffix] method: unknown method \"%s\" "
			 "(measurement, tags)",
			 KOUT_TABLE, m);
	else if (strcmp(c->producer_timestamp, "metric") &&
		 strcmp(c->producer_timestamp, "now"))
		snprintf(err, errlen,
			 "[%s] producer_timestamp: \"%s\" is neither metric "
			 "nor now",
			 KOUT_TABLE, c->producer_timestamp);
	else if (strcmp(c->data_format, "influx") &&
		 strcmp(c->data_format, "json"))
		snprintf(err, errlen,
			 "[%s] data_format: \"%s\" is not supported (influx, "
			 "json)",
			 KOUT_TABLE, c->data_format);
	else if (c->metrics_per_record > 1 && strcmp(c->data_format, "influx"))
		snprintf(err, errlen,
			 "[%s] metrics_per_record > 1 needs data_format = "
			 "\"influx\"",
			 KOUT_TABLE);
	else if (c->idempotent_writes && c->required_acks != -1)
		snprintf(err, errlen,
			 "[%s] idempotent_writes needs required_acks = -1",
			 KOUT_TABLE);
	else if (c->compression_codec < 0 || c->compression_codec > 4)
		snprintf(err, errlen,
			 "[%s] compression_codec: %lld is not 0 to 4",
			 KOUT_TABLE, (long long)c->compression_codec);
	else if (c->required_acks < -1 || c->required_acks > 1)
		snprintf(err, errlen,
			 "[%s] required_acks: %lld is not -1, 0 or 1",
			 KOUT_TABLE, (long long)c->required_acks);
	else if (c->spool_dir && *c->spool_dir && c->spool_fsync_interval <= 0)
		snprintf(err, errlen,
			 "[%s] spool_fsync_interval: must be positive",
			 KOUT_TABLE);
	else if (c->max_topics < 1)
		snprintf(err, errlen, "[%s] max_topics: must be positive",
			 KOUT_TABLE);
	else if (c->max_message_bytes < 1 || c->metrics_per_record < 1 ||
		 c->stats_interval < 0 || c->json_timestamp_units <= 0)
		snprintf(err, errlen,
			 "[%s] max_message_bytes, metrics_per_record and "
			 "json_timestamp_units must be positive",
			 KOUT_TABLE);
	else
		return 0;
	return -1;
}

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
	if (kafka_conf_apply(&c->kc, conf, KOUT_TABLE, err, errlen) ||
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
	return kafka_conf_passthrough(&c->kc, conf, KOUT_TABLE, err, errlen);
}
