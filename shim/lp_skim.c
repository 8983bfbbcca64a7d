/*
 * lp_skim.c: parts of a line read without parsing it, for a forwarder that
 * passes lines on as they are (telex-kafka-output): the timestamp, which a
 * record carries beside the line, and the measurement, which messages
 * name, and the series key of a line already validated, which a router by
 * tags reads (lp_parse_series_key is the parser's own first step, with
 * its checks and errors; this one trusts the validation and looks at the
 * structural marks only).
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

/* Where a series-key skim stands: the token being read (the name, or a
 * tag's key and then value) and whether it holds escapes. */
struct lp_series_skim {
	const char *p;
	struct lp_metric *m;
	size_t start; /* of the name, or of the tag's key */
	size_t eq;    /* the tag's '=', 0 while in its key or the name */
	bool in_name, esc, key_esc;
};

/* The token before a ',' or space at q ends: the name, or one tag. */
static int lp_skim_token_end(struct lp_series_skim *k, size_t q)
{
	struct lp_metric *m = k->m;
	const char *p = k->p;
	if (k->in_name) {
		m->name = (struct lp_slice){p + k->start, q - k->start,
					    k->esc ? LP_ESC_NAME : LP_ESC_NONE};
		k->in_name = false;
	} else {
		struct lp_tag *t = m->ntags < m->tags_cap
				       ? &m->tags[m->ntags]
				       : lp_metric_grow_tags(m);
		if (!t || !k->eq)
			return -1;
		t->key =
		    (struct lp_slice){p + k->start, k->eq - k->start,
				      k->key_esc ? LP_ESC_KEY : LP_ESC_NONE};
		t->value = (struct lp_slice){p + k->eq + 1, q - k->eq - 1,
					     k->esc ? LP_ESC_KEY : LP_ESC_NONE};
		m->ntags++;
	}
	k->start = q + 1;
	k->eq = 0;
	k->esc = false;
	return 0;
}

int lp_skim_series_key(const char *p, size_t len, struct lp_metric *m)
{
	size_t i = 0;
	lp_metric_reset(m);
	while (i < len && p[i] == ' ')
		i++;
	struct lp_series_skim k = {.p = p, .m = m, .start = i, .in_name = true};
	size_t skip = 0; /* marks below are escaped characters */
	for (size_t block = i; block < len; block += 16) {
		uint32_t marks = lp_scan_series_block(p, block, len);
		for (; marks; marks &= marks - 1) {
			size_t q = block + (size_t)__builtin_ctz(marks);
			if (q < skip)
				continue;
			unsigned char kind =
			    k.in_name ? LP_ESC_NAME : LP_ESC_KEY;
			if (p[q] == '\\') {
				if (q + 1 < len &&
				    lp_unescape_char(kind, p[q + 1])) {
					k.esc = true;
					skip = q + 2;
				}
			} else if (p[q] == '=') {
				if (!k.in_name && !k.eq) {
					k.eq = q;
					k.key_esc = k.esc;
					k.esc = false;
				}
			} else if (lp_skim_token_end(&k, q) < 0) {
				return -1;
			} else if (p[q] == ' ') {
				return 0;
			}
		}
	}
	return -1;
}
