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
 * Telegraf does for tags. Where no escape exists at all (a control byte
 * other than \t \n \f \r, or DEL, in a name, key or tag value; bytes that
 * are not UTF-8 anywhere; a measurement starting with '#', which makes a
 * comment line), the metric is not written: every line telex
 * writes is one its parser, and Telegraf's, accepts. Metrics built from
 * JSON, record headers or libvirt's strings can hold such bytes.
 *
 * A parsed name, key or tag value already holds the text Telegraf would
 * write for it, as long as it goes back to the section it was parsed from
 * (for valid lines the parser's unescaping is the inverse of Telegraf's
 * escaping there), so it is copied. String values are not: the parser
 * turns "\n" into a newline but keeps "\x", which Telegraf writes "\\x".
 */
#include "lp_internal.h"
#include "lp_scan.h" /* lp_utf8_len */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum lp_ctx { LP_CTX_NAME, LP_CTX_KEY, LP_CTX_STRING };

/* For each context, the letter written after the backslash for a byte that
 * needs one, LP_UTF8 for the first byte of a UTF-8 sequence (checked),
 * LP_BAD for a byte that cannot be written at all, or 0. */
#define LP_UTF8 1
#define LP_BAD 2
#define LP_CONTROL_BAD                                                         \
	[0 ... 8] = LP_BAD, [0x0b] = LP_BAD,                                   \
	       [0x0e ... 0x1f] = LP_BAD, [0x7f] = LP_BAD
static const char lp_esc_name[256] = {
    LP_CONTROL_BAD, ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f',
    ['\r'] = 'r',   [' '] = ' ',  [','] = ',',	[0x80 ... 0xff] = LP_UTF8,
};
static const char lp_esc_key[256] = {
    LP_CONTROL_BAD, ['\t'] = 't', ['\n'] = 'n',
    ['\f'] = 'f',   ['\r'] = 'r', [' '] = ' ',
    [','] = ',',    ['='] = '=',  [0x80 ... 0xff] = LP_UTF8,
};
/* A string value holds any byte but '"' and '\\' as it is. */
static const char lp_esc_string[256] = {
    ['\t'] = 't',
    ['\n'] = 'n',
    ['\f'] = 'f',
    ['\r'] = 'r',
    ['"'] = '"',
    ['\\'] = '\\',
    [0x80 ... 0xff] = LP_UTF8,
};

static const char *const lp_esc_tables[3] = {lp_esc_name, lp_esc_key,
					     lp_esc_string};
static const unsigned char lp_ctx_kind[3] = {LP_ESC_NAME, LP_ESC_KEY,
					     LP_ESC_STRING};

/* The escaped text of a plain slice from byte k on, where the first byte
 * needing a look is; *bad is set by a byte that cannot be written. */
static char *lp_esc_from(char *w, const char *p, size_t k, size_t n,
			 const char *tab, bool *bad)
{
	while (k < n) {
		char e = tab[(unsigned char)p[k]];
		if (!e) {
			*w++ = p[k++];
		} else if (e == LP_UTF8) {
			size_t u =
			    lp_utf8_len((const unsigned char *)p + k, n - k);
			if (!u) {
				*bad = true;
				u = 1;
			}
			memcpy(w, p + k, u);
			w += u;
			k += u;
		} else if (e == LP_BAD) {
			*bad = true;
			*w++ = p[k++];
		} else {
			*w++ = '\\';
			*w++ = e;
			k++;
		}
	}
	return w;
}

/*
 * Write the escaped form of s for the context at w (room for 2 * len) and
 * return the end. Names and keys lose their trailing backslashes. *bad is
 * set when s holds a byte the context cannot carry. A slice parsed from
 * the same context is valid as it is.
 */
static char *lp_esc_to(char *w, const struct lp_slice *s, enum lp_ctx ctx,
		       bool *bad)
{
	char *start = w;
	const char *p = s->ptr;
	size_t n = s->len;
	const char *tab = lp_esc_tables[ctx];
	if (ctx != LP_CTX_STRING && s->escaped == lp_ctx_kind[ctx]) {
		memcpy(w, p, n);
		w += n;
	} else if (!s->escaped) {
		/* Mostly nothing to escape: find the first byte that needs
		 * it, copy up to there in one go. */
		size_t k = 0;
		while (k < n && !tab[(unsigned char)p[k]])
			k++;
		memcpy(w, p, k);
		w = lp_esc_from(w + k, p, k, n, tab, bad);
	} else {
		const char *end = p + n;
		while (p < end) {
			char c = *p++;
			if (c == '\\' && p < end) {
				char u = lp_unescape_char(s->escaped, *p);
				if (u) {
					c = u;
					p++;
				}
			}
			/* Parsed text: its UTF-8 is valid already. */
			char e = tab[(unsigned char)c];
			if (e == LP_BAD)
				*bad = true;
			if (e > LP_BAD) {
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
	return w;
}

/* Keys compare often; most differ in their first byte. */
static inline int lp_key_cmp(const struct lp_slice *a, const struct lp_slice *b)
{
	if (!a->escaped && !b->escaped && a->len && b->len &&
	    a->ptr[0] != b->ptr[0])
		return (unsigned char)a->ptr[0] < (unsigned char)b->ptr[0] ? -1
									   : 1;
	return lp_slice_cmp(a, b);
}

static int lp_tag_index_cmp(const void *a, const void *b, void *arg)
{
	const struct lp_tag *tags = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = lp_key_cmp(&tags[i].key, &tags[j].key);
	if (c)
		return c;
	return (i > j) - (i < j);
}

/* Write ",key=value" for each tag in key order, the last of equal keys.
 * Returns the end, or NULL when out of memory. */
static char *lp_put_tags(char *w, const struct lp_metric *m, bool *bad)
{
	size_t n = m->ntags;
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = lp_key_cmp(&m->tags[i - 1].key, &m->tags[i].key) < 0;
	size_t stack[64];
	size_t *order = NULL;
	if (!sorted) {
		order = n <= 64 ? stack : malloc(n * sizeof(*order));
		if (!order)
			return NULL;
		for (size_t i = 0; i < n; i++)
			order[i] = i;
		qsort_r(order, n, sizeof(*order), lp_tag_index_cmp,
			(void *)m->tags);
	}
	for (size_t k = 0; k < n; k++) {
		const struct lp_tag *t = &m->tags[order ? order[k] : k];
		if (order && k + 1 < n &&
		    lp_key_cmp(&t->key, &m->tags[order[k + 1]].key) == 0)
			continue;
		char *mark = w;
		*w++ = ',';
		char *key = w;
		w = lp_esc_to(w, &t->key, LP_CTX_KEY, bad);
		bool empty = w == key;
		*w++ = '=';
		char *val = w;
		w = lp_esc_to(w, &t->value, LP_CTX_KEY, bad);
		if (empty || w == val)
			w = mark;
	}
	if (order && order != stack)
		free(order);
	return w;
}

/* FNV-1a of a key's unescaped bytes: equal keys hash equally however
 * they are escaped. */
static uint32_t lp_key_hash(const struct lp_slice *k)
{
	uint32_t h = 2166136261u;
	const char *p = k->ptr, *end = p + k->len;
	while (p < end) {
		char c = *p++;
		if (c == '\\' && k->escaped && p < end) {
			char u = lp_unescape_char(k->escaped, *p);
			if (u) {
				c = u;
				p++;
			}
		}
		h = (h ^ (unsigned char)c) * 16777619u;
	}
	return h;
}

#define LP_FIELD_SKIP UINT32_MAX
/* Fields up to this many find their repeats without allocating. */
#define LP_FIELDS_ON_STACK 64

/* One slot of the table of field keys seen so far. */
struct lp_key_slot {
	uint32_t hash;
	uint32_t first; /* index + 1 of the first field of the key; 0: free */
};

/*
 * Repeated field keys, through a hash table of the keys (linear in the
 * number of fields; metrics with dozens of fields are common). src[i]
 * becomes the field whose value is written at field i's place, the last
 * one of its key, or LP_FIELD_SKIP when an earlier field has the key.
 * slots holds nslots (a power of two, more than the fields) free slots.
 */
static void lp_field_sources(const struct lp_metric *m, uint32_t *src,
			     struct lp_key_slot *slots, size_t nslots)
{
	size_t mask = nslots - 1;
	for (size_t i = 0; i < m->nfields; i++) {
		const struct lp_slice *k = &m->fields[i].key;
		uint32_t h = lp_key_hash(k);
		src[i] = (uint32_t)i;
		for (size_t s = h & mask;; s = (s + 1) & mask) {
			struct lp_key_slot *slot = &slots[s];
			if (!slot->first) {
				*slot =
				    (struct lp_key_slot){h, (uint32_t)i + 1};
				break;
			}
			size_t f = slot->first - 1;
			if (slot->hash == h &&
			    lp_slice_cmp(&m->fields[f].key, k) == 0) {
				src[f] = (uint32_t)i;
				src[i] = LP_FIELD_SKIP;
				break;
			}
		}
	}
}

/* Write the value of f at w; NULL when the field is dropped (NaN, Inf). */
static char *lp_put_value(char *w, const struct lp_field *f, unsigned flags,
			  bool *bad)
{
	switch (f->type) {
	case LP_FLOAT: {
		size_t n = lp_format_float(f->v.f, w);
		return n ? w + n : NULL;
	}
	case LP_INT:
		w += lp_format_int(f->v.i, w);
		*w++ = 'i';
		return w;
	case LP_UINT:
		if (flags & LP_WRITE_UINT) {
			w += lp_format_uint(f->v.u, w);
			*w++ = 'u';
		} else {
			w += lp_format_uint(
			    f->v.u > INT64_MAX ? INT64_MAX : f->v.u, w);
			*w++ = 'i';
		}
		return w;
	case LP_BOOL:
		if (f->v.b) {
			memcpy(w, "true", 4);
			return w + 4;
		}
		memcpy(w, "false", 5);
		return w + 5;
	case LP_STRING:
		*w++ = '"';
		w = lp_esc_to(w, &f->v.s, LP_CTX_STRING, bad);
		*w++ = '"';
		return w;
	}
	return NULL;
}

/* Write the fields; *count says how many were written. NULL when out of
 * memory. */
static char *lp_put_fields(char *w, const struct lp_metric *m, unsigned flags,
			   size_t *count, bool *bad)
{
	size_t n = m->nfields;
	uint32_t src_stack[LP_FIELDS_ON_STACK];
	struct lp_key_slot slots_stack[2 * LP_FIELDS_ON_STACK];
	uint32_t *src = src_stack;
	struct lp_key_slot *slots = slots_stack;
	size_t nslots = 4;
	while (nslots < 2 * n)
		nslots *= 2;
	void *heap = NULL;
	if (n > LP_FIELDS_ON_STACK) {
		heap = malloc(n * sizeof(*src) + nslots * sizeof(*slots));
		if (!heap)
			return NULL;
		slots = heap;
		src = (uint32_t *)(slots + nslots);
	}
	memset(slots, 0, nslots * sizeof(*slots));
	lp_field_sources(m, src, slots, nslots);
	size_t written = 0;
	for (size_t i = 0; i < n; i++) {
		if (src[i] == LP_FIELD_SKIP)
			continue;
		char *mark = w;
		if (written)
			*w++ = ',';
		char *key = w;
		w = lp_esc_to(w, &m->fields[i].key, LP_CTX_KEY, bad);
		char *v = NULL;
		if (w != key) {
			*w++ = '=';
			v = lp_put_value(w, &m->fields[src[i]], flags, bad);
		}
		if (v) {
			w = v;
			written++;
		} else {
			w = mark;
		}
	}
	free(heap);
	*count = written;
	return w;
}

/* Room the text of m can take at most. */
static size_t lp_write_bound(const struct lp_metric *m)
{
	size_t n = 2 * m->name.len + 2 + 21 + 1;
	for (size_t i = 0; i < m->ntags; i++)
		n += 2 * (m->tags[i].key.len + m->tags[i].value.len) + 2;
	for (size_t i = 0; i < m->nfields; i++) {
		const struct lp_field *f = &m->fields[i];
		n += 2 * f->key.len + 2;
		if (f->type == LP_STRING)
			n += 2 * f->v.s.len + 2;
		else if (f->type == LP_FLOAT)
			n += LP_FLOAT_MAX;
		else
			n += 22;
	}
	return n;
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
	char *start = buf_reserve(out, lp_write_bound(m));
	if (!start) {
		lp_write_error(err, m, "out of memory");
		return -1;
	}
	bool bad = false;
	char *w = lp_esc_to(start, &m->name, LP_CTX_NAME, &bad);
	if (w == start) {
		lp_write_error(err, m, "empty measurement name");
		return -1;
	}
	if (*start == '#') {
		/* No escape for it: the line would be a comment. */
		lp_write_error(err, m,
			       "a measurement starting with '#' would read as "
			       "a comment line");
		return -1;
	}
	w = lp_put_tags(w, m, &bad);
	if (!w) {
		lp_write_error(err, m, "out of memory");
		return -1;
	}
	*w++ = ' ';
	size_t nf;
	w = lp_put_fields(w, m, flags, &nf, &bad);
	if (!w) {
		lp_write_error(err, m, "out of memory");
		return -1;
	}
	if (nf == 0) {
		lp_write_error(err, m,
			       "no field left to write (NaN, Inf and empty "
			       "keys are dropped)");
		return -1;
	}
	if (bad) {
		lp_write_error(err, m,
			       "a name, key or value holds a byte line "
			       "protocol cannot carry (a control character "
			       "other than tab, newline, form feed or carriage "
			       "return, DEL, or bytes that are not UTF-8)");
		return -1;
	}
	if (m->has_time) {
		*w++ = ' ';
		w += lp_format_int(m->time, w);
	}
	*w++ = '\n';
	out->len += (size_t)(w - start);
	return 0;
}
