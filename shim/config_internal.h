/*
 * config_internal.h: the pieces of the config reader shared between its
 * files (not part of the public API).
 *
 *   config_env.c    $VAR / ${VAR} expansion, with a map from the expanded
 *                   text back to the file's lines and columns
 *   config_toml.c   the TOML reader: text -> a tree of tables and values
 *   config_units.c  durations and sizes as Telegraf writes them
 *   config_value.c  one value into one declared option (checks, storage)
 *   config.c        loading: the program's table, defaults, freeing
 *   config_common.c Telegraf's per-plugin options (struct telex_common)
 *   config_doc.c    --sample-config and the man page's OPTIONS section
 */
#ifndef TELEX_CONFIG_INTERNAL_H
#define TELEX_CONFIG_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "telex/buf.h"
#include "telex/config.h"

/* ------------------------------------------------------------------ */
/* Source text and positions (config_env.c) */

/* A run of the expanded text: copied from the file (literal) or produced by
 * one ${...} substitution (which maps back to the position of its '$'). */
struct cfg_seg {
	size_t out;  /* offset in the expanded text */
	size_t orig; /* offset in the file */
	bool literal;
};

struct cfg_src {
	const char *filename;
	const char *orig; /* the file as read */
	size_t orig_len;
	char *text; /* expanded, NUL-terminated (malloc'd) */
	size_t len;
	struct cfg_seg *segs; /* sorted by out */
	size_t nsegs, segs_cap;
};

/* Expand $VAR, ${VAR} and friends in src->orig into src->text (see
 * config_env.c for the exact rules). With expand = false the text is copied
 * unchanged (defaults, samples). 0, or -1 with err set. */
int cfg_env_expand(struct cfg_src *src, bool expand, char *err, size_t errlen);
void cfg_src_free(struct cfg_src *src);

/* 1-based line and column (in characters) in the file of offset `off` of
 * the expanded text. */
void cfg_src_pos(const struct cfg_src *src, size_t off, size_t *line,
		 size_t *col);

/* Log a warning "file:line: " + the formatted message. */
void cfg_warn_at(const struct cfg_src *src, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "file:line: " or "file:line:col: " then the formatted message. */
void cfg_errf(char *err, size_t errlen, const struct cfg_src *src, size_t off,
	      bool with_col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* ------------------------------------------------------------------ */
/* The TOML tree (config_toml.c). Everything lives in the doc's arena. */

enum cfg_tv_kind {
	CFG_TV_STRING = 1,
	CFG_TV_INT,
	CFG_TV_FLOAT,
	CFG_TV_BOOL,
	CFG_TV_ARRAY,
	CFG_TV_TABLE,
};

struct cfg_table;
struct cfg_array;

struct cfg_value {
	enum cfg_tv_kind kind;
	size_t pos; /* offset of the value's first byte in the expanded text */
	size_t end; /* offset just past the value's text */
	union {
		struct {
			char *ptr; /* NUL-terminated, never holds a NUL */
			size_t len;
		} s;
		int64_t i;
		double f;
		bool b;
		struct cfg_array *a;
		struct cfg_table *t;
	} u;
};

struct cfg_array {
	struct cfg_value **items;
	size_t n, cap;
	bool of_tables; /* [[x]]: an array of tables */
};

struct cfg_kv {
	const char *key; /* NUL-terminated, never holds a NUL */
	size_t pos;	 /* of the key */
	struct cfg_value *val;
};

enum {
	CFG_TABLE_HEADER = 1 << 0,   /* defined by a [header] */
	CFG_TABLE_IMPLICIT = 1 << 1, /* created as a parent of a header */
	CFG_TABLE_INLINE = 1 << 2,   /* { inline }: closed once written */
	CFG_TABLE_DOTTED = 1 << 3,   /* created by a dotted key a.b = 1 */
};

struct cfg_table {
	struct cfg_kv *kv;
	size_t n, cap;
	size_t pos; /* of its header or first key */
	unsigned flags;
};

struct cfg_doc {
	struct arena arena;
	struct cfg_table *root;
	const struct cfg_src *src;
};

/* Parse src->text. 0, or -1 with err naming file:line:col; the text of a
 * value whose key cfg_key_is_secret(spec, key) is never quoted in err
 * (spec may be NULL). The doc must be released with cfg_toml_free() either
 * way. */
int cfg_toml_parse(struct cfg_doc *doc, const struct cfg_src *src,
		   const struct cfg_spec *spec, char *err, size_t errlen);

/* Whether the value of key (a key of any table) is a secret: an option of
 * spec declared CFG_SECRET, or a name that says so ("password", "passwd",
 * "pwd", "secret", "token" in it, as in [*.librdkafka]'s "sasl.password"). */
bool cfg_key_is_secret(const struct cfg_spec *spec, const char *key);
void cfg_toml_free(struct cfg_doc *doc);

/* The entry of key in t, or NULL. */
const struct cfg_kv *cfg_toml_get(const struct cfg_table *t, const char *key);

/* "a string", "an integer", ... for messages. */
const char *cfg_toml_kind_name(enum cfg_tv_kind kind);

/* ------------------------------------------------------------------ */
/* Units (config_units.c) */

/* Go-style text of a duration ("1m30s", "500ms", "0s") into out (>= 32). */
void cfg_format_duration(int64_t ns, char *out, size_t n);

/* ------------------------------------------------------------------ */
/* Applying values (config.c, config_common.c) */

/* What the loader knows while it applies one table. */
struct cfg_ctx {
	const struct cfg_src *src;
	const char *table_name; /* "[[inputs.libvirt]]" */
	char *err;
	size_t errlen;
};

/* Store v as the value of option o (type-checked, validated) at base.
 * path is the key as the user wrote it ("topic_suffix.method"). */
int cfg_apply_value(const struct cfg_ctx *cx, const struct cfg_option *o,
		    void *base, const char *path, const struct cfg_value *v);
/* cfg_apply_value, then the option's own check (cfg_option.check) at the
 * value's line (a list's element at its own). A value the file sets. */
int cfg_apply_option(const struct cfg_ctx *cx, const struct cfg_option *o,
		     void *base, const char *path, const struct cfg_value *v);

/* Apply the entries of table t to the declared options `opts` at base,
 * then check the required ones. prefix: the path of t's keys ("" or
 * "topic_suffix."); where: t's name in messages. A key that is not an
 * option goes to other() (1 handled, 0 unknown, -1 error) and, if unknown,
 * is an error listing opts and mentioning the common keys if more != NULL
 * (more: extra names for "did you mean"). */
int cfg_apply_table(const struct cfg_ctx *cx, const struct cfg_option *opts,
		    void *base, const char *prefix, const char *where,
		    const struct cfg_table *t,
		    int (*other)(const struct cfg_ctx *, const struct cfg_kv *,
				 void *),
		    void *other_arg, const char *const *more);
int cfg_unknown_key(const struct cfg_ctx *cx, const struct cfg_kv *kv,
		    const char *where, const struct cfg_option *opts,
		    const char *const *more);

/* Free what option o holds at base and reset it to zero. */
void cfg_option_free(const struct cfg_option *o, void *base);

/* Copy s[0..n) into a new malloc'd string; NULL when out of memory. */
char *cfg_strndup(const char *s, size_t n);

/* Telegraf's common keys in the program's table (config_common.c). */
struct cfg_common_ctx {
	struct telex_common *c;
	bool for_input;
	char agent[512]; /* agent-level keys seen, for one info line */
	size_t agent_len;
};

/* The `other` callback of cfg_apply_table for the program's table: arg is
 * a struct cfg_common_ctx. 1 handled, 0 not a common key, -1 error. */
int cfg_common_key(const struct cfg_ctx *cx, const struct cfg_kv *kv,
		   void *arg);
void cfg_common_free(struct telex_common *c);
/* Every key cfg_common_key() accepts, for "did you mean". */
extern const char *const cfg_common_names[];

#endif
