/*
 * test_config.c: loading a program's table: every value type, sub-tables,
 * the table rules, ignored and deprecated keys, and every error with the
 * file and line it names. Log lines go to a pipe and are checked too.
 */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config_fixture.h"

static int load(const char *text)
{
	return cfg_load_text(&tspec, text, strlen(text), "t.conf", &cfg,
			     &common, err, sizeof(err));
}

/* Loading must fail with an error holding every one of the fragments. */
static void load_fails(const char *text, ...)
{
	int rc = load(text);
	if (rc == 0)
		fail_msg("loaded, expected an error for:\n%s", text);
	va_list ap;
	va_start(ap, text);
	const char *frag;
	while ((frag = va_arg(ap, const char *)) != NULL) {
		if (!strstr(err, frag))
			fail_msg("error \"%s\" lacks \"%s\"", err, frag);
	}
	va_end(ap);
	if (!cfg_err_has_line(err, "t.conf"))
		fail_msg("error \"%s\" names no file:line", err);
	/* A failed load leaves nothing allocated behind. */
	assert_null(cfg.str);
	assert_null(cfg.names.v);
	assert_null(common.name_override);
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(cfg_set_defaults(&tspec, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.str, "hello");
	assert_true(cfg.flag);
	assert_int_equal(cfg.count, 3);
	assert_true(cfg.ratio == 0.5);
	assert_int_equal(cfg.timeout, 10000000000LL);
	assert_int_equal(cfg.max_size, 65536);
	assert_int_equal(cfg.names.n, 2);
	assert_false(cfg.names.set);
	assert_string_equal(cfg.names.v[0], "a");
	assert_string_equal(cfg.names.v[1], "b");
	assert_null(cfg.names.v[2]);
	assert_int_equal(cfg.headers.n, 0);
	assert_string_equal(cfg.suffix.method, "");
	assert_string_equal(cfg.suffix.separator, "_");
	assert_string_equal(cfg.codec, "none");
	assert_null(cfg.password);
}

static void test_every_type(void **state)
{
	(void)state;
	assert_int_equal(load("# comment\n"
			      "[[inputs.test]]\n"
			      "  str = \"world\" # trailing comment\n"
			      "  flag = false\n"
			      "  count = 1_0\n"
			      "  ratio = 2\n"
			      "  timeout = \"1m30s\"\n"
			      "  max_size = \"1MB\"\n"
			      "  names = [\n"
			      "    \"x\", # first\n"
			      "    # a comment line inside\n"
			      "    'y',\n"
			      "  ]\n"
			      "  codec = \"zstd\"\n"
			      "  modes = [\"read\", \"write\"]\n"
			      "  password = \"s3cret\"\n"),
			 0);
	assert_string_equal(cfg.str, "world");
	assert_false(cfg.flag);
	assert_int_equal(cfg.count, 10);
	assert_true(cfg.ratio == 2.0);
	assert_int_equal(cfg.timeout, 90000000000LL);
	assert_int_equal(cfg.max_size, 1000000);
	assert_int_equal(cfg.names.n, 2);
	assert_true(cfg.names.set);
	assert_string_equal(cfg.names.v[0], "x");
	assert_string_equal(cfg.names.v[1], "y");
	assert_string_equal(cfg.codec, "zstd");
	assert_int_equal(cfg.modes.n, 2);
	assert_string_equal(cfg.password, "s3cret");
	assert_string_equal(logcap_text(), "");
}

static void test_numbers(void **state)
{
	(void)state;
	assert_int_equal(load("[[inputs.test]]\ncount = 0x1F\n"), 0);
	assert_int_equal(cfg.count, 31);
	cfg_free(&tspec, &cfg, &common);
	assert_int_equal(load("[[inputs.test]]\ncount = 0o17\n"), 0);
	assert_int_equal(cfg.count, 15);
	cfg_free(&tspec, &cfg, &common);
	assert_int_equal(load("[[inputs.test]]\ncount = 0b101\n"), 0);
	assert_int_equal(cfg.count, 5);
	cfg_free(&tspec, &cfg, &common);
	assert_int_equal(load("[[inputs.test]]\ncount = +7\nratio = -2.5E-1\n"),
			 0);
	assert_int_equal(cfg.count, 7);
	assert_true(cfg.ratio == -0.25);
	cfg_free(&tspec, &cfg, &common);
	assert_int_equal(load("[[inputs.test]]\nratio = 1_000.5\n"), 0);
	assert_true(cfg.ratio == 1000.5);
	cfg_free(&tspec, &cfg, &common);
	/* Duration as integer and float seconds, size as integer bytes. */
	assert_int_equal(
	    load("[[inputs.test]]\ntimeout = 2\nmax_size = 4096\n"), 0);
	assert_int_equal(cfg.timeout, 2000000000LL);
	assert_int_equal(cfg.max_size, 4096);
	cfg_free(&tspec, &cfg, &common);
	assert_int_equal(load("[[inputs.test]]\ntimeout = 1.5\n"), 0);
	assert_int_equal(cfg.timeout, 1500000000LL);
}

static void test_number_errors(void **state)
{
	(void)state;
	load_fails("[[inputs.test]]\ncount = 9223372036854775808\n",
		   "t.conf:2:9:", "does not fit in 64 bits", NULL);
	load_fails("[[inputs.test]]\ncount = 012\n",
		   "t.conf:2:9:", "leading zeros", NULL);
	load_fails("[[inputs.test]]\ncount = 1__0\n",
		   "t.conf:2:9:", "invalid number", NULL);
	load_fails("[[inputs.test]]\nratio = 1.\n",
		   "t.conf:2:9:", "invalid number", NULL);
	load_fails("[[inputs.test]]\nratio = nan\n",
		   "t.conf:2:", "finite number", NULL);
	load_fails("[[inputs.test]]\ncount = 1979-05-27\n",
		   "t.conf:2:9:", "dates and times are not supported", NULL);
	load_fails("[[inputs.test]]\nstr = measurement\n",
		   "t.conf:2:7:", "a string needs quotes: \"measurement\"",
		   NULL);
}

static void test_strings(void **state)
{
	(void)state;
	assert_int_equal(load("[[inputs.test]]\n"
			      "str = \"a\\tb\\n\\\"q\\\" \\\\ \\u00e9 "
			      "\\U0001F600\"\n"
			      "codec = 'gzip'\n"
			      "names = ['C:\\path\\x', \"\"\"\n"
			      "line1\n"
			      "  line2 \\\n"
			      "     joined\"\"\", '''\n"
			      "raw \\n ''text''''']\n"),
			 0);
	assert_string_equal(cfg.str,
			    "a\tb\n\"q\" \\ \xc3\xa9 \xf0\x9f\x98\x80");
	assert_string_equal(cfg.codec, "gzip");
	assert_int_equal(cfg.names.n, 3);
	assert_string_equal(cfg.names.v[0], "C:\\path\\x");
	assert_string_equal(cfg.names.v[1], "line1\n  line2 joined");
	assert_string_equal(cfg.names.v[2], "raw \\n ''text''");
}

static void test_string_errors(void **state)
{
	(void)state;
	load_fails("[[inputs.test]]\nstr = \"abc\n",
		   "t.conf:2:11:", "newline in a single-line string", NULL);
	load_fails("[[inputs.test]]\nstr = \"abc",
		   "t.conf:2:7:", "string not closed", NULL);
	load_fails("[[inputs.test]]\nstr = \"a\\qb\"\n",
		   "t.conf:2:9:", "invalid escape \\q", NULL);
	load_fails("[[inputs.test]]\nstr = \"\\ud800\"\n",
		   "t.conf:2:8:", "not a Unicode scalar value", NULL);
	load_fails("[[inputs.test]]\nstr = \"\\u0000\"\n",
		   "t.conf:2:8:", "NUL characters", NULL);
	load_fails("[[inputs.test]]\nstr = \"a\x01\"\n",
		   "t.conf:2:9:", "control character U+0001", NULL);
	load_fails("[[inputs.test]]\nstr = \"\xc3\x28\"\n",
		   "t.conf:2:8:", "invalid UTF-8", NULL);
	load_fails("[[inputs.test]]\nstr = \"\"\"abc\n",
		   "t.conf:2:7:", "missing \"\"\"", NULL);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	load_fails("[[inputs.test]]\nstr \"x\"\n",
		   "t.conf:2:5:", "expected '=' after the key \"str\"", NULL);
	load_fails("[[inputs.test]]\nstr = \"x\" junk\n",
		   "t.conf:2:11:", "expected the end of the line", NULL);
	load_fails("[[inputs.test]]\nstr = \"x\"\nstr = \"y\"\n",
		   "t.conf:3:1:", "duplicate key \"str\" (first set on line 2)",
		   NULL);
	load_fails("[[inputs.test]]\nnames = [\"a\" \"b\"]\n",
		   "t.conf:2:14:", "expected ',' or ']'", NULL);
	load_fails("[[inputs.test]]\nnames = [\"a\",\n",
		   "t.conf:2:9:", "array not closed", NULL);
	load_fails("[[inputs.test]\n", "t.conf:1:14:", "expected ']]'", NULL);
	load_fails("[inputs]\n[inputs]\n", "t.conf:2:1:",
		   "table [inputs] is defined twice (first on line 1)", NULL);
	load_fails("[[inputs.test]]\nheaders = { a = \"1\" \n",
		   "inline table not closed", NULL);
	load_fails("[[inputs.test]]\nstr = \n",
		   "t.conf:2:7:", "expected a value, found the end of the line",
		   NULL);
	load_fails("[[inputs.test]]\nstr = \"x\"\r\rflag = true\n",
		   "t.conf:2:10:", "carriage return", NULL);
	load_fails("x = 1\n[[inputs.test]]\n",
		   "t.conf:1:", "\"x\" is set outside of any table",
		   "[[inputs.test]]", NULL);
}

static void test_unknown_key(void **state)
{
	(void)state;
	load_fails("[[inputs.test]]\n\n  timout = \"5s\"\n",
		   "t.conf:3: unknown key \"timout\" in [[inputs.test]] (did "
		   "you mean \"timeout\"?); valid keys: str, flag, count, "
		   "ratio, timeout, max_size, names, headers, librdkafka, "
		   "topic_suffix, codec, modes, password, version, old_opt",
		   "common keys", NULL);
	load_fails("[[inputs.test]]\nzzzzzzzzz = 1\n",
		   "t.conf:2: unknown key \"zzzzzzzzz\" in [[inputs.test]];",
		   NULL);
	/* A typo of a common key is suggested too. */
	load_fails("[[inputs.test]]\nnamepas = [\"a\"]\n",
		   "did you mean \"namepass\"", NULL);
	/* Unknown key inside a declared sub-table lists its own keys. */
	load_fails("[[inputs.test]]\n[inputs.test.topic_suffix]\n"
		   "metod = \"tags\"\n",
		   "t.conf:3: unknown key \"metod\" in "
		   "[inputs.test.topic_suffix] (did you mean \"method\"?); "
		   "valid keys: method, separator, keys",
		   NULL);
}

static void test_type_and_value_errors(void **state)
{
	(void)state;
	load_fails("[[inputs.test]]\ncount = \"5\"\n",
		   "t.conf:2: bad value for \"count\" in [[inputs.test]]: "
		   "expected an integer (without quotes), got the string \"5\"",
		   NULL);
	load_fails("[[inputs.test]]\nflag = \"true\"\n",
		   "t.conf:2:", "expected true or false", NULL);
	load_fails("[[inputs.test]]\nstr = 5\n", "t.conf:2:",
		   "expected a string in quotes, got the integer 5", NULL);
	load_fails("[[inputs.test]]\nratio = \"x\"\n",
		   "t.conf:2:", "expected a number", NULL);
	load_fails("[[inputs.test]]\nnames = \"a\"\n",
		   "t.conf:2:", "expected an array of strings", NULL);
	load_fails("[[inputs.test]]\nnames = [\"a\",\n 3]\n", "t.conf:3:",
		   "element 2: expected a string, got the integer 3", NULL);
	load_fails("[[inputs.test]]\ncodec = \"zstdd\"\n", "t.conf:2:",
		   "\"zstdd\" is not one of \"none\", \"gzip\", \"snappy\", "
		   "\"lz4\", \"zstd\"",
		   NULL);
	load_fails("[[inputs.test]]\nmodes = [\"read\", \"exec\"]\n",
		   "t.conf:2:", "\"exec\" is not one of \"read\", \"write\"",
		   NULL);
	load_fails("[[inputs.test]]\ncount = 101\n",
		   "t.conf:2:", "101 is out of range (0 to 100)", NULL);
	load_fails("[[inputs.test]]\ntimeout = \"2h\"\n",
		   "t.conf:2:", "2h0m0s is out of range (1ms to 1h0m0s)", NULL);
	/* A duration without a declared range: never negative, never past
	 * 2^31-1 ms (it would wrap as librdkafka's int milliseconds). */
	load_fails("[[inputs.test]]\ninterval = \"4294968296ms\"\n",
		   "t.conf:2:", "\"interval\"",
		   "1193h2m48.296s is out of range (0s to 596h31m23.647s)",
		   NULL);
	load_fails("[[inputs.test]]\nflush_interval = \"-5s\"\n",
		   "t.conf:2:", "\"flush_interval\"",
		   "-5s is out of range (0s to", NULL);
	load_fails("[[inputs.test]]\ntimeout = \"10 seconds\"\n",
		   "t.conf:2:", "\"10 seconds\" is not a duration", NULL);
	load_fails("[[inputs.test]]\nmax_size = \"1mb\"\n",
		   "t.conf:2:", "\"1mb\" is not a size", "case-sensitive",
		   NULL);
	load_fails("[[inputs.test]]\nheaders = [\"a\"]\n",
		   "t.conf:2:", "expected a table of key = \"value\" entries",
		   NULL);
	load_fails("[[inputs.test]]\n[inputs.test.headers]\na = 1\n",
		   "t.conf:3:", "\"a\": expected a string, got the integer 1",
		   NULL);
	load_fails("[[inputs.test]]\ntopic_suffix = \"x\"\n",
		   "t.conf:2:", "expected a table", NULL);
	load_fails("[[inputs.test]]\n[[inputs.test.topic_suffix]]\n",
		   "t.conf:2:", "got an array of tables", NULL);
}

static void test_secret_not_echoed(void **state)
{
	(void)state;
	assert_int_not_equal(load("[[inputs.test]]\npassword = 12345678\n"), 0);
	assert_non_null(strstr(err, "\"password\""));
	assert_null(strstr(err, "12345678"));
	assert_non_null(strstr(err, "got an integer"));
}

/* A syntax error in a secret's value (the option is declared secret, or
 * its name says so, as in [*.librdkafka]) names file:line:col and never
 * quotes the value; other values are still quoted, to help. */
static void test_secret_not_echoed_in_syntax_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "password = hunter2\n",
	    "password = hunter2 x\n",
	    "password = 0123hunter2\n",
	    "password = 1e999999\n",
	    "password = \"hunter2\"hunter2\n",
	    "password = \"hun\\hter2\"\n",
	    "password = [\"a\", hunter2]\n",
	    "[inputs.test.librdkafka]\n\"sasl.password\" = hunter2\n",
	    "[inputs.test.librdkafka]\n\"ssl.key.password\" = 123hunter2\n",
	    "headers = {api_token = \"x\"hunter2}\n",
	    "headers = {api_token = hunter2}\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[[inputs.test]]\n%s", bad[i]);
		assert_int_not_equal(load(text), 0);
		if (strstr(err, "hunter2") || strstr(err, "'h'") ||
		    strstr(err, "\\h"))
			fail_msg("the secret is echoed: %s", err);
		if (!strstr(err, "t.conf:"))
			fail_msg("no position: %s", err);
		cfg_free(&tspec, &cfg, &common);
		memset(&cfg, 0, sizeof(cfg));
	}
	load_fails("[[inputs.test]]\nstr = hunter2\n",
		   "t.conf:2:", "invalid value hunter2", NULL);
}

static void test_check_regex(void **state)
{
	(void)state;
	char why[256];
	assert_int_equal(
	    cfg_check_regex("^a(b|c)+$", REG_EXTENDED, why, sizeof(why)), 0);
	assert_int_equal(cfg_check_regex("a(", REG_EXTENDED, why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "Unmatched ("));
	assert_int_equal(cfg_check_regex("^.*(((a*)*){25}b)", REG_EXTENDED, why,
					 sizeof(why)),
			 -2);
	assert_non_null(strstr(why, "too costly to compile"));
}

static void test_sub_tables(void **state)
{
	(void)state;
	assert_int_equal(load("[[inputs.test]]\n"
			      "  str = \"s\"\n"
			      "  [inputs.test.headers]\n"
			      "    b = \"2\"\n"
			      "    \"a key\" = \"1\"\n"
			      "  [inputs.test.topic_suffix]\n"
			      "    method = \"tags\"\n"
			      "    keys = [\"host\", \"dc\"]\n"
			      "  [inputs.test.librdkafka]\n"
			      "    \"queue.buffering.max.ms\" = 5\n"
			      "    \"enable.idempotence\" = true\n"
			      "    \"socket.keepalive.enable\" = \"true\"\n"
			      "    ratio = 0.25\n"
			      "    big = 1_000_000\n"),
			 0);
	assert_int_equal(cfg.headers.n, 2);
	assert_string_equal(cfg.headers.keys[0], "b");
	assert_string_equal(cfg.headers.values[0], "2");
	assert_string_equal(cfg.headers.keys[1], "a key");
	assert_string_equal(cfg.suffix.method, "tags");
	assert_string_equal(cfg.suffix.separator, "_");
	assert_int_equal(cfg.suffix.keys.n, 2);
	assert_string_equal(cfg.suffix.keys.v[1], "dc");
	assert_int_equal(cfg.librdkafka.n, 5);
	assert_string_equal(cfg.librdkafka.values[0], "5");
	assert_string_equal(cfg.librdkafka.values[1], "true");
	assert_string_equal(cfg.librdkafka.values[2], "true");
	assert_string_equal(cfg.librdkafka.values[3], "0.25");
	assert_string_equal(cfg.librdkafka.values[4], "1000000");
}

static void test_inline_and_dotted(void **state)
{
	(void)state;
	assert_int_equal(load("[[inputs.test]]\n"
			      "headers = { x = \"1\", y = \"2\" }\n"
			      "topic_suffix = {\n"
			      "  method = \"measurement\", # newline ok\n"
			      "  separator = \".\",\n"
			      "}\n"),
			 0);
	assert_int_equal(cfg.headers.n, 2);
	assert_string_equal(cfg.headers.values[1], "2");
	assert_string_equal(cfg.suffix.method, "measurement");
	assert_string_equal(cfg.suffix.separator, ".");
	cfg_free(&tspec, &cfg, &common);
	assert_int_equal(load("[[inputs.test]]\nheaders.x = \"1\"\n"
			      "headers.y = \"2\"\n"),
			 0);
	assert_int_equal(cfg.headers.n, 2);
	assert_string_equal(cfg.headers.keys[1], "y");
	cfg_free(&tspec, &cfg, &common);
	/* An inline table is closed: a header cannot add to it. */
	load_fails("[[inputs.test]]\nheaders = { x = \"1\" }\n"
		   "[inputs.test.headers]\n",
		   "t.conf:3:", "already set to a value on line 2", NULL);
}

static void test_table_rules(void **state)
{
	(void)state;
	assert_int_equal(load("[agent]\n  interval = \"10s\"\n"
			      "[global_tags]\n  dc = \"x\"\n"
			      "[[inputs.cpu]]\n  percpu = true\n"
			      "[[inputs.test]]\n  str = \"first\"\n"
			      "[[outputs.kafka]]\n  brokers = []\n"
			      "[[inputs.test]]\n  str = \"second\"\n"),
			 0);
	assert_string_equal(cfg.str, "first");
	const char *log = logcap_text();
	assert_non_null(strstr(log, "W! t.conf:1: [agent] is ignored"));
	assert_non_null(strstr(log, "W! t.conf:3: [global_tags] is ignored"));
	assert_non_null(strstr(log, "W! t.conf:5: [[inputs.cpu]] is ignored: "
				    "this program reads only [[inputs.test]]"));
	assert_non_null(strstr(log, "W! t.conf:9: [[outputs.kafka]] is "
				    "ignored"));
	assert_non_null(strstr(log, "W! t.conf:11: this [[inputs.test]] is "
				    "ignored"));
	cfg_free(&tspec, &cfg, &common);
	/* The legacy single-bracket form is read too. */
	assert_int_equal(load("[inputs.test]\nstr = \"legacy\"\n"), 0);
	assert_string_equal(cfg.str, "legacy");
	cfg_free(&tspec, &cfg, &common);
	load_fails("[[inputs.cpu]]\n", "t.conf:1: no [[inputs.test]] table",
		   NULL);
	/* An empty file, or only comments: the defaults. */
	assert_int_equal(load("# nothing here\n\n"), 0);
	assert_string_equal(cfg.str, "hello");
	cfg_free(&tspec, &cfg, &common);
	/* Sub-table before its plugin table still belongs to it. */
	assert_int_equal(load("[inputs.test.headers]\na = \"b\"\n"), 0);
	assert_int_equal(cfg.headers.n, 1);
}

static void test_ignored_and_deprecated(void **state)
{
	(void)state;
	assert_int_equal(load("[[inputs.test]]\nversion = \"2.0.0\"\n"
			      "old_opt = 4\n"),
			 0);
	assert_int_equal(cfg.old_opt, 4);
	const char *log = logcap_text();
	assert_non_null(strstr(log, "W! t.conf:2: \"version\" in "
				    "[[inputs.test]] is ignored: telex uses "
				    "librdkafka, which negotiates this\n"));
	assert_non_null(strstr(log, "W! t.conf:3: \"old_opt\" in "
				    "[[inputs.test]] is deprecated: use "
				    "\"count\" instead\n"));
}

static void test_agent_keys(void **state)
{
	(void)state;
	assert_int_equal(load("\n[[inputs.test]]\ninterval = \"10s\"\n"
			      "alias = \"a\"\ncollection_jitter = \"1s\"\n"
			      "precision = \"1ms\"\n"),
			 0);
	const char *log = logcap_text();
	assert_non_null(strstr(log, "I! t.conf:2: [[inputs.test]]: interval, "
				    "alias, collection_jitter, precision are "
				    "Telegraf agent settings"));
	/* One line only. */
	assert_null(strchr(strchr(log, '\n') + 1, '!'));
	cfg_free(&tspec, &cfg, &common);
	load_fails("[[inputs.test]]\ninterval = \"10 s\"\n",
		   "t.conf:2:", "\"interval\"", "is not a duration", NULL);
}

static void test_common(void **state)
{
	(void)state;
	assert_int_equal(load("[[inputs.test]]\n"
			      "name_override = \"vm\"\n"
			      "name_prefix = \"p_\"\n"
			      "name_suffix = \"_s\"\n"
			      "namepass = [\"cpu*\"]\n"
			      "namedrop = [\"cpu_x\"]\n"
			      "fieldpass = [\"a\"]\n"
			      "fieldinclude = [\"b\"]\n"
			      "fielddrop = [\"c\"]\n"
			      "taginclude = [\"host\"]\n"
			      "tagexclude = []\n"
			      "namepass_separator = \".\"\n"
			      "log_level = \"debug\"\n"
			      "[inputs.test.tags]\n"
			      "  dc = \"eu\"\n"
			      "[inputs.test.tagpass]\n"
			      "  cpu = [\"cpu0\", \"cpu1\"]\n"
			      "  host = []\n"
			      "[inputs.test.tagdrop]\n"
			      "  dc = [\"us*\"]\n"),
			 0);
	assert_string_equal(common.name_override, "vm");
	assert_string_equal(common.name_prefix, "p_");
	assert_string_equal(common.name_suffix, "_s");
	assert_int_equal(common.namepass.n, 1);
	assert_string_equal(common.namepass.v[0], "cpu*");
	assert_int_equal(common.fieldinclude.n, 2);
	assert_string_equal(common.fieldinclude.v[0], "a");
	assert_string_equal(common.fieldinclude.v[1], "b");
	assert_null(common.fieldinclude.v[2]);
	assert_int_equal(common.fieldexclude.n, 1);
	assert_true(common.tagexclude.set);
	assert_int_equal(common.tagexclude.n, 0);
	assert_string_equal(common.namepass_separator, ".");
	assert_string_equal(common.log_level, "debug");
	assert_int_equal(common.tags.n, 1);
	assert_string_equal(common.tags.keys[0], "dc");
	assert_string_equal(common.tags.values[0], "eu");
	assert_int_equal(common.tagpass.n, 2);
	assert_string_equal(common.tagpass.keys[0], "cpu");
	assert_int_equal(common.tagpass.values[0].n, 2);
	assert_string_equal(common.tagpass.values[0].v[1], "cpu1");
	assert_int_equal(common.tagpass.values[1].n, 0);
	assert_int_equal(common.tagdrop.n, 1);
	const char *log = logcap_text();
	/* fieldpass/fielddrop are Telegraf 1.25's keys: no advice to use
	 * fieldinclude, which 1.25 does not know. */
	assert_null(strstr(log, "fieldpass"));
	assert_null(strstr(log, "fielddrop"));
}

static void test_common_errors(void **state)
{
	(void)state;
	load_fails("[[inputs.test]]\nlog_level = \"verbose\"\n",
		   "t.conf:2: bad value for \"log_level\" in [[inputs.test]]: "
		   "unknown log_level \"verbose\"; use one of error, warn, "
		   "info, debug, trace",
		   NULL);
	load_fails("[[inputs.test]]\nlog_level = 3\n",
		   "t.conf:2:", "\"log_level\"", "expected a string", NULL);
	load_fails("[[inputs.test]]\nmetricpass = \"true\"\n", "t.conf:2:",
		   "\"metricpass\" (a CEL expression) is not supported", NULL);
	load_fails("[[inputs.test]]\nnamepass = \"cpu\"\n",
		   "t.conf:2:", "\"namepass\"", "expected an array of strings",
		   NULL);
	load_fails("[[inputs.test]]\n[inputs.test.tagpass]\ncpu = \"x\"\n",
		   "t.conf:3:", "\"tagpass.cpu\"", NULL);
	/* A pattern that does not compile, at its own line. */
	load_fails(
	    "[[inputs.test]]\nnamepass = [\n  \"cpu*\",\n  \"[z-a]\",\n]\n",
	    "t.conf:4: bad value for \"namepass\" in [[inputs.test]]: "
	    "bad pattern \"[z-a]\"",
	    NULL);
	load_fails("[[inputs.test]]\n[inputs.test.tagdrop]\ncpu = [\"[\"]\n",
		   "t.conf:3: bad value for \"tagdrop.cpu\"", "bad pattern",
		   NULL);
	load_fails("[[inputs.test]]\ntagpass = 3\n",
		   "t.conf:2:", "expected a table of tag key", NULL);
	load_fails("[[inputs.test]]\n[inputs.test.tags]\nn = 1\n",
		   "t.conf:3:", "expected a string, got the integer 1", NULL);
}

static void test_output_tags_ignored(void **state)
{
	(void)state;
	const char *text = "[[outputs.req]]\nbrokers = \"b:9092\"\n"
			   "name_override = \"x\"\n"
			   "[outputs.req.tags]\na = \"b\"\n";
	assert_int_equal(cfg_load_text(&treq_spec, text, strlen(text), "o.conf",
				       &cfg, &common, err, sizeof(err)),
			 0);
	assert_string_equal(cfg.required_s, "b:9092");
	assert_string_equal(common.name_override, "x");
	assert_int_equal(common.tags.n, 0);
	assert_non_null(strstr(logcap_text(),
			       "W! o.conf:4: \"tags\" in "
			       "[[outputs.req]] is ignored: Telegraf "
			       "adds plugin tags to inputs only\n"));
	cfg_free(&treq_spec, &cfg, &common);
}

static void test_required(void **state)
{
	(void)state;
	const char *text = "\n[[outputs.req]]\nstr = \"y\"\n";
	assert_int_not_equal(cfg_load_text(&treq_spec, text, strlen(text),
					   "o.conf", &cfg, &common, err,
					   sizeof(err)),
			     0);
	assert_string_equal(err, "o.conf:2: [[outputs.req]] is missing the "
				 "required key \"brokers\": Kafka brokers.");
	assert_null(cfg.str);
}

/* An option's own check runs where the value is read: the error names the
 * file, the line (of a list's element at fault) and the option, in
 * sub-tables too; a value the check accepts loads. */
static void test_option_checks(void **state)
{
	(void)state;
	load_fails("[[inputs.test]]\nnames = [\n  \"a\",\n  \"b\",\n  "
		   "\"forbidden\",\n]\n",
		   "t.conf:5: bad value for \"names\" in [[inputs.test]]: "
		   "element 3: \"forbidden\" is refused",
		   NULL);
	load_fails("[[inputs.test]]\n[inputs.test.topic_suffix]\n"
		   "separator = \"a/b\"\n",
		   "t.conf:3: bad value for \"topic_suffix.separator\" in "
		   "[[inputs.test]]: \"/\" cannot be in a topic",
		   NULL);
	assert_int_equal(load("[[inputs.test]]\nnames = [\"a\", \"b\"]\n"
			      "topic_suffix = { separator = \"-\" }\n"),
			 0);
	assert_string_equal(cfg.suffix.separator, "-");
}

/* The spec's finalize sees the whole table and its error names the line
 * of the option it points at, or of the table when the file does not set
 * that option; it runs for the defaults alone too. */
struct tfin {
	char *mode;
	int64_t derived;
};

static int tfin_finalize(void *config, struct cfg_problem *p)
{
	struct tfin *c = config;
	if (strcmp(c->mode, "unset") == 0) {
		p->key = "mode";
		return cfg_refuse(p, "set mode");
	}
	c->derived = (int64_t)strlen(c->mode);
	return 0;
}

static const struct cfg_option tfin_opts[] = {
    {.name = "mode",
     .type = CFG_STRING,
     .offset = offsetof(struct tfin, mode),
     .default_value = "\"unset\"",
     .help = "A mode."},
    {.name = NULL},
};

static const struct cfg_spec tfin_spec = {.section = "outputs",
					  .name = "fin",
					  .options = tfin_opts,
					  .finalize = tfin_finalize};

static int tfin_load(struct tfin *c, const char *text)
{
	memset(c, 0, sizeof(*c));
	return cfg_load_text(&tfin_spec, text, strlen(text), "f.conf", c,
			     &common, err, sizeof(err));
}

static void test_finalize(void **state)
{
	(void)state;
	load_fails("[[inputs.test]]\nstr = \"s\"\n[inputs.test.topic_suffix]\n"
		   "  method = \"tags\"\n",
		   "t.conf:4: [[inputs.test]]: topic_suffix.method = \"tags\" "
		   "needs topic_suffix.keys",
		   NULL);
	load_fails("[[inputs.test]]\ntopic_suffix = {method = \"tags\"}\n",
		   "t.conf:2: [[inputs.test]]: topic_suffix.method", NULL);

	struct tfin c;
	assert_int_equal(
	    tfin_load(&c, "# x\n\n[[outputs.fin]]\nmode = \"unset\"\n"), -1);
	assert_string_equal(err, "f.conf:4: [[outputs.fin]]: set mode");
	assert_null(c.mode);
	/* Not in the file: the table's line. */
	assert_int_equal(tfin_load(&c, "# x\n[[outputs.fin]]\n"), -1);
	assert_string_equal(err, "f.conf:2: [[outputs.fin]]: set mode");
	/* An empty file: the first line. */
	assert_int_equal(tfin_load(&c, ""), -1);
	assert_string_equal(err, "f.conf:1: [[outputs.fin]]: set mode");
	/* No file at all. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(cfg_set_defaults(&tfin_spec, &c, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "[[outputs.fin]] (no config file, the "
				 "defaults): set mode");
	assert_null(c.mode);
	/* Accepted: what it derived stays. */
	assert_int_equal(tfin_load(&c, "[[outputs.fin]]\nmode = \"fast\"\n"),
			 0);
	assert_int_equal(c.derived, 4);
	cfg_free(&tfin_spec, &c, &common);
}

static void test_crlf_bom(void **state)
{
	(void)state;
	assert_int_equal(load("\xef\xbb\xbf[[inputs.test]]\r\nstr = \"w\"\r\n"
			      "names = [\r\n\"a\",\r\n]\r\n"),
			 0);
	assert_string_equal(cfg.str, "w");
	assert_int_equal(cfg.names.n, 1);
	cfg_free(&tspec, &cfg, &common);
	load_fails("[[inputs.test]]\r\nstr = 5\r\n", "t.conf:2:", NULL);
}

static void test_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/telex-test-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "[[inputs.test]]\ncount = 42\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(
	    cfg_load_file(&tspec, path, &cfg, &common, err, sizeof(err)), 0);
	assert_int_equal(cfg.count, 42);
	cfg_free(&tspec, &cfg, &common);
	unlink(path);
	assert_int_not_equal(
	    cfg_load_file(&tspec, path, &cfg, &common, err, sizeof(err)), 0);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
	assert_int_not_equal(
	    cfg_load_file(&tspec, "/tmp", &cfg, &common, err, sizeof(err)), 0);
	assert_string_equal(err, "/tmp: is a directory, not a config file");
	/* /dev/null: no config, the defaults. */
	assert_int_equal(
	    cfg_load_file(&tspec, "/dev/null", &cfg, &common, err, sizeof(err)),
	    0);
	assert_int_equal(cfg.count, 3);
}

static void test_error_buffer_small(void **state)
{
	(void)state;
	char small[16];
	const char *text = "[[inputs.test]]\nnope = 1\n";
	assert_int_not_equal(cfg_load_text(&tspec, text, strlen(text), "t.conf",
					   &cfg, &common, small, sizeof(small)),
			     0);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, "t.conf:2: unkno", 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_defaults),
	    T(test_every_type),
	    T(test_numbers),
	    T(test_number_errors),
	    T(test_strings),
	    T(test_string_errors),
	    T(test_syntax_errors),
	    T(test_unknown_key),
	    T(test_type_and_value_errors),
	    T(test_secret_not_echoed),
	    T(test_secret_not_echoed_in_syntax_errors),
	    T(test_check_regex),
	    T(test_sub_tables),
	    T(test_inline_and_dotted),
	    T(test_table_rules),
	    T(test_ignored_and_deprecated),
	    T(test_agent_keys),
	    T(test_common),
	    T(test_common_errors),
	    T(test_output_tags_ignored),
	    T(test_required),
	    T(test_option_checks),
	    T(test_finalize),
	    T(test_crlf_bom),
	    T(test_load_file),
	    T(test_error_buffer_small),
	};
	return cmocka_run_group_tests(tests, logcap_setup_debug,
				      logcap_teardown);
}
