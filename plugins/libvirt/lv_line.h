/*
 * lv_line.h: the text of a metric the mapper builds, written while it is
 * built, byte for byte what lp_write_metric() would write for it.
 *
 * The mapper hands telex_emit() a metric whose `line` is this text and
 * which is not `modified`: when the program's filters leave it alone, the
 * shim copies the bytes instead of serialising the metric again. Every
 * name and key the mapper uses is a constant that needs no escape, so only
 * values are checked; a value that would need an escape (or an empty tag
 * value, a NaN) abandons the text, and the shim serialises that metric as
 * usual. Tags must be given in key order.
 */
#ifndef LV_LINE_H
#define LV_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "telex/buf.h"

struct lv_line {
	struct buf text;
	bool ok;     /* false: abandoned, or out of memory */
	bool fields; /* a field was written */
};

void lv_line_begin(struct lv_line *l, const char *name, size_t n);
void lv_line_tag(struct lv_line *l, const char *key, size_t klen,
		 const char *value, size_t vlen);
/* The same for a value already known plain (lv_line_plain_tag). */
void lv_line_plain_tag_add(struct lv_line *l, const char *key, size_t klen,
			   const char *value, size_t vlen);
void lv_line_int(struct lv_line *l, const char *key, size_t klen, int64_t v);
void lv_line_float(struct lv_line *l, const char *key, size_t klen, double v);
void lv_line_string(struct lv_line *l, const char *key, size_t klen,
		    const char *v, size_t vlen);
/* Append the timestamp. True when the text is complete and valid. */
bool lv_line_end(struct lv_line *l, int64_t time);

/* True when a tag value can be written as is (no escape, not empty, no
 * trailing backslash). */
bool lv_line_plain_tag(const char *v, size_t n);

/* Decimal text of v into out (20 bytes); returns the length. */
size_t lv_line_format_int(int64_t v, char *out);

#endif
