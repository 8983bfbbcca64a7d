/*
 * test_filter.c: Telegraf's per-plugin filters, from the config text to
 * the line written: selection, renames, plugin tags, include/exclude, the
 * order of them for inputs and for outputs, and the "no field left" drop.
 * Cases follow Telegraf's models/filter_test.go and makemetric_test.go.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "telex/config.h"
#include "telex/filter.h"
#include "telex/log.h"
#include "telex/lp.h"

static const struct cfg_option no_opts[] = {{.name = NULL}};

/* The filter of table body `body` for an input or an output. */
static struct metric_filter *make(bool input, const char *body)
{
	struct cfg_spec spec = {.section = input ? "inputs" : "outputs",
				.name = "f",
				.options = no_opts};
	char text[4096], err[512];
	snprintf(text, sizeof(text), "[[%s.f]]\n%s\n", spec.section, body);
	struct telex_common c;
	char dummy;
	if (cfg_load_text(&spec, text, strlen(text), "f.conf", &dummy, &c, err,
			  sizeof(err)))
		fail_msg("config: %s", err);
	struct metric_filter *f = filter_new(&c, input, err, sizeof(err));
	cfg_free(&spec, &dummy, &c);
	if (!f)
		fail_msg("filter: %s", err);
	return f;
}

/* Apply f to line `in`; the written line without '\n', or "DROP". */
static const char *run(const struct metric_filter *f, const char *in)
{
	static char out[1024];
	struct lp_metric m;
	struct lp_error e;
	lp_metric_init(&m);
	if (lp_parse_line(in, strlen(in), 1, &m, &e))
		fail_msg("bad test line %s: %s", in, e.msg);
	if (!filter_apply(f, &m)) {
		lp_metric_free(&m);
		return "DROP";
	}
	struct buf b = BUF_INIT;
	if (lp_write_metric(&b, &m, 0, &e))
		fail_msg("cannot write: %s", e.msg);
	snprintf(out, sizeof(out), "%.*s", (int)b.len - 1, b.data);
	/* Unchanged metrics must stay unmodified: their bytes are reused. */
	if (strcmp(out, in) == 0 && m.modified)
		fail_msg("%s: marked modified without a change", in);
	if (strcmp(out, in) != 0 && !m.modified)
		fail_msg("%s -> %s: changed but not marked modified", in, out);
	buf_free(&b);
	lp_metric_free(&m);
	return out;
}

static void check(const char *name, const struct metric_filter *f,
		  const char *in, const char *want)
{
	const char *got = run(f, in);
	if (strcmp(got, want) != 0)
		fail_msg("%s: %s\n  got  %s\n  want %s", name, in, got, want);
}

/* One filter, from its table body, and what it does to some lines. */
struct filter_case {
	const char *name;
	bool input;
	const char *body;
	/* {line in, line written or "DROP"}, up to the first {NULL}. */
	const char *io[6][2];
};

/* Build each case's filter and check every line of it; a failure names
 * the case. */
static void check_cases(const struct filter_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct filter_case *c = &cases[i];
		struct metric_filter *f = make(c->input, c->body);
		for (size_t k = 0; k < 6 && c->io[k][0]; k++)
			check(c->name, f, c->io[k][0], c->io[k][1]);
		filter_free(f);
	}
}

#define CHECK_CASES(cases) check_cases(cases, sizeof(cases) / sizeof(*cases))

static void test_noop(void **state)
{
	(void)state;
	struct metric_filter *f = make(true, "");
	assert_true(filter_is_noop(f));
	check("empty", f, "cpu,host=a usage=1 1", "cpu,host=a usage=1 1");
	filter_free(f);
	/* Empty lists are no filter at all, as in Telegraf. */
	f = make(true, "namepass = []\nfieldexclude = []\n"
		       "interval = \"10s\"");
	assert_true(filter_is_noop(f));
	filter_free(f);
	f = make(false, "[outputs.f.tags]\na = \"b\"");
	assert_true(filter_is_noop(f));
	filter_free(f);
	f = make(true, "name_prefix = \"x\"");
	assert_false(filter_is_noop(f));
	filter_free(f);
	assert_true(filter_is_noop(NULL));
}

static void test_namepass_namedrop(void **state)
{
	(void)state;
	static const struct filter_case cases[] = {
	    {"namepass",
	     true,
	     "namepass = [\"cpu*\", \"mem\"]",
	     {{"cpu a=1 1", "cpu a=1 1"},
	      {"cpu_total a=1 1", "cpu_total a=1 1"},
	      {"mem a=1 1", "mem a=1 1"},
	      {"memory a=1 1", "DROP"},
	      {"disk a=1 1", "DROP"}}},
	    {"namedrop",
	     true,
	     "namedrop = [\"cpu*\"]",
	     {{"cpu0 a=1 1", "DROP"}, {"mem a=1 1", "mem a=1 1"}}},
	    {"namepass and namedrop",
	     true,
	     "namepass = [\"cpu*\"]\nnamedrop = [\"cpu_x\"]",
	     {{"cpu_y a=1 1", "cpu_y a=1 1"},
	      {"cpu_x a=1 1", "DROP"},
	      {"mem a=1 1", "DROP"}}},
	    /* Escaped names are matched by their value. */
	    {"escaped name",
	     true,
	     "namepass = [\"my cpu\"]",
	     {{"my\\ cpu a=1 1", "my\\ cpu a=1 1"}}},
	    {"separator",
	     true,
	     "namepass = [\"a.*.c\"]\nnamepass_separator = \".\"",
	     {{"a.b.c x=1 1", "a.b.c x=1 1"}, {"a.b.b.c x=1 1", "DROP"}}},
	};
	CHECK_CASES(cases);
}

static void test_tagpass_tagdrop(void **state)
{
	(void)state;
	static const struct filter_case cases[] = {
	    {"tagpass",
	     true,
	     "[inputs.f.tagpass]\ncpu = [\"cpu-total\", \"cpu0\"]\n"
	     "mytag = [\"*\"]",
	     {{"cpu,cpu=cpu0 a=1 1", "cpu,cpu=cpu0 a=1 1"},
	      {"cpu,cpu=cpu-total a=1 1", "cpu,cpu=cpu-total a=1 1"},
	      {"cpu,cpu=cpu1 a=1 1", "DROP"},
	      {"cpu,cpu=cpu1,mytag=x a=1 1", "cpu,cpu=cpu1,mytag=x a=1 1"},
	      {"cpu a=1 1", "DROP"}}},
	    {"tagdrop",
	     true,
	     "[inputs.f.tagdrop]\ncpu = [\"cpu[12]\"]",
	     {{"cpu,cpu=cpu1 a=1 1", "DROP"},
	      {"cpu,cpu=cpu3 a=1 1", "cpu,cpu=cpu3 a=1 1"},
	      {"cpu a=1 1", "cpu a=1 1"}}},
	    /* Both: must pass and not be dropped (Telegraf issue 2860). */
	    {"tagpass and tagdrop",
	     true,
	     "[inputs.f.tagpass]\ncpu = [\"cpu*\"]\n"
	     "[inputs.f.tagdrop]\ncpu = [\"cpu1\"]",
	     {{"cpu,cpu=cpu0 a=1 1", "cpu,cpu=cpu0 a=1 1"},
	      {"cpu,cpu=cpu1 a=1 1", "DROP"}}},
	    /* An empty value list matches nothing, so it passes nothing. */
	    {"empty tagpass list",
	     true,
	     "[inputs.f.tagpass]\ncpu = []",
	     {{"cpu,cpu=cpu0 a=1 1", "DROP"}}},
	    /* Tag values are matched unescaped. */
	    {"escaped tag value",
	     true,
	     "[inputs.f.tagpass]\nvm = [\"my vm,1\"]",
	     {{"x,vm=my\\ vm\\,1 a=1 1", "x,vm=my\\ vm\\,1 a=1 1"}}},
	};
	CHECK_CASES(cases);
}

static void test_field_include_exclude(void **state)
{
	(void)state;
	static const struct filter_case cases[] = {
	    /* No field left: dropped. */
	    {"fieldinclude",
	     true,
	     "fieldinclude = [\"rx*\"]",
	     {{"net rx_bytes=1i,tx_bytes=2i,rx_errs=0i 1",
	       "net rx_bytes=1i,rx_errs=0i 1"},
	      {"net tx_bytes=2i 1", "DROP"}}},
	    {"fieldexclude",
	     true,
	     "fieldexclude = [\"*_errs\"]",
	     {{"net rx_bytes=1i,rx_errs=0i 1", "net rx_bytes=1i 1"},
	      {"net rx_errs=0i 1", "DROP"}}},
	    {"fieldpass, fieldinclude and fielddrop",
	     true,
	     "fieldpass = [\"a*\"]\nfieldinclude = [\"b\"]\n"
	     "fielddrop = [\"ax\"]",
	     {{"m a=1,ax=2,b=3,c=4 1", "m a=1,b=3 1"}}},
	    /* Escaped field keys are matched by value. */
	    {"escaped field key",
	     true,
	     "fieldexclude = [\"a b\"]",
	     {{"m a\\ b=1,c=2 1", "m c=2 1"}}},
	};
	CHECK_CASES(cases);
}

static void test_tag_include_exclude(void **state)
{
	(void)state;
	static const struct filter_case cases[] = {
	    {"taginclude",
	     true,
	     "taginclude = [\"host\", \"c*\"]",
	     {{"m,cpu=0,host=a,dc=x v=1 1", "m,cpu=0,host=a v=1 1"},
	      {"m,dc=x v=1 1", "m v=1 1"}}},
	    {"tagexclude",
	     true,
	     "tagexclude = [\"dc\"]",
	     {{"m,dc=x,host=a v=1 1", "m,host=a v=1 1"},
	      {"m,host=a v=1 1", "m,host=a v=1 1"}}},
	};
	CHECK_CASES(cases);
}

static void test_input_order(void **state)
{
	(void)state;
	static const struct filter_case cases[] = {
	    /* Selection sees the metric as gathered, before renames and
	     * tags. */
	    {"selection before renames",
	     true,
	     "namepass = [\"cpu\"]\nname_override = \"proc\"\n"
	     "[inputs.f.tagpass]\ndc = [\"eu\"]\n"
	     "[inputs.f.tags]\ndc = \"eu\"",
	     {{"cpu a=1 1", "DROP"}, {"cpu,dc=eu a=1 1", "proc,dc=eu a=1 1"}}},
	    /* Renames: override, then prefix and suffix. */
	    {"renames",
	     true,
	     "name_override = \"x\"\nname_prefix = \"p_\"\n"
	     "name_suffix = \"_s\"",
	     {{"cpu a=1 1", "p_x_s a=1 1"}}},
	    {"escaped prefix",
	     true,
	     "name_prefix = \"p \"",
	     {{"my\\,cpu a=1 1", "p\\ my\\,cpu a=1 1"}}},
	    /* Plugin tags: the metric's own tags win; then taginclude sees
	     * them. */
	    {"plugin tags",
	     true,
	     "[inputs.f.tags]\ndc = \"eu\"\nrack = \"r1\"",
	     {{"m,dc=us v=1 1", "m,dc=us,rack=r1 v=1 1"},
	      {"m v=1 1", "m,dc=eu,rack=r1 v=1 1"}}},
	    {"taginclude sees plugin tags",
	     true,
	     "taginclude = [\"rack\"]\n[inputs.f.tags]\nrack = \"r1\"",
	     {{"m,host=h v=1 1", "m,rack=r1 v=1 1"}}},
	};
	CHECK_CASES(cases);
}

static void test_output_order(void **state)
{
	(void)state;
	/* Outputs rename after include/exclude, and take no plugin tags. */
	static const struct filter_case cases[] = {
	    {"output order",
	     false,
	     "name_override = \"k\"\nfieldexclude = [\"b\"]\n"
	     "namepass = [\"cpu\"]",
	     {{"cpu a=1,b=2 1", "k a=1 1"},
	      {"cpu b=2 1", "DROP"},
	      {"mem a=1 1", "DROP"}}},
	};
	CHECK_CASES(cases);
}

/* A pattern that does not compile is refused by the reader, at its line;
 * filter_new() refuses one that comes another way. */
static void test_bad_pattern(void **state)
{
	(void)state;
	struct cfg_spec spec = {
	    .section = "inputs", .name = "f", .options = no_opts};
	const char *text = "[[inputs.f]]\nnamepass = [\"cpu[\"]\n";
	struct telex_common c;
	char dummy, err[256];
	assert_int_equal(cfg_load_text(&spec, text, strlen(text), "f.conf",
				       &dummy, &c, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "f.conf:2: bad value for \"namepass\" in "
				 "[[inputs.f]]: bad pattern \"cpu[\": "
				 "unexpected end of input");
	text = "[[inputs.f]]\n[inputs.f.tagdrop]\nvm = [\"[z-a]*\"]\n";
	assert_int_equal(cfg_load_text(&spec, text, strlen(text), "f.conf",
				       &dummy, &c, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "f.conf:3: bad value for \"tagdrop.vm\" "
				    "in [[inputs.f]]: bad pattern \"[z-a]*\""));
	char *bad[] = {"cpu[", NULL};
	memset(&c, 0, sizeof(c));
	c.namepass = (struct cfg_strv){bad, 1, true};
	assert_null(filter_new(&c, true, err, sizeof(err)));
	assert_string_equal(err, "namepass: bad pattern \"cpu[\": unexpected "
				 "end of input");
}

static void test_many_metrics(void **state)
{
	(void)state;
	/* One filter over many metrics, reusing one lp_metric as the
	 * runners do: results must not depend on what came before. */
	struct metric_filter *f =
	    make(true, "namedrop = [\"*_x\"]\nfieldexclude = [\"f1?\"]\n"
		       "[inputs.f.tags]\nsite = \"s\"");
	struct lp_metric m;
	lp_metric_init(&m);
	int kept = 0, dropped = 0;
	for (int i = 0; i < 2000; i++) {
		char line[128];
		snprintf(line, sizeof(line), "m%d%s,host=h%d f%d=%di,f1%d=1 %d",
			 i % 7, i % 5 == 0 ? "_x" : "", i, i % 13, i, i % 10,
			 i);
		struct lp_error e;
		assert_int_equal(lp_parse_line(line, strlen(line), 1, &m, &e),
				 0);
		bool keep = filter_apply(f, &m);
		bool want = i % 5 != 0 && !(i % 13 >= 10 && i % 13 <= 19);
		assert_int_equal(keep, want);
		if (keep) {
			kept++;
			assert_non_null(lp_metric_find_tag(&m, "site", 4));
			for (size_t k = 0; k < m.nfields; k++)
				assert_false(
				    m.fields[k].key.len == 3 &&
				    memcmp(m.fields[k].key.ptr, "f1", 2) == 0);
		} else {
			dropped++;
		}
	}
	assert_true(kept > 1000 && dropped > 300);
	lp_metric_free(&m);
	filter_free(f);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_noop),
	    cmocka_unit_test(test_namepass_namedrop),
	    cmocka_unit_test(test_tagpass_tagdrop),
	    cmocka_unit_test(test_field_include_exclude),
	    cmocka_unit_test(test_tag_include_exclude),
	    cmocka_unit_test(test_input_order),
	    cmocka_unit_test(test_output_order),
	    cmocka_unit_test(test_bad_pattern),
	    cmocka_unit_test(test_many_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
