/*
 * kc_offsets.c: which offsets may be committed.
 *
 * Under execd, "delivered" can only mean "in the pipe": Telegraf never says
 * more. So a record counts as done once stdout has taken the last byte of
 * its last line. Each handled record is remembered with the stdout position
 * after its lines (telex_out_queued()); when the writer reports progress,
 * every record whose position is covered is done, and its partition's
 * committable offset moves past it. Records are handled in queue order, so
 * positions only grow: a FIFO of runs is enough, and a run of consecutive
 * records of one partition that produced no new output is one entry.
 *
 * The FIFO holds what is read but not yet written: its record count is
 * what max_undelivered_messages bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "kc.h"

void kc_offsets_init(struct kc_offsets *o)
{
	memset(o, 0, sizeof(*o));
}

void kc_offsets_free(struct kc_offsets *o)
{
	for (size_t i = 0; i < o->nparts; i++)
		free(o->parts[i].topic);
	free(o->parts);
	free(o->buckets);
	free(o->ring);
	free(o->dirty);
	memset(o, 0, sizeof(*o));
}

static uint32_t kc_offsets_hash(const char *topic, int32_t partition)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
		h = (h ^ *p) * 16777619u;
	return (h ^ (uint32_t)partition) * 16777619u;
}

int64_t kc_offsets_find(const struct kc_offsets *o, const char *topic,
			int32_t partition)
{
	if (!o->nbuckets)
		return -1;
	uint32_t h = kc_offsets_hash(topic, partition);
	for (uint32_t i = o->buckets[h & (o->nbuckets - 1)]; i;) {
		const struct kc_part *p = &o->parts[i - 1];
		if (p->partition == partition && strcmp(p->topic, topic) == 0)
			return (int64_t)i - 1;
		i = p->next;
	}
	return -1;
}

static int kc_offsets_rehash(struct kc_offsets *o, size_t nbuckets)
{
	uint32_t *b = calloc(nbuckets, sizeof(*b));
	if (!b)
		return -1;
	free(o->buckets);
	o->buckets = b;
	o->nbuckets = nbuckets;
	for (size_t i = 0; i < o->nparts; i++) {
		struct kc_part *p = &o->parts[i];
		uint32_t *head = &b[kc_offsets_hash(p->topic, p->partition) &
				    (nbuckets - 1)];
		p->next = *head;
		*head = (uint32_t)i + 1;
	}
	return 0;
}

int64_t kc_offsets_get(struct kc_offsets *o, const char *topic,
		       int32_t partition)
{
	int64_t found = kc_offsets_find(o, topic, partition);
	if (found >= 0)
		return found;
	struct kc_part *np =
	    array_grow(o->parts, o->nparts, &o->parts_cap, sizeof(*np), 16);
	if (!np)
		return -1;
	o->parts = np;
	char *name = strdup(topic);
	if (!name)
		return -1;
	struct kc_part *p = &o->parts[o->nparts++];
	memset(p, 0, sizeof(*p));
	p->topic = name;
	p->partition = partition;
	p->done = -1;
	p->committed = -1;
	p->taken = -1;
	p->first = -1;
	p->reseek = -1;
	/* Keep chains short: at most one partition per bucket on average. */
	if (o->nparts > o->nbuckets) {
		if (kc_offsets_rehash(o, o->nbuckets ? o->nbuckets * 2 : 64)) {
			free(p->topic);
			o->nparts--;
			return -1;
		}
	} else {
		uint32_t *head = &o->buckets[kc_offsets_hash(topic, partition) &
					     (o->nbuckets - 1)];
		p->next = *head;
		*head = (uint32_t)o->nparts;
	}
	return (int64_t)o->nparts - 1;
}

static struct kc_pending *kc_offsets_at(struct kc_offsets *o, size_t i)
{
	return &o->ring[(o->head + i) & (o->ring_cap - 1)];
}

static int kc_offsets_grow(struct kc_offsets *o)
{
	struct kc_pending *nr = ring_grow(o->ring, o->head, o->len,
					  &o->ring_cap, sizeof(*nr), 1024);
	if (!nr)
		return -1;
	o->ring = nr;
	o->head = 0;
	return 0;
}

int kc_offsets_track(struct kc_offsets *o, uint32_t part, int64_t next_offset,
		     uint64_t pos)
{
	if (o->len) {
		struct kc_pending *last = kc_offsets_at(o, o->len - 1);
		if (last->part == part && last->pos == pos &&
		    last->records < UINT32_MAX) {
			last->next_offset = next_offset;
			last->records++;
			o->undelivered++;
			return 0;
		}
	}
	if (o->len == o->ring_cap && kc_offsets_grow(o))
		return -1;
	*kc_offsets_at(o, o->len) = (struct kc_pending){
	    .part = part, .records = 1, .next_offset = next_offset, .pos = pos};
	o->len++;
	o->undelivered++;
	return 0;
}

static void kc_offsets_mark(struct kc_offsets *o, uint32_t part)
{
	struct kc_part *p = &o->parts[part];
	if (p->dirty)
		return;
	if (o->ndirty == o->dirty_cap) {
		size_t cap = o->dirty_cap ? o->dirty_cap * 2 : 64;
		uint32_t *nd = realloc(o->dirty, cap * sizeof(*nd));
		if (!nd)
			return; /* stays clean: stored at the next move */
		o->dirty = nd;
		o->dirty_cap = cap;
	}
	o->dirty[o->ndirty++] = part;
	p->dirty = true;
}

uint64_t kc_offsets_written(struct kc_offsets *o, uint64_t written)
{
	uint64_t done = 0;
	while (o->len) {
		struct kc_pending *e = kc_offsets_at(o, 0);
		if (e->pos > written)
			break;
		struct kc_part *p = &o->parts[e->part];
		if (p->assigned && e->next_offset > p->done) {
			p->done = e->next_offset;
			kc_offsets_mark(o, e->part);
		}
		done += e->records;
		o->undelivered -= e->records;
		o->head = (o->head + 1) & (o->ring_cap - 1);
		o->len--;
	}
	return done;
}

const uint32_t *kc_offsets_take_dirty(struct kc_offsets *o, size_t *n)
{
	*n = o->ndirty;
	for (size_t i = 0; i < o->ndirty; i++)
		o->parts[o->dirty[i]].dirty = false;
	o->ndirty = 0;
	return o->dirty;
}

/* Drop the pending runs of one partition, keeping the order of the rest. */
static void kc_offsets_forget(struct kc_offsets *o, uint32_t part)
{
	size_t kept = 0;
	for (size_t i = 0; i < o->len; i++) {
		struct kc_pending e = *kc_offsets_at(o, i);
		if (e.part == part) {
			o->undelivered -= e.records;
			continue;
		}
		*kc_offsets_at(o, kept++) = e;
	}
	o->len = kept;
}

void kc_offsets_forget_all(struct kc_offsets *o)
{
	o->len = 0;
	o->head = 0;
	o->undelivered = 0;
}

void kc_offsets_assign(struct kc_offsets *o, uint32_t part)
{
	struct kc_part *p = &o->parts[part];
	kc_offsets_forget(o, part);
	p->assigned = true;
	p->done = -1;
	p->committed = -1;
	p->taken = -1;
	p->first = -1;
	p->may_go_back = false;
	p->reseek = -1;
	p->records = 0;
}

void kc_offsets_start(struct kc_offsets *o, uint32_t part, int64_t offset)
{
	struct kc_part *p = &o->parts[part];
	if (!p->assigned || p->done >= 0 || offset < 0)
		return;
	p->done = offset;
	kc_offsets_mark(o, part);
}

void kc_offsets_revoke(struct kc_offsets *o, uint32_t part)
{
	kc_offsets_forget(o, part);
	o->parts[part].assigned = false;
}
