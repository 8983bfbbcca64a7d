/*
 * kout_retry.c: records to produce again (kout.h).
 *
 * librdkafka gives a record up after message.timeout.ms, or after
 * `retries` failed requests; telex does not: the delivery report still
 * holds the record, so it is copied here and produced again, for as long
 * as it takes. The list holds at most what was in librdkafka's queue
 * (nothing new is produced while it is not empty), so it is bounded by
 * queue.buffering.max.kbytes like the queue itself.
 */
#include <stdlib.h>
#include <string.h>

#include "kout.h"

int kout_retry_push(struct kout_retry *r, const rd_kafka_message_t *m,
		    kout_token tok, uint64_t seq)
{
	struct kout_retry_rec *v =
	    array_grow(r->v, r->n, &r->cap, sizeof(*v), 256);
	if (!v)
		return -1;
	r->v = v;
	const char *topic = rd_kafka_topic_name(m->rkt);
	size_t tlen = strlen(topic);
	char *mem = malloc(tlen + 1 + m->key_len + m->len + 1);
	if (!mem)
		return -1;
	struct kout_retry_rec *e = &r->v[r->n];
	*e = (struct kout_retry_rec){.tok = tok, .seq = seq, .topic = mem};
	memcpy(mem, topic, tlen + 1);
	char *p = mem + tlen + 1;
	if (m->key) {
		e->key = p;
		e->key_len = m->key_len;
		memcpy(p, m->key, m->key_len);
		p += m->key_len;
	}
	e->value = p;
	e->value_len = m->len;
	if (m->len)
		memcpy(p, m->payload, m->len);
	rd_kafka_headers_t *hdrs = NULL;
	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    hdrs)
		e->hdrs = rd_kafka_headers_copy(hdrs);
	rd_kafka_timestamp_type_t tt;
	int64_t ts = rd_kafka_message_timestamp(m, &tt);
	e->timestamp_ms = ts > 0 ? ts : 0;
	r->bytes += tlen + m->key_len + m->len;
	r->n++;
	r->sorted = false;
	return 0;
}

static int kout_retry_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct kout_retry_rec *)a)->seq;
	uint64_t y = ((const struct kout_retry_rec *)b)->seq;
	return x < y ? -1 : x > y;
}

void kout_retry_sort(struct kout_retry *r)
{
	if (!r->sorted && r->n - r->next > 1)
		qsort(r->v + r->next, r->n - r->next, sizeof(*r->v),
		      kout_retry_cmp);
	r->sorted = true;
}

void kout_retry_release(struct kout_retry *r, size_t i)
{
	struct kout_retry_rec *e = &r->v[i];
	r->bytes -= strlen(e->topic) + e->key_len + e->value_len;
	free(e->topic);
	if (e->hdrs)
		rd_kafka_headers_destroy(e->hdrs);
	e->topic = e->key = e->value = NULL;
	e->hdrs = NULL;
}

void kout_retry_reset(struct kout_retry *r)
{
	for (size_t i = r->next; i < r->n; i++)
		kout_retry_release(r, i);
	free(r->v);
	memset(r, 0, sizeof(*r));
}
