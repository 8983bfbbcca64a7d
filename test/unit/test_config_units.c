/*
 * test_config_units.c: durations and sizes as Telegraf's config.Duration
 * (Go's time.ParseDuration, numbers as seconds) and config.Size
 * (alecthomas/units ParseStrictBytes, integers as bytes) read them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "telex/config.h"

#define NS 1LL
#define US 1000LL
#define MS 1000000LL
#define S 1000000000LL
#define M (60 * S)
#define H (60 * M)

/* A text and the value it reads as (nanoseconds or bytes). */
struct unit_case {
	const char *text;
	int64_t value;
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* parse reads every ok text as its value and refuses every bad one. */
static void check_units(int (*parse)(const char *, int64_t *),
			const struct unit_case *ok, size_t nok,
			const char *const *bad, size_t nbad)
{
	for (size_t i = 0; i < nok; i++) {
		int64_t v = -12345;
		if (parse(ok[i].text, &v) != 0)
			fail_msg("\"%s\" refused", ok[i].text);
		if (v != ok[i].value)
			fail_msg("\"%s\" = %lld, want %lld", ok[i].text,
				 (long long)v, (long long)ok[i].value);
	}
	for (size_t i = 0; i < nbad; i++) {
		int64_t v;
		if (parse(bad[i], &v) == 0)
			fail_msg("\"%s\" accepted as %lld", bad[i],
				 (long long)v);
	}
}

static void test_durations(void **state)
{
	(void)state;
	static const struct unit_case ok[] = {
	    {"10s", 10 * S},
	    {"1m30s", M + 30 * S},
	    {"500ms", 500 * MS},
	    {"1h", H},
	    {"2us", 2 * US},
	    {"2\xc2\xb5s", 2 * US}, /* U+00B5 micro sign */
	    {"2\xce\xbcs", 2 * US}, /* U+03BC greek mu */
	    {"100ns", 100 * NS},
	    {"1.5h", H + 30 * M},
	    {"1h2m3s4ms5us6ns", H + 2 * M + 3 * S + 4 * MS + 5 * US + 6},
	    {".5s", 500 * MS},
	    {"1.s", S},
	    {"-1s", -S},
	    {"+2m", 2 * M},
	    {"0", 0},
	    {"", 0},
	    {"10", 10 * S},
	    {"1.5", 1500 * MS},
	    {"-3", -3 * S},
	    {"1e1", 10 * S},
	    {"1d", 24 * H},
	    {"0.000000001s", 1},
	    {"2562047h", 2562047 * H},
	};
	static const char *const bad[] = {
	    "10 s",  "s",	  "1x", "1S",	 "1H",	     "1m30",
	    ".s",    "-",	  "+",	"1..2s", "3000000h", "10sec",
	    "1.5.s", "\xc2\xb5s", "1e", "0x10",	 "1_0s",
	};
	check_units(cfg_parse_duration, ok, COUNT(ok), bad, COUNT(bad));
	int64_t ns;
	assert_int_equal(cfg_parse_duration(NULL, &ns), -1);
}

static void test_sizes(void **state)
{
	(void)state;
	static const struct unit_case ok[] = {
	    {"64KiB", 65536},
	    {"1MB", 1000000},
	    {"1MiB", 1048576},
	    {"1GiB", 1073741824LL},
	    {"1kB", 1000},
	    {"1KB", 1000},
	    {"10B", 10},
	    {"1.5MiB", 1572864},
	    {"1GiB512MiB", 1610612736LL},
	    {"2TB", 2000000000000LL},
	    {"1EiB", 1152921504606846976LL},
	    {"4096", 4096},
	    {"0", 0},
	    {"-1", -1},
	};
	static const char *const bad[] = {
	    "",	       "1mb",  "1kib", "1KIB", "1 MB", "MB",
	    "1MiB1MB", "8EiB", "1.5",  "1Ki",  "x",    "99999999999999999999",
	};
	check_units(cfg_parse_size, ok, COUNT(ok), bad, COUNT(bad));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
