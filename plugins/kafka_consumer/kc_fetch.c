/*
 * kc_fetch.c: taking records from librdkafka on the shim's loop, and flow
 * control.
 *
 * librdkafka writes a byte to a pipe whenever the consumer queue (records,
 * rebalances, consumer errors) turns non-empty; the loop watches the pipe.
 * A pass then
 *  1. takes everything in librdkafka's queue (rd_kafka_consumer_poll(rk, 0)
 *     until empty; callbacks run here) into the prefetch FIFO, pausing the
 *     assigned partitions when the FIFO passes its high-water mark;
 *  2. handles records from the FIFO while stdout keeps up: not more than
 *     max_undelivered_messages records not done (in the pipe, or with
 *     delivery feedback written by Telegraf's outputs), with feedback not
 *     more than its window of metrics unconfirmed, and not while the
 *     writer is congested (4 MiB behind); with feedback, marks go out
 *     between the records (kc_feedback.c says why);
 *  3. resumes the partitions once the FIFO is down to its low-water mark
 *     and stdout is not congested.
 * A pass handles a bounded number of records and reschedules itself, so
 * stdout and the rest of the loop get their turn. While stdout is blocked
 * nothing is handled, the FIFO fills, the partitions pause: memory stays
 * bounded however long the reader sleeps, and librdkafka is still polled
 * (rebalances; it leaves the group when not polled for
 * max.poll.interval.ms) by a one-second tick.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc.h"

#define KC_PASS_BUDGET 4096
#define KC_TICK_NS 1000000000LL
/* With feedback: a mark at most this often (and this long after the
 * metrics it follows). */
#define KC_MARK_NS (10LL * 1000000LL)
/* With feedback: warn when nothing was confirmed for this long. */
#define KC_FB_WARN_NS (10LL * 1000000000LL)

/* How far stdout's records are done: the bytes the pipe took, or with
 * feedback the position Telegraf's outputs are known to have written. */
static uint64_t kc_fetch_done_pos(const struct kc *c)
{
	return c->feedback ? c->fb.confirmed_pos : telex_out_written(c->t);
}

/* Records are done once everything up to their last line is: a record
 * that wrote nothing (filtered, invalid, empty) right away, not at the
 * next write. */
void kc_fetch_settle(struct kc *c)
{
	kc_offsets_written(&c->off, kc_fetch_done_pos(c));
}

/* No more records until stdout or Telegraf's outputs catch up. Without
 * feedback: max_undelivered_messages records not yet in the pipe. With
 * feedback: the window of metrics not yet written by the outputs, and at
 * most as many records (or max_undelivered_messages, if more). */
static bool kc_fetch_blocked(const struct kc *c)
{
	if (telex_out_congested(c->t))
		return true;
	if (!c->feedback)
		return c->off.undelivered >= c->max_undelivered;
	uint64_t window = kc_fb_window(&c->fb);
	uint64_t records =
	    window > c->max_undelivered ? window : c->max_undelivered;
	return kc_fb_blocked(&c->fb, c->rec.st.metrics) ||
	       c->off.undelivered >= records;
}

static void kc_fetch_on_more(struct loop *l, void *arg)
{
	(void)l;
	struct kc *c = arg;
	c->more = false;
	c->more_timer = 0;
	kc_fetch_pass(c);
}

/* Run a pass soon, from the loop. */
static void kc_fetch_schedule(struct kc *c)
{
	if (c->more || c->stopping)
		return;
	int64_t id =
	    loop_add_timer(telex_loop(c->t), 0, 0, kc_fetch_on_more, c);
	if (id > 0) {
		c->more = true;
		c->more_timer = id;
	}
}

/*
 * Resuming alone is not enough with librdkafka 2.0: a paused partition's
 * broker thread sleeps up to a second before it notices the resume. A
 * seek to the offset after the last record taken wakes it at once and
 * changes nothing else: the partition continues exactly where it would
 * have. That offset is telex's own (kc_part.taken): librdkafka's
 * rd_kafka_position() often has none after a pause, and a partition merely
 * resumed then may start over from where it was assigned (seen as
 * thousands of duplicates in test-kc-flow). Partitions nothing was taken
 * from yet are left to the resume. librdkafka may still deliver records
 * below that offset, which kc_fetch_take() skips.
 */
static void kc_fetch_seek_positions(struct kc *c,
				    const rd_kafka_topic_partition_list_t *a)
{
	rd_kafka_topic_partition_list_t *s =
	    rd_kafka_topic_partition_list_new(a->cnt);
	for (int i = 0; i < a->cnt; i++) {
		int64_t idx = kc_offsets_find(&c->off, a->elems[i].topic,
					      a->elems[i].partition);
		if (idx < 0 || !c->off.parts[idx].assigned ||
		    c->off.parts[idx].taken < 0)
			continue;
		rd_kafka_topic_partition_list_add(s, a->elems[i].topic,
						  a->elems[i].partition)
		    ->offset = c->off.parts[idx].taken;
	}
	rd_kafka_error_t *e =
	    s->cnt ? rd_kafka_seek_partitions(c->rk, s, 0) : NULL;
	if (e) {
		log_limited(telex_log_limiter(c->t), LOG_WARN, "seek",
			    "seeking after a resume: %s",
			    rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(s);
}

static void kc_fetch_set_paused(struct kc *c, bool pause)
{
	rd_kafka_topic_partition_list_t *a = NULL;
	rd_kafka_resp_err_t err = rd_kafka_assignment(c->rk, &a);
	if (!err && a && a->cnt) {
		/* Where to go on, set while still paused: a partition that
		 * resumes without a position falls back on auto.offset.reset
		 * and starts over from the beginning, and that reset may land
		 * after a seek that follows the resume (seen in test-kc-flow
		 * under load: one partition's 14,028 records read twice). */
		if (!pause)
			kc_fetch_seek_positions(c, a);
		err = pause ? rd_kafka_pause_partitions(c->rk, a)
			    : rd_kafka_resume_partitions(c->rk, a);
		/* The same seek again wakes the broker thread at once. */
		if (!err && !pause)
			kc_fetch_seek_positions(c, a);
	}
	if (err)
		log_warn("%s partitions: %s", pause ? "pausing" : "resuming",
			 rd_kafka_err2str(err));
	if (a)
		rd_kafka_topic_partition_list_destroy(a);
	c->paused = pause;
}

/* Pause when the FIFO is full, resume when it has drained and stdout
 * takes what is handled. */
static void kc_fetch_flow(struct kc *c)
{
	if (c->stopping)
		return;
	if (!c->paused && kc_prefetch_full(&c->pre)) {
		c->pauses++;
		kc_fetch_set_paused(c, true);
	} else if (c->paused && kc_prefetch_low(&c->pre) &&
		   !telex_out_congested(c->t)) {
		kc_fetch_set_paused(c, false);
	}
}

void kc_fetch_progress(struct kc *c, uint64_t written)
{
	(void)written;
	kc_fetch_settle(c);
	kc_group_store(c);
	if (!c->stopping && c->pre.len && !kc_fetch_blocked(c))
		kc_fetch_schedule(c);
}

static void kc_fetch_on_progress(struct telex *t, void *arg, uint64_t written)
{
	(void)t;
	kc_fetch_progress(arg, written);
}

/* The record's partition in the offset table, with a one-entry cache:
 * records come in runs of one partition. */
static int64_t kc_fetch_part(struct kc *c, const rd_kafka_message_t *m)
{
	if (m->rkt == c->last_rkt && m->partition == c->last_partition &&
	    c->last_rkt)
		return c->last_part;
	const char *topic = rd_kafka_topic_name(m->rkt);
	int64_t idx = kc_offsets_get(&c->off, topic, m->partition);
	if (idx < 0)
		return -1;
	c->last_rkt = m->rkt;
	c->last_partition = m->partition;
	c->last_part = (uint32_t)idx;
	return idx;
}

static size_t kc_fetch_headers(struct kc *c, rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hdrs;
	if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return 0;
	size_t n = rd_kafka_header_cnt(hdrs);
	if (n > c->hdrs_cap) {
		struct kc_header *nh = realloc(c->hdrs, n * sizeof(*nh));
		if (!nh)
			return 0;
		c->hdrs = nh;
		c->hdrs_cap = n;
	}
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name;
		const void *value;
		size_t size;
		if (rd_kafka_header_get_all(hdrs, i, &name, &value, &size))
			break;
		c->hdrs[got++] = (struct kc_header){name, value, size};
	}
	return got;
}

static void kc_fetch_error(struct kc *c, const rd_kafka_message_t *m)
{
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		return;
	c->fetch_errors++;
	if (m->rkt) {
		/* An offset reset or a truncated log may legitimately go
		 * back: from here on, whatever comes next is new. */
		int64_t part = kc_fetch_part(c, m);
		if (part >= 0)
			c->off.parts[part].may_go_back = true;
		log_limited(telex_log_limiter(c->t), LOG_WARN, "consumer error",
			    "%s[%d]: %s", rd_kafka_topic_name(m->rkt),
			    (int)m->partition, rd_kafka_message_errstr(m));
	} else {
		log_limited(telex_log_limiter(c->t), LOG_WARN, "consumer error",
			    "consumer: %s", rd_kafka_message_errstr(m));
	}
}

static void kc_fetch_record(struct kc *c, rd_kafka_message_t *m)
{
	int64_t part = kc_fetch_part(c, m);
	struct kc_msg msg = {
	    .topic = rd_kafka_topic_name(m->rkt),
	    .partition = m->partition,
	    .offset = m->offset,
	    .payload = m->payload,
	    .len = m->len,
	    .timestamp_ms = -1,
	};
	if (c->rec.ts_source != KC_TS_METRIC) {
		rd_kafka_timestamp_type_t type;
		msg.timestamp_ms = rd_kafka_message_timestamp(m, &type);
	}
	if (kc_record_wants_headers(&c->rec)) {
		msg.nheaders = kc_fetch_headers(c, m);
		msg.headers = c->hdrs; /* after: it may have moved */
	}
	/* stdout gone: the record is not done, so it is not committed. */
	if (kc_record_process(&c->rec, &msg) < 0)
		return;
	if (part < 0 || !c->off.parts[part].assigned)
		return; /* not ours (anymore): never committed by us */
	c->off.parts[part].records++;
	if (kc_offsets_track(&c->off, (uint32_t)part, m->offset + 1,
			     telex_out_queued(c->t)) < 0)
		/* The next record of the partition covers this one. */
		log_limited(telex_log_limiter(c->t), LOG_ERROR, "out of memory",
			    "out of memory tracking offsets");
}

/*
 * Whether m was taken before in this assignment: librdkafka fetched it
 * again. After a pause its own position can lag telex's by the records
 * taken while the pause was on its way; and librdkafka 2.0 may resume a
 * partition from auto.offset.reset, the beginning, even after the seek
 * (test-kc-flow under load: whole partitions read twice). Such a record
 * is skipped and counted, and the partition is sent back to where telex
 * is, once. An offset may go back only after a consumer error event,
 * when the log now ends before `taken` (truncated or replaced: then it is
 * new data), or when telex itself rewinds (kc_fetch_rewind moves
 * `taken`).
 */
static bool kc_fetch_again(struct kc *c, struct kc_part *p,
			   const rd_kafka_message_t *m)
{
	if (p->taken < 0 || m->offset >= p->taken || p->may_go_back) {
		p->may_go_back = false;
		return false;
	}
	/* The log itself went back (truncated by an unclean leader
	 * election, or replaced): librdkafka resets to it without an event
	 * under auto.offset.reset earliest/latest, and the end it reported
	 * with this record is below where telex was. New data. */
	int64_t low, high;
	if (rd_kafka_get_watermark_offsets(c->rk, p->topic, p->partition, &low,
					   &high) ==
		RD_KAFKA_RESP_ERR_NO_ERROR &&
	    high >= 0 && high < p->taken) {
		log_warn("%s[%d]: the log ends at offset %lld, before %lld "
			 "already read: it was truncated or replaced; reading "
			 "on from %lld",
			 p->topic, (int)p->partition, (long long)high,
			 (long long)p->taken, (long long)m->offset);
		return false;
	}
	c->refetched++;
	log_limited(telex_log_limiter(c->t), LOG_INFO, "fetched again",
		    "%s[%d]: offset %lld fetched again (already read up to "
		    "%lld): skipped",
		    p->topic, (int)p->partition, (long long)m->offset,
		    (long long)p->taken);
	if (p->reseek != p->taken) {
		p->reseek = p->taken;
		rd_kafka_topic_partition_list_t *l =
		    rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(l, p->topic, p->partition)
		    ->offset = p->taken;
		rd_kafka_error_t *e = rd_kafka_seek_partitions(c->rk, l, 0);
		if (e) {
			log_limited(telex_log_limiter(c->t), LOG_WARN, "seek",
				    "%s[%d]: seeking to %lld: %s", p->topic,
				    (int)p->partition, (long long)p->taken,
				    rd_kafka_error_string(e));
			rd_kafka_error_destroy(e);
		}
		rd_kafka_topic_partition_list_destroy(l);
	}
	return true;
}

/* Everything librdkafka has queued, into the FIFO. */
static void kc_fetch_take(struct kc *c)
{
	rd_kafka_message_t *m;
	while (!c->stopping && (m = rd_kafka_consumer_poll(c->rk, 0))) {
		if (m->err) {
			kc_fetch_error(c, m);
			rd_kafka_message_destroy(m);
			continue;
		}
		int64_t part = kc_fetch_part(c, m);
		struct kc_part *p = part >= 0 && c->off.parts[part].assigned
					? &c->off.parts[part]
					: NULL;
		if (p && kc_fetch_again(c, p, m)) {
			rd_kafka_message_destroy(m);
			continue;
		}
		if (kc_prefetch_push(&c->pre, m) < 0) {
			/* Not taken: read again after a pause and resume. */
			log_limited(telex_log_limiter(c->t), LOG_ERROR,
				    "out of memory",
				    "out of memory prefetching records");
			rd_kafka_message_destroy(m);
			c->pauses++;
			kc_fetch_set_paused(c, true);
			break;
		}
		/* Where a resume continues: after the last record taken;
		 * where a re-read starts if nothing is done yet. */
		if (p) {
			if (p->first < 0)
				p->first = m->offset;
			p->taken = m->offset + 1;
		}
		/* Pausing now drops what librdkafka holds beyond this. */
		if (!c->paused && kc_prefetch_full(&c->pre)) {
			c->pauses++;
			kc_fetch_set_paused(c, true);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Delivery feedback: marks out, confirmations and drops in. */

static void kc_fetch_mark(struct kc *c)
{
	char line[96];
	uint64_t seq = c->fb.next_seq;
	int n =
	    snprintf(line, sizeof(line), "%s,instance=%s seq=%llui",
		     KC_FB_MARK_NAME, c->fb_instance, (unsigned long long)seq);
	if (telex_emit_line(c->t, line, (size_t)n) != TELEX_EMIT_QUEUED) {
		/* stdout gone (nothing is confirmed any more) or out of
		 * memory (the next mark covers these metrics). */
		log_limited(telex_log_limiter(c->t), LOG_WARN, "feedback mark",
			    "feedback: mark %llu not written (stdout closed or "
			    "out of memory)",
			    (unsigned long long)seq);
		return;
	}
	c->fb.next_seq++;
	log_debug("feedback: mark %llu after %llu metrics",
		  (unsigned long long)seq,
		  (unsigned long long)c->rec.st.metrics);
	if (kc_fb_mark_add(&c->fb, seq, telex_out_queued(c->t),
			   c->rec.st.metrics) < 0)
		log_limited(telex_log_limiter(c->t), LOG_ERROR, "out of memory",
			    "out of memory tracking a mark (the next one "
			    "covers its metrics)");
}

/* Metrics between two marks while records stream: a tenth of the window
 * (an output writes its buffer a batch at a time; the window is what can
 * wait there). */
static uint64_t kc_fetch_mark_every(const struct kc *c)
{
	uint64_t every = kc_fb_window(&c->fb) / 10;
	return every < 100 ? 100 : every;
}

static void kc_fetch_on_mark(struct loop *l, void *arg)
{
	(void)l;
	struct kc *c = arg;
	c->mark_timer = 0;
	if (!c->stopping && c->rec.st.metrics > c->fb.marked)
		kc_fetch_mark(c);
}

/* Metrics emitted since the last mark get one within KC_MARK_NS: soon
 * enough to be confirmed quickly, seldom enough to cost Telegraf
 * nothing (at most 100 lines a second). */
static void kc_fetch_mark_soon(struct kc *c)
{
	if (c->mark_timer || c->stopping || c->rec.st.metrics <= c->fb.marked)
		return;
	int64_t id = loop_add_timer(telex_loop(c->t), KC_MARK_NS, 0,
				    kc_fetch_on_mark, c);
	if (id > 0)
		c->mark_timer = id;
	else
		kc_fetch_mark(c);
}

/*
 * Telegraf's output dropped metrics (its buffer was full: other inputs
 * filled it, or the output was down for long): any of telex's metrics not
 * yet confirmed may be among them. Every partition with records handled
 * and not confirmed goes back to its done offset (or to the first record
 * taken, if none is done yet): those records and the ones prefetched
 * after them are read again. Duplicates are possible (InfluxDB overwrites
 * identical points); loss is not.
 */
static void kc_fetch_rewind(struct kc *c)
{
	bool *mine = calloc(c->off.nparts ? c->off.nparts : 1, sizeof(*mine));
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(16);
	if (!mine) {
		/* Never guess: without the list, every partition. */
		log_error("out of memory choosing the partitions to re-read");
	}
	for (size_t i = 0; mine && i < c->off.len; i++)
		mine[c->off.ring[(c->off.head + i) & (c->off.ring_cap - 1)]
			 .part] = true;
	for (size_t i = 0; i < c->off.nparts; i++) {
		struct kc_part *p = &c->off.parts[i];
		if (!p->assigned || p->first < 0 || (mine && !mine[i]))
			continue;
		int64_t back = p->done >= 0 ? p->done : p->first;
		rd_kafka_topic_partition_list_add(l, p->topic, p->partition)
		    ->offset = back;
		p->taken = back;
		p->may_go_back = false;
		p->reseek = -1;
	}
	free(mine);
	uint64_t handled = c->off.undelivered;
	size_t prefetched = l->cnt ? kc_prefetch_drop(&c->pre, l) : 0;
	kc_offsets_forget_all(&c->off);
	c->last_rkt = NULL;
	rd_kafka_error_t *e =
	    l->cnt ? rd_kafka_seek_partitions(c->rk, l, 0) : NULL;
	if (e) {
		log_error("re-reading after a drop: seeking: %s",
			  rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
	if (l->cnt)
		log_warn("%llu records written to Telegraf and not yet "
			 "confirmed are read again (%d partition(s), with %zu "
			 "records prefetched after them)",
			 (unsigned long long)handled, l->cnt, prefetched);
	rd_kafka_topic_partition_list_destroy(l);
	kc_fb_rewind(&c->fb, c->rec.st.metrics);
	kc_fetch_flow(c);
}

void kc_fetch_feedback(struct kc *c, size_t out, enum kc_fb_event ev)
{
	const struct kc_fb_output *o = &c->fb.out[out];
	switch (ev) {
	case KC_FB_DROPPED:
		log_limited(telex_log_limiter(c->t), LOG_WARN, "output dropped",
			    "Telegraf's output \"%s\" dropped metrics (its "
			    "buffer of %lld was full; %llu dropped since "
			    "start)",
			    o->name, (long long)o->limit,
			    (unsigned long long)c->fb.dropped_seen);
		if (!c->stopping)
			kc_fetch_rewind(c);
		break;
	case KC_FB_AMBIGUOUS:
		log_limited(telex_log_limiter(c->t), LOG_ERROR,
			    "ambiguous output",
			    "feedback: two outputs answer to \"%s\" (same "
			    "name, no alias): give each an alias; nothing "
			    "is confirmed meanwhile",
			    o->name);
		break;
	case KC_FB_CONFIRMED:
	case KC_FB_NONE:
		kc_fetch_settle(c);
		kc_group_store(c);
		if (!c->stopping && c->pre.len && !kc_fetch_blocked(c))
			kc_fetch_schedule(c);
		break;
	case KC_FB_STALE:
		break;
	}
}

/* Once a second: say so when records wait for confirmations that do not
 * come (the socket_writer missing, the output down), without guessing:
 * nothing is committed meanwhile. */
static void kc_fetch_watch_feedback(struct kc *c)
{
	bool waiting = c->rec.st.metrics > c->fb.confirmed || c->off.len ||
		       (c->pre.len && kc_fetch_blocked(c));
	int64_t now = telex_monotonic_ns();
	if (!waiting || c->fb.confirmed != c->fb_waiting_at) {
		c->fb_waiting_ns = waiting ? now : 0;
		c->fb_waiting_at = c->fb.confirmed;
		return;
	}
	if (!c->fb_waiting_ns) {
		c->fb_waiting_ns = now;
		return;
	}
	if (now - c->fb_waiting_ns < KC_FB_WARN_NS)
		return;
	char why[512];
	kc_fbsock_diagnose(c->fbsock, why, sizeof(why));
	log_limited(telex_log_limiter(c->t), LOG_WARN, "no confirmation",
		    "no delivery confirmed for %lld s: %llu metrics of %llu "
		    "records wait (records are read on once they are): %s",
		    (long long)((now - c->fb_waiting_ns) / 1000000000LL),
		    (unsigned long long)(c->rec.st.metrics - c->fb.confirmed),
		    (unsigned long long)c->off.undelivered, why);
}

void kc_fetch_pass(struct kc *c)
{
	unsigned handled = 0;
	if (c->stopping)
		return;
	kc_fetch_take(c);
	while (handled < KC_PASS_BUDGET && c->pre.len && !c->stopping) {
		if (kc_fetch_blocked(c)) {
			/* The progress callback may free room right away;
			 * otherwise it (or, with feedback, a confirmation)
			 * schedules the next pass. */
			telex_out_flush(c->t);
			kc_fetch_settle(c);
			if (kc_fetch_blocked(c))
				break;
		}
		rd_kafka_message_t *m = kc_prefetch_pop(&c->pre);
		kc_fetch_record(c, m);
		rd_kafka_message_destroy(m);
		handled++;
		/* Marks inside a burst, so that the outputs' first batches
		 * are confirmed while the rest wait in their buffers. */
		if (c->feedback &&
		    c->rec.st.metrics - c->fb.marked >= kc_fetch_mark_every(c))
			kc_fetch_mark(c);
		/* Resume as soon as the FIFO is down to its low-water mark,
		 * not at the end of the pass: the budget is a good part of
		 * the FIFO, which would run dry before the refill comes. */
		if (c->paused && kc_prefetch_low(&c->pre))
			kc_fetch_flow(c);
	}
	kc_fetch_flow(c);
	kc_fetch_settle(c);
	kc_group_store(c);
	if (c->feedback)
		kc_fetch_mark_soon(c);
	if (handled == KC_PASS_BUDGET && c->pre.len)
		kc_fetch_schedule(c);
}

void kc_fetch_revoked(struct kc *c,
		      const rd_kafka_topic_partition_list_t *parts)
{
	kc_prefetch_drop(&c->pre, parts);
	c->last_rkt = NULL;
}

static void kc_fetch_on_queue(struct loop *l, int fd, unsigned events,
			      void *arg)
{
	(void)l;
	(void)events;
	char junk[64];
	while (read(fd, junk, sizeof(junk)) > 0)
		;
	kc_fetch_pass(arg);
}

/* Once a second, whatever happens: a consumer whose stdout is blocked has
 * nothing waking it, but must still poll librdkafka. */
static void kc_fetch_on_tick(struct loop *l, void *arg)
{
	(void)l;
	struct kc *c = arg;
	kc_fetch_pass(c);
	if (c->feedback && !c->stopping)
		kc_fetch_watch_feedback(c);
}

int kc_fetch_start(struct kc *c, char *err, size_t errlen)
{
	struct loop *l = telex_loop(c->t);
	if (pipe2(c->qpipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		c->qpipe[0] = c->qpipe[1] = -1;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (kc_prefetch_limits(&c->pre, rd_kafka_conf(c->rk)) < 0) {
		snprintf(err, errlen, "reading librdkafka's queued.* limits");
		return -1;
	}
	c->queue = rd_kafka_queue_get_consumer(c->rk);
	if (!c->queue) {
		snprintf(err, errlen, "librdkafka has no consumer queue");
		return -1;
	}
	rd_kafka_queue_io_event_enable(c->queue, c->qpipe[1], "1", 1);
	if (loop_add_fd(l, c->qpipe[0], LOOP_READ, kc_fetch_on_queue, c) < 0) {
		snprintf(err, errlen, "watching the consumer queue failed");
		return -1;
	}
	c->tick_timer =
	    loop_add_timer(l, KC_TICK_NS, KC_TICK_NS, kc_fetch_on_tick, c);
	telex_on_out_progress(c->t, kc_fetch_on_progress, c);
	rd_kafka_topic_partition_list_t *sub = kc_config_subscription(c->cfg);
	if (!sub) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (e) {
		snprintf(err, errlen, "subscribing: %s", rd_kafka_err2str(e));
		return -1;
	}
	kc_fetch_schedule(c);
	return 0;
}

void kc_fetch_stop(struct kc *c)
{
	struct loop *l = telex_loop(c->t);
	if (c->stopping)
		return;
	if (c->queue)
		kc_fetch_set_paused(c, true);
	c->stopping = true;
	c->stop_ns = telex_monotonic_ns();
	/* Records not handled are not committed: read again next time. */
	kc_prefetch_drop(&c->pre, NULL);
	if (c->more)
		loop_cancel_timer(l, c->more_timer);
	if (c->mark_timer)
		loop_cancel_timer(l, c->mark_timer);
	c->mark_timer = 0;
	if (c->tick_timer > 0)
		loop_cancel_timer(l, c->tick_timer);
	c->more = false;
	c->tick_timer = 0;
	if (c->qpipe[0] >= 0)
		loop_del_fd(l, c->qpipe[0]);
}
