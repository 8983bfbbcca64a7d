/*
 * test_lp_split.c: metric boundaries (lp_split_next), blank lines
 * (lp_line_is_blank) and line numbers across pieces of a stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "telex/lp.h"

#define MAXM 64

struct split {
	size_t n;
	size_t len[MAXM];  /* with terminator */
	size_t text[MAXM]; /* without */
	size_t line[MAXM]; /* first physical line */
	bool cut[MAXM];	   /* the first line of one past the span bound */
	size_t rest;	   /* bytes left without a complete metric */
	size_t next_line;
};

/* Split buf by feeding it in pieces of the given sizes (cycled); 0 sizes
 * means all at once. Mirrors how a program reads a pipe. span: the
 * splitter's span_max, 0 for the default. */
static void split_span(const char *buf, size_t len, const size_t *sizes,
		       size_t nsizes, size_t span, struct split *out)
{
	memset(out, 0, sizeof(*out));
	struct lp_splitter s;
	lp_splitter_init(&s);
	if (span)
		s.span_max = span;
	size_t start = 0, avail = 0, k = 0;
	while (avail < len || start < avail) {
		size_t more = nsizes ? sizes[k++ % nsizes] : len;
		size_t prev = avail;
		avail = avail + more > len ? len : avail + more;
		for (;;) {
			size_t first = s.line, text;
			size_t n = lp_split_next(&s, buf + start, avail - start,
						 &text);
			if (n == 0)
				break;
			assert_true(out->n < MAXM);
			out->len[out->n] = n;
			out->text[out->n] = text;
			out->line[out->n] = first;
			out->cut[out->n] = s.cut;
			out->n++;
			start += n;
		}
		if (avail == len && prev == len)
			break;
	}
	out->rest = len - start;
	out->next_line = s.line;
}

static void split_pieces(const char *buf, size_t len, const size_t *sizes,
			 size_t nsizes, struct split *out)
{
	split_span(buf, len, sizes, nsizes, 0, out);
}

static void check_split_span(const char *buf, size_t span, size_t nmetrics,
			     const size_t *lens, size_t rest)
{
	size_t len = strlen(buf);
	struct split whole;
	split_span(buf, len, NULL, 0, span, &whole);
	if (whole.n != nmetrics)
		fail_msg("\"%s\": %zu metrics, want %zu", buf, whole.n,
			 nmetrics);
	for (size_t i = 0; i < nmetrics; i++)
		if (whole.len[i] != lens[i])
			fail_msg("\"%s\": metric %zu has %zu bytes, want %zu",
				 buf, i, whole.len[i], lens[i]);
	if (whole.rest != rest)
		fail_msg("\"%s\": %zu bytes left, want %zu", buf, whole.rest,
			 rest);
	/* The same boundaries whatever the pieces. */
	static const size_t pieces[][4] = {{1}, {2}, {3}, {7}, {1, 5, 2, 9}};
	static const size_t npieces[] = {1, 1, 1, 1, 4};
	for (size_t p = 0; p < 5; p++) {
		struct split cut;
		split_span(buf, len, pieces[p], npieces[p], span, &cut);
		assert_int_equal(cut.n, whole.n);
		assert_int_equal(cut.rest, whole.rest);
		assert_int_equal(cut.next_line, whole.next_line);
		for (size_t i = 0; i < whole.n; i++) {
			assert_int_equal(cut.len[i], whole.len[i]);
			assert_int_equal(cut.text[i], whole.text[i]);
			assert_int_equal(cut.line[i], whole.line[i]);
			assert_int_equal(cut.cut[i], whole.cut[i]);
		}
	}
}

static void check_split(const char *buf, size_t nmetrics, const size_t *lens,
			size_t rest)
{
	check_split_span(buf, 0, nmetrics, lens, rest);
}

#define LENS(...) ((const size_t[]){__VA_ARGS__})
#define NLENS(...) (sizeof(LENS(__VA_ARGS__)) / sizeof(size_t))
#define SPLIT(buf, rest, ...)                                                  \
	check_split(buf, NLENS(__VA_ARGS__), LENS(__VA_ARGS__), rest)
#define SPLIT_SPAN(buf, span, rest, ...)                                       \
	check_split_span(buf, span, NLENS(__VA_ARGS__), LENS(__VA_ARGS__), rest)

static void test_split_plain_lines(void **state)
{
	(void)state;
	SPLIT("a f=1\nbb f=2\n", 0, 6, 7);
	/* The last line without its terminator is not returned. */
	SPLIT("a f=1\nbb f=2", 6, 6);
	check_split("", 0, NULL, 0);
	check_split("no newline", 0, NULL, 10);
	/* Empty and comment lines are metrics too. */
	SPLIT("\n\n# c\na f=1\n", 0, 1, 1, 4, 6);
}

static void test_split_crlf(void **state)
{
	(void)state;
	const char *buf = "a f=1\r\nb f=2\r\n\r\n";
	SPLIT(buf, 0, 7, 7, 2);
	struct split s;
	split_pieces(buf, strlen(buf), NULL, 0, &s);
	assert_int_equal(s.text[0], 5);
	assert_int_equal(s.text[1], 5);
	assert_int_equal(s.text[2], 0);
	/* A bare '\r' is no terminator. */
	SPLIT("a f=1\rb f=2\n", 0, 12);
	split_pieces("a f=\"x\r\n\"\n", 10, NULL, 0, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.text[0], 9); /* \r\n inside the string stays */
}

static void test_split_newline_in_string(void **state)
{
	(void)state;
	const char *buf = "m s=\"a\nb\nc\",t=1i 5\nn f=1\n";
	SPLIT(buf, 0, 19, 6);
	struct split s;
	split_pieces(buf, strlen(buf), NULL, 0, &s);
	assert_int_equal(s.line[0], 1);
	assert_int_equal(s.line[1], 4); /* the first metric spans 3 lines */
	assert_int_equal(s.next_line, 5);
	/* Escaped quote inside, then a raw newline: still the string. */
	SPLIT("m s=\"a\\\"\nb\"\nx f=1\n", 0, 12, 6);
	/* An even run of backslashes before '"' closes the string. */
	SPLIT("m s=\"a\\\\\",t=\"x\ny\"\nz f=1\n", 0, 18, 6);
	/* The string is still open at the end: no metric yet. */
	check_split("m s=\"abc\n", 0, NULL, 9);
}

static void test_split_quotes_that_open_nothing(void **state)
{
	(void)state;
	/* A quote in the measurement, a tag, a field key, or after the
	 * timestamp's space does not start a string. */
	SPLIT("m\"x f=1\nn f=2\n", 0, 8, 6);
	SPLIT("m,t=\"a f=1\nn f=2\n", 0, 11, 6);
	SPLIT("m,\"t\"=a f=1\nn f=2\n", 0, 12, 6);
	SPLIT("m k\"ey=1\nn f=2\n", 0, 9, 6);
	SPLIT("m f=1 \"5\nn f=2\n", 0, 9, 6);
	/* "\=" in a field key is an escaped '=': the '"' is in the key. */
	SPLIT("m k\\=\"x=1\nn f=2\n", 0, 10, 6);
	/* A comment may hold quotes. */
	SPLIT("# say \"hi\nm f=1\n", 0, 10, 6);
	SPLIT("   # \"\nm f=1\n", 0, 7, 6);
}

static void test_split_escaped_spaces(void **state)
{
	(void)state;
	/* "\ " in the head is no section break: the '"' after "f=" is in a
	 * tag value, so the newline ends the metric. */
	SPLIT("m,t=a\\ f=\"x\ny\"\n", 0, 12, 3);
	/* "\\ " is a backslash and then an escaped space, still the head. */
	SPLIT("m,t=a\\\\ f=\"x\ny\"\n", 0, 13, 3);
	/* An escaped space in a field key keeps the field section. */
	SPLIT("m k\\ x=\"a\nb\"\n", 0, 13);
}

static void test_split_line_numbers_across_calls(void **state)
{
	(void)state;
	struct lp_splitter s;
	lp_splitter_init(&s);
	assert_int_equal(s.line, 1);
	size_t text;
	const char *a = "m s=\"1\n2\"";
	assert_int_equal(lp_split_next(&s, a, strlen(a), &text), 0);
	assert_int_equal(s.line, 1);
	const char *b = "m s=\"1\n2\" 5\nn";
	assert_int_equal(lp_split_next(&s, b, strlen(b), &text), 12);
	assert_int_equal(text, 11);
	assert_int_equal(s.line, 3);
	assert_int_equal(lp_split_next(&s, b + 12, 1, &text), 0);
}

/* An unclosed '"' may swallow lines only up to span_max bytes from the
 * metric's start: then its first line comes alone, marked cut, and the
 * lines it swallowed are split one by one, wherever the pieces end. */
static void test_split_span_bound(void **state)
{
	(void)state;
	const char *bad = "m f=\"abc 1\nm v=1\nm v=2\nm v=3\n";
	SPLIT_SPAN(bad, 16, 0, 11, 6, 6, 6);
	struct split s;
	split_span(bad, strlen(bad), NULL, 0, 16, &s);
	assert_true(s.cut[0]);
	assert_false(s.cut[1]);
	assert_int_equal(s.text[0], 10);
	assert_int_equal(s.line[1], 2);
	assert_int_equal(s.line[3], 4);
	assert_int_equal(s.next_line, 5);
	/* Without the bound (the default is far away) it is one metric
	 * still waiting for its closing quote. */
	check_split(bad, 0, NULL, strlen(bad));

	/* A metric over two lines of exactly span_max bytes (its '\n'
	 * included) is whole; one byte less and it is cut. */
	const char *ok = "m s=\"a\nb\" 1\nn f=1\n";
	SPLIT_SPAN(ok, 12, 0, 12, 6);
	SPLIT_SPAN(ok, 11, 0, 7, 5, 6);
	split_span(ok, strlen(ok), NULL, 0, 11, &s);
	assert_true(s.cut[0]);
	assert_int_equal(s.line[2], 3);

	/* The string's first newline itself past the bound: a long first
	 * line, then the next lines one by one. */
	SPLIT_SPAN("m s=\"abcdefghij\nx\" 1\nn f=1\n", 8, 0, 16, 5, 6);

	/* One physical line has no length limit. */
	SPLIT_SPAN("m s=\"abcdefghij\" 1\nn f=1\n", 8, 0, 19, 6);
	/* "\r\n" after the cut line is its terminator. */
	split_span("m f=\"a\r\nm v=1\r\nm v=2\r\n", 22, NULL, 0, 12, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.text[0], 6);
	assert_int_equal(s.text[1], 5);
}

/* Every physical line holds a '"' that closes the string before it and
 * opens another: lines that only ever make one endless metric. Each one
 * is cut, and the work stays linear (no line is walked again from each of
 * the lines before it). */
static void test_split_chained_quotes(void **state)
{
	(void)state;
	static char buf[60 * 1000 + 1];
	size_t len = 0;
	for (int i = 0; i < 1000; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"m f=\",x\",g=\"\n");
	struct lp_splitter s;
	lp_splitter_init(&s);
	s.span_max = 4096;
	size_t pos = 0, n, text, metrics = 0, cuts = 0;
	while ((n = lp_split_next(&s, buf + pos, len - pos, &text)) > 0) {
		assert_int_equal(n, 13);
		cuts += s.cut;
		metrics++;
		pos += n;
	}
	/* The first line of each 4 KiB run is cut, the lines it swallowed
	 * are split one by one; the tail (under 4 KiB) waits for its
	 * quote. */
	assert_true(cuts >= 1 && cuts <= 1000 * 13 / 4096 + 1);
	assert_true(metrics >= 1000 - 4096 / 13);
	assert_int_equal(metrics * 13, pos);
	assert_true(len - pos < 4096);
}

/* A metric over several lines that the parser rejects costs its first
 * line: the reader reports that line and reads on at the next one. */
static void test_reader_resyncs_after_unclosed_quote(void **state)
{
	(void)state;
	const char *buf = "m f=\"abc 1\nm v=1\nm g=\"x\" 2\nm s=\"a\nb\" 3\n";
	struct lp_reader r;
	struct lp_metric m;
	struct lp_error err;
	lp_metric_init(&m);
	lp_reader_init(&r, buf, strlen(buf));
	assert_int_equal(lp_reader_next(&r, &m, &err), LP_READ_INVALID);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "closing quote"));
	assert_int_equal(lp_reader_next(&r, &m, &err), LP_READ_METRIC);
	assert_int_equal(m.line.len, 5);
	assert_memory_equal(m.line.ptr, "m v=1", 5);
	assert_int_equal(lp_reader_next(&r, &m, &err), LP_READ_METRIC);
	assert_memory_equal(m.line.ptr, "m g=\"x\" 2", 9);
	/* Past the lines the bad metric had swallowed, a string may span
	 * lines again. */
	assert_int_equal(lp_reader_next(&r, &m, &err), LP_READ_METRIC);
	assert_int_equal(m.line.len, 11);
	assert_int_equal(lp_reader_next(&r, &m, &err), LP_READ_END);

	/* Without a terminator at the end of the buffer, the same. */
	const char *tail = "m f=\"abc 1\nm v=1";
	lp_reader_init(&r, tail, strlen(tail));
	assert_int_equal(lp_reader_next(&r, &m, &err), LP_READ_INVALID);
	assert_int_equal(lp_reader_next(&r, &m, &err), LP_READ_METRIC);
	assert_int_equal(m.line.len, 5);
	assert_int_equal(lp_reader_next(&r, &m, &err), LP_READ_END);

	/* A string still open at the bound: the first line is the bad one,
	 * and its message says why (as the output runner's does). */
	const char *big = "m f=\"abc 1\nm v=1\nm w=2\nm x=3\n";
	lp_reader_init(&r, big, strlen(big));
	r.split.span_max = 16;
	assert_int_equal(lp_reader_next(&r, &m, &err), LP_READ_INVALID);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, LP_SPLIT_CUT_REASON));
	assert_int_equal(lp_reader_next(&r, &m, &err), LP_READ_METRIC);
	assert_memory_equal(m.line.ptr, "m v=1", 5);
	lp_metric_free(&m);
}

static void test_line_is_blank(void **state)
{
	(void)state;
	assert_true(lp_line_is_blank("", 0));
	assert_true(lp_line_is_blank("   ", 3));
	assert_true(lp_line_is_blank("# comment, with \"stuff\"", 23));
	assert_true(lp_line_is_blank("  #x", 4));
	assert_true(lp_line_is_blank("#x\r", 3)); /* '\r' at the very end */
	assert_true(lp_line_is_blank(" \r", 2));
	assert_true(lp_line_is_blank("# caf\xc3\xa9", 7));
	assert_false(lp_line_is_blank("m f=1", 5));
	assert_false(lp_line_is_blank("  m", 3));
	assert_false(lp_line_is_blank("\tm", 2));
	/* A comment with a control character is an error, not a comment. */
	assert_false(lp_line_is_blank("# a\tb", 5));
	assert_false(lp_line_is_blank("# a\rb", 5));
	assert_false(lp_line_is_blank("# \x7f", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_plain_lines),
	    cmocka_unit_test(test_split_crlf),
	    cmocka_unit_test(test_split_newline_in_string),
	    cmocka_unit_test(test_split_quotes_that_open_nothing),
	    cmocka_unit_test(test_split_escaped_spaces),
	    cmocka_unit_test(test_split_line_numbers_across_calls),
	    cmocka_unit_test(test_split_span_bound),
	    cmocka_unit_test(test_split_chained_quotes),
	    cmocka_unit_test(test_reader_resyncs_after_unclosed_quote),
	    cmocka_unit_test(test_line_is_blank),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
