/*
 * lp_scan.h: byte-class searches for the line-protocol splitter and parser.
 *
 * Each lp_find_* returns the index of the first byte at or after i (and
 * before n) that the caller must look at, or n. Tokens are short (a few to
 * a few dozen bytes), so the searches test 16 bytes at a time with SSE2
 * compares instead of a loop with a branch per byte; the last partial block
 * of a buffer of 16 bytes or more is tested by loading the 16 bytes that
 * end at n and dropping the bits before i, so nothing past n is ever read.
 * Without SSE2 a table loop does the same.
 */
#ifndef TELEX_LP_SCAN_H
#define TELEX_LP_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Byte classes, as bits of lp_class[]. */
enum {
	LP_C_NAME = 1,	 /* ends or escapes in a measurement */
	LP_C_KEY = 2,	 /* ... in a tag key, tag value or field key */
	LP_C_STRING = 4, /* ... in a string field value */
	LP_C_VALUE = 8,	 /* ends a number or boolean field value */
};

extern const unsigned char lp_class[256];

#ifdef __SSE2__
/* Bit i set when byte i of x needs a look in that class. */
static inline unsigned lp_mask_name(__m128i x)
{
	__m128i m = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)); /* ctl, >=0x80 */
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8(',')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));
	return (unsigned)_mm_movemask_epi8(m);
}

static inline unsigned lp_mask_key(__m128i x)
{
	return lp_mask_name(x) | (unsigned)_mm_movemask_epi8(
				     _mm_cmpeq_epi8(x, _mm_set1_epi8('=')));
}

static inline unsigned lp_mask_string(__m128i x)
{
	__m128i m = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
	return (unsigned)_mm_movemask_epi8(m) |
	       (unsigned)_mm_movemask_epi8(x); /* >= 0x80 */
}

static inline unsigned lp_mask_value(__m128i x)
{
	__m128i m = _mm_cmpeq_epi8(x, _mm_set1_epi8(','));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\r')));
	return (unsigned)_mm_movemask_epi8(m);
}

#define LP_DEFINE_FIND(name, maskfn, cls)                                      \
	static inline size_t name(const char *p, size_t i, size_t n)           \
	{                                                                      \
		while (i + 16 <= n) {                                          \
			unsigned m =                                           \
			    maskfn(_mm_loadu_si128((const __m128i *)(p + i))); \
			if (m)                                                 \
				return i + (size_t)__builtin_ctz(m);           \
			i += 16;                                               \
		}                                                              \
		if (i >= n)                                                    \
			return n;                                              \
		if (n >= 16) {                                                 \
			unsigned m = maskfn(                                   \
			    _mm_loadu_si128((const __m128i *)(p + n - 16)));   \
			m >>= 16 - (n - i);                                    \
			return m ? i + (size_t)__builtin_ctz(m) : n;           \
		}                                                              \
		while (i < n && !(lp_class[(unsigned char)p[i]] & (cls)))      \
			i++;                                                   \
		return i;                                                      \
	}
#else
#define LP_DEFINE_FIND(name, maskfn, cls)                                      \
	static inline size_t name(const char *p, size_t i, size_t n)           \
	{                                                                      \
		while (i < n && !(lp_class[(unsigned char)p[i]] & (cls)))      \
			i++;                                                   \
		return i;                                                      \
	}
#endif

LP_DEFINE_FIND(lp_find_name, lp_mask_name, LP_C_NAME)
LP_DEFINE_FIND(lp_find_key, lp_mask_key, LP_C_KEY)
LP_DEFINE_FIND(lp_find_string, lp_mask_string, LP_C_STRING)
LP_DEFINE_FIND(lp_find_value, lp_mask_value, LP_C_VALUE)

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
