/*
 * glob.c: Telegraf's glob filters (filter.Compile over gobwas/glob v0.2).
 *
 * As Telegraf does it: a list where no pattern holds '*', '?' or '[' (and
 * no separators are given) is a set of exact strings ('{', '\' and the rest
 * are then plain characters). Otherwise the list is one glob, the single
 * pattern or "{p1,p2,...}" (so a ',' in a pattern separates alternatives
 * there, exactly as in Telegraf). Syntax: '*' any run of characters ('**'
 * too; with separators, '*' stops at them and '**' does not), '?' one
 * character (not a separator), "[abc]" "[!abc]" "[a-z]" "[!a-z]" one
 * character of a set or range, "{a,b}" alternatives (nestable), '\' makes
 * the next character literal. Characters are UTF-8 code points; a pattern
 * that is not valid UTF-8 is refused. An unclosed '{' is accepted as closed
 * at the end, as gobwas does.
 *
 * Speed: most filters are lists of plain names or of patterns made of
 * literals, '*', '?' and classes ("libvirt_*", "*_errs"). Such a list is
 * the OR of its patterns (joining them in braces changes nothing), and
 * each pattern is matched by anchored literal checks plus the classic
 * two-pointer wildcard walk, without allocation. Everything else (braces,
 * separators, escapes in a list) runs on the NFA of glob_nfa.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob_internal.h"

enum glob_item_op { S_LIT, S_STAR, S_ONE, S_LIST, S_RANGE };

struct glob_item {
	uint8_t op;
	bool neg;
	uint32_t a, b; /* S_LIT: offset and length in bytes; S_LIST: as
			  G_LIST; S_RANGE: lo, hi */
};

/* A pattern of literals, '*', '?' and classes. */
struct glob_simple {
	struct glob_item *items;
	size_t n;
	char *bytes;	 /* the literals */
	uint32_t *chars; /* the classes' sets */
	bool has_star;
};

struct glob_list {
	enum { GLOB_EXACT, GLOB_SIMPLE, GLOB_NFA } kind;
	char **strs; /* GLOB_EXACT */
	size_t *lens;
	size_t nstrs;
	struct glob_simple *simple; /* GLOB_SIMPLE: one per pattern */
	size_t nsimple;
	struct glob_prog nfa; /* GLOB_NFA */
};

/* ------------------------------------------------------------------ */
/* Simple patterns */

/* The items of a compiled brace-free pattern; false if it is not one. */
static bool glob_simplify(const struct glob_prog *p, struct glob_simple *s)
{
	memset(s, 0, sizeof(*s));
	s->items = calloc(p->nprog + 1, sizeof(*s->items));
	s->bytes = malloc(4 * p->nprog + 1);
	s->chars = malloc((p->nchars + 1) * sizeof(*s->chars));
	if (!s->items || !s->bytes || !s->chars)
		return false;
	if (p->nchars)
		memcpy(s->chars, p->chars, p->nchars * sizeof(*s->chars));
	size_t nb = 0;
	for (size_t pc = 0; pc < p->nprog;) {
		const struct glob_inst *in = &p->prog[pc];
		struct glob_item *last = s->n ? &s->items[s->n - 1] : NULL;
		switch (in->op) {
		case G_RUNE: {
			char u[4];
			size_t w = 0;
			uint32_t c = in->a;
			if (c < 0x80) {
				u[w++] = (char)c;
			} else if (c < 0x800) {
				u[w++] = (char)(0xc0 | (c >> 6));
				u[w++] = (char)(0x80 | (c & 0x3f));
			} else if (c < 0x10000) {
				u[w++] = (char)(0xe0 | (c >> 12));
				u[w++] = (char)(0x80 | ((c >> 6) & 0x3f));
				u[w++] = (char)(0x80 | (c & 0x3f));
			} else {
				u[w++] = (char)(0xf0 | (c >> 18));
				u[w++] = (char)(0x80 | ((c >> 12) & 0x3f));
				u[w++] = (char)(0x80 | ((c >> 6) & 0x3f));
				u[w++] = (char)(0x80 | (c & 0x3f));
			}
			if (!last || last->op != S_LIT)
				s->items[s->n++] = (struct glob_item){
				    S_LIT, false, (uint32_t)nb, 0};
			memcpy(s->bytes + nb, u, w);
			nb += w;
			s->items[s->n - 1].b += (uint32_t)w;
			pc++;
			break;
		}
		case G_SPLIT: /* a star: SPLIT ANY JMP */
			if (pc + 2 >= p->nprog || p->prog[pc + 1].op != G_ANY ||
			    p->prog[pc + 2].op != G_JMP)
				return false;
			if (!last || last->op != S_STAR)
				s->items[s->n++] =
				    (struct glob_item){S_STAR, false, 0, 0};
			s->has_star = true;
			pc += 3;
			break;
		case G_SINGLE:
			s->items[s->n++] =
			    (struct glob_item){S_ONE, false, 0, 0};
			pc++;
			break;
		case G_LIST:
		case G_RANGE:
			s->items[s->n++] = (struct glob_item){
			    in->op == G_LIST ? S_LIST : S_RANGE, in->neg, in->a,
			    in->b};
			pc++;
			break;
		case G_MATCH:
			return pc + 1 == p->nprog;
		default:
			return false;
		}
	}
	return false;
}

static void glob_simple_free(struct glob_simple *s)
{
	free(s->items);
	free(s->bytes);
	free(s->chars);
}

static bool glob_item_rune(const struct glob_simple *p,
			   const struct glob_item *it, uint32_t r)
{
	if (it->op == S_ONE)
		return true;
	if (it->op == S_RANGE)
		return (r >= it->a && r <= it->b) != it->neg;
	bool in = false;
	for (uint32_t k = 0; k < it->b && !in; k++)
		in = p->chars[it->a + k] == r;
	return in != it->neg;
}

/* A leading literal must match at the start, a trailing one (after a
 * star) at the end; the rest is the two-pointer walk that backs up to the
 * last star on a mismatch. Literals only start on code point boundaries
 * (they are valid UTF-8), so the byte compares agree with gobwas. */
static bool glob_simple_match(const struct glob_simple *p, const char *s,
			      size_t n)
{
	size_t i = 0, end = n, k = 0, kend = p->n;
	if (kend && p->items[0].op == S_LIT) {
		const struct glob_item *it = &p->items[0];
		if (n < it->b || memcmp(s, p->bytes + it->a, it->b) != 0)
			return false;
		i = it->b;
		k = 1;
	}
	if (p->has_star && kend > k && p->items[kend - 1].op == S_LIT) {
		const struct glob_item *it = &p->items[kend - 1];
		if (end - i < it->b ||
		    memcmp(s + end - it->b, p->bytes + it->a, it->b) != 0)
			return false;
		end -= it->b;
		kend--;
	}
	size_t star_k = SIZE_MAX, star_i = 0;
	while (i < end) {
		if (k < kend) {
			const struct glob_item *it = &p->items[k];
			if (it->op == S_STAR) {
				if (k + 1 == kend)
					return true;
				star_k = k++;
				star_i = i;
				continue;
			}
			if (it->op == S_LIT) {
				if (end - i >= it->b &&
				    memcmp(s + i, p->bytes + it->a, it->b) ==
					0) {
					i += it->b;
					k++;
					continue;
				}
			} else {
				size_t w;
				uint32_t r = glob_decode(
				    (const unsigned char *)s + i, end - i, &w);
				if (glob_item_rune(p, it, r)) {
					i += w;
					k++;
					continue;
				}
			}
		}
		if (star_k == SIZE_MAX)
			return false;
		size_t w;
		glob_decode((const unsigned char *)s + star_i, end - star_i,
			    &w);
		star_i += w;
		i = star_i;
		k = star_k + 1;
	}
	while (k < kend && p->items[k].op == S_STAR)
		k++;
	return k == kend;
}

/* ------------------------------------------------------------------ */
/* The list */

static void glob_error(char *err, size_t errlen,
		       const struct cfg_strv *patterns, const char *why)
{
	if (patterns->n == 1)
		snprintf(err, errlen, "bad pattern \"%s\": %s", patterns->v[0],
			 why);
	else
		snprintf(err, errlen, "bad pattern in [\"%s\", ...]: %s",
			 patterns->v[0], why);
}

/* Can the list be matched as the OR of its patterns, each simple? Then
 * braces, and for a list also ',', '}' and '\' (which the join in braces
 * would reinterpret), must be absent. */
static bool glob_list_simple_ok(const struct cfg_strv *patterns,
				const char *seps)
{
	if (seps && *seps)
		return false;
	for (size_t i = 0; i < patterns->n; i++) {
		const char *p = patterns->v[i];
		if (strchr(p, '{'))
			return false;
		if (patterns->n > 1 && strpbrk(p, ",}\\"))
			return false;
	}
	return true;
}

static int glob_list_simple(struct glob_list *g,
			    const struct cfg_strv *patterns, char *err,
			    size_t errlen)
{
	g->simple = calloc(patterns->n, sizeof(*g->simple));
	if (!g->simple) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < patterns->n; i++) {
		struct glob_prog p;
		const char *why = NULL;
		int rc = glob_prog_compile(&p, patterns->v[i], NULL, &why);
		if (rc == 0 && !glob_simplify(&p, &g->simple[i]))
			rc = 1; /* not simple after all: the caller uses NFA */
		g->nsimple = i + 1;
		glob_prog_free(&p);
		if (rc < 0) {
			const struct cfg_strv one = {&patterns->v[i], 1, true};
			glob_error(err, errlen, &one, why);
			return -1;
		}
		if (rc > 0)
			return 1;
	}
	return 0;
}

struct glob_list *glob_list_new_sep(const struct cfg_strv *patterns,
				    const char *separators, char *err,
				    size_t errlen)
{
	struct glob_list *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	const struct cfg_strv none = {NULL, 0, false};
	if (!patterns)
		patterns = &none;
	size_t n = patterns->n;
	bool meta = separators && *separators;
	for (size_t i = 0; i < n; i++)
		meta = meta || strpbrk(patterns->v[i], "*?[") != NULL;
	if (!meta) {
		g->kind = GLOB_EXACT;
		g->strs = calloc(n + 1, sizeof(*g->strs));
		g->lens = calloc(n + 1, sizeof(*g->lens));
		if (!g->strs || !g->lens)
			goto oom;
		for (size_t i = 0; i < n; i++) {
			g->lens[i] = strlen(patterns->v[i]);
			g->strs[i] = strdup(patterns->v[i]);
			g->nstrs = i + 1;
			if (!g->strs[i])
				goto oom;
		}
		return g;
	}
	if (glob_list_simple_ok(patterns, separators)) {
		g->kind = GLOB_SIMPLE;
		int rc = glob_list_simple(g, patterns, err, errlen);
		if (rc < 0)
			goto fail;
		if (rc == 0)
			return g;
		for (size_t i = 0; i < g->nsimple; i++)
			glob_simple_free(&g->simple[i]);
		free(g->simple);
		g->simple = NULL;
		g->nsimple = 0;
	}
	/* One glob: the pattern, or "{p1,p2,...}" as Telegraf joins them. */
	g->kind = GLOB_NFA;
	struct buf b = BUF_INIT;
	int no_memory = n != 1 ? buf_putc(&b, '{') : 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			no_memory |= buf_putc(&b, ',');
		if (*patterns->v[i]) /* (never buf_append 0 bytes to NULL) */
			no_memory |= buf_append(&b, patterns->v[i],
						strlen(patterns->v[i]));
	}
	if (n != 1)
		no_memory |= buf_putc(&b, '}');
	/* A byte that did not fit would make another pattern. */
	if ((no_memory | buf_putc(&b, '\0')) < 0) {
		buf_free(&b);
		goto oom;
	}
	const char *why = NULL;
	int rc = glob_prog_compile(&g->nfa, b.data, separators, &why);
	buf_free(&b);
	if (rc == 0)
		return g;
	glob_error(err, errlen, patterns, why);
	goto fail;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	glob_list_free(g);
	return NULL;
}

struct glob_list *glob_list_new(const struct cfg_strv *patterns, char *err,
				size_t errlen)
{
	return glob_list_new_sep(patterns, NULL, err, errlen);
}

void glob_list_free(struct glob_list *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nstrs; i++)
		free(g->strs[i]);
	free(g->strs);
	free(g->lens);
	for (size_t i = 0; i < g->nsimple; i++)
		glob_simple_free(&g->simple[i]);
	free(g->simple);
	glob_prog_free(&g->nfa);
	free(g);
}

bool glob_list_match(const struct glob_list *g, const char *s, size_t n)
{
	switch (g->kind) {
	case GLOB_EXACT:
		for (size_t i = 0; i < g->nstrs; i++)
			if (g->lens[i] == n && memcmp(g->strs[i], s, n) == 0)
				return true;
		return false;
	case GLOB_SIMPLE:
		for (size_t i = 0; i < g->nsimple; i++)
			if (glob_simple_match(&g->simple[i], s, n))
				return true;
		return false;
	case GLOB_NFA:
		return glob_prog_match(&g->nfa, s, n);
	}
	return false;
}
