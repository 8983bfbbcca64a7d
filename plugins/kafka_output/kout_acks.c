/*
 * kout_acks.c: the ledger of delivery (kout.h), and tickets.
 *
 * Delivery reports come back out of order (64 partitions, retries), but
 * the spool gives space back in order. Tracking every line would cost
 * memory per line; a chunk of up to KOUT_CHUNK_LINES consecutive lines
 * counts how many of them are still pending, and the spool may drop
 * everything before the oldest chunk not done. Chunks live in a ring
 * that grows only while an old line waits (one slow partition), which
 * the spool's own limit bounds: past spool_max_bytes nothing is read.
 *
 * Records of several lines (packs) get a ticket from blocks kept on a
 * free list: no allocation per record once the number of records in
 * flight has peaked. A record of one line gets none (kout_token).
 */
#include <stdlib.h>
#include <string.h>

#include "kout.h"

#define KOUT_TICKETS_PER_BLOCK 1024

struct kout_ticket {
	uint64_t seq; /* production order */
	struct kout_lines lines;
	struct kout_ticket *next_free;
};

struct kout_ticket_block {
	struct kout_ticket_block *next;
	struct kout_ticket t[KOUT_TICKETS_PER_BLOCK];
};

static struct kout_chunk *kout_chunk_at(struct kout_ledger *l, uint64_t chunk)
{
	return &l->ring[(l->head + (size_t)(chunk - l->head_chunk)) &
			(l->cap - 1)];
}

static int kout_ledger_grow(struct kout_ledger *l)
{
	struct kout_chunk *ring =
	    ring_grow(l->ring, l->head, l->n, &l->cap, sizeof(*ring), 64);
	if (!ring)
		return -1;
	l->ring = ring;
	l->head = 0;
	return 0;
}

int kout_ledger_take(struct kout_ledger *l, const struct kout_spool_pos *pos,
		     uint64_t *chunk)
{
	struct kout_chunk *c =
	    l->n ? kout_chunk_at(l, l->head_chunk + l->n - 1) : NULL;
	if (!c || !l->open || c->lines >= KOUT_CHUNK_LINES ||
	    c->start.seg != pos->seg) {
		if (l->n == l->cap && kout_ledger_grow(l) < 0)
			return -1;
		if (!l->n)
			l->head_chunk = l->head_chunk ? l->head_chunk : 1;
		l->n++;
		c = kout_chunk_at(l, l->head_chunk + l->n - 1);
		*c = (struct kout_chunk){.start = *pos};
		l->open = true;
	}
	c->lines++;
	c->pending++;
	l->pending++;
	*chunk = l->head_chunk + l->n - 1;
	return 0;
}

void kout_ledger_untake(struct kout_ledger *l, uint64_t chunk)
{
	struct kout_chunk *c = kout_chunk_at(l, chunk);
	c->lines--;
	c->pending--;
	l->pending--;
	/* A chunk opened for this line alone goes again, so that its
	 * start is the position of the next line it gets. */
	if (!c->lines && chunk == l->head_chunk + l->n - 1)
		l->n--;
}

void kout_ledger_done(struct kout_ledger *l, uint64_t chunk, uint32_t lines)
{
	if (chunk < l->head_chunk || chunk >= l->head_chunk + l->n)
		return; /* a chunk of before a restart of the ledger */
	kout_chunk_at(l, chunk)->pending -= lines;
	l->pending -= lines;
}

void kout_ledger_ack_pos(struct kout_ledger *l,
			 const struct kout_spool_pos *reader,
			 struct kout_spool_pos *ack)
{
	/* A chunk with nothing pending has no ticket pointing at it. */
	while (l->n && !kout_chunk_at(l, l->head_chunk)->pending) {
		l->head = (l->head + 1) & (l->cap - 1);
		l->head_chunk++;
		l->n--;
	}
	if (l->n) {
		*ack = kout_chunk_at(l, l->head_chunk)->start;
	} else {
		/* All done: later lines open a new chunk. */
		l->open = false;
		*ack = *reader;
	}
}

void kout_ledger_free(struct kout_ledger *l)
{
	free(l->ring);
	while (l->blocks) {
		struct kout_ticket_block *b = l->blocks;
		l->blocks = b->next;
		for (size_t i = 0; i < KOUT_TICKETS_PER_BLOCK; i++)
			if (b->t[i].lines.runs_cap)
				free(b->t[i].lines.runs);
		free(b);
	}
	memset(l, 0, sizeof(*l));
}

/* ------------------------------------------------------------------ */
/* Lines and tickets. */

int kout_lines_add(struct kout_lines *lines, uint64_t chunk)
{
	lines->n++;
	struct kout_run *last = lines->nruns == 1 ? &lines->one
				: lines->nruns > 1
				    ? &lines->runs[lines->nruns - 1]
				    : NULL;
	if (last && last->chunk == chunk) {
		last->lines++;
		return 0;
	}
	if (lines->nruns == 0) {
		lines->one = (struct kout_run){chunk, 1};
		lines->nruns = 1;
		return 0;
	}
	if (lines->nruns == 1 || lines->nruns == lines->runs_cap) {
		uint32_t cap = lines->runs_cap ? lines->runs_cap * 2 : 8;
		struct kout_run *v = realloc(
		    lines->nruns == 1 ? NULL : lines->runs, cap * sizeof(*v));
		if (!v) {
			lines->n--;
			return -1;
		}
		if (lines->nruns == 1)
			v[0] = lines->one;
		lines->runs = v;
		lines->runs_cap = cap;
	}
	lines->runs[lines->nruns++] = (struct kout_run){chunk, 1};
	return 0;
}

void kout_lines_free(struct kout_lines *lines)
{
	if (lines->runs_cap)
		free(lines->runs);
	memset(lines, 0, sizeof(*lines));
}

/* Inline tokens: bit 0 set; bits 1-23 the chunk relative to the ledger's
 * oldest when it was made (it only gets closer); bit 24 set when there
 * is a chunk (spool mode); bits 25-63 the production number, whose full
 * value is the nearest below next_seq (the records alive at once are far
 * fewer than 2^38). */
#define KOUT_TOK_CHUNK_BITS 23
#define KOUT_TOK_CHUNK_MASK ((UINT64_C(1) << KOUT_TOK_CHUNK_BITS) - 1)
#define KOUT_TOK_HAS_CHUNK (UINT64_C(1) << 24)
#define KOUT_TOK_SEQ_SHIFT 25
#define KOUT_TOK_SEQ_MASK ((UINT64_C(1) << (64 - KOUT_TOK_SEQ_SHIFT)) - 1)

static bool kout_token_inline(kout_token tok)
{
	return tok & 1;
}

static uint64_t kout_token_chunk(const struct kout_ledger *l, kout_token tok)
{
	uint64_t c = (tok >> 1) & KOUT_TOK_CHUNK_MASK;
	return l->head_chunk + ((c - l->head_chunk) & KOUT_TOK_CHUNK_MASK);
}

static struct kout_ticket *kout_ticket_get(struct kout_ledger *l)
{
	if (!l->free_tickets) {
		struct kout_ticket_block *b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		b->next = l->blocks;
		l->blocks = b;
		for (size_t i = KOUT_TICKETS_PER_BLOCK; i-- > 0;) {
			b->t[i].next_free = l->free_tickets;
			l->free_tickets = &b->t[i];
		}
	}
	struct kout_ticket *t = l->free_tickets;
	l->free_tickets = t->next_free;
	return t;
}

kout_token kout_token_new(struct kout_ledger *l, struct kout_lines *lines)
{
	uint64_t seq = l->next_seq++;
	if (lines->n == 1 &&
	    (lines->nruns == 0 ||
	     (lines->nruns == 1 &&
	      lines->one.chunk - l->head_chunk < (KOUT_TOK_CHUNK_MASK >> 1)))) {
		kout_token tok = 1 | (kout_token)(seq & KOUT_TOK_SEQ_MASK)
					 << KOUT_TOK_SEQ_SHIFT;
		if (lines->nruns)
			tok |= KOUT_TOK_HAS_CHUNK |
			       (lines->one.chunk & KOUT_TOK_CHUNK_MASK) << 1;
		memset(lines, 0, sizeof(*lines));
		return tok;
	}
	struct kout_ticket *t = kout_ticket_get(l);
	if (!t)
		return 0;
	t->seq = seq;
	t->lines = *lines;
	memset(lines, 0, sizeof(*lines));
	return (kout_token)t;
}

static void kout_ticket_put(struct kout_ledger *l, struct kout_ticket *t)
{
	memset(&t->lines, 0, sizeof(t->lines));
	t->next_free = l->free_tickets;
	l->free_tickets = t;
}

void kout_token_undo(struct kout_ledger *l, kout_token tok,
		     struct kout_lines *lines)
{
	if (kout_token_inline(tok)) {
		*lines = (struct kout_lines){.n = 1};
		if (tok & KOUT_TOK_HAS_CHUNK) {
			lines->nruns = 1;
			lines->one =
			    (struct kout_run){kout_token_chunk(l, tok), 1};
		}
		return;
	}
	struct kout_ticket *t = (struct kout_ticket *)tok;
	*lines = t->lines;
	kout_ticket_put(l, t);
}

static void kout_lines_done(struct kout_ledger *l, struct kout_lines *lines)
{
	if (lines->nruns == 1)
		kout_ledger_done(l, lines->one.chunk, lines->one.lines);
	for (uint32_t i = 0; lines->nruns > 1 && i < lines->nruns; i++)
		kout_ledger_done(l, lines->runs[i].chunk, lines->runs[i].lines);
}

void kout_token_settle(struct kout_ledger *l, kout_token tok)
{
	if (kout_token_inline(tok)) {
		if (tok & KOUT_TOK_HAS_CHUNK)
			kout_ledger_done(l, kout_token_chunk(l, tok), 1);
		return;
	}
	struct kout_ticket *t = (struct kout_ticket *)tok;
	kout_lines_done(l, &t->lines);
	kout_lines_free(&t->lines);
	kout_ticket_put(l, t);
}

void kout_token_drop(struct kout_ledger *l, kout_token tok)
{
	if (kout_token_inline(tok))
		return;
	struct kout_ticket *t = (struct kout_ticket *)tok;
	kout_lines_free(&t->lines);
	kout_ticket_put(l, t);
}

uint32_t kout_token_metrics(kout_token tok)
{
	return kout_token_inline(tok) ? 1
				      : ((struct kout_ticket *)tok)->lines.n;
}

uint64_t kout_token_seq(const struct kout_ledger *l, kout_token tok)
{
	if (!kout_token_inline(tok))
		return ((struct kout_ticket *)tok)->seq;
	uint64_t s = (tok >> KOUT_TOK_SEQ_SHIFT) & KOUT_TOK_SEQ_MASK;
	return l->next_seq - ((l->next_seq - s) & KOUT_TOK_SEQ_MASK);
}
