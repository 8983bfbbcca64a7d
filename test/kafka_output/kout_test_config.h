/*
 * kout_test_config.h: telex-kafka-output's options at their defaults, as
 * its unit tests and its routing fuzzer start from without reading a
 * config file.
 */
#ifndef TELEX_TEST_KOUT_TEST_CONFIG_H
#define TELEX_TEST_KOUT_TEST_CONFIG_H

#include <string.h>

#include "../../plugins/kafka_output/kout.h"

/* c at the documented defaults, with `topic` as its topic. */
static inline void kout_test_config(struct kout_config *c, char *topic)
{
	memset(c, 0, sizeof(*c));
	c->topic = topic;
	c->producer_timestamp = "metric";
	c->data_format = "influx";
	c->json_timestamp_units = 1000000000;
	c->max_message_bytes = 1000000;
	c->metrics_per_record = 1;
	c->required_acks = -1;
	c->max_retry = 3;
	c->stats_interval = 60000000000LL;
	c->max_topics = 1000;
	c->spool_dir = "";
	c->spool_max_bytes = 1LL << 30;
	c->spool_fsync = "interval";
	c->spool_fsync_interval = 1000000000LL;
	c->spool_rejected_max_bytes = 100LL << 20;
}

#endif
