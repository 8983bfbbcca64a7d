/*
 * lp_split.c: metric boundaries in a byte stream, blank lines, and the
 * reader that splits and parses a whole buffer.
 *
 * A metric ends at the first '\n' that is not inside a string field value.
 * Most lines hold no '"' before their first '\n', and then that is the end:
 * one search for either byte. A line with a quote is walked by its structure,
 * enough to know where string values are:
 *
 *   - leading spaces, then '#' starts a comment that ends at the '\n';
 *   - the head (measurement and tags) ends at the first space that does
 *     not follow a backslash (there "\ " is always an escaped space);
 *   - in the field section a '"' opens a string only right after an '='
 *     that does not follow a backslash, i.e. as a field value; a string
 *     ends at the next '"' after an even run of backslashes ("\\" and
 *     "\"" are its escapes); a space outside strings that does not follow
 *     a backslash starts the timestamp, where only '\n' matters.
 *
 * For valid lines this is exactly the parser's reading; an invalid line
 * gets some boundary, the same however the stream is cut into pieces, and
 * the parser reports its error.
 *
 * Once a string has crossed a newline, the walk looks no further than
 * span_max bytes from the metric's start: the bound is a property of the
 * text, so it cuts at the same place however the stream arrives.
 */
#include "lp_internal.h"

#include <stdio.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum {
	LP_SPLIT_FAST = 0, /* no '"' seen in this metric yet */
	LP_SPLIT_LEAD,	   /* leading spaces */
	LP_SPLIT_COMMENT,
	LP_SPLIT_HEAD,
	LP_SPLIT_FIELDS,
	LP_SPLIT_STRING,
	LP_SPLIT_TIME,
};

void lp_splitter_init(struct lp_splitter *s)
{
	s->line = 1;
	s->scanned = 0;
	s->state = LP_SPLIT_FAST;
	s->lines_in = 0;
	s->span_max = LP_SPLIT_SPAN_MAX;
	s->cut = false;
	s->single = 0;
}

void lp_splitter_resync(struct lp_splitter *s, size_t line, size_t lines)
{
	s->line = line;
	s->scanned = 0;
	s->state = LP_SPLIT_FAST;
	s->lines_in = 0;
	s->cut = false;
	s->single = lines;
}

static size_t lp_split_done(struct lp_splitter *s, const char *buf, size_t nl,
			    size_t *text_len)
{
	size_t t = nl;
	if (t > 0 && buf[t - 1] == '\r')
		t--;
	*text_len = t;
	s->line += 1 + s->lines_in;
	s->scanned = 0;
	s->state = LP_SPLIT_FAST;
	s->lines_in = 0;
	s->cut = false;
	return nl + 1;
}

/* The metric at buf spans lines and passed span_max: its first physical
 * line (which holds the '"' that opened the string) is returned alone, and
 * the lines scanned after it are split one by one. */
static size_t lp_split_cut(struct lp_splitter *s, const char *buf, size_t len,
			   size_t *text_len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t swallowed = s->lines_in;
	s->lines_in = 0;
	size_t n = lp_split_done(s, buf, (size_t)(nl - buf), text_len);
	s->cut = true;
	s->single = swallowed;
	return n;
}

static size_t lp_count_newlines(const char *p, size_t n)
{
	size_t c = 0;
	const char *end = p + n;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		c++;
		p++;
	}
	return c;
}

size_t lp_splitter_reject(struct lp_splitter *s, const char *p, size_t text_len,
			  size_t line, size_t *first_len)
{
	size_t len = (size_t)((const char *)memchr(p, '\n', text_len) - p);
	lp_splitter_resync(s, line + 1, lp_count_newlines(p, text_len));
	*first_len = len && p[len - 1] == '\r' ? len - 1 : len;
	return len + 1;
}

/* Index of the first of the three bytes in buf[i..n), or n. The last
 * partial block is read as the 16 bytes that end at n. */
static inline size_t lp_find3(const char *buf, size_t i, size_t n, char a,
			      char b, char c)
{
#ifdef __SSE2__
	__m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b),
		vc = _mm_set1_epi8(c);
	while (i < n && n >= 16) {
		size_t at = i + 16 <= n ? i : n - 16;
		__m128i x = _mm_loadu_si128((const __m128i *)(buf + at));
		__m128i m = _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
		    _mm_cmpeq_epi8(x, vc));
		unsigned bits = (unsigned)_mm_movemask_epi8(m) >> (i - at);
		if (bits)
			return i + (size_t)__builtin_ctz(bits);
		if (at != i)
			return n;
		i += 16;
	}
#endif
	for (; i < n; i++)
		if (buf[i] == a || buf[i] == b || buf[i] == c)
			return i;
	return n;
}

enum { LP_WALK_MORE, LP_WALK_END, LP_WALK_OVER };

/* The walk over one piece of a metric: the bytes buf[0..n) it may look at
 * (n shrinks to span_max once a string crossed a line), the state, and
 * how it stopped. */
struct lp_split_walk {
	const char *buf;
	size_t n, max;
	int st;
	bool found; /* the terminating '\n' is at the index returned */
	bool over;  /* a string crossed a line and span_max passed */
};

/* Each step goes on from buf[i] in its state and returns where the walk
 * goes on (n: the piece is used up). */

static inline size_t lp_split_lead(struct lp_split_walk *w, size_t i)
{
	while (i < w->n && w->buf[i] == ' ')
		i++;
	if (i == w->n)
		return i;
	if (w->buf[i] == '\n') {
		w->found = true;
		return i;
	}
	w->st = w->buf[i] == '#' ? LP_SPLIT_COMMENT : LP_SPLIT_HEAD;
	return i + 1;
}

/* A comment or the timestamp: only the '\n' matters. */
static inline size_t lp_split_rest(struct lp_split_walk *w, size_t i)
{
	const char *nl = memchr(w->buf + i, '\n', w->n - i);
	if (!nl)
		return w->n;
	w->found = true;
	return (size_t)(nl - w->buf);
}

/* A space ends the head (or the fields) unless a backslash escapes it. */
static inline size_t lp_split_head(struct lp_split_walk *w, size_t i)
{
	i = lp_find3(w->buf, i, w->n, ' ', '\n', '\n');
	if (i == w->n)
		return i;
	if (w->buf[i] == '\n') {
		w->found = true;
		return i;
	}
	if (w->buf[i - 1] != '\\')
		w->st = LP_SPLIT_FIELDS;
	return i + 1;
}

/* A '"' right after an unescaped '=' opens a string value. */
static inline size_t lp_split_fields(struct lp_split_walk *w, size_t i)
{
	const char *buf = w->buf;
	i = lp_find3(buf, i, w->n, ' ', '\n', '"');
	if (i == w->n)
		return i;
	if (buf[i] == '\n') {
		w->found = true;
		return i;
	}
	if (buf[i] == ' ') {
		if (buf[i - 1] != '\\')
			w->st = LP_SPLIT_TIME;
	} else if (i >= 2 && buf[i - 1] == '=' && buf[i - 2] != '\\') {
		w->st = LP_SPLIT_STRING;
	}
	return i + 1;
}

/* In a string a '\n' is content, counted (the terminator must then come
 * within span_max); a '"' after an even run of backslashes closes it. */
static inline size_t lp_split_string(struct lp_splitter *s,
				     struct lp_split_walk *w, size_t i)
{
	const char *buf = w->buf;
	i = lp_find3(buf, i, w->n, '"', '\n', '"');
	if (i == w->n)
		return i;
	if (buf[i] == '\n') {
		s->lines_in++;
		if (i + 1 >= w->max) {
			w->over = true;
			return i;
		}
		if (w->n > w->max)
			w->n = w->max;
		return i + 1;
	}
	size_t k = i;
	while (buf[k - 1] == '\\')
		k--;
	if ((i - k) % 2 == 0)
		w->st = LP_SPLIT_FIELDS;
	return i + 1;
}

/* The structural walk, resumable at any byte. LP_WALK_END with *end at the
 * terminating '\n'; LP_WALK_MORE (state saved) when buf ends first;
 * LP_WALK_OVER when the metric spans lines and its first span_max bytes
 * hold no terminator. */
static int lp_split_walk(struct lp_splitter *s, const char *buf, size_t n,
			 size_t *end)
{
	struct lp_split_walk w = {buf, n, s->span_max, s->state, false, false};
	if (s->lines_in && w.n > w.max)
		w.n = w.max;
	size_t i = s->scanned;
	while (i < w.n && !w.found && !w.over) {
		switch (w.st) {
		case LP_SPLIT_LEAD:
			i = lp_split_lead(&w, i);
			break;
		case LP_SPLIT_COMMENT:
		case LP_SPLIT_TIME:
			i = lp_split_rest(&w, i);
			break;
		case LP_SPLIT_HEAD:
			i = lp_split_head(&w, i);
			break;
		case LP_SPLIT_FIELDS:
			i = lp_split_fields(&w, i);
			break;
		case LP_SPLIT_STRING:
			i = lp_split_string(s, &w, i);
			break;
		}
	}
	if (w.found) {
		*end = i;
		return LP_WALK_END;
	}
	if (w.over)
		return LP_WALK_OVER;
	s->scanned = w.n;
	s->state = w.st;
	return s->lines_in && w.n >= w.max ? LP_WALK_OVER : LP_WALK_MORE;
}

size_t lp_split_next(struct lp_splitter *s, const char *buf, size_t len,
		     size_t *text_len)
{
	if (s->single) {
		const char *nl =
		    memchr(buf + s->scanned, '\n', len - s->scanned);
		if (!nl) {
			s->scanned = len;
			return 0;
		}
		s->single--;
		return lp_split_done(s, buf, (size_t)(nl - buf), text_len);
	}
	if (s->state == LP_SPLIT_FAST) {
		size_t i = lp_find3(buf, s->scanned, len, '\n', '"', '\n');
		if (i < len && buf[i] == '\n')
			return lp_split_done(s, buf, i, text_len);
		if (i == len) {
			s->scanned = len;
			return 0;
		}
		/* A quote: walk the metric from its start. */
		s->state = LP_SPLIT_LEAD;
		s->scanned = 0;
		s->lines_in = 0;
	}
	size_t nl = 0;
	switch (lp_split_walk(s, buf, len, &nl)) {
	case LP_WALK_END:
		return lp_split_done(s, buf, nl, text_len);
	case LP_WALK_OVER:
		return lp_split_cut(s, buf, len, text_len);
	}
	return 0;
}

bool lp_line_is_blank(const char *p, size_t len)
{
	/* A '\r' that ended the input is a terminator too. */
	if (len && p[len - 1] == '\r')
		len--;
	size_t i = 0;
	while (i < len && p[i] == ' ')
		i++;
	if (i == len)
		return true;
	if (p[i] != '#')
		return false;
	/* A comment holds printable bytes only; else it is an error. */
	for (i++; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */

void lp_reader_init(struct lp_reader *r, const char *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	lp_splitter_init(&r->split);
}

enum lp_read_result lp_reader_next(struct lp_reader *r, struct lp_metric *m,
				   struct lp_error *err)
{
	while (r->pos < r->len) {
		const char *p = r->buf + r->pos;
		size_t rest = r->len - r->pos;
		size_t first = r->split.line;
		size_t text;
		size_t n = lp_split_next(&r->split, p, rest, &text);
		if (n == 0) {
			/* The last metric, without its terminator. */
			n = text = rest;
			if (text && p[text - 1] == '\r')
				text--;
			lp_splitter_resync(
			    &r->split, first + lp_count_newlines(p, rest), 0);
		}
		if (lp_line_is_blank(p, text)) {
			r->pos += n;
			continue;
		}
		if (lp_parse_line(p, text, first, m, err) == 0) {
			r->pos += n;
			return LP_READ_METRIC;
		}
		/* An invalid metric over several lines: a '"' opened on its
		 * first line swallowed the lines after it. That line is the
		 * bad one; the next is read again as a metric of its own. */
		if (!memchr(p, '\n', text)) {
			r->pos += n;
			if (r->split.cut && err) {
				size_t l = strlen(err->msg);
				snprintf(err->msg + l, sizeof(err->msg) - l,
					 " (%s)", LP_SPLIT_CUT_REASON);
			}
			return LP_READ_INVALID;
		}
		size_t line_len;
		r->pos +=
		    lp_splitter_reject(&r->split, p, text, first, &line_len);
		return lp_parse_line(p, line_len, first, m, err) == 0
			   ? LP_READ_METRIC
			   : LP_READ_INVALID;
	}
	return LP_READ_END;
}
