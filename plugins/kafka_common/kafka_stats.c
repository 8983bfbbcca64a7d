/*
 * kafka_stats.c: the few numbers telex reports from librdkafka's
 * statistics JSON (STATISTICS.md in librdkafka): queue depth, messages
 * sent, retries and errors summed over brokers, the worst broker RTT, and
 * the consumer lag summed over partitions.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "kafka_common.h"

static int64_t kafka_stats_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_int64(v);
}

static void kafka_stats_broker(struct json_object *b, struct kafka_stats *s)
{
	struct json_object *v;
	/* The internal pseudo-broker holds unassigned messages only. */
	if (json_object_object_get_ex(b, "source", &v) &&
	    strcmp(json_object_get_string(v), "internal") == 0)
		return;
	s->brokers++;
	if (json_object_object_get_ex(b, "state", &v) &&
	    strcmp(json_object_get_string(v), "UP") == 0)
		s->brokers_up++;
	s->txretries += kafka_stats_int(b, "txretries");
	s->txerrs += kafka_stats_int(b, "txerrs");
	struct json_object *rtt;
	if (json_object_object_get_ex(b, "rtt", &rtt)) {
		int64_t avg = kafka_stats_int(rtt, "avg");
		int64_t p99 = kafka_stats_int(rtt, "p99");
		if (avg > s->rtt_avg_us)
			s->rtt_avg_us = avg;
		if (p99 > s->rtt_p99_us)
			s->rtt_p99_us = p99;
	}
}

static void kafka_stats_topic(struct json_object *t, struct kafka_stats *s)
{
	struct json_object *parts;
	if (!json_object_object_get_ex(t, "partitions", &parts) ||
	    !json_object_is_type(parts, json_type_object))
		return;
	json_object_object_foreach(parts, id, p)
	{
		/* Partition -1 is librdkafka's unassigned-messages queue. */
		if (id[0] == '-' || !json_object_is_type(p, json_type_object))
			continue;
		struct json_object *lag;
		if (!json_object_object_get_ex(p, "consumer_lag", &lag))
			continue;
		int64_t n = json_object_get_int64(lag);
		if (n < 0)
			continue;
		if (s->consumer_lag < 0)
			s->consumer_lag = 0;
		s->consumer_lag += n;
	}
}

struct json_object *kafka_stats_json(const char *json, size_t len, char *err,
				     size_t errlen)
{
	if (len > INT32_MAX) {
		snprintf(err, errlen, "statistics document too large");
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct json_object *root = json_tokener_parse_ex(tok, json, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success ||
	    !json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "statistics are not a JSON object%s%s",
			 jerr != json_tokener_success ? ": " : "",
			 jerr != json_tokener_success
			     ? json_tokener_error_desc(jerr)
			     : "");
		json_object_put(root);
		return NULL;
	}
	return root;
}

/* each(member, s) for the members of root[key] that are objects. */
static void kafka_stats_each(struct json_object *root, const char *key,
			     void (*each)(struct json_object *,
					  struct kafka_stats *),
			     struct kafka_stats *s)
{
	struct json_object *o;
	if (!json_object_object_get_ex(root, key, &o) ||
	    !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, name, member)
	{
		(void)name;
		if (json_object_is_type(member, json_type_object))
			each(member, s);
	}
}

int kafka_stats_parse(const char *json, size_t len, struct kafka_stats *s,
		      char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->consumer_lag = -1;
	struct json_object *root = kafka_stats_json(json, len, err, errlen);
	if (!root)
		return -1;
	s->msg_cnt = kafka_stats_int(root, "msg_cnt");
	s->msg_size = kafka_stats_int(root, "msg_size");
	s->txmsgs = kafka_stats_int(root, "txmsgs");
	s->tx_bytes = kafka_stats_int(root, "tx_bytes");
	s->rxmsgs = kafka_stats_int(root, "rxmsgs");
	kafka_stats_each(root, "brokers", kafka_stats_broker, s);
	kafka_stats_each(root, "topics", kafka_stats_topic, s);
	json_object_put(root);
	return 0;
}

void kafka_stats_brokers_text(const struct kafka_stats *s, char *out, size_t n)
{
	snprintf(out, n, "%d brokers (%d up), rtt avg %.1f ms p99 %.1f ms",
		 s->brokers, s->brokers_up, (double)s->rtt_avg_us / 1000.0,
		 (double)s->rtt_p99_us / 1000.0);
}
