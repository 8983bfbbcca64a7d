/*
 * lp_write.c: the writer, byte for byte what Telegraf's influx serializer
 * (plugins/serializers/influx) produces for the same metric.
 *
 * Telegraf's rules: tags sorted by key, a tag dropped when its key or
 * value is empty or becomes empty once trailing backslashes are trimmed
 * (no escape can carry them); escapes "\t \n \f \r" as backslash-letter plus
 * "space ," in names, "space , =" in keys and tag values, '"' and '\' in
 * string values; floats via lp_format_float; uint clipped to INT64_MAX
 * unless asked for; NaN and Inf fields dropped; a field key that repeats
 * keeps its first place and its last value (Telegraf's AddField).
 *
 * Where Telegraf writes a line that no parser reads back as meant (a name
 * or field key ending in a backslash), telex trims the backslashes as
 * Telegraf does for tags.
 *
 * A parsed name, key or tag value already holds the text Telegraf would
 * write for it, as long as it goes back to the section it was parsed from
 * (for valid lines the parser's unescaping is the inverse of Telegraf's
 * escaping there), so it is copied. String values are not: the parser
 * turns "\n" into a newline but keeps "\x", which Telegraf writes "\\x".
 */
#include "lp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum lp_ctx { LP_CTX_NAME, LP_CTX_KEY, LP_CTX_STRING };

/* For each context, the letter written after the backslash for a byte that
 * needs one, or 0. */
static const char lp_esc_name[256] = {
    ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f',
    ['\r'] = 'r', [' '] = ' ',	[','] = ',',
};
static const char lp_esc_key[256] = {
    ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
    [' '] = ' ',  [','] = ',',	['='] = '=',
};
static const char lp_esc_string[256] = {
    ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f',
    ['\r'] = 'r', ['"'] = '"',	['\\'] = '\\',
};

static const char *const lp_esc_tables[3] = {lp_esc_name, lp_esc_key,
					     lp_esc_string};
static const unsigned char lp_ctx_kind[3] = {LP_ESC_NAME, LP_ESC_KEY,
					     LP_ESC_STRING};

/* What "\c" stands for in a parsed slice of that kind, or 0. */
static char lp_unescape_char(unsigned char kind, char c)
{
	switch (kind) {
	case LP_ESC_KEY:
		return (c == ',' || c == '=' || c == ' ') ? c : 0;
	case LP_ESC_NAME:
		return (c == ',' || c == ' ') ? c : 0;
	case LP_ESC_STRING:
		return c == '\\' || c == '"' ? c
		       : c == 'n'	     ? '\n'
		       : c == 'r'	     ? '\r'
		       : c == 't'	     ? '\t'
					     : 0;
	}
	return 0;
}

/*
 * Append the escaped form of s for the context; returns the number of
 * bytes written, or (size_t)-1 when out of memory. Names and keys lose
 * their trailing backslashes.
 */
static size_t lp_put_escaped(struct buf *out, const struct lp_slice *s,
			     enum lp_ctx ctx)
{
	char *w = buf_reserve(out, 2 * s->len + 1);
	if (!w)
		return (size_t)-1;
	char *start = w;
	const char *p = s->ptr, *end = s->ptr + s->len;
	if (ctx != LP_CTX_STRING && s->escaped == lp_ctx_kind[ctx]) {
		memcpy(w, p, s->len);
		w += s->len;
	} else {
		const char *tab = lp_esc_tables[ctx];
		while (p < end) {
			char c = *p++;
			if (c == '\\' && s->escaped && p < end) {
				char u = lp_unescape_char(s->escaped, *p);
				if (u) {
					c = u;
					p++;
				}
			}
			char e = tab[(unsigned char)c];
			if (e) {
				*w++ = '\\';
				*w++ = e;
			} else {
				*w++ = c;
			}
		}
	}
	if (ctx != LP_CTX_STRING)
		while (w > start && w[-1] == '\\')
			w--;
	size_t n = (size_t)(w - start);
	out->len += n;
	return n;
}

static int lp_tag_index_cmp(const void *a, const void *b, void *arg)
{
	const struct lp_tag *tags = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = lp_slice_cmp(&tags[i].key, &tags[j].key);
	if (c)
		return c;
	return (i > j) - (i < j);
}

/* Write ",key=value" for each tag in key order, the last of equal keys. */
static int lp_put_tags(struct buf *out, const struct lp_metric *m)
{
	size_t n = m->ntags;
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = lp_slice_cmp(&m->tags[i - 1].key, &m->tags[i].key) < 0;
	size_t stack[64];
	size_t *order = NULL;
	if (!sorted) {
		order = n <= 64 ? stack : malloc(n * sizeof(*order));
		if (!order)
			return -1;
		for (size_t i = 0; i < n; i++)
			order[i] = i;
		qsort_r(order, n, sizeof(*order), lp_tag_index_cmp,
			(void *)m->tags);
	}
	int rc = 0;
	for (size_t k = 0; k < n; k++) {
		const struct lp_tag *t = &m->tags[order ? order[k] : k];
		if (order && k + 1 < n &&
		    lp_slice_cmp(&t->key, &m->tags[order[k + 1]].key) == 0)
			continue;
		size_t mark = out->len;
		if (buf_putc(out, ',') < 0) {
			rc = -1;
			break;
		}
		size_t kn = lp_put_escaped(out, &t->key, LP_CTX_KEY);
		if (kn == (size_t)-1 || buf_putc(out, '=') < 0) {
			rc = -1;
			break;
		}
		size_t vn = lp_put_escaped(out, &t->value, LP_CTX_KEY);
		if (vn == (size_t)-1) {
			rc = -1;
			break;
		}
		if (kn == 0 || vn == 0)
			out->len = mark;
	}
	if (order && order != stack)
		free(order);
	return rc;
}

/* A cheap fingerprint of a key, to notice repeated field keys without
 * comparing every pair. */
static uint64_t lp_key_bit(const struct lp_slice *k)
{
	unsigned h = (unsigned)k->len * 31;
	if (k->len)
		h += (unsigned char)k->ptr[0] * 7 +
		     (unsigned char)k->ptr[k->len - 1];
	return UINT64_C(1) << (h & 63);
}

/* Index of the field whose value is written in place of field i: the last
 * field of the same key. Returns (size_t)-1 when an earlier field has the
 * key (field i was written there). */
static size_t lp_field_source(const struct lp_metric *m, size_t i)
{
	const struct lp_slice *k = &m->fields[i].key;
	for (size_t j = 0; j < i; j++)
		if (lp_slice_cmp(&m->fields[j].key, k) == 0)
			return (size_t)-1;
	size_t src = i;
	for (size_t j = i + 1; j < m->nfields; j++)
		if (lp_slice_cmp(&m->fields[j].key, k) == 0)
			src = j;
	return src;
}

/* Append "value" of f; 0 when the field is dropped (NaN, Inf), -1 when
 * out of memory, else 1. */
static int lp_put_value(struct buf *out, const struct lp_field *f,
			unsigned flags)
{
	char *w;
	switch (f->type) {
	case LP_FLOAT: {
		w = buf_reserve(out, LP_FLOAT_MAX);
		if (!w)
			return -1;
		size_t n = lp_format_float(f->v.f, w);
		out->len += n;
		return n ? 1 : 0;
	}
	case LP_INT:
		if (!(w = buf_reserve(out, 22)))
			return -1;
		w += lp_format_int(f->v.i, w);
		*w++ = 'i';
		break;
	case LP_UINT:
		if (!(w = buf_reserve(out, 22)))
			return -1;
		if (flags & LP_WRITE_UINT) {
			w += lp_format_uint(f->v.u, w);
			*w++ = 'u';
		} else {
			uint64_t u = f->v.u > INT64_MAX ? INT64_MAX : f->v.u;
			w += lp_format_uint(u, w);
			*w++ = 'i';
		}
		break;
	case LP_BOOL:
		if (!(w = buf_reserve(out, 5)))
			return -1;
		memcpy(w, f->v.b ? "true" : "false", f->v.b ? 4 : 5);
		w += f->v.b ? 4 : 5;
		break;
	case LP_STRING:
		if (buf_putc(out, '"') < 0 ||
		    lp_put_escaped(out, &f->v.s, LP_CTX_STRING) == (size_t)-1 ||
		    buf_putc(out, '"') < 0)
			return -1;
		return 1;
	default:
		return 0;
	}
	out->len = (size_t)(w - out->data);
	return 1;
}

/* Write the fields; returns how many were written, or -1. */
static long lp_put_fields(struct buf *out, const struct lp_metric *m,
			  unsigned flags)
{
	uint64_t seen = 0;
	bool repeats = false;
	for (size_t i = 0; i < m->nfields && !repeats; i++) {
		uint64_t bit = lp_key_bit(&m->fields[i].key);
		repeats = seen & bit;
		seen |= bit;
	}
	long written = 0;
	for (size_t i = 0; i < m->nfields; i++) {
		size_t src = repeats ? lp_field_source(m, i) : i;
		if (src == (size_t)-1)
			continue;
		size_t mark = out->len;
		if (written && buf_putc(out, ',') < 0)
			return -1;
		size_t kn = lp_put_escaped(out, &m->fields[i].key, LP_CTX_KEY);
		if (kn == (size_t)-1 || buf_putc(out, '=') < 0)
			return -1;
		int rc = kn ? lp_put_value(out, &m->fields[src], flags) : 0;
		if (rc < 0)
			return -1;
		if (rc == 0)
			out->len = mark;
		else
			written++;
	}
	return written;
}

static void lp_write_error(struct lp_error *err, const struct lp_metric *m,
			   const char *why)
{
	if (!err)
		return;
	err->line = 0;
	err->column = 0;
	char name[64];
	struct lp_slice s = m->name;
	if (s.len > sizeof(name) - 1)
		s.len = sizeof(name) - 1;
	size_t n = lp_unescape(&s, name);
	snprintf(err->msg, sizeof(err->msg), "cannot write metric \"%.*s\": %s",
		 (int)n, name, why);
}

int lp_write_metric(struct buf *out, const struct lp_metric *m, unsigned flags,
		    struct lp_error *err)
{
	size_t mark = out->len;
	const char *why = "out of memory";
	size_t nn = lp_put_escaped(out, &m->name, LP_CTX_NAME);
	if (nn == (size_t)-1)
		goto fail;
	if (nn == 0) {
		why = "empty measurement name";
		goto fail;
	}
	if (lp_put_tags(out, m) < 0 || buf_putc(out, ' ') < 0)
		goto fail;
	long nf = lp_put_fields(out, m, flags);
	if (nf < 0)
		goto fail;
	if (nf == 0) {
		why = "no field left to write (NaN, Inf and empty keys are "
		      "dropped)";
		goto fail;
	}
	char *w = buf_reserve(out, 22);
	if (!w)
		goto fail;
	if (m->has_time) {
		*w++ = ' ';
		w += lp_format_int(m->time, w);
	}
	*w++ = '\n';
	out->len = (size_t)(w - out->data);
	return 0;
fail:
	out->len = mark;
	lp_write_error(err, m, why);
	return -1;
}
