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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_consumer.h"
#include "telex/lp_json.h"

void kc_record_init(struct kc_record *r)
{
	memset(r, 0, sizeof(*r));
	lp_metric_init(&r->metric);
	r->json_unit_ns = LP_JSON_DEFAULT_UNIT_NS;
}

void kc_record_free(struct kc_record *r)
{
	lp_metric_free(&r->metric);
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
	if (kc_record_apply(r, m) < 0) {
		r->st.unwritable++;
		log_limited(r->limiter, LOG_ERROR, "out of memory",
			    "%s[%d] offset %lld: out of memory changing a "
			    "metric; skipped",
			    r->cur->topic, (int)r->cur->partition,
			    (long long)r->cur->offset);
		return;
	}
	int rc = r->sink.emit(r->sink.arg, m);
	if (rc > 0)
		r->st.metrics++;
	else if (rc == 0)
		r->st.filtered++;
	else if (r->sink.broken(r->sink.arg))
		r->broken = true;
	else
		r->st.unwritable++; /* the shim has logged why */
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
	int rc;
	lp_reader_init(&rd, msg->payload, msg->len);
	while (!r->broken && (rc = lp_reader_next(&rd, &r->metric, &err)))
		if (rc > 0)
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
	r->st.records++;
	if (!msg->payload || msg->len == 0) {
		r->st.empty++;
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
	if (r->format == KC_FORMAT_JSON)
		kc_record_json(r, msg);
	else
		kc_record_influx(r, msg);
	r->cur = NULL;
	return r->broken ? -1 : 0;
}
