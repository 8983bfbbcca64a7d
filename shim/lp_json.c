/*
 * lp_json.c: Telegraf's JSON metric format (plugins/serializers/json),
 * written byte for byte as Telegraf writes it and read back with json-c.
 *
 * Telegraf builds a Go map per metric and lets encoding/json marshal it, so
 * the output has Go's rules: object keys sorted ("fields", "name", "tags",
 * "timestamp", and the field and tag keys inside), a repeated key keeps its
 * last value, floats as strconv 'f' -1 between 1e-6 and 1e21 and 'e' -1
 * outside ("1e+21", "1e-7"), NaN and Inf fields left out, strings with
 * '"', '\\', \b \f \n \r \t escaped, other control bytes and the
 * HTML-sensitive < > & as \u00XX, U+2028/U+2029 as \u2028/\u2029, and each
 * invalid UTF-8 byte as \ufffd. The timestamp is the time in nanoseconds
 * divided (toward zero) by the unit, which Telegraf first rounds down to a
 * power of ten.
 */
#include "telex/lp_json.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_internal.h"
#include "lp_scan.h"

/* ------------------------------------------------------------------ */
/* Writer */

static const char lp_json_hex[] = "0123456789abcdef";

/* A byte >= 0x80 at p[i] (n bytes in all) as JSON writes it: a valid
 * sequence as is, but U+2028 and U+2029 escaped (as Go does, for
 * JavaScript); an invalid byte as \ufffd. Returns the next w; *i moves on. */
static inline char *lp_json_put_utf8(char *w, const unsigned char *p, size_t n,
				     size_t *i)
{
	size_t l = lp_utf8_len(p + *i, n - *i);
	if (l == 0) {
		memcpy(w, "\\ufffd", 6);
		*i += 1;
		return w + 6;
	}
	if (l == 3 && p[*i] == 0xe2 && p[*i + 1] == 0x80 &&
	    (p[*i + 2] == 0xa8 || p[*i + 2] == 0xa9)) {
		memcpy(w, p[*i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
		*i += 3;
		return w + 6;
	}
	memcpy(w, p + *i, l);
	*i += l;
	return w + l;
}

/* An ASCII byte as JSON writes it: control bytes, '"' and '\\' escaped,
 * and '<', '>', '&' as \u00XX (Go's HTML-safe default). */
static inline char *lp_json_put_ascii(char *w, unsigned char c)
{
	if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' &&
	    c != '&') {
		*w++ = (char)c;
		return w;
	}
	*w++ = '\\';
	switch (c) {
	case '"':
	case '\\':
		*w++ = (char)c;
		return w;
	case '\b':
		*w++ = 'b';
		return w;
	case '\f':
		*w++ = 'f';
		return w;
	case '\n':
		*w++ = 'n';
		return w;
	case '\r':
		*w++ = 'r';
		return w;
	case '\t':
		*w++ = 't';
		return w;
	}
	*w++ = 'u';
	*w++ = '0';
	*w++ = '0';
	*w++ = lp_json_hex[c >> 4];
	*w++ = lp_json_hex[c & 15];
	return w;
}

/* Append the JSON string of the unescaped value of s. */
static int lp_json_put_string(struct buf *out, const struct lp_slice *s)
{
	char stack[256];
	char *tmp = stack;
	const char *src = s->ptr;
	size_t n = s->len;
	if (s->escaped) {
		if (n > sizeof(stack) && !(tmp = malloc(n)))
			return -1;
		n = lp_unescape(s, tmp);
		src = tmp;
	}
	/* Worst case: every byte becomes \ufffd (6 bytes). */
	char *w = buf_reserve(out, 6 * n + 2);
	if (w) {
		char *start = w;
		const unsigned char *p = (const unsigned char *)src;
		*w++ = '"';
		for (size_t i = 0; i < n;)
			w = p[i] >= 0x80 ? lp_json_put_utf8(w, p, n, &i)
					 : lp_json_put_ascii(w, p[i++]);
		*w++ = '"';
		out->len += (size_t)(w - start);
	}
	if (tmp != stack)
		free(tmp);
	return w ? 0 : -1;
}

/* Go's encoding/json float: 'f' -1 in [1e-6, 1e21), else 'e' -1 with
 * the exponent's leading zero dropped ("1e-07" -> "1e-7"). */
static size_t lp_json_format_float(double v, char *out)
{
	double a = fabs(v);
	if (a == 0 || (a >= 1e-6 && a < 1e21))
		return lp_format_float(v, out);
	char *p = out;
	if (v < 0)
		*p++ = '-';
	char d[17];
	int point;
	size_t n = lp_float_shortest_exact(a, d, &point);
	*p++ = d[0];
	if (n > 1) {
		*p++ = '.';
		memcpy(p, d + 1, n - 1);
		p += n - 1;
	}
	int e = point - 1;
	*p++ = 'e';
	*p++ = e < 0 ? '-' : '+';
	p += lp_format_int(e < 0 ? -e : e, p);
	return (size_t)(p - out);
}

static int lp_json_put_value(struct buf *out, const struct lp_field *f)
{
	char *w = buf_reserve(out, LP_FLOAT_MAX);
	if (!w)
		return -1;
	switch (f->type) {
	case LP_FLOAT:
		out->len += lp_json_format_float(f->v.f, w);
		return 0;
	case LP_INT:
		out->len += lp_format_int(f->v.i, w);
		return 0;
	case LP_UINT:
		out->len += lp_format_uint(f->v.u, w);
		return 0;
	case LP_BOOL:
		return buf_append(out, f->v.b ? "true" : "false",
				  f->v.b ? 4 : 5);
	case LP_STRING:
		return lp_json_put_string(out, &f->v.s);
	}
	return -1;
}

static bool lp_json_field_ok(const struct lp_field *f)
{
	if (f->type == LP_FLOAT)
		return isfinite(f->v.f);
	return f->type >= LP_FLOAT && f->type <= LP_STRING;
}

/* Sort keys as Go sorts map keys; equal keys by position, so that the
 * last one can win. */
struct lp_json_key {
	const struct lp_slice *key;
	size_t index;
};

static int lp_json_key_cmp(const void *a, const void *b)
{
	const struct lp_json_key *x = a, *y = b;
	int c = lp_slice_cmp(x->key, y->key);
	if (c)
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

/* Sorted order of n keys: the key is the first member of the elements of
 * `array`, `stride` bytes apart. The caller frees the result unless it is
 * `stack`. */
static struct lp_json_key *lp_json_sorted(const void *array, size_t stride,
					  size_t n, struct lp_json_key *stack,
					  size_t nstack)
{
	if (n == 0)
		return stack;
	struct lp_json_key *k = n <= nstack ? stack : malloc(n * sizeof(*k));
	if (!k)
		return NULL;
	bool sorted = true;
	for (size_t i = 0; i < n; i++) {
		k[i].key =
		    (const struct lp_slice *)((const char *)array + i * stride);
		k[i].index = i;
		if (i > 0 && sorted)
			sorted = lp_slice_cmp(k[i - 1].key, k[i].key) < 0;
	}
	if (!sorted)
		qsort(k, n, sizeof(*k), lp_json_key_cmp);
	return k;
}

static int lp_json_put_fields(struct buf *out, const struct lp_metric *m,
			      size_t *written)
{
	struct lp_json_key stack[32];
	struct lp_json_key *k = lp_json_sorted(
	    m->fields, sizeof(struct lp_field), m->nfields, stack, 32);
	if (!k)
		return -1;
	int rc = buf_append(out, "\"fields\":{", 10);
	*written = 0;
	for (size_t i = 0; i < m->nfields && rc == 0; i++) {
		if (i + 1 < m->nfields &&
		    lp_slice_cmp(k[i].key, k[i + 1].key) == 0)
			continue;
		const struct lp_field *f = &m->fields[k[i].index];
		if (!lp_json_field_ok(f))
			continue;
		if ((*written && buf_putc(out, ',') < 0) ||
		    lp_json_put_string(out, &f->key) < 0 ||
		    buf_putc(out, ':') < 0 || lp_json_put_value(out, f) < 0)
			rc = -1;
		(*written)++;
	}
	if (k != stack)
		free(k);
	return rc < 0 ? -1 : buf_putc(out, '}');
}

static int lp_json_put_tags(struct buf *out, const struct lp_metric *m)
{
	struct lp_json_key stack[32];
	struct lp_json_key *k =
	    lp_json_sorted(m->tags, sizeof(struct lp_tag), m->ntags, stack, 32);
	if (!k)
		return -1;
	int rc = buf_append(out, "\"tags\":{", 8);
	bool first = true;
	for (size_t i = 0; i < m->ntags && rc == 0; i++) {
		if (i + 1 < m->ntags &&
		    lp_slice_cmp(k[i].key, k[i + 1].key) == 0)
			continue;
		const struct lp_tag *t = &m->tags[k[i].index];
		if ((!first && buf_putc(out, ',') < 0) ||
		    lp_json_put_string(out, &t->key) < 0 ||
		    buf_putc(out, ':') < 0 ||
		    lp_json_put_string(out, &t->value) < 0)
			rc = -1;
		first = false;
	}
	if (k != stack)
		free(k);
	return rc < 0 ? -1 : buf_putc(out, '}');
}

/* Telegraf rounds the unit down to a power of ten; 0 or less is 1 s. */
static int64_t lp_json_unit(int64_t unit_ns)
{
	if (unit_ns <= 0)
		return LP_JSON_DEFAULT_UNIT_NS;
	int64_t d = 1;
	while (d <= unit_ns / 10)
		d *= 10;
	return d;
}

int lp_json_write(struct buf *out, const struct lp_metric *m, int64_t unit_ns,
		  struct lp_error *err)
{
	size_t mark = out->len, nfields;
	const char *why = "out of memory";
	if (buf_putc(out, '{') < 0 || lp_json_put_fields(out, m, &nfields) < 0)
		goto fail;
	if (nfields == 0) {
		why = "no field left to write (NaN and Inf are dropped)";
		goto fail;
	}
	if (buf_append(out, ",\"name\":", 8) < 0 ||
	    lp_json_put_string(out, &m->name) < 0 || buf_putc(out, ',') < 0 ||
	    lp_json_put_tags(out, m) < 0)
		goto fail;
	if (m->has_time) {
		char *w = buf_reserve(out, 40);
		if (!w)
			goto fail;
		memcpy(w, ",\"timestamp\":", 13);
		size_t n =
		    13 + lp_format_int(m->time / lp_json_unit(unit_ns), w + 13);
		out->len += n;
	}
	if (buf_putc(out, '}') < 0)
		goto fail;
	return 0;
fail:
	out->len = mark;
	if (err) {
		char name[64];
		struct lp_slice s = m->name;
		if (s.len > sizeof(name))
			s.len = sizeof(name);
		size_t n = lp_unescape(&s, name);
		err->line = err->column = 0;
		snprintf(err->msg, sizeof(err->msg),
			 "cannot write metric \"%.*s\" as JSON: %s", (int)n,
			 name, why);
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Reader */

static struct lp_slice lp_json_slice(json_object *s)
{
	return (struct lp_slice){json_object_get_string(s),
				 (size_t)json_object_get_string_len(s),
				 LP_ESC_NONE};
}

static void lp_json_error(struct lp_error *err, size_t index, const char *what,
			  const char *detail)
{
	if (!err)
		return;
	err->line = err->column = 0;
	snprintf(err->msg, sizeof(err->msg), "JSON metric %zu: %s%s%s",
		 index + 1, what, detail ? " " : "", detail ? detail : "");
}

/* A JSON number as a field: integers stay integers (uint64 above
 * INT64_MAX), anything with a fraction or exponent is a float. */
static void lp_json_number(json_object *v, struct lp_field *f)
{
	if (json_object_is_type(v, json_type_double)) {
		f->type = LP_FLOAT;
		f->v.f = json_object_get_double(v);
		return;
	}
	int64_t i = json_object_get_int64(v);
	uint64_t u = json_object_get_uint64(v);
	if (i == INT64_MAX && u > (uint64_t)INT64_MAX) {
		f->type = LP_UINT;
		f->v.u = u;
	} else {
		f->type = LP_INT;
		f->v.i = i;
	}
}

/* The "tags" object of o, when there is one, into m. */
static const char *lp_json_tags(json_object *o, struct lp_metric *m,
				const char **detail)
{
	json_object *tags;
	if (!json_object_object_get_ex(o, "tags", &tags))
		return NULL;
	if (!json_object_is_type(tags, json_type_object))
		return "has \"tags\" that is not an object";
	json_object_object_foreach(tags, k, v)
	{
		*detail = k;
		if (!json_object_is_type(v, json_type_string))
			return "has a tag value that is not a string:";
		if (lp_metric_add_tag(
			m, k, strlen(k), json_object_get_string(v),
			(size_t)json_object_get_string_len(v)) < 0)
			return "out of memory at";
	}
	*detail = NULL;
	return NULL;
}

/* One field's value v into f. */
static const char *lp_json_field(json_object *v, struct lp_field *f)
{
	switch (json_object_get_type(v)) {
	case json_type_int:
	case json_type_double:
		lp_json_number(v, f);
		/* json-c reads NaN and Infinity even when strict. */
		if (f->type == LP_FLOAT && !isfinite(f->v.f))
			return "has a field that is NaN or infinite:";
		return NULL;
	case json_type_boolean:
		f->type = LP_BOOL;
		f->v.b = json_object_get_boolean(v);
		return NULL;
	case json_type_string:
		f->type = LP_STRING;
		f->v.s = lp_json_slice(v);
		return NULL;
	default:
		return "has a field that is not a number, boolean or string:";
	}
}

/* The "fields" object of o (at least one field) into m. */
static const char *lp_json_fields(json_object *o, struct lp_metric *m,
				  const char **detail)
{
	json_object *fields;
	if (!json_object_object_get_ex(o, "fields", &fields) ||
	    !json_object_is_type(fields, json_type_object) ||
	    json_object_object_length(fields) == 0)
		return "has no \"fields\" object with a field";
	json_object_object_foreach(fields, k, v)
	{
		*detail = k;
		struct lp_field *f = lp_metric_grow_fields(m);
		if (!f)
			return "out of memory at";
		f->key = (struct lp_slice){k, strlen(k), LP_ESC_NONE};
		const char *why = lp_json_field(v, f);
		if (why)
			return why;
		m->nfields++;
	}
	*detail = NULL;
	return NULL;
}

/* The "timestamp" of o, when there is one, in units of `unit` ns. */
static const char *lp_json_time(json_object *o, int64_t unit,
				struct lp_metric *m)
{
	json_object *ts;
	int64_t t;
	if (!json_object_object_get_ex(o, "timestamp", &ts))
		return NULL;
	if (json_object_is_type(ts, json_type_int)) {
		int64_t v = json_object_get_int64(ts);
		if (__builtin_mul_overflow(v, unit, &t))
			return "has a timestamp out of range";
	} else if (json_object_is_type(ts, json_type_double)) {
		double d = json_object_get_double(ts) * (double)unit;
		if (!(d > -9.2e18 && d < 9.2e18))
			return "has a timestamp out of range";
		t = (int64_t)d;
	} else {
		return "has a timestamp that is not a number";
	}
	m->time = t;
	m->has_time = true;
	return NULL;
}

/* Fill m from one metric object; NULL when well formed, else why not
 * (detail names the offending key). */
static const char *lp_json_metric(json_object *o, int64_t unit,
				  struct lp_metric *m, const char **detail)
{
	json_object *name;
	const char *why;
	*detail = NULL;
	if (!json_object_is_type(o, json_type_object))
		return "is not an object";
	if (!json_object_object_get_ex(o, "name", &name) ||
	    !json_object_is_type(name, json_type_string) ||
	    json_object_get_string_len(name) == 0)
		return "has no \"name\" string";
	m->name = lp_json_slice(name);
	if ((why = lp_json_tags(o, m, detail)) ||
	    (why = lp_json_fields(o, m, detail)) ||
	    (why = lp_json_time(o, unit, m)))
		return why;
	m->modified = true;
	return NULL;
}

int lp_json_read(const char *p, size_t len, int64_t unit_ns,
		 struct lp_metric *m, lp_json_metric_cb cb, void *arg,
		 struct lp_error *err)
{
	if (len > INT32_MAX) {
		lp_json_error(err, 0, "document too large", NULL);
		return -1;
	}
	json_tokener *tok = json_tokener_new();
	if (!tok) {
		lp_json_error(err, 0, "out of memory", NULL);
		return -1;
	}
	/* Strict: no trailing commas, no single quotes. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *doc = json_tokener_parse_ex(tok, p, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/* Only white space may follow the document. */
	while (doc && end < len &&
	       (p[end] == ' ' || p[end] == '\n' || p[end] == '\r' ||
		p[end] == '\t'))
		end++;
	if (!doc || jerr != json_tokener_success || end != len) {
		if (err) {
			err->line = err->column = 0;
			snprintf(err->msg, sizeof(err->msg),
				 "not a JSON document: %s at byte %zu",
				 doc ? "trailing data"
				     : json_tokener_error_desc(
					   jerr == json_tokener_continue
					       ? json_tokener_error_parse_eof
					       : jerr),
				 end + 1);
		}
		json_object_put(doc);
		return -1;
	}
	int64_t unit = lp_json_unit(unit_ns);
	json_object *list = doc, *batch;
	if (json_object_is_type(doc, json_type_object) &&
	    json_object_object_get_ex(doc, "metrics", &batch) &&
	    json_object_is_type(batch, json_type_array))
		list = batch;
	bool array = json_object_is_type(list, json_type_array);
	size_t n = array ? json_object_array_length(list) : 1;
	int skipped = 0, rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		json_object *o =
		    array ? json_object_array_get_idx(list, i) : doc;
		lp_metric_reset(m);
		const char *detail;
		const char *why = lp_json_metric(o, unit, m, &detail);
		if (why) {
			lp_json_error(err, i, why, detail);
			skipped++;
			continue;
		}
		rc = cb(arg, m);
	}
	lp_metric_reset(m);
	json_object_put(doc);
	return rc ? rc : skipped;
}
