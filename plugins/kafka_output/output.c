/*
 * output.c: producing records, delivery accounting and back-pressure.
 *
 * Every metric taken from the shim ends in exactly one of: delivered (a
 * delivery report without error), failed (a delivery report with an
 * error, or dropped before producing: too large, unknown topic), or, at
 * exit, still in flight after the flush deadline (counted as failed too).
 * The exit code is 0 only when every metric was delivered.
 *
 * Back-pressure: when librdkafka's queue is full (QUEUE_FULL), write()
 * takes fewer lines and the shim stops reading stdin; once delivery
 * reports have drained the queue to 90 % of its limits, telex_resume()
 * lets the shim offer the rest again. Nothing is dropped for lack of room.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kafka_output.h"

void kout_fail(struct kout *k, const char *reason, uint64_t metrics,
	       const struct lp_slice *name, const char *fmt, ...)
{
	k->failed_metrics += metrics;
	k->failed_records++;
	unsigned i;
	for (i = 0; i < k->nfails; i++)
		if (k->fails[i].reason == reason ||
		    strcmp(k->fails[i].reason, reason) == 0)
			break;
	if (i == k->nfails && k->nfails < KOUT_FAIL_REASONS)
		k->fails[k->nfails++] = (struct kout_fail_reason){reason, 0};
	if (i < k->nfails)
		k->fails[i].metrics += metrics;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (name && name->len)
		log_limited(telex_log_limiter(k->t), LOG_ERROR, reason,
			    "%s (metric \"%.*s\")", msg,
			    (int)(name->len > 200 ? 200 : name->len),
			    name->ptr);
	else
		log_limited(telex_log_limiter(k->t), LOG_ERROR, reason, "%s",
			    msg);
}

int kout_produce(struct kout *k, const struct kout_record *rec, size_t nlines)
{
	size_t size = rec->value_len + rec->key_len + rec->hdr_bytes;
	size_t given = rec->value_len - rec->newline_missing;
	if ((int64_t)size > k->cfg->max_message_bytes) {
		struct lp_slice name = rec->name.len
					   ? rec->name
					   : kout_line_name(rec->value, given);
		kout_fail(k, "message too large", nlines, &name,
			  "a record of %zu bytes is larger than "
			  "max_message_bytes (%lld): dropped",
			  size, (long long)k->cfg->max_message_bytes);
		return 0;
	}
	rd_kafka_topic_t *rkt = k->default_rkt;
	if (rec->topic != k->cfg->topic || !rkt) {
		char err[512];
		rkt = kout_topic_get(&k->topics, k->kc.rk, rec->topic,
				     rec->topic_len, err, sizeof(err));
		if (!rkt) {
			kout_fail(k, "invalid topic", nlines, &rec->name,
				  "%s: dropped", err);
			return 0;
		}
	}
	rd_kafka_vu_t vu[8];
	size_t n = 0;
	vu[n].vtype = RD_KAFKA_VTYPE_RKT;
	vu[n++].u.rkt = rkt;
	vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
	vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
	const char *value = rec->value;
	if (rec->newline_missing) {
		buf_clear(&k->scratch);
		char *dst = buf_reserve(&k->scratch, rec->value_len);
		if (!dst) {
			kout_fail(
			    k, "out of memory", nlines, NULL,
			    "no memory for a record of %zu bytes: dropped",
			    size);
			return 0;
		}
		memcpy(dst, rec->value, given);
		dst[given] = '\n';
		value = dst;
	}
	vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
	vu[n].u.mem.ptr = (void *)value;
	vu[n++].u.mem.size = rec->value_len;
	vu[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
	vu[n++].u.ptr = (void *)(uintptr_t)nlines;
	if (rec->key) {
		vu[n].vtype = RD_KAFKA_VTYPE_KEY;
		vu[n].u.mem.ptr = (void *)rec->key;
		vu[n++].u.mem.size = rec->key_len;
	}
	if (rec->timestamp_ms) {
		vu[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
		vu[n++].u.i64 = rec->timestamp_ms;
	}
	rd_kafka_headers_t *hdrs = NULL;
	if (k->headers.n) {
		hdrs = rd_kafka_headers_new(k->headers.n);
		size_t start = 0;
		for (size_t i = 0; i < k->headers.n; i++) {
			rd_kafka_header_add(
			    hdrs, k->headers.h[i].name, -1,
			    rec->hdr_values + start,
			    (ssize_t)(rec->hdr_ends[i] - start));
			start = rec->hdr_ends[i];
		}
		vu[n].vtype = RD_KAFKA_VTYPE_HEADERS;
		vu[n++].u.headers = hdrs;
	}
	rd_kafka_error_t *error = rd_kafka_produceva(k->kc.rk, vu, n);
	if (!error) {
		k->inflight_records++;
		k->inflight_metrics += nlines;
		k->inflight_bytes += rec->value_len + rec->key_len;
		k->records_produced++;
		return 0;
	}
	rd_kafka_resp_err_t e = rd_kafka_error_code(error);
	rd_kafka_error_destroy(error);
	if (hdrs)
		rd_kafka_headers_destroy(hdrs);
	if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && k->inflight_records > 0) {
		k->blocked = true;
		return 1;
	}
	if (e == RD_KAFKA_RESP_ERR__FATAL) {
		k->fatal = true;
		return -1;
	}
	/* QUEUE_FULL with an empty queue: the record alone exceeds
	 * queue.buffering.max.kbytes and would wait forever. */
	struct lp_slice name =
	    rec->name.len ? rec->name : kout_line_name(rec->value, given);
	kout_fail(k, rd_kafka_err2name(e), nlines, &name,
		  "producing a record of %zu bytes to topic \"%.*s\": %s: "
		  "dropped",
		  size, (int)rec->topic_len, rec->topic, rd_kafka_err2str(e));
	return 0;
}

/* Delivery report, on the loop's thread (librdkafka's main queue). */
static void kout_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
		       void *opaque)
{
	(void)rk;
	struct kafka_client *kc = opaque;
	struct kout *k = kc->owner;
	uint64_t nlines = (uintptr_t)m->_private;
	k->inflight_records--;
	k->inflight_metrics -= nlines;
	k->inflight_bytes -= m->len + m->key_len;
	if (!m->err) {
		k->delivered_metrics += nlines;
		k->delivered_records++;
		return;
	}
	struct lp_slice name = kout_line_name(m->payload, m->len);
	kout_fail(k, rd_kafka_err2name(m->err), nlines,
		  k->router.json ? NULL : &name,
		  "delivery to topic \"%s\" failed: %s",
		  rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
}

void kout_set_dr_cb(rd_kafka_conf_t *conf)
{
	rd_kafka_conf_set_dr_msg_cb(conf, kout_dr_cb);
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

/* After librdkafka's callbacks ran: resume reading once there is room. */
void kout_on_served(void *owner)
{
	struct kout *k = owner;
	if (!k->blocked || !kout_has_room(k))
		return;
	k->blocked = false;
	if (kout_pack_waiting(k) && kout_pack_flush(k) != 0)
		return;
	telex_resume(k->t);
}

void kout_on_fatal(void *owner, const char *why)
{
	struct kout *k = owner;
	(void)why;
	k->fatal = true;
	telex_shutdown(k->t);
}

void kout_on_stats(void *owner, const struct kafka_stats *s)
{
	struct kout *k = owner;
	char brokers[160];
	kafka_stats_brokers_text(s, brokers, sizeof(brokers));
	log_report(
	    "kafka output: %llu metrics delivered in %llu records, %llu "
	    "failed, %llu records queued, %lld retries, %lld bytes sent, "
	    "%s",
	    (unsigned long long)k->delivered_metrics,
	    (unsigned long long)k->delivered_records,
	    (unsigned long long)k->failed_metrics,
	    (unsigned long long)k->inflight_records, (long long)s->txretries,
	    (long long)s->tx_bytes, brokers);
}

int kout_write(struct telex *t, void *state, const struct telex_batch *b,
	       size_t *accepted)
{
	(void)t;
	struct kout *k = state;
	*accepted = 0;
	if (k->fatal)
		return -1;
	if (k->blocked)
		return 0;
	bool packing = k->cfg->metrics_per_record > 1;
	if (packing && k->packer.nwaiting) {
		int rc = kout_pack_flush(k);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct telex_line *l = &b->lines[i];
		struct kout_record rec;
		char err[256];
		if (kout_route(&k->router, l->ptr, l->len, l->line_no, &rec,
			       err, sizeof(err)) < 0) {
			struct lp_slice name = kout_line_name(l->ptr, l->len);
			k->metrics_in++;
			kout_fail(k, "not serialisable", 1, &name,
				  "line %zu: %s: dropped", l->line_no, err);
			continue;
		}
		/* The line's own '\n' follows it in the runner's buffer:
		 * librdkafka copies line and terminator in one go. */
		if (rec.newline_missing && l->newline && rec.value == l->ptr)
			rec.newline_missing = false;
		int rc = packing ? kout_pack_line(k, &rec)
				 : kout_produce(k, &rec, 1);
		if (rc < 0)
			return -1;
		if (rc > 0 && !packing) {
			/* Not taken: offered again after telex_resume(). */
			*accepted = i;
			return 0;
		}
		k->metrics_in++;
		if (rc > 0) {
			*accepted = i + 1; /* taken, waiting in a pack */
			return 0;
		}
	}
	*accepted = b->n;
	if (packing)
		kout_pack_linger(k);
	return 0;
}

static void kout_pack_timer_cb(struct loop *l, void *arg)
{
	(void)l;
	struct kout *k = arg;
	k->pack_timer = 0;
	/* When full, the packs wait and kout_on_served() produces them. */
	if (!k->blocked && kout_pack_flush(k) < 0)
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
		if (kout_pack_flush(k) < 0)
			telex_shutdown(k->t);
	}
}

static void kout_summary(struct kout *k, uint64_t lost)
{
	struct buf why = BUF_INIT;
	for (unsigned i = 0; i < k->nfails; i++)
		buf_printf(&why, "%s%s: %llu", i ? ", " : " (",
			   k->fails[i].reason,
			   (unsigned long long)k->fails[i].metrics);
	if (k->nfails)
		buf_putc(&why, ')');
	buf_putc(&why, '\0');
	enum log_level lv = k->failed_metrics || lost ? LOG_ERROR : LOG_INFO;
	log_msg(lv,
		"kafka output: %llu metrics taken, %llu delivered in %llu "
		"records, %llu failed%s",
		(unsigned long long)k->metrics_in,
		(unsigned long long)k->delivered_metrics,
		(unsigned long long)k->delivered_records,
		(unsigned long long)k->failed_metrics, why.data);
	buf_free(&why);
}

int kout_flush(struct telex *t, void *state, int64_t deadline_ns)
{
	(void)t;
	struct kout *k = state;
	for (;;) {
		if (kout_pack_waiting(k) && !k->fatal)
			kout_pack_flush(k);
		if (!kout_pack_waiting(k) && k->inflight_records == 0)
			break;
		int64_t left = deadline_ns - telex_monotonic_ns();
		if (left <= 0 || k->fatal)
			break;
		int ms = (int)(left / 1000000);
		kafka_client_serve(&k->kc, ms < 1 ? 1 : ms > 100 ? 100 : ms);
	}
	uint64_t held = kout_pack_metrics(k);
	if (held) {
		kout_fail(k, "not produced before the deadline", held, NULL,
			  "%llu metrics could not be handed to librdkafka "
			  "before the flush deadline",
			  (unsigned long long)held);
		kout_packer_free(&k->packer);
	}
	if (k->inflight_records) {
		log_error("kafka output: %llu records still undelivered at the "
			  "flush deadline: purged",
			  (unsigned long long)k->inflight_records);
		/* Their delivery reports come back with _PURGE_QUEUE or
		 * _PURGE_INFLIGHT and count as failed. */
		rd_kafka_purge(k->kc.rk, RD_KAFKA_PURGE_F_QUEUE |
					     RD_KAFKA_PURGE_F_INFLIGHT);
		/* Briefly: the deadline is already behind us, and Telegraf
		 * sends SIGTERM 5 s after closing stdin. */
		int64_t until = telex_monotonic_ns() + 200000000LL;
		while (k->inflight_records && telex_monotonic_ns() < until)
			kafka_client_serve(&k->kc, 20);
	}
	uint64_t lost = k->inflight_metrics;
	if (lost)
		kout_fail(k, "delivery unknown", lost, NULL,
			  "%llu metrics in %llu records got no delivery report",
			  (unsigned long long)lost,
			  (unsigned long long)k->inflight_records);
	log_limited_flush(telex_log_limiter(k->t), LOG_WARN);
	kout_summary(k, lost);
	return k->failed_metrics || lost || k->fatal ? -1 : 0;
}
