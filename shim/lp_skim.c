/*
 * lp_skim.c: parts of a line read without parsing it, for a forwarder that
 * passes lines on as they are (telex-kafka-output): the timestamp, which a
 * record carries beside the line, and the measurement, which messages
 * name. (The series key is the parser's first step: lp_parse_series_key.)
 *
 * The timestamp is the last word of a valid line when that word is an
 * integer: field values are key=value or end with a quote, so a bare
 * integer after the last space can only be the time. Today's nanosecond
 * timestamps (2001 to 2286) have 19 digits; they are read 8 at a time.
 */
#include "lp_token.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The 8 bytes at s as a number when they are all digits, else -1: the
 * digit test and the conversion 8 at a time (halves, then pairs). */
static inline int64_t lp_digits8(const char *s)
{
	uint64_t x;
	memcpy(&x, s, 8);
	const uint64_t hi = 0xf0f0f0f0f0f0f0f0ull, zero = 0x3030303030303030ull;
	if ((x & hi) != zero ||
	    ((x + 0x0606060606060606ull) & hi) != zero) /* > '9' */
		return -1;
	x -= zero;
	x = (x * 10 + (x >> 8)) & 0x00ff00ff00ff00ffull;
	x = (x * 100 + (x >> 16)) & 0x0000ffff0000ffffull;
	x = (x * 10000 + (x >> 32)) & 0xffffffffull;
	return (int64_t)x;
}

/* A timestamp of exactly 19 digits after a space, ending at p[len]. */
static inline bool lp_time19(const char *p, size_t len, int64_t *ns)
{
	if (len < 20 || p[len - 20] != ' ' || !lp_is_digit(p[len - 19]) ||
	    !lp_is_digit(p[len - 18]) || !lp_is_digit(p[len - 17]))
		return false;
	int64_t a = lp_digits8(p + len - 16), b = lp_digits8(p + len - 8);
	if (a < 0 || b < 0)
		return false;
	uint64_t top = (uint64_t)(p[len - 19] - '0') * 100 +
		       (uint64_t)(p[len - 18] - '0') * 10 +
		       (uint64_t)(p[len - 17] - '0');
	uint64_t v = top * 10000000000000000ull + (uint64_t)a * 100000000ull +
		     (uint64_t)b;
	if (v > INT64_MAX)
		return false; /* not a valid line's: let the slow way say */
	*ns = (int64_t)v;
	return true;
}
#else
static inline bool lp_time19(const char *p, size_t len, int64_t *ns)
{
	(void)p, (void)len, (void)ns;
	return false;
}
#endif

bool lp_line_time(const char *p, size_t len, int64_t *ns)
{
	/* A '\r' may end a line (what is left of a "\r\n"), after spaces. */
	if (len && p[len - 1] == '\r')
		len--;
	while (len && p[len - 1] == ' ')
		len--;
	if (lp_time19(p, len, ns))
		return true;
	size_t i = len;
	while (i && lp_is_digit(p[i - 1]))
		i--;
	if (i == len)
		return false;
	if (i && p[i - 1] == '-')
		i--;
	if (!i || p[i - 1] != ' ')
		return false;
	return lp_parse_int(p + i, len - i, ns) == LP_NUM_OK;
}

struct lp_slice lp_line_name(const char *p, size_t len)
{
	size_t i = 0;
	while (i < len && p[i] == ' ')
		i++;
	struct lp_scan sc;
	bool esc = false, bad = false;
	lp_scan_init(&sc, p, len);
	size_t e = lp_take(&sc, i, LP_ESC_NAME, &esc, &bad);
	return (struct lp_slice){p + i, e - i, esc ? LP_ESC_NAME : LP_ESC_NONE};
}
