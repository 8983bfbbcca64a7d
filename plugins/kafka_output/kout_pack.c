/*
 * kout_pack.c: metrics_per_record > 1, several metrics in one record.
 *
 * Users of the native plugin asked for it (Telegraf issues 4161, 4517):
 * one record per metric makes records of ~200 bytes, and Kafka's cost is
 * per record. The native consumer parses a record as many lines, so a
 * packed record is read back as the same metrics.
 *
 * Lines whose records would get the same topic, key and headers join one
 * open pack (found through a hash table of open packs). A pack is
 * produced when it holds metrics_per_record lines or the next line would
 * take it past max_message_bytes; the others linger.ms after a batch (a
 * timer in kout_output.c, as librdkafka's own batches linger), oldest first,
 * and at end of input. A pack librdkafka's queue has no room for waits
 * (WAITING) and is produced first when there is room again. Lines in
 * packs were already taken from the shim: this is the one place where
 * telex holds records itself, bounded by the open packs (at most
 * KOUT_PACKS_OPEN_MAX) and by linger.ms.
 */
#include <stdlib.h>
#include <string.h>

#include "kout.h"

/* A pack grown this large is given back when it is done. */
#define KOUT_PACK_KEEP ((size_t)64 << 10)

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

static void kout_packer_ready(struct kout_packer *pk)
{
	if (pk->ready)
		return;
	for (size_t i = 0; i < KOUT_PACK_BUCKETS; i++)
		pk->buckets[i] = -1;
	pk->oldest = pk->newest = pk->free_list = -1;
	pk->ready = true;
}

static int32_t *kout_bucket(struct kout_packer *pk, uint32_t hash)
{
	return &pk->buckets[hash & (KOUT_PACK_BUCKETS - 1)];
}

/* Take an OPEN pack out of its hash bucket. */
static void kout_unbucket(struct kout_packer *pk, int32_t i)
{
	int32_t *link = kout_bucket(pk, pk->packs[i].hash);
	while (*link != i)
		link = &pk->packs[*link].next;
	*link = pk->packs[i].next;
}

static void kout_pack_release(struct kout_packer *pk, int32_t i)
{
	struct kout_pack *p = &pk->packs[i];
	if (p->state == KOUT_PACK_OPEN) {
		kout_unbucket(pk, i);
		pk->nopen--;
	} else if (p->state == KOUT_PACK_WAITING) {
		pk->nwaiting--;
	}
	if (p->older >= 0)
		pk->packs[p->older].newer = p->newer;
	else
		pk->oldest = p->newer;
	if (p->newer >= 0)
		pk->packs[p->newer].older = p->older;
	else
		pk->newest = p->older;
	p->state = KOUT_PACK_FREE;
	struct buf *bufs[] = {&p->topic, &p->key, &p->hdr, &p->value};
	for (size_t b = 0; b < 4; b++) {
		if (bufs[b]->cap > KOUT_PACK_KEEP)
			buf_free(bufs[b]);
		else
			buf_clear(bufs[b]);
	}
	kout_lines_free(&p->lines);
	p->next = pk->free_list;
	pk->free_list = i;
}

static void kout_pack_wait(struct kout_packer *pk, int32_t i)
{
	if (pk->packs[i].state != KOUT_PACK_OPEN)
		return;
	kout_unbucket(pk, i);
	pk->nopen--;
	pk->nwaiting++;
	pk->packs[i].state = KOUT_PACK_WAITING;
}

/* Produce pack i: KOUT_OK, it is free again; KOUT_QUEUE_FULL, it waits. */
static enum kout_result kout_pack_produce(struct kout *k, int32_t i)
{
	struct kout_pack *p = &k->packer.packs[i];
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
	enum kout_result r = kout_produce(k, &rec, &p->lines);
	if (r == KOUT_OK)
		kout_pack_release(&k->packer, i);
	else if (r == KOUT_QUEUE_FULL)
		kout_pack_wait(&k->packer, i);
	return r;
}

static int32_t kout_pack_new(struct kout *k, const struct kout_record *rec,
			     uint32_t hash)
{
	struct kout_packer *pk = &k->packer;
	if (pk->free_list < 0) {
		int32_t cap = pk->cap ? pk->cap * 2 : 16;
		struct kout_pack *packs =
		    realloc(pk->packs, (size_t)cap * sizeof(*packs));
		if (!packs)
			return -1;
		memset(packs + pk->cap, 0,
		       (size_t)(cap - pk->cap) * sizeof(*packs));
		for (int32_t j = cap - 1; j >= pk->cap; j--) {
			packs[j].next = pk->free_list;
			pk->free_list = j;
		}
		pk->packs = packs;
		pk->cap = cap;
	}
	int32_t i = pk->free_list;
	struct kout_pack *p = &pk->packs[i];
	pk->free_list = p->next;
	size_t nhdr = k->headers.n;
	size_t hl = kout_hdr_len(rec, nhdr);
	memcpy(p->hdr_ends, rec->hdr_ends, nhdr * sizeof(size_t));
	p->hdr_bytes = rec->hdr_bytes;
	p->has_key = rec->key != NULL;
	p->timestamp_ms = rec->timestamp_ms;
	p->hash = hash;
	memset(&p->lines, 0, sizeof(p->lines));
	/* In use from here on (release() undoes all of it). */
	p->state = KOUT_PACK_OPEN;
	pk->nopen++;
	int32_t *bucket = kout_bucket(pk, hash);
	p->next = *bucket;
	*bucket = i;
	p->older = pk->newest;
	p->newer = -1;
	if (pk->newest >= 0)
		pk->packs[pk->newest].newer = i;
	else
		pk->oldest = i;
	pk->newest = i;
	if (buf_append(&p->topic, rec->topic, rec->topic_len) ||
	    (rec->key_len && buf_append(&p->key, rec->key, rec->key_len)) ||
	    (hl && buf_append(&p->hdr, rec->hdr_values, hl))) {
		kout_pack_release(pk, i);
		return -1;
	}
	return i;
}

/* The record's one line joins the pack's. */
static int kout_pack_lines_add(struct kout_pack *p, struct kout_lines *lines)
{
	if (!lines->nruns) {
		p->lines.n += lines->n;
		lines->n = 0;
		return 0;
	}
	if (kout_lines_add(&p->lines, lines->one.chunk) < 0)
		return -1;
	kout_lines_free(lines);
	return 0;
}

/* The oldest open pack (when too many are open). */
static int32_t kout_pack_oldest_open(const struct kout_packer *pk)
{
	int32_t o = pk->oldest;
	while (pk->packs[o].state != KOUT_PACK_OPEN)
		o = pk->packs[o].newer;
	return o;
}

/* Produce pack i to make room; *full once the queue was found full. */
static bool kout_pack_out(struct kout *k, int32_t i, bool *full)
{
	enum kout_result r = kout_pack_produce(k, i);
	*full |= r == KOUT_QUEUE_FULL;
	return r != KOUT_FATAL;
}

/* Append the record's line to pack i; produce it once it holds
 * metrics_per_record. */
static bool kout_pack_append(struct kout *k, int32_t i,
			     const struct kout_record *rec,
			     struct kout_lines *lines, bool *full)
{
	struct kout_pack *p = &k->packer.packs[i];
	if (buf_append(&p->value, rec->value,
		       rec->value_len - rec->newline_missing) ||
	    (rec->newline_missing && buf_putc(&p->value, '\n')) ||
	    kout_pack_lines_add(p, lines) < 0)
		return false;
	if ((int64_t)p->lines.n < k->cfg->metrics_per_record)
		return true;
	return kout_pack_out(k, i, full);
}

enum kout_take kout_pack_line(struct kout *k, const struct kout_record *rec,
			      struct kout_lines *lines)
{
	struct kout_packer *pk = &k->packer;
	kout_packer_ready(pk);
	size_t nhdr = k->headers.n;
	size_t fixed = rec->key_len + rec->hdr_bytes;
	int64_t max = k->cfg->max_message_bytes;
	/* Alone too large: kout_produce refuses and counts it. */
	if ((int64_t)(rec->value_len + fixed) > max)
		return kout_produce(k, rec, lines) == KOUT_FATAL
			   ? KOUT_TAKE_FATAL
			   : KOUT_TAKEN;
	uint32_t hash = kout_pack_hash(rec, nhdr);
	int32_t i = *kout_bucket(pk, hash);
	while (i >= 0 && !kout_pack_matches(&pk->packs[i], rec, hash, nhdr))
		i = pk->packs[i].next;
	bool full = false, ok = true;
	if (i >= 0 &&
	    (int64_t)(pk->packs[i].value.len + rec->value_len + fixed) > max) {
		ok = kout_pack_out(k, i, &full);
		i = -1;
	}
	if (ok && i < 0 && pk->nopen >= KOUT_PACKS_OPEN_MAX)
		ok = kout_pack_out(k, kout_pack_oldest_open(pk), &full);
	if (ok && i < 0)
		ok = (i = kout_pack_new(k, rec, hash)) >= 0;
	if (!ok || !kout_pack_append(k, i, rec, lines, &full))
		return KOUT_TAKE_FATAL;
	return full ? KOUT_TAKEN_FULL : KOUT_TAKEN;
}

enum kout_result kout_pack_flush(struct kout *k)
{
	struct kout_packer *pk = &k->packer;
	kout_packer_ready(pk);
	enum kout_result r = KOUT_OK;
	while (pk->oldest >= 0 &&
	       (r = kout_pack_produce(k, pk->oldest)) == KOUT_OK)
		;
	if (pk->oldest < 0)
		return KOUT_OK;
	/* No room: what is left waits, open packs included. */
	for (int32_t i = pk->oldest; i >= 0; i = pk->packs[i].newer)
		kout_pack_wait(pk, i);
	return r == KOUT_FATAL || k->fatal ? KOUT_FATAL : KOUT_QUEUE_FULL;
}

bool kout_pack_waiting(const struct kout *k)
{
	return k->packer.nopen + k->packer.nwaiting > 0;
}

/* Metrics held in packs not produced yet (for the exit summary). */
uint64_t kout_pack_metrics(const struct kout *k)
{
	uint64_t n = 0;
	const struct kout_packer *pk = &k->packer;
	if (!pk->ready)
		return 0;
	for (int32_t i = pk->oldest; i >= 0; i = pk->packs[i].newer)
		n += pk->packs[i].lines.n;
	return n;
}

void kout_packer_free(struct kout_packer *pk)
{
	for (int32_t i = 0; i < pk->cap; i++) {
		buf_free(&pk->packs[i].topic);
		buf_free(&pk->packs[i].key);
		buf_free(&pk->packs[i].hdr);
		buf_free(&pk->packs[i].value);
		kout_lines_free(&pk->packs[i].lines);
	}
	free(pk->packs);
	memset(pk, 0, sizeof(*pk));
}
