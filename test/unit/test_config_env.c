/*
 * test_config_env.c: $VAR and ${VAR} in config files: where they expand,
 * the default/required forms, escaping inside strings, unset variables,
 * and error positions that stay right after an expansion changed the text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_fixture.h"

static int setup(void **state)
{
	if (logcap_setup_info(state) < 0)
		return -1;
	setenv("TX_STR", "from env", 1);
	setenv("TX_NUM", "42", 1);
	setenv("TX_LIST", "[\"p\", \"q\"]", 1);
	setenv("TX_EMPTY", "", 1);
	setenv("TX_QUOTE", "a\"b\\c", 1);
	setenv("TX_NL", "two\nlines", 1);
	setenv("TX_APOS", "it's", 1);
	unsetenv("TX_UNSET");
	return 0;
}

/* Every error names e.conf:LINE. */
static int load(const char *text)
{
	int rc = cfg_load_text(&tspec, text, strlen(text), "e.conf", &cfg,
			       &common, err, sizeof(err));
	if (rc && !cfg_err_has_line(err, "e.conf"))
		fail_msg("error \"%s\" names no file:line", err);
	return rc;
}

static void test_plain_and_braced(void **state)
{
	(void)state;
	assert_int_equal(load("[[inputs.test]]\nstr = \"<$TX_STR|${TX_STR}>\"\n"
			      "count = $TX_NUM\nnames = ${TX_LIST}\n"
			      "codec = \"${TX_EMPTY}none\"\n"),
			 0);
	assert_string_equal(cfg.str, "<from env|from env>");
	assert_int_equal(cfg.count, 42);
	assert_int_equal(cfg.names.n, 2);
	assert_string_equal(cfg.names.v[1], "q");
	assert_string_equal(cfg.codec, "none");
	assert_string_equal(logcap_text(), "");
}

static void test_defaults_and_alternates(void **state)
{
	(void)state;
	assert_int_equal(
	    load("[[inputs.test]]\n"
		 "names = [\"${TX_UNSET:-d1}\", \"${TX_EMPTY:-d2}\", "
		 "\"${TX_EMPTY-d3}\", \"${TX_UNSET-d4}\", "
		 "\"${TX_STR:+alt}\", \"${TX_EMPTY:+alt}\", "
		 "\"${TX_EMPTY+alt}\", \"${TX_UNSET+alt}\", "
		 "\"${TX_UNSET:-$TX_NUM}\", \"${TX_UNSET:-${TX_STR}!}\", "
		 "\"${TX_STR?needed}\"]\n"),
	    0);
	const char *want[] = {"d1",  "d2", "",	 "d4",	      "alt",	 "",
			      "alt", "",   "42", "from env!", "from env"};
	assert_int_equal(cfg.names.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < cfg.names.n; i++)
		assert_string_equal(cfg.names.v[i], want[i]);
}

static void test_required_var(void **state)
{
	(void)state;
	assert_int_not_equal(load("[[inputs.test]]\n"
				  "  str = \"${TX_UNSET:?set it to the "
				  "password}\"\n"),
			     0);
	assert_string_equal(err, "e.conf:2:10: required environment variable "
				 "TX_UNSET is not set: set it to the password");
	assert_int_not_equal(
	    load("[[inputs.test]]\nstr = \"${TX_EMPTY:?x}\"\n"), 0);
	assert_non_null(strstr(err, "TX_EMPTY is empty: x"));
	/* Without ':' an empty value is fine. */
	assert_int_equal(load("[[inputs.test]]\nstr = \"${TX_EMPTY?x}\"\n"), 0);
	assert_string_equal(cfg.str, "");
}

static void test_unset_kept_with_warning(void **state)
{
	(void)state;
	assert_int_equal(
	    load("[[inputs.test]]\n\nstr = \"$TX_UNSET/${TX_UNSET}\"\n"), 0);
	assert_string_equal(cfg.str, "$TX_UNSET/${TX_UNSET}");
	const char *log = logcap_text();
	assert_non_null(strstr(log,
			       "W! e.conf:3: environment variable "
			       "TX_UNSET is not set: \"$TX_UNSET\" is kept "
			       "as written (write ${TX_UNSET:-} for an "
			       "empty default)\n"));
	assert_non_null(strstr(log, "\"${TX_UNSET}\" is kept"));
}

static void test_not_templates(void **state)
{
	(void)state;
	assert_int_equal(load("[[inputs.test]]\n"
			      "names = [\"$$TX_STR\", \"a$\", \"$1\", "
			      "\"${1}\", \"${ x}\", \"${TX_STR x}\", "
			      "\"${TX_STR\", \"^a.*$\"]\n"),
			 0);
	const char *want[] = {"$TX_STR", "a$",		"$1",	    "${1}",
			      "${ x}",	 "${TX_STR x}", "${TX_STR", "^a.*$"};
	assert_int_equal(cfg.names.n, 8);
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(cfg.names.v[i], want[i]);
}

static void test_comments_not_expanded(void **state)
{
	(void)state;
	/* An unset variable in a comment would warn if it were expanded; a
	 * required one would fail. */
	assert_int_equal(
	    load("# ${TX_UNSET:?boom} $TX_UNSET\n"
		 "[[inputs.test]] # $TX_UNSET\n"
		 "str = \"# not a comment $TX_STR\" # ${TX_UNSET?x}\n"),
	    0);
	assert_string_equal(cfg.str, "# not a comment from env");
	assert_string_equal(logcap_text(), "");
}

static void test_values_escaped_in_strings(void **state)
{
	(void)state;
	assert_int_equal(load("[[inputs.test]]\nnames = [\"$TX_QUOTE\", "
			      "\"${TX_NL}\", \"\"\"$TX_QUOTE\"\"\", "
			      "'$TX_STR', '''$TX_NL''']\n"),
			 0);
	assert_int_equal(cfg.names.n, 5);
	assert_string_equal(cfg.names.v[0], "a\"b\\c");
	assert_string_equal(cfg.names.v[1], "two\nlines");
	assert_string_equal(cfg.names.v[2], "a\"b\\c");
	assert_string_equal(cfg.names.v[3], "from env");
	assert_string_equal(cfg.names.v[4], "two\nlines");
	assert_int_not_equal(load("[[inputs.test]]\nstr = '$TX_APOS'\n"), 0);
	assert_string_equal(err, "e.conf:2:8: the value of $TX_APOS cannot be "
				 "put in a '...' string (it holds a quote, a "
				 "newline or a control character); use a "
				 "\"...\" string");
}

static void test_positions_after_expansion(void **state)
{
	(void)state;
	/* TX_LIST expands outside a string, TX_NL inside one adds no line:
	 * the error on line 4 must still be reported on line 4, column 9. */
	assert_int_not_equal(load("[[inputs.test]]\nnames = ${TX_LIST}\n"
				  "str = \"${TX_NL}\"\ncount = \"bad\"\n"),
			     0);
	assert_non_null(strstr(err, "e.conf:4: bad value for \"count\""));
	/* A syntax error inside an expanded value points at its '$'. */
	setenv("TX_BAD", "[1,", 1);
	assert_int_not_equal(load("[[inputs.test]]\n\n  names = ${TX_BAD}\n"),
			     0);
	assert_non_null(strstr(err, "e.conf:3:11:"));
	/* After an expansion on the same line, columns stay exact. */
	assert_int_not_equal(load("[[inputs.test]]\ncount = $TX_NUM junk\n"),
			     0);
	assert_non_null(
	    strstr(err, "e.conf:2:17: expected the end of the line"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_plain_and_braced),
	    T(test_defaults_and_alternates),
	    T(test_required_var),
	    T(test_unset_kept_with_warning),
	    T(test_not_templates),
	    T(test_comments_not_expanded),
	    T(test_values_escaped_in_strings),
	    T(test_positions_after_expansion),
	};
	return cmocka_run_group_tests(tests, setup, logcap_teardown);
}
