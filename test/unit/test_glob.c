/*
 * test_glob.c: Telegraf's glob filters: exact lists, the glob syntax of
 * gobwas/glob as Telegraf compiles it, separators, refused patterns, and
 * a differential check of both matchers (the fast one for simple
 * patterns, the NFA) against a plain backtracking matcher, and every
 * allocation of a compile failing in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "telex/filter.h"

/* Allocation failure on purpose: this test is linked with --wrap for
 * malloc, calloc and realloc (unit.mk), so every allocation of the code
 * under test comes here. When alloc_fail_in is n > 0, the n-th one from
 * now fails. */
static long alloc_fail_in;
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);

static bool alloc_fails(void)
{
	return alloc_fail_in > 0 && --alloc_fail_in == 0;
}

void *__wrap_malloc(size_t n)
{
	return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
	return alloc_fails() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __real_realloc(p, n);
}

/* Compile the NULL-terminated patterns (with separators seps). */
static struct glob_list *compile(const char *seps, const char *p0, ...)
{
	const char *pats[16];
	size_t n = 0;
	va_list ap;
	va_start(ap, p0);
	for (const char *p = p0; p && n < 16; p = va_arg(ap, const char *))
		pats[n++] = p;
	va_end(ap);
	struct cfg_strv v = {(char **)pats, n, true};
	char err[256];
	struct glob_list *g = glob_list_new_sep(&v, seps, err, sizeof(err));
	if (!g)
		fail_msg("does not compile: %s", err);
	return g;
}

static bool m(const struct glob_list *g, const char *s)
{
	return glob_list_match(g, s, strlen(s));
}

/* A list of patterns with its separators, the subjects it matches and
 * those it does not; lists end at the first NULL. */
struct list_case {
	const char *name;
	const char *seps;
	const char *pats[4];
	const char *match[5];
	const char *no_match[4];
};

static void check_lists(const struct list_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct list_case *c = &cases[i];
		struct glob_list *g = compile(c->seps, c->pats[0], c->pats[1],
					      c->pats[2], c->pats[3], NULL);
		for (size_t k = 0; k < 5 && c->match[k]; k++)
			if (!m(g, c->match[k]))
				fail_msg("%s: \"%s\" does not match", c->name,
					 c->match[k]);
		for (size_t k = 0; k < 4 && c->no_match[k]; k++)
			if (m(g, c->no_match[k]))
				fail_msg("%s: \"%s\" matches", c->name,
					 c->no_match[k]);
		glob_list_free(g);
	}
}

static void test_exact(void **state)
{
	(void)state;
	static const struct list_case cases[] = {
	    {"one name", NULL, {"cpu"}, {"cpu"}, {"cpu0", "cp", ""}},
	    {"two names", NULL, {"cpu", "mem"}, {"cpu", "mem"}, {"cpu0"}},
	    /* Without '*', '?' or '[' nothing is special, braces included. */
	    {"no glob", NULL, {"{a,b}", "x\\y"}, {"{a,b}", "x\\y"}, {"a"}},
	};
	check_lists(cases, sizeof(cases) / sizeof(cases[0]));
	/* An empty list matches nothing. */
	struct cfg_strv none = {NULL, 0, true};
	char err[64];
	struct glob_list *g = glob_list_new(&none, err, sizeof(err));
	assert_non_null(g);
	assert_false(m(g, ""));
	assert_false(m(g, "x"));
	glob_list_free(g);
	/* Matching takes a length: no NUL needed, none looked at. */
	g = compile(NULL, "cpu", NULL);
	assert_true(glob_list_match(g, "cpu0", 3));
	glob_list_free(g);
}

static void test_telegraf_cases(void **state)
{
	(void)state;
	/* filter/filter_test.go TestCompile, as far as it goes here. */
	static const struct list_case cases[] = {
	    {"prefix", NULL, {"cpu*"}, {"cpu", "cpu0"}, {"mem"}},
	    {"names and a glob",
	     NULL,
	     {"cpu", "mem", "net*"},
	     {"cpu", "mem", "network"},
	     {"cpu0"}},
	    {"separator",
	     ".",
	     {"cpu.*.count"},
	     {"cpu.measurement.count"},
	     {"cpu.count", "cpu.field.measurement.count"}},
	    {"two separators",
	     ".,",
	     {"cpu.*.count"},
	     {"cpu.measurement.count"},
	     {"cpu.field,measurement.count"}},
	    {"super-asterisk",
	     ".",
	     {"cpu.**.count"},
	     {"cpu.field.measurement.count"},
	     {NULL}},
	};
	check_lists(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_syntax(void **state)
{
	(void)state;
	static const struct {
		const char *pattern, *subject;
		bool match;
	} cases[] = {
	    {"*", "", true},
	    {"*", "anything", true},
	    {"a*b", "ab", true},
	    {"a*b", "axxb", true},
	    {"a*b", "axxbc", false},
	    {"*b*", "abc", true},
	    {"a**", "abc", true},
	    {"?", "a", true},
	    {"?", "", false},
	    {"?", "ab", false},
	    {"a?c", "abc", true},
	    {"?", "\xc3\xa9", true}, /* one code point, two bytes */
	    {"??", "\xc3\xa9", false},
	    {"[abc]", "b", true},
	    {"[abc]", "d", false},
	    {"[!abc]", "d", true},
	    {"[!abc]", "a", false},
	    {"[a-z]x", "mx", true},
	    {"[a-z]", "M", false},
	    {"[!a-z]", "M", true},
	    {"[!a-z]", "m", false},
	    {"[\\]]*", "]x", true},
	    {"[-a]", "-", true},
	    {"{cpu,mem}*", "memory", true},
	    {"{cpu,mem}*", "disk", false},
	    /* Braces count only in a glob, i.e. with '*', '?' or '['. */
	    {"{a,{b,c}d}?", "cdx", true},
	    {"{a,{b,c}d}?", "ax", true},
	    {"{a,{b,c}d}?", "cx", false},
	    {"x{,y}z*", "xz", true},
	    {"x{,y}z*", "xyz", true},
	    {"{}*", "q", true},
	    {"\\*", "*", true},
	    {"\\*", "a", false},
	    {"a\\?*", "a?b", true},
	    {"a\\?*", "ab", false},
	    {"cpu{0,1?", "cpu1x", true}, /* unclosed: closed at the end */
	    {"cpu{0,1?", "cpu0", true},
	    {"a}*", "a}b", true}, /* '}' outside braces is text */
	    {"a,*", "a,b", true}, /* ',' outside braces is text */
	    {"*\xc3\xa9", "caf\xc3\xa9", true},
	    {"[\xc3\xa0-\xc3\xbf]", "\xc3\xa9", true},
	    {"*x", "\xff\xfex", true}, /* invalid UTF-8 in the subject */
	    {"?x", "\xffx", true},
	    {"*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct glob_list *g = compile(NULL, cases[i].pattern, NULL);
		if (m(g, cases[i].subject) != cases[i].match)
			fail_msg("\"%s\" on \"%s\": want %s", cases[i].pattern,
				 cases[i].subject,
				 cases[i].match ? "match" : "no match");
		glob_list_free(g);
	}
}

static void test_list_joined_like_telegraf(void **state)
{
	(void)state;
	static const struct list_case cases[] = {
	    /* Telegraf compiles ["x*", "a,b"] as "{x*,a,b}": the comma
	     * splits. */
	    {"joined", NULL, {"x*", "a,b"}, {"xyz", "a", "b"}, {"a,b"}},
	    /* With separators even plain names are globs. */
	    {"name with separators", ".", {"cpu"}, {"cpu"}, {"cpu0"}},
	    {"? and a separator", ".", {"a.?"}, {"a.b"}, {"a.."}},
	};
	check_lists(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_bad_patterns(void **state)
{
	(void)state;
	static const struct {
		const char *pattern, *why;
	} bad[] = {
	    {"[abc", "unexpected end of input"},
	    {"x[", "unexpected end of input"},
	    {"[z-a]", "below its start"},
	    {"[]", "could not parse range"},
	    {"[!]", "could not parse range"},
	    {"[a-bc]", "expected close range character"},
	    {"[a-]*", "below its start"}, /* the range a-] */
	    {"a\xff*", "invalid UTF-8"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *pats[] = {bad[i].pattern};
		struct cfg_strv v = {(char **)pats, 1, true};
		char err[256];
		struct glob_list *g = glob_list_new(&v, err, sizeof(err));
		if (g)
			fail_msg("\"%s\" compiled", bad[i].pattern);
		if (!strstr(err, bad[i].why) || !strstr(err, "bad pattern"))
			fail_msg("\"%s\": error \"%s\" lacks \"%s\"",
				 bad[i].pattern, err, bad[i].why);
	}
}

/* Each allocation of a compile fails in turn: it is an "out of memory"
 * error (or, for an optional table, a compile that still matches right),
 * never another message, a crash or a leak (the sanitizer build checks
 * leaks), until the compile needs no more. Among them the NFA's
 * separators and pattern as code points (glob_runes). */
static void test_out_of_memory(void **state)
{
	(void)state;
	static const char *const pats[] = {"a*b[c-e]?", "x**", "{1,2}"};
	struct cfg_strv v = {(char **)pats, 3, true};
	long failures = 0;
	for (long k = 1;; k++) {
		char err[256] = "";
		alloc_fail_in = k;
		struct glob_list *g =
		    glob_list_new_sep(&v, ".", err, sizeof(err));
		bool failed = alloc_fail_in == 0;
		alloc_fail_in = 0;
		if (g) {
			/* Compiled without what failed (a fast path's
			 * table): it still matches as it must. */
			assert_false(glob_list_match(g, "a.b.cdz", 7));
			assert_true(glob_list_match(g, "abcz", 4));
			assert_true(glob_list_match(g, "x.y", 3));
			glob_list_free(g);
			if (!failed)
				break;
			continue;
		}
		if (!failed || !strstr(err, "out of memory"))
			fail_msg("allocation %ld: %s", k, err);
		failures++;
	}
	assert_true(failures >= 2);
}

static void test_long_pattern(void **state)
{
	(void)state;
	/* Past the on-stack state sets: the heap path. "*a" 600 times needs
	 * at least 600 a's, and the NFA finds out without backtracking. */
	char pat[4000], subj[2100];
	size_t k = 0;
	for (int i = 0; i < 600; i++) {
		pat[k++] = '*';
		pat[k++] = 'a';
	}
	pat[k++] = '\0';
	memset(subj, 'a', 2000);
	subj[2000] = '\0';
	struct glob_list *g = compile(NULL, pat, NULL);
	assert_true(m(g, subj));
	subj[600] = '\0';
	assert_true(m(g, subj));
	subj[599] = '\0';
	assert_false(m(g, subj));
	memset(subj, 'a', 2000);
	subj[1999] = 'b';
	assert_false(m(g, subj));
	glob_list_free(g);
}

/* Backtracking reference for '*', '?', "[..]" and letters. */
static bool ref_match(const char *p, const char *s)
{
	if (!*p)
		return !*s;
	if (*p == '*')
		return ref_match(p + 1, s) || (*s && ref_match(p, s + 1));
	if (!*s)
		return false;
	if (*p == '?')
		return ref_match(p + 1, s + 1);
	if (*p == '[') {
		bool neg = p[1] == '!';
		const char *q = p + 1 + neg;
		bool in = false;
		for (; *q != ']'; q++)
			in = in || *q == *s;
		return in != neg && ref_match(q + 1, s + 1);
	}
	return *p == *s && ref_match(p + 1, s + 1);
}

static void test_against_reference(void **state)
{
	(void)state;
	static const char *const atoms[] = {"a",    "b", "*",  "?",    "[ab]",
					    "[!a]", "c", "ab", "[a-b]"};
	const size_t natom = sizeof(atoms) / sizeof(atoms[0]);
	uint32_t seed = 12345;
	for (int round = 0; round < 3000; round++) {
		char pat[64] = "", subj[16];
		int natoms =
		    1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 6;
		for (int i = 0; i < natoms; i++) {
			seed = seed * 1103515245 + 12345;
			strcat(pat, atoms[(seed >> 16) % natom]);
		}
		seed = seed * 1103515245 + 12345;
		int len = (int)(seed >> 16) % 8;
		for (int i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			subj[i] = "abc"[(seed >> 16) % 3];
		}
		subj[len] = '\0';
		/* Alone the pattern takes the fast path; next to a braced
		 * one that cannot match ('q' is never in the subject) the
		 * list is one NFA: both must agree with the reference. */
		struct glob_list *g = compile(NULL, pat, NULL);
		struct glob_list *nfa = compile(NULL, pat, "{q,qq}*", NULL);
		bool want = ref_match(pat, subj);
		if (m(g, subj) != want || m(nfa, subj) != want)
			fail_msg("\"%s\" on \"%s\": fast %d, nfa %d, "
				 "reference %d",
				 pat, subj, m(g, subj), m(nfa, subj), want);
		glob_list_free(g);
		glob_list_free(nfa);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact),
	    cmocka_unit_test(test_telegraf_cases),
	    cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_list_joined_like_telegraf),
	    cmocka_unit_test(test_bad_patterns),
	    cmocka_unit_test(test_out_of_memory),
	    cmocka_unit_test(test_long_pattern),
	    cmocka_unit_test(test_against_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
