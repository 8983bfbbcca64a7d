/*
 * kout_produce.c: one record into librdkafka, its delivery report, and what
 * happens to a record that fails.
 *
 * A failure either may pass (brokers down, a timeout, message.timeout.ms,
 * a leader moving, our own purge): the record is copied from its report
 * and produced again (kout_retry.c), in both modes, for as long as it takes;
 * or it will not (too large, unknown topic, not authorized, an invalid
 * record): it is counted, logged, kept in the rejected file in spool mode
 * (memory mode has no disk: it is counted and logged only), and its lines
 * are done so that the spool moves on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kout.h"

/* Failures that producing again cannot cure. Everything else (transport,
 * timeouts, leadership, replication, throttling, purges) may pass. */
static bool kout_err_final(rd_kafka_resp_err_t e)
{
	switch (e) {
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
	case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
	case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
	case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
	case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
	case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
	case RD_KAFKA_RESP_ERR_UNSUPPORTED_COMPRESSION_TYPE:
	case RD_KAFKA_RESP_ERR__INVALID_ARG:
		return true;
	default:
		return false;
	}
}

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
	if (!fmt)
		return;
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

void kout_reject(struct kout *k, const char *reason, struct kout_lines *lines,
		 const char *topic, size_t topic_len, const char *key,
		 size_t key_len, const char *value, size_t value_len,
		 const struct lp_slice *name, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *fate = "dropped";
	char why[512];
	if (k->spooling) {
		if (kout_rejected_add(&k->rejected, reason, topic, topic_len,
				      key, key_len, value, value_len, why,
				      sizeof(why)) == 0) {
			fate = "kept in " KOUT_REJECTED_FILE;
			k->rejected_kept += lines->n;
		} else {
			log_limited(telex_log_limiter(k->t), LOG_ERROR,
				    "rejected file", "%s: dropped", why);
		}
	}
	kout_fail(k, reason, lines->n, name, "%s: %s", msg, fate);
	/* Done: the spool moves past them. */
	if (lines->nruns == 1)
		kout_ledger_done(&k->ledger, lines->one.chunk,
				 lines->one.lines);
	for (uint32_t i = 0; lines->nruns > 1 && i < lines->nruns; i++)
		kout_ledger_done(&k->ledger, lines->runs[i].chunk,
				 lines->runs[i].lines);
	kout_lines_free(lines);
}

/* What rd_kafka_produceva() gets for one record. */
struct kout_msg {
	rd_kafka_topic_t *rkt;
	const void *value;
	size_t value_len;
	const void *key; /* NULL: no key */
	size_t key_len;
	int64_t timestamp_ms; /* 0: librdkafka's clock */
	rd_kafka_headers_t *hdrs;
	kout_token tok;
};

/* Hand msg to librdkafka (which copies value and key, and takes hdrs
 * when it accepts). RD_KAFKA_RESP_ERR_NO_ERROR, or why not. */
static rd_kafka_resp_err_t kout_produceva(struct kout *k,
					  const struct kout_msg *msg)
{
	rd_kafka_vu_t vu[8];
	size_t n = 0;
	vu[n].vtype = RD_KAFKA_VTYPE_RKT;
	vu[n++].u.rkt = msg->rkt;
	vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
	vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
	vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
	vu[n].u.mem.ptr = (void *)msg->value;
	vu[n++].u.mem.size = msg->value_len;
	vu[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
	vu[n++].u.ptr = (void *)msg->tok;
	if (msg->key) {
		vu[n].vtype = RD_KAFKA_VTYPE_KEY;
		vu[n].u.mem.ptr = (void *)msg->key;
		vu[n++].u.mem.size = msg->key_len;
	}
	if (msg->timestamp_ms) {
		vu[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
		vu[n++].u.i64 = msg->timestamp_ms;
	}
	if (msg->hdrs) {
		vu[n].vtype = RD_KAFKA_VTYPE_HEADERS;
		vu[n++].u.headers = msg->hdrs;
	}
	rd_kafka_error_t *error = rd_kafka_produceva(k->client.rk, vu, n);
	if (!error)
		return RD_KAFKA_RESP_ERR_NO_ERROR;
	rd_kafka_resp_err_t e = rd_kafka_error_code(error);
	rd_kafka_error_destroy(error);
	return e;
}

/* librdkafka holds msg now: count it in flight. */
static void kout_in_flight(struct kout *k, const struct kout_msg *msg)
{
	k->inflight_records++;
	k->inflight_metrics += kout_token_metrics(msg->tok);
	k->inflight_bytes += msg->value_len + msg->key_len;
}

/* A refusal of librdkafka's that is not for good: the queue is full (with
 * records in it, so that delivery reports will make room), or the handle
 * is unusable. KOUT_OK: the record is refused for good. */
static enum kout_result kout_refused(struct kout *k, rd_kafka_resp_err_t e)
{
	if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && k->inflight_records > 0) {
		k->blocked = true;
		return KOUT_QUEUE_FULL;
	}
	if (e == RD_KAFKA_RESP_ERR__FATAL) {
		k->fatal = true;
		return KOUT_FATAL;
	}
	/* QUEUE_FULL with an empty queue: the record alone exceeds
	 * queue.buffering.max.kbytes and would wait forever. */
	return KOUT_OK;
}

/* The record's topic handle; NULL when the record was refused for good
 * (too large, a topic that cannot be: counted, lines done). */
static rd_kafka_topic_t *kout_produce_topic(struct kout *k,
					    const struct kout_record *rec,
					    struct kout_lines *lines,
					    size_t given)
{
	size_t size = rec->value_len + rec->key_len + rec->hdr_bytes;
	if ((int64_t)size > k->cfg->max_message_bytes) {
		struct lp_slice name = rec->name.len
					   ? rec->name
					   : kout_line_name(rec->value, given);
		kout_reject(k, "message too large", lines, rec->topic,
			    rec->topic_len, rec->key, rec->key_len, rec->value,
			    given, &name,
			    "a record of %zu bytes is larger than "
			    "max_message_bytes (%lld)",
			    size, (long long)k->cfg->max_message_bytes);
		return NULL;
	}
	if (rec->topic == k->cfg->topic && k->default_rkt)
		return k->default_rkt;
	char err[512];
	const char *reason;
	rd_kafka_topic_t *rkt =
	    kout_topic_get(&k->topics, k->client.rk, rec->topic, rec->topic_len,
			   &reason, err, sizeof(err));
	if (!rkt)
		kout_reject(k, reason, lines, rec->topic, rec->topic_len,
			    rec->key, rec->key_len, rec->value, given,
			    &rec->name, "%s", err);
	return rkt;
}

/* The record's value with its '\n': rec's own, or a copy in k->scratch
 * when the line had none. NULL when out of memory. */
static const char *
kout_produce_value(struct kout *k, const struct kout_record *rec, size_t given)
{
	if (!rec->newline_missing)
		return rec->value;
	buf_clear(&k->scratch);
	char *dst = buf_reserve(&k->scratch, rec->value_len);
	if (!dst)
		return NULL;
	memcpy(dst, rec->value, given);
	dst[given] = '\n';
	return dst;
}

/* The [outputs.kafka.headers] values of rec, for librdkafka; NULL for
 * none. */
static rd_kafka_headers_t *kout_produce_headers(const struct kout *k,
						const struct kout_record *rec)
{
	if (!k->headers.n)
		return NULL;
	rd_kafka_headers_t *hdrs = rd_kafka_headers_new(k->headers.n);
	size_t start = 0;
	for (size_t i = 0; i < k->headers.n; i++) {
		rd_kafka_header_add(hdrs, k->headers.h[i].name, -1,
				    rec->hdr_values + start,
				    (ssize_t)(rec->hdr_ends[i] - start));
		start = rec->hdr_ends[i];
	}
	return hdrs;
}

enum kout_result kout_produce(struct kout *k, const struct kout_record *rec,
			      struct kout_lines *lines)
{
	/* The rejected file gets the record without the '\n' librdkafka's
	 * copy was to add (the file adds its own). */
	size_t given = rec->value_len - rec->newline_missing;
	struct kout_msg msg = {.rkt = kout_produce_topic(k, rec, lines, given)};
	if (!msg.rkt)
		return KOUT_OK;
	msg.tok = kout_token_new(&k->ledger, lines);
	if (!msg.tok) {
		k->fatal = true;
		log_error("out of memory for a record's ticket");
		return KOUT_FATAL;
	}
	msg.value = kout_produce_value(k, rec, given);
	if (!msg.value) {
		kout_token_undo(&k->ledger, msg.tok, lines);
		k->fatal = true;
		log_error("out of memory for a record of %zu bytes",
			  rec->value_len);
		return KOUT_FATAL;
	}
	msg.value_len = rec->value_len;
	msg.key = rec->key;
	msg.key_len = rec->key_len;
	msg.timestamp_ms = rec->timestamp_ms;
	msg.hdrs = kout_produce_headers(k, rec);
	rd_kafka_resp_err_t e = kout_produceva(k, &msg);
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
		kout_in_flight(k, &msg);
		k->records_produced++;
		return KOUT_OK;
	}
	if (msg.hdrs)
		rd_kafka_headers_destroy(msg.hdrs);
	kout_token_undo(&k->ledger, msg.tok, lines);
	enum kout_result r = kout_refused(k, e);
	if (r != KOUT_OK)
		return r;
	struct lp_slice name =
	    rec->name.len ? rec->name : kout_line_name(rec->value, given);
	kout_reject(k, rd_kafka_err2name(e), lines, rec->topic, rec->topic_len,
		    rec->key, rec->key_len, rec->value, given, &name,
		    "producing a record of %zu bytes to topic \"%.*s\": %s",
		    rec->value_len + rec->key_len + rec->hdr_bytes,
		    (int)(rec->topic_len > 200 ? 200 : rec->topic_len),
		    rec->topic, rd_kafka_err2str(e));
	return KOUT_OK;
}

/* Retry entry e refused for good (why: reason, then the message). */
static void kout_reject_again(struct kout *k, size_t i, const char *reason,
			      const char *why)
{
	struct kout_retry_rec *e = &k->retry.v[i];
	struct kout_lines lines;
	kout_token_undo(&k->ledger, e->tok, &lines);
	kout_reject(k, reason, &lines, e->topic, strlen(e->topic), e->key,
		    e->key_len, e->value, e->value_len, NULL, "%s", why);
	kout_retry_release(&k->retry, i);
}

enum kout_result kout_produce_again(struct kout *k, size_t i)
{
	struct kout_retry_rec *e = &k->retry.v[i];
	char err[512];
	const char *reason;
	struct kout_msg msg = {.rkt = kout_topic_get(&k->topics, k->client.rk,
						     e->topic, strlen(e->topic),
						     &reason, err, sizeof(err)),
			       .value = e->value,
			       .value_len = e->value_len,
			       .key = e->key,
			       .key_len = e->key_len,
			       .timestamp_ms = e->timestamp_ms,
			       .hdrs = e->hdrs,
			       .tok = e->tok};
	if (!msg.rkt) {
		kout_reject_again(k, i, reason, err);
		return KOUT_OK;
	}
	rd_kafka_resp_err_t code = kout_produceva(k, &msg);
	if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
		e->hdrs = NULL; /* librdkafka's now */
		kout_in_flight(k, &msg);
		k->retried_records++;
		kout_retry_release(&k->retry, i);
		return KOUT_OK;
	}
	enum kout_result r = kout_refused(k, code);
	if (r != KOUT_OK)
		return r;
	snprintf(err, sizeof(err),
		 "producing a record again to topic \"%.200s\": %s", e->topic,
		 rd_kafka_err2str(code));
	kout_reject_again(k, i, rd_kafka_err2name(code), err);
	return KOUT_OK;
}

void kout_left(struct kout *k, const char *topic, uint64_t metrics)
{
	for (size_t i = 0; i < KOUT_LEFT_TOPICS; i++) {
		struct kout_left_topic *l = &k->left[i];
		if (l->name && strcmp(l->name, topic) == 0) {
			l->metrics += metrics;
			return;
		}
		if (!l->name) {
			l->name = strdup(topic);
			l->metrics = metrics;
			return;
		}
	}
}

const char *kout_topic_trouble(struct kout *k, const char *topic,
			       int timeout_ms)
{
	const char *reason;
	char err[512];
	rd_kafka_topic_t *rkt =
	    kout_topic_get(&k->topics, k->client.rk, topic, strlen(topic),
			   &reason, err, sizeof(err));
	const struct rd_kafka_metadata *md = NULL;
	if (!rkt || rd_kafka_metadata(k->client.rk, 0, rkt, &md, timeout_ms) !=
			RD_KAFKA_RESP_ERR_NO_ERROR)
		return NULL;
	const char *why = NULL;
	if (md->topic_cnt == 1 && md->topics[0].err)
		why = rd_kafka_err2str(md->topics[0].err);
	rd_kafka_metadata_destroy(md);
	return why;
}

/* Delivery report, on the loop's thread (librdkafka's main queue). */
static void kout_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
		       void *opaque)
{
	(void)rk;
	struct kafka_client *client = opaque;
	struct kout *k = client->owner;
	kout_token t = (kout_token)m->_private;
	uint64_t nlines = kout_token_metrics(t);
	k->inflight_records--;
	k->inflight_metrics -= nlines;
	k->inflight_bytes -= m->len + m->key_len;
	if (!m->err) {
		k->delivered_metrics += nlines;
		k->delivered_records++;
		kout_token_settle(&k->ledger, t);
		return;
	}
	const char *topic = rd_kafka_topic_name(m->rkt);
	if (k->final && !kout_err_final(m->err)) {
		/* The flush deadline: nothing is produced again. The spool
		 * keeps the lines for the next start; memory mode loses
		 * them (counted by the caller's summary). */
		kout_left(k, topic, nlines);
		if (!k->spooling)
			kout_fail(k, rd_kafka_err2name(m->err), nlines, NULL,
				  NULL);
		kout_token_drop(&k->ledger, t);
		return;
	}
	if (!kout_err_final(m->err)) {
		if (kout_retry_push(&k->retry, m, t,
				    kout_token_seq(&k->ledger, t)) == 0) {
			/* Also while producing again: what is left of the
			 * round waits, so that this one is sorted back in
			 * ahead of anything newer of its key. */
			if (k->phase != KOUT_DRAINING) {
				k->phase = KOUT_DRAINING;
				k->purge_pending = true;
				k->retry_err = m->err;
			}
			return;
		}
		log_error("out of memory keeping a record to produce again");
	}
	struct lp_slice name = kout_line_name(m->payload, m->len);
	struct kout_lines lines;
	kout_token_undo(&k->ledger, t, &lines);
	kout_reject(k, rd_kafka_err2name(m->err), &lines, topic, strlen(topic),
		    m->key, m->key ? m->key_len : 0, m->payload, m->len,
		    k->router.json ? NULL : &name,
		    "delivery to topic \"%.200s\" failed: %s", topic,
		    rd_kafka_err2str(m->err));
}

void kout_set_dr_cb(rd_kafka_conf_t *conf)
{
	rd_kafka_conf_set_dr_msg_cb(conf, kout_dr_cb);
}
