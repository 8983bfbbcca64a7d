/*
 * config_value.c: one TOML value into one declared option: the type check,
 * the validation (choices, ranges, duration and size syntax) and the
 * storage in the plugin's config struct. Every refusal names the file, the
 * line and the key; a secret's value is never echoed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "telex/log.h"

char *cfg_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static bool value_secret_option(const struct cfg_option *opts, const char *key)
{
	for (const struct cfg_option *o = opts; o && o->name; o++) {
		if ((o->flags & CFG_SECRET) && strcmp(o->name, key) == 0)
			return true;
		if (o->type == CFG_TABLE && value_secret_option(o->sub, key))
			return true;
	}
	return false;
}

bool cfg_key_is_secret(const struct cfg_spec *spec, const char *key)
{
	static const char *const words[] = {"password", "passwd", "pwd",
					    "secret", "token"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(key, words[i]))
			return true;
	return spec && value_secret_option(spec->options, key);
}

static void *value_at(void *base, const struct cfg_option *o)
{
	return (char *)base + o->offset;
}

static void value_strv_free(struct cfg_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

static void value_map_free(struct cfg_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->values[i]);
	}
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

void cfg_option_free(const struct cfg_option *o, void *base)
{
	void *p = value_at(base, o);
	switch (o->type) {
	case CFG_STRING:
		free(*(char **)p);
		*(char **)p = NULL;
		break;
	case CFG_STRING_LIST:
		value_strv_free(p);
		break;
	case CFG_STRING_MAP:
		value_map_free(p);
		break;
	case CFG_TABLE:
		for (const struct cfg_option *s = o->sub; s && s->name; s++)
			cfg_option_free(s, p);
		break;
	default:
		break;
	}
}

static int value_oom(const struct cfg_ctx *cx, const struct cfg_value *v)
{
	cfg_errf(cx->err, cx->errlen, cx->src, v->pos, false, "out of memory");
	return -1;
}

/* "the string \"abc\"", "the integer 5", ... (never a secret's text). */
static const char *value_describe(const struct cfg_value *v, bool secret,
				  char *buf, size_t n)
{
	if (secret)
		return cfg_toml_kind_name(v->kind);
	switch (v->kind) {
	case CFG_TV_STRING:
		snprintf(buf, n, "the string \"%.60s%s\"", v->u.s.ptr,
			 v->u.s.len > 60 ? "..." : "");
		return buf;
	case CFG_TV_INT:
		snprintf(buf, n, "the integer %lld", (long long)v->u.i);
		return buf;
	case CFG_TV_FLOAT:
		snprintf(buf, n, "the float %g", v->u.f);
		return buf;
	case CFG_TV_BOOL:
		snprintf(buf, n, "the boolean %s", v->u.b ? "true" : "false");
		return buf;
	case CFG_TV_ARRAY:
		return v->u.a->of_tables ? "an array of tables ([[...]])"
					 : "an array";
	case CFG_TV_TABLE:
		return "a table";
	}
	return "a value";
}

/* "file:line: bad value for \"key\" in [[inputs.x]]: " + message. */
static int value_bad(const struct cfg_ctx *cx, const struct cfg_value *v,
		     const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int value_bad(const struct cfg_ctx *cx, const struct cfg_value *v,
		     const char *path, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_errf(cx->err, cx->errlen, cx->src, v->pos, false,
		 "bad value for \"%s\" in %s: %s", path, cx->table_name, msg);
	return -1;
}

static int value_type(const struct cfg_ctx *cx, const struct cfg_option *o,
		      const struct cfg_value *v, const char *path,
		      const char *expected)
{
	char b[128];
	return value_bad(
	    cx, v, path, "expected %s, got %s", expected,
	    value_describe(v, o->flags & CFG_SECRET, b, sizeof(b)));
}

static int value_choice(const struct cfg_ctx *cx, const struct cfg_option *o,
			const struct cfg_value *v, const char *path)
{
	if (!o->choices)
		return 0;
	for (const char *const *c = o->choices; *c; c++)
		if (strcmp(*c, v->u.s.ptr) == 0)
			return 0;
	char list[512];
	size_t k = 0;
	list[0] = '\0';
	for (const char *const *c = o->choices; *c && k < sizeof(list); c++)
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s\"%s\"",
				      c == o->choices ? "" : ", ", *c);
	return value_bad(cx, v, path, "\"%.80s\" is not one of %s", v->u.s.ptr,
			 list);
}

static void value_range_text(const struct cfg_option *o, int64_t x, char *buf,
			     size_t n)
{
	if (o->type == CFG_DURATION)
		cfg_format_duration(x, buf, n);
	else if (o->type == CFG_SIZE)
		snprintf(buf, n, "%lld bytes", (long long)x);
	else
		snprintf(buf, n, "%lld", (long long)x);
}

static int value_range(const struct cfg_ctx *cx, const struct cfg_option *o,
		       const struct cfg_value *v, const char *path, int64_t x)
{
	int64_t min = o->min, max = o->max;
	if (min >= max) {
		if (o->type != CFG_DURATION)
			return 0;
		min = 0;
		max = CFG_DURATION_MAX_DEFAULT;
	}
	if (x >= min && x <= max)
		return 0;
	char a[48], lo[48], hi[48];
	value_range_text(o, x, a, sizeof(a));
	value_range_text(o, min, lo, sizeof(lo));
	value_range_text(o, max, hi, sizeof(hi));
	return value_bad(cx, v, path, "%s is out of range (%s to %s)", a, lo,
			 hi);
}

static int value_duration(const struct cfg_ctx *cx, const struct cfg_option *o,
			  const struct cfg_value *v, const char *path,
			  int64_t *out)
{
	if (v->kind == CFG_TV_STRING) {
		if (cfg_parse_duration(v->u.s.ptr, out) == 0)
			return 0;
		return value_bad(cx, v, path,
				 "\"%.60s\" is not a duration "
				 "(write it like \"10s\", \"1m30s\", "
				 "\"500ms\", \"2h\", or a number of seconds)",
				 v->u.s.ptr);
	}
	if (v->kind == CFG_TV_INT) {
		if (v->u.i > INT64_MAX / 1000000000 ||
		    v->u.i < INT64_MIN / 1000000000)
			return value_bad(cx, v, path,
					 "%lld seconds is too long",
					 (long long)v->u.i);
		*out = v->u.i * 1000000000;
		return 0;
	}
	if (v->kind == CFG_TV_FLOAT) {
		double ns = v->u.f * 1e9;
		if (!(ns > -9.2e18 && ns < 9.2e18))
			return value_bad(cx, v, path,
					 "%g seconds is out of "
					 "range",
					 v->u.f);
		*out = (int64_t)ns;
		return 0;
	}
	return value_type(cx, o, v, path, "a duration such as \"10s\"");
}

static int value_size(const struct cfg_ctx *cx, const struct cfg_option *o,
		      const struct cfg_value *v, const char *path, int64_t *out)
{
	if (v->kind == CFG_TV_INT) {
		*out = v->u.i;
		return 0;
	}
	if (v->kind == CFG_TV_STRING) {
		if (cfg_parse_size(v->u.s.ptr, out) == 0)
			return 0;
		return value_bad(cx, v, path,
				 "\"%.60s\" is not a size (write "
				 "it like \"64KiB\", \"1MB\", \"1GiB\" or a "
				 "number of bytes; units are case-sensitive)",
				 v->u.s.ptr);
	}
	return value_type(cx, o, v, path, "a size such as \"64KiB\"");
}

static int value_list(const struct cfg_ctx *cx, const struct cfg_option *o,
		      const struct cfg_value *v, const char *path,
		      struct cfg_strv *out)
{
	if (v->kind != CFG_TV_ARRAY || v->u.a->of_tables)
		return value_type(cx, o, v, path,
				  "an array of strings such as [\"a\", \"b\"]");
	const struct cfg_array *a = v->u.a;
	for (size_t i = 0; i < a->n; i++) {
		const struct cfg_value *e = a->items[i];
		if (e->kind != CFG_TV_STRING) {
			char b[128];
			return value_bad(
			    cx, e, path,
			    "element %zu: expected a "
			    "string, got %s",
			    i + 1, value_describe(e, false, b, sizeof(b)));
		}
		if (value_choice(cx, o, e, path))
			return -1;
	}
	char **vv = calloc(a->n + 1, sizeof(*vv));
	if (!vv)
		return value_oom(cx, v);
	for (size_t i = 0; i < a->n; i++) {
		vv[i] = cfg_strndup(a->items[i]->u.s.ptr, a->items[i]->u.s.len);
		if (!vv[i]) {
			for (size_t k = 0; k < i; k++)
				free(vv[k]);
			free(vv);
			return value_oom(cx, v);
		}
	}
	value_strv_free(out);
	out->v = vv;
	out->n = a->n;
	out->set = true;
	return 0;
}

/* A scalar of a CFG_MAP_SCALARS map as text: strings as they are,
 * numbers in plain decimal (no '_', no 0x), booleans as true/false. */
static char *value_scalar_text(const struct cfg_value *v, const char *raw)
{
	char b[64];
	switch (v->kind) {
	case CFG_TV_STRING:
		return cfg_strndup(v->u.s.ptr, v->u.s.len);
	case CFG_TV_INT:
		snprintf(b, sizeof(b), "%lld", (long long)v->u.i);
		return cfg_strndup(b, strlen(b));
	case CFG_TV_BOOL:
		return cfg_strndup(v->u.b ? "true" : "false", v->u.b ? 4 : 5);
	case CFG_TV_FLOAT: {
		size_t k = 0;
		for (size_t i = v->pos; i < v->end && k + 1 < sizeof(b); i++)
			if (raw[i] != '_' && raw[i] != '+')
				b[k++] = raw[i];
		b[k] = '\0';
		return cfg_strndup(b, k);
	}
	default:
		return NULL;
	}
}

static int value_map(const struct cfg_ctx *cx, const struct cfg_option *o,
		     const struct cfg_value *v, const char *path,
		     struct cfg_map *out)
{
	bool scalars = o->flags & CFG_MAP_SCALARS;
	if (v->kind != CFG_TV_TABLE)
		return value_type(cx, o, v, path,
				  "a table of key = \"value\" entries");
	const struct cfg_table *t = v->u.t;
	for (size_t i = 0; i < t->n; i++) {
		const struct cfg_value *e = t->kv[i].val;
		bool ok = e->kind == CFG_TV_STRING ||
			  (scalars &&
			   (e->kind == CFG_TV_INT || e->kind == CFG_TV_FLOAT ||
			    e->kind == CFG_TV_BOOL));
		if (!ok) {
			char b[128];
			return value_bad(
			    cx, e, path,
			    "\"%s\": expected %s, "
			    "got %s",
			    t->kv[i].key,
			    scalars ? "a string, number or boolean"
				    : "a string",
			    value_describe(e, false, b, sizeof(b)));
		}
	}
	struct cfg_map m = {0};
	m.keys = calloc(t->n + 1, sizeof(char *));
	m.values = calloc(t->n + 1, sizeof(char *));
	if (!m.keys || !m.values) {
		free(m.keys);
		free(m.values);
		return value_oom(cx, v);
	}
	for (size_t i = 0; i < t->n; i++) {
		m.keys[i] = cfg_strndup(t->kv[i].key, strlen(t->kv[i].key));
		m.values[i] = value_scalar_text(t->kv[i].val, cx->src->text);
		m.n = i + 1;
		if (!m.keys[i] || !m.values[i]) {
			value_map_free(&m);
			return value_oom(cx, v);
		}
	}
	value_map_free(out);
	*out = m;
	return 0;
}

static int value_table(const struct cfg_ctx *cx, const struct cfg_option *o,
		       void *sub_base, const char *path,
		       const struct cfg_value *v);

int cfg_apply_value(const struct cfg_ctx *cx, const struct cfg_option *o,
		    void *base, const char *path, const struct cfg_value *v)
{
	void *p = value_at(base, o);
	int64_t x;
	switch (o->type) {
	case CFG_STRING: {
		if (v->kind != CFG_TV_STRING)
			return value_type(cx, o, v, path, "a string in quotes");
		if (value_choice(cx, o, v, path))
			return -1;
		char *s = cfg_strndup(v->u.s.ptr, v->u.s.len);
		if (!s)
			return value_oom(cx, v);
		free(*(char **)p);
		*(char **)p = s;
		return 0;
	}
	case CFG_BOOL:
		if (v->kind != CFG_TV_BOOL)
			return value_type(cx, o, v, path,
					  "true or false (without quotes)");
		*(bool *)p = v->u.b;
		return 0;
	case CFG_INT:
		if (v->kind != CFG_TV_INT)
			return value_type(cx, o, v, path,
					  "an integer (without quotes)");
		if (value_range(cx, o, v, path, v->u.i))
			return -1;
		*(int64_t *)p = v->u.i;
		return 0;
	case CFG_FLOAT: {
		double f;
		if (v->kind == CFG_TV_INT)
			f = (double)v->u.i;
		else if (v->kind == CFG_TV_FLOAT)
			f = v->u.f;
		else
			return value_type(cx, o, v, path,
					  "a number (without quotes)");
		if (!isfinite(f))
			return value_bad(cx, v, path,
					 "expected a finite "
					 "number, got %g",
					 f);
		*(double *)p = f;
		return 0;
	}
	case CFG_DURATION:
		if (value_duration(cx, o, v, path, &x) ||
		    value_range(cx, o, v, path, x))
			return -1;
		*(int64_t *)p = x;
		return 0;
	case CFG_SIZE:
		if (value_size(cx, o, v, path, &x) ||
		    value_range(cx, o, v, path, x))
			return -1;
		*(int64_t *)p = x;
		return 0;
	case CFG_STRING_LIST:
		return value_list(cx, o, v, path, p);
	case CFG_STRING_MAP:
		return value_map(cx, o, v, path, p);
	case CFG_TABLE:
		return value_table(cx, o, p, path, v);
	case CFG_IGNORED:
		return 0;
	}
	cfg_errf(cx->err, cx->errlen, cx->src, v->pos, false,
		 "option \"%s\" has no type (a bug in its declaration)", path);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Sub-tables with declared options, and the "unknown key" message */

/* Edit distance, for "did you mean". Long keys are never close. */
static size_t value_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

int cfg_unknown_key(const struct cfg_ctx *cx, const struct cfg_kv *kv,
		    const char *where, const struct cfg_option *opts,
		    const char *const *more)
{
	const char *best = NULL;
	size_t bestd = 3;
	char list[1024];
	size_t k = 0;
	list[0] = '\0';
	for (const struct cfg_option *o = opts; o && o->name; o++) {
		size_t d = value_distance(kv->key, o->name);
		if (d < bestd) {
			bestd = d;
			best = o->name;
		}
		if (k < sizeof(list))
			k += (size_t)snprintf(list + k, sizeof(list) - k,
					      "%s%s", k ? ", " : "", o->name);
	}
	for (const char *const *m = more; m && *m; m++) {
		size_t d = value_distance(kv->key, *m);
		if (d < bestd) {
			bestd = d;
			best = *m;
		}
	}
	char hint[128] = "";
	if (best)
		snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", best);
	cfg_errf(cx->err, cx->errlen, cx->src, kv->pos, false,
		 "unknown key \"%.80s\" in %s%s; valid keys: %s%s", kv->key,
		 where, hint, k ? list : "(none)",
		 more ? "; and Telegraf's common keys (name_override, tags, "
			"namepass, fieldinclude, taginclude, tagpass, ...)"
		      : "");
	return -1;
}

/* The element of a list or map value a check names (from 1), else v. */
static const struct cfg_value *value_item(const struct cfg_value *v,
					  size_t item)
{
	if (item && v->kind == CFG_TV_ARRAY && item <= v->u.a->n)
		return v->u.a->items[item - 1];
	if (item && v->kind == CFG_TV_TABLE && item <= v->u.t->n)
		return v->u.t->kv[item - 1].val;
	return v;
}

int cfg_apply_option(const struct cfg_ctx *cx, const struct cfg_option *o,
		     void *base, const char *path, const struct cfg_value *v)
{
	if (cfg_apply_value(cx, o, base, path, v))
		return -1;
	if (!o->check)
		return 0;
	char why[768] = "";
	struct cfg_problem p = {.why = why, .whylen = sizeof(why)};
	if (o->check(value_at(base, o), &p) == 0)
		return 0;
	return value_bad(cx, value_item(v, p.item), path, "%s", why);
}

/* The warning for an option that is read but ignored, or deprecated. */
static void option_notice(const struct cfg_ctx *cx, const struct cfg_kv *kv,
			  const struct cfg_option *o, const char *path)
{
	if (o->type != CFG_IGNORED && !(o->flags & CFG_DEPRECATED))
		return;
	cfg_warn_at(cx->src, kv->pos, "\"%s\" in %s is %s%s%s", path,
		    cx->table_name,
		    o->type == CFG_IGNORED ? "ignored" : "deprecated",
		    o->help && *o->help ? ": " : "", o->help ? o->help : "");
}

/* The first required option of opts that table t lacks, as an error at
 * the table's line. */
static int table_required(const struct cfg_ctx *cx,
			  const struct cfg_option *opts, const char *prefix,
			  const char *where, const struct cfg_table *t)
{
	for (const struct cfg_option *o = opts; o && o->name; o++) {
		if (!(o->flags & CFG_REQUIRED) || cfg_toml_get(t, o->name))
			continue;
		size_t line, col;
		cfg_src_pos(cx->src, t->pos, &line, &col);
		snprintf(cx->err, cx->errlen,
			 "%s:%zu: %s is missing the required key \"%s%s\"%s%s",
			 cx->src->filename, line, where, prefix, o->name,
			 o->help && *o->help ? ": " : "",
			 o->help && *o->help ? o->help : "");
		return -1;
	}
	return 0;
}

/* Apply the entries of table v to the options `opts` at base; then check
 * the required ones. `where` names the table in messages. */
int cfg_apply_table(const struct cfg_ctx *cx, const struct cfg_option *opts,
		    void *base, const char *prefix, const char *where,
		    const struct cfg_table *t,
		    int (*other)(const struct cfg_ctx *, const struct cfg_kv *,
				 void *),
		    void *other_arg, const char *const *more)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct cfg_kv *kv = &t->kv[i];
		const struct cfg_option *o = opts;
		while (o && o->name && strcmp(o->name, kv->key) != 0)
			o++;
		if (!o || !o->name) {
			int rc = other ? other(cx, kv, other_arg) : 0;
			if (rc < 0)
				return -1;
			if (rc == 0)
				return cfg_unknown_key(cx, kv, where, opts,
						       more);
			continue;
		}
		char path[256];
		snprintf(path, sizeof(path), "%s%s", prefix, o->name);
		option_notice(cx, kv, o, path);
		if (cfg_apply_option(cx, o, base, path, kv->val))
			return -1;
	}
	return table_required(cx, opts, prefix, where, t);
}

static int value_table(const struct cfg_ctx *cx, const struct cfg_option *o,
		       void *sub_base, const char *path,
		       const struct cfg_value *v)
{
	if (v->kind != CFG_TV_TABLE)
		return value_type(cx, o, v, path,
				  "a table ([...] header or { ... })");
	char where[300], prefix[260];
	/* "[[inputs.x]]" -> "[inputs.x.path]" */
	const char *tn = cx->table_name;
	size_t tl = strlen(tn);
	if (tl > 4 && tn[0] == '[' && tn[1] == '[')
		snprintf(where, sizeof(where), "[%.*s.%s]", (int)(tl - 4),
			 tn + 2, path);
	else
		snprintf(where, sizeof(where), "[%s]", path);
	snprintf(prefix, sizeof(prefix), "%s.", path);
	return cfg_apply_table(cx, o->sub, sub_base, prefix, where, v->u.t,
			       NULL, NULL, NULL);
}
