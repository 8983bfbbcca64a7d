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

static void check(const struct metric_filter *f, const char *in,
		  const char *want)
{
	const char *got = run(f, in);
	if (strcmp(got, want) != 0)
		fail_msg("%s\n  got  %s\n  want %s", in, got, want);
}

static void test_noop(void **state)
{
	(void)state;
	struct metric_filter *f = make(true, "");
	assert_true(filter_is_noop(f));
	check(f, "cpu,host=a usage=1 1", "cpu,host=a usage=1 1");
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
	struct metric_filter *f = make(true, "namepass = [\"cpu*\", \"mem\"]");
	check(f, "cpu a=1 1", "cpu a=1 1");
	check(f, "cpu_total a=1 1", "cpu_total a=1 1");
	check(f, "mem a=1 1", "mem a=1 1");
	check(f, "memory a=1 1", "DROP");
	check(f, "disk a=1 1", "DROP");
	filter_free(f);
	f = make(true, "namedrop = [\"cpu*\"]");
	check(f, "cpu0 a=1 1", "DROP");
	check(f, "mem a=1 1", "mem a=1 1");
	filter_free(f);
	f = make(true, "namepass = [\"cpu*\"]\nnamedrop = [\"cpu_x\"]");
	check(f, "cpu_y a=1 1", "cpu_y a=1 1");
	check(f, "cpu_x a=1 1", "DROP");
	check(f, "mem a=1 1", "DROP");
	filter_free(f);
	/* Escaped names are matched by their value. */
	f = make(true, "namepass = [\"my cpu\"]");
	check(f, "my\\ cpu a=1 1", "my\\ cpu a=1 1");
	filter_free(f);
	f = make(true, "namepass = [\"a.*.c\"]\nnamepass_separator = \".\"");
	check(f, "a.b.c x=1 1", "a.b.c x=1 1");
	check(f, "a.b.b.c x=1 1", "DROP");
	filter_free(f);
}

static void test_tagpass_tagdrop(void **state)
{
	(void)state;
	struct metric_filter *f =
	    make(true, "[inputs.f.tagpass]\ncpu = [\"cpu-total\", "
		       "\"cpu0\"]\nmytag = [\"*\"]");
	check(f, "cpu,cpu=cpu0 a=1 1", "cpu,cpu=cpu0 a=1 1");
	check(f, "cpu,cpu=cpu-total a=1 1", "cpu,cpu=cpu-total a=1 1");
	check(f, "cpu,cpu=cpu1 a=1 1", "DROP");
	check(f, "cpu,cpu=cpu1,mytag=x a=1 1", "cpu,cpu=cpu1,mytag=x a=1 1");
	check(f, "cpu a=1 1", "DROP");
	filter_free(f);
	f = make(true, "[inputs.f.tagdrop]\ncpu = [\"cpu[12]\"]");
	check(f, "cpu,cpu=cpu1 a=1 1", "DROP");
	check(f, "cpu,cpu=cpu3 a=1 1", "cpu,cpu=cpu3 a=1 1");
	check(f, "cpu a=1 1", "cpu a=1 1");
	filter_free(f);
	/* Both: must pass and not be dropped (Telegraf issue 2860). */
	f = make(true, "[inputs.f.tagpass]\ncpu = [\"cpu*\"]\n"
		       "[inputs.f.tagdrop]\ncpu = [\"cpu1\"]");
	check(f, "cpu,cpu=cpu0 a=1 1", "cpu,cpu=cpu0 a=1 1");
	check(f, "cpu,cpu=cpu1 a=1 1", "DROP");
	filter_free(f);
	/* An empty value list matches nothing, so it passes nothing. */
	f = make(true, "[inputs.f.tagpass]\ncpu = []");
	check(f, "cpu,cpu=cpu0 a=1 1", "DROP");
	filter_free(f);
	/* Tag values are matched unescaped. */
	f = make(true, "[inputs.f.tagpass]\nvm = [\"my vm,1\"]");
	check(f, "x,vm=my\\ vm\\,1 a=1 1", "x,vm=my\\ vm\\,1 a=1 1");
	filter_free(f);
}

static void test_field_include_exclude(void **state)
{
	(void)state;
	struct metric_filter *f = make(true, "fieldinclude = [\"rx*\"]");
	check(f, "net rx_bytes=1i,tx_bytes=2i,rx_errs=0i 1",
	      "net rx_bytes=1i,rx_errs=0i 1");
	/* No field left: dropped. */
	check(f, "net tx_bytes=2i 1", "DROP");
	filter_free(f);
	f = make(true, "fieldexclude = [\"*_errs\"]");
	check(f, "net rx_bytes=1i,rx_errs=0i 1", "net rx_bytes=1i 1");
	check(f, "net rx_errs=0i 1", "DROP");
	filter_free(f);
	f = make(true, "fieldpass = [\"a*\"]\nfieldinclude = [\"b\"]\n"
		       "fielddrop = [\"ax\"]");
	check(f, "m a=1,ax=2,b=3,c=4 1", "m a=1,b=3 1");
	filter_free(f);
	/* Escaped field keys are matched by value. */
	f = make(true, "fieldexclude = [\"a b\"]");
	check(f, "m a\\ b=1,c=2 1", "m c=2 1");
	filter_free(f);
}

static void test_tag_include_exclude(void **state)
{
	(void)state;
	struct metric_filter *f = make(true, "taginclude = [\"host\", \"c*\"]");
	check(f, "m,cpu=0,host=a,dc=x v=1 1", "m,cpu=0,host=a v=1 1");
	check(f, "m,dc=x v=1 1", "m v=1 1");
	filter_free(f);
	f = make(true, "tagexclude = [\"dc\"]");
	check(f, "m,dc=x,host=a v=1 1", "m,host=a v=1 1");
	check(f, "m,host=a v=1 1", "m,host=a v=1 1");
	filter_free(f);
}

static void test_input_order(void **state)
{
	(void)state;
	/* Selection sees the metric as gathered, before renames and tags. */
	struct metric_filter *f =
	    make(true, "namepass = [\"cpu\"]\nname_override = \"proc\"\n"
		       "[inputs.f.tagpass]\ndc = [\"eu\"]\n"
		       "[inputs.f.tags]\ndc = \"eu\"");
	check(f, "cpu a=1 1", "DROP");
	check(f, "cpu,dc=eu a=1 1", "proc,dc=eu a=1 1");
	filter_free(f);
	/* Renames: override, then prefix and suffix. */
	f = make(true, "name_override = \"x\"\nname_prefix = \"p_\"\n"
		       "name_suffix = \"_s\"");
	check(f, "cpu a=1 1", "p_x_s a=1 1");
	filter_free(f);
	f = make(true, "name_prefix = \"p \"");
	check(f, "my\\,cpu a=1 1", "p\\ my\\,cpu a=1 1");
	filter_free(f);
	/* Plugin tags: the metric's own tags win; then taginclude sees
	 * them. */
	f = make(true, "[inputs.f.tags]\ndc = \"eu\"\nrack = \"r1\"");
	check(f, "m,dc=us v=1 1", "m,dc=us,rack=r1 v=1 1");
	check(f, "m v=1 1", "m,dc=eu,rack=r1 v=1 1");
	filter_free(f);
	f = make(true,
		 "taginclude = [\"rack\"]\n[inputs.f.tags]\nrack = \"r1\"");
	check(f, "m,host=h v=1 1", "m,rack=r1 v=1 1");
	filter_free(f);
}

static void test_output_order(void **state)
{
	(void)state;
	/* Outputs rename after include/exclude, and take no plugin tags. */
	struct metric_filter *f =
	    make(false, "name_override = \"k\"\nfieldexclude = [\"b\"]\n"
			"namepass = [\"cpu\"]");
	check(f, "cpu a=1,b=2 1", "k a=1 1");
	check(f, "cpu b=2 1", "DROP");
	check(f, "mem a=1 1", "DROP");
	filter_free(f);
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
