/*
 * lp_number.c: numbers in line protocol, read and written.
 *
 * Reading follows Go's strconv (ParseInt, ParseUint, ParseFloat), which is
 * what influxdata/line-protocol and Telegraf use, so that telex accepts and
 * rejects exactly the same field values. Floats take a fast exact path
 * (Clinger's: at most 19 digits forming an integer below 2^53, and a power
 * of ten up to 10^22) and fall back to strtod(), which glibc rounds
 * correctly, as Go does.
 */
#include "lp_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char lp_digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "68697071727374757677787980818283848586878889909192939495969798"
    "99";

size_t lp_format_uint(uint64_t v, char *out)
{
	char tmp[20];
	char *p = tmp + sizeof(tmp);
	while (v >= 100) {
		unsigned i = (unsigned)(v % 100) * 2;
		v /= 100;
		*--p = lp_digit_pairs[i + 1];
		*--p = lp_digit_pairs[i];
	}
	if (v >= 10) {
		*--p = lp_digit_pairs[v * 2 + 1];
		*--p = lp_digit_pairs[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	size_t n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(out, p, n);
	return n;
}

size_t lp_format_int(int64_t v, char *out)
{
	if (v >= 0)
		return lp_format_uint((uint64_t)v, out);
	out[0] = '-';
	return 1 + lp_format_uint(-(uint64_t)v, out + 1);
}

/* Unsigned decimal digits only, no sign, no '_': what ParseUint(s, 10, 64)
 * takes. */
int lp_parse_uint(const char *p, size_t n, uint64_t *out)
{
	if (n == 0)
		return LP_NUM_SYNTAX;
	uint64_t v = 0;
	size_t i = 0;
	/* 19 digits cannot overflow: no check in the loop. */
	for (size_t safe = n < 19 ? n : 19; i < safe; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9)
			return LP_NUM_SYNTAX;
		v = v * 10 + d;
	}
	bool overflow = false;
	for (; i < n; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9)
			return LP_NUM_SYNTAX;
		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		v = v * 10 + d;
	}
	if (overflow)
		return LP_NUM_RANGE;
	*out = v;
	return LP_NUM_OK;
}

int lp_parse_int(const char *p, size_t n, int64_t *out)
{
	bool neg = false;
	if (n > 0 && (p[0] == '-' || p[0] == '+')) {
		neg = p[0] == '-';
		p++;
		n--;
	}
	uint64_t u;
	int rc = lp_parse_uint(p, n, &u);
	if (rc == LP_NUM_OK && u > (uint64_t)INT64_MAX + neg)
		rc = LP_NUM_RANGE;
	if (rc != LP_NUM_OK)
		return rc;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return LP_NUM_OK;
}

static inline char lp_lower(char c)
{
	return (char)(c | 0x20);
}

/* Go accepts '_' only between two digits (a base prefix counts as a
 * digit). */
static bool lp_underscores_ok(const char *p, size_t n)
{
	size_t i = 0;
	if (n && (p[0] == '+' || p[0] == '-'))
		i++;
	char saw = '^';
	bool hex = false;
	if (n - i >= 2 && p[i] == '0' &&
	    (lp_lower(p[i + 1]) == 'x' || lp_lower(p[i + 1]) == 'b' ||
	     lp_lower(p[i + 1]) == 'o')) {
		hex = lp_lower(p[i + 1]) == 'x';
		i += 2;
		saw = '0';
	}
	for (; i < n; i++) {
		char c = p[i];
		if (lp_is_digit(c) ||
		    (hex && lp_lower(c) >= 'a' && lp_lower(c) <= 'f')) {
			saw = '0';
		} else if (c == '_') {
			if (saw != '0')
				return false;
			saw = '_';
		} else {
			if (saw == '_')
				return false;
			saw = '!';
		}
	}
	return saw != '_';
}

/* Case-insensitive match of p[0..n) with a lower-case word. */
static bool lp_word_is(const char *p, size_t n, const char *w)
{
	if (strlen(w) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lp_lower(p[i]) != w[i])
			return false;
	return true;
}

/*
 * The syntax of Go's float literals as ParseFloat reads them. Fills the
 * decimal mantissa (first 19 significant digits) and exponent for the fast
 * path; *exact is false when digits were dropped or the number is hex.
 */
struct lp_float_syntax {
	uint64_t mant;
	int exp10;
	bool exact, neg, hex, underscores;
};

/* Where the mantissa's digits stand. */
struct lp_float_digits {
	bool sawdot, sawdigits;
	int ndigits, dropped, frac;
};

/* One mantissa digit c: counted, and kept while there are at most 19. */
static void lp_float_digit(struct lp_float_syntax *f, struct lp_float_digits *d,
			   char c)
{
	d->sawdigits = true;
	if (f->hex)
		return;
	if (d->sawdot)
		d->frac++;
	if (c == '0' && d->ndigits == 0)
		return; /* leading zeros carry no digit */
	if (d->ndigits < 19) {
		f->mant = f->mant * 10 + (uint64_t)(c - '0');
		d->ndigits++;
	} else {
		d->dropped++;
		if (c != '0')
			f->exact = false;
	}
}

/* The mantissa from p[*i]: digits (hex ones too), one '.', '_'. False on
 * a second '.'; *i is left at the first byte that is none of them. */
static bool lp_float_mantissa(const char *p, size_t n, size_t *i,
			      struct lp_float_syntax *f,
			      struct lp_float_digits *d)
{
	for (; *i < n; (*i)++) {
		char c = p[*i];
		if (c == '_') {
			f->underscores = true;
		} else if (c == '.') {
			if (d->sawdot)
				return false;
			d->sawdot = true;
		} else if (lp_is_digit(c) || (f->hex && lp_lower(c) >= 'a' &&
					      lp_lower(c) <= 'f')) {
			lp_float_digit(f, d, c);
		} else {
			break;
		}
	}
	return d->sawdigits;
}

/* The exponent after its letter at p[*i]: [+-]digits with '_'; false
 * without a digit. Clamped: past 100000 it only means overflow. */
static bool lp_float_exponent(const char *p, size_t n, size_t *i,
			      struct lp_float_syntax *f, long *exp)
{
	bool eneg = false, edigits = false;
	if (*i < n && (p[*i] == '+' || p[*i] == '-'))
		eneg = p[(*i)++] == '-';
	for (; *i < n && (lp_is_digit(p[*i]) || p[*i] == '_'); (*i)++) {
		if (p[*i] == '_') {
			f->underscores = true;
			continue;
		}
		edigits = true;
		if (*exp < 100000)
			*exp = *exp * 10 + (p[*i] - '0');
	}
	if (eneg)
		*exp = -*exp;
	return edigits;
}

static bool lp_float_scan(const char *p, size_t n, struct lp_float_syntax *f)
{
	size_t i = 0;
	struct lp_float_digits d = {0};
	memset(f, 0, sizeof(*f));
	f->exact = true;
	if (i < n && (p[i] == '+' || p[i] == '-'))
		f->neg = p[i++] == '-';
	if (n - i > 2 && p[i] == '0' && lp_lower(p[i + 1]) == 'x') {
		f->hex = true;
		i += 2;
	}
	if (!lp_float_mantissa(p, n, &i, f, &d))
		return false;
	long exp = 0;
	if (i < n && lp_lower(p[i]) == (f->hex ? 'p' : 'e')) {
		i++;
		if (!lp_float_exponent(p, n, &i, f, &exp))
			return false;
	} else if (f->hex) {
		return false; /* a hex mantissa needs its 'p' exponent */
	}
	if (i != n)
		return false;
	if (f->hex)
		f->exact = false;
	f->exp10 = (int)(exp + d.dropped - d.frac);
	return true;
}

static const double lp_exact_pow10[23] = {
    1e0,  1e1,	1e2,  1e3,  1e4,  1e5,	1e6,  1e7,  1e8,  1e9,	1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int lp_parse_float(const char *p, size_t n, double *out)
{
	struct lp_float_syntax f;
	if (!lp_float_scan(p, n, &f)) {
		size_t s = (n && (p[0] == '+' || p[0] == '-')) ? 1 : 0;
		if (lp_word_is(p + s, n - s, "inf") ||
		    lp_word_is(p + s, n - s, "infinity") ||
		    (s == 0 && lp_word_is(p, n, "nan")))
			return LP_NUM_NONFINITE;
		return LP_NUM_SYNTAX;
	}
	if (f.underscores && !lp_underscores_ok(p, n))
		return LP_NUM_SYNTAX;
	if (f.exact && f.mant < (UINT64_C(1) << 53) && f.exp10 >= -22 &&
	    f.exp10 <= 22) {
		double v = (double)f.mant;
		v = f.exp10 < 0 ? v / lp_exact_pow10[-f.exp10]
				: v * lp_exact_pow10[f.exp10];
		*out = f.neg ? -v : v;
		return LP_NUM_OK;
	}
	/* strtod wants a NUL-terminated string without '_'. */
	char stack[128];
	char *buf = n < sizeof(stack) ? stack : malloc(n + 1);
	if (!buf)
		return LP_NUM_SYNTAX;
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] != '_')
			buf[j++] = p[i];
	buf[j] = '\0';
	errno = 0;
	char *end;
	double v = strtod(buf, &end);
	bool whole = end == buf + j;
	if (buf != stack)
		free(buf);
	if (!whole)
		return LP_NUM_SYNTAX;
	if (isinf(v))
		return LP_NUM_RANGE;
	*out = v;
	return LP_NUM_OK;
}
