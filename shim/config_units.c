/*
 * config_units.c: durations and sizes as Telegraf reads them.
 *
 * Durations (Telegraf's config.Duration): a number is seconds ("10",
 * 10, 1.5); otherwise Go's time.ParseDuration: an optional sign, then one
 * or more decimal numbers each with a unit, "ns", "us", "µs", "μs", "ms",
 * "s", "m", "h" ("1m30s", "1.5h", "-2us"); "0" alone needs no unit; an
 * empty string is 0. telex also accepts "d" (24 h), which newer Telegraf
 * versions read too.
 *
 * Sizes (Telegraf's config.Size, alecthomas/units ParseStrictBytes): an
 * integer is bytes; otherwise numbers with units, either all binary ("B",
 * "KiB", "MiB", "GiB", "TiB", "PiB", "EiB") or all decimal ("B", "kB",
 * "KB", "MB", "GB", "TB", "PB", "EB"): "64KiB", "1.5MB", "1GiB512MiB".
 * Units are case-sensitive, as in Telegraf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* Leading decimal digits of s as a value; *ok false on overflow. */
static size_t units_leading_int(const char *s, uint64_t *v, bool *ok)
{
	size_t i = 0;
	uint64_t x = 0;
	*ok = true;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (x > (UINT64_MAX - 9) / 10) {
			*ok = false;
			x = UINT64_MAX / 2;
			continue;
		}
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return i;
}

/* A plain number of seconds: an integer or a float. */
static bool units_seconds(const char *text, int64_t *ns)
{
	const char *p = text;
	if (*p == '+' || *p == '-')
		p++;
	bool digit = false, dot = false;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digit = true;
		else if (*p == '.' && !dot)
			dot = true;
		else if (*p == 'e' || *p == 'E')
			break;
		else
			return false;
	}
	if (!digit)
		return false;
	if (*p) { /* an exponent: let strtod judge the rest */
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!*p)
			return false;
		for (; *p; p++)
			if (*p < '0' || *p > '9')
				return false;
	}
	double s = strtod(text, NULL);
	double v = s * 1e9;
	if (!(v > -9.2233720368547748e18 && v < 9.2233720368547748e18))
		return false;
	*ns = (int64_t)v;
	return true;
}

struct units_unit {
	const char *name;
	uint64_t scale;
};

static const struct units_unit units_time[] = {
    {"ns", 1},
    {"us", 1000ULL},
    {"\xc2\xb5s", 1000ULL}, /* µs, U+00B5 */
    {"\xce\xbcs", 1000ULL}, /* μs, U+03BC */
    {"ms", 1000000ULL},
    {"s", 1000000000ULL},
    {"m", 60000000000ULL},
    {"h", 3600000000000ULL},
    {"d", 86400000000000ULL},
    {NULL, 0},
};

static const struct units_unit units_binary[] = {
    {"B", 1},
    {"KiB", 1ULL << 10},
    {"MiB", 1ULL << 20},
    {"GiB", 1ULL << 30},
    {"TiB", 1ULL << 40},
    {"PiB", 1ULL << 50},
    {"EiB", 1ULL << 60},
    {NULL, 0},
};

static const struct units_unit units_decimal[] = {
    {"B", 1},
    {"kB", 1000ULL},
    {"KB", 1000ULL},
    {"MB", 1000000ULL},
    {"GB", 1000000000ULL},
    {"TB", 1000000000000ULL},
    {"PB", 1000000000000000ULL},
    {"EB", 1000000000000000000ULL},
    {NULL, 0},
};

/* The unit at *s (the letters up to the next digit or '.'), looked up in
 * table; NULL when it is not there. *s moves past it. */
static const struct units_unit *units_unit_at(const char **s,
					      const struct units_unit *table)
{
	size_t u = 0;
	while ((*s)[u] && (*s)[u] != '.' && !((*s)[u] >= '0' && (*s)[u] <= '9'))
		u++;
	const struct units_unit *unit = NULL;
	for (const struct units_unit *t = table; t->name; t++)
		if (strlen(t->name) == u && memcmp(t->name, *s, u) == 0)
			unit = t;
	*s += u;
	return unit;
}

/* One term at *s, a number and its unit ("1.5h"), in the table's base
 * unit into *part; -1 when it is not one or overflows int64. *s moves
 * past it. */
static int units_term(const char **s, const struct units_unit *table,
		      uint64_t *part)
{
	const char *p = *s;
	if (!(*p == '.' || (*p >= '0' && *p <= '9')))
		return -1;
	uint64_t whole, frac = 0;
	bool ok;
	size_t n = units_leading_int(p, &whole, &ok);
	if (!ok)
		return -1;
	bool pre = n > 0, post = false;
	double scale = 1;
	p += n;
	if (*p == '.') {
		p++;
		size_t k = 0;
		/* Digits past 18 cannot change a double: skip them. */
		for (; p[k] >= '0' && p[k] <= '9'; k++) {
			if (k < 18) {
				frac = frac * 10 + (uint64_t)(p[k] - '0');
				scale *= 10;
			}
		}
		post = k > 0;
		p += k;
	}
	const struct units_unit *unit = units_unit_at(&p, table);
	if ((!pre && !post) || !unit)
		return -1;
	*s = p;
	const uint64_t max = (uint64_t)INT64_MAX;
	if (whole > max / unit->scale)
		return -1;
	*part = whole * unit->scale;
	if (frac) {
		double f = (double)frac * ((double)unit->scale / scale);
		if (f >= 9.2e18)
			return -1;
		*part += (uint64_t)f;
	}
	return 0;
}

/* Go's time.ParseDuration / units.ParseUnit: [-+]?([0-9]*(\.[0-9]*)?unit)+
 * Whole parts are exact; fractions are scaled as doubles, as Go does.
 * Overflow of int64 is an error. */
static int units_parse(const char *s, const struct units_unit *table,
		       int64_t *out)
{
	bool neg = false;
	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (!*s)
		return -1;
	uint64_t total = 0;
	while (*s) {
		uint64_t part;
		if (units_term(&s, table, &part) < 0 ||
		    part > (uint64_t)INT64_MAX - total)
			return -1;
		total += part;
	}
	*out = neg ? -(int64_t)total : (int64_t)total;
	return 0;
}

int cfg_parse_duration(const char *text, int64_t *ns)
{
	if (!text)
		return -1;
	if (!*text) {
		*ns = 0;
		return 0;
	}
	if (units_seconds(text, ns))
		return 0;
	return units_parse(text, units_time, ns);
}

int cfg_parse_size(const char *text, int64_t *bytes)
{
	if (!text || !*text)
		return -1;
	const char *p = text;
	if (*p == '+' || *p == '-')
		p++;
	if (*p && strspn(p, "0123456789") == strlen(p)) {
		uint64_t v;
		bool ok;
		units_leading_int(p, &v, &ok);
		if (!ok || v > (uint64_t)INT64_MAX)
			return -1;
		*bytes = text[0] == '-' ? -(int64_t)v : (int64_t)v;
		return 0;
	}
	if (units_parse(text, units_binary, bytes) == 0)
		return 0;
	return units_parse(text, units_decimal, bytes);
}

void cfg_format_duration(int64_t ns, char *out, size_t n)
{
	if (ns == 0) {
		snprintf(out, n, "0s");
		return;
	}
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	const char *sign = ns < 0 ? "-" : "";
	if (u < 1000000000ULL) {
		/* Below a second: the largest unit that keeps it whole. */
		if (u % 1000000 == 0)
			snprintf(out, n, "%s%llums", sign,
				 (unsigned long long)(u / 1000000));
		else if (u % 1000 == 0)
			snprintf(out, n, "%s%lluus", sign,
				 (unsigned long long)(u / 1000));
		else
			snprintf(out, n, "%s%lluns", sign,
				 (unsigned long long)u);
		return;
	}
	uint64_t h = u / 3600000000000ULL;
	uint64_t m = u / 60000000000ULL % 60;
	uint64_t s = u / 1000000000ULL % 60;
	uint64_t f = u % 1000000000ULL;
	char secs[40];
	if (f) {
		char frac[16];
		snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)f);
		size_t k = strlen(frac);
		while (k > 0 && frac[k - 1] == '0')
			frac[--k] = '\0';
		snprintf(secs, sizeof(secs), "%llu.%ss", (unsigned long long)s,
			 frac);
	} else {
		snprintf(secs, sizeof(secs), "%llus", (unsigned long long)s);
	}
	if (h)
		snprintf(out, n, "%s%lluh%llum%s", sign, (unsigned long long)h,
			 (unsigned long long)m, secs);
	else if (m)
		snprintf(out, n, "%s%llum%s", sign, (unsigned long long)m,
			 secs);
	else
		snprintf(out, n, "%s%s", sign, secs);
}
