/*
 * config_toml_lex.c: the TOML reader's tokens: whitespace and comments,
 * keys, and bare values (booleans, integers in four bases, floats); the
 * strings are in config_toml_string.c. Every refusal names file:line:col
 * and says what would be right.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_toml.h"

int toml_err(struct toml_parser *p, size_t at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_errf(p->err, p->errlen, p->doc->src, at, true, "%s", msg);
	return -1;
}

int toml_oom(struct toml_parser *p)
{
	return toml_err(p, p->i, "out of memory");
}

/* Describe the byte at p->i for "unexpected ..." messages. */
const char *toml_what(struct toml_parser *p, char *buf, size_t n)
{
	if (p->i >= p->n)
		return "the end of the file";
	unsigned char c = (unsigned char)p->s[p->i];
	if (c == '\n' || c == '\r')
		return "the end of the line";
	if (p->secret)
		return "more text (not shown: a secret's value)";
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, n, "'%c'", c);
	else
		snprintf(buf, n, "byte 0x%02x", c);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Whitespace, comments, line ends */

void toml_ws(struct toml_parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
		p->i++;
}

void toml_comment(struct toml_parser *p)
{
	if (p->i < p->n && p->s[p->i] == '#')
		while (p->i < p->n && p->s[p->i] != '\n')
			p->i++;
}

/* At a line end: consume it. 1 consumed, 0 not at one, -1 bare CR. */
int toml_newline(struct toml_parser *p)
{
	if (p->i < p->n && p->s[p->i] == '\n') {
		p->i++;
		return 1;
	}
	if (p->i < p->n && p->s[p->i] == '\r') {
		if (p->i + 1 < p->n && p->s[p->i + 1] == '\n') {
			p->i += 2;
			return 1;
		}
		return toml_err(p, p->i, "carriage return without a newline");
	}
	return 0;
}

/* Whitespace, newlines and comments (inside arrays and inline tables). */
int toml_space(struct toml_parser *p)
{
	for (;;) {
		toml_ws(p);
		toml_comment(p);
		int nl = toml_newline(p);
		if (nl < 0)
			return -1;
		if (nl == 0)
			return 0;
	}
}

/* After a key/value or a header: only a comment may follow on the line. */
int toml_end_of_line(struct toml_parser *p, const char *after)
{
	toml_ws(p);
	toml_comment(p);
	if (p->i >= p->n)
		return 0;
	int nl = toml_newline(p);
	if (nl != 0)
		return nl < 0 ? -1 : 0;
	char b[16];
	return toml_err(p, p->i,
			"expected the end of the line after %s, "
			"found %s",
			after, toml_what(p, b, sizeof(b)));
}

/* ------------------------------------------------------------------ */
/* Keys */

static bool toml_bare_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int toml_simple_key(struct toml_parser *p, const char **key, size_t *pos)
{
	*pos = p->i;
	if (p->i < p->n && (p->s[p->i] == '"' || p->s[p->i] == '\'')) {
		char *s;
		size_t len;
		if (toml_string(p, false, &s, &len))
			return -1;
		*key = s;
		return 0;
	}
	size_t start = p->i;
	while (p->i < p->n && toml_bare_key_char(p->s[p->i]))
		p->i++;
	if (p->i == start) {
		char b[16];
		return toml_err(p, p->i, "expected a key, found %s",
				toml_what(p, b, sizeof(b)));
	}
	char *k = arena_strndup(&p->doc->arena, p->s + start, p->i - start);
	if (!k)
		return toml_oom(p);
	*key = k;
	return 0;
}

/* key ( '.' key )*; returns the number of parts. */
int toml_key(struct toml_parser *p, const char **parts, size_t *pos)
{
	int n = 0;
	for (;;) {
		if (n == TOML_MAX_KEY_PARTS)
			return toml_err(p, p->i, "key with more than %d parts",
					TOML_MAX_KEY_PARTS);
		if (toml_simple_key(p, &parts[n], &pos[n]))
			return -1;
		n++;
		toml_ws(p);
		if (p->i < p->n && p->s[p->i] == '.') {
			p->i++;
			toml_ws(p);
			continue;
		}
		return n;
	}
}

/* ------------------------------------------------------------------ */
/* Numbers, booleans */

static bool toml_token_char(char c)
{
	return toml_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

/* digits with single '_' between digits; base 10, 16, 8 or 2. Returns the
 * count of digits, or -1 for a misplaced '_'. */
static int toml_digits(const char *s, size_t n, int base, size_t *used)
{
	size_t i = 0;
	int count = 0;
	bool last_digit = false;
	for (; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : 99;
		if (c == '_') {
			if (!last_digit || i + 1 >= n)
				return -1;
			last_digit = false;
			continue;
		}
		if (d >= base)
			break;
		last_digit = true;
		count++;
	}
	if (i > 0 && s[i - 1] == '_')
		return -1;
	*used = i;
	return count;
}

/* A bad bare value's text for a message, or a note in its place when it
 * is a secret's: *len is set for "%.*s". */
static const char *toml_shown(const struct toml_parser *p, const char *s,
			      size_t n, int *len)
{
	static const char hidden[] = "(not shown: a secret's value)";
	if (p->secret) {
		*len = (int)sizeof(hidden) - 1;
		return hidden;
	}
	*len = n > 200 ? 200 : (int)n;
	return s;
}

static int toml_int_value(struct toml_parser *p, const char *s, size_t n,
			  size_t at, struct cfg_value *v)
{
	int shown;
	int base = 10;
	size_t i = 0;
	bool neg = false;
	if (n > 2 && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		i = 2;
	} else if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	uint64_t acc = 0;
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] == '_')
			continue;
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			     : c >= 'a'		  ? (unsigned)(c - 'a' + 10)
						  : (unsigned)(c - 'A' + 10);
		if (acc > (limit - d) / (unsigned)base) {
			const char *t = toml_shown(p, s, n, &shown);
			return toml_err(p, at,
					"integer %.*s does not fit in "
					"64 bits",
					shown, t);
		}
		acc = acc * (unsigned)base + d;
	}
	v->kind = CFG_TV_INT;
	v->u.i = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
}

static bool toml_looks_like_date(const char *s, size_t n)
{
	size_t d = 0;
	while (d < n && s[d] >= '0' && s[d] <= '9')
		d++;
	return (d == 4 && d < n && s[d] == '-') ||
	       (d == 2 && d < n && s[d] == ':');
}

/* true, false, inf and nan (signed): false when s is none of them. */
static bool toml_word_value(const char *s, size_t n, struct cfg_value *v)
{
	if ((n == 4 && memcmp(s, "true", 4) == 0) ||
	    (n == 5 && memcmp(s, "false", 5) == 0)) {
		v->kind = CFG_TV_BOOL;
		v->u.b = n == 4;
		return true;
	}
	size_t sign = (s[0] == '+' || s[0] == '-') ? 1 : 0;
	if (n - sign != 3 || (memcmp(s + sign, "inf", 3) != 0 &&
			      memcmp(s + sign, "nan", 3) != 0))
		return false;
	v->kind = CFG_TV_FLOAT;
	v->u.f = s[sign] == 'i' ? INFINITY : NAN;
	if (s[0] == '-')
		v->u.f = -v->u.f;
	return true;
}

/* The error for a bare value that is no valid number, by what it looks
 * like: a number, or a string without its quotes. */
__attribute__((cold)) static int
toml_bad_scalar(struct toml_parser *p, const char *s, size_t n, size_t at)
{
	size_t sign = (s[0] == '+' || s[0] == '-') ? 1 : 0;
	int shown;
	const char *t = toml_shown(p, s, n, &shown);
	if ((s[sign] >= '0' && s[sign] <= '9') || s[sign] == '.')
		return toml_err(p, at, "invalid number %.*s", shown, t);
	if (p->secret)
		return toml_err(p, at,
				"invalid value %.*s: a string needs quotes",
				shown, t);
	return toml_err(p, at,
			"invalid value %.*s (a string needs quotes: "
			"\"%.*s\")",
			shown, t, shown, t);
}

/* Decimal digits at s[*i] (with '_' between them): false when there are
 * none, else *i moves past them. */
static bool toml_more_digits(const char *s, size_t n, size_t *i)
{
	size_t used;
	if (toml_digits(s + *i, n - *i, 10, &used) <= 0)
		return false;
	*i += used;
	return true;
}

/* A float's text into v: '_' removed, then strtod. */
static int toml_float_value(struct toml_parser *p, const char *s, size_t n,
			    size_t at, struct cfg_value *v)
{
	char tmp[128];
	size_t tn = 0;
	for (size_t k = 0; k < n && tn + 1 < sizeof(tmp); k++)
		if (s[k] != '_')
			tmp[tn++] = s[k];
	if (tn + 1 >= sizeof(tmp))
		return toml_err(p, at, "number too long");
	tmp[tn] = '\0';
	errno = 0;
	double f = strtod(tmp, NULL);
	if (errno == ERANGE && isinf(f)) {
		int shown;
		const char *t = toml_shown(p, s, n, &shown);
		return toml_err(p, at, "float %.*s is out of range", shown, t);
	}
	v->kind = CFG_TV_FLOAT;
	v->u.f = f;
	return 0;
}

/* A decimal integer or float: [+-]digits[.digits][(e|E)[+-]digits]. */
static int toml_decimal(struct toml_parser *p, const char *s, size_t n,
			size_t at, struct cfg_value *v)
{
	size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0, used;
	int c = toml_digits(s + i, n - i, 10, &used);
	if (c <= 0)
		return toml_bad_scalar(p, s, n, at);
	if (s[i] == '0' && c > 1) {
		int shown;
		const char *t = toml_shown(p, s, n, &shown);
		return toml_err(p, at, "leading zeros are not allowed in %.*s",
				shown, t);
	}
	i += used;
	bool is_float = false;
	if (i < n && s[i] == '.') {
		is_float = true;
		i++;
		if (!toml_more_digits(s, n, &i))
			return toml_bad_scalar(p, s, n, at);
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		is_float = true;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!toml_more_digits(s, n, &i))
			return toml_bad_scalar(p, s, n, at);
	}
	if (i != n)
		return toml_bad_scalar(p, s, n, at);
	return is_float ? toml_float_value(p, s, n, at, v)
			: toml_int_value(p, s, n, at, v);
}

/* A bare value: boolean, integer or float. */
int toml_scalar(struct toml_parser *p, struct cfg_value *v)
{
	size_t at = p->i;
	while (p->i < p->n && toml_token_char(p->s[p->i]))
		p->i++;
	const char *s = p->s + at;
	size_t n = p->i - at;
	v->end = p->i;
	if (n == 0) {
		char b[16];
		return toml_err(p, at, "expected a value, found %s",
				toml_what(p, b, sizeof(b)));
	}
	if (toml_word_value(s, n, v))
		return 0;
	if (toml_looks_like_date(s, n))
		return toml_err(p, at,
				"dates and times are not supported "
				"(no telex option takes one); quote it if it "
				"is meant as a string");
	if (n > 2 && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		size_t used;
		int c = toml_digits(s + 2, n - 2, base, &used);
		if (c <= 0 || used != n - 2)
			return toml_bad_scalar(p, s, n, at);
		return toml_int_value(p, s, n, at, v);
	}
	return toml_decimal(p, s, n, at, v);
}
