/*
 * lp_parse.c: the line-protocol parser and validator.
 *
 * One walk over the line serves both: lp_validate_line runs it without a
 * metric, lp_parse_line with one, so they accept exactly the same lines.
 * The grammar, the escapes, the accepted numbers, the error messages and
 * their positions follow influxdata/line-protocol (v2), whose conformance
 * corpus test_lp_corpus runs; see ../shared/spec/line-protocol.md.
 *
 * The walk goes in named steps (series key: measurement and tags; fields;
 * timestamp), each taking its tokens with lp_token.h; a token is a slice
 * of the line, flagged when it holds escapes to remove later. Error texts
 * are built in lp_parse_error.c, off the hot path. The metric's arrays
 * grow only when a line has more tags or fields than any line before it.
 */
#include "lp_parse.h"

#include <string.h>

const unsigned char lp_special[256] = {
    [0 ... 0x20] = 1, ['"'] = 1,  [','] = 1,	       ['='] = 1,
    ['\\'] = 1,	      [0x7f] = 1, [0x80 ... 0xff] = 1,
};

/* ------------------------------------------------------------------ */
/* Tokens */

/* The token of escape kind `kind` at i into *t; an error on invalid
 * UTF-8. */
__attribute__((always_inline)) static inline int
lp_token_at(struct lp_ctx *c, size_t i, unsigned char kind, struct lp_token *t)
{
	bool bad = false;
	t->start = i;
	t->esc = false;
	t->end = lp_take(&c->sc, i, kind, &t->esc, &bad);
	return bad ? lp_bad_utf8(c, t->start, t->end) : 0;
}

static inline struct lp_slice lp_token_slice(const struct lp_ctx *c,
					     const struct lp_token *t,
					     unsigned char kind)
{
	return (struct lp_slice){c->p + t->start, t->end - t->start,
				 t->esc ? kind : LP_ESC_NONE};
}

/* ------------------------------------------------------------------ */
/* Measurement and tags */

/* Leading spaces; a blank or comment line holds no metric. */
static inline int lp_walk_lead(const struct lp_ctx *c, size_t *ip)
{
	const char *p = c->p;
	size_t n = c->n, i = 0;
	while (i < n && p[i] == ' ')
		i++;
	*ip = i;
	if (i == n || p[i] == '#' || (i + 1 == n && p[i] == '\r'))
		return lp_not_metric(c, i);
	return 0;
}

__attribute__((always_inline)) static inline int
lp_walk_name(struct lp_ctx *c, size_t *ip, struct lp_metric *m)
{
	struct lp_token t;
	if (lp_token_at(c, *ip, LP_ESC_NAME, &t) < 0)
		return -1;
	if (t.end == t.start)
		return lp_fail_char(c, t.end, "invalid character ",
				    " found at start of measurement name");
	if (m) {
		m->name = lp_token_slice(c, &t, LP_ESC_NAME);
		m->line = (struct lp_slice){c->p + t.start, c->n - t.start,
					    LP_ESC_NONE};
	}
	*ip = t.end;
	return 0;
}

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

/* One tag, key=value. */
__attribute__((always_inline)) static inline int
lp_walk_tag(struct lp_ctx *c, size_t *ip, struct lp_metric *m)
{
	struct lp_token k, v;
	if (lp_token_at(c, *ip, LP_ESC_KEY, &k) < 0)
		return -1;
	if (k.end == k.start || k.end >= c->n || c->p[k.end] != '=')
		return lp_bad_tag_key(c, &k);
	if (lp_token_at(c, k.end + 1, LP_ESC_KEY, &v) < 0)
		return -1;
	if (v.end == v.start)
		return lp_bad_tag_value(c, &k);
	if (m) {
		struct lp_tag *t = m->ntags < m->tags_cap
				       ? &m->tags[m->ntags]
				       : lp_metric_grow_tags(m);
		if (!t)
			return lp_fail(c, k.start, "out of memory");
		t->key = lp_token_slice(c, &k, LP_ESC_KEY);
		t->value = lp_token_slice(c, &v, LP_ESC_KEY);
		m->ntags++;
	}
	*ip = v.end;
	return 0;
}

/* The series key: the measurement and its tags, up to the space before
 * the fields. */
__attribute__((always_inline)) static inline int
lp_walk_series(struct lp_ctx *c, size_t *ip, struct lp_metric *m)
{
	const char *p = c->p;
	size_t n = c->n;
	if (lp_walk_name(c, ip, m) < 0 || lp_tag_comma(c, ip) < 0)
		return -1;
	while (*ip >= n || p[*ip] != ' ') {
		if (lp_walk_tag(c, ip, m) < 0)
			return -1;
		if (*ip >= n)
			break;
		if (lp_tag_comma(c, ip) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Field values */

static bool lp_bool_text(const char *p, size_t n, bool *b)
{
	if (n == 1) {
		*b = p[0] == 't' || p[0] == 'T';
		return true;
	}
	if (n == 4 && (!memcmp(p, "true", 4) || !memcmp(p, "True", 4) ||
		       !memcmp(p, "TRUE", 4))) {
		*b = true;
		return true;
	}
	if (n == 5 && (!memcmp(p, "false", 5) || !memcmp(p, "False", 5) ||
		       !memcmp(p, "FALSE", 5))) {
		*b = false;
		return true;
	}
	return false;
}

/* A number or boolean p[0..n) (n > 0) in Go's syntax and ranges into x;
 * NULL, or why it is not one. */
static const char *lp_value_text(const char *p, size_t n, struct lp_field *x)
{
	char first = p[0], last = p[n - 1];
	int rc;
	if (first == 't' || first == 'T' || first == 'f' || first == 'F') {
		x->type = LP_BOOL;
		return lp_bool_text(p, n, &x->v.b) ? NULL
						   : "invalid boolean value";
	}
	if (last == 'i') {
		x->type = LP_INT;
		rc = lp_parse_int(p, n - 1, &x->v.i);
		return rc ? lp_num_why(rc, "invalid integer") : NULL;
	}
	if (last == 'u') {
		x->type = LP_UINT;
		rc = lp_parse_uint(p, n - 1, &x->v.u);
		return rc ? lp_num_why(rc, "invalid unsigned") : NULL;
	}
	x->type = LP_FLOAT;
	rc = lp_parse_float(p, n, &x->v.f);
	return rc ? lp_num_why(rc, "invalid float") : NULL;
}

/* The number or boolean value p[v..e) of field `key`; fills f when not
 * NULL. */
static int lp_number(const struct lp_ctx *c, const struct lp_token *key,
		     size_t v, size_t e, struct lp_field *f)
{
	struct lp_field x;
	const char *why = lp_value_text(c->p + v, e - v, &x);
	if (why)
		return lp_bad_value(c, key, v, e, why);
	if (f) {
		f->type = x.type;
		f->v = x.v;
	}
	return 0;
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
	while (j < n && lp_is_digit(p[j]) && j - start < 18)
		v = v * 10 + (uint64_t)(p[j++] - '0');
	size_t nd = j - start;
	char c = '\0';
	if (j < n)
		c = p[j];
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
		while (j < n && lp_is_digit(p[j]) && nd + (j - fs) < 18)
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

/* A string value; *ip at its opening quote, left past the closing one. */
__attribute__((always_inline)) static inline int
lp_walk_string(struct lp_ctx *c, size_t *ip, struct lp_field *f)
{
	struct lp_token s;
	if (lp_token_at(c, *ip + 1, LP_ESC_STRING, &s) < 0)
		return -1;
	if (s.end >= c->n)
		return lp_fail(c, *ip,
			       "expected closing quote for string field value, "
			       "found end of input");
	if (f) {
		f->type = LP_STRING;
		f->v.s = lp_token_slice(c, &s, LP_ESC_STRING);
	}
	*ip = s.end + 1;
	return 0;
}

/* The value of field `key` at *ip; fills f when not NULL. */
__attribute__((always_inline)) static inline int
lp_walk_value(struct lp_ctx *c, const struct lp_token *key, size_t *ip,
	      struct lp_field *f)
{
	const char *p = c->p;
	size_t v = *ip, e;
	char v0 = p[v];
	if (v0 == '"')
		return lp_walk_string(c, ip, f);
	if (!lp_is_digit(v0) && v0 != '-' && v0 != '.' && v0 != 't' &&
	    v0 != 'T' && v0 != 'f' && v0 != 'F')
		return lp_fail(c, v, "field value has unrecognized type");
	if (!lp_value_fast(p, v, c->n, f, &e)) {
		e = lp_take_value(&c->sc, v);
		if (lp_number(c, key, v, e, f) < 0)
			return -1;
	}
	*ip = e;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fields and timestamp */

/* One field, key=value. */
__attribute__((always_inline)) static inline int
lp_walk_field(struct lp_ctx *c, size_t *ip, struct lp_metric *m)
{
	struct lp_token k;
	if (lp_token_at(c, *ip, LP_ESC_KEY, &k) < 0)
		return -1;
	if (k.end == k.start || k.end >= c->n || c->p[k.end] != '=')
		return lp_bad_field_key(c, &k);
	size_t i = k.end + 1;
	if (i >= c->n)
		return lp_fail(c, i,
			       "expected field value, found end of input");
	struct lp_field *f = NULL;
	if (m) {
		f = m->nfields < m->fields_cap ? &m->fields[m->nfields]
					       : lp_metric_grow_fields(m);
		if (!f)
			return lp_fail(c, k.start, "out of memory");
		f->key = lp_token_slice(c, &k, LP_ESC_KEY);
	}
	if (lp_walk_value(c, &k, &i, f) < 0)
		return -1;
	if (m)
		m->nfields++;
	*ip = i;
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
	if (!lp_is_ws(p[i]))
		return lp_fail_char(c, i, "unexpected character ",
				    " after field");
	while (i < n && p[i] == ' ')
		i++;
	*ip = i;
	if (i == n || (i + 1 == n && p[i] == '\r'))
		return LP_NEXT_END;
	if (p[i] == '\n')
		return lp_fail(c, i, "unexpected newline outside a string");
	return LP_NEXT_TIME;
}

/* After the fields: an optional timestamp, then spaces, then the end. */
static inline int lp_walk_time(const struct lp_ctx *c, size_t i,
			       struct lp_metric *m)
{
	const char *p = c->p;
	size_t n = c->n, start = i;
	while (i < n && (lp_is_digit(p[i]) || p[i] == '-'))
		i++;
	size_t end = i;
	if (i < n) {
		if (!lp_is_ws(p[i]))
			return lp_fail_rest(c, start, "invalid timestamp");
		while (i < n && p[i] == ' ')
			i++;
		if (i < n && !(i + 1 == n && p[i] == '\r'))
			return lp_fail_rest(c, i,
					    "unexpected text after timestamp");
	}
	if (end == start)
		return 0;
	int64_t t;
	int rc = lp_parse_int(p + start, end - start, &t);
	if (rc)
		return lp_bad_time(c, start, end, rc);
	if (m) {
		m->time = t;
		m->has_time = true;
	}
	return 0;
}

/* The fields, after the spaces that end the series key, and the
 * timestamp. */
__attribute__((always_inline)) static inline int
lp_walk_fields(struct lp_ctx *c, size_t i, struct lp_metric *m)
{
	while (i < c->n && c->p[i] == ' ')
		i++;
	for (;;) {
		if (lp_walk_field(c, &i, m) < 0)
			return -1;
		int next = lp_after_value(c, &i);
		if (next == LP_NEXT_TIME)
			return lp_walk_time(c, i, m);
		if (next != LP_NEXT_FIELD)
			return next == LP_NEXT_END ? 0 : -1;
	}
}

/* ------------------------------------------------------------------ */

/*
 * The walk: series key, fields, timestamp. m == NULL validates only;
 * always_inline so that each entry point gets its own copy with the
 * metric code kept or dropped.
 */
__attribute__((always_inline)) static inline int
lp_walk(const char *p, size_t n, size_t first_line, struct lp_metric *m,
	struct lp_error *err)
{
	struct lp_ctx c = {p, n, first_line, err, {0}};
	size_t i;
	if (lp_walk_lead(&c, &i) < 0)
		return -1;
	lp_scan_init(&c.sc, p, n);
	if (lp_walk_series(&c, &i, m) < 0)
		return -1;
	return lp_walk_fields(&c, i, m);
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

int lp_parse_series_key(const char *p, size_t len, size_t first_line,
			struct lp_metric *m, struct lp_error *err)
{
	struct lp_ctx c = {p, len, first_line, err, {0}};
	size_t i;
	lp_metric_reset(m);
	if (lp_walk_lead(&c, &i) < 0)
		return -1;
	lp_scan_init(&c.sc, p, len);
	if (lp_walk_series(&c, &i, m) < 0) {
		lp_metric_reset(m);
		return -1;
	}
	m->line = (struct lp_slice){NULL, 0, LP_ESC_NONE};
	return 0;
}
