/*
 * kout_route.c: what the record of one metric looks like, as the native
 * outputs.kafka builds it: topic (topic, topic_tag, topic_suffix), key
 * (routing_tag, else routing_key, "random" = a UUIDv4), timestamp
 * (producer_timestamp), headers, and the value: the metric's own bytes and
 * a '\n' when nothing about it changes, else the re-serialised metric
 * (exclude_topic_tag, data_format = "json").
 *
 * A line is looked at no more than the options need (the shim already
 * validated it): not at all when only the timestamp matters
 * (lp_line_time: the last word of the line); its series key only
 * (lp_skim_series_key: measurement and tags) when routing needs tags; a
 * full lp_parse_line() when headers, exclude_topic_tag or json need
 * fields or a changed metric. All three are the line-protocol library's,
 * so they read a line as the parser does.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "kout.h"
#include "telex/lp_json.h"

static size_t kout_len(const char *s)
{
	return s ? strlen(s) : 0;
}

void kout_router_init(struct kout_router *r, const struct kout_config *cfg,
		      const struct kout_headers *hs)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->headers = hs;
	r->json = strcmp(cfg->data_format, "json") == 0;
	r->timestamp_from_metric = strcmp(cfg->producer_timestamp, "now") != 0;
	r->topic_len = kout_len(cfg->topic);
	r->topic_tag_len = kout_len(cfg->topic_tag);
	r->routing_tag_len = kout_len(cfg->routing_tag);
	r->routing_key_len = kout_len(cfg->routing_key);
	r->random_key = cfg->routing_key && !strcmp(cfg->routing_key, "random");
	bool suffix = cfg->topic_suffix.method && *cfg->topic_suffix.method;
	if (hs->n || r->json || (r->topic_tag_len && cfg->exclude_topic_tag))
		r->mode = KOUT_PARSE;
	else if (r->topic_tag_len || r->routing_tag_len || suffix)
		r->mode = KOUT_SCAN;
	else
		r->mode = KOUT_BYTES;
	r->random_used = sizeof(r->random);
	lp_metric_init(&r->m);
}

void kout_router_free(struct kout_router *r)
{
	lp_metric_free(&r->m);
	buf_free(&r->topic);
	buf_free(&r->key);
	buf_free(&r->value);
	buf_free(&r->hdr);
}

struct lp_slice kout_line_name(const char *p, size_t len)
{
	return lp_line_name(p, len);
}

/* A tag of this line: its series key or whole metric is in r->m. */
static bool kout_tag(const struct kout_router *r, const char *key, size_t klen,
		     struct lp_slice *value)
{
	const struct lp_tag *t = lp_metric_find_tag(&r->m, key, klen);
	if (t)
		*value = t->value;
	return t != NULL;
}

void kout_uuid4(struct kout_router *r, char out[36])
{
	static const char hex[] = "0123456789abcdef";
	if (r->random_used + 16 > sizeof(r->random)) {
		size_t got = 0;
		while (got < sizeof(r->random)) {
			ssize_t n = getrandom(r->random + got,
					      sizeof(r->random) - got, 0);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		r->random_used = 0;
	}
	uint8_t *b = r->random + r->random_used;
	r->random_used += 16;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
}

int kout_append_unescaped(struct buf *out, const struct lp_slice *s)
{
	char *dst = buf_reserve(out, s->len + 1);
	if (!dst)
		return -1;
	out->len += lp_unescape(s, dst);
	return 0;
}

/* topic, topic_tag (+ exclude_topic_tag), topic_suffix, into r->topic. */
static int kout_route_topic(struct kout_router *r, struct kout_record *rec)
{
	const struct kout_config *c = r->cfg;
	const struct kout_topic_suffix *sfx = &c->topic_suffix;
	bool suffix = sfx->method && *sfx->method;
	struct lp_slice tag;
	bool has_tag = r->topic_tag_len &&
		       kout_tag(r, c->topic_tag, r->topic_tag_len, &tag);
	if (!has_tag && !suffix)
		return 0; /* the configured topic, set by the caller */
	buf_clear(&r->topic);
	if (has_tag) {
		if (kout_append_unescaped(&r->topic, &tag))
			return -1;
		/* Telegraf removes it before the suffix, key and headers
		 * are computed; the value was copied above. */
		if (c->exclude_topic_tag && r->parsed) {
			const struct lp_tag *t = lp_metric_find_tag(
			    &r->m, c->topic_tag, r->topic_tag_len);
			lp_metric_remove_tag(&r->m, (size_t)(t - r->m.tags));
		}
	} else if (buf_append(&r->topic, c->topic, r->topic_len)) {
		return -1;
	}
	const char *sep = sfx->separator ? sfx->separator : "";
	if (suffix && strcmp(sfx->method, "measurement") == 0) {
		if (buf_append(&r->topic, sep, strlen(sep)) ||
		    kout_append_unescaped(&r->topic, &r->m.name))
			return -1;
	} else if (suffix) {
		/* "tags": the values of the keys, missing ones skipped. */
		for (size_t i = 0; i < sfx->keys.n; i++) {
			const char *k = sfx->keys.v[i];
			struct lp_slice v;
			if (!kout_tag(r, k, strlen(k), &v) || !v.len)
				continue;
			if (buf_append(&r->topic, sep, strlen(sep)) ||
			    kout_append_unescaped(&r->topic, &v))
				return -1;
		}
	}
	rec->topic = r->topic.data;
	rec->topic_len = r->topic.len;
	return 0;
}

/* routing_tag, else routing_key ("random": a UUIDv4), else no key. */
static int kout_route_key(struct kout_router *r, struct kout_record *rec)
{
	const struct kout_config *c = r->cfg;
	struct lp_slice v;
	if (r->routing_tag_len && r->mode != KOUT_BYTES &&
	    kout_tag(r, c->routing_tag, r->routing_tag_len, &v)) {
		if (!v.escaped) {
			/* The bytes of the line itself: no copy. */
			rec->key = v.ptr;
			rec->key_len = v.len;
			return 0;
		}
		buf_clear(&r->key);
		if (kout_append_unescaped(&r->key, &v))
			return -1;
		rec->key = r->key.data;
		rec->key_len = r->key.len;
		return 0;
	}
	if (r->random_key) {
		buf_clear(&r->key);
		char *dst = buf_reserve(&r->key, 36);
		if (!dst)
			return -1;
		kout_uuid4(r, dst);
		r->key.len = 36;
		rec->key = r->key.data;
		rec->key_len = 36;
	} else if (r->routing_key_len) {
		rec->key = c->routing_key;
		rec->key_len = r->routing_key_len;
	}
	return 0;
}

/* The value when it is not the line's own bytes. */
static int kout_route_value(struct kout_router *r, struct kout_record *rec,
			    char *err, size_t errlen)
{
	struct lp_error lerr;
	int rc;
	buf_clear(&r->value);
	if (r->json) {
		rc = lp_json_write(&r->value, &r->m,
				   r->cfg->json_timestamp_units, &lerr);
		if (rc == 0)
			rc = buf_putc(&r->value, '\n');
	} else {
		rc = lp_write_metric(&r->value, &r->m, LP_WRITE_UINT, &lerr);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", lerr.msg);
		return -1;
	}
	rec->value = r->value.data;
	rec->value_len = r->value.len;
	return 0;
}

static int kout_route_headers(struct kout_router *r, struct kout_record *rec)
{
	buf_clear(&r->hdr);
	if (kout_headers_eval(r->headers, &r->m, &r->hdr, rec->hdr_ends))
		return -1;
	rec->hdr_values = r->hdr.data;
	rec->hdr_bytes = r->hdr.len;
	for (size_t i = 0; i < r->headers->n; i++)
		rec->hdr_bytes += strlen(r->headers->h[i].name);
	return 0;
}

int kout_route(struct kout_router *r, const char *p, size_t len, size_t line_no,
	       struct kout_record *rec, char *err, size_t errlen)
{
	/* Field by field: hdr_ends is large and only set with headers. */
	rec->topic = r->cfg->topic;
	rec->topic_len = r->topic_len;
	rec->key = NULL;
	rec->key_len = 0;
	rec->hdr_values = NULL;
	rec->hdr_bytes = 0;
	rec->timestamp_ms = 0;
	rec->newline_missing = false;
	rec->name.ptr = NULL;
	rec->name.len = 0;
	rec->name.escaped = 0;
	int64_t ns = 0;
	bool has_time = false;
	/* r->m: the series key (KOUT_SCAN) or the whole metric (parsed). */
	r->parsed = r->mode == KOUT_PARSE;
	if (r->mode != KOUT_BYTES) {
		/* The shim validated the line: its series key is skimmed;
		 * the parser says what is wrong when that fails. */
		struct lp_error lerr;
		int rc = r->parsed
			     ? lp_parse_line(p, len, line_no, &r->m, &lerr)
			     : lp_skim_series_key(p, len, &r->m);
		if (rc < 0 && !r->parsed)
			rc = lp_parse_series_key(p, len, line_no, &r->m, &lerr);
		if (rc < 0) {
			snprintf(err, errlen, "%s", lerr.msg);
			return -1;
		}
		rec->name = r->m.name;
	}
	if (r->parsed) {
		has_time = r->m.has_time;
		ns = r->m.time;
	} else if (r->timestamp_from_metric) {
		has_time = lp_line_time(p, len, &ns);
	}
	if (kout_route_topic(r, rec) || kout_route_key(r, rec) ||
	    (r->headers->n && kout_route_headers(r, rec)))
		goto oom;
	/* Kafka has no negative timestamps; 0 asks librdkafka for now. */
	if (r->timestamp_from_metric && has_time && ns >= 0)
		rec->timestamp_ms = ns / 1000000;
	if (r->parsed && (r->json || r->m.modified))
		return kout_route_value(r, rec, err, errlen);
	/* The original bytes; the '\n' that ends a record is added where
	 * they are copied (librdkafka's copy, or a pack). */
	rec->value = p;
	rec->value_len = len + 1;
	rec->newline_missing = true;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}
