/*
 * config_toml_string.c: the TOML reader's four kinds of string ("...",
 * '...', and their multi-line forms) with their escapes, control
 * characters and UTF-8 checked. Every refusal names file:line:col and
 * says what would be right.
 */
#include <stdio.h>
#include <string.h>

#include "config_toml.h"

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

/* The opening of a string at p->i: its quote and whether it is a
 * multi-line one (which keys cannot be). p->i is left after it. */
static int toml_string_open(struct toml_parser *p, bool multiline_ok, char *q,
			    bool *multi)
{
	*q = p->s[p->i];
	*multi =
	    p->i + 2 < p->n && p->s[p->i + 1] == *q && p->s[p->i + 2] == *q;
	if (*multi && !multiline_ok)
		return toml_err(p, p->i, "a key cannot be a multi-line string");
	p->i += *multi ? 3 : 1;
	return 0;
}

/* A newline right after the opening of a multi-line string is dropped. */
static void toml_string_first_newline(struct toml_parser *p)
{
	if (p->i < p->n && p->s[p->i] == '\n')
		p->i++;
	else if (p->i + 1 < p->n && p->s[p->i] == '\r' &&
		 p->s[p->i + 1] == '\n')
		p->i += 2;
}

/* At quote q inside a string: 1 when it closes the string, 0 when it is
 * content (a multi-line string may hold one or two; they are copied to
 * out), -1 for more than five in a row. */
static int toml_string_quotes(struct toml_parser *p, char q, bool multi,
			      char *out, size_t *on)
{
	if (!multi) {
		p->i++;
		return 1;
	}
	size_t k = 0;
	while (p->i + k < p->n && p->s[p->i + k] == q)
		k++;
	if (k > 5)
		return toml_err(p, p->i, "too many quotes closing a string");
	bool closing = k >= 3;
	for (size_t e = 0; e < (closing ? k - 3 : k); e++)
		out[(*on)++] = q;
	p->i += k;
	return closing;
}

__attribute__((cold)) static int toml_unclosed(struct toml_parser *p,
					       size_t start, char q, bool multi)
{
	bool basic = q == '"';
	return toml_err(p, start, "string not closed (missing %s)",
			multi ? (basic ? "\"\"\"" : "'''")
			      : (basic ? "\"" : "'"));
}

/* A string of any kind at p->i (which is at its opening quote). Output is
 * never longer than the input, so it is written straight to the arena.
 * multiline_ok: keys cannot be multi-line strings. */
int toml_string(struct toml_parser *p, bool multiline_ok, char **out,
		size_t *outlen)
{
	size_t start = p->i;
	char q;
	bool multi;
	if (toml_string_open(p, multiline_ok, &q, &multi))
		return -1;
	size_t end = toml_string_extent(p->s, p->n, p->i, q, multi);
	if (end > p->n)
		end = p->n;
	char *o = arena_alloc(&p->doc->arena, end - p->i + 1);
	if (!o)
		return toml_oom(p);
	size_t on = 0;
	if (multi)
		toml_string_first_newline(p);
	for (;;) {
		if (p->i >= p->n)
			return toml_unclosed(p, start, q, multi);
		char c = p->s[p->i];
		int rc;
		if (c == q)
			rc = toml_string_quotes(p, q, multi, o, &on);
		else if (c == '\\' && q == '"')
			rc = multi && toml_line_continuation(p)
				 ? 0
				 : toml_escape(p, o, &on);
		else
			rc = toml_string_char(p, multi, o, &on);
		if (rc < 0)
			return -1;
		if (rc > 0)
			break;
	}
	o[on] = '\0';
	*out = o;
	*outlen = on;
	return 0;
}
