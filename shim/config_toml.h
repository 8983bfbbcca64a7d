/*
 * config_toml.h: the TOML reader's parser state, shared by its files:
 * config_toml_lex.c (whitespace, keys, numbers), config_toml_string.c
 * (strings) and config_toml.c (values, tables, the document). Private to
 * the config reader.
 */
#ifndef TELEX_CONFIG_TOML_H
#define TELEX_CONFIG_TOML_H

#include "config_internal.h"

#define TOML_MAX_DEPTH 32     /* nested arrays and inline tables */
#define TOML_MAX_KEYS 10000   /* per table: lookups are linear */
#define TOML_MAX_KEY_PARTS 16 /* a.b.c... */

struct toml_parser {
	struct cfg_doc *doc;
	const char *s;
	size_t n, i;
	char *err;
	size_t errlen;
	int depth;
	const struct cfg_spec *spec; /* for secret keys; may be NULL */
	bool secret; /* in (or just after) a secret key's value: errors
			quote none of its text */
};

/* Errors: "file:line:col: message" into p->err; always return -1. */
int toml_err(struct toml_parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int toml_oom(struct toml_parser *p);
/* The byte at p->i for "found ..." messages (not shown in a secret). */
const char *toml_what(struct toml_parser *p, char *buf, size_t n);

/* Spaces and tabs; a comment; a line end (1 consumed, 0 none, -1 bare
 * CR); all of these over several lines; what may end a line. */
void toml_ws(struct toml_parser *p);
void toml_comment(struct toml_parser *p);
int toml_newline(struct toml_parser *p);
int toml_space(struct toml_parser *p);
int toml_end_of_line(struct toml_parser *p, const char *after);

/* A string of any kind at its opening quote, into the arena. */
int toml_string(struct toml_parser *p, bool multiline_ok, char **out,
		size_t *outlen);
/* A dotted key; returns the number of parts or -1. */
int toml_key(struct toml_parser *p, const char **parts, size_t *pos);
/* A bare value: boolean, integer or float (dates are refused). */
int toml_scalar(struct toml_parser *p, struct cfg_value *v);

#endif
