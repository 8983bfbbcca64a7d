/*
 * glob_internal.h: the parts of the glob matcher shared by glob.c (lists,
 * exact sets, the fast matcher for simple patterns) and glob_nfa.c (the
 * gobwas/glob lexer and the NFA for everything else).
 */
#ifndef TELEX_GLOB_INTERNAL_H
#define TELEX_GLOB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "telex/filter.h"

enum glob_op {
	G_RUNE,	  /* a: the code point */
	G_ANY,	  /* any code point (a: 1 = not a separator) */
	G_SINGLE, /* any code point but a separator */
	G_LIST,	  /* a: offset in chars, b: count; neg */
	G_RANGE,  /* a..b; neg */
	G_SPLIT,  /* go to a and to b */
	G_JMP,	  /* go to a */
	G_MATCH,
};

struct glob_inst {
	uint8_t op;
	bool neg;
	uint32_t a, b;
};

/* One compiled pattern. A '*' is the triple SPLIT(+1, +3) ANY JMP(-2). */
struct glob_prog {
	struct glob_inst *prog;
	size_t nprog, cap;
	uint32_t *chars; /* the sets of G_LIST */
	size_t nchars, chars_cap;
	uint32_t *seps;
	size_t nseps;
	bool oom;
};

/* Compile pattern (UTF-8) with separators seps (NULL: none). 0, or -1 with
 * *why set; the prog must be freed either way. */
int glob_prog_compile(struct glob_prog *g, const char *pattern,
		      const char *seps, const char **why);
bool glob_prog_match(const struct glob_prog *g, const char *s, size_t n);
void glob_prog_free(struct glob_prog *g);

/* Decode one code point; invalid bytes decode as U+FFFD of width 1, as Go
 * does. */
uint32_t glob_decode(const unsigned char *s, size_t n, size_t *w);

#endif
