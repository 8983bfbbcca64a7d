/*
 * lp_scan.h: where the parser must look, found 64 bytes at a time.
 *
 * A line is walked token by token, and tokens are short. Looking for each
 * token's end on its own (load, compare, find the first bit) chains every
 * token's work on the one before and leaves the processor waiting. So the
 * scanner marks, in one 64-bit mask per 64-byte window, every byte that
 * can end or escape a token in any section: , = space \ " control bytes,
 * DEL and bytes >= 0x80 (UTF-8, to be checked). Finding the next mark is
 * then a shift and a count of trailing zeros; each token kind skips the
 * marks that mean nothing to it (a space inside a string, '=' in a
 * measurement). The window is built with SSE2 compares, 16 bytes at a
 * time; a last partial block is read as the 16 bytes ending at the line's
 * end, so nothing past the line is ever read. Without SSE2 a table does
 * the same.
 */
#ifndef TELEX_LP_SCAN_H
#define TELEX_LP_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* 1 for the bytes the scanner marks. */
extern const unsigned char lp_special[256];

struct lp_scan {
	const char *p;
	size_t n;
	size_t base;   /* start of the window */
	uint64_t mask; /* bit k: p[base + k] is marked */
};

#ifdef __SSE2__
static inline unsigned lp_scan_mask16(__m128i x)
{
	/* Signed: control bytes, the space, and bytes >= 0x80. */
	__m128i m = _mm_cmpgt_epi8(_mm_set1_epi8(0x21), x);
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8(',')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('=')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The marks of p[s..s+16) (bits past n are 0). */
static inline uint64_t lp_scan_block(const char *p, size_t s, size_t n)
{
#ifdef __SSE2__
	if (s + 16 <= n)
		return lp_scan_mask16(
		    _mm_loadu_si128((const __m128i *)(p + s)));
	if (n >= 16)
		return lp_scan_mask16(
			   _mm_loadu_si128((const __m128i *)(p + n - 16))) >>
		       (s + 16 - n);
#endif
	uint64_t m = 0;
	for (size_t k = 0; k < 16 && s + k < n; k++)
		m |= (uint64_t)lp_special[(unsigned char)p[s + k]] << k;
	return m;
}

/* The structural subset of the marks, for a line lp_validate_line has
 * accepted: its series key holds no control byte or DEL and only valid
 * UTF-8, and a quote means nothing there, so , = space and backslash are
 * all that shape it. Bits of p[s..s+16) (bits past n are 0); four
 * compares where lp_scan_block needs seven. */
static inline uint32_t lp_scan_series_block(const char *p, size_t s, size_t n)
{
#ifdef __SSE2__
	if (n >= 16) {
		size_t at = s + 16 <= n ? s : n - 16;
		__m128i x = _mm_loadu_si128((const __m128i *)(p + at));
		__m128i m = _mm_cmpeq_epi8(x, _mm_set1_epi8(','));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('=')));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
		return (uint32_t)_mm_movemask_epi8(m) >> (s - at);
	}
#endif
	uint32_t m = 0;
	for (size_t k = 0; k < 16 && s + k < n; k++) {
		char c = p[s + k];
		m |= (uint32_t)(c == ',' || c == '=' || c == ' ' || c == '\\')
		     << k;
	}
	return m;
}

static inline void lp_scan_window(struct lp_scan *sc, size_t base)
{
	uint64_t m = 0;
	for (size_t b = 0; b < 64 && base + b < sc->n; b += 16)
		m |= lp_scan_block(sc->p, base + b, sc->n) << b;
	sc->base = base;
	sc->mask = m;
}

static inline void lp_scan_init(struct lp_scan *sc, const char *p, size_t n)
{
	sc->p = p;
	sc->n = n;
	lp_scan_window(sc, 0);
}

/* The first marked index at or after i (i never goes back), or n. */
__attribute__((always_inline)) static inline size_t
lp_scan_next(struct lp_scan *sc, size_t i)
{
	for (;;) {
		size_t off = i - sc->base;
		if (off < 64) {
			uint64_t m = sc->mask >> off;
			if (m)
				return i + (size_t)__builtin_ctzll(m);
			i = sc->base + 64;
		}
		if (i >= sc->n)
			return sc->n;
		lp_scan_window(sc, i);
	}
}

/* Length of the valid UTF-8 sequence at p[0..n) (p[0] >= 0x80), or 0 when
 * it is not one: Go's utf8.Valid rules (no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
static inline size_t lp_utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (p[k] < 0x80 || p[k] > 0xbf)
			return 0;
	return len;
}

#endif
