/*
 * config_common.c: Telegraf's per-plugin keys in the program's table.
 *
 * Three groups, as Telegraf's config.go reads them (buildInput,
 * buildOutput, buildFilter, missingTomlField):
 *  - keys that act inside the program and fill struct telex_common
 *    (filters, renames, [NAME.tags], log_level);
 *  - agent-level keys that only make sense to Telegraf's scheduler
 *    (interval, alias, flush_interval, ...): accepted so a native config
 *    works unchanged, and named in one info line saying telex ignores them;
 *  - metricpass (a CEL expression): refused, since ignoring a selection
 *    would let through metrics the operator meant to drop.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "telex/filter.h"
#include "telex/log.h"

#define COMMON(field) offsetof(struct telex_common, field)

/* log_level: Telegraf's names, any case ("warning" too). */
static int common_check_log_level(const void *value, struct cfg_problem *p)
{
	const char *level = *(char *const *)value;
	if (log_level_parse(level) >= 0)
		return 0;
	return cfg_refuse(p,
			  "unknown log_level \"%.40s\"; use one of error, "
			  "warn, info, debug, trace",
			  level);
}

#define COMMON_OPT(key, kind, ...)                                             \
	{                                                                      \
		.name = #key, .type = kind, .offset = COMMON(key), __VA_ARGS__ \
	}

/* Keys stored as they are. */
static const struct cfg_option common_opts[] = {
    COMMON_OPT(name_override, CFG_STRING),
    COMMON_OPT(name_prefix, CFG_STRING),
    COMMON_OPT(name_suffix, CFG_STRING),
    COMMON_OPT(tags, CFG_STRING_MAP),
    COMMON_OPT(namepass_separator, CFG_STRING),
    COMMON_OPT(namedrop_separator, CFG_STRING),
    COMMON_OPT(log_level, CFG_STRING, .check = common_check_log_level),
    {.name = NULL},
};

/* Lists: each key appends to its target, so the old names and the new
 * ones combine as in Telegraf. fieldpass/fielddrop are what Telegraf 1.25
 * knows (1.29 renamed them), so they are aliases without a warning. */
struct common_list {
	const char *name;
	size_t offset;
	const char *alias_of; /* another key's list (freed with that key) */
	const char *since;    /* deprecated since this Telegraf: warn */
};

static const struct common_list common_lists[] = {
    {"namepass", COMMON(namepass), NULL, NULL},
    {"namedrop", COMMON(namedrop), NULL, NULL},
    {"fieldinclude", COMMON(fieldinclude), NULL, NULL},
    {"fieldexclude", COMMON(fieldexclude), NULL, NULL},
    {"fieldpass", COMMON(fieldinclude), "fieldinclude", NULL},
    {"fielddrop", COMMON(fieldexclude), "fieldexclude", NULL},
    {"pass", COMMON(fieldinclude), "fieldpass", "0.10.4"},
    {"drop", COMMON(fieldexclude), "fielddrop", "0.10.4"},
    {"taginclude", COMMON(taginclude), NULL, NULL},
    {"tagexclude", COMMON(tagexclude), NULL, NULL},
    {NULL, 0, NULL, NULL},
};

/* Telegraf reads these for its own scheduling and buffering; inside an
 * execd program they cannot act (set them on [[inputs.execd]] or
 * [[outputs.execd]] instead). The durations are still checked. */
static const char *const common_agent_durations[] = {
    "interval",
    "precision",
    "collection_jitter",
    "collection_offset",
    "flush_interval",
    "flush_jitter",
    NULL,
};

static const char *const common_agent_other[] = {
    "alias",
    "time_source",
    "startup_error_behavior",
    "metric_batch_size",
    "metric_buffer_limit",
    "buffer_strategy",
    "buffer_directory",
    "always_include_local_tags",
    "always_include_global_tags",
    "data_format",
    "id",
    "order",
    NULL,
};

const char *const cfg_common_names[] = {
    "name_override",
    "name_prefix",
    "name_suffix",
    "tags",
    "namepass",
    "namedrop",
    "fieldinclude",
    "fieldexclude",
    "fieldpass",
    "fielddrop",
    "taginclude",
    "tagexclude",
    "tagpass",
    "tagdrop",
    "namepass_separator",
    "namedrop_separator",
    "log_level",
    "interval",
    "alias",
    "precision",
    "collection_jitter",
    "collection_offset",
    "flush_interval",
    "flush_jitter",
    "metric_batch_size",
    "metric_buffer_limit",
    NULL,
};

static bool common_in(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

/* Each pattern of a filter list compiles (filter.c compiles them for use
 * after loading, where the line is no longer known). */
static int common_check_globs(const void *value, struct cfg_problem *p)
{
	const struct cfg_strv *v = value;
	for (size_t i = 0; i < v->n; i++) {
		const struct cfg_strv one = {&v->v[i], 1, true};
		struct glob_list *g = glob_list_new(&one, p->why, p->whylen);
		if (!g) {
			p->item = i + 1;
			return -1;
		}
		glob_list_free(g);
	}
	return 0;
}

/* Append the strings of list value v to dst. */
static int common_append(const struct cfg_ctx *cx, const struct cfg_kv *kv,
			 struct cfg_strv *dst)
{
	struct cfg_strv tmp = {0};
	const struct cfg_option o = {.name = kv->key,
				     .type = CFG_STRING_LIST,
				     .check = common_check_globs};
	if (cfg_apply_option(cx, &o, &tmp, kv->key, kv->val)) {
		cfg_option_free(&o, &tmp); /* a pattern its check refused */
		return -1;
	}
	char **v = realloc(dst->v, (dst->n + tmp.n + 1) * sizeof(*v));
	if (!v) {
		cfg_option_free(&o, &tmp);
		cfg_errf(cx->err, cx->errlen, cx->src, kv->pos, false,
			 "out of memory");
		return -1;
	}
	memcpy(v + dst->n, tmp.v, tmp.n * sizeof(*v));
	dst->v = v;
	dst->n += tmp.n;
	dst->v[dst->n] = NULL;
	dst->set = true;
	free(tmp.v);
	return 0;
}

static void common_listmap_free(struct cfg_listmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		for (size_t k = 0; k < m->values[i].n; k++)
			free(m->values[i].v[k]);
		free(m->values[i].v);
	}
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

/* [NAME.tagpass] / [NAME.tagdrop]: tag key = ["glob", ...]. */
static int common_tagfilter(const struct cfg_ctx *cx, const struct cfg_kv *kv,
			    struct cfg_listmap *dst)
{
	const struct cfg_value *v = kv->val;
	if (v->kind != CFG_TV_TABLE) {
		cfg_errf(cx->err, cx->errlen, cx->src, v->pos, false,
			 "bad value for \"%s\" in %s: expected a table of tag "
			 "key = [\"pattern\", ...] entries, got %s",
			 kv->key, cx->table_name, cfg_toml_kind_name(v->kind));
		return -1;
	}
	const struct cfg_table *t = v->u.t;
	struct cfg_listmap m = {0};
	m.keys = calloc(t->n + 1, sizeof(*m.keys));
	m.values = calloc(t->n + 1, sizeof(*m.values));
	if (!m.keys || !m.values)
		goto oom;
	for (size_t i = 0; i < t->n; i++) {
		char path[300];
		snprintf(path, sizeof(path), "%s.%s", kv->key, t->kv[i].key);
		const struct cfg_option o = {.name = path,
					     .type = CFG_STRING_LIST,
					     .check = common_check_globs};
		m.keys[i] = cfg_strndup(t->kv[i].key, strlen(t->kv[i].key));
		m.n = i + 1;
		if (!m.keys[i])
			goto oom;
		if (cfg_apply_option(cx, &o, &m.values[i], path,
				     t->kv[i].val)) {
			common_listmap_free(&m);
			return -1;
		}
	}
	common_listmap_free(dst);
	*dst = m;
	return 0;
oom:
	common_listmap_free(&m);
	cfg_errf(cx->err, cx->errlen, cx->src, v->pos, false, "out of memory");
	return -1;
}

static void common_note_agent(struct cfg_common_ctx *cc, const char *key)
{
	size_t room = sizeof(cc->agent) - cc->agent_len;
	int k = snprintf(cc->agent + cc->agent_len, room, "%s%s",
			 cc->agent_len ? ", " : "", key);
	if (k > 0 && (size_t)k < room)
		cc->agent_len += (size_t)k;
}

int cfg_common_key(const struct cfg_ctx *cx, const struct cfg_kv *kv, void *arg)
{
	struct cfg_common_ctx *cc = arg;
	struct telex_common *c = cc->c;
	const char *key = kv->key;
	if (strcmp(key, "tags") == 0 && !cc->for_input) {
		cfg_warn_at(cx->src, kv->pos,
			    "\"tags\" in %s is ignored: Telegraf "
			    "adds plugin tags to inputs only",
			    cx->table_name);
		return 1;
	}
	for (const struct cfg_option *o = common_opts; o->name; o++)
		if (strcmp(o->name, key) == 0)
			return cfg_apply_option(cx, o, c, key, kv->val) ? -1
									: 1;
	for (const struct common_list *l = common_lists; l->name; l++) {
		if (strcmp(l->name, key) != 0)
			continue;
		if (l->since)
			cfg_warn_at(cx->src, kv->pos,
				    "\"%s\" is deprecated since "
				    "Telegraf %s: use \"%s\"",
				    key, l->since, l->alias_of);
		return common_append(cx, kv,
				     (struct cfg_strv *)((char *)c + l->offset))
			   ? -1
			   : 1;
	}
	if (strcmp(key, "tagpass") == 0 || strcmp(key, "tagdrop") == 0)
		return common_tagfilter(
			   cx, kv, key[3] == 'p' ? &c->tagpass : &c->tagdrop)
			   ? -1
			   : 1;
	if (strcmp(key, "metricpass") == 0) {
		cfg_errf(cx->err, cx->errlen, cx->src, kv->pos, false,
			 "\"metricpass\" (a CEL expression) is not supported "
			 "by telex; select with namepass/namedrop/tagpass/"
			 "tagdrop, or filter in Telegraf");
		return -1;
	}
	if (common_in(common_agent_durations, key)) {
		const struct cfg_option o = {.name = key, .type = CFG_DURATION};
		int64_t ns;
		if (kv->val->kind == CFG_TV_STRING &&
		    cfg_apply_value(cx, &o, &ns, key, kv->val))
			return -1;
		common_note_agent(cc, key);
		return 1;
	}
	if (common_in(common_agent_other, key)) {
		common_note_agent(cc, key);
		return 1;
	}
	return 0;
}

void cfg_common_free(struct telex_common *c)
{
	for (const struct cfg_option *o = common_opts; o->name; o++)
		cfg_option_free(o, c);
	for (const struct common_list *l = common_lists; l->name; l++) {
		if (l->alias_of)
			continue;
		const struct cfg_option o = {.name = l->name,
					     .type = CFG_STRING_LIST,
					     .offset = l->offset};
		cfg_option_free(&o, c);
	}
	common_listmap_free(&c->tagpass);
	common_listmap_free(&c->tagdrop);
}
