/*
 * lp_parse.h: what the parser's walk (lp_parse.c) and its error messages
 * (lp_parse_error.c) share.
 */
#ifndef TELEX_LP_PARSE_H
#define TELEX_LP_PARSE_H

#include "lp_internal.h"
#include "lp_scan.h"

struct lp_ctx {
	const char *p;
	size_t n;
	size_t first_line;
	struct lp_error *err;
	struct lp_scan sc;
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

/* The errors with a message of their own. */
int lp_bad_utf8(const struct lp_ctx *c, size_t start, size_t end);
int lp_bad_value(const struct lp_ctx *c, size_t kstart, size_t kend, bool kesc,
		 size_t vstart, size_t vend, const char *why);
const char *lp_num_why(int rc, const char *kind);
/* The error for a line that holds no metric (blank, comment, bad
 * comment), where influxdata/line-protocol puts it. */
int lp_not_metric(const struct lp_ctx *c, size_t lead);

#endif
