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
 * is an error. Tokens are read by config_toml_lex.c and
 * config_toml_string.c.
 *
 * The tree lives in one arena; nothing is freed piecemeal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_toml.h"

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
		/* A secret key's value stays hidden up to the ',' or '}'. */
		bool secret = p->secret;
		if (toml_keyval(p, t) || toml_space(p))
			return -1;
		if (p->i >= p->n)
			return toml_err(p, open,
					"inline table not closed "
					"(missing '}')");
		char c = p->s[p->i];
		if (c != ',' && c != '}') {
			char b[16];
			return toml_err(p, p->i,
					"expected ',' or '}' in the inline "
					"table, found %s",
					toml_what(p, b, sizeof(b)));
		}
		p->secret = secret;
		if (c == '}')
			break;
		p->i++;
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
	/* Set until the caller has checked what follows the value. */
	if (cfg_key_is_secret(p->spec, parts[n - 1]))
		p->secret = true;
	struct cfg_value *v;
	if (toml_value(p, &v))
		return -1;
	return toml_table_add(p, t, parts[n - 1], pos[n - 1], v);
}

/* A table header being read: [a.b.c] or [[a.b.c]] (aot). */
struct toml_header {
	size_t open; /* its '[' */
	bool aot;
	const char *parts[TOML_MAX_KEY_PARTS];
	size_t pos[TOML_MAX_KEY_PARTS];
	int n;
};

/* The key of the header at p->i and its closing bracket(s). */
static int toml_header_key(struct toml_parser *p, struct toml_header *h)
{
	h->open = p->i;
	h->aot = p->i + 1 < p->n && p->s[p->i + 1] == '[';
	p->i += h->aot ? 2 : 1;
	toml_ws(p);
	h->n = toml_key(p, h->parts, h->pos);
	if (h->n < 0)
		return -1;
	if (p->i >= p->n || p->s[p->i] != ']' ||
	    (h->aot && (p->i + 1 >= p->n || p->s[p->i + 1] != ']'))) {
		char b[16];
		return toml_err(p, p->i,
				"expected '%s' to close the table header, "
				"found %s",
				h->aot ? "]]" : "]",
				toml_what(p, b, sizeof(b)));
	}
	p->i += h->aot ? 2 : 1;
	return 0;
}

/* A new table as the next element of array a. */
static int toml_array_new_table(struct toml_parser *p, struct cfg_array *a,
				size_t open, struct cfg_table **t)
{
	struct cfg_table *nt = toml_table_new(p, open, CFG_TABLE_HEADER);
	struct cfg_value *tv = toml_value_new(p, CFG_TV_TABLE, open);
	if (!nt || !tv)
		return toml_oom(p);
	tv->u.t = nt;
	if (toml_array_add(p, a, tv))
		return -1;
	*t = nt;
	return 0;
}

/* Part k does not exist under *t: a new table (implicit unless it is the
 * last part), in a new array of tables for the last part of [[...]]. *t
 * becomes the new table. */
static int toml_header_create(struct toml_parser *p,
			      const struct toml_header *h, int k,
			      struct cfg_table **t)
{
	bool last = k == h->n - 1;
	bool array = h->aot && last;
	struct cfg_value *v =
	    toml_value_new(p, array ? CFG_TV_ARRAY : CFG_TV_TABLE, h->open);
	struct cfg_table *nt = NULL;
	if (!v)
		return toml_oom(p);
	if (array) {
		struct cfg_array *a = arena_alloc(&p->doc->arena, sizeof(*a));
		if (!a)
			return toml_oom(p);
		memset(a, 0, sizeof(*a));
		a->of_tables = true;
		v->u.a = a;
		if (toml_array_new_table(p, a, h->open, &nt))
			return -1;
	} else {
		nt = toml_table_new(
		    p, h->open, last ? CFG_TABLE_HEADER : CFG_TABLE_IMPLICIT);
		if (!nt)
			return toml_oom(p);
		v->u.t = nt;
	}
	if (toml_table_add(p, *t, h->parts[k], h->pos[k], v))
		return -1;
	*t = nt;
	return 0;
}

/* Part k is an array of tables (first set at `line`): [[...]] adds an
 * element, a longer header goes into its last element, [...] of it is an
 * error. */
static int toml_header_array(struct toml_parser *p, const struct toml_header *h,
			     int k, struct cfg_array *a, size_t line,
			     struct cfg_table **t)
{
	bool last = k == h->n - 1;
	if (last && h->aot)
		return toml_array_new_table(p, a, h->open, t);
	if (last)
		return toml_err(p, h->pos[k],
				"[%s] is already an array of tables ([[%s]], "
				"line %zu)",
				h->parts[k], h->parts[k], line);
	*t = a->items[a->n - 1]->u.t;
	return 0;
}

/* Part k is value v (first set at `line`): it must be a table, and as the
 * last part of [...] one that only a longer header made so far. */
static int toml_header_table(struct toml_parser *p, const struct toml_header *h,
			     int k, struct cfg_value *v, size_t line,
			     struct cfg_table **t)
{
	const char *part = h->parts[k];
	if (v->kind != CFG_TV_TABLE || (v->u.t->flags & CFG_TABLE_INLINE))
		return toml_err(p, h->pos[k],
				"\"%s\" is already set to a value on line "
				"%zu; it cannot also be a table",
				part, line);
	*t = v->u.t;
	if (k < h->n - 1)
		return 0;
	if (h->aot)
		return toml_err(p, h->pos[k],
				"[[%s]]: \"%s\" is already a table (line %zu)",
				part, part, line);
	if (!((*t)->flags & CFG_TABLE_IMPLICIT))
		return toml_err(p, h->open,
				"table [%s] is defined twice (first on line "
				"%zu)",
				part, line);
	(*t)->flags =
	    ((*t)->flags & ~(unsigned)CFG_TABLE_IMPLICIT) | CFG_TABLE_HEADER;
	(*t)->pos = h->open;
	return 0;
}

/* [a.b.c] or [[a.b.c]] at p->i; sets *cur to the table that follows. */
static int toml_header(struct toml_parser *p, struct cfg_table **cur)
{
	struct toml_header h;
	if (toml_header_key(p, &h))
		return -1;
	struct cfg_table *t = p->doc->root;
	for (int k = 0; k < h.n; k++) {
		const struct cfg_kv *kv = cfg_toml_get(t, h.parts[k]);
		if (!kv) {
			if (toml_header_create(p, &h, k, &t))
				return -1;
			continue;
		}
		size_t line, col;
		cfg_src_pos(p->doc->src, kv->pos, &line, &col);
		struct cfg_value *v = kv->val;
		int rc = v->kind == CFG_TV_ARRAY && v->u.a->of_tables
			     ? toml_header_array(p, &h, k, v->u.a, line, &t)
			     : toml_header_table(p, &h, k, v, line, &t);
		if (rc)
			return -1;
	}
	*cur = t;
	return toml_end_of_line(p, "the table header");
}

int cfg_toml_parse(struct cfg_doc *doc, const struct cfg_src *src,
		   const struct cfg_spec *spec, char *err, size_t errlen)
{
	memset(doc, 0, sizeof(*doc));
	doc->src = src;
	struct toml_parser p = {.doc = doc,
				.s = src->text,
				.n = src->len,
				.err = err,
				.errlen = errlen,
				.spec = spec};
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
		p.secret = false;
		if (rc)
			return -1;
	}
}

void cfg_toml_free(struct cfg_doc *doc)
{
	arena_free(&doc->arena);
	doc->root = NULL;
}
