/*
 * topics.c: librdkafka topic handles by name. Producing by name makes
 * librdkafka look the topic up in a list under a lock for every record;
 * with topic_tag routing that is per metric, so telex keeps its own hash
 * table of handles (and remembers the last one: consecutive metrics
 * usually go to the same topic).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_output.h"

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
	struct kout_topics bigger = {.slots = slots, .cap = cap, .n = ts->n};
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

rd_kafka_topic_t *kout_topic_get(struct kout_topics *ts, rd_kafka_t *rk,
				 const char *name, size_t len, char *err,
				 size_t errlen)
{
	if (ts->last && ts->last->len == len &&
	    memcmp(ts->last->name, name, len) == 0)
		return ts->last->rkt;
	if ((ts->n + 1) * 10 > ts->cap * 7 && kout_topics_grow(ts) < 0)
		goto oom;
	uint32_t hash = kout_topic_hash(name, len);
	struct kout_topic *t = kout_topic_slot(ts, name, len, hash);
	if (!t->name) {
		if (len == 0 || memchr(name, '\0', len)) {
			snprintf(err, errlen, "empty or NUL in topic name");
			return NULL;
		}
		char *copy = strndup(name, len);
		if (!copy)
			goto oom;
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, copy, NULL);
		if (!rkt) {
			snprintf(err, errlen, "topic \"%s\": %s", copy,
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
