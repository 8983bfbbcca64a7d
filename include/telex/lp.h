/*
 * lp.h: InfluxDB line protocol: the metric model, the stream splitter, the
 * in-place parser and the Telegraf-identical writer.
 *
 * The parser never copies: every name, key and string value is a slice of
 * the input. A slice whose `escaped` flag is set still holds the backslash
 * escapes of the line; lp_unescape() and the comparison helpers remove them
 * only when a value is actually asked for. Metrics built by a plugin (not
 * parsed) use plain slices (escaped = false) that point at the plugin's own
 * memory or at the metric's arena.
 *
 * Rules: ../shared/spec/line-protocol.md. Conformance:
 * test/unit/test_lp_corpus.c.
 */
#ifndef TELEX_LP_H
#define TELEX_LP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "telex/buf.h"

/* How the backslash escapes of a parsed slice are to be removed; the rules
 * differ by section (../shared/spec/line-protocol.md). Zero (false) means
 * the slice holds its value as is. */
enum lp_escape {
	LP_ESC_NONE = 0,
	LP_ESC_KEY = 1, /* tag key, tag value, field key: "\," "\=" "\ " */
	LP_ESC_NAME,	/* measurement: "\," "\ " */
	LP_ESC_STRING,	/* string field value: "\\" "\"" "\n" "\r" "\t" */
};

struct lp_slice {
	const char *ptr;
	size_t len;
	unsigned char escaped; /* enum lp_escape: escapes still to be removed */
};

enum lp_type { LP_FLOAT = 1, LP_INT, LP_UINT, LP_BOOL, LP_STRING };

struct lp_tag {
	struct lp_slice key;
	struct lp_slice value;
};

struct lp_field {
	struct lp_slice key;
	enum lp_type type;
	union {
		double f;
		int64_t i;
		uint64_t u;
		bool b;
		struct lp_slice s; /* LP_STRING: content between the quotes */
	} v;
};

/*
 * One metric. The tag and field arrays belong to the metric and grow as
 * needed; lp_metric_reset() keeps them, so a metric reused line after line
 * allocates only while it grows. `line` is the original text of a parsed
 * metric (without its terminator); `modified` is set by every change made
 * after parsing. A metric whose line is set and which is not modified can be
 * forwarded byte for byte instead of re-serialised.
 */
struct lp_metric {
	struct lp_slice name;
	struct lp_tag *tags;
	size_t ntags, tags_cap;
	struct lp_field *fields;
	size_t nfields, fields_cap;
	int64_t time;
	bool has_time;
	struct lp_slice line;
	bool modified;
	struct arena arena; /* copies made by the *_copy functions */
};

void lp_metric_init(struct lp_metric *m);
/* Empty the metric for reuse; keeps the arrays and the arena's memory. */
void lp_metric_reset(struct lp_metric *m);
void lp_metric_free(struct lp_metric *m);

/* Builders. The plain variants keep the pointers (the caller's memory must
 * outlive the metric's use); the _copy variants copy into m->arena. All
 * return 0, or -1 when out of memory. set_tag replaces an existing tag of
 * the same key; add_tag appends without looking. Every call after a parse
 * marks the metric modified. */
int lp_metric_set_name(struct lp_metric *m, const char *name, size_t len);
int lp_metric_set_name_copy(struct lp_metric *m, const char *name, size_t len);
int lp_metric_add_tag(struct lp_metric *m, const char *key, size_t klen,
		      const char *value, size_t vlen);
int lp_metric_set_tag_copy(struct lp_metric *m, const char *key, size_t klen,
			   const char *value, size_t vlen);
int lp_metric_add_int(struct lp_metric *m, const char *key, size_t klen,
		      int64_t v);
int lp_metric_add_uint(struct lp_metric *m, const char *key, size_t klen,
		       uint64_t v);
int lp_metric_add_float(struct lp_metric *m, const char *key, size_t klen,
			double v);
int lp_metric_add_bool(struct lp_metric *m, const char *key, size_t klen,
		       bool v);
int lp_metric_add_string(struct lp_metric *m, const char *key, size_t klen,
			 const char *v, size_t vlen);
int lp_metric_add_string_copy(struct lp_metric *m, const char *key, size_t klen,
			      const char *v, size_t vlen);
void lp_metric_set_time(struct lp_metric *m, int64_t ns);

/* Lookup by unescaped key. NULL when absent; the last one wins on
 * duplicates, as in line protocol. */
const struct lp_tag *lp_metric_find_tag(const struct lp_metric *m,
					const char *key, size_t klen);
const struct lp_field *lp_metric_find_field(const struct lp_metric *m,
					    const char *key, size_t klen);
/* Remove in place, keeping the order of the rest. */
void lp_metric_remove_tag(struct lp_metric *m, size_t index);
void lp_metric_remove_field(struct lp_metric *m, size_t index);

/* Write the unescaped value of s into out (room for s->len bytes is always
 * enough) and return its length. */
size_t lp_unescape(const struct lp_slice *s, char *out);
/* Compare the unescaped value of s with p[0..n). */
bool lp_slice_eq(const struct lp_slice *s, const char *p, size_t n);
/* Compare two slices by unescaped value, like memcmp then length. */
int lp_slice_cmp(const struct lp_slice *a, const struct lp_slice *b);

/* ------------------------------------------------------------------ */
/* Errors */

struct lp_error {
	size_t line;   /* 1-based physical line in the stream */
	size_t column; /* 1-based byte column in that line */
	char msg[192]; /* e.g. "expected '=' after tag key \"region\"" */
};

/* "msg at line:column" into out; returns out. */
const char *lp_error_format(const struct lp_error *e, char *out, size_t n);

/* p[0..len) in double quotes for a message, as Go's %q: valid UTF-8 as it
 * is, '"' and '\\' escaped, control bytes and bytes that are not UTF-8 as
 * \xNN; cut after 48 bytes with "...". out needs room for 8 bytes more
 * than it gets filled with (64 is plenty). */
void lp_quote_token(char *out, size_t n, const char *p, size_t len);

/* ------------------------------------------------------------------ */
/* Splitter: finds metric boundaries in a byte stream. A metric ends at a
 * '\n' outside a quoted string field value ("\r\n" is one terminator; a bare
 * '\r' is not). A string field value may hold raw newlines, so one metric can
 * span several physical lines. The splitter keeps its state between calls,
 * so a metric may arrive in any number of pieces.
 *
 * A metric that spans physical lines may be at most span_max bytes long,
 * terminator included: without a bound, one unclosed '"' would make the
 * rest of a stream a single metric. When a metric holding a newline inside
 * a string reaches span_max bytes without its end, its first physical line
 * is returned alone with `cut` set (it is the bad one), and splitting goes
 * on at the next line. A metric on one physical line has no length limit.
 *
 * The lines such a metric had swallowed are then split one physical line
 * each (a string cannot span lines there), and so are those of a metric
 * over several lines that the parser rejects (lp_splitter_resync()): every
 * line that is valid on its own is read, and no byte is scanned more than
 * twice however the lines are crafted. */

#define LP_SPLIT_SPAN_MAX ((size_t)1024 * 1024)

struct lp_splitter {
	size_t line;	 /* physical line number of the next metric's start:
			  * read it before the call that returns the metric */
	size_t scanned;	 /* bytes of the current metric already scanned */
	int state;	 /* private */
	size_t lines_in; /* private: newlines inside the current metric */
	size_t span_max; /* the bound above; lp_splitter_init() sets
			    LP_SPLIT_SPAN_MAX, a caller may lower it */
	bool cut;	 /* the metric returned last is the first line of
			    one that passed span_max */
	size_t single;	 /* private: lines still to split one by one */
};

void lp_splitter_init(struct lp_splitter *s);

/* The metric just returned spans physical lines and is invalid: its first
 * line is the bad one. Go on at line `line` (the one after it), with
 * buf's next call starting there, splitting the `lines` physical lines
 * the metric had swallowed one by one. */
void lp_splitter_resync(struct lp_splitter *s, size_t line, size_t lines);

/* The metric p[0..text_len) that started at physical line `line` spans
 * lines (p holds a '\n') and the parser refused it: its first line is the
 * bad one. Sets *first_len to that line's length without its "\r",
 * resyncs s after it (lp_splitter_resync) and returns the bytes to move
 * past: the line and its '\n'. */
size_t lp_splitter_reject(struct lp_splitter *s, const char *p, size_t text_len,
			  size_t line, size_t *first_len);

/* Why a metric returned with `cut` set is invalid, for its message. */
#define LP_SPLIT_CUT_REASON                                                    \
	"a string opened on this line was still open after the longest a "     \
	"metric over several lines may be"

/*
 * Look for the end of the metric that starts at buf[0]. buf must start where
 * the previous metric ended and hold at least the bytes passed last time.
 * Returns the length of the metric including its terminator and sets
 * *text_len to the length without it (no trailing '\n' or "\r\n"), or
 * returns 0 when buf holds no complete metric yet (call again with more).
 * Empty and comment lines are returned as metrics too (text_len may be 0);
 * lp_line_is_blank() tells them apart.
 */
size_t lp_split_next(struct lp_splitter *s, const char *buf, size_t len,
		     size_t *text_len);

/* True for an empty line, only spaces, or a comment ('#' after spaces). */
bool lp_line_is_blank(const char *p, size_t len);

/* ------------------------------------------------------------------ */
/* Parser. `p[0..len)` is one metric without its terminator (it may hold
 * raw newlines inside string values). first_line is the physical line
 * number of p[0], used in error positions. A blank or comment line holds no
 * metric: both functions return -1 for it (check lp_line_is_blank first).
 * Grammar, escapes, numbers (Go's strconv syntax and ranges) and error
 * messages are those of influxdata/line-protocol; err may be NULL. */

/* Syntax check only: accepts exactly what lp_parse_line accepts (number
 * ranges included) without filling a metric. 0 ok, -1 error. */
int lp_validate_line(const char *p, size_t len, size_t first_line,
		     struct lp_error *err);

/* Parse into m (reset first); slices point into p. m->line is set to
 * p[0..len) with leading spaces removed. 0 ok, -1 error (m is reset). */
int lp_parse_line(const char *p, size_t len, size_t first_line,
		  struct lp_metric *m, struct lp_error *err);

/* The series key of p only: the measurement and its tags, up to the
 * space before the fields, into m (reset first), for routing by tags
 * without reading the rest; m holds no field, no time and no line. The
 * same steps, checks and errors as lp_parse_line up to there; the fields
 * are not looked at (validate the line first). 0 ok, -1 error. */
int lp_parse_series_key(const char *p, size_t len, size_t first_line,
			struct lp_metric *m, struct lp_error *err);

/* Skimming: parts of a line read without parsing it (lp_skim.c). */

/* The series key of p, a line lp_validate_line accepts, into m (reset
 * first): the same name and tags as lp_parse_series_key gives, found with
 * the structural marks only (what a router by tags reads per line). On
 * other text the result means nothing (nothing outside p[0..len) is
 * read). 0, or -1 out of memory or when no space ends a series key. */
int lp_skim_series_key(const char *p, size_t len, struct lp_metric *m);

/* The timestamp of p, a line lp_validate_line accepts, read from its
 * end: true and *ns set when the line has one. (Other text: a result
 * that means nothing, and nothing read outside p[0..len).) */
bool lp_line_time(const char *p, size_t len, int64_t *ns);

/* The measurement of any text, for messages: after leading spaces, up to
 * the first unescaped ',' or space (or a control byte), as the parser
 * reads it; a slice of p, escapes flagged. */
struct lp_slice lp_line_name(const char *p, size_t len);

/* Iterates over a complete buffer (a Kafka record, a file): one metric per
 * call, skipping blank and comment lines; the last metric may lack its
 * terminator. After an error the reader continues with the next metric;
 * when the invalid metric spans physical lines, its first line is the one
 * reported and the reader goes on at the next line (an unclosed '"' costs
 * its own line only). */
struct lp_reader {
	const char *buf;
	size_t len, pos;
	struct lp_splitter split;
};

void lp_reader_init(struct lp_reader *r, const char *buf, size_t len);

/* What lp_reader_next found. */
enum lp_read_result {
	LP_READ_INVALID = -1, /* the next metric is invalid: err says why and
				 where; the reader has moved past it */
	LP_READ_END = 0,      /* the end of the buffer */
	LP_READ_METRIC = 1,   /* m holds the next metric */
};

enum lp_read_result lp_reader_next(struct lp_reader *r, struct lp_metric *m,
				   struct lp_error *err);

/* ------------------------------------------------------------------ */
/* Writer: Telegraf's influx serializer. Tags sorted by unescaped key,
 * fields in order, escapes per the spec (never a doubtful one), integers
 * with 'i', unsigned with 'u' only with LP_WRITE_UINT (otherwise clipped to
 * INT64_MAX and written with 'i'), NaN and Inf fields dropped, tags with an
 * empty key or value dropped, '\n' at the end. The metric's timestamp is
 * written when has_time is set. */

enum {
	LP_WRITE_UINT = 1 << 0,
};

/* Append one line to out. -1 with err set (nothing appended) when the
 * metric cannot be written: empty name, or no field left. */
int lp_write_metric(struct buf *out, const struct lp_metric *m, unsigned flags,
		    struct lp_error *err);

/* Float text exactly as Telegraf writes it: Go's strconv 'f' with
 * precision -1, the shortest digits that read back, never an exponent (see
 * lp_float.c). Returns the length; out needs LP_FLOAT_MAX bytes (1e308 has
 * 309 digits). NaN/Inf: 0. */
#define LP_FLOAT_MAX 352
size_t lp_format_float(double v, char *out);

#endif
