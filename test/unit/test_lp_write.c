/*
 * test_lp_write.c: the writer and the float text (shim/lp_write.c,
 * shim/lp_float.c) against the behaviour of Telegraf's influx serializer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "../../shim/lp_internal.h"
#include "telex/lp.h"

#include "lp_test.h"

/* Write m and compare with want (NULL: the write must fail and leave the
 * buffer as it was). */
static void check_write(const struct lp_metric *m, unsigned flags,
			const char *want)
{
	struct buf b = BUF_INIT;
	buf_append(&b, "prefix|", 7);
	struct lp_error err;
	memset(&err, 0, sizeof(err));
	int rc = lp_write_metric(&b, m, flags, &err);
	if (!want) {
		assert_int_equal(rc, -1);
		assert_int_equal(b.len, 7);
		assert_true(strlen(err.msg) > 0);
	} else {
		if (rc != 0)
			fail_msg("write failed: %s", err.msg);
		size_t n = strlen(want);
		if (b.len != 7 + n || memcmp(b.data + 7, want, n) != 0)
			fail_msg("got  \"%.*s\"\nwant \"%s\"", (int)b.len - 7,
				 b.data + 7, want);
	}
	buf_free(&b);
}

static void test_write_minimal(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("cpu"));
	lp_metric_add_float(&m, S("value"), 42.0);
	lp_metric_set_time(&m, 0);
	check_write(&m, 0, "cpu value=42 0\n");
	/* No time set: none written. */
	m.has_time = false;
	check_write(&m, 0, "cpu value=42\n");
	lp_metric_set_time(&m, 1519194109000000042);
	check_write(&m, 0, "cpu value=42 1519194109000000042\n");
	lp_metric_set_time(&m, -34526000000000);
	check_write(&m, 0, "cpu value=42 -34526000000000\n");
	lp_metric_free(&m);
}

static void test_write_tags_sorted(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("cpu"));
	lp_metric_add_tag(&m, S("host"), S("localhost"));
	lp_metric_add_tag(&m, S("cpu"), S("CPU0"));
	lp_metric_add_tag(&m, S("APPLE"), S("orange"));
	lp_metric_add_tag(&m, S("A FOO"), S("bar"));
	lp_metric_add_float(&m, S("x"), 42);
	lp_metric_add_float(&m, S("y"), 42);
	lp_metric_set_time(&m, 0);
	check_write(&m, 0,
		    "cpu,A\\ FOO=bar,APPLE=orange,cpu=CPU0,host=localhost "
		    "x=42,y=42 0\n");
	lp_metric_free(&m);
}

static void test_write_tags_many_and_duplicates(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("m"));
	/* 100 tags in reverse order: sorted on output. */
	static char keys[100][4];
	for (int i = 99; i >= 0; i--) {
		snprintf(keys[i], sizeof(keys[i]), "%03d", i);
		lp_metric_add_tag(&m, keys[i], 3, "v", 1);
	}
	lp_metric_add_int(&m, S("f"), 1);
	struct buf b = BUF_INIT;
	assert_int_equal(lp_write_metric(&b, &m, 0, NULL), 0);
	struct buf want = BUF_INIT;
	buf_printf(&want, "m");
	for (int i = 0; i < 100; i++)
		buf_printf(&want, ",%03d=v", i);
	buf_printf(&want, " f=1i\n");
	assert_int_equal(b.len, want.len);
	assert_memory_equal(b.data, want.data, b.len);
	buf_free(&b);
	buf_free(&want);
	/* Duplicate tag keys: the last one wins, written once. */
	lp_metric_reset(&m);
	lp_metric_set_name(&m, S("m"));
	lp_metric_add_tag(&m, S("b"), S("1"));
	lp_metric_add_tag(&m, S("a"), S("x"));
	lp_metric_add_tag(&m, S("b"), S("2"));
	lp_metric_add_int(&m, S("f"), 1);
	check_write(&m, 0, "m,a=x,b=2 f=1i\n");
	lp_metric_free(&m);
}

static void test_write_empty_tags_dropped(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("cpu"));
	lp_metric_add_tag(&m, S("a"), S(""));
	lp_metric_add_tag(&m, S(""), S("b"));
	lp_metric_add_tag(&m, S("c"), S("d"));
	/* Trailing backslashes are trimmed; a tag left empty is dropped. */
	lp_metric_add_tag(&m, S("e\\\\"), S("f\\"));
	lp_metric_add_tag(&m, S("g"), S("\\\\"));
	lp_metric_add_int(&m, S("v"), 1);
	check_write(&m, 0, "cpu,c=d,e=f v=1i\n");
	lp_metric_free(&m);
}

static void test_write_field_types(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("cpu"));
	lp_metric_add_int(&m, S("i"), 42);
	lp_metric_add_int(&m, S("imin"), INT64_MIN);
	lp_metric_add_int(&m, S("imax"), INT64_MAX);
	lp_metric_add_uint(&m, S("u"), 42);
	lp_metric_add_uint(&m, S("umax"), UINT64_MAX);
	lp_metric_add_bool(&m, S("t"), true);
	lp_metric_add_bool(&m, S("f"), false);
	lp_metric_add_string(&m, S("s"), S("howdy"));
	lp_metric_add_float(&m, S("x"), -0.5);
	lp_metric_set_time(&m, 0);
	/* Without uint support: 'i', clipped to INT64_MAX. */
	check_write(&m, 0,
		    "cpu i=42i,imin=-9223372036854775808i,"
		    "imax=9223372036854775807i,u=42i,"
		    "umax=9223372036854775807i,t=true,f=false,s=\"howdy\","
		    "x=-0.5 0\n");
	check_write(&m, LP_WRITE_UINT,
		    "cpu i=42i,imin=-9223372036854775808i,"
		    "imax=9223372036854775807i,u=42u,"
		    "umax=18446744073709551615u,t=true,f=false,s=\"howdy\","
		    "x=-0.5 0\n");
	lp_metric_free(&m);
}

static void test_write_nan_inf_dropped(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("cpu"));
	lp_metric_add_float(&m, S("x"), NAN);
	lp_metric_add_int(&m, S("y"), 42);
	lp_metric_add_float(&m, S("z"), INFINITY);
	lp_metric_add_float(&m, S("w"), -INFINITY);
	lp_metric_set_time(&m, 0);
	check_write(&m, 0, "cpu y=42i 0\n");
	/* Nothing left: an error, nothing written. */
	lp_metric_remove_field(&m, 1);
	check_write(&m, 0, NULL);
	lp_metric_free(&m);
}

static void test_write_errors(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("cpu"));
	lp_metric_add_tag(&m, S("host"), S("a"));
	check_write(&m, 0, NULL); /* no fields */
	lp_metric_add_int(&m, S(""), 1);
	check_write(&m, 0, NULL); /* only a field with an empty key */
	lp_metric_add_int(&m, S("ok"), 1);
	check_write(&m, 0, "cpu,host=a ok=1i\n");
	lp_metric_set_name(&m, S(""));
	check_write(&m, 0, NULL); /* empty name */
	lp_metric_set_name(&m, S("\\\\"));
	check_write(&m, 0, NULL); /* nothing but backslashes */
	lp_metric_set_name(&m, S("#cpu"));
	check_write(&m, 0, NULL); /* a comment line */
	lp_metric_set_name(&m, S(" #cpu"));
	check_write(&m, 0, "\\ #cpu,host=a ok=1i\n");
	/* The message names the metric and says why. */
	lp_metric_set_name(&m, S("disk"));
	lp_metric_reset(&m);
	lp_metric_set_name(&m, S("disk"));
	struct buf b = BUF_INIT;
	struct lp_error err;
	assert_int_equal(lp_write_metric(&b, &m, 0, &err), -1);
	assert_non_null(strstr(err.msg, "\"disk\""));
	assert_non_null(strstr(err.msg, "no field"));
	char text[256];
	lp_error_format(&err, text, sizeof(text));
	assert_string_equal(text, err.msg); /* no position for the writer */
	buf_free(&b);
	lp_metric_free(&m);
}

static void test_write_escapes(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	/* Names: space, comma and \t \n \f \r; '=' stays. */
	lp_metric_set_name(&m, S("c p,u=\t\n\f\r"));
	lp_metric_add_tag(&m, S("k e,y="), S("v a,l=\n"));
	lp_metric_add_int(&m, S("f i,e=ld"), 1);
	lp_metric_add_string(&m, S("s"), S("a\"b\\c\nd\te\rf\fg,h=i j"));
	lp_metric_set_time(&m, 0);
	check_write(&m, 0,
		    "c\\ p\\,u=\\t\\n\\f\\r,k\\ e\\,y\\==v\\ a\\,l\\=\\n "
		    "f\\ i\\,e\\=ld=1i,"
		    "s=\"a\\\"b\\\\c\\nd\\te\\rf\\fg,h=i j\" 0\n");
	/* A backslash before nothing special stays one backslash outside
	 * strings, and is doubled inside them. */
	lp_metric_reset(&m);
	lp_metric_set_name(&m, S("a\\b"));
	lp_metric_add_tag(&m, S("t\\ag"), S("\\,,=east"));
	lp_metric_add_string(&m, S("s"), S("test\\"));
	check_write(&m, 0, "a\\b,t\\ag=\\\\,\\,\\=east s=\"test\\\\\"\n");
	/* Name and field key lose trailing backslashes (else the line
	 * would not read back). */
	lp_metric_reset(&m);
	lp_metric_set_name(&m, S("cpu\\"));
	lp_metric_add_int(&m, S("f\\\\"), 1);
	check_write(&m, 0, "cpu f=1i\n");
	lp_metric_free(&m);
}

/* Bytes no escape can carry make a line no parser reads: such a metric is
 * not written at all (a JSON record's "\u000e" name, a header value that
 * is not UTF-8). A string value may hold control bytes as they are. */
static void test_write_unwritable_bytes(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	static const struct {
		const char *name, *tag, *key, *str;
	} bad[] = {
	    {"a\x0e", "v", "f", "s"},	  {"a\x7f", "v", "f", "s"},
	    {"a\xff", "v", "f", "s"},	  {"a", "v\x01", "f", "s"},
	    {"a", "v\xe2\x82", "f", "s"}, {"a", "v", "f\x1f", "s"},
	    {"a", "v", "f", "s\xc3"},	  {"a", "v", "f", "\xfe\xff"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lp_metric_reset(&m);
		lp_metric_set_name(&m, bad[i].name, strlen(bad[i].name));
		lp_metric_add_tag(&m, S("t"), bad[i].tag, strlen(bad[i].tag));
		lp_metric_add_string(&m, bad[i].key, strlen(bad[i].key),
				     bad[i].str, strlen(bad[i].str));
		check_write(&m, 0, NULL);
	}
	struct buf b = BUF_INIT;
	struct lp_error err;
	assert_int_equal(lp_write_metric(&b, &m, 0, &err), -1);
	assert_non_null(strstr(err.msg, "line protocol cannot carry"));
	buf_free(&b);

	/* Valid UTF-8 and control bytes inside a string are fine, and the
	 * line reads back. */
	lp_metric_reset(&m);
	lp_metric_set_name(&m, S("caf\xc3\xa9"));
	lp_metric_add_tag(&m, S("t"), S("\xe2\x82\xac"));
	lp_metric_add_string(&m, S("s"), S("a\x01b\x7f"));
	check_write(&m, 0, "caf\xc3\xa9,t=\xe2\x82\xac s=\"a\x01b\x7f\"\n");
	lp_metric_free(&m);
}

static void test_write_duplicate_fields(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("m"));
	lp_metric_add_int(&m, S("a"), 1);
	lp_metric_add_int(&m, S("b"), 2);
	lp_metric_add_float(&m, S("a"), 3.5);
	lp_metric_add_int(&m, S("c"), 4);
	lp_metric_add_string(&m, S("a"), S("last"));
	/* First place, last value, as Telegraf's AddField. */
	check_write(&m, 0, "m a=\"last\",b=2i,c=4i\n");
	/* A later duplicate that is NaN drops the field. */
	lp_metric_reset(&m);
	lp_metric_set_name(&m, S("m"));
	lp_metric_add_int(&m, S("a"), 1);
	lp_metric_add_int(&m, S("b"), 2);
	lp_metric_add_float(&m, S("a"), NAN);
	check_write(&m, 0, "m b=2i\n");
	lp_metric_free(&m);
}

/* Build the expected text of n fields "kNN=VALUEi" (first place, last
 * value) while adding them, with the repeats given as (index, value). */
static void test_write_duplicates_wide_case(size_t n, const size_t *rep_at,
					    const int64_t *rep_val, size_t nrep)
{
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, S("m"));
	int64_t *val = calloc(n, sizeof(*val));
	/* The metric points at its keys; a repeat has its own copy. */
	char(*key)[8] = calloc(n + nrep, sizeof(*key));
	assert_non_null(val);
	assert_non_null(key);
	/* Keys of one length, first and last bytes shared: the cheap
	 * fingerprints that collide on them must not matter. */
	for (size_t i = 0; i < n; i++) {
		snprintf(key[i], sizeof(key[i]), "k%03zuk", i);
		val[i] = (int64_t)i;
		assert_int_equal(lp_metric_add_int(&m, key[i], 5, val[i]), 0);
	}
	for (size_t r = 0; r < nrep; r++) {
		char *k = key[n + r];
		snprintf(k, sizeof(key[0]), "k%03zuk", rep_at[r]);
		val[rep_at[r]] = rep_val[r];
		assert_int_equal(lp_metric_add_int(&m, k, 5, rep_val[r]), 0);
	}
	struct buf want = BUF_INIT;
	buf_append(&want, "m ", 2);
	for (size_t i = 0; i < n; i++)
		buf_printf(&want, "%sk%03zuk=%lldi", i ? "," : "", i,
			   (long long)val[i]);
	buf_putc(&want, '\n');
	buf_putc(&want, '\0');
	check_write(&m, 0, want.data);
	buf_free(&want);
	free(val);
	free(key);
	lp_metric_free(&m);
}

static void test_write_duplicate_fields_wide(void **state)
{
	(void)state;
	/* No repeat among 30 fields: each written once, in order. */
	test_write_duplicates_wide_case(30, NULL, NULL, 0);
	/* 12 fields, three repeated (one of them twice, one right after
	 * itself): first place, last value. */
	size_t at[] = {3, 7, 0, 7, 11};
	int64_t v[] = {-3, 70, -100, 71, 1100};
	test_write_duplicates_wide_case(12, at, v, 5);
	/* More fields than the writer keeps on its stack. */
	size_t at2[] = {0, 64, 99};
	int64_t v2[] = {-1, -64, -99};
	test_write_duplicates_wide_case(100, at2, v2, 3);

	/* A parsed key with escapes equals the plain key it stands for. */
	const char line[] = "m a\\ b=1i,c=2i,d=3i,e=4i,f=5i,g=6i,h=7i,i=8i,"
			    "j=9i,k=10i";
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_error err;
	assert_int_equal(lp_parse_line(line, sizeof(line) - 1, 1, &m, &err), 0);
	lp_metric_add_int(&m, S("a b"), 42);
	lp_metric_add_float(&m, S("e"), 4.5);
	check_write(&m, 0,
		    "m a\\ b=42i,c=2i,d=3i,e=4.5,f=5i,g=6i,h=7i,i=8i,j=9i,"
		    "k=10i\n");
	/* A last value that cannot be written drops the field. */
	lp_metric_add_float(&m, S("c"), NAN);
	check_write(&m, 0,
		    "m a\\ b=42i,d=3i,e=4.5,f=5i,g=6i,h=7i,i=8i,j=9i,"
		    "k=10i\n");
	lp_metric_free(&m);
}

static void test_write_parsed_slices(void **state)
{
	(void)state;
	/* Slices as the parser leaves them (escapes still in) are written
	 * as Telegraf would write their values. */
	struct lp_metric m;
	lp_metric_init(&m);
	m.name = (struct lp_slice){S("c\\ p\\=u\\\\x"), LP_ESC_NAME};
	struct lp_tag *t = calloc(2, sizeof(*t));
	m.tags = t;
	m.tags_cap = 2;
	m.ntags = 2;
	t[0].key = (struct lp_slice){S("z\\,"), LP_ESC_KEY};
	t[0].value = (struct lp_slice){S("a\\ b\\\\,c"), LP_ESC_KEY};
	t[1].key = (struct lp_slice){S("a\\=\\ "), LP_ESC_KEY};
	t[1].value = (struct lp_slice){S("1"), LP_ESC_KEY};
	lp_metric_add_string(&m, S("s"), S("x\\\"y\\\\z\\n\\q\t"));
	m.fields[0].v.s.escaped = LP_ESC_STRING;
	check_write(&m, 0,
		    "c\\ p\\=u\\\\x,a\\=\\ =1,z\\,=a\\ b\\\\,c "
		    "s=\"x\\\"y\\\\z\\n\\\\q\\t\"\n");
	/* A name slice moved into a tag value is escaped for its new place:
	 * "\=" in a name is two characters, in a tag they are "\\=". */
	t[1].value = m.name;
	check_write(&m, 0,
		    "c\\ p\\=u\\\\x,a\\=\\ =c\\ p\\\\=u\\\\x,z\\,=a\\ b\\\\,c "
		    "s=\"x\\\"y\\\\z\\n\\\\q\\t\"\n");
	lp_metric_free(&m);
}

/* ------------------------------------------------------------------ */
/* Floats: Go's strconv.FormatFloat(v, 'f', -1, 64). */

static void check_float(double v, const char *want)
{
	char out[400];
	size_t n = lp_format_float(v, out);
	out[n] = '\0';
	if (strcmp(out, want) != 0)
		fail_msg("%.17g: got %s want %s", v, out, want);
}

static void test_format_float_known(void **state)
{
	(void)state;
	check_float(0, "0");
	check_float(-0.0, "-0");
	check_float(1, "1");
	check_float(-1, "-1");
	check_float(42, "42");
	check_float(0.1, "0.1");
	check_float(0.02, "0.02");
	check_float(12.123, "12.123");
	check_float(1.0e-4, "0.0001");
	check_float(6632243, "6632243");
	check_float(1.5e-9, "0.0000000015");
	check_float(123456789012345680.0, "123456789012345680");
	check_float(1e21, "1000000000000000000000");
	check_float(1e23, "100000000000000000000000");
	check_float(0.3, "0.3");
	check_float(0.1 + 0.2, "0.30000000000000004");
	check_float(2.5, "2.5");
	check_float(9007199254740993.0, "9007199254740992");
	check_float(2251799813685248.5, "2251799813685248.5");
	check_float(1.7976931348623157e308,
		    "1797693134862315700000000000000000000000000000000000000"
		    "0000000000000000000000000000000000000000000000000000000"
		    "0000000000000000000000000000000000000000000000000000000"
		    "0000000000000000000000000000000000000000000000000000000"
		    "0000000000000000000000000000000000000000000000000000000"
		    "0000000000000000000000000000000000");
	/* 5e-324: "0." and 323 zeros and "5". */
	char want[400] = "0.";
	memset(want + 2, '0', 323);
	strcpy(want + 325, "5");
	check_float(5e-324, want);
	/* 2^-1022, the smallest normal. */
	memset(want + 2, '0', 307);
	strcpy(want + 309, "22250738585072014");
	check_float(2.2250738585072014e-308, want);
	/* Powers of two, where the gap below is half the gap above. */
	check_float(1125899906842624.0, "1125899906842624");
	check_float(0x1p-20, "0.00000095367431640625");
	check_float(0x1p60, "1152921504606847000");
	/* 2^-1000 = 9.332636185032189e-302: 301 zeros after the point. */
	memset(want + 2, '0', 301);
	strcpy(want + 303, "9332636185032189");
	check_float(0x1p-1000, want);
	assert_int_equal(lp_format_float(NAN, want), 0);
	assert_int_equal(lp_format_float(INFINITY, want), 0);
	assert_int_equal(lp_format_float(-INFINITY, want), 0);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The text of the exact (slow) path, laid out as 'f'. */
static size_t exact_text(double v, char *out)
{
	char d[17];
	int point;
	char *p = out;
	if (signbit(v)) {
		*p++ = '-';
		v = -v;
	}
	if (v == 0) {
		*p++ = '0';
		return (size_t)(p - out);
	}
	int n = (int)lp_float_shortest_exact(v, d, &point);
	if (point <= 0) {
		*p++ = '0';
		*p++ = '.';
		for (int i = 0; i < -point; i++)
			*p++ = '0';
	}
	for (int i = 0; i < n || i < point; i++) {
		if (i == point && point > 0)
			*p++ = '.';
		*p++ = i < n ? d[i] : '0';
	}
	return (size_t)(p - out);
}

/* Every value: the text reads back as the same double, has no more digits
 * than needed (the exact path's), and the fast path agrees with it. */
static void test_format_float_properties(void **state)
{
	(void)state;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	char got[400];
	for (int i = 0; i < 200000; i++) {
		double v;
		uint64_t r = xorshift(&seed);
		switch (i % 4) {
		case 0: /* any bit pattern */
			memcpy(&v, &r, sizeof(v));
			break;
		case 1: /* metric-like: a ratio */
			v = (double)(r % 100000000) /
			    (double)(1 + xorshift(&seed) % 10000);
			break;
		case 2: /* milli-units */
			v = (double)(r % 10000000) / 1000.0;
			break;
		default: { /* a short decimal, read back */
			char t[64];
			snprintf(t, sizeof(t), "%.*g", (int)(1 + r % 17),
				 (double)(xorshift(&seed) % 1000000007) *
				     pow(10, (int)(r >> 40) % 40 - 20));
			v = strtod(t, NULL);
		}
		}
		if (!isfinite(v))
			continue;
		size_t n = lp_format_float(v, got);
		got[n] = '\0';
		if (strtod(got, NULL) != v && !(v == 0))
			fail_msg("%a: %s does not read back", v, got);
		char want[400];
		size_t m = exact_text(v, want);
		want[m] = '\0';
		if (strcmp(got, want) != 0)
			fail_msg("%a: fast %s exact %s", v, got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_minimal),
	    cmocka_unit_test(test_write_tags_sorted),
	    cmocka_unit_test(test_write_tags_many_and_duplicates),
	    cmocka_unit_test(test_write_empty_tags_dropped),
	    cmocka_unit_test(test_write_field_types),
	    cmocka_unit_test(test_write_nan_inf_dropped),
	    cmocka_unit_test(test_write_errors),
	    cmocka_unit_test(test_write_escapes),
	    cmocka_unit_test(test_write_unwritable_bytes),
	    cmocka_unit_test(test_write_duplicate_fields),
	    cmocka_unit_test(test_write_duplicate_fields_wide),
	    cmocka_unit_test(test_write_parsed_slices),
	    cmocka_unit_test(test_format_float_known),
	    cmocka_unit_test(test_format_float_properties),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
