/*
 * kc_feedback.c: which of the emitted metrics Telegraf's outputs have
 * written, from what stock Telegraf publishes (README.md, "Delivery
 * feedback").
 *
 * Telegraf never tells an execd input what happened to its metrics, but
 * inputs.internal publishes, per output, cumulative counters:
 * metrics_added (into the output's buffer), metrics_written and
 * metrics_dropped (the two ways out of it). An output's buffer is a FIFO:
 * once written + dropped reaches the value added had at some moment,
 * every metric added before that moment is out of the buffer. What telex
 * needs is such a moment that comes after its own metrics were added.
 *
 * Marks give it. Now and then telex writes a mark line (telex_mark) after
 * its metrics; Telegraf's outputs receive metrics in the order its inputs
 * produced them, so once the mark has reached the feedback output (an
 * outputs.socket_writer that sends it back to telex), every metric before
 * it has been added to every output. A sample of the counters taken after
 * the mark came back (its timestamp is taken before the counters are
 * read) bounds their positions: bound = metrics_added of that sample. When
 * a later sample shows written + dropped >= bound for every tracked
 * output, everything before the mark has left the buffers. If nothing was
 * dropped meanwhile, it was written: the mark's stdout position is
 * confirmed, and with it the records before it.
 *
 * Other inputs writing to the same output only make the bound larger
 * (later confirmation, never a wrong one); metrics a processor or filter
 * drops never reach the buffer and change nothing. A drop (metrics_dropped
 * grew) may have hit telex's metrics: the caller re-reads everything not
 * yet confirmed, and new metrics wait until the buffer has let out what it
 * held when the drop was seen.
 *
 * Pure accounting, no I/O: kc_fbsock.c feeds it, kc_fetch.c asks it.
 */
#include <stdlib.h>
#include <string.h>

#include "kc.h"

void kc_fb_init(struct kc_fb *f, char *const *outputs, size_t n,
		uint64_t window)
{
	memset(f, 0, sizeof(*f));
	if (n > KC_FB_MAX_OUTPUTS)
		n = KC_FB_MAX_OUTPUTS;
	for (size_t i = 0; i < n; i++)
		f->out[i].name = outputs[i];
	f->nout = n;
	f->window = window;
	f->next_seq = 1;
}

void kc_fb_free(struct kc_fb *f)
{
	free(f->marks);
	f->marks = NULL;
	f->mcap = f->mlen = f->mhead = 0;
}

static struct kc_fb_mark *kc_fb_at(struct kc_fb *f, size_t i)
{
	return &f->marks[(f->mhead + i) & (f->mcap - 1)];
}

int kc_fb_mark_add(struct kc_fb *f, uint64_t seq, uint64_t pos,
		   uint64_t emitted)
{
	if (f->mlen == f->mcap) {
		struct kc_fb_mark *nm = ring_grow(f->marks, f->mhead, f->mlen,
						  &f->mcap, sizeof(*nm), 64);
		if (!nm)
			return -1;
		f->marks = nm;
		f->mhead = 0;
	}
	struct kc_fb_mark *m = kc_fb_at(f, f->mlen++);
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->pos = pos;
	m->emitted = emitted;
	for (size_t i = 0; i < KC_FB_MAX_OUTPUTS; i++)
		m->bound[i] = -1;
	f->marked = emitted;
	f->marks_sent++;
	return 0;
}

void kc_fb_mark_back(struct kc_fb *f, uint64_t seq, int64_t now_ns)
{
	/* Marks come back in order: one that is back vouches for those
	 * before it (lost on the way back, say), with its own time. */
	for (size_t i = 0; i < f->mlen; i++) {
		struct kc_fb_mark *m = kc_fb_at(f, i);
		if (m->seq > seq)
			break;
		if (!m->back_ns) {
			m->back_ns = now_ns;
			f->marks_back++;
		}
	}
}

/* How far a sample's timestamp may lie after the moment it stands for:
 * Telegraf rounds an input's timestamps to its precision (a second for an
 * interval of a second or more, unless `precision` says otherwise). The
 * digits tell: a time that is a whole number of 10^k ns may have been
 * rounded to that, by up to half of it. */
int64_t kc_fb_rounding(int64_t ts)
{
	int64_t p = 1;
	while (p < 1000000000 && ts % (p * 10) == 0)
		p *= 10;
	return p / 2;
}

static bool kc_fb_out_clear(const struct kc_fb_output *o, int64_t bound)
{
	return o->seen && o->written + o->dropped >= bound;
}

/* Confirm the marks whose metrics have left every tracked buffer. */
static bool kc_fb_confirm(struct kc_fb *f)
{
	bool moved = false;
	while (f->mlen) {
		struct kc_fb_mark *m = kc_fb_at(f, 0);
		for (size_t i = 0; i < f->nout; i++)
			if (m->bound[i] < 0 ||
			    !kc_fb_out_clear(&f->out[i], m->bound[i]))
				return moved;
		f->confirmed_pos = m->pos;
		f->confirmed = m->emitted;
		f->mhead = (f->mhead + 1) & (f->mcap - 1);
		f->mlen--;
		moved = true;
	}
	return moved;
}

static void kc_fb_barrier_check(struct kc_fb *f)
{
	for (size_t i = 0; i < f->nout; i++)
		if (!kc_fb_out_clear(&f->out[i], f->barrier[i]))
			return;
	f->barrier_on = false;
}

enum kc_fb_event kc_fb_sample(struct kc_fb *f, size_t out,
			      const struct kc_fb_sample *s, uint64_t emitted)
{
	struct kc_fb_output *o = &f->out[out];
	if (o->seen && s->ts < o->ts)
		return KC_FB_STALE; /* an older sample, late: nothing new */
	/* One output's counters never go back while Telegraf runs (and
	 * telex runs no longer than Telegraf): counters that do belong to
	 * another output of the same name (same plugin, no alias). Two
	 * gathers within one millisecond (Telegraf's precision) share a
	 * time, with counters that went on: that is just the next sample. */
	if (o->seen && (s->added < o->added || s->written < o->written ||
			s->dropped < o->dropped)) {
		f->ambiguous = true;
		return KC_FB_AMBIGUOUS;
	}
	if (o->seen && s->ts == o->ts && s->added == o->added &&
	    s->written == o->written && s->dropped == o->dropped)
		return KC_FB_STALE; /* the same sample again */
	bool dropped = o->seen && s->dropped > o->dropped;
	uint64_t lost = dropped ? (uint64_t)(s->dropped - o->dropped) : 0;
	o->seen = true;
	o->ts = s->ts;
	o->added = s->added;
	o->written = s->written;
	o->dropped = s->dropped;
	o->size = s->size;
	o->limit = s->limit;
	o->emitted_at = emitted;
	f->samples++;
	if (f->ambiguous)
		return KC_FB_AMBIGUOUS;
	if (dropped) {
		f->dropped_seen += lost;
		return KC_FB_DROPPED;
	}
	/* This sample's counters were read after every mark that came back
	 * before its time (less the rounding). */
	int64_t taken = s->ts - kc_fb_rounding(s->ts);
	for (size_t i = 0; i < f->mlen; i++) {
		struct kc_fb_mark *m = kc_fb_at(f, i);
		if (!m->back_ns || m->back_ns >= taken)
			break;
		if (m->bound[out] < 0)
			m->bound[out] = s->added;
	}
	if (f->barrier_on)
		kc_fb_barrier_check(f);
	return kc_fb_confirm(f) ? KC_FB_CONFIRMED : KC_FB_NONE;
}

void kc_fb_rewind(struct kc_fb *f, uint64_t emitted)
{
	f->mlen = 0;
	f->mhead = 0;
	/* What the buffers hold now must be out before anything new goes
	 * in: it may be the cause of the drop (other inputs, a dead output),
	 * and it holds telex's metrics that are read again anyway. */
	for (size_t i = 0; i < f->nout; i++)
		f->barrier[i] = f->out[i].added;
	f->barrier_on = true;
	f->confirmed = emitted;
	f->marked = emitted;
	f->rewinds++;
}

uint64_t kc_fb_window(const struct kc_fb *f)
{
	if (f->window)
		return f->window;
	/* Half of the smallest buffer: the other half for everything else
	 * that shares it (other inputs, an outage's backlog of theirs). */
	int64_t limit = 0;
	for (size_t i = 0; i < f->nout; i++) {
		/* Nothing before the first sample: its metrics_dropped is
		 * the base a drop is seen against. */
		if (!f->out[i].seen)
			return 0;
		if (!limit || f->out[i].limit < limit)
			limit = f->out[i].limit;
	}
	return limit >= 2 ? (uint64_t)limit / 2 : 1;
}

bool kc_fb_blocked(const struct kc_fb *f, uint64_t emitted)
{
	if (f->barrier_on || f->ambiguous)
		return true;
	uint64_t window = kc_fb_window(f);
	if (emitted - f->confirmed >= window)
		return true;
	/* The buffer may be shared (another consumer, other inputs): what
	 * it held at the last sample, and what went out since, stay within
	 * the window too. */
	for (size_t i = 0; i < f->nout; i++) {
		const struct kc_fb_output *o = &f->out[i];
		uint64_t held = o->size > 0 ? (uint64_t)o->size : 0;
		if (held + (emitted - o->emitted_at) >= window)
			return true;
	}
	return false;
}
