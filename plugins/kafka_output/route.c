/*
 * route.c: what the record of one metric looks like, as the native
 * outputs.kafka builds it: topic (topic, topic_tag, topic_suffix), key
 * (routing_tag, else routing_key, "random" = a UUIDv4), timestamp
 * (producer_timestamp), headers, and the value: the metric's own bytes and
 * a '\n' when nothing about it changes (the fast path: the line is not
 * even parsed unless a tag, the name or a field is needed), else the
 * re-serialised metric (exclude_topic_tag, data_format = "json").
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "kafka_output.h"
#include "telex/lp_json.h"

void kout_router_init(struct kout_router *r, const struct kout_config *cfg,
		      const struct kout_headers *hs)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->headers = hs;
	r->json = strcmp(cfg->data_format, "json") == 0;
	r->timestamp_from_metric = strcmp(cfg->producer_timestamp, "now") != 0;
	r->need_parse =
	    (cfg->topic_tag && *cfg->topic_tag) ||
	    (cfg->routing_tag && *cfg->routing_tag) || hs->n > 0 ||
	    (cfg->topic_suffix.method && *cfg->topic_suffix.method) || r->json;
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
	size_t i = 0;
	while (i < len && p[i] == ' ')
		i++;
	size_t start = i;
	while (i < len && p[i] != ',' && p[i] != ' ') {
		if (p[i] == '\\' && i + 1 < len)
			i++;
		i++;
	}
	/* Raw text, escapes included: it is only ever shown in messages. */
	return (struct lp_slice){.ptr = p + start, .len = i - start};
}

/* The timestamp of a valid line without parsing it: the last word, when
 * it is an integer. Fields are key=value pairs and strings end with a
 * quote, so a bare integer after the last space can only be the time. */
static bool kout_scan_time(const char *p, size_t len, int64_t *ns)
{
	while (len && p[len - 1] == ' ')
		len--;
	size_t i = len;
	while (i && p[i - 1] >= '0' && p[i - 1] <= '9')
		i--;
	if (i == len)
		return false;
	size_t digits = i;
	bool neg = i && p[i - 1] == '-';
	if (neg)
		i--;
	if (!i || p[i - 1] != ' ')
		return false;
	uint64_t v = 0;
	for (size_t j = digits; j < len; j++)
		v = v * 10 + (uint64_t)(p[j] - '0');
	*ns = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static int64_t kout_timestamp_ms(bool has_time, int64_t ns)
{
	/* Kafka has no negative timestamps; 0 asks librdkafka for now. */
	if (!has_time || ns < 0)
		return 0;
	return ns / 1000000;
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

static int kout_append_unescaped(struct buf *out, const struct lp_slice *s)
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
	struct lp_metric *m = &r->m;
	const struct kout_topic_suffix *sfx = &c->topic_suffix;
	bool suffix = sfx->method && *sfx->method;
	const struct lp_tag *tag = NULL;
	if (c->topic_tag && *c->topic_tag)
		tag = lp_metric_find_tag(m, c->topic_tag, strlen(c->topic_tag));
	if (!tag && !suffix)
		return 0; /* the configured topic, set by the caller */
	buf_clear(&r->topic);
	if (tag) {
		if (kout_append_unescaped(&r->topic, &tag->value))
			return -1;
		if (c->exclude_topic_tag)
			lp_metric_remove_tag(m, (size_t)(tag - m->tags));
	} else if (buf_append(&r->topic, c->topic, strlen(c->topic))) {
		return -1;
	}
	const char *sep = sfx->separator ? sfx->separator : "";
	if (suffix && strcmp(sfx->method, "measurement") == 0) {
		if (buf_append(&r->topic, sep, strlen(sep)) ||
		    kout_append_unescaped(&r->topic, &m->name))
			return -1;
	} else if (suffix) {
		/* "tags": the values of the keys, missing ones skipped. */
		for (size_t i = 0; i < sfx->keys.n; i++) {
			const char *k = sfx->keys.v[i];
			const struct lp_tag *t =
			    lp_metric_find_tag(m, k, strlen(k));
			if (!t || !t->value.len)
				continue;
			if (buf_append(&r->topic, sep, strlen(sep)) ||
			    kout_append_unescaped(&r->topic, &t->value))
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
	if (c->routing_tag && *c->routing_tag) {
		const struct lp_tag *t = lp_metric_find_tag(
		    &r->m, c->routing_tag, strlen(c->routing_tag));
		if (t) {
			buf_clear(&r->key);
			if (kout_append_unescaped(&r->key, &t->value))
				return -1;
			rec->key = r->key.data;
			rec->key_len = r->key.len;
			return 0;
		}
	}
	if (!c->routing_key || !*c->routing_key)
		return 0;
	if (strcmp(c->routing_key, "random") == 0) {
		buf_clear(&r->key);
		char *dst = buf_reserve(&r->key, 36);
		if (!dst)
			return -1;
		kout_uuid4(r, dst);
		r->key.len = 36;
		rec->key = r->key.data;
		rec->key_len = 36;
		return 0;
	}
	rec->key = c->routing_key;
	rec->key_len = strlen(c->routing_key);
	return 0;
}

static int kout_route_value(struct kout_router *r, const char *p, size_t len,
			    struct kout_record *rec, char *err, size_t errlen)
{
	struct lp_error lerr;
	buf_clear(&r->value);
	int rc = 0;
	if (r->json) {
		rc = lp_json_write(&r->value, &r->m,
				   r->cfg->json_timestamp_units, &lerr);
		if (rc == 0)
			rc = buf_putc(&r->value, '\n');
	} else if (r->m.modified) {
		rc = lp_write_metric(&r->value, &r->m, LP_WRITE_UINT, &lerr);
	} else {
		return 1; /* the original bytes */
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", lerr.msg);
		return -1;
	}
	(void)p;
	(void)len;
	rec->value = r->value.data;
	rec->value_len = r->value.len;
	return 0;
}

int kout_route(struct kout_router *r, const char *p, size_t len, size_t line_no,
	       struct kout_record *rec, char *err, size_t errlen)
{
	const struct kout_config *c = r->cfg;
	rec->topic = c->topic;
	rec->topic_len = strlen(c->topic);
	rec->key = NULL;
	rec->key_len = 0;
	rec->hdr_values = NULL;
	rec->hdr_bytes = 0;
	rec->timestamp_ms = 0;
	rec->name = (struct lp_slice){0};

	int64_t ns = 0;
	bool has_time = false;
	int vrc = 1;
	if (r->need_parse) {
		struct lp_error lerr;
		if (lp_parse_line(p, len, line_no, &r->m, &lerr) < 0) {
			snprintf(err, errlen, "%s", lerr.msg);
			return -1;
		}
		rec->name = r->m.name;
		has_time = r->m.has_time;
		ns = r->m.time;
		if (kout_route_topic(r, rec) || kout_route_key(r, rec))
			goto oom;
		if (r->headers->n) {
			buf_clear(&r->hdr);
			if (kout_headers_eval(r->headers, &r->m, &r->hdr,
					      rec->hdr_ends))
				goto oom;
			rec->hdr_values = r->hdr.data;
			rec->hdr_bytes = r->hdr.len;
			for (size_t i = 0; i < r->headers->n; i++)
				rec->hdr_bytes += strlen(r->headers->h[i].name);
		}
		vrc = kout_route_value(r, p, len, rec, err, errlen);
		if (vrc < 0)
			return -1;
	} else {
		if (kout_route_key(r, rec))
			goto oom;
		if (r->timestamp_from_metric)
			has_time = kout_scan_time(p, len, &ns);
	}
	if (r->timestamp_from_metric)
		rec->timestamp_ms = kout_timestamp_ms(has_time, ns);
	if (vrc > 0) {
		/* The original bytes and the '\n' that ends a record. */
		buf_clear(&r->value);
		char *dst = buf_reserve(&r->value, len + 1);
		if (!dst)
			goto oom;
		memcpy(dst, p, len);
		dst[len] = '\n';
		r->value.len = len + 1;
		rec->value = r->value.data;
		rec->value_len = len + 1;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}
