/*
 * filter.c: Telegraf's per-plugin selection and modification of metrics,
 * compiled once from struct telex_common (models/filter.go,
 * models/running_input.go MakeMetric, models/running_output.go).
 *
 * Selection (on the metric as it arrives): namepass and namedrop on the
 * name; tagpass passes a metric when any listed tag has a matching value,
 * tagdrop drops it when any does; with both, it must pass and not be
 * dropped. Modification: fieldinclude/fieldexclude and taginclude/
 * tagexclude remove what does not pass (include first, then exclude).
 * Telegraf quirks kept on purpose: an empty list is no filter at all
 * (namepass = [] passes everything), while a tagpass entry with an empty
 * list matches nothing (so [tagpass] host = [] drops every metric).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telex/filter.h"

struct filter_tag {
	char *key;
	size_t klen;
	struct glob_list *values; /* NULL: an empty list, matches nothing */
};

struct filter_add_tag {
	char *key, *value;
	size_t klen, vlen;
};

struct metric_filter {
	bool for_input;
	bool select, modify, rename, noop;
	struct glob_list *namepass, *namedrop; /* NULL: not configured */
	struct filter_tag *tagpass, *tagdrop;
	size_t ntagpass, ntagdrop;
	struct glob_list *fieldinclude, *fieldexclude;
	struct glob_list *taginclude, *tagexclude;
	char *name_override, *name_prefix, *name_suffix;
	size_t override_len, prefix_len, suffix_len;
	struct filter_add_tag *tags;
	size_t ntags;
};

static int filter_list(struct glob_list **out, const struct cfg_strv *v,
		       const char *seps, const char *what, char *err,
		       size_t errlen)
{
	*out = NULL;
	if (v->n == 0)
		return 0;
	char why[384];
	*out = glob_list_new_sep(v, seps, why, sizeof(why));
	if (!*out) {
		snprintf(err, errlen, "%s: %s", what, why);
		return -1;
	}
	return 0;
}

static int filter_tags(struct filter_tag **out, size_t *n,
		       const struct cfg_listmap *m, const char *what, char *err,
		       size_t errlen)
{
	*n = 0;
	*out = NULL;
	if (m->n == 0)
		return 0;
	*out = calloc(m->n, sizeof(**out));
	if (!*out) {
		snprintf(err, errlen, "%s: out of memory", what);
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct filter_tag *t = &(*out)[i];
		*n = i + 1;
		t->klen = strlen(m->keys[i]);
		t->key = strdup(m->keys[i]);
		if (!t->key) {
			snprintf(err, errlen, "%s: out of memory", what);
			return -1;
		}
		char name[256];
		snprintf(name, sizeof(name), "%s.%s", what, m->keys[i]);
		if (filter_list(&t->values, &m->values[i], NULL, name, err,
				errlen))
			return -1;
	}
	return 0;
}

static int filter_str(char **out, size_t *len, const char *s)
{
	*out = NULL;
	*len = 0;
	if (!s || !*s)
		return 0;
	*len = strlen(s);
	*out = strdup(s);
	return *out ? 0 : -1;
}

struct metric_filter *filter_new(const struct telex_common *c, bool for_input,
				 char *err, size_t errlen)
{
	struct metric_filter *f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->for_input = for_input;
	if (filter_list(&f->namepass, &c->namepass, c->namepass_separator,
			"namepass", err, errlen) ||
	    filter_list(&f->namedrop, &c->namedrop, c->namedrop_separator,
			"namedrop", err, errlen) ||
	    filter_tags(&f->tagpass, &f->ntagpass, &c->tagpass, "tagpass", err,
			errlen) ||
	    filter_tags(&f->tagdrop, &f->ntagdrop, &c->tagdrop, "tagdrop", err,
			errlen) ||
	    filter_list(&f->fieldinclude, &c->fieldinclude, NULL,
			"fieldinclude", err, errlen) ||
	    filter_list(&f->fieldexclude, &c->fieldexclude, NULL,
			"fieldexclude", err, errlen) ||
	    filter_list(&f->taginclude, &c->taginclude, NULL, "taginclude", err,
			errlen) ||
	    filter_list(&f->tagexclude, &c->tagexclude, NULL, "tagexclude", err,
			errlen))
		goto fail;
	if (filter_str(&f->name_override, &f->override_len, c->name_override) ||
	    filter_str(&f->name_prefix, &f->prefix_len, c->name_prefix) ||
	    filter_str(&f->name_suffix, &f->suffix_len, c->name_suffix))
		goto oom;
	if (for_input && c->tags.n) {
		f->tags = calloc(c->tags.n, sizeof(*f->tags));
		if (!f->tags)
			goto oom;
		for (size_t i = 0; i < c->tags.n; i++) {
			struct filter_add_tag *t = &f->tags[i];
			f->ntags = i + 1;
			if (filter_str(&t->key, &t->klen, c->tags.keys[i]) ||
			    filter_str(&t->value, &t->vlen, c->tags.values[i]))
				goto oom;
		}
	}
	f->select = f->namepass || f->namedrop || f->ntagpass || f->ntagdrop;
	f->modify = f->fieldinclude || f->fieldexclude || f->taginclude ||
		    f->tagexclude;
	f->rename = f->name_override || f->name_prefix || f->name_suffix;
	f->noop = !f->select && !f->modify && !f->rename && !f->ntags;
	return f;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	filter_free(f);
	return NULL;
}

void filter_free(struct metric_filter *f)
{
	if (!f)
		return;
	glob_list_free(f->namepass);
	glob_list_free(f->namedrop);
	for (size_t i = 0; i < f->ntagpass; i++) {
		free(f->tagpass[i].key);
		glob_list_free(f->tagpass[i].values);
	}
	for (size_t i = 0; i < f->ntagdrop; i++) {
		free(f->tagdrop[i].key);
		glob_list_free(f->tagdrop[i].values);
	}
	free(f->tagpass);
	free(f->tagdrop);
	glob_list_free(f->fieldinclude);
	glob_list_free(f->fieldexclude);
	glob_list_free(f->taginclude);
	glob_list_free(f->tagexclude);
	free(f->name_override);
	free(f->name_prefix);
	free(f->name_suffix);
	for (size_t i = 0; i < f->ntags; i++) {
		free(f->tags[i].key);
		free(f->tags[i].value);
	}
	free(f->tags);
	free(f);
}

bool filter_is_noop(const struct metric_filter *f)
{
	return !f || f->noop;
}

/* ------------------------------------------------------------------ */
/* Applying */

/* The unescaped text of a slice: the slice itself when it holds no
 * escapes, else a copy in buf (or in the metric's arena when longer).
 * NULL when out of memory. */
static const char *filter_text(struct lp_metric *m, const struct lp_slice *s,
			       char *buf, size_t bufsize, size_t *len)
{
	if (!s->escaped) {
		*len = s->len;
		return s->ptr;
	}
	char *out = s->len <= bufsize ? buf : arena_alloc(&m->arena, s->len);
	if (!out)
		return NULL;
	*len = lp_unescape(s, out);
	return out;
}

static bool filter_match(const struct glob_list *g, struct lp_metric *m,
			 const struct lp_slice *s)
{
	char buf[256];
	size_t len;
	const char *t = filter_text(m, s, buf, sizeof(buf), &len);
	return t && glob_list_match(g, t, len);
}

/* include and exclude as Telegraf's ShouldPassFilters. */
static bool filter_pass(const struct glob_list *include,
			const struct glob_list *exclude, struct lp_metric *m,
			const struct lp_slice *key)
{
	if (include && !filter_match(include, m, key))
		return false;
	return !(exclude && filter_match(exclude, m, key));
}

/* Any configured tag present with a matching value. */
static bool filter_tags_match(const struct filter_tag *tf, size_t n,
			      struct lp_metric *m)
{
	for (size_t i = 0; i < n; i++) {
		if (!tf[i].values)
			continue;
		const struct lp_tag *t =
		    lp_metric_find_tag(m, tf[i].key, tf[i].klen);
		if (t && filter_match(tf[i].values, m, &t->value))
			return true;
	}
	return false;
}

static bool filter_select(const struct metric_filter *f, struct lp_metric *m)
{
	if (f->namepass && !filter_match(f->namepass, m, &m->name))
		return false;
	if (f->namedrop && filter_match(f->namedrop, m, &m->name))
		return false;
	if (f->ntagpass && !filter_tags_match(f->tagpass, f->ntagpass, m))
		return false;
	if (f->ntagdrop && filter_tags_match(f->tagdrop, f->ntagdrop, m))
		return false;
	return true;
}

static void filter_modify(const struct metric_filter *f, struct lp_metric *m)
{
	if (f->fieldinclude || f->fieldexclude) {
		for (size_t i = 0; i < m->nfields;) {
			if (filter_pass(f->fieldinclude, f->fieldexclude, m,
					&m->fields[i].key))
				i++;
			else
				lp_metric_remove_field(m, i);
		}
	}
	if (f->taginclude || f->tagexclude) {
		for (size_t i = 0; i < m->ntags;) {
			if (filter_pass(f->taginclude, f->tagexclude, m,
					&m->tags[i].key))
				i++;
			else
				lp_metric_remove_tag(m, i);
		}
	}
}

/* name_override, then name_prefix + name + name_suffix. */
static bool filter_rename(const struct metric_filter *f, struct lp_metric *m)
{
	char buf[256];
	const char *name;
	size_t len;
	if (f->name_override) {
		name = f->name_override;
		len = f->override_len;
	} else {
		name = filter_text(m, &m->name, buf, sizeof(buf), &len);
		if (!name)
			return false;
	}
	size_t total = f->prefix_len + len + f->suffix_len;
	char *n = arena_alloc(&m->arena, total ? total : 1);
	if (!n)
		return false;
	memcpy(n, f->name_prefix ? f->name_prefix : "", f->prefix_len);
	memcpy(n + f->prefix_len, name, len);
	memcpy(n + f->prefix_len + len, f->name_suffix ? f->name_suffix : "",
	       f->suffix_len);
	return lp_metric_set_name(m, n, total) == 0;
}

/* [NAME.tags]: added where the metric does not have the tag already. */
static bool filter_add_tags(const struct metric_filter *f, struct lp_metric *m)
{
	for (size_t i = 0; i < f->ntags; i++) {
		const struct filter_add_tag *t = &f->tags[i];
		if (lp_metric_find_tag(m, t->key, t->klen))
			continue;
		if (lp_metric_add_tag(m, t->key, t->klen, t->value, t->vlen))
			return false;
	}
	return true;
}

bool filter_apply(const struct metric_filter *f, struct lp_metric *m)
{
	if (!f || f->noop)
		return true;
	if (f->select && !filter_select(f, m))
		return false;
	if (f->for_input) {
		/* Out of memory is a drop the caller counts as such. */
		if ((f->rename && !filter_rename(f, m)) ||
		    !filter_add_tags(f, m))
			return false;
	}
	if (f->modify) {
		filter_modify(f, m);
		if (m->nfields == 0)
			return false;
	}
	if (!f->for_input && f->rename && !filter_rename(f, m))
		return false;
	return true;
}
