/*
 * lv_testlib.c: schema checker, metric capture and domain files for the
 * telex-libvirt tests (lv_testlib.h).
 */
#include "lv_testlib.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static char *lvt_strndup(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static const char *lvt_src(void)
{
	const char *src = getenv("TELEX_SRC");
	return src && *src ? src : ".";
}

/* Split s at spaces into out (copies). */
static size_t lvt_words(char *s, char **out, size_t max)
{
	size_t n = 0;
	for (char *w = strtok(s, " \t"); w && n < max; w = strtok(NULL, " \t"))
		out[n++] = lvt_strndup(w, strlen(w));
	return n;
}

int lvt_schema_load(struct lvt_schema *s)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/test/libvirt/schema.txt", lvt_src());
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	memset(s, 0, sizeof(*s));
	char line[2048];
	while (fgets(line, sizeof(line), f) && s->n < 40) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *cols[4] = {0};
		char *p = line;
		for (int i = 0; i < 4; i++) {
			cols[i] = p;
			char *bar = p ? strchr(p, '|') : NULL;
			if (bar) {
				*bar = '\0';
				p = bar + 1;
			} else {
				p = NULL;
			}
		}
		if (!cols[3])
			continue;
		struct lvt_meas *m = &s->m[s->n++];
		char *name[1];
		if (lvt_words(cols[0], name, 1) != 1)
			continue;
		m->name = name[0];
		m->ntags = lvt_words(cols[1], m->tags, 8);
		m->nopt_tags = lvt_words(cols[2], m->opt_tags, 8);
		char *fields[LVT_MAX_NAMES];
		size_t nf = lvt_words(cols[3], fields, LVT_MAX_NAMES);
		for (size_t i = 0; i < nf; i++) {
			char *colon = strrchr(fields[i], ':');
			if (!colon)
				continue;
			*colon = '\0';
			m->fields[m->nfields] = fields[i];
			m->types[m->nfields] = colon[1];
			m->optional[m->nfields] = colon[2] == '?';
			m->nfields++;
		}
	}
	fclose(f);
	return s->n > 0 ? 0 : -1;
}

void lvt_schema_free(struct lvt_schema *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct lvt_meas *m = &s->m[i];
		free(m->name);
		for (size_t k = 0; k < m->ntags; k++)
			free(m->tags[k]);
		for (size_t k = 0; k < m->nopt_tags; k++)
			free(m->opt_tags[k]);
		for (size_t k = 0; k < m->nfields; k++)
			free(m->fields[k]);
	}
	memset(s, 0, sizeof(*s));
}

const struct lvt_meas *lvt_schema_find(const struct lvt_schema *s,
				       const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->m[i].name, name) == 0)
			return &s->m[i];
	return NULL;
}

static char lvt_type_char(enum lp_type t)
{
	switch (t) {
	case LP_INT:
		return 'i';
	case LP_FLOAT:
		return 'f';
	case LP_STRING:
		return 's';
	case LP_UINT:
		return 'u';
	case LP_BOOL:
		return 'b';
	}
	return '?';
}

static bool lvt_in(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

const char *lvt_schema_check(const struct lvt_schema *s,
			     const struct lp_metric *m, bool options, char *msg,
			     size_t n)
{
	char name[256], key[256];
	size_t nl = lp_unescape(&m->name, name);
	name[nl] = '\0';
	const struct lvt_meas *d = lvt_schema_find(s, name);
	if (!d) {
		snprintf(msg, n, "unknown measurement %s", name);
		return msg;
	}
	for (size_t i = 0; i < d->ntags; i++) {
		if (!lp_metric_find_tag(m, d->tags[i], strlen(d->tags[i]))) {
			snprintf(msg, n, "%s: tag %s missing", name,
				 d->tags[i]);
			return msg;
		}
	}
	for (size_t i = 0; i < m->ntags; i++) {
		size_t kl = lp_unescape(&m->tags[i].key, key);
		key[kl] = '\0';
		if (lvt_in(d->tags, d->ntags, key))
			continue;
		if (options && lvt_in(d->opt_tags, d->nopt_tags, key))
			continue;
		snprintf(msg, n, "%s: unexpected tag %s", name, key);
		return msg;
	}
	if (m->nfields == 0) {
		snprintf(msg, n, "%s: no field", name);
		return msg;
	}
	for (size_t i = 0; i < m->nfields; i++) {
		size_t kl = lp_unescape(&m->fields[i].key, key);
		key[kl] = '\0';
		char t = lvt_type_char(m->fields[i].type);
		bool ok = false, known = false;
		for (size_t k = 0; k < d->nfields && !ok; k++) {
			if (d->optional[k] && !options)
				continue;
			if (fnmatch(d->fields[k], key, 0) != 0)
				continue;
			known = true;
			ok = d->types[k] == t;
		}
		if (!ok) {
			snprintf(msg, n, "%s: field %s:%c %s", name, key, t,
				 known ? "has the wrong type" : "is unknown");
			return msg;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */

static char *lvt_slice(const struct lp_slice *s)
{
	char *out = malloc(s->len + 1);
	if (!out)
		abort();
	size_t n = lp_unescape(s, out);
	out[n] = '\0';
	return out;
}

enum telex_emit_result lvt_capture_emit(void *arg, struct lp_metric *m)
{
	struct lvt_capture *c = arg;
	if (c->schema) {
		char msg[512];
		if (lvt_schema_check(c->schema, m, c->options, msg,
				     sizeof(msg))) {
			if (c->violations++ == 0)
				snprintf(c->first_violation,
					 sizeof(c->first_violation), "%s", msg);
		}
	}
	struct lp_error err;
	size_t mark = c->text.len;
	if (lp_write_metric(&c->text, m, 0, &err) < 0) {
		c->unwritable++;
		return TELEX_EMIT_UNWRITABLE;
	}
	/* A metric handed on with its text must be byte for byte what the
	 * writer makes of it: the shim forwards that text as is. */
	if (m->line.ptr && !m->modified) {
		c->with_line++;
		size_t n = c->text.len - mark - 1; /* without '\n' */
		if (n != m->line.len ||
		    memcmp(c->text.data + mark, m->line.ptr, n) != 0) {
			if (c->violations++ == 0)
				snprintf(c->first_violation,
					 sizeof(c->first_violation),
					 "text differs from the writer's:\n"
					 "  %.*s\n  %.*s",
					 (int)m->line.len, m->line.ptr, (int)n,
					 c->text.data + mark);
		}
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		if (!c->v)
			abort();
	}
	struct lvt_metric *x = &c->v[c->n++];
	memset(x, 0, sizeof(*x));
	x->name = lvt_slice(&m->name);
	for (size_t i = 0; i < m->ntags && i < 10; i++) {
		x->tk[i] = lvt_slice(&m->tags[i].key);
		x->tv[i] = lvt_slice(&m->tags[i].value);
		x->ntags++;
	}
	x->f = calloc(m->nfields ? m->nfields : 1, sizeof(*x->f));
	if (!x->f)
		abort();
	for (size_t i = 0; i < m->nfields; i++) {
		const struct lp_field *f = &m->fields[i];
		struct lvt_field *y = &x->f[x->nfields++];
		y->key = lvt_slice(&f->key);
		y->type = f->type;
		switch (f->type) {
		case LP_INT:
			y->i = f->v.i;
			break;
		case LP_UINT:
			y->i = (int64_t)f->v.u;
			break;
		case LP_BOOL:
			y->i = f->v.b;
			break;
		case LP_FLOAT:
			y->f = f->v.f;
			break;
		case LP_STRING:
			y->s = lvt_slice(&f->v.s);
			break;
		}
	}
	x->time = m->time;
	return TELEX_EMIT_QUEUED;
}

void lvt_capture_clear(struct lvt_capture *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct lvt_metric *x = &c->v[i];
		free(x->name);
		for (size_t k = 0; k < x->ntags; k++) {
			free(x->tk[k]);
			free(x->tv[k]);
		}
		for (size_t k = 0; k < x->nfields; k++) {
			free(x->f[k].key);
			free(x->f[k].s);
		}
		free(x->f);
	}
	c->n = 0;
	c->violations = 0;
	c->first_violation[0] = '\0';
	c->unwritable = 0;
	c->with_line = 0;
	buf_clear(&c->text);
}

void lvt_capture_free(struct lvt_capture *c)
{
	lvt_capture_clear(c);
	free(c->v);
	buf_free(&c->text);
	c->v = NULL;
	c->cap = 0;
}

const char *const lvt_group_measurements[LVT_GROUP_MEASUREMENTS] = {
    "libvirt_state",
    "libvirt_cpu",
    "libvirt_cpu_cache_monitor_total",
    "libvirt_balloon",
    "libvirt_vcpu_total",
    "libvirt_vcpu",
    "libvirt_net_total",
    "libvirt_net",
    "libvirt_block_total",
    "libvirt_block",
    "libvirt_perf",
    "libvirt_iothread_total",
    "libvirt_iothread",
    "libvirt_dirtyrate",
};

size_t lvt_count(const struct lvt_capture *c, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += strcmp(c->v[i].name, name) == 0;
	return n;
}

const char *lvt_tag(const struct lvt_metric *m, const char *key)
{
	for (size_t i = 0; i < m->ntags; i++)
		if (strcmp(m->tk[i], key) == 0)
			return m->tv[i];
	return NULL;
}

const struct lvt_metric *lvt_find(const struct lvt_capture *c, const char *name,
				  const char *dom, const char *key,
				  const char *value)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct lvt_metric *m = &c->v[i];
		if (strcmp(m->name, name) != 0)
			continue;
		const char *d = lvt_tag(m, "domain_name");
		if (dom && (!d || strcmp(d, dom) != 0))
			continue;
		if (key) {
			const char *v = lvt_tag(m, key);
			if (!v || strcmp(v, value) != 0)
				continue;
		}
		return m;
	}
	return NULL;
}

const struct lvt_field *lvt_field(const struct lvt_metric *m, const char *key)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->f[i].key, key) == 0)
			return &m->f[i];
	return NULL;
}

static int lvt_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t lvt_domains(const struct lvt_capture *c, const char *name)
{
	const char **v = calloc(c->n ? c->n : 1, sizeof(*v));
	size_t n = 0;
	if (!v)
		abort();
	for (size_t i = 0; i < c->n; i++) {
		if (name && strcmp(c->v[i].name, name) != 0)
			continue;
		const char *d = lvt_tag(&c->v[i], "domain_name");
		if (d)
			v[n++] = d;
	}
	qsort(v, n, sizeof(*v), lvt_strcmp);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			distinct++;
	free(v);
	return distinct;
}

char *lvt_gen_domains(int n, bool mixed, const char *prefix)
{
	char path[] = "/tmp/telex-lv-domains-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	close(fd);
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
		 "'%s/test/libvirt/gen-domains.sh' -n %d -p '%s' %s > '%s'",
		 lvt_src(), n, prefix, mixed ? "-m" : "", path);
	if (system(cmd) != 0) {
		unlink(path);
		return NULL;
	}
	return strdup(path);
}

int lvt_lock_libvirtd(void)
{
	int fd = open("/tmp/telex-libvirtd.lock", O_WRONLY | O_CREAT | O_APPEND,
		      0666);
	if (fd < 0)
		return -1;
	/* Kept open on purpose: the lock lasts until the process ends. */
	return flock(fd, LOCK_EX) < 0 ? -1 : 0;
}

int lvt_domains_script(const char *args)
{
	char cmd[4096];
	const char *src = getenv("TELEX_SRC");
	snprintf(cmd, sizeof(cmd), "'%s/test/libvirt/qemu-domains.sh' %s",
		 src ? src : ".", args);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
