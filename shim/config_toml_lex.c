/*
 * config_toml_lex.c: the TOML reader's tokens: whitespace and comments,
 * the four kinds of string with their escapes, keys, and bare values
 * (booleans, integers in four bases, floats). Every refusal names
 * file:line:col and says what would be right.
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
/* Strings */

/* Length of the valid UTF-8 sequence at s[0..n), 0 if invalid. */
static size_t toml_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static size_t toml_put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX or \UXXXXXXXX at p->i (after the backslash and the letter). */
static int toml_unicode_escape(struct toml_parser *p, size_t digits, size_t at,
			       char *out, size_t *on)
{
	unsigned long cp = 0;
	for (size_t k = 0; k < digits; k++) {
		if (p->i >= p->n)
			return toml_err(p, at, "unfinished \\u escape");
		char c = p->s[p->i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return toml_err(p, at, "\\%c needs %zu hex digits",
					digits == 4 ? 'u' : 'U', digits);
		cp = cp * 16 + (unsigned long)d;
		p->i++;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		if (p->secret)
			return toml_err(p, at,
					"a \\u escape is not a Unicode scalar "
					"value (not shown: a secret's value)");
		return toml_err(p, at,
				"\\u escape U+%04lX is not a Unicode "
				"scalar value",
				cp);
	}
	if (cp == 0)
		return toml_err(p, at,
				"NUL characters are not supported in "
				"strings");
	*on += toml_put_utf8(out + *on, cp);
	return 0;
}

/* One character of string content at p->i (not a quote or escape).
 * Checks control characters and UTF-8; copies it to out. */
static int toml_string_char(struct toml_parser *p, bool multiline, char *out,
			    size_t *on)
{
	unsigned char c = (unsigned char)p->s[p->i];
	if (c == '\r' && multiline && p->i + 1 < p->n &&
	    p->s[p->i + 1] == '\n') {
		out[(*on)++] = '\n';
		p->i += 2;
		return 0;
	}
	if (c == '\n' && multiline) {
		out[(*on)++] = '\n';
		p->i++;
		return 0;
	}
	if (c == '\n' || c == '\r')
		return toml_err(p, p->i,
				"newline in a single-line string "
				"(close the quote, or use \"\"\" for several "
				"lines)");
	if ((c < 0x20 && c != '\t') || c == 0x7f) {
		if (p->secret)
			return toml_err(p, p->i,
					"control character in a string (not "
					"shown: a secret's value; write it as "
					"a \\u escape)");
		return toml_err(p, p->i,
				"control character U+%04X in a string "
				"(write it as \\u%04X)",
				c, c);
	}
	size_t len =
	    toml_utf8_len((const unsigned char *)p->s + p->i, p->n - p->i);
	if (len == 0)
		return toml_err(p, p->i, "invalid UTF-8 in a string");
	memcpy(out + *on, p->s + p->i, len);
	*on += len;
	p->i += len;
	return 0;
}

/* In a """ string, a backslash at the end of a line removes it and the
 * whitespace and newlines after it. 1 if it was one, 0 if not. */
static int toml_line_continuation(struct toml_parser *p)
{
	size_t j = p->i + 1;
	while (j < p->n && (p->s[j] == ' ' || p->s[j] == '\t'))
		j++;
	if (j < p->n && p->s[j] == '\r' && j + 1 < p->n && p->s[j + 1] == '\n')
		j++;
	if (j >= p->n || p->s[j] != '\n')
		return 0;
	while (j < p->n &&
	       (p->s[j] == ' ' || p->s[j] == '\t' || p->s[j] == '\n' ||
		(p->s[j] == '\r' && j + 1 < p->n && p->s[j + 1] == '\n')))
		j++;
	p->i = j;
	return 1;
}

static int toml_escape(struct toml_parser *p, char *out, size_t *on)
{
	size_t at = p->i;
	if (p->i + 1 >= p->n)
		return toml_err(p, at,
				"unfinished escape at the end of the "
				"file");
	char c = p->s[p->i + 1];
	p->i += 2;
	const char *map = "b\bt\tn\nf\fr\r\"\"\\\\";
	for (const char *m = map; *m; m += 2) {
		if (*m == c) {
			out[(*on)++] = m[1];
			return 0;
		}
	}
	if (c == 'u')
		return toml_unicode_escape(p, 4, at, out, on);
	if (c == 'U')
		return toml_unicode_escape(p, 8, at, out, on);
	return toml_err(p, at,
			"invalid escape \\%c (valid: \\b \\t \\n \\f "
			"\\r \\\" \\\\ \\uXXXX \\UXXXXXXXX; for a backslash "
			"write \\\\ or use a '...' string)",
			c >= 0x21 && c < 0x7f && !p->secret ? c : '?');
}

/* Where the string whose content starts at i ends (at most n): the bytes
 * its content can take, to size the output. */
static size_t toml_string_extent(const char *s, size_t n, size_t i, char q,
				 bool multi)
{
	bool basic = q == '"';
	while (i < n) {
		if (s[i] == '\\' && basic) {
			i += 2;
			continue;
		}
		if (!multi && s[i] == '\n')
			return i;
		if (s[i] == q &&
		    (!multi || (i + 2 < n && s[i + 1] == q && s[i + 2] == q)))
			return multi ? i + 5 : i;
		i++;
	}
	return n;
}

/* A string of any kind at p->i (which is at its opening quote). Output is
 * never longer than the input, so it is written straight to the arena.
 * multiline_ok: keys cannot be multi-line strings. */
int toml_string(struct toml_parser *p, bool multiline_ok, char **out,
		size_t *outlen)
{
	size_t start = p->i;
	char q = p->s[p->i];
	bool basic = q == '"';
	bool multi =
	    p->i + 2 < p->n && p->s[p->i + 1] == q && p->s[p->i + 2] == q;
	if (multi && !multiline_ok)
		return toml_err(p, start,
				"a key cannot be a multi-line "
				"string");
	p->i += multi ? 3 : 1;
	size_t end = toml_string_extent(p->s, p->n, p->i, q, multi);
	if (end > p->n)
		end = p->n;
	char *o = arena_alloc(&p->doc->arena, end - p->i + 1);
	if (!o)
		return toml_oom(p);
	size_t on = 0;
	if (multi) { /* a newline right after the opening is dropped */
		if (p->i < p->n && p->s[p->i] == '\n')
			p->i++;
		else if (p->i + 1 < p->n && p->s[p->i] == '\r' &&
			 p->s[p->i + 1] == '\n')
			p->i += 2;
	}
	for (;;) {
		if (p->i >= p->n)
			return toml_err(p, start,
					"string not closed (missing "
					"%s)",
					multi ? (basic ? "\"\"\"" : "'''")
					      : (basic ? "\"" : "'"));
		char c = p->s[p->i];
		if (c == q) {
			if (!multi) {
				p->i++;
				break;
			}
			size_t k = 0;
			while (p->i + k < p->n && p->s[p->i + k] == q)
				k++;
			if (k >= 3) {
				if (k > 5)
					return toml_err(p, p->i,
							"too many "
							"quotes closing a "
							"string");
				/* Up to two quotes belong to the content. */
				for (size_t e = 0; e < k - 3; e++)
					o[on++] = q;
				p->i += k;
				break;
			}
			for (size_t e = 0; e < k; e++)
				o[on++] = q;
			p->i += k;
			continue;
		}
		if (c == '\\' && basic) {
			if (multi && toml_line_continuation(p))
				continue;
			if (toml_escape(p, o, &on))
				return -1;
			continue;
		}
		if (toml_string_char(p, multi, o, &on))
			return -1;
	}
	o[on] = '\0';
	*out = o;
	*outlen = on;
	return 0;
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

/* A bare value: boolean, integer or float. */
int toml_scalar(struct toml_parser *p, struct cfg_value *v)
{
	size_t at = p->i;
	while (p->i < p->n && toml_token_char(p->s[p->i]))
		p->i++;
	const char *s = p->s + at;
	size_t n = p->i - at;
	int shown;
	const char *t = toml_shown(p, s, n, &shown);
	v->end = p->i;
	if (n == 0) {
		char b[16];
		return toml_err(p, at, "expected a value, found %s",
				toml_what(p, b, sizeof(b)));
	}
	if ((n == 4 && memcmp(s, "true", 4) == 0) ||
	    (n == 5 && memcmp(s, "false", 5) == 0)) {
		v->kind = CFG_TV_BOOL;
		v->u.b = n == 4;
		return 0;
	}
	size_t sign = (s[0] == '+' || s[0] == '-') ? 1 : 0;
	if (n - sign == 3 && (memcmp(s + sign, "inf", 3) == 0 ||
			      memcmp(s + sign, "nan", 3) == 0)) {
		v->kind = CFG_TV_FLOAT;
		v->u.f = s[sign] == 'i' ? INFINITY : NAN;
		if (s[0] == '-')
			v->u.f = -v->u.f;
		return 0;
	}
	if (toml_looks_like_date(s, n))
		return toml_err(p, at,
				"dates and times are not supported "
				"(no telex option takes one); quote it if it "
				"is meant as a string");
	size_t used;
	if (n > 2 && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		int c = toml_digits(s + 2, n - 2, base, &used);
		if (c <= 0 || used != n - 2)
			goto bad;
		return toml_int_value(p, s, n, at, v);
	}
	size_t i = sign;
	int c = toml_digits(s + i, n - i, 10, &used);
	if (c <= 0)
		goto bad;
	if (s[i] == '0' && c > 1)
		return toml_err(p, at,
				"leading zeros are not allowed in "
				"%.*s",
				shown, t);
	i += used;
	bool is_float = false;
	if (i < n && s[i] == '.') {
		is_float = true;
		i++;
		c = toml_digits(s + i, n - i, 10, &used);
		if (c <= 0)
			goto bad;
		i += used;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		is_float = true;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		c = toml_digits(s + i, n - i, 10, &used);
		if (c <= 0)
			goto bad;
		i += used;
	}
	if (i != n)
		goto bad;
	if (!is_float)
		return toml_int_value(p, s, n, at, v);
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
	if (errno == ERANGE && isinf(f))
		return toml_err(p, at, "float %.*s is out of range", shown, t);
	v->kind = CFG_TV_FLOAT;
	v->u.f = f;
	return 0;
bad:
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
