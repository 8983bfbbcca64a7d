/*
 * kout_output.c: taking lines, back-pressure, retries, flush.
 *
 * Memory mode (spool_dir = ""): write() produces each line into
 * librdkafka's queue; when it is full, write() takes fewer lines and the
 * shim stops reading stdin until delivery reports drained the queue to
 * 90 % of its limits (telex_resume()). What librdkafka holds at the flush
 * deadline is lost, counted, and the exit code is 1.
 *
 * Spool mode: write() appends the lines to the spool and takes them once
 * they are in the file, whatever Kafka does; it stops taking lines only
 * when the spool is full. Records are produced from the spool as
 * librdkafka's queue has room (straight from write()'s lines when the
 * reader has caught up, so the file is not read back), and the spool's
 * space is given back as delivery reports confirm them (kout_acks.c). At the
 * flush deadline, or as soon as nothing was delivered for a second with
 * records waiting, the spool keeps what is left for the next start: exit
 * 0, nothing lost.
 *
 * Both modes: a record whose delivery failed for a reason that may pass
 * is produced again (kout_produce.c, kout_retry.c); first the rest of
 * librdkafka's queue is purged and every record waited for, so that the failed
 * ones are produced again ahead of anything newer of the same key.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kout.h"

/* Before failed records are produced again: keeps a failure that comes
 * back at once (a partition without a leader) from becoming a busy loop. */
#define KOUT_RETRY_BACKOFF_NS (250LL * 1000000)
/* At exit in spool mode: records waiting and nothing delivered for this
 * long means the brokers are away; the spool keeps the rest. */
#define KOUT_STALL_NS (2000LL * 1000000)
/* At exit: time for the metadata that says why records are stuck. */
#define KOUT_DIAGNOSE_MS 300

/* Produce the routed line, or pack it: KOUT_NOT_TAKEN gives the spool's
 * line back to the ledger (offered again later). */
static enum kout_take kout_line_out(struct kout *k, struct kout_record *rec,
				    struct kout_lines *lines, uint64_t chunk,
				    const struct kout_in *in)
{
	if (k->cfg->metrics_per_record > 1)
		return kout_pack_line(k, rec, lines);
	switch (kout_produce(k, rec, lines)) {
	case KOUT_OK:
		return KOUT_TAKEN;
	case KOUT_QUEUE_FULL:
		if (in->pos)
			kout_ledger_untake(&k->ledger, chunk);
		return KOUT_NOT_TAKEN;
	case KOUT_FATAL:
		break;
	}
	return KOUT_TAKE_FATAL;
}

enum kout_take kout_line(struct kout *k, const struct kout_in *in)
{
	struct kout_lines lines = {.n = 1};
	uint64_t chunk = 0;
	if (in->pos) {
		if (kout_ledger_take(&k->ledger, in->pos, &chunk) < 0) {
			log_error("out of memory for the spool's ledger");
			k->fatal = true;
			return KOUT_TAKE_FATAL;
		}
		lines.nruns = 1;
		lines.one = (struct kout_run){chunk, 1};
	}
	struct kout_record rec;
	char err[256];
	enum kout_take take = KOUT_TAKEN;
	if (kout_route(&k->router, in->p, in->len, in->line_no, &rec, err,
		       sizeof(err)) < 0) {
		struct lp_slice name = kout_line_name(in->p, in->len);
		kout_reject(k, "not serialisable", &lines, k->cfg->topic,
			    strlen(k->cfg->topic), NULL, 0, in->p, in->len,
			    &name, "line %zu: %s", in->line_no, err);
		goto taken;
	}
	/* The line's own '\n' follows it in the runner's buffer (or in the
	 * spool's frame): librdkafka copies line and terminator at once. */
	if (rec.newline_missing && in->newline && rec.value == in->p)
		rec.newline_missing = false;
	/* "now", or a line without a time: when telex took it, not when a
	 * spool that waited for Kafka produced it. */
	if (in->pos && !rec.timestamp_ms)
		rec.timestamp_ms = in->time_ms;
	take = kout_line_out(k, &rec, &lines, chunk, in);
	if (take == KOUT_NOT_TAKEN || take == KOUT_TAKE_FATAL)
		return take;
taken:
	if (in->pos)
		kout_spool_advance(&k->spool, in->pos, in->frame_size);
	return take;
}

/* Room to resume: 10 % of both limits free, so that a pause ends with a
 * good number of lines taken at once. Not more: once nothing is
 * produced, librdkafka's queue drains much slower than it does while
 * produce calls keep coming, and waiting for it to drain to half its
 * limits left the producer idle ~20 ms per pause (measured with
 * queue.buffering.max.messages = 10000: the benchmark's 1,000,000 lines
 * took 3.0 s with 135 pauses; resuming at 90 %, 0.7-1.0 s). */
static bool kout_has_room(const struct kout *k)
{
	return (int64_t)k->inflight_records <=
		   k->queue_max_records - k->queue_max_records / 10 &&
	       (int64_t)k->inflight_bytes <=
		   k->queue_max_bytes - k->queue_max_bytes / 10;
}

static void kout_retry_timer_cb(struct loop *l, void *arg)
{
	(void)l;
	struct kout *k = arg;
	k->retry_timer = 0;
	kout_on_served(k);
}

/* The phases of retrying (kout.h), then producing new records. */
void kout_advance(struct kout *k)
{
	if (k->purge_pending) {
		k->purge_pending = false;
		rd_kafka_purge(k->client.rk, RD_KAFKA_PURGE_F_QUEUE |
						 RD_KAFKA_PURGE_F_NON_BLOCKING);
	}
	if (k->blocked && kout_has_room(k))
		k->blocked = false;
	if (k->phase == KOUT_DRAINING && k->inflight_records == 0) {
		k->phase = KOUT_RETRYING;
		k->retry_at_ns = telex_monotonic_ns() + KOUT_RETRY_BACKOFF_NS;
		kout_retry_sort(&k->retry);
		log_limited(telex_log_limiter(k->t), LOG_WARN, "produced again",
			    "kafka output: %zu records failed with %s (%s); "
			    "producing them again, oldest first",
			    k->retry.n - k->retry.next,
			    rd_kafka_err2name(k->retry_err),
			    rd_kafka_err2str(k->retry_err));
		/* A timer of an earlier round would fire too soon. */
		if (k->retry_timer)
			loop_cancel_timer(telex_loop(k->t), k->retry_timer);
		k->retry_timer =
		    loop_add_timer(telex_loop(k->t), KOUT_RETRY_BACKOFF_NS, 0,
				   kout_retry_timer_cb, k);
		if (k->retry_timer < 0)
			k->retry_timer = 0;
	}
	if (k->phase == KOUT_RETRYING && !k->blocked &&
	    telex_monotonic_ns() >= k->retry_at_ns) {
		while (!kout_retry_empty(&k->retry) &&
		       kout_produce_again(k, k->retry.next) == KOUT_OK)
			k->retry.next++;
		if (kout_retry_empty(&k->retry)) {
			kout_retry_reset(&k->retry);
			k->phase = KOUT_NORMAL;
		}
	}
	if (k->spooling)
		kout_release(k);
	if (k->phase != KOUT_NORMAL || k->blocked || k->fatal)
		return;
	if (k->spooling) {
		if (kout_pump(k) < 0)
			telex_shutdown(k->t);
		return;
	}
	if (k->packer.nwaiting && kout_pack_flush(k) != KOUT_OK)
		return;
	kout_pack_linger(k);
	if (k->in_paused) {
		k->in_paused = false;
		telex_resume(k->t);
	}
}

/* After librdkafka's callbacks ran. */
void kout_on_served(void *owner)
{
	struct kout *k = owner;
	kout_advance(k);
	if (k->fatal)
		telex_shutdown(k->t);
}

void kout_on_fatal(void *owner, const char *why)
{
	struct kout *k = owner;
	(void)why;
	k->fatal = true;
	telex_shutdown(k->t);
}

/* "1.5 MiB" */
void kout_bytes_text(uint64_t n, char *out, size_t len)
{
	if (n < 10ull * 1024)
		snprintf(out, len, "%llu bytes", (unsigned long long)n);
	else if (n < 10ull * 1024 * 1024)
		snprintf(out, len, "%.1f KiB", (double)n / 1024);
	else if (n < 10ull * 1024 * 1024 * 1024)
		snprintf(out, len, "%.1f MiB", (double)n / (1024 * 1024));
	else
		snprintf(out, len, "%.1f GiB",
			 (double)n / (1024.0 * 1024 * 1024));
}

void kout_on_stats(void *owner, const struct kafka_stats *s)
{
	struct kout *k = owner;
	char brokers[160], spool[192] = "", again[64] = "";
	kafka_stats_brokers_text(s, brokers, sizeof(brokers));
	if (k->spooling)
		kout_spool_text(k, spool, sizeof(spool));
	if (k->retried_records)
		snprintf(again, sizeof(again), ", %llu produced again",
			 (unsigned long long)k->retried_records);
	log_report(
	    "kafka output: %llu metrics delivered in %llu records, %llu "
	    "failed, %llu records queued, %lld retries, %lld bytes sent, "
	    "%s%s%s",
	    (unsigned long long)k->delivered_metrics,
	    (unsigned long long)k->delivered_records,
	    (unsigned long long)k->failed_metrics,
	    (unsigned long long)k->inflight_records, (long long)s->txretries,
	    (long long)s->tx_bytes, brokers, again, spool);
}

/* ------------------------------------------------------------------ */
/* write() */

static int kout_write_memory(struct kout *k, const struct telex_batch *b,
			     size_t *accepted)
{
	/* Whatever is not taken now is offered again after telex_resume(). */
	k->in_paused = true;
	if (k->blocked || k->phase != KOUT_NORMAL)
		return 0;
	bool packing = k->cfg->metrics_per_record > 1;
	if (packing && k->packer.nwaiting) {
		enum kout_result r = kout_pack_flush(k);
		if (r != KOUT_OK)
			return r == KOUT_FATAL ? -1 : 0;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct telex_line *l = &b->lines[i];
		struct kout_in in = {.p = l->ptr,
				     .len = l->len,
				     .newline = l->newline,
				     .line_no = l->line_no};
		enum kout_take take = kout_line(k, &in);
		if (take == KOUT_TAKE_FATAL)
			return -1;
		if (take == KOUT_NOT_TAKEN) {
			/* Offered again after telex_resume(). */
			*accepted = i;
			return 0;
		}
		k->metrics_in++;
		if (take == KOUT_TAKEN_FULL) {
			*accepted = i + 1;
			return 0;
		}
	}
	*accepted = b->n;
	k->in_paused = false;
	if (packing)
		kout_pack_linger(k);
	return 0;
}

int kout_write(struct telex *t, void *state, const struct telex_batch *b,
	       size_t *accepted)
{
	(void)t;
	struct kout *k = state;
	*accepted = 0;
	if (k->fatal)
		return -1;
	return k->spooling ? kout_write_spool(k, b, accepted)
			   : kout_write_memory(k, b, accepted);
}

/* ------------------------------------------------------------------ */
/* Timers. */

static void kout_pack_timer_cb(struct loop *l, void *arg)
{
	(void)l;
	struct kout *k = arg;
	k->pack_timer = 0;
	/* When full, the packs wait and kout_advance() produces them. */
	if (!k->blocked && k->phase == KOUT_NORMAL &&
	    kout_pack_flush(k) == KOUT_FATAL)
		telex_shutdown(k->t);
}

/* Open packs may take more lines from the next batches for linger.ms, as
 * librdkafka's own batches do; then they are produced, full or not. */
void kout_pack_linger(struct kout *k)
{
	if (k->pack_timer || !kout_pack_waiting(k))
		return;
	k->pack_timer = loop_add_timer(telex_loop(k->t), k->pack_linger_ns, 0,
				       kout_pack_timer_cb, k);
	if (k->pack_timer < 0) {
		k->pack_timer = 0;
		if (kout_pack_flush(k) == KOUT_FATAL)
			telex_shutdown(k->t);
	}
}

/* ------------------------------------------------------------------ */
/* Flush and the summary. */

static bool kout_all_done(struct kout *k)
{
	if (kout_pack_waiting(k) || k->inflight_records ||
	    k->phase != KOUT_NORMAL || !kout_retry_empty(&k->retry))
		return false;
	return !k->spooling ||
	       (k->ledger.pending == 0 && kout_spool_caught_up(&k->spool));
}

static void kout_summary(struct kout *k, uint64_t kept)
{
	struct buf why = BUF_INIT;
	for (unsigned i = 0; i < k->nfails; i++)
		buf_printf(&why, "%s%s: %llu", i ? ", " : " (",
			   k->fails[i].reason,
			   (unsigned long long)k->fails[i].metrics);
	if (k->nfails)
		buf_putc(&why, ')');
	if (k->rejected_kept)
		buf_printf(&why, "; %llu of them kept in %s/%s",
			   (unsigned long long)k->rejected_kept, k->spool.dir,
			   KOUT_REJECTED_FILE);
	if (k->retried_records)
		buf_printf(&why, "; %llu records produced again",
			   (unsigned long long)k->retried_records);
	if (k->spooling && k->replayed)
		buf_printf(&why, "; %llu metrics came from an earlier run",
			   (unsigned long long)k->replayed);
	uint64_t damaged = k->spool.torn_bytes + k->spool.damaged_bytes;
	if (k->spooling && damaged)
		buf_printf(&why, "; %llu damaged bytes of the spool skipped",
			   (unsigned long long)damaged);
	if (k->spooling)
		buf_printf(&why,
			   "; spool %s: %llu metrics left for the next "
			   "start",
			   k->spool.dir, (unsigned long long)kept);
	buf_putc(&why, '\0');
	enum log_level lv = k->failed_metrics ? LOG_ERROR
			    : kept	      ? LOG_WARN
					      : LOG_INFO;
	log_msg(lv,
		"kafka output: %llu metrics taken, %llu delivered in %llu "
		"records, %llu failed%s",
		(unsigned long long)k->metrics_in,
		(unsigned long long)k->delivered_metrics,
		(unsigned long long)k->delivered_records,
		(unsigned long long)k->failed_metrics, why.data);
	buf_free(&why);
}

/* Say, per topic, why records could not be delivered, when the brokers
 * know (an unknown topic waits topic.metadata.propagation.max.ms, 30 s,
 * before librdkafka fails it: at exit it showed only as purged). */
static void kout_diagnose(struct kout *k)
{
	int64_t until = telex_monotonic_ns() + KOUT_DIAGNOSE_MS * 1000000LL;
	for (size_t i = 0; i < KOUT_LEFT_TOPICS && k->left[i].name; i++) {
		int64_t left_ms = (until - telex_monotonic_ns()) / 1000000;
		const char *why =
		    left_ms > 0
			? kout_topic_trouble(k, k->left[i].name, (int)left_ms)
			: NULL;
		if (why)
			log_msg(
			    k->spooling ? LOG_WARN : LOG_ERROR,
			    "kafka output: %llu metrics for topic \"%.200s\" "
			    "%s: the brokers say: %s",
			    (unsigned long long)k->left[i].metrics,
			    k->left[i].name,
			    k->spooling ? "stay in the spool"
					: "were not delivered",
			    why);
		free(k->left[i].name);
		k->left[i].name = NULL;
	}
}

/* The deadline: nothing is produced again from here on. What librdkafka
 * and the retry list hold is given up (memory mode: lost, counted) or
 * left in the spool. Returns the metrics lost. */
static uint64_t kout_finish(struct kout *k)
{
	k->final = true;
	uint64_t failed_before = k->failed_metrics;
	if (k->inflight_records) {
		if (!k->spooling)
			log_error("kafka output: %llu records still "
				  "undelivered at the flush deadline: purged",
				  (unsigned long long)k->inflight_records);
		/* Their delivery reports come back with _PURGE_QUEUE or
		 * _PURGE_INFLIGHT. */
		rd_kafka_purge(k->client.rk, RD_KAFKA_PURGE_F_QUEUE |
						 RD_KAFKA_PURGE_F_INFLIGHT);
		/* Briefly: the deadline is already behind us, and Telegraf
		 * sends SIGTERM 5 s after closing stdin. */
		int64_t until = telex_monotonic_ns() + 200000000LL;
		while (k->inflight_records && telex_monotonic_ns() < until)
			kafka_client_serve(&k->client, 20);
	}
	for (size_t i = k->retry.next; i < k->retry.n; i++) {
		struct kout_retry_rec *e = &k->retry.v[i];
		uint32_t n = kout_token_metrics(e->tok);
		kout_left(k, e->topic, n);
		if (!k->spooling)
			kout_fail(k, rd_kafka_err2name(k->retry_err), n, NULL,
				  NULL);
		kout_token_drop(&k->ledger, e->tok);
	}
	kout_retry_reset(&k->retry);
	k->phase = KOUT_NORMAL;
	uint64_t held = kout_pack_metrics(k);
	if (held && !k->spooling)
		kout_fail(k, "not produced before the deadline", held, NULL,
			  "%llu metrics could not be handed to librdkafka "
			  "before the flush deadline",
			  (unsigned long long)held);
	kout_packer_free(&k->packer);
	uint64_t unknown = k->inflight_metrics;
	if (unknown && !k->spooling)
		kout_fail(k, "delivery unknown", unknown, NULL,
			  "%llu metrics in %llu records got no delivery report",
			  (unsigned long long)unknown,
			  (unsigned long long)k->inflight_records);
	return k->failed_metrics - failed_before;
}

int kout_flush(struct telex *t, void *state, int64_t deadline_ns)
{
	struct kout *k = state;
	int64_t last_progress = telex_monotonic_ns();
	uint64_t last_done = 0;
	for (;;) {
		kout_advance(k);
		if (k->phase == KOUT_NORMAL && !k->blocked && !k->fatal &&
		    kout_pack_waiting(k))
			kout_pack_flush(k);
		if (kout_all_done(k) || k->fatal)
			break;
		int64_t now = telex_monotonic_ns();
		uint64_t done = k->delivered_records + k->failed_records;
		if (done != last_done) {
			last_done = done;
			last_progress = now;
		}
		if (now >= deadline_ns)
			break;
		if (k->spooling && now - last_progress >= KOUT_STALL_NS)
			break;
		int64_t wait = deadline_ns - now;
		if (k->phase == KOUT_RETRYING && k->retry_at_ns - now < wait)
			wait = k->retry_at_ns - now;
		int ms = (int)(wait / 1000000);
		kafka_client_serve(&k->client, ms < 1	  ? 1
					       : ms > 100 ? 100
							  : ms);
	}
	uint64_t lost = kout_finish(k);
	uint64_t kept = 0;
	if (k->spooling) {
		kout_release(k);
		kept = k->spool.records;
		if (kept)
			log_warn("kafka output: %llu metrics stay in the spool "
				 "%s and are delivered at the next start",
				 (unsigned long long)kept, k->spool.dir);
	}
	kout_diagnose(k);
	log_limited_flush(telex_log_limiter(k->t), LOG_WARN);
	kout_summary(k, kept);
	if (lost || k->fatal)
		return -1;
	/* Failures counted before the deadline (rejected records): exit 1,
	 * without the shim's message about the deadline. */
	if (k->failed_metrics)
		telex_fail(t);
	return 0;
}
