/*
 * test_config_doc.c: --sample-config and the man page's OPTIONS section,
 * both made from the option declaration. The sample must parse back to
 * the defaults, both as written and with every option uncommented.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_expect.h"
#include "config_test_spec.h"
#include "text_check.h"

static char *sample_of(const struct cfg_spec *spec)
{
	struct buf b = BUF_INIT;
	cfg_write_sample(spec, &b);
	buf_putc(&b, '\0');
	return b.data;
}

/* Remove "# " after the indentation of every line that is not help
 * ("## "): what an operator does to use an option. */
static char *uncomment(const char *s)
{
	char *out = malloc(strlen(s) + 1);
	char *o = out;
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t n = eol ? (size_t)(eol - s + 1) : strlen(s);
		size_t ind = strspn(s, " ");
		if (ind + 2 <= n && s[ind] == '#' && s[ind + 1] == ' ') {
			memcpy(o, s, ind);
			o += ind;
			memcpy(o, s + ind + 2, n - ind - 2);
			o += n - ind - 2;
		} else {
			memcpy(o, s, n);
			o += n;
		}
		s += n;
	}
	*o = '\0';
	return out;
}

static void assert_defaults(const struct tcfg *c)
{
	struct tcfg d;
	memset(&d, 0, sizeof(d));
	char err[256];
	assert_int_equal(cfg_set_defaults(&tspec, &d, err, sizeof(err)), 0);
	assert_string_equal(c->str, d.str);
	assert_int_equal(c->flag, d.flag);
	assert_int_equal(c->count, d.count);
	assert_true(c->ratio == d.ratio);
	assert_int_equal(c->timeout, d.timeout);
	assert_int_equal(c->max_size, d.max_size);
	assert_int_equal(c->names.n, d.names.n);
	for (size_t i = 0; i < d.names.n; i++)
		assert_string_equal(c->names.v[i], d.names.v[i]);
	assert_int_equal(c->headers.n, d.headers.n);
	assert_string_equal(c->suffix.method, d.suffix.method);
	assert_string_equal(c->suffix.separator, d.suffix.separator);
	assert_int_equal(c->suffix.keys.n, d.suffix.keys.n);
	assert_string_equal(c->codec, d.codec);
	assert_int_equal(c->modes.n, d.modes.n);
	cfg_free(&tspec, &d, NULL);
}

static void test_sample_exact(void **state)
{
	(void)state;
	char *s = sample_of(&treq_spec);
	assert_string_equal(s, "[[outputs.req]]\n"
			       "  ## Kafka brokers.\n"
			       "  brokers = \"localhost:9092\"\n"
			       "\n"
			       "  ## A string.\n"
			       "  # str = \"x\"\n");
	free(s);
}

static void test_sample_layout(void **state)
{
	(void)state;
	char *s = sample_of(&tspec);
	/* Every visible option appears, commented, at its default. */
	assert_non_null(strstr(s, "[[inputs.test]]\n  ## A string.\n"
				  "  # str = \"hello\"\n\n"));
	assert_non_null(strstr(s, "  # timeout = \"10s\"\n"));
	assert_non_null(strstr(s, "  # names = [\"a\", \"b\"]\n"));
	/* Secrets are placeholders, never values. */
	assert_non_null(strstr(s, "  # password = \"${PASSWORD}\"\n"));
	/* Ignored and deprecated options are not advertised. */
	assert_null(strstr(s, "version"));
	assert_null(strstr(s, "old_opt"));
	/* Sub-tables come after every scalar. */
	char *table = strstr(s, "# [inputs.test.headers]");
	assert_non_null(table);
	assert_true(strstr(s, "# password") < table);
	assert_non_null(strstr(s, "  # [inputs.test.topic_suffix]\n"
				  "  #   ## How the topic suffix is made: "
				  "\"measurement\" or \"tags\".\n"
				  "  #   method = \"\"\n"));
	free(s);
}

static void test_sample_round_trip(void **state)
{
	(void)state;
	char *s = sample_of(&tspec);
	struct tcfg c;
	struct telex_common common;
	config_expect_loaded(&tspec, &c, sizeof(c), s, &common);
	assert_defaults(&c);
	cfg_free(&tspec, &c, &common);

	char *u = uncomment(s);
	assert_non_null(strstr(u, "\n  str = \"hello\"\n"));
	assert_non_null(strstr(u, "\n  [inputs.test.topic_suffix]\n"
				  "    ## How"));
	setenv("PASSWORD", "pw", 1);
	config_expect_loaded(&tspec, &c, sizeof(c), u, &common);
	unsetenv("PASSWORD");
	assert_defaults(&c);
	assert_true(c.names.set);
	assert_string_equal(c.password, "pw");
	cfg_free(&tspec, &c, &common);
	free(u);
	free(s);
}

static const struct cfg_option man_opts[] = {
    {.name = "path",
     .type = CFG_STRING,
     .offset = 0,
     .default_value = "\"C:\\\\dir\"",
     .help = ".dotted help with a back\\slash and a-hyphen"},
    {.name = "wait",
     .type = CFG_DURATION,
     .offset = 8,
     .default_value = "\"1s\"",
     .help = "How long.",
     .min = 1000000,
     .max = 60000000000LL,
     .flags = CFG_REQUIRED},
    {.name = NULL},
};

static void test_man(void **state)
{
	(void)state;
	const struct cfg_spec spec = {
	    .section = "outputs", .name = "m", .options = man_opts};
	struct buf b = BUF_INIT;
	cfg_write_man(&spec, &b);
	buf_putc(&b, '\0');
	const char *m = b.data;
	assert_true(strncmp(m, ".SH OPTIONS\n", 12) == 0);
	assert_non_null(strstr(m, "\\fB[[outputs.m]]\\fR"));
	assert_non_null(strstr(m, ".TP\n\\fBpath\\fR (\\fIstring\\fR, default "
				  "\"C:\\e\\edir\")\n"
				  "\\&.dotted help with a back\\eslash and "
				  "a\\-hyphen\n"));
	assert_non_null(strstr(m, ".TP\n\\fBwait\\fR (\\fIduration\\fR, "
				  "required, default \"1s\")\nHow long.\n"
				  ".br\nFrom 1ms to 1m0s.\n"));
	/* Outputs have no [NAME.tags]. */
	assert_null(strstr(m, ".tags]"));
	assert_non_null(strstr(m, ".SS Telegraf's common options\n"));
	buf_free(&b);
}

/* CFG_EXAMPLE: the sample sets the value, uncommented, as Telegraf's
 * sample.conf does, but a table without the key does not get it. */
struct tex {
	char *tag;
	struct cfg_strv topics;
};

static const struct cfg_option ex_opts[] = {
    {.name = "routing_tag",
     .type = CFG_STRING,
     .offset = offsetof(struct tex, tag),
     .flags = CFG_EXAMPLE,
     .default_value = "\"host\"",
     .help = "the key"},
    {.name = "topics",
     .type = CFG_STRING_LIST,
     .offset = offsetof(struct tex, topics),
     .flags = CFG_EXAMPLE,
     .default_value = "[\"telegraf\"]",
     .help = "A help text long enough to be wrapped over more than one "
	     "line of the man page, which keeps every input line within "
	     "78 bytes as mandoc -Tlint and lintian want, with-hyphens."},
    {.name = NULL},
};

static void test_example(void **state)
{
	(void)state;
	const struct cfg_spec spec = {
	    .section = "outputs", .name = "ex", .options = ex_opts};
	char *s = sample_of(&spec);
	assert_non_null(strstr(s, "\n  routing_tag = \"host\"\n"));
	assert_non_null(strstr(s, "\n  topics = [\"telegraf\"]\n"));
	struct tex c;
	struct telex_common common;
	config_expect_loaded(&spec, &c, sizeof(c), "", &common);
	assert_null(c.tag);
	assert_int_equal(c.topics.n, 0);
	cfg_free(&spec, &c, &common);
	config_expect_loaded(&spec, &c, sizeof(c), s, &common);
	assert_string_equal(c.tag, "host");
	assert_string_equal(c.topics.v[0], "telegraf");
	cfg_free(&spec, &c, &common);
	free(s);

	struct buf b = BUF_INIT;
	cfg_write_man(&spec, &b);
	buf_putc(&b, '\0');
	assert_non_null(strstr(b.data,
			       ".TP\n\\fBrouting_tag\\fR (\\fIstring\\fR, "
			       "no default, the sample sets "
			       "\"host\")\n"));
	assert_lines_within(b.data, 78, "man");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sample_exact),
	    cmocka_unit_test(test_sample_layout),
	    cmocka_unit_test(test_sample_round_trip),
	    cmocka_unit_test(test_man),
	    cmocka_unit_test(test_example),
	};
	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
