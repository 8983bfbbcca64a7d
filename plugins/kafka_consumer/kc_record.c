/*
 * kc_record.c: one Kafka record to metrics on stdout.
 *
 * A record may hold many metrics (several lines of line protocol, or a JSON
 * {"metrics":[...]} batch). Each metric is parsed on its own: a bad line
 * costs that line only, never its neighbours (the native plugin drops the
 * whole record). Valid metrics get the native plugin's changes, in its
 * order: header tags and the header name (record header order, the last
 * one wins), then topic_tag, then the timestamp source. A metric nothing
 * changed goes out as its original bytes; a changed one is re-serialised
 * by the shim.
 *
 * A header value becomes part of a line, so it must pass what any line
 * passes: once per record, each value that will be used is written into a
 * probe line and read back, and must come back valid and unchanged (a name
 * starting with '#' reads as a comment, a trailing backslash is lost,
 * invalid UTF-8 is refused by the parser). If one does not, the record's
 * metrics are skipped as invalid and logged with the header's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"
#include "telex/lp_json.h"

void kc_record_init(struct kc_record *r)
{
	memset(r, 0, sizeof(*r));
	lp_metric_init(&r->metric);
	lp_metric_init(&r->probe);
	r->probe_buf = (struct buf)BUF_INIT;
	r->json_unit_ns = LP_JSON_DEFAULT_UNIT_NS;
}

void kc_record_free(struct kc_record *r)
{
	lp_metric_free(&r->metric);
	lp_metric_free(&r->probe);
	buf_free(&r->probe_buf);
}

bool kc_record_wants_headers(const struct kc_record *r)
{
	return r->nheader_tags || r->name_header;
}

static bool kc_record_is_tag_header(const struct kc_record *r, const char *name)
{
	for (size_t i = 0; i < r->nheader_tags; i++)
		if (strcmp(r->header_tags[i], name) == 0)
			return true;
	return false;
}

/*
 * Whether line protocol carries v[0..len) unchanged as the measurement
 * (tag_key NULL) or as the value of tag tag_key: a probe line with it is
 * written as the shim would write it, then parsed. NULL when it does, else
 * why not. An empty tag value is fine: the tag is left out, as Telegraf
 * does.
 */
static const char *kc_record_probe(struct kc_record *r, const char *tag_key,
				   const char *v, size_t len,
				   struct lp_error *e)
{
	struct lp_metric *m = &r->probe;
	if (tag_key && len == 0)
		return NULL;
	if (!tag_key && len && v[0] == '#')
		return "a line starting with it reads as a comment";
	lp_metric_reset(m);
	int rc =
	    tag_key ? lp_metric_set_name(m, "m", 1) ||
			  lp_metric_add_tag(m, tag_key, strlen(tag_key), v, len)
		    : lp_metric_set_name(m, v, len);
	if (rc || lp_metric_add_int(m, "f", 1, 1))
		return "out of memory";
	r->probe_buf.len = 0;
	if (lp_write_metric(&r->probe_buf, m, 0, e) < 0)
		return tag_key ? "line protocol cannot carry it as a tag value "
				 "(empty, a control character, not UTF-8)"
			       : "line protocol cannot carry it as a "
				 "measurement (empty, a control character, not "
				 "UTF-8)";
	if (lp_parse_line(r->probe_buf.data, r->probe_buf.len - 1, 1, m, e) < 0)
		return e->msg;
	if (!tag_key)
		return lp_slice_eq(&m->name, v, len)
			   ? NULL
			   : "line protocol cannot carry it unchanged as a "
			     "measurement (a trailing backslash is lost)";
	const struct lp_tag *t =
	    lp_metric_find_tag(m, tag_key, strlen(tag_key));
	return t && lp_slice_eq(&t->value, v, len)
		   ? NULL
		   : "line protocol cannot carry it unchanged as a tag value "
		     "(a trailing backslash is lost)";
}

static bool kc_record_later_header(const struct kc_msg *msg, size_t i)
{
	for (size_t k = i + 1; k < msg->nheaders; k++)
		if (strcmp(msg->headers[k].name, msg->headers[i].name) == 0)
			return true;
	return false;
}

/* Kafka's own topic names: [a-zA-Z0-9._-], nothing to check. */
static bool kc_record_plain_topic(const char *topic)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	return topic[0] && topic[strspn(topic, ok)] == '\0';
}

/* Check, once per record, every header value (the last of each name) and
 * the topic the metrics will get. */
static void kc_record_check_headers(struct kc_record *r,
				    const struct kc_msg *msg)
{
	struct lp_error e;
	memset(&e, 0, sizeof(e));
	r->bad_header = false;
	for (size_t i = 0; i < msg->nheaders; i++) {
		const struct kc_header *h = &msg->headers[i];
		bool tag = kc_record_is_tag_header(r, h->name);
		bool name = !tag && r->name_header &&
			    strcmp(h->name, r->name_header) == 0;
		if ((!tag && !name) || kc_record_later_header(msg, i))
			continue;
		const char *why =
		    kc_record_probe(r, tag ? h->name : NULL,
				    h->value ? h->value : "", h->len, &e);
		if (why) {
			char v[160];
			lp_quote_token(v, sizeof(v), h->value ? h->value : "",
				       h->len);
			snprintf(r->bad_why, sizeof(r->bad_why),
				 "header \"%.64s\" (%s) = %s: %s", h->name,
				 tag ? "msg_headers_as_tags"
				     : "msg_header_as_metric_name",
				 v, why);
			r->bad_header = true;
			return;
		}
	}
	if (r->topic_tag && !kc_record_plain_topic(msg->topic)) {
		const char *why = kc_record_probe(r, r->topic_tag, msg->topic,
						  strlen(msg->topic), &e);
		if (why) {
			snprintf(r->bad_why, sizeof(r->bad_why),
				 "topic_tag \"%s\": the topic name: %s",
				 r->topic_tag, why);
			r->bad_header = true;
		}
	}
}

/* The native plugin's changes to one metric of the current record. */
static int kc_record_apply(struct kc_record *r, struct lp_metric *m)
{
	const struct kc_msg *msg = r->cur;
	for (size_t i = 0; i < msg->nheaders; i++) {
		const struct kc_header *h = &msg->headers[i];
		if (kc_record_is_tag_header(r, h->name)) {
			if (lp_metric_set_tag_copy(m, h->name, strlen(h->name),
						   h->value ? h->value : "",
						   h->len))
				return -1;
		} else if (r->name_header &&
			   strcmp(h->name, r->name_header) == 0) {
			if (lp_metric_set_name_copy(m, h->value ? h->value : "",
						    h->len))
				return -1;
		}
	}
	if (r->topic_tag &&
	    lp_metric_set_tag_copy(m, r->topic_tag, r->topic_tag_len,
				   msg->topic, strlen(msg->topic)))
		return -1;
	/* librdkafka exposes one timestamp per record (create or log-append
	 * time); Sarama's "outer" batch timestamp has no equivalent, so
	 * outer means the same as inner. */
	if (r->ts_source != KC_TS_METRIC && msg->timestamp_ms >= 0)
		lp_metric_set_time(m, msg->timestamp_ms * 1000000);
	return 0;
}

static void kc_record_emit(struct kc_record *r, struct lp_metric *m)
{
	if (r->bad_header) {
		r->st.invalid++;
		log_limited(r->limiter, LOG_WARN, "invalid header",
			    "%s[%d] offset %lld: metric skipped: %s",
			    r->cur->topic, (int)r->cur->partition,
			    (long long)r->cur->offset, r->bad_why);
		return;
	}
	if (kc_record_apply(r, m) < 0) {
		r->st.unwritable++;
		log_limited(r->limiter, LOG_ERROR, "out of memory",
			    "%s[%d] offset %lld: out of memory changing a "
			    "metric; skipped",
			    r->cur->topic, (int)r->cur->partition,
			    (long long)r->cur->offset);
		return;
	}
	switch (r->sink.emit(r->sink.arg, m)) {
	case TELEX_EMIT_QUEUED:
		r->st.metrics++;
		break;
	case TELEX_EMIT_FILTERED:
		r->st.filtered++;
		break;
	case TELEX_EMIT_UNWRITABLE:
		if (r->sink.broken(r->sink.arg))
			r->broken = true;
		else
			r->st.unwritable++; /* the shim has logged why */
		break;
	}
}

static void kc_record_invalid(struct kc_record *r, const struct lp_error *e)
{
	char why[256];
	r->st.invalid++;
	log_limited(r->limiter, LOG_WARN, "invalid line",
		    "%s[%d] offset %lld: invalid metric skipped: %s",
		    r->cur->topic, (int)r->cur->partition,
		    (long long)r->cur->offset,
		    lp_error_format(e, why, sizeof(why)));
}

static void kc_record_influx(struct kc_record *r, const struct kc_msg *msg)
{
	struct lp_reader rd;
	struct lp_error err;
	enum lp_read_result rc;
	lp_reader_init(&rd, msg->payload, msg->len);
	while (!r->broken &&
	       (rc = lp_reader_next(&rd, &r->metric, &err)) != LP_READ_END)
		if (rc == LP_READ_METRIC)
			kc_record_emit(r, &r->metric);
		else
			kc_record_invalid(r, &err);
}

static int kc_record_json_cb(void *arg, struct lp_metric *m)
{
	struct kc_record *r = arg;
	kc_record_emit(r, m);
	return r->broken ? 1 : 0;
}

static void kc_record_json(struct kc_record *r, const struct kc_msg *msg)
{
	struct lp_error err;
	memset(&err, 0, sizeof(err));
	int skipped = lp_json_read(msg->payload, msg->len, r->json_unit_ns,
				   &r->metric, kc_record_json_cb, r, &err);
	if (r->broken)
		return;
	if (skipped < 0) {
		r->st.invalid++;
		log_limited(r->limiter, LOG_WARN, "invalid JSON",
			    "%s[%d] offset %lld: record is not JSON metrics, "
			    "skipped: %s",
			    msg->topic, (int)msg->partition,
			    (long long)msg->offset, err.msg);
	} else if (skipped > 0) {
		r->st.invalid += (uint64_t)skipped;
		log_limited(r->limiter, LOG_WARN, "invalid JSON metric",
			    "%s[%d] offset %lld: %d JSON metric(s) skipped, "
			    "the last because: %s",
			    msg->topic, (int)msg->partition,
			    (long long)msg->offset, skipped, err.msg);
	}
}

int kc_record_process(struct kc_record *r, const struct kc_msg *msg)
{
	r->cur = msg;
	r->broken = false;
	r->bad_header = false;
	r->st.records++;
	if (!msg->payload || msg->len == 0) {
		r->st.empty++;
		log_limited(r->limiter, LOG_WARN, "empty record",
			    "%s[%d] offset %lld: record without a value (%s); "
			    "skipped",
			    msg->topic, (int)msg->partition,
			    (long long)msg->offset,
			    msg->payload ? "empty" : "null");
		return 0;
	}
	if (r->max_len && msg->len > r->max_len) {
		r->st.oversize++;
		log_limited(r->limiter, LOG_WARN, "record too large",
			    "%s[%d] offset %lld: record of %zu bytes exceeds "
			    "max_message_len (%zu); skipped",
			    msg->topic, (int)msg->partition,
			    (long long)msg->offset, msg->len, r->max_len);
		return 0;
	}
	if ((msg->nheaders && kc_record_wants_headers(r)) || r->topic_tag)
		kc_record_check_headers(r, msg);
	if (r->format == KC_FORMAT_JSON)
		kc_record_json(r, msg);
	else
		kc_record_influx(r, msg);
	r->cur = NULL;
	return r->broken ? -1 : 0;
}
