/*
 * lp_metric.c: the metric model of lp.h: life cycle, builders, lookup,
 * removal, and the unescaping of parsed slices.
 *
 * A metric's tag and field arrays grow by doubling and are kept across
 * lp_metric_reset(), so a metric reused for every line of a stream stops
 * allocating once it has seen its largest line.
 */
#include "telex/lp.h"

#include "lp_internal.h"

#include <stdlib.h>
#include <string.h>

void lp_metric_init(struct lp_metric *m)
{
	memset(m, 0, sizeof(*m));
}

void lp_metric_reset(struct lp_metric *m)
{
	m->name = (struct lp_slice){0};
	m->ntags = 0;
	m->nfields = 0;
	m->time = 0;
	m->has_time = false;
	m->line = (struct lp_slice){0};
	m->modified = false;
	arena_reset(&m->arena);
}

void lp_metric_free(struct lp_metric *m)
{
	free(m->tags);
	free(m->fields);
	arena_free(&m->arena);
	memset(m, 0, sizeof(*m));
}

/* Room for one more tag; the parser uses these too. */
struct lp_tag *lp_metric_grow_tags(struct lp_metric *m)
{
	if (m->ntags < m->tags_cap) /* per tag: no call while there is room */
		return &m->tags[m->ntags];
	struct lp_tag *t =
	    array_grow(m->tags, m->ntags, &m->tags_cap, sizeof(*t), 8);
	if (!t)
		return NULL;
	m->tags = t;
	return &t[m->ntags];
}

struct lp_field *lp_metric_grow_fields(struct lp_metric *m)
{
	if (m->nfields < m->fields_cap)
		return &m->fields[m->nfields];
	struct lp_field *f =
	    array_grow(m->fields, m->nfields, &m->fields_cap, sizeof(*f), 8);
	if (!f)
		return NULL;
	m->fields = f;
	return &f[m->nfields];
}

static struct lp_slice lp_plain(const char *p, size_t n)
{
	return (struct lp_slice){p, n, LP_ESC_NONE};
}

/* A copy in the arena; NULL only when out of memory. */
static const char *lp_metric_copy(struct lp_metric *m, const char *p, size_t n)
{
	char *c = arena_alloc(&m->arena, n ? n : 1);
	if (c && n)
		memcpy(c, p, n);
	return c;
}

int lp_metric_set_name(struct lp_metric *m, const char *name, size_t len)
{
	m->name = lp_plain(name, len);
	m->modified = true;
	return 0;
}

int lp_metric_set_name_copy(struct lp_metric *m, const char *name, size_t len)
{
	const char *c = lp_metric_copy(m, name, len);
	if (!c)
		return -1;
	return lp_metric_set_name(m, c, len);
}

int lp_metric_add_tag(struct lp_metric *m, const char *key, size_t klen,
		      const char *value, size_t vlen)
{
	struct lp_tag *t = lp_metric_grow_tags(m);
	if (!t)
		return -1;
	t->key = lp_plain(key, klen);
	t->value = lp_plain(value, vlen);
	m->ntags++;
	m->modified = true;
	return 0;
}

int lp_metric_set_tag_copy(struct lp_metric *m, const char *key, size_t klen,
			   const char *value, size_t vlen)
{
	const char *v = lp_metric_copy(m, value, vlen);
	if (!v)
		return -1;
	/* Replace every tag of that key: the value is then the same whichever
	 * duplicate a reader takes. */
	bool found = false;
	for (size_t i = 0; i < m->ntags; i++) {
		if (lp_slice_eq(&m->tags[i].key, key, klen)) {
			m->tags[i].value = lp_plain(v, vlen);
			found = true;
		}
	}
	m->modified = true;
	if (found)
		return 0;
	const char *k = lp_metric_copy(m, key, klen);
	if (!k)
		return -1;
	return lp_metric_add_tag(m, k, klen, v, vlen);
}

static struct lp_field *lp_metric_new_field(struct lp_metric *m,
					    const char *key, size_t klen,
					    enum lp_type type)
{
	struct lp_field *f = lp_metric_grow_fields(m);
	if (!f)
		return NULL;
	f->key = lp_plain(key, klen);
	f->type = type;
	m->nfields++;
	m->modified = true;
	return f;
}

/* A field of the value and type in v. */
static int lp_metric_add_value(struct lp_metric *m, const char *key,
			       size_t klen, struct lp_field v)
{
	struct lp_field *f = lp_metric_new_field(m, key, klen, v.type);
	if (!f)
		return -1;
	f->v = v.v;
	return 0;
}

int lp_metric_add_int(struct lp_metric *m, const char *key, size_t klen,
		      int64_t v)
{
	return lp_metric_add_value(m, key, klen,
				   (struct lp_field){.type = LP_INT, .v.i = v});
}

int lp_metric_add_uint(struct lp_metric *m, const char *key, size_t klen,
		       uint64_t v)
{
	return lp_metric_add_value(
	    m, key, klen, (struct lp_field){.type = LP_UINT, .v.u = v});
}

int lp_metric_add_float(struct lp_metric *m, const char *key, size_t klen,
			double v)
{
	return lp_metric_add_value(
	    m, key, klen, (struct lp_field){.type = LP_FLOAT, .v.f = v});
}

int lp_metric_add_bool(struct lp_metric *m, const char *key, size_t klen,
		       bool v)
{
	return lp_metric_add_value(
	    m, key, klen, (struct lp_field){.type = LP_BOOL, .v.b = v});
}

int lp_metric_add_string(struct lp_metric *m, const char *key, size_t klen,
			 const char *v, size_t vlen)
{
	return lp_metric_add_value(
	    m, key, klen,
	    (struct lp_field){.type = LP_STRING, .v.s = lp_plain(v, vlen)});
}

int lp_metric_add_string_copy(struct lp_metric *m, const char *key, size_t klen,
			      const char *v, size_t vlen)
{
	const char *k = lp_metric_copy(m, key, klen);
	const char *c = k ? lp_metric_copy(m, v, vlen) : NULL;
	if (!c)
		return -1;
	return lp_metric_add_string(m, k, klen, c, vlen);
}

void lp_metric_set_time(struct lp_metric *m, int64_t ns)
{
	m->time = ns;
	m->has_time = true;
	m->modified = true;
}

/* lp_slice_eq with the common case (no escapes, another length) decided
 * here: a lookup by a router compares every key of every line. */
static inline bool lp_key_eq(const struct lp_slice *s, const char *p, size_t n)
{
	if (!s->escaped)
		return s->len == n && (n == 0 || memcmp(s->ptr, p, n) == 0);
	return lp_slice_eq(s, p, n);
}

const struct lp_tag *lp_metric_find_tag(const struct lp_metric *m,
					const char *key, size_t klen)
{
	for (size_t i = m->ntags; i-- > 0;)
		if (lp_key_eq(&m->tags[i].key, key, klen))
			return &m->tags[i];
	return NULL;
}

const struct lp_field *lp_metric_find_field(const struct lp_metric *m,
					    const char *key, size_t klen)
{
	for (size_t i = m->nfields; i-- > 0;)
		if (lp_key_eq(&m->fields[i].key, key, klen))
			return &m->fields[i];
	return NULL;
}

void lp_metric_remove_tag(struct lp_metric *m, size_t index)
{
	if (index >= m->ntags)
		return;
	memmove(&m->tags[index], &m->tags[index + 1],
		(m->ntags - index - 1) * sizeof(*m->tags));
	m->ntags--;
	m->modified = true;
}

void lp_metric_remove_field(struct lp_metric *m, size_t index)
{
	if (index >= m->nfields)
		return;
	memmove(&m->fields[index], &m->fields[index + 1],
		(m->nfields - index - 1) * sizeof(*m->fields));
	m->nfields--;
	m->modified = true;
}

/* ------------------------------------------------------------------ */
/* Unescaping. A backslash escapes only the characters of its section's
 * set; before any other character it is literal, and that character is
 * looked at afresh (so "\\," in a tag is a backslash then an escaped
 * comma), as influxdata/line-protocol reads it. */

/* Iterates over the unescaped bytes of a slice. */
struct lp_unesc_iter {
	const char *p, *end;
	unsigned char kind;
};

static inline bool lp_unesc_next(struct lp_unesc_iter *it, char *c)
{
	if (it->p == it->end)
		return false;
	char x = *it->p++;
	if (x == '\\' && it->kind && it->p < it->end) {
		char v = lp_unescape_char(it->kind, *it->p);
		if (v) {
			it->p++;
			x = v;
		}
	}
	*c = x;
	return true;
}

size_t lp_unescape(const struct lp_slice *s, char *out)
{
	if (!s->escaped) {
		if (s->len)
			memcpy(out, s->ptr, s->len);
		return s->len;
	}
	struct lp_unesc_iter it = {s->ptr, s->ptr + s->len, s->escaped};
	size_t n = 0;
	char c;
	while (lp_unesc_next(&it, &c))
		out[n++] = c;
	return n;
}

bool lp_slice_eq(const struct lp_slice *s, const char *p, size_t n)
{
	if (!s->escaped)
		return s->len == n && (n == 0 || memcmp(s->ptr, p, n) == 0);
	if (s->len < n)
		return false;
	struct lp_unesc_iter it = {s->ptr, s->ptr + s->len, s->escaped};
	size_t i = 0;
	char c;
	while (lp_unesc_next(&it, &c)) {
		if (i == n || c != p[i])
			return false;
		i++;
	}
	return i == n;
}

int lp_slice_cmp(const struct lp_slice *a, const struct lp_slice *b)
{
	if (!a->escaped && !b->escaped) {
		size_t n = a->len < b->len ? a->len : b->len;
		int r = n ? memcmp(a->ptr, b->ptr, n) : 0;
		if (r)
			return r;
		return (a->len > b->len) - (a->len < b->len);
	}
	struct lp_unesc_iter ia = {a->ptr, a->ptr + a->len, a->escaped};
	struct lp_unesc_iter ib = {b->ptr, b->ptr + b->len, b->escaped};
	for (;;) {
		char ca, cb;
		bool ha = lp_unesc_next(&ia, &ca);
		bool hb = lp_unesc_next(&ib, &cb);
		if (!ha || !hb)
			return (int)ha - (int)hb;
		if (ca != cb)
			return (unsigned char)ca < (unsigned char)cb ? -1 : 1;
	}
}
