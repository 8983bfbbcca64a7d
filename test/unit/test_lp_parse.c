/*
 * test_lp_parse.c: the parser, the validator, the reader and the number
 * syntax (shim/lp_parse.c, shim/lp_number.c, lp_reader in lp_split.c).
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

#include "../../shim/lp_internal.h"
#include "lp_test.h"

/* Parse, and check that the validator says the same. */
static int parse(const char *line, struct lp_metric *m, struct lp_error *e)
{
	struct lp_error ve;
	memset(&ve, 0, sizeof(ve));
	memset(e, 0, sizeof(*e));
	int v = lp_validate_line(line, strlen(line), 1, &ve);
	int p = lp_parse_line(line, strlen(line), 1, m, e);
	assert_int_equal(v, p);
	if (p < 0) {
		assert_string_equal(ve.msg, e->msg);
		assert_int_equal(ve.line, e->line);
		assert_int_equal(ve.column, e->column);
	}
	return p;
}

/* The line must fail with this text from lp_error_format. */
static void check_error(const char *line, const char *want)
{
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_error e;
	if (parse(line, &m, &e) == 0)
		fail_msg("\"%s\" parsed, want error %s", line, want);
	char text[300];
	lp_error_format(&e, text, sizeof(text));
	if (strcmp(text, want) != 0)
		fail_msg("\"%s\":\n got  %s\n want %s", line, text, want);
	/* A failed parse leaves the metric empty. */
	assert_metric_empty(&m);
	lp_metric_free(&m);
}

static void test_parse_full_line(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_error e;
	const char *line = "  libvirt_block,host=kvm1,domain_name=vm-1 "
			   "rd_bytes=123i,wr_u=7u,ratio=0.25,ok=t,"
			   "path=\"/var/lib/x.qcow2\" 1700000000000000000";
	assert_int_equal(parse(line, &m, &e), 0);
	assert_true(slice_is(&m.name, "libvirt_block"));
	assert_int_equal(m.ntags, 2);
	assert_true(slice_is(&m.tags[0].key, "host"));
	assert_true(slice_is(&m.tags[0].value, "kvm1"));
	assert_true(slice_is(&m.tags[1].key, "domain_name"));
	assert_true(slice_is(&m.tags[1].value, "vm-1"));
	assert_each_type(&m, &(struct lp_each_type){123, 7, 0.25, true,
						    "/var/lib/x.qcow2",
						    1700000000000000000});
	assert_false(m.modified);
	/* Slices point into the line; the line without leading spaces. */
	assert_ptr_equal(m.name.ptr, line + 2);
	assert_ptr_equal(m.line.ptr, line + 2);
	assert_int_equal(m.line.len, strlen(line) - 2);
	assert_int_equal(m.name.escaped, LP_ESC_NONE);
	/* No time: none. */
	assert_int_equal(parse("m f=1", &m, &e), 0);
	assert_false(m.has_time);
	assert_int_equal(parse("m f=1 -5", &m, &e), 0);
	assert_int_equal(m.time, -5);
	lp_metric_free(&m);
}

static void test_parse_escapes(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_error e;
	assert_int_equal(parse("c\\ p\\,u\\=x,t\\ k\\=\\,=v\\ a\\,l\\=\\x "
			       "f\\ k\\=y=\"s\\\"t\\\\r\\n\\q\"",
			       &m, &e),
			 0);
	assert_int_equal(m.name.escaped, LP_ESC_NAME);
	assert_true(slice_is(&m.name, "c p,u\\=x"));
	assert_int_equal(m.tags[0].key.escaped, LP_ESC_KEY);
	assert_true(slice_is(&m.tags[0].key, "t k=,"));
	assert_true(slice_is(&m.tags[0].value, "v a,l=\\x"));
	assert_true(slice_is(&m.fields[0].key, "f k=y"));
	assert_int_equal(m.fields[0].v.s.escaped, LP_ESC_STRING);
	assert_true(slice_is(&m.fields[0].v.s, "s\"t\\r\n\\q"));
	/* A backslash that escapes nothing leaves the slice plain. */
	assert_int_equal(parse("a\\b,t=x\\y f=\"q\\w\"", &m, &e), 0);
	assert_int_equal(m.name.escaped, LP_ESC_NONE);
	assert_int_equal(m.tags[0].value.escaped, LP_ESC_NONE);
	assert_int_equal(m.fields[0].v.s.escaped, LP_ESC_NONE);
	assert_true(slice_is(&m.fields[0].v.s, "q\\w"));
	/* '=' is plain in a measurement; quotes are plain outside values. */
	assert_int_equal(parse("cpu=load,\"t\"=\"v\" k\"=1", &m, &e), 0);
	assert_true(slice_is(&m.name, "cpu=load"));
	assert_true(slice_is(&m.tags[0].key, "\"t\""));
	assert_true(slice_is(&m.fields[0].key, "k\""));
	/* Raw newlines and UTF-8 in strings. */
	assert_int_equal(parse("m s=\"a\nb\",u=\"caf\xc3\xa9\"", &m, &e), 0);
	assert_true(slice_is(&m.fields[0].v.s, "a\nb"));
	assert_true(slice_is(&m.fields[1].v.s, "caf\xc3\xa9"));
	lp_metric_free(&m);
}

static void test_parse_values(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_error e;
	assert_int_equal(
	    parse("m a=-9223372036854775808i,b=9223372036854775807i,"
		  "c=18446744073709551615u,d=1.,e=.5,f=-1.5e+78,g=1_000,"
		  "h=0x1p-2,i=T,j=False,k=FALSE,l=f,n=\"\",o=1e-400",
		  &m, &e),
	    0);
	assert_int_equal(m.nfields, 14);
	assert_true(m.fields[0].v.i == INT64_MIN);
	assert_true(m.fields[1].v.i == INT64_MAX);
	assert_true(m.fields[2].v.u == UINT64_MAX);
	assert_true(m.fields[3].v.f == 1.0);
	assert_true(m.fields[4].v.f == 0.5);
	assert_true(m.fields[5].v.f == -1.5e78);
	assert_true(m.fields[6].v.f == 1000);
	assert_true(m.fields[7].v.f == 0.25);
	assert_true(m.fields[8].v.b);
	assert_false(m.fields[9].v.b);
	assert_false(m.fields[10].v.b);
	assert_false(m.fields[11].v.b);
	assert_int_equal(m.fields[12].type, LP_STRING);
	assert_int_equal(m.fields[12].v.s.len, 0);
	assert_true(m.fields[13].v.f == 0); /* underflow is zero, as in Go */
	lp_metric_free(&m);
}

/* The one-pass reading of common numbers gives what the general path
 * gives, at and past its limits (18 digits, 2^53, signs, no digits). */
static void test_parse_fast_numbers_agree(void **state)
{
	(void)state;
	static const char *const floats[] = {
	    "0",
	    "-0",
	    "1.",
	    ".5",
	    "-.5",
	    "0.1",
	    "123456789012345678",
	    "1234567890123456789",
	    "9007199254740991",
	    "9007199254740993",
	    "0.000000000000000001",
	    "0.1234567890123456789",
	    "12345.678901234567",
	    "-99.999",
	    "1e5",
	    "1.5e-3",
	    "00012.50",
	};
	static const char *const ints[] = {
	    "0",
	    "-0",
	    "123456789012345678",
	    "-123456789012345678",
	    "1234567890123456789",
	    "9223372036854775807",
	    "-9223372036854775808",
	    "000000000000000000042",
	};
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_error e;
	char line[128];
	for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
		snprintf(line, sizeof(line), "m f=%s,g=1", floats[i]);
		assert_int_equal(parse(line, &m, &e), 0);
		double want;
		assert_int_equal(
		    lp_parse_float(floats[i], strlen(floats[i]), &want),
		    LP_NUM_OK);
		assert_int_equal(m.fields[0].type, LP_FLOAT);
		if (m.fields[0].v.f != want ||
		    signbit(m.fields[0].v.f) != signbit(want))
			fail_msg("%s: %.17g want %.17g", floats[i],
				 m.fields[0].v.f, want);
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		snprintf(line, sizeof(line), "m f=%si 5", ints[i]);
		assert_int_equal(parse(line, &m, &e), 0);
		int64_t want;
		assert_int_equal(lp_parse_int(ints[i], strlen(ints[i]), &want),
				 LP_NUM_OK);
		assert_int_equal(m.fields[0].type, LP_INT);
		assert_true(m.fields[0].v.i == want);
		snprintf(line, sizeof(line), "m f=%su", ints[i]);
		uint64_t uwant;
		int urc = lp_parse_uint(ints[i], strlen(ints[i]), &uwant);
		assert_int_equal(parse(line, &m, &e),
				 urc == LP_NUM_OK ? 0 : -1);
		if (urc == LP_NUM_OK)
			assert_true(m.fields[0].v.u == uwant);
	}
	lp_metric_free(&m);
}

static void test_parse_errors(void **state)
{
	(void)state;
	check_error("cpu,host=serverA,region value=1i",
		    "expected '=' after tag key \"region\", but got ' ' "
		    "instead at 1:18");
	check_error("cpu", "empty tag name at 1:4");
	check_error("cpu,a=1", "expected field key but none found at 1:8");
	check_error("cpu, f=1",
		    "expected tag key after comma; got white space instead "
		    "at 1:5");
	check_error("cpu,a= f=1",
		    "expected tag value after tag key \"a\", but none found "
		    "at 1:7");
	check_error("m\v2=1",
		    "expected tag key or field but found '\\v' instead at 1:2");
	check_error("\tm f=1",
		    "invalid character '\\t' found at start of measurement "
		    "name at 1:1");
	check_error("m f", "want '=' after field key \"f\", found end of input "
			   "at 1:4");
	check_error("m f=", "expected field value, found end of input at 1:5");
	check_error("m f=1,", "expected field key but none found at 1:7");
	check_error("m f=x", "field value has unrecognized type at 1:5");
	check_error("m f=NaN", "field value has unrecognized type at 1:5");
	check_error("m f=-Inf",
		    "cannot parse value \"-Inf\" for field key \"f\": NaN and "
		    "Inf cannot be line-protocol field values at 1:5");
	check_error("m f=1e400", "cannot parse value \"1e400\" for field key "
				 "\"f\": value out of range at 1:5");
	check_error("m f=9223372036854775808i",
		    "cannot parse value \"9223372036854775808i\" for field "
		    "key \"f\": value out of range at 1:5");
	check_error("m f=-1u", "cannot parse value \"-1u\" for field key "
			       "\"f\": invalid unsigned at 1:5");
	check_error("m f=1.5i", "cannot parse value \"1.5i\" for field key "
				"\"f\": invalid integer at 1:5");
	check_error("m f=tru", "cannot parse value \"tru\" for field key "
			       "\"f\": invalid boolean value at 1:5");
	check_error("m f=1_", "cannot parse value \"1_\" for field key "
			      "\"f\": invalid float at 1:5");
	check_error("m f=\"abc",
		    "expected closing quote for string field value, found "
		    "end of input at 1:5");
	check_error("m f=\"a\"x",
		    "unexpected character 'x' after field at 1:8");
	check_error("m f=1 12a", "invalid timestamp \"12a\" at 1:7");
	check_error("m f=1 1 x",
		    "unexpected text after timestamp \"x\" at 1:9");
	check_error("m f=1 99999999999999999999",
		    "invalid timestamp \"99999999999999999999\": out of range "
		    "at 1:7");
	check_error("m f=1 --1",
		    "invalid timestamp \"--1\": not an integer at 1:7");
	/* Bytes that are not UTF-8 are quoted as \xNN, as NUL is, never
	 * copied into the message (and so into a log line); valid UTF-8 is
	 * shown as it is. */
	check_error("m\xff\xfe f=1",
		    "invalid utf-8 sequence in token \"m\\xff\\xfe\" at 1:1");
	check_error("m s=\"a\xc3\"",
		    "invalid utf-8 sequence in token \"a\\xc3\" at 1:6");
	check_error("caf\xc3\xa9\xff f=1",
		    "invalid utf-8 sequence in token \"caf\xc3\xa9\\xff\" at "
		    "1:1");

	/* Positions count physical lines inside strings. */
	check_error("m s=\"a\nbc\" x", "invalid timestamp \"x\" at 2:5");
	check_error("", "empty line: no metric at 1:1");
	check_error("# c", "comment line: no metric at 1:1");
	check_error("# a\tb", "invalid character found in comment line at 1:1");
}

static void test_parse_reuses_arrays(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_error e;
	char line[4096];
	int n = snprintf(line, sizeof(line), "m");
	for (int i = 0; i < 40; i++)
		n +=
		    snprintf(line + n, sizeof(line) - (size_t)n, ",t%02d=v", i);
	n += snprintf(line + n, sizeof(line) - (size_t)n, " ");
	for (int i = 0; i < 40; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%sf%02d=%di",
			      i ? "," : "", i, i);
	assert_int_equal(parse(line, &m, &e), 0);
	assert_int_equal(m.ntags, 40);
	assert_int_equal(m.nfields, 40);
	assert_int_equal(m.fields[39].v.i, 39);
	struct lp_tag *tags = m.tags;
	struct lp_field *fields = m.fields;
	for (int k = 0; k < 3; k++) {
		assert_int_equal(parse("m,a=b x=1", &m, &e), 0);
		assert_int_equal(parse(line, &m, &e), 0);
		assert_ptr_equal(m.tags, tags);
		assert_ptr_equal(m.fields, fields);
	}
	lp_metric_free(&m);
}

static void test_reader(void **state)
{
	(void)state;
	const char *buf = "# head\n"
			  "a f=1 1\r\n"
			  "\n"
			  "b,t=x f=oops 2\n"
			  "   \n"
			  "c s=\"multi\nline\" 3\n"
			  "d f=4i 4\r";
	struct lp_reader r;
	lp_reader_init(&r, buf, strlen(buf));
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_error e;
	assert_int_equal(lp_reader_next(&r, &m, &e), LP_READ_METRIC);
	assert_true(slice_is(&m.name, "a"));
	assert_int_equal(m.time, 1);
	/* An error names its line; the reader goes on after it. */
	assert_int_equal(lp_reader_next(&r, &m, &e), LP_READ_INVALID);
	assert_int_equal(e.line, 4);
	assert_int_equal(e.column, 9);
	assert_int_equal(lp_reader_next(&r, &m, &e), LP_READ_METRIC);
	assert_true(slice_is(&m.name, "c"));
	assert_true(slice_is(&m.fields[0].v.s, "multi\nline"));
	/* The last line: no '\n', a final '\r' is a terminator. */
	assert_int_equal(lp_reader_next(&r, &m, &e), LP_READ_METRIC);
	assert_true(slice_is(&m.name, "d"));
	assert_int_equal(m.time, 4);
	assert_int_equal(m.line.len, 8);
	assert_int_equal(lp_reader_next(&r, &m, &e), LP_READ_END);
	assert_int_equal(lp_reader_next(&r, &m, &e), LP_READ_END);
	/* Errors after a multi-line string count its lines. */
	const char *two = "c s=\"1\n2\" 3\nbad\n";
	lp_reader_init(&r, two, strlen(two));
	assert_int_equal(lp_reader_next(&r, &m, &e), LP_READ_METRIC);
	assert_int_equal(lp_reader_next(&r, &m, &e), LP_READ_INVALID);
	assert_int_equal(e.line, 3);
	assert_int_equal(lp_reader_next(&r, &m, &e), LP_READ_END);
	lp_reader_init(&r, "", 0);
	assert_int_equal(lp_reader_next(&r, &m, &e), LP_READ_END);
	lp_metric_free(&m);
}

/* ------------------------------------------------------------------ */
/* Number syntax, as Go's strconv reads it. */

static void test_number_float_syntax(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int rc;
		double v;
	} cases[] = {
	    {"0", LP_NUM_OK, 0},
	    {"-0", LP_NUM_OK, -0.0},
	    {"1.", LP_NUM_OK, 1},
	    {".5", LP_NUM_OK, 0.5},
	    {"+1", LP_NUM_OK, 1},
	    {"1e3", LP_NUM_OK, 1000},
	    {"1E+3", LP_NUM_OK, 1000},
	    {"1e-3", LP_NUM_OK, 0.001},
	    {"1_000.000_1", LP_NUM_OK, 1000.0001},
	    {"0x1p4", LP_NUM_OK, 16},
	    {"0x_1p4", LP_NUM_OK, 16},
	    {"0X1.8P1", LP_NUM_OK, 3},
	    {"123456789012345678901234567890", LP_NUM_OK,
	     1.2345678901234568e29},
	    {"0.1000000000000000055511151231257827", LP_NUM_OK, 0.1},
	    {"4.9406564584124654e-324", LP_NUM_OK, 5e-324},
	    {"1e-400", LP_NUM_OK, 0},
	    {"1.7976931348623157e308", LP_NUM_OK, 1.7976931348623157e308},
	    {"1.8e308", LP_NUM_RANGE, 0},
	    {"-1e309", LP_NUM_RANGE, 0},
	    {"inf", LP_NUM_NONFINITE, 0},
	    {"-Infinity", LP_NUM_NONFINITE, 0},
	    {"NaN", LP_NUM_NONFINITE, 0},
	    {"", LP_NUM_SYNTAX, 0},
	    {".", LP_NUM_SYNTAX, 0},
	    {"-", LP_NUM_SYNTAX, 0},
	    {"1..2", LP_NUM_SYNTAX, 0},
	    {"1e", LP_NUM_SYNTAX, 0},
	    {"1e+", LP_NUM_SYNTAX, 0},
	    {"_1", LP_NUM_SYNTAX, 0},
	    {"1_", LP_NUM_SYNTAX, 0},
	    {"1__0", LP_NUM_SYNTAX, 0},
	    {"1_.5", LP_NUM_SYNTAX, 0},
	    {"0x1", LP_NUM_SYNTAX, 0}, /* hex needs its 'p' exponent */
	    {"0x", LP_NUM_SYNTAX, 0},
	    {"1x", LP_NUM_SYNTAX, 0},
	    {"--1", LP_NUM_SYNTAX, 0},
	    {"1 ", LP_NUM_SYNTAX, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = -1;
		int rc = lp_parse_float(cases[i].s, strlen(cases[i].s), &v);
		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d want %d", cases[i].s, rc,
				 cases[i].rc);
		if (rc == LP_NUM_OK &&
		    (v != cases[i].v || signbit(v) != signbit(cases[i].v)))
			fail_msg("\"%s\": %.17g want %.17g", cases[i].s, v,
				 cases[i].v);
	}
}

static void test_number_int_syntax(void **state)
{
	(void)state;
	int64_t i;
	uint64_t u;
	assert_int_equal(lp_parse_int(S("0"), &i), LP_NUM_OK);
	assert_int_equal(i, 0);
	assert_int_equal(lp_parse_int(S("-9223372036854775808"), &i),
			 LP_NUM_OK);
	assert_true(i == INT64_MIN);
	assert_int_equal(lp_parse_int(S("-9223372036854775809"), &i),
			 LP_NUM_RANGE);
	assert_int_equal(lp_parse_int(S("9223372036854775808"), &i),
			 LP_NUM_RANGE);
	assert_int_equal(lp_parse_int(S("99999999999999999999999"), &i),
			 LP_NUM_RANGE);
	assert_int_equal(lp_parse_int(S(""), &i), LP_NUM_SYNTAX);
	assert_int_equal(lp_parse_int(S("-"), &i), LP_NUM_SYNTAX);
	assert_int_equal(lp_parse_int(S("1_0"), &i), LP_NUM_SYNTAX);
	assert_int_equal(lp_parse_int(S("-+1"), &i), LP_NUM_SYNTAX);
	assert_int_equal(lp_parse_uint(S("18446744073709551615"), &u),
			 LP_NUM_OK);
	assert_true(u == UINT64_MAX);
	assert_int_equal(lp_parse_uint(S("18446744073709551616"), &u),
			 LP_NUM_RANGE);
	assert_int_equal(lp_parse_uint(S("-0"), &u), LP_NUM_SYNTAX);
	assert_int_equal(lp_parse_uint(S("+1"), &u), LP_NUM_SYNTAX);
	char out[32];
	assert_int_equal(lp_format_int(INT64_MIN, out), 20);
	assert_memory_equal(out, "-9223372036854775808", 20);
	assert_int_equal(lp_format_uint(UINT64_MAX, out), 20);
	assert_memory_equal(out, "18446744073709551615", 20);
	assert_int_equal(lp_format_uint(0, out), 1);
	assert_memory_equal(out, "0", 1);
	assert_int_equal(lp_format_int(-7, out), 2);
	assert_memory_equal(out, "-7", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_full_line),
	    cmocka_unit_test(test_parse_escapes),
	    cmocka_unit_test(test_parse_values),
	    cmocka_unit_test(test_parse_fast_numbers_agree),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_parse_reuses_arrays),
	    cmocka_unit_test(test_reader),
	    cmocka_unit_test(test_number_float_syntax),
	    cmocka_unit_test(test_number_int_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
