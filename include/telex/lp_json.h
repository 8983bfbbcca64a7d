/*
 * lp_json.h: Telegraf's JSON metric format, both ways.
 *
 * One metric is {"fields":{...},"name":"...","tags":{...},"timestamp":N}
 * (keys in that order, as Telegraf's serializer writes them); a batch is
 * {"metrics":[...]}. The timestamp is the metric time divided by the unit
 * (Telegraf's json_timestamp_units; default 1 s; like Telegraf, the unit is
 * first rounded down to a power of ten). Everything else follows Go's
 * encoding/json as Telegraf uses it: field and tag keys sorted (a repeated
 * key keeps its last value), floats without exponent between 1e-6 and 1e21,
 * HTML-safe string escapes, invalid UTF-8 as \ufffd (see lp_json.c). A
 * metric without a time gets no "timestamp" key.
 */
#ifndef TELEX_LP_JSON_H
#define TELEX_LP_JSON_H

#include <stdint.h>

#include "telex/buf.h"
#include "telex/lp.h"

#define LP_JSON_DEFAULT_UNIT_NS 1000000000LL

/* Append one JSON object (no newline) to out. -1 with err set when the
 * metric has no field left (NaN/Inf fields are dropped, as in Telegraf). */
int lp_json_write(struct buf *out, const struct lp_metric *m, int64_t unit_ns,
		  struct lp_error *err);

/* Callback for each metric read; its slices are valid only during the call.
 * Return 0 to continue, non-zero to stop (lp_json_read returns that). */
typedef int (*lp_json_metric_cb)(void *arg, struct lp_metric *m);

/*
 * Read a JSON document holding one metric object, {"metrics":[...]} or a
 * bare array of metrics. JSON integers become LP_INT (LP_UINT above
 * INT64_MAX), other numbers LP_FLOAT; tag values must be strings; a missing
 * "timestamp" leaves has_time false.
 * Every metric that is well formed is passed to cb, in order. A metric
 * that is not (missing name, no fields, a field of an unsupported type,
 * bad timestamp) is reported through err and skipped; the return value is
 * the number of metrics skipped, or -1 when the document itself is not
 * JSON. m is a scratch metric owned by the caller (reused per metric).
 */
int lp_json_read(const char *p, size_t len, int64_t unit_ns,
		 struct lp_metric *m, lp_json_metric_cb cb, void *arg,
		 struct lp_error *err);

#endif
