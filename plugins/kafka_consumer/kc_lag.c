/*
 * kc_lag.c: the kafka_consumer_lag metric (Telegraf issue 19736 asks for
 * it): per assigned partition, how far the group's committed offset is
 * behind the partition's end. The numbers are librdkafka's own, from its
 * statistics JSON (statistics.interval.ms = lag_interval):
 * topics.T.partitions.P.{consumer_lag, committed_offset, hi_offset}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "kc.h"

static int64_t kc_lag_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	int64_t n = json_object_get_int64(v);
	return n < 0 ? -1 : n;
}

static int kc_lag_topic(const char *topic, struct json_object *t,
			bool (*assigned)(void *, const char *, int32_t),
			void (*cb)(void *, const struct kc_lag_row *),
			void *arg)
{
	struct json_object *parts;
	int rows = 0;
	if (!json_object_object_get_ex(t, "partitions", &parts) ||
	    !json_object_is_type(parts, json_type_object))
		return 0;
	json_object_object_foreach(parts, key, p)
	{
		(void)key;
		struct json_object *id;
		if (!json_object_is_type(p, json_type_object) ||
		    !json_object_object_get_ex(p, "partition", &id) ||
		    !json_object_is_type(id, json_type_int))
			continue;
		int64_t partition = json_object_get_int64(id);
		/* -1 is librdkafka's internal "unassigned" partition. */
		if (partition < 0 || partition > INT32_MAX ||
		    !assigned(arg, topic, (int32_t)partition))
			continue;
		struct kc_lag_row row = {
		    .topic = topic,
		    .partition = (int32_t)partition,
		    .lag = kc_lag_int(p, "consumer_lag"),
		    .committed = kc_lag_int(p, "committed_offset"),
		    .high_watermark = kc_lag_int(p, "hi_offset"),
		};
		cb(arg, &row);
		rows++;
	}
	return rows;
}

int kc_lag_parse(const char *json, size_t len,
		 bool (*assigned)(void *arg, const char *topic,
				  int32_t partition),
		 void (*cb)(void *arg, const struct kc_lag_row *row), void *arg,
		 char *err, size_t errlen)
{
	struct json_object *doc = kafka_stats_json(json, len, err, errlen);
	if (!doc)
		return -1;
	struct json_object *topics;
	if (!json_object_object_get_ex(doc, "topics", &topics) ||
	    !json_object_is_type(topics, json_type_object)) {
		snprintf(err, errlen, "statistics without a \"topics\" object");
		json_object_put(doc);
		return -1;
	}
	int rows = 0;
	json_object_object_foreach(topics, name, t)
	{
		if (json_object_is_type(t, json_type_object))
			rows += kc_lag_topic(name, t, assigned, cb, arg);
	}
	json_object_put(doc);
	return rows;
}

int kc_lag_metric(struct lp_metric *m, const struct kc_lag_row *row,
		  const char *group, int64_t now_ns)
{
	lp_metric_reset(m);
	if (row->lag < 0 && row->committed < 0 && row->high_watermark < 0)
		return -1;
	char *partition = arena_printf(&m->arena, "%d", (int)row->partition);
	if (!partition || lp_metric_set_name(m, "kafka_consumer_lag", 18) ||
	    lp_metric_add_tag(m, "consumer_group", 14, group, strlen(group)) ||
	    lp_metric_add_tag(m, "partition", 9, partition,
			      strlen(partition)) ||
	    lp_metric_add_tag(m, "topic", 5, row->topic, strlen(row->topic)))
		return -1;
	if ((row->lag >= 0 && lp_metric_add_int(m, "lag", 3, row->lag)) ||
	    (row->committed >= 0 &&
	     lp_metric_add_int(m, "committed_offset", 16, row->committed)) ||
	    (row->high_watermark >= 0 &&
	     lp_metric_add_int(m, "high_watermark", 14, row->high_watermark)))
		return -1;
	lp_metric_set_time(m, now_ns);
	return 0;
}
