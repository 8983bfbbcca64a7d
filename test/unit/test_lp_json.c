/*
 * test_lp_json.c: Telegraf's JSON metric format (shim/lp_json.c), written
 * as Telegraf's serializer writes it and read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "telex/lp_json.h"

#include "lp_test.h"

static void check_json(const struct lp_metric *m, int64_t unit,
		       const char *want)
{
	struct buf b = BUF_INIT;
	buf_append(&b, "x", 1);
	struct lp_error err;
	int rc = lp_json_write(&b, m, unit, &err);
	if (!want) {
		assert_int_equal(rc, -1);
		assert_int_equal(b.len, 1);
		assert_true(strlen(err.msg) > 0);
	} else {
		if (rc != 0)
			fail_msg("write failed: %s", err.msg);
		if (b.len - 1 != strlen(want) ||
		    memcmp(b.data + 1, want, b.len - 1) != 0)
			fail_msg("got  %.*s\nwant %s", (int)b.len - 1,
				 b.data + 1, want);
	}
	buf_free(&b);
}

static void test_json_write_basic(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("cpu"));
	lp_metric_add_tag(&m, S("host"), S("kvm1"));
	lp_metric_add_tag(&m, S("dc"), S("a"));
	lp_metric_add_float(&m, S("usage"), 12.5);
	lp_metric_add_int(&m, S("count"), -3);
	lp_metric_add_uint(&m, S("big"), UINT64_MAX);
	lp_metric_add_bool(&m, S("ok"), true);
	lp_metric_add_string(&m, S("s"), S("x"));
	lp_metric_set_time(&m, 1700000000123456789);
	/* Keys sorted, fields and tags too; seconds by default. */
	check_json(&m, 0,
		   "{\"fields\":{\"big\":18446744073709551615,\"count\":-3,"
		   "\"ok\":true,\"s\":\"x\",\"usage\":12.5},\"name\":\"cpu\","
		   "\"tags\":{\"dc\":\"a\",\"host\":\"kvm1\"},"
		   "\"timestamp\":1700000000}");
	check_json(&m, 1000000,
		   "{\"fields\":{\"big\":18446744073709551615,\"count\":-3,"
		   "\"ok\":true,\"s\":\"x\",\"usage\":12.5},\"name\":\"cpu\","
		   "\"tags\":{\"dc\":\"a\",\"host\":\"kvm1\"},"
		   "\"timestamp\":1700000000123}");
	/* 1500 ms is rounded down to 1 s, as Telegraf does. */
	lp_metric_reset(&m);
	lp_metric_set_name(&m, S("m"));
	lp_metric_add_int(&m, S("v"), 1);
	lp_metric_set_time(&m, 1999999999);
	check_json(&m, 1500000000,
		   "{\"fields\":{\"v\":1},\"name\":\"m\",\"tags\":{},"
		   "\"timestamp\":1}");
	check_json(&m, 1,
		   "{\"fields\":{\"v\":1},\"name\":\"m\",\"tags\":{},"
		   "\"timestamp\":1999999999}");
	/* Toward zero for times before 1970, like Go's division. */
	lp_metric_set_time(&m, -1500000000);
	check_json(&m, 0,
		   "{\"fields\":{\"v\":1},\"name\":\"m\",\"tags\":{},"
		   "\"timestamp\":-1}");
	/* No time: no timestamp key. */
	m.has_time = false;
	check_json(&m, 0, "{\"fields\":{\"v\":1},\"name\":\"m\",\"tags\":{}}");
	lp_metric_free(&m);
}

static void check_float_json(double v, const char *want)
{
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("m"));
	lp_metric_add_float(&m, S("f"), v);
	char exp[128];
	snprintf(exp, sizeof(exp),
		 "{\"fields\":{\"f\":%s},\"name\":\"m\","
		 "\"tags\":{}}",
		 want);
	check_json(&m, 0, exp);
	lp_metric_free(&m);
}

static void test_json_floats(void **state)
{
	(void)state;
	check_float_json(0, "0");
	check_float_json(-0.0, "-0");
	check_float_json(1, "1");
	check_float_json(0.1, "0.1");
	check_float_json(1e-6, "0.000001");
	check_float_json(9.99e-7, "9.99e-7");
	check_float_json(1e-7, "1e-7");
	check_float_json(-1.5e-10, "-1.5e-10");
	check_float_json(1e20, "100000000000000000000");
	check_float_json(1e21, "1e+21");
	check_float_json(1.7976931348623157e308, "1.7976931348623157e+308");
	check_float_json(5e-324, "5e-324");
	/* NaN and Inf are left out; nothing left is an error. */
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("m"));
	lp_metric_add_float(&m, S("a"), NAN);
	lp_metric_add_int(&m, S("b"), 2);
	lp_metric_add_float(&m, S("c"), -INFINITY);
	check_json(&m, 0, "{\"fields\":{\"b\":2},\"name\":\"m\",\"tags\":{}}");
	lp_metric_remove_field(&m, 1);
	check_json(&m, 0, NULL);
	lp_metric_free(&m);
}

static void test_json_strings(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("n\"a\\me"));
	lp_metric_add_tag(&m, S("k<>&"), S("\xe2\x80\xa8\xe2\x80\xa9"));
	lp_metric_add_string(&m, S("s"),
			     S("\b\f\n\r\t\x01\x1f\x7f caf\xc3\xa9 \xff\xc3"));
	check_json(&m, 0,
		   "{\"fields\":{\"s\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f "
		   "caf\xc3\xa9 \\ufffd\\ufffd\"},\"name\":\"n\\\"a\\\\me\","
		   "\"tags\":{\"k\\u003c\\u003e\\u0026\":\"\\u2028\\u2029\"}}");
	/* Parsed slices are unescaped first. */
	struct lp_error err;
	const char *line = "c\\ pu,t\\,k=v\\=1 s=\"a\\\"b\\nc\"";
	assert_int_equal(lp_parse_line(line, strlen(line), 1, &m, &err), 0);
	check_json(&m, 0,
		   "{\"fields\":{\"s\":\"a\\\"b\\nc\"},\"name\":\"c pu\","
		   "\"tags\":{\"t,k\":\"v=1\"}}");
	lp_metric_free(&m);
}

static void test_json_repeated_keys(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("m"));
	lp_metric_add_tag(&m, S("t"), S("1"));
	lp_metric_add_tag(&m, S("t"), S("2"));
	lp_metric_add_int(&m, S("b"), 1);
	lp_metric_add_int(&m, S("a"), 2);
	lp_metric_add_int(&m, S("b"), 3);
	check_json(&m, 0,
		   "{\"fields\":{\"a\":2,\"b\":3},\"name\":\"m\","
		   "\"tags\":{\"t\":\"2\"}}");
	lp_metric_free(&m);
}

/* ------------------------------------------------------------------ */

struct collected {
	struct buf text; /* each metric written back as line protocol */
	int calls, stop_after;
};

static int collect(void *arg, struct lp_metric *m)
{
	struct collected *c = arg;
	c->calls++;
	assert_int_equal(lp_write_metric(&c->text, m, LP_WRITE_UINT, NULL), 0);
	return c->stop_after && c->calls == c->stop_after ? 7 : 0;
}

static void check_read(const char *doc, int64_t unit, int want_rc,
		       const char *want_lines)
{
	struct lp_metric m;
	lp_metric_init(&m);
	struct collected c = {BUF_INIT, 0, 0};
	struct lp_error err = {0};
	int rc = lp_json_read(doc, strlen(doc), unit, &m, collect, &c, &err);
	if (rc != want_rc)
		fail_msg("%s: rc %d want %d (%s)", doc, rc, want_rc, err.msg);
	if (c.text.len != strlen(want_lines) ||
	    (c.text.len && memcmp(c.text.data, want_lines, c.text.len) != 0))
		fail_msg("%s:\n got  %.*s\n want %s", doc, (int)c.text.len,
			 c.text.len ? c.text.data : "", want_lines);
	buf_free(&c.text);
	lp_metric_free(&m);
}

static void test_json_read(void **state)
{
	(void)state;
	check_read("{\"fields\":{\"f\":1.5,\"i\":3,\"u\":18446744073709551615,"
		   "\"b\":false,\"s\":\"x\\ny\"},\"name\":\"m\",\"tags\":"
		   "{\"t\":\"v\"},\"timestamp\":17}",
		   0, 0,
		   "m,t=v f=1.5,i=3i,u=18446744073709551615u,b=false,"
		   "s=\"x\\ny\" 17000000000\n");
	/* A batch, in Telegraf's {"metrics":[...]} and as an array. */
	check_read("{\"metrics\":[{\"fields\":{\"a\":1},\"name\":\"x\","
		   "\"timestamp\":5},{\"fields\":{\"a\":2},\"name\":\"y\","
		   "\"timestamp\":6}]}\n",
		   1000, 0, "x a=1i 5000\ny a=2i 6000\n");
	check_read("[{\"fields\":{\"a\":1},\"name\":\"x\"}]", 0, 0, "x a=1i\n");
	/* Bad metrics are skipped and counted; the rest still come. */
	check_read("{\"metrics\":[{\"fields\":{\"a\":1}},"
		   "{\"name\":\"n\",\"fields\":{}},"
		   "{\"name\":\"n\",\"fields\":{\"a\":[1]}},"
		   "{\"name\":\"n\",\"fields\":{\"a\":1},\"tags\":{\"t\":1}},"
		   "{\"name\":\"n\",\"fields\":{\"a\":1},\"timestamp\":\"x\"},"
		   "{\"name\":\"n\",\"fields\":{\"a\":1},"
		   "\"timestamp\":9223372036854775807},"
		   "{\"name\":\"ok\",\"fields\":{\"a\":1}}]}",
		   0, 6, "ok a=1i\n");
	/* Not JSON at all, or with garbage after it. */
	check_read("{\"fields\":", 0, -1, "");
	check_read("{} x", 0, -1, "");
	check_read("{\"name\":\"m\",\"fields\":{\"a\":NaN}}", 0, 1, "");
	/* The callback's non-zero value stops the reading. */
	struct lp_metric m;
	lp_metric_init(&m);
	struct collected c = {BUF_INIT, 0, 1};
	const char *two = "[{\"fields\":{\"a\":1},\"name\":\"x\"},"
			  "{\"fields\":{\"a\":1},\"name\":\"y\"}]";
	assert_int_equal(
	    lp_json_read(two, strlen(two), 0, &m, collect, &c, NULL), 7);
	assert_int_equal(c.calls, 1);
	buf_free(&c.text);
	/* The error names the metric and the key. */
	struct lp_error err;
	const char *bad = "[{\"fields\":{\"a\":1},\"name\":\"x\"},"
			  "{\"fields\":{\"zz\":null},\"name\":\"y\"}]";
	assert_int_equal(
	    lp_json_read(bad, strlen(bad), 0, &m, collect, &c, &err), 1);
	assert_non_null(strstr(err.msg, "metric 2"));
	assert_non_null(strstr(err.msg, "zz"));
	buf_free(&c.text);
	/* A missing "fields" names no key: not the last tag's. */
	const char *nofields = "{\"name\":\"x\",\"tags\":{\"tk\":\"v\"}}";
	c = (struct collected){BUF_INIT, 0, 0};
	assert_int_equal(
	    lp_json_read(nofields, strlen(nofields), 0, &m, collect, &c, &err),
	    1);
	assert_non_null(strstr(err.msg, "has no \"fields\" object"));
	assert_null(strstr(err.msg, "tk"));
	buf_free(&c.text);
	lp_metric_free(&m);
}

/* Line protocol -> JSON -> metric: the same metric, except what JSON
 * cannot tell (uint and integral floats come back as integers). */
struct round {
	const struct lp_metric *orig;
	int seen;
};

static bool same_slice(const struct lp_slice *a, const struct lp_slice *b)
{
	return lp_slice_cmp(a, b) == 0;
}

static int compare_back(void *arg, struct lp_metric *m)
{
	struct round *r = arg;
	const struct lp_metric *o = r->orig;
	r->seen++;
	assert_true(same_slice(&m->name, &o->name));
	assert_int_equal(m->ntags, o->ntags);
	for (size_t i = 0; i < o->ntags; i++) {
		char key[64];
		size_t kl = lp_unescape(&o->tags[i].key, key);
		const struct lp_tag *t = lp_metric_find_tag(m, key, kl);
		assert_non_null(t);
		assert_true(same_slice(&t->value, &o->tags[i].value));
	}
	assert_int_equal(m->nfields, o->nfields);
	for (size_t i = 0; i < o->nfields; i++) {
		const struct lp_field *a = &o->fields[i];
		char key[64];
		size_t kl = lp_unescape(&a->key, key);
		const struct lp_field *b = lp_metric_find_field(m, key, kl);
		assert_non_null(b);
		switch (a->type) {
		case LP_FLOAT:
			if (b->type == LP_INT)
				assert_true((double)b->v.i == a->v.f);
			else
				assert_true(b->type == LP_FLOAT &&
					    b->v.f == a->v.f);
			break;
		case LP_INT:
			assert_true(b->type == LP_INT && b->v.i == a->v.i);
			break;
		case LP_UINT:
			assert_true(b->type == LP_INT &&
				    (uint64_t)b->v.i == a->v.u);
			break;
		case LP_BOOL:
			assert_true(b->type == LP_BOOL && b->v.b == a->v.b);
			break;
		case LP_STRING:
			assert_true(b->type == LP_STRING &&
				    same_slice(&b->v.s, &a->v.s));
			break;
		}
	}
	assert_true(m->has_time);
	assert_int_equal(m->time, o->time);
	return 0;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Lines with every field type, escapes and odd characters. */
static void make_lines(struct buf *out, int n)
{
	static const char *const strs[] = {
	    "plain", "a\\\"q\\\"", "tab\t", "new\nline", "caf\xc3\xa9 <&>", ""};
	static const char *const tags[] = {"x", "a\\ b", "c\\,d", "e\\=f",
					   "\"q\""};
	uint64_t s = 88172645463325252u;
	for (int i = 0; i < n; i++) {
		uint64_t r = xorshift(&s);
		buf_printf(out,
			   "m%d,%s=%s,t=%s f=%.17g,i=%lldi,u=%lluu,b=%s,"
			   "s=\"%s\" %lld\n",
			   (int)(r % 5), tags[r % 5], tags[(r >> 8) % 5],
			   tags[(r >> 16) % 5],
			   (double)(int64_t)xorshift(&s) /
			       (double)(1 + (r >> 20) % 1000),
			   (long long)xorshift(&s),
			   (unsigned long long)(xorshift(&s) >> 1),
			   r & 1 ? "true" : "F", strs[(r >> 24) % 6],
			   (long long)(xorshift(&s) >> 2) - (1LL << 60));
	}
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct buf lines = BUF_INIT, json = BUF_INIT;
	make_lines(&lines, 2000);
	struct lp_reader r;
	lp_reader_init(&r, lines.data, lines.len);
	struct lp_metric m, back;
	lp_metric_init(&m);
	lp_metric_init(&back);
	int n = 0;
	struct lp_error err;
	enum lp_read_result rc;
	while ((rc = lp_reader_next(&r, &m, &err)) == LP_READ_METRIC) {
		buf_clear(&json);
		assert_int_equal(lp_json_write(&json, &m, 1, NULL), 0);
		struct round rt = {&m, 0};
		assert_int_equal(lp_json_read(json.data, json.len, 1, &back,
					      compare_back, &rt, NULL),
				 0);
		assert_int_equal(rt.seen, 1);
		n++;
	}
	if (rc == LP_READ_INVALID)
		fail_msg("%s at %zu:%zu", err.msg, err.line, err.column);
	assert_int_equal(n, 2000);
	buf_free(&lines);
	buf_free(&json);
	lp_metric_free(&m);
	lp_metric_free(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_write_basic),
	    cmocka_unit_test(test_json_floats),
	    cmocka_unit_test(test_json_strings),
	    cmocka_unit_test(test_json_repeated_keys),
	    cmocka_unit_test(test_json_read),
	    cmocka_unit_test(test_json_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
