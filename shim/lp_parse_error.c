/*
 * lp_parse_error.c: the parser's error messages and their positions.
 *
 * Messages name what was expected and what was found, in the words of
 * influxdata/line-protocol (so that users of both read the same), with
 * tokens and bytes quoted as Go's %q would; positions are the physical
 * line (strings may hold newlines) and the byte column in it.
 */
#include "lp_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Go's %q of one byte, e.g. ' ', '\t', '\x00'. */
void lp_quote_char(char *out, size_t n, unsigned char c)
{
	static const char *const named[0x28] = {
	    ['\t'] = "'\\t'", ['\n'] = "'\\n'", ['\r'] = "'\\r'",
	    ['\v'] = "'\\v'", ['\f'] = "'\\f'", ['\''] = "'\\''",
	};
	if (c < sizeof(named) / sizeof(named[0]) && named[c])
		snprintf(out, n, "%s", named[c]);
	else if (c < 0x20 || c >= 0x7f)
		snprintf(out, n, "'\\x%02x'", c);
	else
		snprintf(out, n, "'%c'", c);
}

/* A token in double quotes with Go-like escapes, cut at 48 bytes: valid
 * UTF-8 as it is; control bytes, DEL and every byte that is not part of a
 * valid UTF-8 sequence as \xNN, as Go's %q does. */
void lp_quote_token(char *out, size_t n, const char *p, size_t len)
{
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < len && o + 8 < n;) {
		unsigned char c = (unsigned char)p[i];
		if (i >= 48) {
			o += (size_t)snprintf(out + o, n - o, "...");
			break;
		}
		size_t u = c < 0x80 ? 1
				    : lp_utf8_len((const unsigned char *)p + i,
						  len - i);
		if (c == '"' || c == '\\') {
			o += (size_t)snprintf(out + o, n - o, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f || u == 0) {
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
			u = 1;
		} else if (o + u + 8 < n) {
			memcpy(out + o, p + i, u);
			o += u;
		} else {
			break;
		}
		i += u;
	}
	out[o++] = '"';
	out[o] = '\0';
}

int lp_fail(const struct lp_ctx *c, size_t pos, const char *fmt, ...)
{
	if (!c->err)
		return -1;
	size_t line = c->first_line, col_start = 0;
	for (size_t i = 0; i < pos && i < c->n; i++) {
		if (c->p[i] == '\n') {
			line++;
			col_start = i + 1;
		}
	}
	c->err->line = line;
	c->err->column = pos - col_start + 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* The unescaped token for a message. */
void lp_token_text(char *out, size_t n, const char *p, size_t len,
		   unsigned char kind)
{
	char tmp[64];
	struct lp_slice s = {p, len < sizeof(tmp) ? len : sizeof(tmp), kind};
	size_t u = lp_unescape(&s, tmp);
	lp_quote_token(out, n, tmp, u);
}

int lp_bad_utf8(const struct lp_ctx *c, size_t start, size_t end)
{
	char tok[128];
	lp_quote_token(tok, sizeof(tok), c->p + start, end - start);
	return lp_fail(c, start, "invalid utf-8 sequence in token %s", tok);
}

int lp_fail_char(const struct lp_ctx *c, size_t pos, const char *before,
		 const char *after)
{
	char ch[16];
	lp_quote_char(ch, sizeof(ch), (unsigned char)c->p[pos]);
	return lp_fail(c, pos, "%s%s%s", before, ch, after);
}

int lp_fail_rest(const struct lp_ctx *c, size_t pos, const char *what)
{
	char tok[128];
	size_t e = pos;
	while (e < c->n && c->p[e] != '\r' && c->p[e] != '\n')
		e++;
	lp_quote_token(tok, sizeof(tok), c->p + pos, e - pos);
	return lp_fail(c, pos, "%s %s", what, tok);
}

/* The unescaped text of a key token, quoted, for a message. */
static void lp_key_text(const struct lp_ctx *c, const struct lp_token *key,
			char *out, size_t n)
{
	lp_token_text(out, n, c->p + key->start, key->end - key->start,
		      key->esc ? LP_ESC_KEY : LP_ESC_NONE);
}

int lp_bad_tag_key(const struct lp_ctx *c, const struct lp_token *key)
{
	char ch[16], text[128];
	if (key->end >= c->n)
		return lp_fail(c, key->start, "empty tag name");
	lp_quote_char(ch, sizeof(ch), (unsigned char)c->p[key->end]);
	if (key->end == key->start)
		return lp_fail(c, key->start,
			       "expected tag key or field but found %s instead",
			       ch);
	lp_key_text(c, key, text, sizeof(text));
	return lp_fail(c, key->start,
		       "expected '=' after tag key %s, but got %s instead",
		       text, ch);
}

int lp_bad_tag_value(const struct lp_ctx *c, const struct lp_token *key)
{
	char text[128];
	lp_key_text(c, key, text, sizeof(text));
	return lp_fail(c, key->end + 1,
		       "expected tag value after tag key %s, but none found",
		       text);
}

int lp_bad_field_key(const struct lp_ctx *c, const struct lp_token *key)
{
	char text[128];
	size_t i = key->end;
	if (i == key->start && i >= c->n)
		return lp_fail(c, i, "expected field key but none found");
	if (i == key->start)
		return lp_fail_char(c, i, "invalid character ",
				    " found at start of field key");
	lp_key_text(c, key, text, sizeof(text));
	if (i >= c->n)
		return lp_fail(
		    c, i, "want '=' after field key %s, found end of input",
		    text);
	char ch[16];
	lp_quote_char(ch, sizeof(ch), (unsigned char)c->p[i]);
	return lp_fail(c, i, "want '=' after field key %s, found %s", text, ch);
}

int lp_bad_value(const struct lp_ctx *c, const struct lp_token *key,
		 size_t vstart, size_t vend, const char *why)
{
	char text[128], val[128];
	lp_key_text(c, key, text, sizeof(text));
	lp_quote_token(val, sizeof(val), c->p + vstart, vend - vstart);
	return lp_fail(c, vstart, "cannot parse value %s for field key %s: %s",
		       val, text, why);
}

int lp_bad_time(const struct lp_ctx *c, size_t start, size_t end, int rc)
{
	char tok[128];
	lp_quote_token(tok, sizeof(tok), c->p + start, end - start);
	return lp_fail(c, start, "invalid timestamp %s: %s", tok,
		       rc == LP_NUM_RANGE ? "out of range" : "not an integer");
}

const char *lp_num_why(int rc, const char *kind)
{
	if (rc == LP_NUM_RANGE)
		return "value out of range";
	if (rc == LP_NUM_NONFINITE)
		return "NaN and Inf cannot be line-protocol field values";
	return kind;
}

/* A comment line, or a line of spaces: not a metric. A comment with a
 * control character is an error, where influxdata/line-protocol puts it. */
int lp_not_metric(const struct lp_ctx *c, size_t lead)
{
	const char *p = c->p;
	size_t n = c->n;
	if (lead == n || (lead + 1 == n && p[lead] == '\r'))
		return lp_fail(c, lead, "empty line: no metric");
	size_t i = lead + 1;
	while (i < n && (unsigned char)p[i] >= 0x20 && p[i] != 0x7f)
		i++;
	if (i == n || (i + 1 == n && p[i] == '\r'))
		return lp_fail(c, lead, "comment line: no metric");
	if (lead > 0)
		return lp_fail(c, 0,
			       "invalid character ' ' found at start of "
			       "measurement name");
	return lp_fail(c, 0, "invalid character found in comment line");
}

const char *lp_error_format(const struct lp_error *e, char *out, size_t n)
{
	if (e->line)
		snprintf(out, n, "%s at %zu:%zu", e->msg, e->line, e->column);
	else
		snprintf(out, n, "%s", e->msg);
	return out;
}
