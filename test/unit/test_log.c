/*
 * test_log.c: stderr lines in Telegraf's execd format and rate-limited
 * logging. Log lines are sent to a pipe and read back.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "logcap.h"

#include "telex/log.h"

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_prefixes_and_levels(void **state)
{
	(void)state;
	log_set_level(LOG_TRACE);
	log_error("e %d", 1);
	log_warn("w");
	log_info("i");
	log_debug("d");
	log_msg(LOG_TRACE, "t");
	assert_string_equal(logcap_text(), "E! e 1\nW! w\nI! i\nD! d\nT! t\n");

	log_set_level(LOG_INFO);
	assert_int_equal(log_get_level(), LOG_INFO);
	log_debug("hidden");
	log_msg(LOG_TRACE, "hidden");
	log_info("shown");
	assert_string_equal(logcap_text(), "I! shown\n");

	log_set_level(LOG_ERROR);
	log_warn("hidden");
	log_error("shown");
	assert_string_equal(logcap_text(), "E! shown\n");

	/* Out-of-range levels neither crash nor print. */
	log_set_level(LOG_TRACE);
	log_msg((enum log_level)7, "bad");
	log_msg((enum log_level) - 1, "bad");
	assert_string_equal(logcap_text(), "");
	log_set_level((enum log_level)42);
	assert_int_equal(log_get_level(), LOG_TRACE);
	log_set_level(LOG_INFO);
}

static void test_one_event_one_line(void **state)
{
	(void)state;
	log_error("first\nsecond\r\nthird");
	assert_string_equal(logcap_text(), "E! first second  third\n");
	log_info("%s", "");
	assert_string_equal(logcap_text(), "I! \n");
}

/* Whatever a message quotes (a metric name, a header, a domain name),
 * the line is valid UTF-8 text: control bytes and bytes that are not
 * UTF-8 are written \xNN, as NUL would be. */
static void test_raw_bytes_escaped(void **state)
{
	(void)state;
	log_warn("name \"%s\"", "a\xff\xfe\x01"
				"b\xc3\xa9\tc\x7f\xe2\x82");
	assert_string_equal(logcap_text(),
			    "W! name \"a\\xff\\xfe\\x01b\xc3\xa9\tc\\x7f"
			    "\\xe2\\x82\"\n");
	/* A line of such bytes is cut like any other, never mid-escape. */
	char msg[LOG_LINE_MAX];
	memset(msg, 0xff, sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	log_error("%s", msg);
	const char *out = logcap_text();
	size_t len = strlen(out);
	assert_true(len <= LOG_LINE_MAX);
	assert_memory_equal(out + len - 4, "...\n", 4);
	assert_int_equal((len - 3 - 4) % 4, 0);
}

static void test_truncation(void **state)
{
	(void)state;
	size_t big = 3 * LOG_LINE_MAX;
	char *msg = malloc(big + 1);
	/* Two-byte characters ("é") so a cut in the middle is possible. */
	for (size_t i = 0; i + 1 < big; i += 2) {
		msg[i] = (char)0xC3;
		msg[i + 1] = (char)0xA9;
	}
	msg[big] = '\0';
	log_warn("x%s", msg);
	const char *out = logcap_text();
	size_t len = strlen(out);
	assert_true(len <= LOG_LINE_MAX);
	assert_true(len > LOG_LINE_MAX - 16);
	assert_int_equal(count_lines(out), 1);
	assert_memory_equal(out, "W! x", 4);
	assert_memory_equal(out + len - 4, "...\n", 4);
	/* The text before "..." ends on a whole character: "x" then pairs. */
	size_t text = len - 4 - 4;
	assert_int_equal(text % 2, 0);
	assert_int_equal((unsigned char)out[len - 5], 0xA9);

	/* Exactly at the limit: not cut. */
	size_t fit = LOG_LINE_MAX - 5; /* prefix 3, '\n' 1, NUL 1 */
	memset(msg, 'a', fit);
	msg[fit] = '\0';
	log_info("%s", msg);
	out = logcap_text();
	assert_int_equal(strlen(out), fit + 4);
	assert_memory_equal(out + fit + 1, "aa\n", 3);
	free(msg);
}

static void test_level_parse(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("error"), LOG_ERROR);
	assert_int_equal(log_level_parse("WARN"), LOG_WARN);
	assert_int_equal(log_level_parse("warning"), LOG_WARN);
	assert_int_equal(log_level_parse("Info"), LOG_INFO);
	assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
	assert_int_equal(log_level_parse("trace"), LOG_TRACE);
	assert_int_equal(log_level_parse("verbose"), -1);
	assert_int_equal(log_level_parse(""), -1);
	assert_int_equal(log_level_parse(NULL), -1);
}

static void test_limited(void **state)
{
	(void)state;
	struct log_limiter lim = {.interval_ns = 3600LL * 1000000000LL};
	static const char bad[] = "invalid line";
	log_limited(&lim, LOG_WARN, bad, "line %d: bad", 1);
	assert_string_equal(logcap_text(), "W! line 1: bad\n");
	for (int i = 2; i <= 5; i++)
		log_limited(&lim, LOG_WARN, bad, "line %d: bad", i);
	assert_string_equal(logcap_text(), "");
	assert_int_equal(log_limited_total(&lim, bad), 5);
	/* Compared by text too, not only by pointer. */
	char copy[] = "invalid line";
	assert_int_equal(log_limited_total(&lim, copy), 5);
	assert_int_equal(log_limited_total(&lim, "other"), 0);

	/* Another reason has its own budget. */
	log_limited(&lim, LOG_ERROR, "too large", "big one");
	assert_string_equal(logcap_text(), "E! big one\n");

	/* Once the interval has passed, the next line carries the count of
	 * what was suppressed. */
	lim.reasons[0].last_ns -= lim.interval_ns + 1;
	log_limited(&lim, LOG_WARN, bad, "line %d: bad", 6);
	assert_string_equal(logcap_text(),
			    "W! line 6: bad (and 4 more invalid line since the "
			    "last report)\n");
	assert_int_equal(log_limited_total(&lim, bad), 6);

	/* flush reports what is still unreported, once. */
	log_limited(&lim, LOG_WARN, bad, "line 7");
	log_limited(&lim, LOG_WARN, bad, "line 8");
	assert_string_equal(logcap_text(), "");
	log_limited_flush(&lim, LOG_INFO);
	assert_string_equal(
	    logcap_text(),
	    "I! 2 more invalid line since the last report (8 in all)\n");
	log_limited_flush(&lim, LOG_INFO);
	assert_string_equal(logcap_text(), "");

	/* A NULL reason is counted under a generic one. */
	log_limited(&lim, LOG_WARN, NULL, "odd");
	assert_int_equal(log_limited_total(&lim, NULL), 1);
	logcap_text();
}

static void test_limited_many_reasons(void **state)
{
	(void)state;
	struct log_limiter lim = {.interval_ns = 3600LL * 1000000000LL};
	static char names[LOG_LIMIT_REASONS + 8][16];
	for (int i = 0; i < LOG_LIMIT_REASONS + 8; i++) {
		snprintf(names[i], sizeof(names[i]), "reason %d", i);
		log_limited(&lim, LOG_WARN, names[i], "%s", names[i]);
	}
	assert_int_equal(lim.nreasons, LOG_LIMIT_REASONS);
	/* The first ones keep their own counts. */
	assert_int_equal(log_limited_total(&lim, names[0]), 1);
	assert_int_equal(log_limited_total(&lim, names[LOG_LIMIT_REASONS - 2]),
			 1);
	/* Every event is counted somewhere. */
	uint64_t sum = 0;
	for (unsigned i = 0; i < lim.nreasons; i++)
		sum += lim.reasons[i].total;
	assert_int_equal(sum, LOG_LIMIT_REASONS + 8);
	logcap_text();
}

/* A full non-blocking log descriptor (stderr sharing a stdout pipe the
 * writer made non-blocking): the line waits for room instead of being
 * dropped. */
static void *drain_later(void *arg)
{
	(void)arg;
	usleep(50000);
	char b[4096];
	/* Take one page: room for the line. */
	(void)!read(logcap_read_fd(), b, sizeof(b));
	return NULL;
}

static void test_full_nonblocking_fd(void **state)
{
	(void)state;
	int fl = fcntl(logcap_write_fd(), F_GETFL);
	fcntl(logcap_write_fd(), F_SETFL, fl | O_NONBLOCK);
	char fill[4096];
	memset(fill, 'f', sizeof(fill));
	size_t filled = 0;
	ssize_t w;
	while ((w = write(logcap_write_fd(), fill, sizeof(fill))) > 0)
		filled += (size_t)w;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, drain_later, NULL), 0);
	log_error("after the wait");
	pthread_join(th, NULL);
	fcntl(logcap_write_fd(), F_SETFL, fl);
	const char *out = logcap_text();
	size_t len = strlen(out);
	assert_int_equal(len, filled - 4096 + strlen("E! after the wait\n"));
	assert_string_equal(out + len - 18, "E! after the wait\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefixes_and_levels),
	    cmocka_unit_test(test_one_event_one_line),
	    cmocka_unit_test(test_raw_bytes_escaped),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_level_parse),
	    cmocka_unit_test(test_limited),
	    cmocka_unit_test(test_limited_many_reasons),
	    cmocka_unit_test(test_full_nonblocking_fd),
	};
	return cmocka_run_group_tests(tests, logcap_setup_info,
				      logcap_teardown);
}
