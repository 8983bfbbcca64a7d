/*
 * config.h: the Telegraf TOML fragment a telex program reads, driven by one
 * declaration of its options.
 *
 * A plugin declares its options once (struct cfg_option): name, type,
 * default, one line of help, where the value goes in its config struct.
 * The same table drives parsing, validation, --sample-config and the
 * OPTIONS section of the man page, so they cannot drift apart.
 *
 * The reader covers what Telegraf configs use: [[inputs.NAME]] and
 * [[outputs.NAME]] tables, sub-tables ([outputs.kafka.headers]), basic and
 * literal strings with escapes, integers, floats, booleans, arrays
 * (multi-line, trailing comma), inline tables, comments; $VAR and ${VAR}
 * from the environment. Anything outside that subset is a clear error.
 */
#ifndef TELEX_CONFIG_H
#define TELEX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "telex/buf.h"

enum cfg_type {
	CFG_STRING = 1, /* char * (malloc'd; NULL when unset without default) */
	CFG_BOOL,	/* bool */
	CFG_INT,	/* int64_t */
	CFG_FLOAT,	/* double (an integer is accepted) */
	CFG_DURATION, /* int64_t ns: "10s", "1m30s", "500ms", or an integer (s)
		       */
	CFG_SIZE,     /* int64_t bytes: "64KiB", "1MB", or an integer */
	CFG_STRING_LIST, /* struct cfg_strv */
	CFG_STRING_MAP,	 /* struct cfg_map: a sub-table of key = "value" */
	CFG_TABLE,	 /* a sub-table with its own declared options (sub) */
	CFG_IGNORED,	 /* accepted (any type), ignored with one warning */
};

enum cfg_flags {
	CFG_REQUIRED = 1 << 0,	  /* missing is a config error */
	CFG_SECRET = 1 << 1,	  /* never echoed in messages or samples */
	CFG_MAP_SCALARS = 1 << 2, /* STRING_MAP: also accept numbers and bools,
				     kept as their TOML text */
	CFG_DEPRECATED = 1 << 3,  /* accepted; one warning naming the option */
	CFG_EXAMPLE = 1 << 4,	  /* default_value is no default but the value
				     the sample sets, uncommented, as
				     Telegraf's sample.conf does ("telegraf"
				     topics, routing_tag = "host") */
};

struct cfg_strv {
	char **v;
	size_t n;
	bool set; /* present in the file (an explicit [] is set with n = 0) */
};

struct cfg_map {
	char **keys;
	char **values;
	size_t n;
};

/* A duration is handed on as milliseconds in a C int (librdkafka's and
 * libvirt's settings): past 2^31-1 ms (24.8 days) it would wrap there, so
 * a duration option without a declared range is checked against 0 to
 * this, like a negative one. */
#define CFG_DURATION_MAX_DEFAULT (2147483647LL * 1000000LL)

/*
 * What a check found wrong (cfg_option.check, cfg_spec.finalize). The
 * check writes why, without a position: the reader adds the file, the
 * line and the option. Model: librdkafka's per-property validation and
 * rd_kafka_conf_finalize().
 */
struct cfg_problem {
	char *why; /* the reader's buffer, "" before the check */
	size_t whylen;
	size_t item;	 /* option check of a list or map: the element at fault,
			    from 1 (its line is named); 0: the whole value */
	const char *key; /* finalize: the option whose line is named ("topic",
			    "topic_suffix.method"); NULL, or an option the
			    file does not set: the table's header */
};

/* Format why into p; returns -1, for `return cfg_refuse(p, ...)`. */
int cfg_refuse(struct cfg_problem *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct cfg_option {
	const char *name;
	enum cfg_type type;
	size_t offset;		    /* of the value in the config struct; for
				       a TABLE, of the struct its sub options
				       are relative to (0: the same struct) */
	const char *default_value;  /* TOML text ("\"metric\"", "3", "[]"), or
				       NULL for none */
	const char *help;	    /* one line, for samples and man pages */
	unsigned flags;		    /* enum cfg_flags */
	const char *const *choices; /* STRING / STRING_LIST: allowed values,
				       NULL-terminated; NULL = any */
	int64_t min, max; /* INT, DURATION, SIZE: range when min < max; a
			     DURATION without one: 0 to
			     CFG_DURATION_MAX_DEFAULT */
	const struct cfg_option *sub; /* TABLE: its options, {NULL} ended */
	/* Run when the file sets the option, once the value is stored (type,
	 * choices and range passed): value points at it in the config
	 * struct. What one value must satisfy beyond its declaration (a
	 * topic name's characters, a regular expression that compiles, a
	 * directory that can be written). 0, or -1 with p->why set; the
	 * error names file:line and the option. */
	int (*check)(const void *value, struct cfg_problem *p);
};

/*
 * Options for the program's table, a list ended by an entry with name NULL.
 * Defaults are TOML text parsed like the file (environment variables are
 * not expanded in them). A REQUIRED option must appear in the file; its
 * default_value, if any, is the example shown (uncommented) in the sample.
 * CFG_STRING_LIST values are NULL-terminated (v[n] == NULL).
 */
struct cfg_spec {
	const char *section; /* "inputs" or "outputs" */
	const char *name;    /* "libvirt": reads [[inputs.libvirt]] */
	const struct cfg_option *options;
	/* Run once the table is read (defaults, the file's values, their
	 * checks), with the file still at hand; also for the defaults alone
	 * (cfg_set_defaults). What options must satisfy together
	 * (idempotent_writes needs required_acks = -1); it may fill derived
	 * fields of config. 0, or -1 with p->why set and p->key naming the
	 * option whose line the error names. NULL: none. */
	int (*finalize)(void *config, struct cfg_problem *p);
};

/*
 * Telegraf's per-plugin options that act inside the program (see
 * filter.h): [NAME.tags] for inputs; name_override, name_prefix,
 * name_suffix (inputs, and outputs as current Telegraf does); namepass,
 * namedrop, fieldinclude/fieldexclude (fieldpass/pass and fielddrop/drop
 * are accepted as their old names and appended), taginclude, tagexclude,
 * [NAME.tagpass], [NAME.tagdrop], namepass_separator, namedrop_separator
 * for both; log_level. Lists and maps keep the file's order.
 */
struct cfg_listmap {
	char **keys;
	struct cfg_strv *values;
	size_t n;
};

struct telex_common {
	char *name_override, *name_prefix, *name_suffix;
	struct cfg_map tags;
	struct cfg_strv namepass, namedrop;
	struct cfg_strv fieldinclude, fieldexclude;
	struct cfg_strv taginclude, tagexclude;
	struct cfg_listmap tagpass, tagdrop;
	char *log_level;
	/* namepass_separator / namedrop_separator (Telegraf 1.29+): characters
	 * a '*' in namepass/namedrop does not cross ("**" does). NULL: none. */
	char *namepass_separator, *namedrop_separator;
};

/*
 * Read the program's table from a file (or text) into `config` (a struct
 * the plugin owns, zeroed by the caller) and `common` (overwritten).
 * Defaults are applied first. Returns 0, or -1 with err holding one message
 * that names the file and line ("/etc/telex/kafka.conf:12: unknown key
 * \"brokerz\" in [[outputs.kafka]]; valid keys: brokers, topic, ...");
 * after -1 nothing is left allocated (cfg_free is harmless). An empty file
 * (or /dev/null) gives the defaults; a file with other tables but not the
 * program's is an error. Other tables, later copies of the program's table
 * and ignored or deprecated keys are logged as warnings, Telegraf's agent
 * keys (interval, alias, ...) in one info line. Environment expansion rules:
 * shim/config_env.c.
 */
int cfg_load_file(const struct cfg_spec *spec, const char *path, void *config,
		  struct telex_common *common, char *err, size_t errlen);
int cfg_load_text(const struct cfg_spec *spec, const char *text, size_t len,
		  const char *filename, void *config,
		  struct telex_common *common, char *err, size_t errlen);

/* Fill config with the declared defaults only (no file given), then run
 * the spec's finalize. 0, or -1 with err set (nothing left allocated). */
int cfg_set_defaults(const struct cfg_spec *spec, void *config, char *err,
		     size_t errlen);

/* Free everything the loader allocated in config and common. */
void cfg_free(const struct cfg_spec *spec, void *config,
	      struct telex_common *common);

/* The sample config (--sample-config, sample.conf): the table with every
 * option commented out at its default, one line of help above each. */
void cfg_write_sample(const struct cfg_spec *spec, struct buf *out);

/* The OPTIONS section of the man page, in roff, ".SH OPTIONS" included;
 * then a ".SS" subsection on Telegraf's common options. */
void cfg_write_man(const struct cfg_spec *spec, struct buf *out);

/* Whether a POSIX regular expression from a config compiles with cflags
 * (regcomp), checked in a child process that may take 1 s of CPU, 3 s and
 * 256 MiB at most: glibc's regcomp is exponential for some short patterns
 * and cannot be stopped in the caller. 0; -1 (not a valid expression) with
 * why set to regerror's text; -2 with why "too costly to compile ...".
 * Call before starting threads. */
int cfg_check_regex(const char *pattern, int cflags, char *why, size_t whylen);

/* Parse a duration or size as the config does; 0 ok, -1 bad text. */
int cfg_parse_duration(const char *text, int64_t *ns);
int cfg_parse_size(const char *text, int64_t *bytes);

#endif
