/*
 * fuzz_kafka_route.c: telex-kafka-output's reading of lines and header
 * templates. Any bytes compile as a header template or fail cleanly. For a
 * line the shim would accept (lp_validate_line), the record's key, topic
 * and timestamp come out the same whether telex-kafka-output read the
 * series key only and the time from the line's end (its fast paths:
 * lp_parse_series_key, lp_line_time) or the line was parsed: a
 * differential check of routing against lp_parse_line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kafka_output/kout_test_config.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static void fz_template(const uint8_t *data, size_t size)
{
	char *tmpl = strndup((const char *)data, size);
	char *keys[] = {"h"}, *vals[] = {tmpl};
	struct cfg_map m = {keys, vals, 1};
	struct kout_headers hs;
	char err[512];
	if (kout_headers_compile(&hs, &m, NULL, err, sizeof(err)) == 0) {
		static const char line[] = "cpu,host=a v=1.5,s=\"x\",i=2i 1";
		struct lp_metric lm;
		struct lp_error lerr;
		lp_metric_init(&lm);
		check(lp_parse_line(line, sizeof(line) - 1, 1, &lm, &lerr) ==
		      0);
		struct buf out = BUF_INIT;
		size_t ends[64];
		check(kout_headers_eval(&hs, &lm, &out, ends) == 0);
		check(ends[0] == out.len);
		buf_free(&out);
		lp_metric_free(&lm);
	}
	kout_headers_free(&hs);
	free(tmpl);
}

/* Route p with cfg; the record's key and topic as NUL-free copies. */
static void fz_route(const struct kout_config *cfg, const char *p, size_t len,
		     struct kout_record *rec, struct kout_router *r)
{
	static const struct kout_headers none;
	char err[256];
	kout_router_init(r, cfg, &none);
	check(kout_route(r, p, len, 1, rec, err, sizeof(err)) == 0);
}

static void fz_line(const char *p, size_t len)
{
	struct lp_error lerr;
	if (lp_validate_line(p, len, 1, &lerr) < 0)
		return;
	struct lp_metric m;
	lp_metric_init(&m);
	check(lp_parse_line(p, len, 1, &m, &lerr) == 0);

	struct kout_config c;
	struct kout_router r;
	struct kout_record rec;
	/* The timestamp from the last word equals the parsed one. */
	kout_test_config(&c, "t");
	fz_route(&c, p, len, &rec, &r);
	check(r.mode == KOUT_BYTES);
	check(rec.timestamp_ms ==
	      (m.has_time && m.time >= 0 ? m.time / 1000000 : 0));
	check(rec.newline_missing && rec.value == p &&
	      rec.value_len == len + 1);
	kout_router_free(&r);

	/* Each tag as routing_tag and topic_tag: the value the parser
	 * finds (the last of that key), scanned or parsed. */
	for (size_t i = 0; i < m.ntags && i < 8; i++) {
		char *key = malloc(m.tags[i].key.len + 1);
		size_t klen = lp_unescape(&m.tags[i].key, key);
		key[klen] = '\0';
		if (strlen(key) != klen) {
			free(key);
			continue;
		}
		const struct lp_tag *t = lp_metric_find_tag(&m, key, klen);
		char *want = malloc(t->value.len + 1);
		size_t wlen = lp_unescape(&t->value, want);
		kout_test_config(&c, "t");
		c.routing_tag = key;
		c.topic_tag = key;
		fz_route(&c, p, len, &rec, &r);
		check(r.mode == KOUT_SCAN);
		check(rec.key && rec.key_len == wlen &&
		      memcmp(rec.key, want, wlen) == 0);
		check(rec.topic_len == wlen &&
		      memcmp(rec.topic, want, wlen) == 0);
		check(rec.timestamp_ms ==
		      (m.has_time && m.time >= 0 ? m.time / 1000000 : 0));
		kout_router_free(&r);
		free(want);
		free(key);
	}

	/* The measurement suffix: the unescaped name, scanned or parsed. */
	kout_test_config(&c, "t");
	c.topic_suffix.method = "measurement";
	c.topic_suffix.separator = "_";
	fz_route(&c, p, len, &rec, &r);
	char *name = malloc(m.name.len + 3);
	name[0] = 't';
	name[1] = '_';
	size_t nlen = 2 + lp_unescape(&m.name, name + 2);
	check(rec.topic_len == nlen && memcmp(rec.topic, name, nlen) == 0);
	free(name);
	kout_router_free(&r);
	lp_metric_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_template(data, size);
	/* The first physical line as a metric text. */
	const char *p = (const char *)data;
	const char *nl = memchr(p, '\n', size);
	fz_line(p, nl ? (size_t)(nl - p) : size);
	return 0;
}
