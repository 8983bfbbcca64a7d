/*
 * lp_parse.h: what the parser's walk (lp_parse.c) and its error messages
 * (lp_parse_error.c) share.
 */
#ifndef TELEX_LP_PARSE_H
#define TELEX_LP_PARSE_H

#include "lp_internal.h"
#include "lp_token.h"

struct lp_ctx {
	const char *p;
	size_t n;
	size_t first_line;
	struct lp_error *err;
	struct lp_scan sc;
};

/* A token p[start..end) of the line; esc: it holds escapes. */
struct lp_token {
	size_t start, end;
	bool esc;
};

/* Fill c->err (when not NULL) with the message and the line:column of
 * byte pos; returns -1. */
__attribute__((format(printf, 3, 4), cold)) int
lp_fail(const struct lp_ctx *c, size_t pos, const char *fmt, ...);
/* Go's %q of one byte, e.g. ' ', '\t', '\x00'. */
void lp_quote_char(char *out, size_t n, unsigned char c);
/* (lp_quote_token() is in telex/lp.h.) The same as lp_quote_token for the
 * unescaped value of a token of that escape kind. */
void lp_token_text(char *out, size_t n, const char *p, size_t len,
		   unsigned char kind);

/* The errors with a message of their own; each returns -1. */
#define LP_COLD __attribute__((cold))
/* before, the byte at pos quoted, after. */
LP_COLD int lp_fail_char(const struct lp_ctx *c, size_t pos, const char *before,
			 const char *after);
/* what, then the rest of the physical line from pos quoted. */
LP_COLD int lp_fail_rest(const struct lp_ctx *c, size_t pos, const char *what);
LP_COLD int lp_bad_utf8(const struct lp_ctx *c, size_t start, size_t end);
/* A tag key that is empty or not followed by '='. */
LP_COLD int lp_bad_tag_key(const struct lp_ctx *c, const struct lp_token *key);
/* The '=' after key is followed by no value. */
LP_COLD int lp_bad_tag_value(const struct lp_ctx *c,
			     const struct lp_token *key);
/* A field key that is empty or not followed by '='. */
LP_COLD int lp_bad_field_key(const struct lp_ctx *c,
			     const struct lp_token *key);
/* The value p[vstart..vend) of field key is not a number of its kind. */
LP_COLD int lp_bad_value(const struct lp_ctx *c, const struct lp_token *key,
			 size_t vstart, size_t vend, const char *why);
/* The timestamp p[start..end) is not an int64 (rc: LP_NUM_*). */
LP_COLD int lp_bad_time(const struct lp_ctx *c, size_t start, size_t end,
			int rc);
const char *lp_num_why(int rc, const char *kind);
/* The error for a line that holds no metric (blank, comment, bad
 * comment), where influxdata/line-protocol puts it. */
LP_COLD int lp_not_metric(const struct lp_ctx *c, size_t lead);

#endif
