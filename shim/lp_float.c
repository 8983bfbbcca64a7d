/*
 * lp_float.c: float text exactly as Telegraf writes it.
 *
 * Telegraf's influx serializer formats a float with Go's
 * strconv.AppendFloat(v, 'f', -1, 64): the shortest decimal digits that
 * read back as the same double (ties between two such digit strings go to
 * the nearer, then to the even digit), laid out without an exponent. So
 * 6632243.0 is "6632243", 0.1 is "0.1" and 1e21 is "1" and 21 zeros.
 *
 * Two ways to the same digits: a fast path in 128-bit integers for values
 * between about 2.4e-7 and 2^53, and a slow path with big integers (the
 * free-format algorithm of Steele & White, Burger & Dybvig) for everything
 * else. Both are exact; test_lp_write compares them on many values.
 */
#include "lp_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Big unsigned integers, just enough for the slow path: the largest
 * number met is about 2^1130 (a denormal scaled by 10^340). */

#define LP_BIG_WORDS 40

struct lp_big {
	size_t n; /* words in use; w[n-1] != 0 unless n == 0 */
	uint32_t w[LP_BIG_WORDS];
};

static void lp_big_set(struct lp_big *b, uint64_t v)
{
	b->n = 0;
	while (v) {
		b->w[b->n++] = (uint32_t)v;
		v >>= 32;
	}
}

static void lp_big_mul_small(struct lp_big *b, uint32_t m)
{
	uint64_t carry = 0;
	for (size_t i = 0; i < b->n; i++) {
		uint64_t x = (uint64_t)b->w[i] * m + carry;
		b->w[i] = (uint32_t)x;
		carry = x >> 32;
	}
	if (carry)
		b->w[b->n++] = (uint32_t)carry;
}

static void lp_big_shl(struct lp_big *b, unsigned bits)
{
	if (b->n == 0)
		return;
	size_t words = bits / 32;
	unsigned rem = bits % 32;
	uint32_t top = rem ? b->w[b->n - 1] >> (32 - rem) : 0;
	for (size_t i = b->n; i-- > 0;) {
		uint32_t lo = (rem && i > 0) ? b->w[i - 1] >> (32 - rem) : 0;
		b->w[i + words] = (b->w[i] << rem) | lo;
	}
	memset(b->w, 0, words * sizeof(uint32_t));
	b->n += words;
	if (top)
		b->w[b->n++] = top;
}

static void lp_big_pow10(struct lp_big *b, unsigned e)
{
	static const uint32_t p10[9] = {
	    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
	for (unsigned q = e / 9; q > 0; q--)
		lp_big_mul_small(b, 1000000000u);
	if (e % 9)
		lp_big_mul_small(b, p10[e % 9]);
}

static int lp_big_cmp(const struct lp_big *a, const struct lp_big *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (size_t i = a->n; i-- > 0;)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* a + b compared with c. */
static int lp_big_add_cmp(const struct lp_big *a, const struct lp_big *b,
			  const struct lp_big *c)
{
	struct lp_big s;
	uint64_t carry = 0;
	size_t n = a->n > b->n ? a->n : b->n;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = carry;
		if (i < a->n)
			x += a->w[i];
		if (i < b->n)
			x += b->w[i];
		s.w[i] = (uint32_t)x;
		carry = x >> 32;
	}
	s.n = n;
	if (carry)
		s.w[s.n++] = (uint32_t)carry;
	return lp_big_cmp(&s, c);
}

/* a -= b, with a >= b. */
static void lp_big_sub(struct lp_big *a, const struct lp_big *b)
{
	int64_t borrow = 0;
	for (size_t i = 0; i < a->n; i++) {
		int64_t x =
		    (int64_t)a->w[i] - borrow - (i < b->n ? b->w[i] : 0);
		borrow = x < 0;
		a->w[i] = (uint32_t)(x + (borrow << 32));
	}
	while (a->n && a->w[a->n - 1] == 0)
		a->n--;
}

/* ------------------------------------------------------------------ */

/* The slow path's state (the free-format algorithm above): v = r/s, and
 * the rounding interval is ((r - mm)/s, (r + mp)/s), closed when
 * inclusive. */
struct lp_dragon {
	struct lp_big r, s, mp, mm;
	bool inclusive;
};

/* v's mantissa and exponent as r, s, mp, mm. The interval is closed when
 * the mantissa is even (round-half-even reads the bounds back as v); at a
 * power of two the gap below is half the gap above. */
static void lp_dragon_init(struct lp_dragon *d, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	uint64_t mant = bits & ((UINT64_C(1) << 52) - 1);
	int bexp = (int)((bits >> 52) & 0x7ff);
	int e2;
	if (bexp == 0) {
		e2 = -1074;
	} else {
		mant |= UINT64_C(1) << 52;
		e2 = bexp - 1075;
	}
	bool boundary = mant == (UINT64_C(1) << 52) && e2 > -1074;
	d->inclusive = (mant & 1) == 0;
	lp_big_set(&d->r, mant);
	if (e2 >= 0) {
		lp_big_shl(&d->r, (unsigned)e2 + (boundary ? 2 : 1));
		lp_big_set(&d->s, boundary ? 4 : 2);
		lp_big_set(&d->mm, 1);
		lp_big_shl(&d->mm, (unsigned)e2);
		lp_big_set(&d->mp, 1);
		lp_big_shl(&d->mp, (unsigned)e2 + (boundary ? 1 : 0));
	} else {
		lp_big_shl(&d->r, boundary ? 2 : 1);
		lp_big_set(&d->s, 1);
		lp_big_shl(&d->s, (unsigned)(-e2) + (boundary ? 2 : 1));
		lp_big_set(&d->mm, 1);
		lp_big_set(&d->mp, boundary ? 2 : 1);
	}
}

/* Scale so that the upper bound lies in [0.1, 1); returns the position of
 * the decimal point. The estimate from log10 may be one too small. */
static int lp_dragon_scale(struct lp_dragon *d, double v)
{
	int k = (int)ceil(log10(v) - 1e-10);
	if (k >= 0) {
		lp_big_pow10(&d->s, (unsigned)k);
	} else {
		lp_big_pow10(&d->r, (unsigned)-k);
		lp_big_pow10(&d->mp, (unsigned)-k);
		lp_big_pow10(&d->mm, (unsigned)-k);
	}
	int c = lp_big_add_cmp(&d->r, &d->mp, &d->s);
	while (d->inclusive ? c >= 0 : c > 0) {
		lp_big_mul_small(&d->s, 10);
		k++;
		c = lp_big_add_cmp(&d->r, &d->mp, &d->s);
	}
	return k;
}

/* Whether the last digit d, whose remainder is within both bounds (low
 * and high) or neither, rounds up: to the nearer, ties to even. */
static bool lp_dragon_round_up(const struct lp_dragon *d, int digit, bool low,
			       bool high)
{
	struct lp_big r2 = d->r;
	lp_big_shl(&r2, 1);
	int half = lp_big_cmp(&r2, &d->s);
	if (low && high)
		return half > 0 || (half == 0 && (digit & 1));
	if (!low && !high) /* never reached for a double */
		return half >= 0;
	return high;
}

/* The digits, one per step, until the remainder is within the interval;
 * the last digit may be 10 (carried by lp_digits_carry). */
static size_t lp_dragon_digits(struct lp_dragon *d, char digits[17])
{
	size_t n = 0;
	for (;;) {
		lp_big_mul_small(&d->r, 10);
		lp_big_mul_small(&d->mp, 10);
		lp_big_mul_small(&d->mm, 10);
		int digit = 0;
		while (lp_big_cmp(&d->r, &d->s) >= 0) {
			lp_big_sub(&d->r, &d->s);
			digit++;
		}
		int lo = lp_big_cmp(&d->r, &d->mm);
		int hi = lp_big_add_cmp(&d->r, &d->mp, &d->s);
		bool low = d->inclusive ? lo <= 0 : lo < 0;
		bool high = d->inclusive ? hi >= 0 : hi > 0;
		if (!low && !high && n < 16) {
			digits[n++] = (char)('0' + digit);
			continue;
		}
		digit += lp_dragon_round_up(d, digit, low, high);
		digits[n++] = (char)('0' + digit);
		return n;
	}
}

/* A round-up of a 9 carries into the digits before (the point moves when
 * it carries out of the first); trailing zeros go. Returns the count. */
static size_t lp_digits_carry(char digits[17], size_t n, int *point)
{
	while (n > 0 && digits[n - 1] > '9') {
		n--;
		if (n == 0) {
			digits[0] = '1';
			n = 1;
			(*point)++;
			break;
		}
		digits[n - 1]++;
	}
	while (n > 1 && digits[n - 1] == '0')
		n--;
	return n;
}

size_t lp_float_shortest_exact(double v, char digits[17], int *point)
{
	struct lp_dragon d;
	lp_dragon_init(&d, v);
	*point = lp_dragon_scale(&d, v);
	size_t n = lp_dragon_digits(&d, digits);
	return lp_digits_carry(digits, n, point);
}

/* Lay out 0.DIGITS * 10^point without an exponent, as Go's 'f' does. */
static size_t lp_float_layout(char *out, const char *d, size_t n, int point)
{
	char *p = out;
	if (point <= 0) {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', (size_t)-point);
		p += -point;
		memcpy(p, d, n);
		p += n;
	} else if ((size_t)point >= n) {
		memcpy(p, d, n);
		p += n;
		memset(p, '0', (size_t)point - n);
		p += (size_t)point - n;
	} else {
		memcpy(p, d, (size_t)point);
		p += point;
		*p++ = '.';
		memcpy(p, d + point, n - (size_t)point);
		p += n - (size_t)point;
	}
	return (size_t)(p - out);
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 lp_u128;

/*
 * Fast path, exact: for v = mant * 2^e2 with -74 <= e2 <= 0 (about 2.4e-7
 * <= v < 2^53, where metric values live), the decimals of the rounding
 * interval scaled by 10^k fit 128 bits for k <= 21. The smallest k whose
 * interval holds an integer gives the shortest digits; of several, the
 * one nearest v (ties to even), as Go picks. Returns 0 when the value is
 * out of this range or needs more than 21 decimals.
 */
static size_t lp_format_float_fast(double v, char *out)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	int bexp = (int)((bits >> 52) & 0x7ff);
	if (bexp == 0)
		return 0;
	uint64_t mant =
	    (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
	int e2 = bexp - 1075;
	if (e2 > 0 || e2 < -74)
		return 0;
	/* Over 2^shift: v is 4*mant, the interval (lo, hi), the gap below
	 * halved at a power of two. */
	unsigned shift = (unsigned)(2 - e2);
	bool boundary = mant == (UINT64_C(1) << 52);
	bool inclusive = (mant & 1) == 0;
	lp_u128 mid = (lp_u128)mant << 2;
	lp_u128 lo = mid - (boundary ? 1 : 2), hi = mid + 2;
	lp_u128 mask = ((lp_u128)1 << shift) - 1,
		half = (lp_u128)1 << (shift - 1);
	lp_u128 p10 = 1;
	for (int k = 0; k <= 21; k++, p10 *= 10) {
		lp_u128 l = lo * p10, h = hi * p10, x = mid * p10;
		lp_u128 clo = l >> shift, chi = h >> shift;
		if (inclusive ? (l & mask) != 0 : true)
			clo++; /* first integer above (or at) the bound */
		if (!inclusive && (h & mask) == 0)
			chi--;
		if (clo > chi)
			continue;
		lp_u128 c = x >> shift, rem = x & mask;
		if (rem > half || (rem == half && (c & 1)))
			c++;
		if (c < clo)
			c = clo;
		if (c > chi)
			c = chi;
		char tmp[24];
		size_t n = lp_format_uint((uint64_t)c, tmp);
		if (k == 0) {
			memcpy(out, tmp, n);
			return n;
		}
		return lp_float_layout(out, tmp, n, (int)n - k);
	}
	return 0;
}
#else
static size_t lp_format_float_fast(double v, char *out)
{
	(void)v;
	(void)out;
	return 0;
}
#endif

size_t lp_format_float(double v, char *out)
{
	if (!isfinite(v))
		return 0;
	char *p = out;
	if (signbit(v)) {
		*p++ = '-';
		v = -v;
	}
	if (v == 0) {
		*p++ = '0';
		return (size_t)(p - out);
	}
	size_t n = lp_format_float_fast(v, p);
	if (n)
		return (size_t)(p - out) + n;
	char digits[17];
	int point;
	n = lp_float_shortest_exact(v, digits, &point);
	return (size_t)(p - out) + lp_float_layout(p, digits, n, point);
}
