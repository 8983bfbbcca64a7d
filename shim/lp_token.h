/*
 * lp_token.h: the tokens of a line, found with the scanner of lp_scan.h.
 *
 * One taker serves every token kind: it jumps from mark to mark and skips
 * those that mean nothing to its kind (a space inside a string, '=' in a
 * measurement), an escape of its section's set, or a UTF-8 sequence. The
 * parser (lp_parse.c) and everything that reads a part of a line without
 * parsing it (lp_skim.c) take their tokens here, so that they agree on
 * where a token ends.
 */
#ifndef TELEX_LP_TOKEN_H
#define TELEX_LP_TOKEN_H

#include "lp_internal.h"
#include "lp_scan.h"

/* What ends a number, a boolean or the field section. */
static inline bool lp_is_ws(char c)
{
	return c == ' ' || c == '\r' || c == '\n';
}

static inline bool lp_is_sep(char c)
{
	return c == ',' || lp_is_ws(c);
}

/* A marked byte >= 0x80: skip its UTF-8 sequence, or flag it. */
static inline size_t lp_skip_utf8(const char *p, size_t i, size_t n, bool *bad)
{
	size_t l = lp_utf8_len((const unsigned char *)p + i, n - i);
	if (!l) {
		*bad = true;
		l = 1;
	}
	return i + l;
}

/* Whether the marked ASCII byte c ends a token of escape kind `kind`: a
 * string ends at its closing quote only; a measurement at ',' or a space;
 * a key or tag value at '=' too; both at a control byte or DEL. */
static inline bool lp_token_ends(unsigned char kind, unsigned char c)
{
	if (kind == LP_ESC_STRING)
		return c == '"';
	if (c == '"')
		return false;
	return c != '=' || kind != LP_ESC_NAME;
}

/*
 * The token of escape kind `kind` (enum lp_escape: LP_ESC_NAME,
 * LP_ESC_KEY or LP_ESC_STRING) that starts at i: returns the index just
 * past it (a string's: its closing quote, or n). Sets *esc when it holds
 * an escape to remove and *bad on invalid UTF-8. always_inline: the kind
 * is a constant at every call, and the branches of the others go.
 */
__attribute__((always_inline)) static inline size_t
lp_take(struct lp_scan *sc, size_t i, unsigned char kind, bool *esc, bool *bad)
{
	const char *p = sc->p;
	size_t n = sc->n;
	for (;;) {
		i = lp_scan_next(sc, i);
		if (i == n)
			return i;
		unsigned char c = (unsigned char)p[i];
		if (c == '\\') {
			if (i + 1 < n && lp_unescape_char(kind, p[i + 1])) {
				*esc = true;
				i += 2;
			} else {
				i++;
			}
		} else if (c >= 0x80) {
			i = lp_skip_utf8(p, i, n, bad);
		} else if (lp_token_ends(kind, c)) {
			return i;
		} else {
			i++;
		}
	}
}

/* The end of a number or boolean value: ',' or white space. */
static inline size_t lp_take_value(struct lp_scan *sc, size_t i)
{
	const char *p = sc->p;
	for (;;) {
		i = lp_scan_next(sc, i);
		if (i == sc->n || lp_is_sep(p[i]))
			return i;
		i++;
	}
}

#endif
