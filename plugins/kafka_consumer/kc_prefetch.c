/*
 * kc_prefetch.c: records taken from librdkafka's queue but not handled yet.
 *
 * Why a queue of our own in front of librdkafka's: librdkafka 2.0 stops
 * fetching a partition for a whole second once its queue passes
 * queued.min.messages or queued.max.messages.kbytes, so a bounded queue
 * there means a consumer that idles most of the time while catching up.
 * Instead telex takes every record out of librdkafka's queue at once (it
 * never reaches those limits) into this FIFO, and bounds the FIFO itself by
 * pausing the partitions when it is full and resuming them when it has
 * drained: pausing drops only what librdkafka fetched after our last take
 * (fetched again on resume, from the offset after the last record taken),
 * and resuming fetches at once. Memory is bounded by the FIFO's high-water
 * mark; speed is what the line handling can do.
 */
#include <stdlib.h>
#include <string.h>

#include "kafka_consumer.h"

void kc_prefetch_init(struct kc_prefetch *p)
{
	memset(p, 0, sizeof(*p));
}

static rd_kafka_message_t **kc_prefetch_at(struct kc_prefetch *p, size_t i)
{
	return &p->v[(p->head + i) & (p->cap - 1)];
}

int kc_prefetch_push(struct kc_prefetch *p, rd_kafka_message_t *m)
{
	if (p->len == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4096;
		rd_kafka_message_t **nv = malloc(cap * sizeof(*nv));
		if (!nv)
			return -1;
		for (size_t i = 0; i < p->len; i++)
			nv[i] = *kc_prefetch_at(p, i);
		free(p->v);
		p->v = nv;
		p->cap = cap;
		p->head = 0;
	}
	*kc_prefetch_at(p, p->len++) = m;
	p->bytes += m->len;
	return 0;
}

rd_kafka_message_t *kc_prefetch_pop(struct kc_prefetch *p)
{
	if (!p->len)
		return NULL;
	rd_kafka_message_t *m = *kc_prefetch_at(p, 0);
	p->head = (p->head + 1) & (p->cap - 1);
	p->len--;
	p->bytes -= m->len;
	return m;
}

static bool kc_prefetch_listed(const rd_kafka_message_t *m,
			       const rd_kafka_topic_partition_list_t *parts)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	for (int i = 0; i < parts->cnt; i++)
		if (parts->elems[i].partition == m->partition &&
		    strcmp(parts->elems[i].topic, topic) == 0)
			return true;
	return false;
}

size_t kc_prefetch_drop(struct kc_prefetch *p,
			const rd_kafka_topic_partition_list_t *parts)
{
	size_t kept = 0, dropped = 0;
	for (size_t i = 0; i < p->len; i++) {
		rd_kafka_message_t *m = *kc_prefetch_at(p, i);
		if (!parts || kc_prefetch_listed(m, parts)) {
			p->bytes -= m->len;
			rd_kafka_message_destroy(m);
			dropped++;
		} else {
			*kc_prefetch_at(p, kept++) = m;
		}
	}
	p->len = kept;
	return dropped;
}

void kc_prefetch_free(struct kc_prefetch *p)
{
	kc_prefetch_drop(p, NULL);
	free(p->v);
	memset(p, 0, sizeof(*p));
}
