/*
 * kout_output_spool.c: spool mode's side of kout_output.c (see there): write()
 * appends the batch to the spool and takes what the file got (a full
 * spool pauses stdin by holding back the last line, spooled already);
 * the pump produces from the spool while librdkafka has room; delivered
 * lines give the spool's space back; the timers that sync the spool and
 * try a failed write again; opening and closing the spool with the
 * program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kout.h"

/* After a write to the spool failed (disk full): when to try again. */
#define KOUT_SPOOL_RETRY_NS (1000LL * 1000000)

/* Room kept free before stdin is read again after the spool was full:
 * more than the shim reads at once (256 KiB), so that it is taken. */
#define KOUT_SPOOL_RESERVE ((uint64_t)512 << 10)

/* How soon a stop is noticed while a line is held back. */
#define KOUT_HELD_CHECK_NS (100LL * 1000000)

/* A process that is still flushing may hold the spool's lock that long:
 * longer than Telegraf's 5 s between closing stdin and SIGKILL would not
 * help. */
#define KOUT_LOCK_WAIT_MS 5500

/* Room again: reading resumes once a whole chunk of stdin (what the shim
 * may read at once) fits below spool_max_bytes. */
static bool kout_spool_has_room(struct kout *k)
{
	uint64_t max = (uint64_t)k->cfg->spool_max_bytes;
	uint64_t reserve =
	    max / 4 < KOUT_SPOOL_RESERVE ? max / 4 : KOUT_SPOOL_RESERVE;
	return k->spool.bytes + reserve <= max;
}

/* Spool mode: produce from the spool while librdkafka has room. */
int kout_pump(struct kout *k)
{
	char err[512];
	bool packing = k->cfg->metrics_per_record > 1;
	while (k->phase == KOUT_NORMAL && !k->blocked && !k->fatal) {
		if (packing && k->packer.nwaiting &&
		    kout_pack_flush(k) != KOUT_OK)
			break;
		struct kout_frame f;
		struct kout_spool_pos pos;
		enum kout_peek peek =
		    kout_spool_peek(&k->spool, &f, &pos, err, sizeof(err));
		if (peek == KOUT_PEEK_ERROR)
			log_limited(telex_log_limiter(k->t), LOG_ERROR,
				    "spool read", "%s", err);
		if (peek != KOUT_PEEK_LINE)
			break;
		struct kout_in in = {.p = f.payload,
				     .len = f.len - 1,
				     .newline = true,
				     .line_no = pos.index + 1,
				     .pos = &pos,
				     .frame_size = f.size,
				     .time_ms = f.time_ms};
		enum kout_take take = kout_line(k, &in);
		if (take == KOUT_TAKE_FATAL)
			return -1;
		if (take != KOUT_TAKEN)
			break;
	}
	if (packing)
		kout_pack_linger(k);
	return k->fatal ? -1 : 0;
}

/* Spool mode: give back what the ledger says is done. */
void kout_release(struct kout *k)
{
	struct kout_spool_pos ack;
	kout_ledger_ack_pos(&k->ledger, &k->spool.rpos, &ack);
	kout_spool_ack(&k->spool, &ack);
	if (k->spool_full && kout_spool_has_room(k)) {
		k->spool_full = false;
		log_debug("spool: space freed, reading stdin again");
		telex_resume(k->t);
	}
}

/* ", spool: 12 records, 3.1 KiB, oldest 42 s old" */
void kout_spool_text(struct kout *k, char *out, size_t len)
{
	struct kout_spool_state st;
	kout_spool_state(&k->spool, &st);
	char bytes[32];
	kout_bytes_text(st.bytes, bytes, sizeof(bytes));
	int64_t age = 0;
	if (st.oldest_ms) {
		age = telex_realtime_ns() / 1000000 - st.oldest_ms;
		age = age < 0 ? 0 : age / 1000;
	}
	int n =
	    snprintf(out, len, ", spool: %llu records, %s, oldest %lld s old",
		     (unsigned long long)st.records, bytes, (long long)age);
	uint64_t bad = k->spool.torn_bytes + k->spool.damaged_bytes;
	if (bad && n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n,
			 ", %llu damaged bytes skipped",
			 (unsigned long long)bad);
}

static void kout_resume_timer_cb(struct loop *l, void *arg)
{
	(void)l;
	struct kout *k = arg;
	k->resume_timer = 0;
	k->spool_broken = false;
	telex_resume(k->t);
}

/* W! (at most every 10 s): the spool is full, stdin paused. */
static void kout_spool_full_log(struct kout *k)
{
	struct kout_spool_state st;
	kout_spool_state(&k->spool, &st);
	char bytes[32];
	kout_bytes_text(st.bytes, bytes, sizeof(bytes));
	log_limited(telex_log_limiter(k->t), LOG_WARN, "spool full",
		    "spool %s is full (%s, %llu records; spool_max_bytes "
		    "%lld): stdin paused until Kafka confirms records; "
		    "nothing is dropped",
		    k->spool.dir, bytes, (unsigned long long)st.records,
		    (long long)k->cfg->spool_max_bytes);
}

/* Append lines [from, b->n) to the spool; *n is where it stopped (b->n
 * unless writing failed). Lines past spool_max_bytes are appended too:
 * the shim has read them already, and a line it holds is lost if the
 * process is killed; *over says so, and the caller pauses stdin. */
static int kout_spool_append(struct kout *k, const struct telex_batch *b,
			     size_t from, int64_t now_ms, size_t *n, bool *over)
{
	struct kout_spool *sp = &k->spool;
	char err[512];
	*over = false;
	for (*n = from; *n < b->n; (*n)++) {
		const struct telex_line *l = &b->lines[*n];
		enum kout_room room = kout_spool_room(sp, l->len);
		if (room == KOUT_ROOM_FULL)
			*over = true;
		if (room == KOUT_ROOM_NEVER) {
			/* What comes before it must be in the file first,
			 * so that a failure cannot reject it twice. */
			if (kout_spool_flush(sp, err, sizeof(err)) < 0)
				goto io;
			k->lpos[*n].seg = 0;
			struct kout_lines lines = {.n = 1};
			struct lp_slice name = kout_line_name(l->ptr, l->len);
			kout_reject(k, "too large for the spool", &lines,
				    k->cfg->topic, strlen(k->cfg->topic), NULL,
				    0, l->ptr, l->len, &name,
				    "line %zu: %zu bytes do not fit in "
				    "spool_max_bytes (%lld)",
				    l->line_no, l->len,
				    (long long)k->cfg->spool_max_bytes);
			continue;
		}
		if (kout_spool_add(sp, l->ptr, l->len, now_ms, &k->lpos[*n],
				   err, sizeof(err)) < 0)
			goto io;
	}
	if (kout_spool_flush(sp, err, sizeof(err)) < 0)
		goto io;
	return 0;
io:
	log_limited(telex_log_limiter(k->t), LOG_ERROR, "spool write",
		    "spool: %s; stdin paused, trying again in 1 s", err);
	k->spool_broken = true;
	if (!k->resume_timer) {
		k->resume_timer =
		    loop_add_timer(telex_loop(k->t), KOUT_SPOOL_RETRY_NS, 0,
				   kout_resume_timer_cb, k);
		if (k->resume_timer < 0)
			k->resume_timer = 0;
	}
	return -1;
}

/* While a line is held back, a stop must be noticed soon: the shim then
 * offers it again and exits as soon as it is taken. */
static void kout_held_timer_cb(struct loop *l, void *arg)
{
	(void)l;
	struct kout *k = arg;
	if (k->held && telex_stopping(k->t))
		telex_resume(k->t);
	if (!k->held && k->held_timer) {
		loop_cancel_timer(telex_loop(k->t), k->held_timer);
		k->held_timer = 0;
	}
}

/* Room for the spool positions of a batch of n lines. */
static int kout_lpos_reserve(struct kout *k, size_t n)
{
	if (k->lpos_cap >= n)
		return 0;
	struct kout_spool_pos *v = realloc(k->lpos, n * sizeof(*v));
	if (!v) {
		log_error("out of memory for a batch of %zu lines", n);
		return -1;
	}
	k->lpos = v;
	k->lpos_cap = n;
	return 0;
}

/* Of lines [from, handled), how many are taken: every one up to the first
 * the file did not get (written of them did; refused ones have no
 * position). */
static size_t kout_spool_taken(const struct kout *k, size_t from,
			       size_t handled, uint64_t written)
{
	uint64_t seen = 0;
	size_t n = from;
	for (; n < handled; n++) {
		if (k->lpos[n].seg == 0)
			continue;
		if (seen == written)
			break;
		seen++;
	}
	return n;
}

/* The spool is full: the batch's last line (in the spool already) is
 * reported not taken, so that the shim stops reading stdin; it is
 * skipped when offered again. */
static void kout_spool_hold(struct kout *k, const struct telex_line *last,
			    size_t *accepted)
{
	k->held = true;
	k->held_line_no = last->line_no;
	k->held_len = last->len;
	(*accepted)--;
	k->spool_full = true;
	kout_spool_full_log(k);
	if (!k->held_timer) {
		k->held_timer =
		    loop_add_timer(telex_loop(k->t), KOUT_HELD_CHECK_NS,
				   KOUT_HELD_CHECK_NS, kout_held_timer_cb, k);
		if (k->held_timer < 0)
			k->held_timer = 0;
	}
}

/* Produce the spooled lines [from, n) straight from the batch, so that
 * the file is not read back, until librdkafka's queue is full. */
static int kout_spool_produce_hot(struct kout *k, const struct telex_batch *b,
				  size_t from, size_t n, int64_t now_ms)
{
	for (size_t i = from; i < n; i++) {
		if (k->lpos[i].seg == 0)
			continue;
		const struct telex_line *l = &b->lines[i];
		struct kout_in in = {.p = l->ptr,
				     .len = l->len,
				     .newline = l->newline,
				     .line_no = l->line_no,
				     .pos = &k->lpos[i],
				     .frame_size = kout_frame_size(l->len),
				     .time_ms = now_ms};
		enum kout_take take = kout_line(k, &in);
		if (take == KOUT_TAKE_FATAL)
			return -1;
		if (take != KOUT_TAKEN)
			break;
	}
	return 0;
}

int kout_write_spool(struct kout *k, const struct telex_batch *b,
		     size_t *accepted)
{
	struct kout_spool *sp = &k->spool;
	if (k->spool_broken)
		return 0;
	size_t from = 0;
	if (k->held && b->n && b->lines[0].line_no == k->held_line_no &&
	    b->lines[0].len == k->held_len) {
		/* In the spool already: pausing stdin needed a line not
		 * taken, this one. */
		k->held = false;
		from = 1;
	}
	if (from == b->n) {
		*accepted = b->n;
		return 0;
	}
	if (kout_lpos_reserve(k, b->n) < 0)
		return -1;
	/* Straight from the batch only when the reader has nothing older
	 * to produce first. */
	bool hot =
	    k->phase == KOUT_NORMAL && !k->blocked && kout_spool_caught_up(sp);
	int64_t now_ms = telex_realtime_ns() / 1000000;
	uint64_t before = sp->lines_written;
	size_t handled;
	bool over;
	kout_spool_append(k, b, from, now_ms, &handled, &over);
	size_t n =
	    kout_spool_taken(k, from, handled, sp->lines_written - before);
	k->metrics_in += n - from;
	*accepted = n;
	/* Stopping, stdin is read to its end anyway. */
	if (over && n == b->n && !telex_stopping(k->t))
		kout_spool_hold(k, &b->lines[n - 1], accepted);
	if (hot && kout_spool_produce_hot(k, b, from, n, now_ms) < 0)
		return -1;
	if (k->cfg->metrics_per_record > 1)
		kout_pack_linger(k);
	kout_advance(k);
	return k->fatal ? -1 : 0;
}

static void kout_sync_timer_cb(struct loop *l, void *arg)
{
	(void)l;
	struct kout *k = arg;
	kout_release(k);
	/* rejected.lp first: the ack may pass a refused record only once
	 * the record is on the disk there. */
	kout_rejected_sync(&k->rejected, k->spool.fsync != KOUT_FSYNC_NEVER);
	kout_spool_sync(&k->spool);
}

int kout_spool_start(struct kout *k, char *err, size_t errlen)
{
	const struct kout_config *c = k->cfg;
	enum kout_fsync fs =
	    strcmp(c->spool_fsync, "always") == 0  ? KOUT_FSYNC_ALWAYS
	    : strcmp(c->spool_fsync, "never") == 0 ? KOUT_FSYNC_NEVER
						   : KOUT_FSYNC_INTERVAL;
	struct kout_spool_opts o = {.dir = c->spool_dir,
				    .max_bytes = (uint64_t)c->spool_max_bytes,
				    .fsync = fs,
				    .table = KOUT_TABLE,
				    .lock_wait_ms = KOUT_LOCK_WAIT_MS};
	int rc = kout_spool_open(&k->spool, &o, err, errlen);
	if (rc)
		return rc;
	k->spooling = true;
	char why[512];
	if (kout_rejected_open(&k->rejected, c->spool_dir,
			       (uint64_t)c->spool_rejected_max_bytes, why,
			       sizeof(why)) < 0) {
		snprintf(err, errlen, "[%s] spool_dir: %s", KOUT_TABLE, why);
		return TELEX_EXIT_USAGE;
	}
	k->replayed = k->spool.records;
	if (k->replayed) {
		struct kout_spool_state st;
		kout_spool_state(&k->spool, &st);
		char bytes[32];
		kout_bytes_text(st.bytes, bytes, sizeof(bytes));
		int64_t age =
		    (telex_realtime_ns() / 1000000 - st.oldest_ms) / 1000;
		log_info("spool %s holds %llu metrics (%s) from an earlier "
			 "run, the oldest taken %lld s ago: they are "
			 "delivered first",
			 k->spool.dir, (unsigned long long)k->replayed, bytes,
			 (long long)(age < 0 ? 0 : age));
	}
	k->sync_timer =
	    loop_add_timer(telex_loop(k->t), c->spool_fsync_interval,
			   c->spool_fsync_interval, kout_sync_timer_cb, k);
	if (k->sync_timer < 0) {
		snprintf(err, errlen, "adding the spool's sync timer failed");
		return TELEX_EXIT_FAILURE;
	}
	return 0;
}

void kout_spool_stop(struct kout *k)
{
	struct loop *l = telex_loop(k->t);
	int64_t *timers[] = {&k->sync_timer, &k->resume_timer, &k->retry_timer,
			     &k->held_timer};
	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
		if (*timers[i] > 0) {
			loop_cancel_timer(l, *timers[i]);
			*timers[i] = 0;
		}
	bool data = k->spool.fsync != KOUT_FSYNC_NEVER;
	if (k->spooling)
		kout_release(k);
	if (k->rejected.path) /* before the ack, as in the timer */
		kout_rejected_sync(&k->rejected, data);
	if (k->spool.dir)
		kout_spool_close(&k->spool);
	if (k->rejected.path)
		kout_rejected_close(&k->rejected);
	k->spooling = false;
}
