/*
 * lp_parse.c: the line-protocol parser and validator.
 *
 * One walk over the line serves both: lp_validate_line runs it without a
 * metric, lp_parse_line with one, so they accept exactly the same lines.
 * The grammar, the escapes, the accepted numbers, the error messages and
 * their positions follow influxdata/line-protocol (v2), whose conformance
 * corpus test_lp_corpus runs; see ../shared/spec/line-protocol.md.
 *
 * Tokens are found with the window scanner of lp_scan.h; a token is a
 * slice of the line, flagged when it holds escapes to remove later. The
 * metric's arrays grow only when a line has more tags or fields than any
 * line before it.
 */
#include "lp_parse.h"

#include <string.h>

const unsigned char lp_special[256] = {
    [0 ... 0x20] = 1, ['"'] = 1,  [','] = 1,	       ['='] = 1,
    ['\\'] = 1,	      [0x7f] = 1, [0x80 ... 0xff] = 1,
};

/* ------------------------------------------------------------------ */
/* Tokens. Each returns the index just past the token and sets *esc when
 * the token holds an escape to remove and *bad on invalid UTF-8. */

/* A marked byte >= 0x80: skip its UTF-8 sequence, or flag it. */
static inline size_t lp_skip_utf8(const char *p, size_t i, size_t n, bool *bad)
{
	size_t l = lp_utf8_len((const unsigned char *)p + i, n - i);
	if (!l) {
		*bad = true;
		l = 1;
	}
	return i + l;
}

__attribute__((always_inline)) static inline size_t
lp_take_name(struct lp_scan *sc, size_t i, bool *esc, bool *bad)
{
	const char *p = sc->p;
	size_t n = sc->n;
	for (;;) {
		i = lp_scan_next(sc, i);
		if (i == n)
			return i;
		unsigned char c = (unsigned char)p[i];
		if (c == '\\') {
			if (i + 1 < n && (p[i + 1] == ',' || p[i + 1] == ' ')) {
				*esc = true;
				i += 2;
			} else {
				i++;
			}
		} else if (c >= 0x80) {
			i = lp_skip_utf8(p, i, n, bad);
		} else if (c == '=' || c == '"') {
			i++;
		} else {
			return i;
		}
	}
}

__attribute__((always_inline)) static inline size_t
lp_take_key(struct lp_scan *sc, size_t i, bool *esc, bool *bad)
{
	const char *p = sc->p;
	size_t n = sc->n;
	for (;;) {
		i = lp_scan_next(sc, i);
		if (i == n)
			return i;
		unsigned char c = (unsigned char)p[i];
		if (c == '\\') {
			char d = i + 1 < n ? p[i + 1] : 0;
			if (d == ',' || d == '=' || d == ' ') {
				*esc = true;
				i += 2;
			} else {
				i++;
			}
		} else if (c >= 0x80) {
			i = lp_skip_utf8(p, i, n, bad);
		} else if (c == '"') {
			i++;
		} else {
			return i;
		}
	}
}

/* The content of a string value, from just after its opening quote to its
 * closing quote (or n). */
__attribute__((always_inline)) static inline size_t
lp_take_string(struct lp_scan *sc, size_t i, bool *esc, bool *bad)
{
	const char *p = sc->p;
	size_t n = sc->n;
	for (;;) {
		i = lp_scan_next(sc, i);
		if (i == n)
			return i;
		unsigned char c = (unsigned char)p[i];
		if (c == '"')
			return i;
		if (c == '\\') {
			char d = i + 1 < n ? p[i + 1] : 0;
			if (d == '\\' || d == '"' || d == 'n' || d == 'r' ||
			    d == 't') {
				*esc = true;
				i += 2;
			} else {
				i++;
			}
		} else if (c >= 0x80) {
			i = lp_skip_utf8(p, i, n, bad);
		} else {
			i++; /* space, comma, '=', control: all content */
		}
	}
}

/* The end of a number or boolean value: ',' or white space. */
static inline size_t lp_take_value(struct lp_scan *sc, size_t i)
{
	const char *p = sc->p;
	for (;;) {
		i = lp_scan_next(sc, i);
		if (i == sc->n)
			return i;
		char c = p[i];
		if (c == ',' || c == ' ' || c == '\r' || c == '\n')
			return i;
		i++;
	}
}

static inline bool lp_is_ws(char c)
{
	return c == ' ' || c == '\r' || c == '\n';
}

/* ------------------------------------------------------------------ */

/* After a measurement or a tag value: a ',' must start another tag. */
static inline int lp_tag_comma(const struct lp_ctx *c, size_t *ip)
{
	size_t i = *ip;
	if (i >= c->n || c->p[i] != ',')
		return 0;
	i++;
	*ip = i;
	if (i >= c->n)
		return lp_fail(
		    c, i, "expected tag key after comma; got end of input");
	if (lp_is_ws(c->p[i]))
		return lp_fail(
		    c, i,
		    "expected tag key after comma; got white space instead");
	return 0;
}

/* A number or boolean value p[v..e); fills f when not NULL. */
static inline int lp_number(const struct lp_ctx *c, size_t v, size_t e,
			    struct lp_field *f, size_t kstart, size_t kend,
			    bool kesc)
{
	const char *p = c->p;
	char first = p[v], last = p[e - 1];
	int rc;
	if (first == 't' || first == 'T' || first == 'f' || first == 'F') {
		size_t len = e - v;
		bool b;
		if (len == 1)
			b = first == 't' || first == 'T';
		else if ((len == 4 && (!memcmp(p + v, "true", 4) ||
				       !memcmp(p + v, "True", 4) ||
				       !memcmp(p + v, "TRUE", 4))))
			b = true;
		else if (len == 5 && (!memcmp(p + v, "false", 5) ||
				      !memcmp(p + v, "False", 5) ||
				      !memcmp(p + v, "FALSE", 5)))
			b = false;
		else
			return lp_bad_value(c, kstart, kend, kesc, v, e,
					    "invalid boolean value");
		if (f) {
			f->type = LP_BOOL;
			f->v.b = b;
		}
		return 0;
	}
	if (last == 'i') {
		int64_t x;
		rc = lp_parse_int(p + v, e - 1 - v, &x);
		if (rc)
			return lp_bad_value(c, kstart, kend, kesc, v, e,
					    lp_num_why(rc, "invalid integer"));
		if (f) {
			f->type = LP_INT;
			f->v.i = x;
		}
		return 0;
	}
	if (last == 'u') {
		uint64_t x;
		rc = lp_parse_uint(p + v, e - 1 - v, &x);
		if (rc)
			return lp_bad_value(c, kstart, kend, kesc, v, e,
					    lp_num_why(rc, "invalid unsigned"));
		if (f) {
			f->type = LP_UINT;
			f->v.u = x;
		}
		return 0;
	}
	double x;
	rc = lp_parse_float(p + v, e - v, &x);
	if (rc)
		return lp_bad_value(c, kstart, kend, kesc, v, e,
				    lp_num_why(rc, "invalid float"));
	if (f) {
		f->type = LP_FLOAT;
		f->v.f = x;
	}
	return 0;
}

static inline bool lp_is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\r' || c == '\n';
}

static const double lp_exact_pow10[19] = {
    1e0,  1e1,	1e2,  1e3,  1e4,  1e5,	1e6,  1e7,  1e8, 1e9,
    1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

/*
 * The common number forms in one pass, without first looking for the end
 * of the value: -?DIGITS then 'i', DIGITS then 'u' (at most 18 digits,
 * which cannot overflow), and -?DIGITS.DIGITS as a float of at most 18
 * digits below 2^53 (exact: one rounding in the division, as Clinger
 * showed). Anything else, including every error, returns false and goes
 * the general way (lp_number).
 */
__attribute__((always_inline)) static inline bool
lp_value_fast(const char *p, size_t i, size_t n, struct lp_field *f,
	      size_t *end)
{
	bool neg = p[i] == '-';
	size_t j = i + neg, start = j;
	uint64_t v = 0;
	while (j < n && (unsigned char)(p[j] - '0') < 10 && j - start < 18)
		v = v * 10 + (uint64_t)(p[j++] - '0');
	size_t nd = j - start;
	char c = j < n ? p[j] : 0;
	if ((c == 'i' || (c == 'u' && !neg)) && nd > 0) {
		j++;
		if (j < n && !lp_is_sep(p[j]))
			return false;
		if (f) {
			if (c == 'i') {
				f->type = LP_INT;
				f->v.i = neg ? -(int64_t)v : (int64_t)v;
			} else {
				f->type = LP_UINT;
				f->v.u = v;
			}
		}
		*end = j;
		return true;
	}
	size_t frac = 0;
	if (c == '.') {
		size_t fs = ++j;
		while (j < n && (unsigned char)(p[j] - '0') < 10 &&
		       nd + (j - fs) < 18)
			v = v * 10 + (uint64_t)(p[j++] - '0');
		frac = j - fs;
		nd += frac;
	}
	if (nd == 0 || (j < n && !lp_is_sep(p[j])) || v >= (UINT64_C(1) << 53))
		return false;
	if (f) {
		double x = (double)v / lp_exact_pow10[frac];
		f->type = LP_FLOAT;
		f->v.f = neg ? -x : x;
	}
	*end = j;
	return true;
}

/* After the fields: an optional timestamp, then spaces, then the end. */
static inline int lp_time(const struct lp_ctx *c, size_t i, struct lp_metric *m)
{
	const char *p = c->p;
	size_t n = c->n, start = i;
	while (i < n && ((unsigned char)(p[i] - '0') < 10 || p[i] == '-'))
		i++;
	size_t end = i;
	if (i < n) {
		if (!lp_is_ws(p[i])) {
			char tok[128];
			size_t e = i;
			while (e < n && p[e] != '\r' && p[e] != '\n')
				e++;
			lp_quote_token(tok, sizeof(tok), p + start, e - start);
			return lp_fail(c, start, "invalid timestamp %s", tok);
		}
		while (i < n && p[i] == ' ')
			i++;
		if (i < n && !(i + 1 == n && p[i] == '\r')) {
			char tok[128];
			size_t e = i;
			while (e < n && p[e] != '\r' && p[e] != '\n')
				e++;
			lp_quote_token(tok, sizeof(tok), p + i, e - i);
			return lp_fail(
			    c, i, "unexpected text after timestamp %s", tok);
		}
	}
	if (end == start)
		return 0;
	int64_t t;
	int rc = lp_parse_int(p + start, end - start, &t);
	if (rc) {
		char tok[128];
		lp_quote_token(tok, sizeof(tok), p + start, end - start);
		return lp_fail(c, start, "invalid timestamp %s: %s", tok,
			       rc == LP_NUM_RANGE ? "out of range"
						  : "not an integer");
	}
	if (m) {
		m->time = t;
		m->has_time = true;
	}
	return 0;
}

/* Where the text after a field value goes. */
enum { LP_NEXT_FIELD, LP_NEXT_TIME, LP_NEXT_END };

static inline int lp_after_value(const struct lp_ctx *c, size_t *ip)
{
	const char *p = c->p;
	size_t i = *ip, n = c->n;
	if (i >= n)
		return LP_NEXT_END;
	if (p[i] == ',') {
		*ip = i + 1;
		return LP_NEXT_FIELD;
	}
	if (!lp_is_ws(p[i])) {
		char ch[16];
		lp_quote_char(ch, sizeof(ch), (unsigned char)p[i]);
		return lp_fail(c, i, "unexpected character %s after field", ch);
	}
	while (i < n && p[i] == ' ')
		i++;
	*ip = i;
	if (i == n || (i + 1 == n && p[i] == '\r'))
		return LP_NEXT_END;
	if (p[i] == '\n')
		return lp_fail(c, i, "unexpected newline outside a string");
	return LP_NEXT_TIME;
}

/*
 * The walk. m == NULL validates only; always_inline so that each entry
 * point gets its own copy with the metric code kept or dropped.
 */
__attribute__((always_inline)) static inline int
lp_walk(const char *p, size_t n, size_t first_line, struct lp_metric *m,
	struct lp_error *err)
{
	struct lp_ctx c = {p, n, first_line, err, {0}};
	lp_scan_init(&c.sc, p, n);
	size_t i = 0;
	bool esc = false, bad = false;
	while (i < n && p[i] == ' ')
		i++;
	if (i == n || p[i] == '#' || (i + 1 == n && p[i] == '\r'))
		return lp_not_metric(&c, i);
	size_t lead = i;

	/* Measurement. */
	i = lp_take_name(&c.sc, i, &esc, &bad);
	if (bad)
		return lp_bad_utf8(&c, lead, i);
	if (i == lead) {
		char ch[16];
		lp_quote_char(ch, sizeof(ch), (unsigned char)p[i]);
		return lp_fail(&c, i,
			       "invalid character %s found at start of "
			       "measurement name",
			       ch);
	}
	if (m) {
		m->name = (struct lp_slice){p + lead, i - lead,
					    esc ? LP_ESC_NAME : LP_ESC_NONE};
		m->line = (struct lp_slice){p + lead, n - lead, LP_ESC_NONE};
	}
	if (lp_tag_comma(&c, &i) < 0)
		return -1;

	/* Tags, up to the space before the fields. */
	while (i >= n || p[i] != ' ') {
		size_t ks = i;
		esc = bad = false;
		i = lp_take_key(&c.sc, i, &esc, &bad);
		if (bad)
			return lp_bad_utf8(&c, ks, i);
		bool kesc = esc;
		if (i == ks || i >= n || p[i] != '=') {
			if (i >= n)
				return lp_fail(&c, ks, "empty tag name");
			char ch[16], key[128];
			lp_quote_char(ch, sizeof(ch), (unsigned char)p[i]);
			if (i == ks)
				return lp_fail(&c, ks,
					       "expected tag key or field but "
					       "found %s instead",
					       ch);
			lp_token_text(key, sizeof(key), p + ks, i - ks,
				      kesc ? LP_ESC_KEY : LP_ESC_NONE);
			return lp_fail(&c, ks,
				       "expected '=' after tag key %s, but "
				       "got %s instead",
				       key, ch);
		}
		size_t ke = i++;
		size_t vs = i;
		esc = bad = false;
		i = lp_take_key(&c.sc, i, &esc, &bad);
		if (bad)
			return lp_bad_utf8(&c, vs, i);
		if (i == vs) {
			char key[128];
			lp_token_text(key, sizeof(key), p + ks, ke - ks,
				      kesc ? LP_ESC_KEY : LP_ESC_NONE);
			return lp_fail(&c, vs,
				       "expected tag value after tag key %s, "
				       "but none found",
				       key);
		}
		if (m) {
			struct lp_tag *t = m->ntags < m->tags_cap
					       ? &m->tags[m->ntags]
					       : lp_metric_grow_tags(m);
			if (!t)
				return lp_fail(&c, ks, "out of memory");
			t->key = (struct lp_slice){
			    p + ks, ke - ks, kesc ? LP_ESC_KEY : LP_ESC_NONE};
			t->value = (struct lp_slice){
			    p + vs, i - vs, esc ? LP_ESC_KEY : LP_ESC_NONE};
			m->ntags++;
		}
		if (i >= n)
			break;
		if (lp_tag_comma(&c, &i) < 0)
			return -1;
	}
	while (i < n && p[i] == ' ')
		i++;

	/* Fields. */
	for (;;) {
		size_t ks = i;
		esc = bad = false;
		i = lp_take_key(&c.sc, i, &esc, &bad);
		if (bad)
			return lp_bad_utf8(&c, ks, i);
		bool kesc = esc;
		size_t ke = i;
		if (i == ks) {
			if (i >= n)
				return lp_fail(&c, i,
					       "expected field key but none "
					       "found");
			char ch[16];
			lp_quote_char(ch, sizeof(ch), (unsigned char)p[i]);
			return lp_fail(&c, i,
				       "invalid character %s found at start "
				       "of field key",
				       ch);
		}
		if (i >= n || p[i] != '=') {
			char key[128], ch[16];
			lp_token_text(key, sizeof(key), p + ks, ke - ks,
				      kesc ? LP_ESC_KEY : LP_ESC_NONE);
			if (i >= n)
				return lp_fail(&c, i,
					       "want '=' after field key %s, "
					       "found end of input",
					       key);
			lp_quote_char(ch, sizeof(ch), (unsigned char)p[i]);
			return lp_fail(&c, i,
				       "want '=' after field key %s, found %s",
				       key, ch);
		}
		i++;
		if (i >= n)
			return lp_fail(&c, i,
				       "expected field value, found end of "
				       "input");
		struct lp_field *f = NULL;
		if (m) {
			f = m->nfields < m->fields_cap
				? &m->fields[m->nfields]
				: lp_metric_grow_fields(m);
			if (!f)
				return lp_fail(&c, ks, "out of memory");
			f->key = (struct lp_slice){
			    p + ks, ke - ks, kesc ? LP_ESC_KEY : LP_ESC_NONE};
		}
		size_t vs = i;
		char v0 = p[i];
		if (v0 == '"') {
			esc = bad = false;
			i = lp_take_string(&c.sc, i + 1, &esc, &bad);
			if (bad)
				return lp_bad_utf8(&c, vs + 1, i);
			if (i >= n)
				return lp_fail(&c, vs,
					       "expected closing quote for "
					       "string field value, found end "
					       "of input");
			if (f) {
				f->type = LP_STRING;
				f->v.s = (struct lp_slice){
				    p + vs + 1, i - vs - 1,
				    esc ? LP_ESC_STRING : LP_ESC_NONE};
			}
			i++;
		} else if ((unsigned char)(v0 - '0') < 10 || v0 == '-' ||
			   v0 == '.' || v0 == 't' || v0 == 'T' || v0 == 'f' ||
			   v0 == 'F') {
			size_t e;
			if (lp_value_fast(p, i, n, f, &e)) {
				i = e;
			} else {
				i = lp_take_value(&c.sc, i);
				if (lp_number(&c, vs, i, f, ks, ke, kesc) < 0)
					return -1;
			}
		} else {
			return lp_fail(&c, vs,
				       "field value has unrecognized type");
		}
		if (m)
			m->nfields++;
		int next = lp_after_value(&c, &i);
		if (next < 0)
			return -1;
		if (next == LP_NEXT_END)
			return 0;
		if (next == LP_NEXT_TIME)
			return lp_time(&c, i, m);
	}
}

int lp_validate_line(const char *p, size_t len, size_t first_line,
		     struct lp_error *err)
{
	return lp_walk(p, len, first_line, NULL, err);
}

int lp_parse_line(const char *p, size_t len, size_t first_line,
		  struct lp_metric *m, struct lp_error *err)
{
	lp_metric_reset(m);
	if (lp_walk(p, len, first_line, m, err) < 0) {
		lp_metric_reset(m);
		return -1;
	}
	return 0;
}
