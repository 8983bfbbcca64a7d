/*
 * kc_prefetch.c: records taken from librdkafka's queue but not handled yet.
 *
 * Why a queue of our own in front of librdkafka's: librdkafka 2.0 stops
 * fetching once its queue passes queued.min.messages or
 * queued.max.messages.kbytes and looks again only a second later (or when
 * something else wakes its broker thread), so a consumer bounded by those
 * limits alone idles most of the time while catching up. Instead telex
 * takes every record out of librdkafka's queue at once into this FIFO, and
 * bounds the FIFO itself by pausing the partitions when it is full and
 * resuming them when it has drained: pausing drops only what librdkafka
 * fetched after our last take (fetched again on resume, from the offset
 * after the last record taken), and resuming fetches at once. Speed is
 * what the line handling can do.
 *
 * The FIFO is bounded by half of librdkafka's own limits, counting what a
 * record really holds (its key and value and librdkafka's message object).
 * librdkafka stops fetching only once its queue reaches its limits; a take
 * of that queue then always fills the FIFO, and the pause and resume that
 * wake librdkafka's fetcher follow. The margin of two absorbs the fetch
 * responses that land between two takes, so that librdkafka rarely gets
 * there at all (with equal limits it did, and slept). Both queues together
 * hold at most about one and a half times the limit.
 */
#include <stdlib.h>
#include <string.h>

#include "kc.h"

void kc_prefetch_init(struct kc_prefetch *p)
{
	memset(p, 0, sizeof(*p));
	p->high_bytes = SIZE_MAX;
	p->high_records = SIZE_MAX;
}

static int kc_prefetch_conf_size(const rd_kafka_conf_t *conf, const char *name,
				 size_t *v)
{
	char s[32];
	size_t n = sizeof(s);
	if (rd_kafka_conf_get(conf, name, s, &n) != RD_KAFKA_CONF_OK)
		return -1;
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (end == s || *end || x == 0)
		return -1;
	*v = (size_t)x;
	return 0;
}

int kc_prefetch_limits(struct kc_prefetch *p, const rd_kafka_conf_t *conf)
{
	size_t kbytes, records;
	if (kc_prefetch_conf_size(conf, "queued.max.messages.kbytes",
				  &kbytes) ||
	    kc_prefetch_conf_size(conf, "queued.min.messages", &records))
		return -1;
	p->high_bytes = kbytes * 1024 / KC_PREFETCH_SHARE;
	p->high_records = records / KC_PREFETCH_SHARE;
	return 0;
}

bool kc_prefetch_full(const struct kc_prefetch *p)
{
	return p->bytes >= p->high_bytes || p->len >= p->high_records;
}

bool kc_prefetch_low(const struct kc_prefetch *p)
{
	return p->bytes <= p->high_bytes / KC_PREFETCH_LOW_DIVISOR &&
	       p->len <= p->high_records / KC_PREFETCH_LOW_DIVISOR;
}

static size_t kc_prefetch_cost(const rd_kafka_message_t *m)
{
	return m->len + m->key_len + KC_PREFETCH_RECORD_COST;
}

static rd_kafka_message_t **kc_prefetch_at(struct kc_prefetch *p, size_t i)
{
	return &p->v[(p->head + i) & (p->cap - 1)];
}

int kc_prefetch_push(struct kc_prefetch *p, rd_kafka_message_t *m)
{
	if (p->len == p->cap) {
		rd_kafka_message_t **nv = ring_grow(p->v, p->head, p->len,
						    &p->cap, sizeof(*nv), 4096);
		if (!nv)
			return -1;
		p->v = nv;
		p->head = 0;
	}
	*kc_prefetch_at(p, p->len++) = m;
	p->bytes += kc_prefetch_cost(m);
	return 0;
}

rd_kafka_message_t *kc_prefetch_pop(struct kc_prefetch *p)
{
	if (!p->len)
		return NULL;
	rd_kafka_message_t *m = *kc_prefetch_at(p, 0);
	p->head = (p->head + 1) & (p->cap - 1);
	p->len--;
	p->bytes -= kc_prefetch_cost(m);
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
			p->bytes -= kc_prefetch_cost(m);
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
	p->v = NULL;
	p->cap = p->head = p->len = p->bytes = 0;
}
