/*
 * pack.c: metrics_per_record > 1, several metrics in one record.
 *
 * Users of the native plugin asked for it (Telegraf issues 4161, 4517):
 * one record per metric makes records of ~200 bytes, and Kafka's cost is
 * per record. The native consumer parses a record as many lines, so a
 * packed record is read back as the same metrics.
 *
 * Lines whose records would get the same topic, key and headers join one
 * open pack. A pack is produced when it holds metrics_per_record lines or
 * the next line would take it past max_message_bytes, and at the end of
 * every batch the shim hands over, so nothing waits in telex for more
 * input. A pack librdkafka's queue has no room for waits (WAITING) and is
 * produced first when there is room again: its lines were already taken
 * from the shim, so this is the one place where telex holds records
 * itself, bounded by one batch.
 */
#include <stdlib.h>
#include <string.h>

#include "kafka_output.h"

/* A pack grown this large is given back when it is done. */
#define KOUT_PACK_KEEP (64u * 1024)

static uint32_t kout_fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static size_t kout_hdr_len(const struct kout_record *rec, size_t nhdr)
{
	return nhdr ? rec->hdr_ends[nhdr - 1] : 0;
}

static uint32_t kout_pack_hash(const struct kout_record *rec, size_t nhdr)
{
	uint32_t h = 2166136261u;
	h = kout_fnv(h, rec->topic, rec->topic_len);
	h = kout_fnv(h, rec->key ? "k" : "n", 1);
	h = kout_fnv(h, rec->key, rec->key_len);
	h = kout_fnv(h, rec->hdr_ends, nhdr * sizeof(size_t));
	return kout_fnv(h, rec->hdr_values, kout_hdr_len(rec, nhdr));
}

static bool kout_pack_matches(const struct kout_pack *p,
			      const struct kout_record *rec, uint32_t hash,
			      size_t nhdr)
{
	size_t hl = kout_hdr_len(rec, nhdr);
	return p->hash == hash && p->topic.len == rec->topic_len &&
	       memcmp(p->topic.data, rec->topic, rec->topic_len) == 0 &&
	       p->has_key == (rec->key != NULL) && p->key.len == rec->key_len &&
	       (!rec->key_len ||
		memcmp(p->key.data, rec->key, rec->key_len) == 0) &&
	       p->hdr.len == hl &&
	       (!hl || memcmp(p->hdr.data, rec->hdr_values, hl) == 0) &&
	       (!nhdr ||
		memcmp(p->hdr_ends, rec->hdr_ends, nhdr * sizeof(size_t)) == 0);
}

static void kout_pack_release(struct kout_packer *pk, struct kout_pack *p)
{
	if (p->state == KOUT_PACK_OPEN)
		pk->nopen--;
	else if (p->state == KOUT_PACK_WAITING)
		pk->nwaiting--;
	p->state = KOUT_PACK_FREE;
	struct buf *bufs[] = {&p->topic, &p->key, &p->hdr, &p->value};
	for (size_t i = 0; i < 4; i++) {
		if (bufs[i]->cap > KOUT_PACK_KEEP)
			buf_free(bufs[i]);
		else
			buf_clear(bufs[i]);
	}
	p->nlines = 0;
}

static void kout_pack_wait(struct kout_packer *pk, struct kout_pack *p)
{
	if (p->state == KOUT_PACK_OPEN) {
		pk->nopen--;
		pk->nwaiting++;
		p->state = KOUT_PACK_WAITING;
	}
}

/* Produce p: 0 done (p is free again), 1 no room (p waits), -1 fatal. */
static int kout_pack_produce(struct kout *k, struct kout_pack *p)
{
	size_t nhdr = k->headers.n;
	struct kout_record rec = {
	    .topic = p->topic.data,
	    .topic_len = p->topic.len,
	    .key = p->has_key ? (p->key.data ? p->key.data : "") : NULL,
	    .key_len = p->key.len,
	    .value = p->value.data,
	    .value_len = p->value.len,
	    .hdr_values = p->hdr.data,
	    .hdr_bytes = p->hdr_bytes,
	    .timestamp_ms = p->timestamp_ms,
	    .name = kout_line_name(p->value.data, p->value.len),
	};
	memcpy(rec.hdr_ends, p->hdr_ends, nhdr * sizeof(size_t));
	int rc = kout_produce(k, &rec, p->nlines);
	if (rc == 0)
		kout_pack_release(&k->packer, p);
	else if (rc > 0)
		kout_pack_wait(&k->packer, p);
	return rc;
}

static struct kout_pack *
kout_pack_new(struct kout *k, const struct kout_record *rec, uint32_t hash)
{
	struct kout_packer *pk = &k->packer;
	struct kout_pack *p = NULL;
	for (size_t i = 0; i < pk->cap && !p; i++)
		if (pk->packs[i].state == KOUT_PACK_FREE)
			p = &pk->packs[i];
	if (!p) {
		size_t cap = pk->cap ? pk->cap * 2 : 16;
		struct kout_pack *packs =
		    realloc(pk->packs, cap * sizeof(*packs));
		if (!packs)
			return NULL;
		memset(packs + pk->cap, 0, (cap - pk->cap) * sizeof(*packs));
		p = packs + pk->cap;
		pk->packs = packs;
		pk->cap = cap;
	}
	size_t nhdr = k->headers.n;
	size_t hl = kout_hdr_len(rec, nhdr);
	if (buf_append(&p->topic, rec->topic, rec->topic_len) ||
	    (rec->key_len && buf_append(&p->key, rec->key, rec->key_len)) ||
	    (hl && buf_append(&p->hdr, rec->hdr_values, hl))) {
		kout_pack_release(pk, p);
		return NULL;
	}
	memcpy(p->hdr_ends, rec->hdr_ends, nhdr * sizeof(size_t));
	p->hdr_bytes = rec->hdr_bytes;
	p->has_key = rec->key != NULL;
	p->timestamp_ms = rec->timestamp_ms;
	p->hash = hash;
	p->seq = pk->next_seq++;
	p->nlines = 0;
	p->state = KOUT_PACK_OPEN;
	pk->nopen++;
	return p;
}

static struct kout_pack *kout_pack_oldest(struct kout_packer *pk,
					  enum kout_pack_state state)
{
	struct kout_pack *best = NULL;
	for (size_t i = 0; i < pk->cap; i++) {
		struct kout_pack *p = &pk->packs[i];
		if (p->state == state && (!best || p->seq < best->seq))
			best = p;
	}
	return best;
}

int kout_pack_line(struct kout *k, const struct kout_record *rec)
{
	struct kout_packer *pk = &k->packer;
	size_t nhdr = k->headers.n;
	size_t fixed = rec->key_len + rec->hdr_bytes;
	int64_t max = k->cfg->max_message_bytes;
	/* Alone too large: kout_produce drops and counts it. */
	if ((int64_t)(rec->value_len + fixed) > max)
		return kout_produce(k, rec, 1);
	uint32_t hash = kout_pack_hash(rec, nhdr);
	struct kout_pack *p = NULL;
	for (size_t i = 0; i < pk->cap && !p; i++)
		if (pk->packs[i].state == KOUT_PACK_OPEN &&
		    kout_pack_matches(&pk->packs[i], rec, hash, nhdr))
			p = &pk->packs[i];
	int full = 0, rc;
	if (p && (int64_t)(p->value.len + rec->value_len + fixed) > max) {
		if ((rc = kout_pack_produce(k, p)) < 0)
			return -1;
		full |= rc;
		p = NULL;
	}
	if (!p) {
		if (pk->nopen >= KOUT_PACKS_OPEN_MAX) {
			rc = kout_pack_produce(
			    k, kout_pack_oldest(pk, KOUT_PACK_OPEN));
			if (rc < 0)
				return -1;
			full |= rc;
		}
		p = kout_pack_new(k, rec, hash);
		if (!p)
			return -1;
	}
	if (buf_append(&p->value, rec->value, rec->value_len))
		return -1;
	p->nlines++;
	if ((int64_t)p->nlines >= k->cfg->metrics_per_record) {
		if ((rc = kout_pack_produce(k, p)) < 0)
			return -1;
		full |= rc;
	}
	return full;
}

int kout_pack_flush(struct kout *k)
{
	struct kout_packer *pk = &k->packer;
	while (pk->nopen + pk->nwaiting) {
		struct kout_pack *p = kout_pack_oldest(pk, KOUT_PACK_WAITING);
		if (!p)
			p = kout_pack_oldest(pk, KOUT_PACK_OPEN);
		int rc = kout_pack_produce(k, p);
		if (rc)
			break;
	}
	if (!(pk->nopen + pk->nwaiting))
		return 0;
	/* No room: what is left waits, open packs included. */
	for (size_t i = 0; i < pk->cap; i++)
		kout_pack_wait(pk, &pk->packs[i]);
	return k->fatal ? -1 : 1;
}

bool kout_pack_waiting(const struct kout *k)
{
	return k->packer.nopen + k->packer.nwaiting > 0;
}

void kout_packer_free(struct kout_packer *pk)
{
	for (size_t i = 0; i < pk->cap; i++) {
		buf_free(&pk->packs[i].topic);
		buf_free(&pk->packs[i].key);
		buf_free(&pk->packs[i].hdr);
		buf_free(&pk->packs[i].value);
	}
	free(pk->packs);
	memset(pk, 0, sizeof(*pk));
}

/* Metrics held in packs not produced yet (for the exit summary). */
uint64_t kout_pack_metrics(const struct kout *k)
{
	uint64_t n = 0;
	for (size_t i = 0; i < k->packer.cap; i++)
		if (k->packer.packs[i].state != KOUT_PACK_FREE)
			n += k->packer.packs[i].nlines;
	return n;
}
