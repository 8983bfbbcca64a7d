/*
 * lv_testlib.h: helpers shared by the telex-libvirt tests: the schema of
 * test/libvirt/schema.txt and a checker, an emit callback that keeps
 * copies of every metric (and its written line) for assertions, and the
 * test-driver domain file generator.
 */
#ifndef LV_TESTLIB_H
#define LV_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "telex/buf.h"
#include "telex/lp.h"
#include "telex/shim.h"

#define LVT_MAX_NAMES 40

struct lvt_meas {
	char *name;
	char *tags[8];
	size_t ntags;
	char *opt_tags[8];
	size_t nopt_tags;
	char *fields[LVT_MAX_NAMES]; /* may end in '*' patterns: "*_sum" */
	char types[LVT_MAX_NAMES];   /* 'i', 'f', 's' */
	bool optional[LVT_MAX_NAMES];
	size_t nfields;
};

struct lvt_schema {
	struct lvt_meas m[40];
	size_t n;
};

/* Load $TELEX_SRC/test/libvirt/schema.txt (or ./test/libvirt/...). */
int lvt_schema_load(struct lvt_schema *s);
void lvt_schema_free(struct lvt_schema *s);
const struct lvt_meas *lvt_schema_find(const struct lvt_schema *s,
				       const char *name);

/* NULL if m conforms (options: optional tags and "?" fields allowed),
 * else a message naming the first violation (in msg). */
const char *lvt_schema_check(const struct lvt_schema *s,
			     const struct lp_metric *m, bool options, char *msg,
			     size_t n);

struct lvt_field {
	char *key;
	enum lp_type type;
	int64_t i;
	double f;
	char *s;
};

struct lvt_metric {
	char *name;
	char *tk[10], *tv[10];
	size_t ntags;
	struct lvt_field *f;
	size_t nfields;
	int64_t time;
};

struct lvt_capture {
	struct lvt_metric *v;
	size_t n, cap;
	const struct lvt_schema *schema; /* check every metric when set */
	bool options;
	size_t violations;
	char first_violation[512];
	struct buf text; /* every metric as written by lp_write_metric */
	size_t unwritable;
	size_t with_line; /* metrics handed on with their text (fast path) */
};

/* An lv_emit_fn: copies m into the capture (arg). */
enum telex_emit_result lvt_capture_emit(void *arg, struct lp_metric *m);
void lvt_capture_clear(struct lvt_capture *c);
void lvt_capture_free(struct lvt_capture *c);

/* The measurements every group but memory (which needs resctrl) writes
 * for a running QEMU domain, LVT_GROUP_MEASUREMENTS of them. */
#define LVT_GROUP_MEASUREMENTS 14
extern const char *const lvt_group_measurements[LVT_GROUP_MEASUREMENTS];

size_t lvt_count(const struct lvt_capture *c, const char *name);
/* The metric of measurement `name` for domain `dom` (NULL: any) whose tag
 * `key` is `value` (key NULL: any). */
const struct lvt_metric *lvt_find(const struct lvt_capture *c, const char *name,
				  const char *dom, const char *key,
				  const char *value);
const struct lvt_field *lvt_field(const struct lvt_metric *m, const char *key);
const char *lvt_tag(const struct lvt_metric *m, const char *key);
/* Distinct domain_name values among metrics of `name` (NULL: all). */
size_t lvt_domains(const struct lvt_capture *c, const char *name);

/* Run test/libvirt/qemu-domains.sh (under $TELEX_SRC) with args; its exit
 * code, -1 when it did not exit. */
int lvt_domains_script(const char *args);

/* Take the system libvirtd lock (see qemu-domains.sh) for the rest of the
 * process; waits for it. -1 if it cannot be had. */
int lvt_lock_libvirtd(void);

/* Write a test-driver node file with n domains (mixed run states with
 * `mixed`) to a new temporary file; returns its path (free it, unlink it)
 * or NULL. */
char *lvt_gen_domains(int n, bool mixed, const char *prefix);

#endif
