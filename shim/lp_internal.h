/*
 * lp_internal.h: what the line-protocol modules share and nobody else
 * needs: array growth, number conversion, byte classes.
 */
#ifndef TELEX_LP_INTERNAL_H
#define TELEX_LP_INTERNAL_H

#include "telex/lp.h"

/* Room for one more tag/field at index ntags/nfields (not counted yet);
 * NULL when out of memory. */
struct lp_tag *lp_metric_grow_tags(struct lp_metric *m);
struct lp_field *lp_metric_grow_fields(struct lp_metric *m);

/* Results of the number parsers. */
enum {
	LP_NUM_OK = 0,
	LP_NUM_SYNTAX = -1,    /* not a number of that kind */
	LP_NUM_RANGE = -2,     /* well formed, out of range */
	LP_NUM_NONFINITE = -3, /* a float that is NaN or Inf */
};

/* Go's strconv.ParseFloat(s, 64) as line protocol uses it: the same
 * syntax (signs, '_' between digits, hex with 'p' exponent, inf/nan) and
 * the same correctly rounded result; overflow is LP_NUM_RANGE, NaN and Inf
 * LP_NUM_NONFINITE. */
int lp_parse_float(const char *p, size_t n, double *out);
/* Go's strconv.ParseInt(s, 10, 64) / ParseUint(s, 10, 64). */
int lp_parse_int(const char *p, size_t n, int64_t *out);
int lp_parse_uint(const char *p, size_t n, uint64_t *out);

/* Decimal text of v into out (20 / 21 bytes at most); returns length. */
size_t lp_format_uint(uint64_t v, char *out);
size_t lp_format_int(int64_t v, char *out);

/* The shortest decimal digits that read back as v (finite, > 0) and the
 * position of the decimal point: v ~= 0.DIGITS * 10^*point. Exact, slow:
 * the reference lp_format_float's fast path must agree with. Returns the
 * number of digits (at most 17). */
size_t lp_float_shortest_exact(double v, char digits[17], int *point);

static inline bool lp_is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

/* What "\c" stands for in a parsed slice of escape kind KIND (enum
 * lp_escape of telex/lp.h), or 0 when it is no escape there: a backslash
 * escapes only the characters of its section's set. */
static inline char lp_unescape_char(unsigned char kind, char c)
{
	switch (kind) {
	case LP_ESC_KEY:
		if (c == ',' || c == '=' || c == ' ')
			return c;
		return 0;
	case LP_ESC_NAME:
		if (c == ',' || c == ' ')
			return c;
		return 0;
	case LP_ESC_STRING:
		switch (c) {
		case '\\':
		case '"':
			return c;
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
		}
		return 0;
	}
	return 0;
}

#endif
