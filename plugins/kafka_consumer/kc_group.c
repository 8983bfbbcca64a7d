/*
 * kc_group.c: the consumer group side: rebalances, the offset store,
 * commits, and leaving the group within Telegraf's 5 seconds.
 *
 * Offsets reach Kafka three ways, always the offset after the last record
 * whose lines were written to stdout (kc_offsets.c):
 *  - stored with rd_kafka_offsets_store() as stdout takes the lines, and
 *    committed by librdkafka's auto-commit (auto.commit.interval.ms);
 *  - committed explicitly, and waited for, when partitions are revoked,
 *    before they are given up (their next owner starts there);
 *  - committed explicitly at exit, before leaving the group.
 * Records whose lines were still queued are not committed: their next
 * reader gets them again (at-least-once; never lost).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

#define KC_REVOKE_COMMIT_NS (3LL * 1000000000LL)
#define KC_CLOSE_COMMIT_NS (2LL * 1000000000LL)

void kc_group_store(struct kc *c)
{
	size_t n;
	const uint32_t *dirty = kc_offsets_take_dirty(&c->off, &n);
	if (!n || !c->rk)
		return;
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new((int)n);
	for (size_t i = 0; i < n; i++) {
		const struct kc_part *p = &c->off.parts[dirty[i]];
		if (p->assigned && p->done >= 0)
			rd_kafka_topic_partition_list_add(l, p->topic,
							  p->partition)
			    ->offset = p->done;
	}
	if (l->cnt) {
		rd_kafka_resp_err_t err = rd_kafka_offsets_store(c->rk, l);
		/* _STATE: every partition was revoked meanwhile. */
		if (err && err != RD_KAFKA_RESP_ERR__STATE)
			log_limited(telex_log_limiter(c->t), LOG_WARN,
				    "offset store", "storing offsets: %s",
				    rd_kafka_err2str(err));
		else
			c->stored += (uint64_t)l->cnt;
	}
	rd_kafka_topic_partition_list_destroy(l);
}

static int kc_group_ms_left(int64_t deadline_ns)
{
	int64_t left = deadline_ns - telex_monotonic_ns();
	if (left <= 0)
		return 0;
	return (int)(left / 1000000 + 1);
}

/* The commit's answer: which partitions are now committed where. */
static int kc_group_commit_result(struct kc *c, rd_kafka_event_t *ev)
{
	rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
	const rd_kafka_topic_partition_list_t *res =
	    rd_kafka_event_topic_partition_list(ev);
	int failed = 0;
	for (int i = 0; res && i < res->cnt; i++) {
		const rd_kafka_topic_partition_t *tp = &res->elems[i];
		int64_t idx =
		    kc_offsets_find(&c->off, tp->topic, tp->partition);
		if (tp->err) {
			failed++;
			log_warn("committing %s[%d] at %lld: %s", tp->topic,
				 (int)tp->partition, (long long)tp->offset,
				 rd_kafka_err2str(tp->err));
		} else if (idx >= 0) {
			c->off.parts[idx].committed = tp->offset;
		}
	}
	if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		log_warn("commit: %s", rd_kafka_err2str(err));
		return -1;
	}
	return failed ? -1 : 0;
}

int kc_group_commit(struct kc *c, const uint32_t *parts, size_t n,
		    int64_t deadline_ns)
{
	size_t total = parts ? n : c->off.nparts;
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new((int)total);
	for (size_t i = 0; i < total; i++) {
		const struct kc_part *p = &c->off.parts[parts ? parts[i] : i];
		if (p->assigned && p->done >= 0 && p->done != p->committed)
			rd_kafka_topic_partition_list_add(l, p->topic,
							  p->partition)
			    ->offset = p->done;
	}
	if (!l->cnt) {
		rd_kafka_topic_partition_list_destroy(l);
		return 0;
	}
	/* An asynchronous commit answered on our own queue, so that a dead
	 * coordinator costs at most the deadline. */
	rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
	rd_kafka_resp_err_t err =
	    rd_kafka_commit_queue(c->rk, l, q, NULL, NULL);
	int cnt = l->cnt, rc = -1;
	rd_kafka_topic_partition_list_destroy(l);
	if (err) {
		log_warn("commit of %d partition(s): %s", cnt,
			 rd_kafka_err2str(err));
	} else {
		for (;;) {
			rd_kafka_event_t *ev = rd_kafka_queue_poll(
			    q, kc_group_ms_left(deadline_ns));
			if (!ev) {
				log_warn("commit of %d partition(s) not "
					 "confirmed in time; their records "
					 "since the last commit will be read "
					 "again",
					 cnt);
				break;
			}
			bool mine = rd_kafka_event_type(ev) ==
				    RD_KAFKA_EVENT_OFFSET_COMMIT;
			if (mine)
				rc = kc_group_commit_result(c, ev);
			rd_kafka_event_destroy(ev);
			if (mine)
				break;
		}
	}
	rd_kafka_queue_destroy(q);
	c->commits++;
	if (rc)
		c->commit_failures++;
	return rc;
}

static void kc_group_log_parts(const char *what,
			       const rd_kafka_topic_partition_list_t *parts)
{
	char text[512];
	size_t used = 0;
	text[0] = '\0';
	for (int i = 0; i < parts->cnt && used < sizeof(text) - 32; i++) {
		int w = snprintf(text + used, sizeof(text) - used, "%s%s[%d]",
				 i ? " " : "", parts->elems[i].topic,
				 (int)parts->elems[i].partition);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used >= sizeof(text) - 32)
		snprintf(text + sizeof(text) - 32, 32, " ...");
	log_info("%s %d partition(s): %s", what, parts->cnt, text);
}

/*
 * With offset = "newest", a partition the group never committed starts at
 * its end. If nothing arrives there before this consumer stops, nothing is
 * committed for it, and the next start is at the end again: whatever was
 * produced there in between would be skipped. So such partitions get the
 * end they have at assignment both as their start (the assignment's
 * offset: librdkafka resolving "newest" itself, later, would skip what
 * arrives in between) and as their first offset to commit. Partitions the
 * group committed keep their offset; an error leaves them as before (the
 * native plugin's behaviour) with one warning. All the queries share one
 * deadline: with the brokers down, the rebalance must not hold the loop
 * (and stdin EOF) for a timeout per partition.
 */
#define KC_START_QUERY_NS (5LL * 1000000000LL)

static void kc_group_newest_starts(struct kc *c, rd_kafka_t *rk,
				   rd_kafka_topic_partition_list_t *parts)
{
	int64_t deadline = telex_monotonic_ns() + KC_START_QUERY_NS;
	rd_kafka_topic_partition_list_t *cm =
	    rd_kafka_topic_partition_list_copy(parts);
	rd_kafka_resp_err_t err =
	    rd_kafka_committed(rk, cm, kc_group_ms_left(deadline));
	rd_kafka_resp_err_t first = err;
	int unknown = 0;
	for (int i = 0; i < cm->cnt; i++) {
		const rd_kafka_topic_partition_t *tp = &cm->elems[i];
		if (!err && (tp->err || tp->offset >= 0))
			continue;
		int ms = kc_group_ms_left(deadline);
		int64_t lo, hi;
		rd_kafka_resp_err_t e =
		    err	 ? err
		    : ms ? rd_kafka_query_watermark_offsets(
			       rk, tp->topic, tp->partition, &lo, &hi, ms)
			 : RD_KAFKA_RESP_ERR__TIMED_OUT;
		int64_t idx =
		    kc_offsets_find(&c->off, tp->topic, tp->partition);
		if (e) {
			if (!unknown++)
				first = e;
		} else if (idx >= 0) {
			rd_kafka_topic_partition_t *a =
			    rd_kafka_topic_partition_list_find(parts, tp->topic,
							       tp->partition);
			if (a)
				a->offset = hi;
			kc_offsets_start(&c->off, (uint32_t)idx, hi);
		}
	}
	if (unknown)
		log_warn("%d newly assigned partition(s) without a committed "
			 "offset or a known end (%s): they are committed only "
			 "once a record comes",
			 unknown, rd_kafka_err2str(first));
	rd_kafka_topic_partition_list_destroy(cm);
}

/* Take (assign) or give back the partitions of a rebalance: incrementally
 * under the cooperative protocol, else the whole assignment at once. A
 * refusal is logged; the group goes on either way. */
static void kc_group_hand_over(rd_kafka_t *rk,
			       rd_kafka_topic_partition_list_t *parts,
			       bool cooperative, bool assign)
{
	rd_kafka_error_t *e = NULL;
	rd_kafka_resp_err_t err = 0;
	if (cooperative && assign)
		e = rd_kafka_incremental_assign(rk, parts);
	else if (cooperative)
		e = rd_kafka_incremental_unassign(rk, parts);
	else
		err = rd_kafka_assign(rk, assign ? parts : NULL);
	const char *what = assign ? "assigning" : "unassigning";
	if (e) {
		log_error("%s partitions: %s", what, rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	} else if (err) {
		log_error("%s partitions: %s", what, rd_kafka_err2str(err));
	}
}

static void kc_group_assign(struct kc *c, rd_kafka_t *rk,
			    rd_kafka_topic_partition_list_t *parts,
			    bool cooperative)
{
	for (int i = 0; i < parts->cnt; i++) {
		int64_t idx = kc_offsets_get(&c->off, parts->elems[i].topic,
					     parts->elems[i].partition);
		if (idx >= 0)
			kc_offsets_assign(&c->off, (uint32_t)idx);
		else
			log_error("out of memory tracking %s[%d]: its offsets "
				  "will not be committed",
				  parts->elems[i].topic,
				  (int)parts->elems[i].partition);
	}
	if (c->cfg->offset && strcmp(c->cfg->offset, "newest") == 0)
		kc_group_newest_starts(c, rk, parts);
	kc_group_hand_over(rk, parts, cooperative, true);
	/* While stdout is blocked, new partitions wait too. */
	if (c->paused)
		rd_kafka_pause_partitions(rk, parts);
	kc_group_log_parts("assigned", parts);
}

static void kc_group_revoke(struct kc *c, rd_kafka_t *rk,
			    rd_kafka_topic_partition_list_t *parts,
			    bool cooperative)
{
	/* Their records not handled yet go: the next owner reads them. */
	kc_fetch_revoked(c, parts);
	/* Whatever is done now still counts for these partitions: what
	 * stdout takes, or with feedback what the outputs confirmed (a
	 * record only in the pipe is the next owner's to read again). */
	telex_out_flush(c->t);
	kc_fetch_settle(c);
	uint32_t *idx = calloc((size_t)parts->cnt + 1, sizeof(*idx));
	size_t n = 0;
	for (int i = 0; idx && i < parts->cnt; i++) {
		int64_t x = kc_offsets_find(&c->off, parts->elems[i].topic,
					    parts->elems[i].partition);
		if (x >= 0)
			idx[n++] = (uint32_t)x;
	}
	if (rd_kafka_assignment_lost(rk))
		log_warn("partitions lost (the group moved on without this "
			 "consumer): records since the last commit will be "
			 "read again by their new owner");
	else if (n)
		kc_group_commit(c, idx, n,
				telex_monotonic_ns() + KC_REVOKE_COMMIT_NS);
	for (size_t i = 0; i < n; i++)
		kc_offsets_revoke(&c->off, idx[i]);
	free(idx);
	kc_group_hand_over(rk, parts, cooperative, false);
	kc_group_log_parts("revoked", parts);
}

void kc_group_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			   rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kafka_client *client = opaque;
	struct kc *c = client->owner;
	bool cooperative =
	    strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	c->rebalances++;
	c->last_rkt = NULL;
	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		kc_group_assign(c, rk, parts, cooperative);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		kc_group_revoke(c, rk, parts, cooperative);
		/* Revoked records no longer count as undelivered. */
		kc_fetch_progress(c, telex_out_written(c->t));
		break;
	default:
		log_error("rebalance failed: %s", rd_kafka_err2str(err));
		if (cooperative)
			rd_kafka_error_destroy(
			    rd_kafka_incremental_unassign(rk, parts));
		else
			rd_kafka_assign(rk, NULL);
		break;
	}
}

void kc_group_close(struct kc *c, int64_t deadline_ns)
{
	if (!c->rk)
		return;
	kc_fetch_settle(c); /* with feedback: only what was confirmed */
	kc_group_store(c);
	int64_t commit_by = telex_monotonic_ns() + KC_CLOSE_COMMIT_NS;
	kc_group_commit(c, NULL, 0,
			commit_by < deadline_ns ? commit_by : deadline_ns);
	/* Leave the group, but not for longer than Telegraf waits. The
	 * consumer queue is forwarded to q, served as events: the revoke
	 * comes as a rebalance event (handled as the callback would be),
	 * records still in flight as fetch events (dropped: not handled, so
	 * not committed; librdkafka's callback mode would abort on them). */
	rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
	rd_kafka_error_t *e = rd_kafka_consumer_close_queue(c->rk, q);
	if (e) {
		log_warn("leaving the group: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	} else {
		while (!rd_kafka_consumer_closed(c->rk)) {
			int ms = kc_group_ms_left(deadline_ns);
			if (!ms)
				break;
			rd_kafka_event_t *ev =
			    rd_kafka_queue_poll(q, ms < 100 ? ms : 100);
			if (ev &&
			    rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
				kc_group_rebalance_cb(
				    c->rk, rd_kafka_event_error(ev),
				    rd_kafka_event_topic_partition_list(ev),
				    &c->client);
			if (ev)
				rd_kafka_event_destroy(ev);
		}
	}
	bool closed = rd_kafka_consumer_closed(c->rk);
	rd_kafka_queue_destroy(q);
	if (!closed) {
		log_warn("the group was not left in time; the coordinator "
			 "will notice after session.timeout.ms");
		c->client.destroy_flags = RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE;
	}
}
