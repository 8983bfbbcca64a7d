/*
 * config.c: loading a telex program's config: read the file, expand the
 * environment, parse the TOML, find the program's table, apply it to the
 * declared options and to Telegraf's common keys.
 *
 * Table rules (as Telegraf's Go shim, made explicit):
 *  - The program reads its own table, [[SECTION.NAME]] (or the legacy
 *    [SECTION.NAME]); a file with other tables but not this one is an
 *    error, since the operator almost certainly pointed at the wrong file.
 *    An empty file (or /dev/null, or only comments) means the defaults.
 *  - Only the first [[SECTION.NAME]] is used: one process runs one plugin
 *    instance. Later ones are ignored with a warning.
 *  - Every other table ([[inputs.cpu]], [agent], [global_tags], ...) is
 *    ignored with a warning naming it and its line.
 *  - A key outside any table is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_internal.h"
#include "telex/log.h"

/* Far beyond any real config; keeps a wrong path (a log, a disk image)
 * from being read into memory. */
#define CFG_MAX_FILE (4u << 20)

void cfg_warn_at(const struct cfg_src *src, size_t pos, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t line, col;
	cfg_src_pos(src, pos, &line, &col);
	log_warn("%s:%zu: %s", src->filename, line, msg);
}

int cfg_refuse(struct cfg_problem *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->why, p->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Warn about every plugin table of a section that is not ours. */
static void cfg_warn_section(const struct cfg_spec *spec,
			     const struct cfg_src *src, const char *section,
			     const struct cfg_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct cfg_kv *kv = &t->kv[i];
		if (strcmp(section, spec->section) == 0 &&
		    strcmp(kv->key, spec->name) == 0)
			continue;
		cfg_warn_at(src, kv->val->pos,
			    "[[%s.%s]] is ignored: this program reads only "
			    "[[%s.%s]]",
			    section, kv->key, spec->section, spec->name);
	}
}

/* Find the program's table; warn about the rest. NULL with err set when
 * the table is missing or the file has keys outside any table. */
static const struct cfg_table *cfg_find_table(const struct cfg_spec *spec,
					      const struct cfg_doc *doc,
					      char *err, size_t errlen)
{
	const struct cfg_src *src = doc->src;
	const struct cfg_table *root = doc->root;
	const struct cfg_table *mine = NULL;
	for (size_t i = 0; i < root->n; i++) {
		const struct cfg_kv *kv = &root->kv[i];
		const struct cfg_value *v = kv->val;
		bool is_table = v->kind == CFG_TV_TABLE &&
				!(v->u.t->flags & CFG_TABLE_INLINE) &&
				!(v->u.t->flags & CFG_TABLE_DOTTED);
		bool is_aot = v->kind == CFG_TV_ARRAY && v->u.a->of_tables;
		if (!is_table && !is_aot) {
			cfg_errf(err, errlen, src, kv->pos, false,
				 "\"%s\" is set outside of any table; the "
				 "options of this program belong under "
				 "[[%s.%s]]",
				 kv->key, spec->section, spec->name);
			return NULL;
		}
		if (strcmp(kv->key, "agent") == 0 ||
		    strcmp(kv->key, "global_tags") == 0) {
			cfg_warn_at(src, v->pos,
				    "[%s] is ignored: it is "
				    "Telegraf's own; set it in telegraf.conf",
				    kv->key);
			continue;
		}
		bool section = strcmp(kv->key, "inputs") == 0 ||
			       strcmp(kv->key, "outputs") == 0 ||
			       strcmp(kv->key, "processors") == 0 ||
			       strcmp(kv->key, "aggregators") == 0 ||
			       strcmp(kv->key, "secretstores") == 0;
		if (!section || is_aot) {
			cfg_warn_at(src, v->pos,
				    "[%s] is ignored: this "
				    "program reads only [[%s.%s]]",
				    kv->key, spec->section, spec->name);
			continue;
		}
		cfg_warn_section(spec, src, kv->key, v->u.t);
		if (strcmp(kv->key, spec->section) != 0)
			continue;
		const struct cfg_kv *p = cfg_toml_get(v->u.t, spec->name);
		if (!p)
			continue;
		if (p->val->kind == CFG_TV_TABLE) {
			mine = p->val->u.t;
		} else if (p->val->kind == CFG_TV_ARRAY &&
			   p->val->u.a->of_tables) {
			const struct cfg_array *a = p->val->u.a;
			mine = a->items[0]->u.t;
			for (size_t k = 1; k < a->n; k++)
				cfg_warn_at(src, a->items[k]->pos,
					    "this [[%s.%s]] is ignored: one "
					    "telex process runs the first one "
					    "only; start another process with "
					    "its own config for this one",
					    spec->section, spec->name);
		} else {
			cfg_errf(err, errlen, src, p->pos, false,
				 "\"%s.%s\" must be a table [[%s.%s]]",
				 spec->section, spec->name, spec->section,
				 spec->name);
			return NULL;
		}
	}
	if (!mine && root->n == 0) /* empty, or only comments: defaults */
		return root;
	if (!mine) /* at the file's first table */
		cfg_errf(err, errlen, src, root->kv[0].pos, false,
			 "no [[%s.%s]] table: this is the table the program "
			 "reads its options from",
			 spec->section, spec->name);
	return mine;
}

/* The entry of a dotted option path ("topic_suffix.method") under t. */
static const struct cfg_kv *cfg_find_path(const struct cfg_table *t,
					  const char *path)
{
	char head[256];
	size_t n = strcspn(path, ".");
	if (n >= sizeof(head))
		return NULL;
	memcpy(head, path, n);
	head[n] = '\0';
	const struct cfg_kv *kv = cfg_toml_get(t, head);
	if (!kv || !path[n])
		return kv;
	if (kv->val->kind != CFG_TV_TABLE)
		return NULL;
	return cfg_find_path(kv->val->u.t, path + n + 1);
}

/* The spec's finalize, its refusal at the line of the option it names
 * (or of the table's header). */
static int cfg_finalize_table(const struct cfg_spec *spec,
			      const struct cfg_ctx *cx,
			      const struct cfg_table *t, void *config)
{
	if (!spec->finalize)
		return 0;
	char why[768] = "";
	struct cfg_problem p = {.why = why, .whylen = sizeof(why)};
	if (spec->finalize(config, &p) == 0)
		return 0;
	const struct cfg_kv *kv = p.key ? cfg_find_path(t, p.key) : NULL;
	cfg_errf(cx->err, cx->errlen, cx->src, kv ? kv->pos : t->pos, false,
		 "%s: %s", cx->table_name, why);
	return -1;
}

static int cfg_apply_doc(const struct cfg_spec *spec, const struct cfg_doc *doc,
			 void *config, struct telex_common *common, char *err,
			 size_t errlen)
{
	const struct cfg_table *t = cfg_find_table(spec, doc, err, errlen);
	if (!t)
		return -1;
	char name[256];
	snprintf(name, sizeof(name), "[[%s.%s]]", spec->section, spec->name);
	struct cfg_ctx cx = {doc->src, name, err, errlen};
	struct cfg_common_ctx cc = {
	    .c = common, .for_input = strcmp(spec->section, "inputs") == 0};
	if (cfg_apply_table(&cx, spec->options, config, "", name, t,
			    cfg_common_key, &cc, cfg_common_names) ||
	    cfg_finalize_table(spec, &cx, t, config))
		return -1;
	if (cc.agent_len) {
		size_t line, col;
		cfg_src_pos(doc->src, t->pos, &line, &col);
		log_info("%s:%zu: %s: %s %s Telegraf agent setting%s that "
			 "telex does not use; set %s on [[%s.execd]] in "
			 "telegraf.conf",
			 doc->src->filename, line, name, cc.agent,
			 strchr(cc.agent, ',') ? "are" : "is a",
			 strchr(cc.agent, ',') ? "s" : "",
			 strchr(cc.agent, ',') ? "them" : "it", spec->section);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Defaults */

static int cfg_default_one(const struct cfg_option *o, void *base,
			   const char *prefix, char *err, size_t errlen)
{
	if (o->type == CFG_TABLE) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s%s.", prefix, o->name);
		for (const struct cfg_option *s = o->sub; s && s->name; s++)
			if (cfg_default_one(s, (char *)base + o->offset, sub,
					    err, errlen))
				return -1;
		return 0;
	}
	if (!o->default_value || o->type == CFG_IGNORED ||
	    (o->flags & CFG_EXAMPLE))
		return 0;
	/* Parse "v = <default>" exactly as a file would be. */
	char name[300];
	snprintf(name, sizeof(name), "default of option \"%s%s\"", prefix,
		 o->name);
	struct buf b = BUF_INIT;
	if (buf_printf(&b, "v = %s\n", o->default_value) < 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	struct cfg_src src = {
	    .filename = name, .orig = b.data, .orig_len = b.len};
	struct cfg_doc doc = {0};
	int rc = -1;
	char why[512];
	if (cfg_env_expand(&src, false, why, sizeof(why)) == 0 &&
	    cfg_toml_parse(&doc, &src, NULL, why, sizeof(why)) == 0) {
		const struct cfg_kv *kv = cfg_toml_get(doc.root, "v");
		struct cfg_ctx cx = {&src, "the declaration", why, sizeof(why)};
		char path[300];
		snprintf(path, sizeof(path), "%s%s", prefix, o->name);
		if (kv && doc.root->n == 1) {
			rc = cfg_apply_value(&cx, o, base, path, kv->val);
			/* A default is not "present in the file". */
			if (rc == 0 && o->type == CFG_STRING_LIST)
				((struct cfg_strv *)((char *)base + o->offset))
				    ->set = false;
		} else {
			snprintf(why, sizeof(why), "not one value");
		}
	}
	if (rc)
		snprintf(err, errlen,
			 "bad declaration (a bug in the program): "
			 "%s",
			 why);
	cfg_toml_free(&doc);
	cfg_src_free(&src);
	buf_free(&b);
	return rc;
}

static int cfg_defaults_only(const struct cfg_spec *spec, void *config,
			     char *err, size_t errlen)
{
	for (const struct cfg_option *o = spec->options; o && o->name; o++)
		if (cfg_default_one(o, config, "", err, errlen))
			return -1;
	return 0;
}

int cfg_set_defaults(const struct cfg_spec *spec, void *config, char *err,
		     size_t errlen)
{
	if (cfg_defaults_only(spec, config, err, errlen))
		goto fail;
	char why[768] = "";
	struct cfg_problem p = {.why = why, .whylen = sizeof(why)};
	if (!spec->finalize || spec->finalize(config, &p) == 0)
		return 0;
	snprintf(err, errlen, "[[%s.%s]] (no config file, the defaults): %s",
		 spec->section, spec->name, why);
fail:
	cfg_free(spec, config, NULL);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Loading */

int cfg_load_text(const struct cfg_spec *spec, const char *text, size_t len,
		  const char *filename, void *config,
		  struct telex_common *common, char *err, size_t errlen)
{
	memset(common, 0, sizeof(*common));
	if (cfg_defaults_only(spec, config, err, errlen)) {
		cfg_free(spec, config, common);
		return -1;
	}
	struct cfg_src src = {.filename = filename ? filename : "<config>",
			      .orig = text,
			      .orig_len = len};
	struct cfg_doc doc = {0};
	int rc = -1;
	if (cfg_env_expand(&src, true, err, errlen) == 0 &&
	    cfg_toml_parse(&doc, &src, spec, err, errlen) == 0 &&
	    cfg_apply_doc(spec, &doc, config, common, err, errlen) == 0)
		rc = 0;
	cfg_toml_free(&doc);
	cfg_src_free(&src);
	if (rc)
		cfg_free(spec, config, common);
	return rc;
}

int cfg_load_file(const struct cfg_spec *spec, const char *path, void *config,
		  struct telex_common *common, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open the config file: %s",
			 path, strerror(errno));
		return -1;
	}
	/* Not only regular files: /dev/null (no config) and pipes
	 * (-config <(generate)) are fine; the size limit guards the rest. */
	struct stat st;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a config file",
			 path);
		close(fd);
		return -1;
	}
	struct buf b = BUF_INIT;
	for (;;) {
		if (b.len > CFG_MAX_FILE) {
			snprintf(err, errlen,
				 "%s: larger than %u MiB: not a "
				 "config file",
				 path, CFG_MAX_FILE >> 20);
			goto fail;
		}
		char *room = buf_reserve(&b, 65536);
		if (!room) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
		ssize_t n = read(fd, room, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: read failed: %s", path,
				 strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	close(fd);
	int rc = cfg_load_text(spec, b.data ? b.data : "", b.len, path, config,
			       common, err, errlen);
	buf_free(&b);
	return rc;
fail:
	close(fd);
	buf_free(&b);
	memset(common, 0, sizeof(*common));
	return -1;
}

void cfg_free(const struct cfg_spec *spec, void *config,
	      struct telex_common *common)
{
	if (spec && config)
		for (const struct cfg_option *o = spec->options; o && o->name;
		     o++)
			cfg_option_free(o, config);
	if (common)
		cfg_common_free(common);
}
