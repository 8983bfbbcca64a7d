/*
 * config_toml.c: the TOML reader, for what Telegraf configs use.
 *
 * TOML 1.0 tables ([a.b]), arrays of tables ([[a.b]]), dotted keys, bare
 * and quoted keys, the four kinds of string, integers (decimal with '_',
 * 0x/0o/0b), floats (with inf/nan), booleans, arrays (multi-line, trailing
 * comma, comments inside) and inline tables (which may also span lines and
 * end with a comma, as TOML 1.1 allows). Dates and times are refused with
 * a message saying so: no telex option takes one. Every error names
 * file:line:col. The reader never guesses: anything it does not understand
 * is an error.
 *
 * The tree lives in one arena; nothing is freed piecemeal.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

#define TOML_MAX_DEPTH 32     /* nested arrays and inline tables */
#define TOML_MAX_KEYS 10000   /* per table: lookups are linear */
#define TOML_MAX_KEY_PARTS 16 /* a.b.c... */

struct toml_parser {
	struct cfg_doc *doc;
	const char *s;
	size_t n, i;
	char *err;
	size_t errlen;
	int depth;
};

static int toml_err(struct toml_parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int toml_err(struct toml_parser *p, size_t at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_errf(p->err, p->errlen, p->doc->src, at, true, "%s", msg);
	return -1;
}

static int toml_oom(struct toml_parser *p)
{
	return toml_err(p, p->i, "out of memory");
}

const char *cfg_toml_kind_name(enum cfg_tv_kind kind)
{
	switch (kind) {
	case CFG_TV_STRING:
		return "a string";
	case CFG_TV_INT:
		return "an integer";
	case CFG_TV_FLOAT:
		return "a float";
	case CFG_TV_BOOL:
		return "a boolean";
	case CFG_TV_ARRAY:
		return "an array";
	case CFG_TV_TABLE:
		return "a table";
	}
	return "a value";
}

/* Describe the byte at p->i for "unexpected ..." messages. */
static const char *toml_what(struct toml_parser *p, char *buf, size_t n)
{
	if (p->i >= p->n)
		return "the end of the file";
	unsigned char c = (unsigned char)p->s[p->i];
	if (c == '\n' || c == '\r')
		return "the end of the line";
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, n, "'%c'", c);
	else
		snprintf(buf, n, "byte 0x%02x", c);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Tree building */

static struct cfg_table *toml_table_new(struct toml_parser *p, size_t pos,
					unsigned flags)
{
	struct cfg_table *t = arena_alloc(&p->doc->arena, sizeof(*t));
	if (t) {
		memset(t, 0, sizeof(*t));
		t->pos = pos;
		t->flags = flags;
	}
	return t;
}

static struct cfg_value *toml_value_new(struct toml_parser *p,
					enum cfg_tv_kind kind, size_t pos)
{
	struct cfg_value *v = arena_alloc(&p->doc->arena, sizeof(*v));
	if (v) {
		memset(v, 0, sizeof(*v));
		v->kind = kind;
		v->pos = pos;
		v->end = pos;
	}
	return v;
}

/* Grow an arena array of `size`-byte items to hold one more. */
static void *toml_grow(struct toml_parser *p, void *items, size_t n,
		       size_t *cap, size_t size)
{
	if (n < *cap)
		return items;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *m = arena_alloc(&p->doc->arena, ncap * size);
	if (!m)
		return NULL;
	if (n)
		memcpy(m, items, n * size);
	*cap = ncap;
	return m;
}

const struct cfg_kv *cfg_toml_get(const struct cfg_table *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->kv[i].key, key) == 0)
			return &t->kv[i];
	return NULL;
}

static int toml_table_add(struct toml_parser *p, struct cfg_table *t,
			  const char *key, size_t pos, struct cfg_value *v)
{
	if (t->n >= TOML_MAX_KEYS)
		return toml_err(p, pos, "more than %d keys in one table",
				TOML_MAX_KEYS);
	struct cfg_kv *kv = toml_grow(p, t->kv, t->n, &t->cap, sizeof(*kv));
	if (!kv)
		return toml_oom(p);
	t->kv = kv;
	t->kv[t->n++] = (struct cfg_kv){key, pos, v};
	return 0;
}

static int toml_array_add(struct toml_parser *p, struct cfg_array *a,
			  struct cfg_value *v)
{
	struct cfg_value **it =
	    toml_grow(p, a->items, a->n, &a->cap, sizeof(*it));
	if (!it)
		return toml_oom(p);
	a->items = it;
	a->items[a->n++] = v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Whitespace, comments, line ends */

static void toml_ws(struct toml_parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
		p->i++;
}

static void toml_comment(struct toml_parser *p)
{
	if (p->i < p->n && p->s[p->i] == '#')
		while (p->i < p->n && p->s[p->i] != '\n')
			p->i++;
}

/* At a line end: consume it. 1 consumed, 0 not at one, -1 bare CR. */
static int toml_newline(struct toml_parser *p)
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
static int toml_space(struct toml_parser *p)
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
static int toml_end_of_line(struct toml_parser *p, const char *after)
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
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return toml_err(p, at,
				"\\u escape U+%04lX is not a Unicode "
				"scalar value",
				cp);
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
	if ((c < 0x20 && c != '\t') || c == 0x7f)
		return toml_err(p, p->i,
				"control character U+%04X in a string "
				"(write it as \\u%04X)",
				c, c);
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
			c >= 0x21 && c < 0x7f ? c : '?');
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
static int toml_string(struct toml_parser *p, bool multiline_ok, char **out,
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
static int toml_key(struct toml_parser *p, const char **parts, size_t *pos)
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

static int toml_int_value(struct toml_parser *p, const char *s, size_t n,
			  size_t at, struct cfg_value *v)
{
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
		if (acc > (limit - d) / (unsigned)base)
			return toml_err(p, at,
					"integer %.*s does not fit in "
					"64 bits",
					(int)n, s);
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
static int toml_scalar(struct toml_parser *p, struct cfg_value *v)
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
				(int)n, s);
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
		return toml_err(p, at, "float %s is out of range", tmp);
	v->kind = CFG_TV_FLOAT;
	v->u.f = f;
	return 0;
bad:
	if ((s[sign] >= '0' && s[sign] <= '9') || s[sign] == '.')
		return toml_err(p, at, "invalid number %.*s", (int)n, s);
	return toml_err(p, at,
			"invalid value %.*s (a string needs quotes: "
			"\"%.*s\")",
			(int)n, s, (int)n, s);
}

/* ------------------------------------------------------------------ */
/* Values, arrays, inline tables */

static int toml_keyval(struct toml_parser *p, struct cfg_table *t);

static int toml_value(struct toml_parser *p, struct cfg_value **out);

static int toml_array(struct toml_parser *p, struct cfg_value *v)
{
	size_t open = p->i++;
	struct cfg_array *a = arena_alloc(&p->doc->arena, sizeof(*a));
	if (!a)
		return toml_oom(p);
	memset(a, 0, sizeof(*a));
	v->kind = CFG_TV_ARRAY;
	v->u.a = a;
	for (;;) {
		if (toml_space(p))
			return -1;
		if (p->i >= p->n)
			return toml_err(p, open,
					"array not closed (missing "
					"']')");
		if (p->s[p->i] == ']')
			break;
		struct cfg_value *item;
		if (toml_value(p, &item) || toml_array_add(p, a, item))
			return -1;
		if (toml_space(p))
			return -1;
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == ']')
			break;
		if (p->i >= p->n)
			return toml_err(p, open,
					"array not closed (missing "
					"']')");
		char b[16];
		return toml_err(p, p->i,
				"expected ',' or ']' in the array, "
				"found %s",
				toml_what(p, b, sizeof(b)));
	}
	p->i++;
	v->end = p->i;
	return 0;
}

static int toml_inline_table(struct toml_parser *p, struct cfg_value *v)
{
	size_t open = p->i++;
	struct cfg_table *t = toml_table_new(p, open, CFG_TABLE_INLINE);
	if (!t)
		return toml_oom(p);
	v->kind = CFG_TV_TABLE;
	v->u.t = t;
	for (;;) {
		if (toml_space(p))
			return -1;
		if (p->i >= p->n)
			return toml_err(p, open,
					"inline table not closed "
					"(missing '}')");
		if (p->s[p->i] == '}')
			break;
		if (toml_keyval(p, t) || toml_space(p))
			return -1;
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == '}')
			break;
		if (p->i >= p->n)
			return toml_err(p, open,
					"inline table not closed "
					"(missing '}')");
		char b[16];
		return toml_err(p, p->i,
				"expected ',' or '}' in the inline "
				"table, found %s",
				toml_what(p, b, sizeof(b)));
	}
	p->i++;
	v->end = p->i;
	return 0;
}

static int toml_value(struct toml_parser *p, struct cfg_value **out)
{
	if (p->depth >= TOML_MAX_DEPTH)
		return toml_err(p, p->i,
				"arrays or tables nested more than "
				"%d deep",
				TOML_MAX_DEPTH);
	struct cfg_value *v = toml_value_new(p, CFG_TV_STRING, p->i);
	if (!v)
		return toml_oom(p);
	*out = v;
	if (p->i >= p->n)
		return toml_err(p, p->i,
				"expected a value, found the end of "
				"the file");
	char c = p->s[p->i];
	int rc;
	p->depth++;
	if (c == '"' || c == '\'') {
		v->kind = CFG_TV_STRING;
		rc = toml_string(p, true, &v->u.s.ptr, &v->u.s.len);
		v->end = p->i;
	} else if (c == '[') {
		rc = toml_array(p, v);
	} else if (c == '{') {
		rc = toml_inline_table(p, v);
	} else {
		rc = toml_scalar(p, v);
	}
	p->depth--;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Key/value lines and headers */

/* Walk a dotted key's leading parts from t, creating tables. */
static int toml_dotted(struct toml_parser *p, struct cfg_table **t,
		       const char **parts, const size_t *pos, int n)
{
	for (int k = 0; k < n; k++) {
		const struct cfg_kv *kv = cfg_toml_get(*t, parts[k]);
		if (!kv) {
			struct cfg_table *nt =
			    toml_table_new(p, pos[k], CFG_TABLE_DOTTED);
			struct cfg_value *v =
			    toml_value_new(p, CFG_TV_TABLE, pos[k]);
			if (!nt || !v)
				return toml_oom(p);
			v->u.t = nt;
			if (toml_table_add(p, *t, parts[k], pos[k], v))
				return -1;
			*t = nt;
			continue;
		}
		if (kv->val->kind != CFG_TV_TABLE ||
		    !(kv->val->u.t->flags & CFG_TABLE_DOTTED)) {
			size_t line, col;
			cfg_src_pos(p->doc->src, kv->pos, &line, &col);
			return toml_err(p, pos[k],
					"key \"%s\" is already "
					"defined (line %zu)",
					parts[k], line);
		}
		*t = kv->val->u.t;
	}
	return 0;
}

static int toml_keyval(struct toml_parser *p, struct cfg_table *t)
{
	const char *parts[TOML_MAX_KEY_PARTS];
	size_t pos[TOML_MAX_KEY_PARTS];
	int n = toml_key(p, parts, pos);
	if (n < 0)
		return -1;
	if (p->i >= p->n || p->s[p->i] != '=') {
		char b[16];
		return toml_err(p, p->i,
				"expected '=' after the key \"%s\", "
				"found %s",
				parts[n - 1], toml_what(p, b, sizeof(b)));
	}
	p->i++;
	toml_ws(p);
	if (toml_dotted(p, &t, parts, pos, n - 1))
		return -1;
	const struct cfg_kv *old = cfg_toml_get(t, parts[n - 1]);
	if (old) {
		size_t line, col;
		cfg_src_pos(p->doc->src, old->pos, &line, &col);
		return toml_err(p, pos[n - 1],
				"duplicate key \"%s\" (first "
				"set on line %zu)",
				parts[n - 1], line);
	}
	struct cfg_value *v;
	if (toml_value(p, &v))
		return -1;
	return toml_table_add(p, t, parts[n - 1], pos[n - 1], v);
}

/* [a.b.c] or [[a.b.c]] at p->i; sets *cur to the table that follows. */
static int toml_header(struct toml_parser *p, struct cfg_table **cur)
{
	size_t open = p->i;
	bool aot = p->i + 1 < p->n && p->s[p->i + 1] == '[';
	p->i += aot ? 2 : 1;
	toml_ws(p);
	const char *parts[TOML_MAX_KEY_PARTS];
	size_t pos[TOML_MAX_KEY_PARTS];
	int n = toml_key(p, parts, pos);
	if (n < 0)
		return -1;
	if (p->i >= p->n || p->s[p->i] != ']' ||
	    (aot && (p->i + 1 >= p->n || p->s[p->i + 1] != ']'))) {
		char b[16];
		return toml_err(p, p->i,
				"expected '%s' to close the table "
				"header, found %s",
				aot ? "]]" : "]", toml_what(p, b, sizeof(b)));
	}
	p->i += aot ? 2 : 1;
	struct cfg_table *t = p->doc->root;
	for (int k = 0; k < n; k++) {
		const struct cfg_kv *kv = cfg_toml_get(t, parts[k]);
		bool last = k == n - 1;
		if (!kv) {
			struct cfg_table *nt = toml_table_new(
			    p, open,
			    last ? CFG_TABLE_HEADER : CFG_TABLE_IMPLICIT);
			struct cfg_value *v = toml_value_new(
			    p, aot && last ? CFG_TV_ARRAY : CFG_TV_TABLE, open);
			if (!nt || !v)
				return toml_oom(p);
			if (aot && last) {
				struct cfg_array *a =
				    arena_alloc(&p->doc->arena, sizeof(*a));
				if (!a)
					return toml_oom(p);
				memset(a, 0, sizeof(*a));
				a->of_tables = true;
				v->u.a = a;
				struct cfg_value *tv =
				    toml_value_new(p, CFG_TV_TABLE, open);
				if (!tv)
					return toml_oom(p);
				tv->u.t = nt;
				if (toml_array_add(p, a, tv))
					return -1;
			} else {
				v->u.t = nt;
			}
			if (toml_table_add(p, t, parts[k], pos[k], v))
				return -1;
			t = nt;
			continue;
		}
		struct cfg_value *v = kv->val;
		size_t line, col;
		cfg_src_pos(p->doc->src, kv->pos, &line, &col);
		if (v->kind == CFG_TV_ARRAY && v->u.a->of_tables) {
			if (last && aot) {
				struct cfg_table *nt =
				    toml_table_new(p, open, CFG_TABLE_HEADER);
				struct cfg_value *tv =
				    toml_value_new(p, CFG_TV_TABLE, open);
				if (!nt || !tv)
					return toml_oom(p);
				tv->u.t = nt;
				if (toml_array_add(p, v->u.a, tv))
					return -1;
				t = nt;
				continue;
			}
			if (last)
				return toml_err(p, pos[k],
						"[%s] is already "
						"an array of tables "
						"([[%s]], line %zu)",
						parts[k], parts[k], line);
			t = v->u.a->items[v->u.a->n - 1]->u.t;
			continue;
		}
		if (v->kind != CFG_TV_TABLE ||
		    (v->u.t->flags & CFG_TABLE_INLINE))
			return toml_err(
			    p, pos[k],
			    "\"%s\" is already set to "
			    "a value on line %zu; it cannot also be "
			    "a table",
			    parts[k], line);
		t = v->u.t;
		if (!last)
			continue;
		if (aot)
			return toml_err(p, pos[k],
					"[[%s]]: \"%s\" is already "
					"a table (line %zu)",
					parts[k], parts[k], line);
		if (!(t->flags & CFG_TABLE_IMPLICIT))
			return toml_err(p, open,
					"table [%s] is defined twice "
					"(first on line %zu)",
					parts[k], line);
		t->flags = (t->flags & ~(unsigned)CFG_TABLE_IMPLICIT) |
			   CFG_TABLE_HEADER;
		t->pos = open;
	}
	*cur = t;
	return toml_end_of_line(p, "the table header");
}

int cfg_toml_parse(struct cfg_doc *doc, const struct cfg_src *src, char *err,
		   size_t errlen)
{
	memset(doc, 0, sizeof(*doc));
	doc->src = src;
	struct toml_parser p = {doc, src->text, src->len, 0, err, errlen, 0};
	doc->root = toml_table_new(&p, 0, CFG_TABLE_HEADER);
	if (!doc->root)
		return toml_oom(&p);
	/* A byte order mark is allowed at the start (Windows editors). */
	if (p.n >= 3 && memcmp(p.s, "\xef\xbb\xbf", 3) == 0)
		p.i = 3;
	struct cfg_table *cur = doc->root;
	for (;;) {
		if (toml_space(&p))
			return -1;
		if (p.i >= p.n)
			return 0;
		int rc;
		if (p.s[p.i] == '[')
			rc = toml_header(&p, &cur);
		else if (toml_keyval(&p, cur) == 0)
			rc = toml_end_of_line(&p, "the value");
		else
			rc = -1;
		if (rc)
			return -1;
	}
}

void cfg_toml_free(struct cfg_doc *doc)
{
	arena_free(&doc->arena);
	doc->root = NULL;
}
