/*
 * test_lp_metric.c: the metric model (shim/lp_metric.c): life cycle,
 * builders, lookup, removal and unescaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lp_test.h"

static void test_metric_init_empty(void **state)
{
	(void)state;
	struct lp_metric m;
	memset(&m, 0xa5, sizeof(m));
	lp_metric_init(&m);
	assert_metric_empty(&m);
	assert_false(m.has_time);
	assert_false(m.modified);
	assert_null(m.line.ptr);
	lp_metric_free(&m);
}

static void test_metric_builders(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	assert_int_equal(lp_metric_set_name(&m, S("libvirt_cpu")), 0);
	assert_true(m.modified);
	assert_int_equal(lp_metric_add_tag(&m, S("host"), S("kvm1")), 0);
	assert_int_equal(lp_metric_add_int(&m, S("i"), -5), 0);
	assert_int_equal(lp_metric_add_uint(&m, S("u"), UINT64_MAX), 0);
	assert_int_equal(lp_metric_add_float(&m, S("f"), 1.5), 0);
	assert_int_equal(lp_metric_add_bool(&m, S("b"), true), 0);
	assert_int_equal(lp_metric_add_string(&m, S("s"), S("x y")), 0);
	lp_metric_set_time(&m, 1234);
	assert_true(slice_is(&m.name, "libvirt_cpu"));
	assert_int_equal(m.ntags, 1);
	assert_true(slice_is(&m.tags[0].key, "host"));
	assert_true(slice_is(&m.tags[0].value, "kvm1"));
	assert_each_type(
	    &m, &(struct lp_each_type){-5, UINT64_MAX, 1.5, true, "x y", 1234});
	/* Builders make plain slices. */
	assert_int_equal(m.name.escaped, LP_ESC_NONE);
	assert_int_equal(m.fields[4].v.s.escaped, LP_ESC_NONE);
	lp_metric_free(&m);
}

static void test_metric_copies_outlive_source(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	char name[] = "cpu", key[] = "k", val[] = "v", skey[] = "s",
	     sval[] = "text";
	assert_int_equal(lp_metric_set_name_copy(&m, S(name)), 0);
	assert_int_equal(lp_metric_set_tag_copy(&m, S(key), S(val)), 0);
	assert_int_equal(lp_metric_add_string_copy(&m, S(skey), S(sval)), 0);
	memset(name, 'X', 3);
	memset(key, 'X', 1);
	memset(val, 'X', 1);
	memset(skey, 'X', 1);
	memset(sval, 'X', 4);
	assert_true(slice_is(&m.name, "cpu"));
	assert_true(slice_is(&m.tags[0].key, "k"));
	assert_true(slice_is(&m.tags[0].value, "v"));
	assert_true(slice_is(&m.fields[0].key, "s"));
	assert_true(slice_is(&m.fields[0].v.s, "text"));
	/* An empty copy is a valid empty slice. */
	assert_int_equal(lp_metric_add_string_copy(&m, S("e"), "", 0), 0);
	assert_int_equal(m.fields[1].v.s.len, 0);
	lp_metric_free(&m);
}

static void test_metric_set_tag_replaces(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	assert_int_equal(lp_metric_add_tag(&m, S("a"), S("1")), 0);
	assert_int_equal(lp_metric_add_tag(&m, S("b"), S("2")), 0);
	assert_int_equal(lp_metric_set_tag_copy(&m, S("a"), S("new")), 0);
	assert_int_equal(m.ntags, 2);
	assert_true(slice_is(&m.tags[0].value, "new"));
	assert_int_equal(lp_metric_set_tag_copy(&m, S("c"), S("3")), 0);
	assert_int_equal(m.ntags, 3);
	assert_true(slice_is(&m.tags[2].key, "c"));
	/* add_tag does not look: a duplicate is appended. */
	assert_int_equal(lp_metric_add_tag(&m, S("a"), S("dup")), 0);
	assert_int_equal(m.ntags, 4);
	lp_metric_free(&m);
}

static void test_metric_find_last_wins(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_add_tag(&m, S("a"), S("1"));
	lp_metric_add_tag(&m, S("a"), S("2"));
	lp_metric_add_int(&m, S("x"), 1);
	lp_metric_add_int(&m, S("y"), 2);
	lp_metric_add_int(&m, S("x"), 3);
	const struct lp_tag *t = lp_metric_find_tag(&m, S("a"));
	assert_non_null(t);
	assert_true(slice_is(&t->value, "2"));
	assert_null(lp_metric_find_tag(&m, S("b")));
	assert_null(lp_metric_find_tag(&m, S("")));
	const struct lp_field *f = lp_metric_find_field(&m, S("x"));
	assert_non_null(f);
	assert_int_equal(f->v.i, 3);
	f = lp_metric_find_field(&m, S("y"));
	assert_non_null(f);
	assert_int_equal(f->v.i, 2);
	assert_null(lp_metric_find_field(&m, S("xx")));
	lp_metric_free(&m);
}

static void test_metric_find_escaped_keys(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_add_tag(&m, S("a\\ b"), S("v"));
	m.tags[0].key.escaped = LP_ESC_KEY;
	lp_metric_add_int(&m, S("k\\=1"), 7);
	m.fields[0].key.escaped = LP_ESC_KEY;
	assert_non_null(lp_metric_find_tag(&m, S("a b")));
	assert_null(lp_metric_find_tag(&m, S("a\\ b")));
	assert_non_null(lp_metric_find_field(&m, S("k=1")));
	assert_null(lp_metric_find_field(&m, S("k=")));
	lp_metric_free(&m);
}

static void test_metric_remove(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	for (int i = 0; i < 5; i++) {
		char k[2] = {(char)('a' + i), 0};
		lp_metric_add_tag(&m, k, 1, "v", 1);
		lp_metric_add_int(&m, k, 1, i);
	}
	/* The keys point at k, reused: give them stable names. */
	static const char *keys[] = {"a", "b", "c", "d", "e"};
	for (int i = 0; i < 5; i++) {
		m.tags[i].key.ptr = keys[i];
		m.fields[i].key.ptr = keys[i];
	}
	m.modified = false;
	lp_metric_remove_tag(&m, 1);
	assert_true(m.modified);
	assert_int_equal(m.ntags, 4);
	assert_true(slice_is(&m.tags[0].key, "a"));
	assert_true(slice_is(&m.tags[1].key, "c"));
	assert_true(slice_is(&m.tags[3].key, "e"));
	lp_metric_remove_tag(&m, 3);
	assert_int_equal(m.ntags, 3);
	lp_metric_remove_tag(&m, 10); /* out of range: nothing */
	assert_int_equal(m.ntags, 3);
	lp_metric_remove_field(&m, 0);
	assert_int_equal(m.nfields, 4);
	assert_int_equal(m.fields[0].v.i, 1);
	assert_int_equal(m.fields[3].v.i, 4);
	lp_metric_remove_field(&m, 3);
	assert_int_equal(m.nfields, 3);
	assert_int_equal(m.fields[2].v.i, 3);
	lp_metric_free(&m);
}

static void test_metric_reset_keeps_arrays(void **state)
{
	(void)state;
	struct lp_metric m;
	lp_metric_init(&m);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(lp_metric_add_tag(&m, S("k"), S("v")), 0);
		assert_int_equal(lp_metric_add_float(&m, S("f"), i), 0);
	}
	assert_int_equal(m.ntags, 100);
	assert_int_equal(m.nfields, 100);
	assert_true(m.tags_cap >= 100);
	assert_true(m.fields_cap >= 100);
	assert_int_equal(m.fields[99].v.f, 99);
	struct lp_tag *tags = m.tags;
	struct lp_field *fields = m.fields;
	size_t tcap = m.tags_cap, fcap = m.fields_cap;
	assert_int_equal(lp_metric_set_name_copy(&m, S("n")), 0);
	lp_metric_set_time(&m, 5);
	lp_metric_reset(&m);
	assert_metric_empty(&m);
	assert_false(m.has_time);
	assert_false(m.modified);
	assert_ptr_equal(m.tags, tags);
	assert_ptr_equal(m.fields, fields);
	assert_int_equal(m.tags_cap, tcap);
	assert_int_equal(m.fields_cap, fcap);
	/* Reuse after reset. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(lp_metric_add_int(&m, S("i"), i), 0);
	assert_ptr_equal(m.fields, fields);
	assert_int_equal(m.fields[42].v.i, 42);
	lp_metric_free(&m);
	assert_null(m.tags);
	assert_null(m.fields);
}

static void test_unescape_kinds(void **state)
{
	(void)state;
	char out[64];
	struct lp_slice s;
	/* Keys and tag values: ',', '=' and ' ' only. */
	s = (struct lp_slice){S("a\\,b\\=c\\ d\\e\\\\f"), LP_ESC_KEY};
	size_t n = lp_unescape(&s, out);
	assert_int_equal(n, strlen("a,b=c d\\e\\\\f"));
	assert_memory_equal(out, "a,b=c d\\e\\\\f", n);
	/* A backslash that escapes nothing is literal and the next byte is
	 * looked at afresh: "\\\\," is a backslash then an escaped comma. */
	s = (struct lp_slice){S("x\\\\,y"), LP_ESC_KEY};
	n = lp_unescape(&s, out);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "x\\,y", 4);
	/* A trailing backslash stays. */
	s = (struct lp_slice){S("end\\"), LP_ESC_KEY};
	n = lp_unescape(&s, out);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "end\\", 4);
	/* Names: ',' and ' ', not '='. */
	s = (struct lp_slice){S("c\\,p\\ u\\=x"), LP_ESC_NAME};
	n = lp_unescape(&s, out);
	assert_int_equal(n, 8);
	assert_memory_equal(out, "c,p u\\=x", 8);
	/* Strings: '\\', '"', and n r t as control characters. */
	s = (struct lp_slice){S("q\\\"\\\\\\n\\r\\t\\x"), LP_ESC_STRING};
	n = lp_unescape(&s, out);
	assert_int_equal(n, 8);
	assert_memory_equal(out, "q\"\\\n\r\t\\x", 8);
	/* Plain slices are copied as they are. */
	s = (struct lp_slice){S("a\\,b"), LP_ESC_NONE};
	n = lp_unescape(&s, out);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "a\\,b", 4);
	s = (struct lp_slice){"", 0, LP_ESC_KEY};
	assert_int_equal(lp_unescape(&s, out), 0);
}

static void test_slice_eq(void **state)
{
	(void)state;
	struct lp_slice s = {S("a\\ b"), LP_ESC_KEY};
	assert_true(lp_slice_eq(&s, S("a b")));
	assert_false(lp_slice_eq(&s, S("a\\ b")));
	assert_false(lp_slice_eq(&s, S("a ")));
	assert_false(lp_slice_eq(&s, S("a bc")));
	assert_false(lp_slice_eq(&s, S("")));
	s.escaped = LP_ESC_NONE;
	assert_true(lp_slice_eq(&s, S("a\\ b")));
	assert_false(lp_slice_eq(&s, S("a b")));
	struct lp_slice e = {"", 0, LP_ESC_NONE};
	assert_true(lp_slice_eq(&e, "", 0));
	e.escaped = LP_ESC_KEY;
	assert_true(lp_slice_eq(&e, "", 0));
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void test_slice_cmp(void **state)
{
	(void)state;
	struct lp_slice a = {S("abc"), 0}, b = {S("abd"), 0}, c = {S("ab"), 0};
	assert_int_equal(sign(lp_slice_cmp(&a, &b)), -1);
	assert_int_equal(sign(lp_slice_cmp(&b, &a)), 1);
	assert_int_equal(sign(lp_slice_cmp(&a, &a)), 0);
	assert_int_equal(sign(lp_slice_cmp(&c, &a)), -1);
	assert_int_equal(sign(lp_slice_cmp(&a, &c)), 1);
	/* By unescaped value: "a\ b" is "a b", before "a!" (' ' < '!'). */
	struct lp_slice e = {S("a\\ b"), LP_ESC_KEY}, f = {S("a!"), 0},
			g = {S("a b"), 0};
	assert_int_equal(sign(lp_slice_cmp(&e, &f)), -1);
	assert_int_equal(sign(lp_slice_cmp(&f, &e)), 1);
	assert_int_equal(sign(lp_slice_cmp(&e, &g)), 0);
	assert_int_equal(sign(lp_slice_cmp(&g, &e)), 0);
	/* Bytes compare unsigned, as Go strings do. */
	struct lp_slice hi = {S("\xc3\xa9"), 0}, lo = {S("z"), 0};
	assert_int_equal(sign(lp_slice_cmp(&lo, &hi)), -1);
	struct lp_slice hie = {S("\xc3\xa9"), LP_ESC_KEY};
	assert_int_equal(sign(lp_slice_cmp(&lo, &hie)), -1);
	struct lp_slice empty = {"", 0, 0};
	assert_int_equal(sign(lp_slice_cmp(&empty, &lo)), -1);
	assert_int_equal(sign(lp_slice_cmp(&empty, &empty)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metric_init_empty),
	    cmocka_unit_test(test_metric_builders),
	    cmocka_unit_test(test_metric_copies_outlive_source),
	    cmocka_unit_test(test_metric_set_tag_replaces),
	    cmocka_unit_test(test_metric_find_last_wins),
	    cmocka_unit_test(test_metric_find_escaped_keys),
	    cmocka_unit_test(test_metric_remove),
	    cmocka_unit_test(test_metric_reset_keeps_arrays),
	    cmocka_unit_test(test_unescape_kinds),
	    cmocka_unit_test(test_slice_eq),
	    cmocka_unit_test(test_slice_cmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
