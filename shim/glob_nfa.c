/*
 * glob_nfa.c: one gobwas/glob pattern compiled to a Thompson NFA and run
 * over the code points of a subject: O(len(subject) * len(pattern)) time,
 * no backtracking, no allocation for patterns under 512 instructions.
 * The lexer follows gobwas/glob v0.2 token by token (glob.c says which
 * patterns take this path and what the syntax is).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob_internal.h"

#define GLOB_STACK_STATES 512

/* ------------------------------------------------------------------ */
/* UTF-8 */

/* Decode one code point; invalid bytes decode as U+FFFD of width 1, as Go
 * does. */
uint32_t glob_decode(const unsigned char *s, size_t n, size_t *w)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*w = 1;
		return c;
	}
	size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
	uint32_t cp = len == 4 ? c & 0x07 : len == 3 ? c & 0x0f : c & 0x1f;
	if (len == 0 || len > n || c > 0xf4 || c < 0xc2)
		goto bad;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			goto bad;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto bad;
	*w = len;
	return cp;
bad:
	*w = 1;
	return 0xfffd;
}

/* ------------------------------------------------------------------ */
/* Lexer (gobwas/glob's, by code point) */

enum glob_tok {
	T_EOF,
	T_ERROR,
	T_TEXT,
	T_ANY,
	T_SUPER,
	T_SINGLE,
	T_NOT,
	T_SEP,
	T_RANGE_OPEN,
	T_RANGE_CLOSE,
	T_RANGE_LO,
	T_RANGE_HI,
	T_TERMS_OPEN,
	T_TERMS_CLOSE,
};

struct glob_token {
	enum glob_tok type;
	uint32_t *text; /* T_TEXT: the code points, escapes resolved */
	size_t ntext;
	uint32_t rune; /* T_RANGE_LO / T_RANGE_HI */
};

struct glob_lexer {
	const uint32_t *s; /* the pattern as code points, 0-terminated */
	size_t pos;
	int terms;
	struct glob_token q[8]; /* tokens found but not yet taken */
	size_t qn;
	const char *error;
	uint32_t *textbuf; /* room for T_TEXT, as long as the pattern */
	size_t textpos;
};

static void glob_push(struct glob_lexer *l, enum glob_tok t, uint32_t rune)
{
	l->q[l->qn++] = (struct glob_token){t, NULL, 0, rune};
}

/* Literal characters up to a breaker, escapes resolved. */
static void glob_fetch_text(struct glob_lexer *l, const uint32_t *breakers)
{
	uint32_t *start = l->textbuf + l->textpos;
	size_t n = 0;
	bool escaped = false;
	for (;;) {
		uint32_t r = l->s[l->pos];
		if (r == 0)
			break; /* a trailing '\' is dropped, as gobwas does */
		if (!escaped) {
			if (r == '\\') {
				escaped = true;
				l->pos++;
				continue;
			}
			bool brk = false;
			for (const uint32_t *b = breakers; *b; b++)
				brk = brk || *b == r;
			if (brk)
				break;
		}
		escaped = false;
		start[n++] = r;
		l->pos++;
	}
	if (n) {
		l->textpos += n;
		l->q[l->qn++] = (struct glob_token){T_TEXT, start, n, 0};
	}
}

static void glob_fetch_range(struct glob_lexer *l)
{
	bool want_hi = false, want_close = false, seen_not = false;
	static const uint32_t close[] = {']', 0};
	for (;;) {
		uint32_t r = l->s[l->pos];
		if (r == 0) {
			l->error = "unexpected end of input";
			return;
		}
		l->pos++;
		if (want_close) {
			if (r != ']')
				l->error = "expected close range character";
			else
				glob_push(l, T_RANGE_CLOSE, 0);
			return;
		}
		if (want_hi) {
			glob_push(l, T_RANGE_HI, r);
			want_close = true;
			continue;
		}
		if (!seen_not && r == '!') {
			glob_push(l, T_NOT, 0);
			seen_not = true;
			continue;
		}
		if (l->s[l->pos] == '-') {
			l->pos++;
			glob_push(l, T_RANGE_LO, r);
			want_hi = true;
			continue;
		}
		l->pos--;
		glob_fetch_text(l, close);
		want_close = true;
	}
}

static void glob_fetch(struct glob_lexer *l)
{
	static const uint32_t text_breakers[] = {'?', '*', '[', '{', 0};
	static const uint32_t terms_breakers[] = {'?', '*', '[', '{',
						  '}', ',', 0};
	uint32_t r = l->s[l->pos];
	if (r == 0) {
		glob_push(l, T_EOF, 0);
		return;
	}
	l->pos++;
	if (r == '{') {
		l->terms++;
		glob_push(l, T_TERMS_OPEN, 0);
	} else if (r == ',' && l->terms > 0) {
		glob_push(l, T_SEP, 0);
	} else if (r == '}' && l->terms > 0) {
		glob_push(l, T_TERMS_CLOSE, 0);
		l->terms--;
	} else if (r == '[') {
		glob_push(l, T_RANGE_OPEN, 0);
		glob_fetch_range(l);
	} else if (r == '?') {
		glob_push(l, T_SINGLE, 0);
	} else if (r == '*') {
		if (l->s[l->pos] == '*') {
			l->pos++;
			glob_push(l, T_SUPER, 0);
		} else {
			glob_push(l, T_ANY, 0);
		}
	} else {
		l->pos--;
		glob_fetch_text(l,
				l->terms > 0 ? terms_breakers : text_breakers);
	}
}

static struct glob_token glob_next(struct glob_lexer *l)
{
	for (;;) {
		if (l->qn) {
			struct glob_token t = l->q[0];
			memmove(l->q, l->q + 1, (l->qn - 1) * sizeof(l->q[0]));
			l->qn--;
			return t;
		}
		if (l->error)
			return (struct glob_token){T_ERROR, NULL, 0, 0};
		glob_fetch(l);
	}
}

/* ------------------------------------------------------------------ */
/* Parser and compiler: tokens straight to NFA instructions. */

/* Room for one more instruction; false (and g->oom) when out of memory. */
static bool glob_grow(struct glob_prog *g)
{
	struct glob_inst *p =
	    array_grow(g->prog, g->nprog, &g->cap, sizeof(*p), 32);
	if (!p) {
		g->oom = true;
		return false;
	}
	g->prog = p;
	return true;
}

/* Append an instruction; returns its index. Out of memory, it returns
 * the last instruction's (the compile then fails with g->oom, and the
 * callers' fix-ups of that index write into memory that exists:
 * glob_compile makes the first room before anything is emitted). */
static size_t glob_emit(struct glob_prog *g, enum glob_op op, uint32_t a,
			uint32_t b, bool neg)
{
	if (!glob_grow(g))
		return g->nprog - 1;
	g->prog[g->nprog] = (struct glob_inst){(uint8_t)op, neg, a, b};
	return g->nprog++;
}

/* Alternatives being compiled: each '{' opens a group whose branches
 * are chained through SPLITs and whose ends jump to the group's end. */
struct glob_group {
	size_t split;	  /* the SPLIT before the current branch */
	size_t jumps[64]; /* JMPs at the ends of finished branches */
	size_t njumps;
};

#define GLOB_MAX_NEST 32

static int glob_range(struct glob_prog *g, struct glob_lexer *l,
		      const char **why)
{
	bool neg = false;
	uint32_t lo = 0, hi = 0;
	const uint32_t *chars = NULL;
	size_t nchars = 0;
	for (;;) {
		struct glob_token t = glob_next(l);
		switch (t.type) {
		case T_EOF:
			*why = "unexpected end";
			return -1;
		case T_ERROR:
			*why = l->error;
			return -1;
		case T_NOT:
			neg = true;
			break;
		case T_RANGE_LO:
			lo = t.rune;
			break;
		case T_RANGE_HI:
			hi = t.rune;
			if (hi < lo) {
				*why = "the end of a [a-z] range is below its "
				       "start";
				return -1;
			}
			break;
		case T_TEXT:
			chars = t.text;
			nchars = t.ntext;
			break;
		case T_RANGE_CLOSE: {
			bool is_range = lo != 0 && hi != 0;
			bool is_chars = nchars > 0;
			if (is_range == is_chars) {
				*why = "could not parse range";
				return -1;
			}
			if (is_range) {
				glob_emit(g, G_RANGE, lo, hi, neg);
				return 0;
			}
			if (g->nchars + nchars > g->chars_cap) {
				size_t cap = (g->nchars + nchars) * 2;
				uint32_t *c =
				    realloc(g->chars, cap * sizeof(*c));
				if (!c) {
					g->oom = true;
					return 0;
				}
				g->chars = c;
				g->chars_cap = cap;
			}
			memcpy(g->chars + g->nchars, chars,
			       nchars * sizeof(*chars));
			glob_emit(g, G_LIST, (uint32_t)g->nchars,
				  (uint32_t)nchars, neg);
			g->nchars += nchars;
			return 0;
		}
		default:
			*why = "unexpected token in a range";
			return -1;
		}
	}
}

/* Start a branch of the innermost group: SPLIT(branch, next). */
static void glob_branch(struct glob_prog *g, struct glob_group *gr)
{
	gr->split = glob_emit(g, G_SPLIT, 0, 0, false);
	g->prog[gr->split].a = (uint32_t)g->nprog;
}

/* End the current branch: jump to the group's end, and point the SPLIT
 * before it at what follows. */
static int glob_end_branch(struct glob_prog *g, struct glob_group *gr,
			   const char **why)
{
	if (gr->njumps == sizeof(gr->jumps) / sizeof(gr->jumps[0])) {
		*why = "more than 64 alternatives in one {...}";
		return -1;
	}
	gr->jumps[gr->njumps++] = glob_emit(g, G_JMP, 0, 0, false);
	g->prog[gr->split].b = (uint32_t)g->nprog;
	return 0;
}

/* Close a group: every branch's JMP goes here. The last branch's SPLIT
 * would offer a way around it, so it becomes a plain jump into it. */
static void glob_close_group(struct glob_prog *g, struct glob_group *gr)
{
	size_t end = g->nprog;
	g->prog[gr->split].op = G_JMP;
	for (size_t i = 0; i < gr->njumps; i++)
		g->prog[gr->jumps[i]].a = (uint32_t)end;
}

static int glob_compile(struct glob_prog *g, const uint32_t *pat, size_t n,
			const char **why)
{
	uint32_t *textbuf = malloc((n + 1) * sizeof(*textbuf));
	if (!textbuf || !glob_grow(g)) {
		free(textbuf);
		*why = "out of memory";
		return -1;
	}
	struct glob_lexer l = {.s = pat, .textbuf = textbuf};
	struct glob_group stack[GLOB_MAX_NEST];
	size_t depth = 0;
	int rc = 0;
	for (;;) {
		struct glob_token t = glob_next(&l);
		if (t.type == T_EOF)
			break;
		switch (t.type) {
		case T_ERROR:
			*why = l.error;
			rc = -1;
			break;
		case T_TEXT:
			for (size_t i = 0; i < t.ntext; i++)
				glob_emit(g, G_RUNE, t.text[i], 0, false);
			break;
		case T_ANY:
		case T_SUPER: {
			size_t split = glob_emit(g, G_SPLIT, 0, 0, false);
			glob_emit(g, G_ANY, t.type == T_ANY && g->nseps, 0,
				  false);
			glob_emit(g, G_JMP, (uint32_t)split, 0, false);
			g->prog[split].a = (uint32_t)split + 1;
			g->prog[split].b = (uint32_t)g->nprog;
			break;
		}
		case T_SINGLE:
			glob_emit(g, G_SINGLE, 0, 0, false);
			break;
		case T_RANGE_OPEN:
			rc = glob_range(g, &l, why);
			break;
		case T_TERMS_OPEN:
			if (depth == GLOB_MAX_NEST) {
				*why = "{...} nested too deeply";
				rc = -1;
				break;
			}
			stack[depth].njumps = 0;
			glob_branch(g, &stack[depth]);
			depth++;
			break;
		case T_SEP:
			rc = glob_end_branch(g, &stack[depth - 1], why);
			if (rc == 0)
				glob_branch(g, &stack[depth - 1]);
			break;
		case T_TERMS_CLOSE:
			rc = glob_end_branch(g, &stack[depth - 1], why);
			if (rc == 0)
				glob_close_group(g, &stack[--depth]);
			break;
		default:
			*why = "unexpected token";
			rc = -1;
		}
		if (rc || g->oom)
			break;
	}
	/* Groups left open at the end are closed there (gobwas does so). */
	while (rc == 0 && depth > 0 && !g->oom) {
		rc = glob_end_branch(g, &stack[depth - 1], why);
		if (rc == 0)
			glob_close_group(g, &stack[--depth]);
	}
	glob_emit(g, G_MATCH, 0, 0, false);
	free(textbuf);
	if (rc == 0 && g->oom) {
		*why = "out of memory";
		rc = -1;
	}
	return rc;
}

/* What glob_runes made of a string. */
enum glob_runes_result {
	GLOB_RUNES_OK,
	GLOB_RUNES_BAD_UTF8,
	GLOB_RUNES_NO_MEMORY,
};

/* s as code points into *out (0-terminated, the caller frees it) and
 * their count into *n; on failure *out is NULL and *n 0. */
static enum glob_runes_result glob_runes(const char *s, uint32_t **out,
					 size_t *n)
{
	size_t len = strlen(s);
	*out = NULL;
	*n = 0;
	uint32_t *r = malloc((len + 1) * sizeof(*r));
	if (!r)
		return GLOB_RUNES_NO_MEMORY;
	size_t k = 0;
	for (size_t i = 0; i < len;) {
		size_t w;
		uint32_t cp =
		    glob_decode((const unsigned char *)s + i, len - i, &w);
		if (cp == 0xfffd) {
			free(r);
			return GLOB_RUNES_BAD_UTF8;
		}
		r[k++] = cp;
		i += w;
	}
	r[k] = 0;
	*out = r;
	*n = k;
	return GLOB_RUNES_OK;
}

/* The message for a failed glob_runes of `what`. */
static const char *glob_runes_why(enum glob_runes_result rc, const char *what)
{
	if (rc == GLOB_RUNES_NO_MEMORY)
		return "out of memory";
	return what;
}

/* ------------------------------------------------------------------ */
/* Matching */

static bool glob_is_sep(const struct glob_prog *g, uint32_t r)
{
	for (size_t i = 0; i < g->nseps; i++)
		if (g->seps[i] == r)
			return true;
	return false;
}

struct glob_set {
	uint32_t *pcs;
	size_t n;
};

/* Add pc and everything reachable from it without input. */
static void glob_add(const struct glob_prog *g, struct glob_set *set,
		     uint32_t *mark, uint32_t gen, uint32_t *stack, uint32_t pc)
{
	size_t sp = 0;
	stack[sp++] = pc;
	while (sp) {
		pc = stack[--sp];
		if (mark[pc] == gen)
			continue;
		mark[pc] = gen;
		const struct glob_inst *in = &g->prog[pc];
		if (in->op == G_JMP) {
			stack[sp++] = in->a;
		} else if (in->op == G_SPLIT) {
			stack[sp++] = in->b;
			stack[sp++] = in->a;
		} else {
			set->pcs[set->n++] = pc;
		}
	}
}

static bool glob_step(const struct glob_prog *g, const struct glob_inst *in,
		      uint32_t r)
{
	switch (in->op) {
	case G_RUNE:
		return r == in->a;
	case G_ANY:
		return !in->a || !glob_is_sep(g, r);
	case G_SINGLE:
		return !glob_is_sep(g, r);
	case G_LIST: {
		bool in_set = false;
		for (uint32_t k = 0; k < in->b && !in_set; k++)
			in_set = g->chars[in->a + k] == r;
		return in_set != in->neg;
	}
	case G_RANGE:
		return (r >= in->a && r <= in->b) != in->neg;
	default:
		return false;
	}
}

static bool glob_run(const struct glob_prog *g, const char *s, size_t n,
		     uint32_t *mem)
{
	size_t np = g->nprog;
	struct glob_set cur = {mem, 0}, next = {mem + np, 0};
	uint32_t *mark = mem + 2 * np;
	uint32_t *stack = mem + 3 * np;
	memset(mark, 0, np * sizeof(*mark));
	uint32_t gen = 1;
	glob_add(g, &cur, mark, gen, stack, 0);
	for (size_t i = 0; i < n && cur.n;) {
		size_t w;
		uint32_t r =
		    glob_decode((const unsigned char *)s + i, n - i, &w);
		i += w;
		next.n = 0;
		gen++;
		for (size_t k = 0; k < cur.n; k++) {
			const struct glob_inst *in = &g->prog[cur.pcs[k]];
			if (glob_step(g, in, r))
				glob_add(g, &next, mark, gen, stack,
					 cur.pcs[k] + 1);
		}
		struct glob_set t = cur;
		cur = next;
		next = t;
	}
	for (size_t k = 0; k < cur.n; k++)
		if (g->prog[cur.pcs[k]].op == G_MATCH)
			return true;
	return false;
}

int glob_prog_compile(struct glob_prog *g, const char *pattern,
		      const char *seps, const char **why)
{
	memset(g, 0, sizeof(*g));
	enum glob_runes_result rc = GLOB_RUNES_OK;
	if (seps && *seps)
		rc = glob_runes(seps, &g->seps, &g->nseps);
	if (rc != GLOB_RUNES_OK) {
		*why = glob_runes_why(rc, "invalid UTF-8 in the separators");
		return -1;
	}
	uint32_t *runes;
	size_t np;
	rc = glob_runes(pattern, &runes, &np);
	if (rc != GLOB_RUNES_OK) {
		*why = glob_runes_why(rc, "invalid UTF-8");
		return -1;
	}
	int compiled = glob_compile(g, runes, np, why);
	free(runes);
	return compiled;
}

void glob_prog_free(struct glob_prog *g)
{
	free(g->prog);
	free(g->chars);
	free(g->seps);
	memset(g, 0, sizeof(*g));
}

bool glob_prog_match(const struct glob_prog *g, const char *s, size_t n)
{
	/* cur, next, marks, and a stack for the pushes of one closure (at
	 * most one per edge: 2 * nprog + 1). */
	size_t need = 5 * g->nprog + 1;
	if (need <= 5 * GLOB_STACK_STATES + 1) {
		uint32_t mem[5 * GLOB_STACK_STATES + 1];
		return glob_run(g, s, n, mem);
	}
	uint32_t *mem = malloc(need * sizeof(*mem));
	if (!mem)
		return false;
	bool m = glob_run(g, s, n, mem);
	free(mem);
	return m;
}
