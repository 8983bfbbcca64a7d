/*
 * config_env.c: environment variables in config files, and the map from the
 * expanded text back to the file's lines.
 *
 * Rules (Telegraf's since v1.27, config/envvar.go with compose-go's
 * templates, plus one fix):
 *  - Comments are not expanded: a '$' after '#' (outside strings) is text.
 *  - "$$" is a literal '$'.
 *  - $NAME and ${NAME} (NAME = [A-Za-z_][A-Za-z0-9_]*) are replaced by the
 *    variable's value, even when it is empty.
 *  - ${NAME:-word}: word when NAME is unset or empty; ${NAME-word}: when
 *    unset. ${NAME:+word}: word when NAME is set and not empty, else
 *    nothing; ${NAME+word}: word when set. word is expanded in turn.
 *  - ${NAME:?msg} and ${NAME?msg}: an error naming the variable and msg
 *    when NAME is unset (or empty, with ':').
 *  - An unset variable without a default is left as written, as Telegraf
 *    does (so regular expressions with ${1} survive), with a warning: a
 *    secret would otherwise go out as the text "$PASSWORD" unnoticed.
 *  - Anything else after '$' ("$1", "${ }", a '$' at the end) is text.
 *  - The fix: Telegraf pastes the value into the text raw, so a value
 *    holding '"' or '\' breaks the quoted string around it or is read as
 *    escapes. telex knows whether the '$' is inside a quoted string: in a
 *    basic string the value is escaped, so the string receives exactly the
 *    value; in a literal string a value that cannot be written there (a
 *    quote, a newline) is an error. Outside strings the value is TOML text,
 *    as in Telegraf (port = $PORT, brokers = ${BROKERS} with a whole array).
 * Values are never expanded again (no recursion through the environment).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "telex/log.h"

/* Where the scanner is in TOML's lexical structure. */
enum env_state {
	ENV_TEXT,
	ENV_COMMENT,
	ENV_BASIC,    /* "..." */
	ENV_LITERAL,  /* '...' */
	ENV_ML_BASIC, /* """...""" */
	ENV_ML_LITERAL,
};

#define ENV_MAX_DEPTH 8

struct env_out {
	struct cfg_src *src;
	struct buf b;
	bool oom;
	char *err; /* where an error goes */
	size_t errlen;
};

static void env_seg(struct env_out *o, size_t orig, bool literal)
{
	struct cfg_src *s = o->src;
	struct cfg_seg *segs =
	    array_grow(s->segs, s->nsegs, &s->segs_cap, sizeof(*segs), 16);
	if (!segs) {
		o->oom = true;
		return;
	}
	s->segs = segs;
	s->segs[s->nsegs++] = (struct cfg_seg){o->b.len, orig, literal};
}

static void env_put(struct env_out *o, const char *p, size_t n)
{
	/* buf_append(b, p, 0) on an empty buf computes NULL + 0. */
	if (n && buf_append(&o->b, p, n) < 0)
		o->oom = true;
}

static bool env_name_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool env_name_char(char c)
{
	return env_name_start(c) || (c >= '0' && c <= '9');
}

/* Length of the ${...} body starting after "${", up to its matching '}'
 * (nested ${ } counted), or 0 if there is none before the end of the line
 * or text. */
static size_t env_brace_end(const char *p, size_t n)
{
	int depth = 1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			return 0;
		if (p[i] == '$' && i + 1 < n && p[i + 1] == '{') {
			depth++;
			i++;
		} else if (p[i] == '}' && --depth == 0) {
			return i;
		}
	}
	return 0;
}

/* 1-based line and column (in characters) of byte `orig` of the file. */
static void env_orig_pos(const struct cfg_src *src, size_t orig, size_t *line,
			 size_t *col)
{
	if (orig > src->orig_len)
		orig = src->orig_len;
	size_t l = 1, c = 1;
	for (size_t i = 0; i < orig; i++) {
		unsigned char ch = (unsigned char)src->orig[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static bool env_literal_ok(enum env_state st, const char *v, size_t vn)
{
	for (size_t i = 0; i < vn; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			return false;
		if (st == ENV_LITERAL && (c == '\'' || c == '\n'))
			return false;
		if (st == ENV_ML_LITERAL && c == '\'' && i + 2 < vn &&
		    v[i + 1] == '\'' && v[i + 2] == '\'')
			return false;
	}
	return true;
}

/* Write value v escaped for the state the '$' was found in. -1 when it
 * cannot be written there (err set). name: the variable, for messages;
 * at: the '$' in the file. */
static int env_put_value(struct env_out *o, enum env_state st, const char *v,
			 size_t vn, const char *name, size_t at)
{
	if (st == ENV_TEXT) {
		env_put(o, v, vn);
		return 0;
	}
	if (st == ENV_LITERAL || st == ENV_ML_LITERAL) {
		if (!env_literal_ok(st, v, vn)) {
			size_t line, col;
			env_orig_pos(o->src, at, &line, &col);
			snprintf(o->err, o->errlen,
				 "%s:%zu:%zu: the value of %s cannot be put in "
				 "a '...' string (it holds a quote, a newline "
				 "or a control character); use a \"...\" "
				 "string",
				 o->src->filename, line, col, name);
			return -1;
		}
		env_put(o, v, vn);
		return 0;
	}
	/* A basic string: TOML's escapes. */
	static const char *const named['\\' + 1] = {
	    ['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n",
	    ['\t'] = "\\t", ['\r'] = "\\r",
	};
	for (size_t i = 0; i < vn; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < sizeof(named) / sizeof(named[0]) && named[c]) {
			env_put(o, named[c], 2);
		} else if (c < 0x20 || c == 0x7f) {
			char esc[8];
			int en = snprintf(esc, sizeof(esc), "\\u%04x", c);
			env_put(o, esc, (size_t)en);
		} else {
			env_put(o, v + i, 1);
		}
	}
	return 0;
}

static void env_warn_unset(const struct cfg_src *src, size_t at,
			   const char *name, bool braced)
{
	size_t line, col;
	env_orig_pos(src, at, &line, &col);
	log_warn("%s:%zu: environment variable %s is not set: \"%s%s%s\" "
		 "is kept as written (write ${%s:-} for an empty default)",
		 src->filename, line, name, braced ? "${" : "$", name,
		 braced ? "}" : "", name);
}

static int env_expand_word(struct env_out *o, enum env_state st, const char *p,
			   size_t n, size_t at, int depth);

/* A reference to a variable: $NAME, ${NAME}, ${NAME<op>word} or
 * ${NAME:<op>word}. */
struct env_ref {
	char name[256];
	bool braced;
	char op;	  /* '\0' (none), '-', '+' or '?' */
	bool colon;	  /* ':' before op: empty counts as unset */
	const char *word; /* op's word, wn bytes */
	size_t wn;
	size_t len; /* bytes of the reference, from its '$' */
};

/* $NAME at p[0] == '$'; false when there is none. */
static bool env_ref_plain(const char *p, size_t n, struct env_ref *r)
{
	if (n < 2 || !env_name_start(p[1]))
		return false;
	size_t k = 2;
	while (k < n && env_name_char(p[k]))
		k++;
	if (k - 1 >= sizeof(r->name))
		return false;
	memcpy(r->name, p + 1, k - 1);
	r->name[k - 1] = '\0';
	r->braced = r->colon = false;
	r->op = '\0';
	r->word = NULL;
	r->wn = 0;
	r->len = k;
	return true;
}

/* ${...} at p[0] == '$'; false when there is none: no closing brace on
 * the line, or ${a b}, ${a:x} (kept as text). */
static bool env_ref_braced(const char *p, size_t n, struct env_ref *r)
{
	if (n < 3 || p[1] != '{' || !env_name_start(p[2]))
		return false;
	size_t body = env_brace_end(p + 2, n - 2);
	if (body == 0)
		return false;
	const char *b = p + 2;
	size_t k = 1;
	while (k < body && env_name_char(b[k]))
		k++;
	if (k >= sizeof(r->name))
		return false;
	memcpy(r->name, b, k);
	r->name[k] = '\0';
	r->colon = k < body && b[k] == ':';
	size_t opi = k + (r->colon ? 1 : 0);
	r->op = '\0';
	if (opi < body)
		r->op = b[opi];
	if (k < body && !(r->op == '-' || r->op == '+' || r->op == '?'))
		return false;
	r->braced = true;
	r->word = b + opi + 1;
	r->wn = k < body ? body - opi - 1 : 0;
	r->len = body + 3;
	return true;
}

/* ${NAME?msg} of an unset (or, with ':', empty) variable. */
__attribute__((cold)) static int
env_required(struct env_out *o, const struct env_ref *r, size_t at, bool set)
{
	size_t line, col;
	env_orig_pos(o->src, at, &line, &col);
	snprintf(o->err, o->errlen,
		 "%s:%zu:%zu: required environment variable %s is %s: %.*s",
		 o->src->filename, line, col, r->name,
		 set ? "empty" : "not set", (int)r->wn, r->word);
	return -1;
}

/* What reference r (its '$' at byte `at` of the file) stands for: 0 with
 * *v its value, or *use_word set when its word replaces it; 1 when it is
 * unset and has no default (kept as text, with a warning); -1 error. */
static int env_ref_resolve(struct env_out *o, const struct env_ref *r,
			   size_t at, const char **v, bool *use_word)
{
	*v = getenv(r->name);
	bool set = *v != NULL, full = set && **v;
	*use_word = false;
	switch (r->op) {
	case '-':
		*use_word = r->colon ? !full : !set;
		return 0;
	case '+':
		*use_word = r->colon ? full : set;
		if (!*use_word)
			*v = "";
		return 0;
	case '?':
		return (r->colon ? !full : !set) ? env_required(o, r, at, set)
						 : 0;
	}
	if (set)
		return 0;
	env_warn_unset(o->src, at, r->name, r->braced);
	return 1;
}

/* Handle the template at p[0] == '$' (p[0..n) is the rest of the text).
 * Returns how many bytes it consumed; *done false when p holds no template
 * (the caller copies the '$' as text). -1 on error. */
static long env_template(struct env_out *o, enum env_state st, const char *p,
			 size_t n, size_t at, int depth, bool *done)
{
	struct env_ref r;
	const char *v;
	bool use_word;
	*done = false;
	if (n >= 2 && p[1] == '$') {
		env_put(o, "$", 1);
		*done = true;
		return 2;
	}
	if (!env_ref_plain(p, n, &r) && !env_ref_braced(p, n, &r))
		return 0;
	int rc = env_ref_resolve(o, &r, at, &v, &use_word);
	if (rc)
		return rc < 0 ? -1 : 0;
	if (use_word) {
		if (env_expand_word(o, st, r.word, r.wn, at, depth + 1) < 0)
			return -1;
	} else {
		char what[260];
		snprintf(what, sizeof(what), "%s%s%s", r.braced ? "${" : "$",
			 r.name, r.braced ? "}" : "");
		if (env_put_value(o, st, v, strlen(v), what, at))
			return -1;
	}
	*done = true;
	return (long)r.len;
}

/* Expand a default word: templates inside it are expanded, the rest is
 * copied escaped like a value. */
static int env_expand_word(struct env_out *o, enum env_state st, const char *p,
			   size_t n, size_t at, int depth)
{
	if (depth > ENV_MAX_DEPTH) {
		snprintf(o->err, o->errlen,
			 "%s: environment defaults nested too deeply",
			 o->src->filename);
		return -1;
	}
	size_t i = 0;
	while (i < n) {
		if (p[i] == '$') {
			bool done;
			long used =
			    env_template(o, st, p + i, n - i, at, depth, &done);
			if (used < 0)
				return -1;
			if (done) {
				i += (size_t)used;
				continue;
			}
		}
		size_t j = i + 1;
		while (j < n && p[j] != '$')
			j++;
		if (env_put_value(o, st, p + i, j - i, "a ${...} default", at))
			return -1;
		i = j;
	}
	return 0;
}

static size_t env_quotes(const char *p, size_t n, char q)
{
	size_t k = 0;
	while (k < n && p[k] == q)
		k++;
	return k;
}

/* The closing quotes of a multi-line string at p[i] (q its quote):
 * how many bytes to copy; up to two quotes before the closing three
 * belong to the string. */
static size_t env_ml_close(enum env_state *st, const char *p, size_t n,
			   size_t i, char q)
{
	size_t k = env_quotes(p + i, n - i, q);
	if (k < 3)
		return k;
	*st = ENV_TEXT;
	return k > 5 ? 5 : k;
}

static size_t env_step_text(enum env_state *st, const char *p, size_t n,
			    size_t i)
{
	char c = p[i];
	if (c == '#') {
		*st = ENV_COMMENT;
	} else if (c == '"' || c == '\'') {
		if (env_quotes(p + i, n - i, c) >= 3) {
			*st = c == '"' ? ENV_ML_BASIC : ENV_ML_LITERAL;
			return 3;
		}
		*st = c == '"' ? ENV_BASIC : ENV_LITERAL;
	}
	return 1;
}

/* In "..." or """...""": escapes are skipped whole. */
static size_t env_step_basic(enum env_state *st, const char *p, size_t n,
			     size_t i)
{
	char c = p[i];
	if (c == '\\' && i + 1 < n)
		return 2;
	if (*st == ENV_ML_BASIC)
		return c == '"' ? env_ml_close(st, p, n, i, '"') : 1;
	if (c == '"' || c == '\n')
		*st = ENV_TEXT;
	return 1;
}

/* Advance the lexical state over p[i]; returns how many bytes to copy. */
static size_t env_step(enum env_state *st, const char *p, size_t n, size_t i)
{
	char c = p[i];
	switch (*st) {
	case ENV_TEXT:
		return env_step_text(st, p, n, i);
	case ENV_COMMENT:
		if (c == '\n')
			*st = ENV_TEXT;
		return 1;
	case ENV_BASIC:
	case ENV_ML_BASIC:
		return env_step_basic(st, p, n, i);
	case ENV_LITERAL:
		if (c == '\'' || c == '\n')
			*st = ENV_TEXT;
		return 1;
	case ENV_ML_LITERAL:
		return c == '\'' ? env_ml_close(st, p, n, i, '\'') : 1;
	}
	return 1;
}

int cfg_env_expand(struct cfg_src *src, bool expand, char *err, size_t errlen)
{
	struct env_out o = {src, BUF_INIT, false, err, errlen};
	const char *p = src->orig;
	size_t n = src->orig_len;
	enum env_state st = ENV_TEXT;
	size_t i = 0;
	src->nsegs = 0;
	env_seg(&o, 0, true);
	while (i < n && expand) {
		if (p[i] == '$' && st != ENV_COMMENT) {
			bool done;
			size_t mark = o.b.len;
			env_seg(&o, i, false);
			long used =
			    env_template(&o, st, p + i, n - i, i, 0, &done);
			if (used < 0)
				goto fail;
			if (done) {
				i += (size_t)used;
				env_seg(&o, i, true);
				continue;
			}
			/* Not a template: drop the segment, copy the '$'. */
			src->nsegs--;
			o.b.len = mark;
		}
		size_t k = env_step(&st, p, n, i);
		if (k > n - i)
			k = n - i;
		env_put(&o, p + i, k);
		i += k;
	}
	if (!expand)
		env_put(&o, p, n);
	if (buf_putc(&o.b, '\0') < 0 || o.oom) {
		snprintf(err, errlen, "%s: out of memory", src->filename);
		goto fail;
	}
	src->text = o.b.data;
	src->len = o.b.len - 1;
	return 0;
fail:
	buf_free(&o.b);
	src->text = NULL;
	src->len = 0;
	return -1;
}

void cfg_src_free(struct cfg_src *src)
{
	free(src->text);
	free(src->segs);
	src->text = NULL;
	src->segs = NULL;
	src->nsegs = src->segs_cap = 0;
}

void cfg_src_pos(const struct cfg_src *src, size_t off, size_t *line,
		 size_t *col)
{
	size_t orig = off;
	if (src->nsegs) {
		size_t lo = 0, hi = src->nsegs;
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (src->segs[mid].out <= off)
				lo = mid;
			else
				hi = mid;
		}
		const struct cfg_seg *s = &src->segs[lo];
		orig = s->literal ? s->orig + (off - s->out) : s->orig;
	}
	env_orig_pos(src, orig, line, col);
}

void cfg_errf(char *err, size_t errlen, const struct cfg_src *src, size_t off,
	      bool with_col, const char *fmt, ...)
{
	size_t line, col;
	cfg_src_pos(src, off, &line, &col);
	int k = with_col
		    ? snprintf(err, errlen, "%s:%zu:%zu: ", src->filename, line,
			       col)
		    : snprintf(err, errlen, "%s:%zu: ", src->filename, line);
	if (k < 0 || (size_t)k >= errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
	va_end(ap);
}
