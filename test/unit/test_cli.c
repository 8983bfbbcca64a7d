/*
 * test_cli.c: the shared command line, in every spelling Go's flag package
 * accepts (existing execd command arrays were written for the Go shim).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../shim/telex_cli.h"
#include "telex/shim.h"
#include "text_check.h"

static char err[256];

#define PARSE(c, ...)                                                          \
	({                                                                     \
		char *argv_[] = {"telex-test", __VA_ARGS__};                   \
		err[0] = '\0';                                                 \
		telex_cli_parse(c, (int)(sizeof(argv_) / sizeof(argv_[0])),    \
				argv_, err, sizeof(err));                      \
	})

static void test_config_spellings(void **state)
{
	(void)state;
	struct telex_cli c;
	assert_int_equal(PARSE(&c, "-config", "/a.conf"), 0);
	assert_string_equal(c.config_path, "/a.conf");
	assert_int_equal(PARSE(&c, "--config", "/b.conf"), 0);
	assert_string_equal(c.config_path, "/b.conf");
	assert_int_equal(PARSE(&c, "-config=/c.conf"), 0);
	assert_string_equal(c.config_path, "/c.conf");
	assert_int_equal(PARSE(&c, "--config=/d=e.conf"), 0);
	assert_string_equal(c.config_path, "/d=e.conf");
	/* The last one wins, as with Go's flag. */
	assert_int_equal(PARSE(&c, "-config", "/x", "-config", "/y"), 0);
	assert_string_equal(c.config_path, "/y");
}

static void test_go_shim_command_line(void **state)
{
	(void)state;
	struct telex_cli c;
	assert_int_equal(PARSE(&c, "-config", "/etc/telex/libvirt.conf",
			       "-poll_interval", "10s"),
			 0);
	assert_string_equal(c.poll_interval, "10s");
	assert_false(c.poll_interval_disabled);
	assert_int_equal(
	    PARSE(&c, "--poll_interval=1m30s", "-poll_interval_disabled"), 0);
	assert_string_equal(c.poll_interval, "1m30s");
	assert_true(c.poll_interval_disabled);
	assert_int_equal(PARSE(&c, "-poll_interval_disabled=false"), 0);
	assert_false(c.poll_interval_disabled);
	assert_int_equal(PARSE(&c, "-poll_interval_disabled=1"), 0);
	assert_true(c.poll_interval_disabled);
}

static void test_flags(void **state)
{
	(void)state;
	struct telex_cli c;
	assert_int_equal(PARSE(&c, "--once", "--debug", "-flush_timeout", "2s"),
			 0);
	assert_true(c.once);
	assert_true(c.debug);
	assert_string_equal(c.flush_timeout, "2s");
	assert_false(c.help);
	assert_null(c.config_path);
	assert_int_equal(PARSE(&c, "-h"), 0);
	assert_true(c.help);
	assert_int_equal(PARSE(&c, "--help"), 0);
	assert_true(c.help);
	assert_int_equal(PARSE(&c, "--version"), 0);
	assert_true(c.version);
	assert_int_equal(PARSE(&c, "--sample-config"), 0);
	assert_true(c.sample_config);
	assert_int_equal(PARSE(&c, "--man-options"), 0);
	assert_true(c.man_options);
	assert_int_equal(PARSE(&c, "-once", "--"), 0);
	assert_true(c.once);
}

static void test_errors(void **state)
{
	(void)state;
	struct telex_cli c;
	assert_int_equal(PARSE(&c, "--cofnig", "/a"), -1);
	assert_non_null(strstr(err, "unknown option \"--cofnig\""));
	assert_int_equal(PARSE(&c, "--cofnig=/a"), -1);
	assert_non_null(strstr(err, "unknown option \"--cofnig\""));
	assert_int_equal(PARSE(&c, "-config"), -1);
	assert_non_null(strstr(err, "\"-config\" needs a value"));
	assert_int_equal(PARSE(&c, "-config="), -1);
	assert_non_null(strstr(err, "non-empty"));
	assert_int_equal(PARSE(&c, "extra"), -1);
	assert_non_null(strstr(err, "unexpected argument \"extra\""));
	assert_int_equal(PARSE(&c, "-"), -1);
	assert_int_equal(PARSE(&c, "--", "extra"), -1);
	assert_non_null(strstr(err, "\"extra\""));
	assert_int_equal(PARSE(&c, "--once=maybe"), -1);
	assert_non_null(strstr(err, "\"--once\" takes true or false"));
}

static const struct cfg_option no_options[] = {{NULL}};

/* The --help text of a plugin of this kind, program name, summary and
 * table (no options), written into b (emptied first). */
static const char *usage_of(enum telex_kind kind, const char *program,
			    const char *summary, const char *table,
			    struct buf *b)
{
	char section[32];
	snprintf(section, sizeof(section), "%.*s", (int)strcspn(table, "."),
		 table);
	const struct telex_plugin p = {
	    .program = program,
	    .summary = summary,
	    .kind = kind,
	    .config = {.section = section,
		       .name = table + strlen(section) + 1,
		       .options = no_options},
	};
	buf_clear(b);
	telex_cli_usage(&p, b);
	buf_putc(b, '\0');
	return b->data;
}

static void test_usage(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	const char *text =
	    usage_of(TELEX_INPUT, "telex-libvirt", "VM metrics from libvirt",
		     "inputs.libvirt", &b);
	assert_non_null(strstr(text, "Usage: telex-libvirt"));
	assert_non_null(strstr(text, "VM metrics from libvirt"));
	assert_non_null(strstr(text, "[[inputs.libvirt]]"));
	assert_non_null(strstr(text, "-poll_interval DUR"));
	assert_non_null(strstr(text, "--once"));

	text = usage_of(TELEX_OUTPUT, "telex-kafka-output", NULL,
			"outputs.kafka", &b);
	assert_non_null(strstr(text, "[[outputs.kafka]]"));
	assert_null(strstr(text, "--once"));
	assert_null(strstr(text, "-poll_interval DUR"));

	/* Within 80 columns, however long the summary and table name. */
	text = usage_of(TELEX_SERVICE_INPUT, "telex-kafka-consumer",
			"read metrics from Kafka topics to stdout, a drop-in "
			"for Telegraf's inputs.kafka_consumer",
			"inputs.kafka_consumer", &b);
	assert_non_null(strstr(text, "[[inputs.kafka_consumer]]"));
	assert_lines_within(text, 80, "--help");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_spellings),
	    cmocka_unit_test(test_go_shim_command_line),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
