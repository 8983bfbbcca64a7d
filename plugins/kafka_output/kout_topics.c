/*
 * kout_topics.c: librdkafka topic handles by name. Producing by name makes
 * librdkafka look the topic up in a list under a lock for every record;
 * with topic_tag routing that is per metric, so telex keeps its own hash
 * table of handles (and remembers the last one: consecutive metrics
 * usually go to the same topic).
 *
 * The table is bounded by max_topics, and a topic past it is refused
 * rather than an old handle freed: librdkafka keeps every topic it has
 * seen, its partitions and their queues, until the client is destroyed
 * (rd_kafka_topic_destroy() only drops the application's reference), and
 * asks the brokers for the metadata of all of them; topic_tag with 10,000
 * distinct values took 777 MB and a minute of CPU. An LRU of handles
 * would bound telex's table, not that.
 *
 * Names are checked as Kafka checks them (at most 249 bytes of
 * [a-zA-Z0-9._-], not "." or ".."), so that a bad name fails at once
 * with its reason rather than after a round trip, or, past librdkafka's
 * own 512 bytes, as a bare "Invalid argument".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kout.h"

static uint32_t kout_topic_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 16777619u;
	}
	return h;
}

static struct kout_topic *kout_topic_slot(struct kout_topics *ts,
					  const char *name, size_t len,
					  uint32_t hash)
{
	size_t mask = ts->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct kout_topic *t = &ts->slots[i];
		if (!t->name || (t->hash == hash && t->len == len &&
				 memcmp(t->name, name, len) == 0))
			return t;
	}
}

static int kout_topics_grow(struct kout_topics *ts)
{
	size_t cap = ts->cap ? ts->cap * 2 : 16;
	struct kout_topic *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	struct kout_topics bigger = {
	    .slots = slots, .cap = cap, .n = ts->n, .max = ts->max};
	for (size_t i = 0; i < ts->cap; i++) {
		struct kout_topic *t = &ts->slots[i];
		if (t->name)
			*kout_topic_slot(&bigger, t->name, t->len, t->hash) =
			    *t;
	}
	free(ts->slots);
	*ts = bigger;
	return 0;
}

/* Up to 64 bytes of a name for a message, with its size when cut. */
static void kout_topic_shown(char *out, size_t n, const char *name, size_t len)
{
	size_t shown = len > 64 ? 64 : len;
	size_t o = 0;
	for (size_t i = 0; i < shown && o + 5 < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c >= 0x7f || c == '"')
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	if (shown < len)
		snprintf(out + o, n - o, "...");
}

static bool kout_topic_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int kout_topic_name_check(const char *name, size_t len, char *err,
			  size_t errlen)
{
	char shown[300];
	kout_topic_shown(shown, sizeof(shown), name, len);
	if (len == 0) {
		snprintf(err, errlen, "empty topic name");
		return -1;
	}
	if (len > KOUT_TOPIC_NAME_MAX) {
		snprintf(err, errlen,
			 "a topic name of %zu bytes is longer than Kafka "
			 "allows (%d): \"%s\"",
			 len, KOUT_TOPIC_NAME_MAX, shown);
		return -1;
	}
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.')) {
		snprintf(err, errlen, "\"%s\" is not a valid topic name",
			 shown);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (!kout_topic_char_ok(name[i])) {
			snprintf(err, errlen,
				 "topic \"%s\": byte %zu (0x%02x) is not "
				 "allowed in Kafka topic names (letters, "
				 "digits, '.', '_', '-')",
				 shown, i + 1, (unsigned char)name[i]);
			return -1;
		}
	return 0;
}

rd_kafka_topic_t *kout_topic_get(struct kout_topics *ts, rd_kafka_t *rk,
				 const char *name, size_t len,
				 const char **reason, char *err, size_t errlen)
{
	*reason = "invalid topic";
	if (ts->last && ts->last->len == len &&
	    memcmp(ts->last->name, name, len) == 0)
		return ts->last->rkt;
	if ((ts->n + 1) * 10 > ts->cap * 7 && kout_topics_grow(ts) < 0)
		goto oom;
	uint32_t hash = kout_topic_hash(name, len);
	struct kout_topic *t = kout_topic_slot(ts, name, len, hash);
	if (!t->name) {
		if (kout_topic_name_check(name, len, err, errlen) < 0)
			return NULL;
		if (ts->max && ts->n >= ts->max) {
			char shown[300];
			kout_topic_shown(shown, sizeof(shown), name, len);
			*reason = "too many topics";
			snprintf(err, errlen,
				 "topic \"%s\" would be topic number %zu: "
				 "max_topics is %zu (librdkafka keeps every "
				 "topic until exit)",
				 shown, ts->n + 1, ts->max);
			return NULL;
		}
		char *copy = strndup(name, len);
		if (!copy)
			goto oom;
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, copy, NULL);
		if (!rkt) {
			snprintf(err, errlen, "topic \"%.64s\": %s", copy,
				 rd_kafka_err2str(rd_kafka_last_error()));
			free(copy);
			return NULL;
		}
		*t = (struct kout_topic){
		    .name = copy, .len = len, .hash = hash, .rkt = rkt};
		ts->n++;
	}
	ts->last = t;
	return t->rkt;
oom:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

void kout_topics_free(struct kout_topics *ts)
{
	for (size_t i = 0; i < ts->cap; i++) {
		if (!ts->slots[i].name)
			continue;
		rd_kafka_topic_destroy(ts->slots[i].rkt);
		free(ts->slots[i].name);
	}
	free(ts->slots);
	memset(ts, 0, sizeof(*ts));
}
