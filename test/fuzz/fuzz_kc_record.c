/*
 * fuzz_kc_record.c: telex-kafka-consumer's record-to-lines path
 * (kc_record_process): a record's value (line protocol or JSON), its
 * headers, its topic and the options that use them (topic_tag,
 * msg_headers_as_tags, msg_header_as_metric_name, timestamp_source,
 * max_message_len), and a stdout that breaks.
 *
 * Input: 5 bytes of settings, the topic, the headers, then the value:
 *   [0] flags: 1 topic_tag, 2 name header, 4 header tags, 8 JSON,
 *       16 timestamp_source = inner, 32 topic of Kafka's characters,
 *       64 stdout breaks, 128 max_message_len
 *   [1] headers (0-7)  [2] topic length  [3] metrics before stdout breaks
 *   [4] max_message_len
 *   topic bytes; per header: name (a byte: one of four), value length
 *   (255: a null value), value bytes; the rest is the record's value.
 *
 * Every line written must be one valid metric of line protocol, and carry
 * the values it was given unchanged: the measurement is the last name
 * header's value, each header tag the last value of its header (absent
 * when empty), the topic tag the topic. Counters must add up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/kafka_consumer/kc.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static char *const fz_names[] = {"dc", "name", "rack", "topic"};

struct fz {
	struct kc_record r;
	struct buf out;
	struct lp_metric back;
	int emitted, fail_after;
	bool broken;
	const struct kc_msg *msg;
};

/* The last header named `name` in the record, or NULL. */
static const struct kc_header *fz_last(const struct kc_msg *msg,
				       const char *name)
{
	const struct kc_header *h = NULL;
	for (size_t i = 0; i < msg->nheaders; i++)
		if (strcmp(msg->headers[i].name, name) == 0)
			h = &msg->headers[i];
	return h;
}

/* What was written for one metric: a valid line holding what it was
 * given. */
static void fz_check_line(struct fz *z, const char *p, size_t len)
{
	check(len > 0 && p[len - 1] == '\n');
	/* One metric: the splitter ends it at its own '\n'. */
	struct lp_splitter s;
	lp_splitter_init(&s);
	size_t text;
	check(lp_split_next(&s, p, len, &text) == len);
	check(lp_parse_line(p, text, 1, &z->back, NULL) == 0);
	const struct kc_record *r = &z->r;
	const struct kc_msg *msg = z->msg;
	if (r->name_header) {
		const struct kc_header *h = fz_last(msg, r->name_header);
		if (h)
			check(lp_slice_eq(&z->back.name,
					  h->value ? h->value : "", h->len));
	}
	for (size_t i = 0; i < r->nheader_tags; i++) {
		const char *k = r->header_tags[i];
		const struct kc_header *h = fz_last(msg, k);
		if (!h || (r->topic_tag && strcmp(k, r->topic_tag) == 0))
			continue;
		const struct lp_tag *t =
		    lp_metric_find_tag(&z->back, k, strlen(k));
		if (h->len == 0)
			check(t == NULL);
		else
			check(t && lp_slice_eq(&t->value, h->value, h->len));
	}
	if (r->topic_tag) {
		const struct lp_tag *t = lp_metric_find_tag(
		    &z->back, r->topic_tag, r->topic_tag_len);
		check(t &&
		      lp_slice_eq(&t->value, msg->topic, strlen(msg->topic)));
	}
}

/* What telex_emit() does with a metric, then the checks. */
static enum telex_emit_result fz_emit(void *arg, struct lp_metric *m)
{
	struct fz *z = arg;
	if (z->fail_after >= 0 && z->emitted >= z->fail_after) {
		z->broken = true;
		return TELEX_EMIT_UNWRITABLE;
	}
	size_t start = z->out.len;
	if (m->line.ptr && !m->modified) {
		if (buf_append(&z->out, m->line.ptr, m->line.len) < 0 ||
		    buf_putc(&z->out, '\n') < 0)
			return TELEX_EMIT_UNWRITABLE;
	} else {
		struct lp_error e;
		if (lp_write_metric(&z->out, m, 0, &e) < 0)
			return TELEX_EMIT_UNWRITABLE;
	}
	z->emitted++;
	fz_check_line(z, z->out.data + start, z->out.len - start);
	z->out.len = 0;
	return TELEX_EMIT_QUEUED;
}

static bool fz_broken(void *arg)
{
	return ((struct fz *)arg)->broken;
}

static void fz_topic(const uint8_t *p, size_t n, bool plain, char *topic)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	for (size_t i = 0; i < n; i++) {
		char c = (char)p[i];
		if (plain)
			c = ok[p[i] % (sizeof(ok) - 1)];
		topic[i] = c ? c : '0';
	}
	topic[n] = '\0';
	if (n == 0)
		strcpy(topic, "metrics");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	uint8_t flags = data[0], nh = data[1] % 8, tlen = data[2] % 32;
	size_t pos = 5;
	if (size - pos < tlen)
		return 0;
	char topic[33];
	fz_topic(data + pos, tlen, flags & 32, topic);
	pos += tlen;
	struct kc_header h[8];
	for (size_t i = 0; i < nh; i++) {
		if (size - pos < 2)
			return 0;
		const char *name = fz_names[data[pos] % 4];
		size_t vlen = data[pos + 1];
		pos += 2;
		if (vlen == 255) {
			h[i] = (struct kc_header){name, NULL, 0};
			continue;
		}
		if (size - pos < vlen)
			return 0;
		h[i] = (struct kc_header){name, (const char *)data + pos, vlen};
		pos += vlen;
	}

	static struct fz z;
	static bool ready;
	if (!ready) {
		log_set_level(LOG_ERROR);
		z.out = (struct buf)BUF_INIT;
		lp_metric_init(&z.back);
		ready = true;
	}
	struct log_limiter lim = {0};
	kc_record_init(&z.r);
	z.r.limiter = &lim;
	z.r.sink = (struct kc_sink){fz_emit, fz_broken, &z};
	if (flags & 1) {
		z.r.topic_tag = "topic";
		z.r.topic_tag_len = 5;
	}
	if (flags & 2)
		z.r.name_header = "name";
	/* As kc_main.c sets them: the name header is never a tag. */
	char *tags[3];
	if (flags & 4) {
		tags[z.r.nheader_tags++] = "dc";
		tags[z.r.nheader_tags++] = "rack";
		if (!(flags & 2))
			tags[z.r.nheader_tags++] = "name";
		z.r.header_tags = tags;
	}
	z.r.format = flags & 8 ? KC_FORMAT_JSON : KC_FORMAT_INFLUX;
	z.r.ts_source = flags & 16 ? KC_TS_INNER : KC_TS_METRIC;
	if (flags & 128)
		z.r.max_len = data[4];
	z.fail_after = flags & 64 ? data[3] : -1;
	z.emitted = 0;
	z.broken = false;

	struct kc_msg msg = {.topic = topic,
			     .partition = 1,
			     .offset = 5,
			     .payload =
				 size > pos ? (const char *)data + pos : NULL,
			     .len = size - pos,
			     .timestamp_ms = flags & 16 ? 1700000000123 : -1,
			     .headers = h,
			     .nheaders = nh};
	z.msg = &msg;
	int rc = kc_record_process(&z.r, &msg);
	const struct kc_record_stats *st = &z.r.st;
	check(rc == (z.broken ? -1 : 0));
	check(st->records == 1);
	check(st->metrics == (uint64_t)z.emitted);
	check(st->empty + st->oversize <= 1);
	if (st->empty || st->oversize)
		check(st->metrics == 0 && st->invalid == 0);
	if (z.r.bad_header)
		check(st->metrics == 0);
	kc_record_free(&z.r);
	return 0;
}
