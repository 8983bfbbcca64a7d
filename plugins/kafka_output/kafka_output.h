/*
 * kafka_output.h: telex-kafka-output's internals, shared by its files:
 *  - main.c: the option table and the plugin's life cycle callbacks,
 *  - conf.c: config checks and the librdkafka properties,
 *  - output.c: producing, delivery accounting, back-pressure, flush,
 *  - route.c: topic, key, timestamp and value of a metric's record,
 *  - headers.c: the [outputs.kafka.headers] templates,
 *  - pack.c: several metrics per record (metrics_per_record),
 *  - topics.c: the topic handle cache.
 */
#ifndef TELEX_KAFKA_OUTPUT_H
#define TELEX_KAFKA_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kafka_common/kafka_common.h"
#include "telex/buf.h"
#include "telex/lp.h"
#include "telex/shim.h"

struct kout_topic_suffix {
	char *method; /* "", "measurement", "tags" */
	struct cfg_strv keys;
	char *separator;
};

struct kout_config {
	struct kafka_common_config kc;
	char *topic;
	char *topic_tag;
	bool exclude_topic_tag;
	struct kout_topic_suffix topic_suffix;
	char *routing_tag;
	char *routing_key;
	int64_t compression_codec;
	bool idempotent_writes;
	int64_t required_acks;
	int64_t max_retry;
	int64_t max_message_bytes;
	char *producer_timestamp;
	struct cfg_map headers;
	char *metric_name_header;
	char *data_format;
	int64_t json_timestamp_units; /* ns */
	int64_t metrics_per_record;
	int64_t stats_interval; /* ns */
};

#define KOUT_TABLE "outputs.kafka"

/* conf.c: 0, or -1 with err naming the option and why. */
int kout_check(const struct kout_config *c, char *err, size_t errlen);
/* The producer's librdkafka properties, [outputs.kafka.librdkafka] last. */
int kout_conf(const struct kout_config *c, rd_kafka_conf_t *conf, char *err,
	      size_t errlen);

/* ------------------------------------------------------------------ */
/* headers.c */

enum kout_part_kind { KOUT_TEXT, KOUT_NAME, KOUT_TAG, KOUT_FIELD };

struct kout_part {
	enum kout_part_kind kind;
	char *text; /* literal, or the tag / field key */
	size_t len;
};

struct kout_header {
	char *name;
	struct kout_part *parts;
	size_t nparts;
};

struct kout_headers {
	struct kout_header *h;
	size_t n;
};

/* Compile the [outputs.kafka.headers] templates plus metric_name_header
 * (a "{{ .Name }}" header). 0, or -1 with err naming the header and what
 * in its template is not understood. */
int kout_headers_compile(struct kout_headers *hs, const struct cfg_map *m,
			 const char *metric_name_header, char *err,
			 size_t errlen);
void kout_headers_free(struct kout_headers *hs);

/* Append each header's value for m to out; ends[i] is where value i ends
 * (value i starts at ends[i-1], or 0). -1 when out of memory. */
int kout_headers_eval(const struct kout_headers *hs, const struct lp_metric *m,
		      struct buf *out, size_t *ends);

/* A float as Go's fmt %v prints it (what a template shows); returns the
 * length; out needs 32 bytes. */
size_t kout_format_float_go(double v, char *out);

/* ------------------------------------------------------------------ */
/* topics.c: rd_kafka_topic_t handles by name. */

struct kout_topic {
	char *name;
	size_t len;
	uint32_t hash;
	rd_kafka_topic_t *rkt;
};

struct kout_topics {
	struct kout_topic *slots; /* open addressing, power-of-two size */
	size_t cap, n;
	struct kout_topic *last; /* the previous lookup's answer */
};

/* The handle for name[0..len), created on first use; NULL with err set
 * when librdkafka refuses it. */
rd_kafka_topic_t *kout_topic_get(struct kout_topics *ts, rd_kafka_t *rk,
				 const char *name, size_t len, char *err,
				 size_t errlen);
void kout_topics_free(struct kout_topics *ts);

/* ------------------------------------------------------------------ */
/* route.c: one metric's record. */

/* What the record of one metric is made of. Pointers are into the line,
 * the config, or the router's scratch buffers (valid until the next
 * kout_route call). */
struct kout_record {
	const char *topic;
	size_t topic_len;
	const char *key; /* NULL: no key */
	size_t key_len;
	const char *value;	/* line + '\n', or the re-serialised metric */
	size_t value_len;	/* with the '\n' */
	bool newline_missing;	/* value[value_len - 1] is not there: the line
				   is given as is and '\n' must follow it */
	const char *hdr_values; /* header values, split by hdr_ends */
	size_t hdr_ends[64];
	size_t hdr_bytes;     /* names + values, for the size limit */
	int64_t timestamp_ms; /* 0: the time of producing */
	struct lp_slice name; /* measurement, when known (for messages) */
};

/* How much of a line the router must look at. */
enum kout_route_mode {
	KOUT_BYTES, /* nothing: forward the bytes (time from the last word) */
	KOUT_SCAN,  /* measurement and tags only: scan the series key */
	KOUT_PARSE, /* fields too, or a changed line: lp_parse_line */
};

/* The series key of a line without escapes: the measurement and its
 * tags, up to the first space. */
#define KOUT_SERIES_TAGS 32

struct kout_series {
	const char *name;
	size_t name_len;
	unsigned ntags;
	struct {
		const char *key;
		uint16_t key_len, value_len; /* value at key + key_len + 1 */
	} tags[KOUT_SERIES_TAGS];
};

struct kout_router {
	const struct kout_config *cfg;
	const struct kout_headers *headers;
	enum kout_route_mode mode;
	bool json;
	bool timestamp_from_metric;
	size_t topic_len, topic_tag_len, routing_tag_len, routing_key_len;
	bool random_key;
	/* This line's series key (scanned) or metric (parsed). */
	bool parsed;
	struct kout_series series;
	struct lp_metric m;
	struct buf topic, key, value, hdr;
	uint8_t random[256]; /* getrandom() pool for UUIDv4 keys */
	size_t random_used;
};

void kout_router_init(struct kout_router *r, const struct kout_config *cfg,
		      const struct kout_headers *hs);
void kout_router_free(struct kout_router *r);

/* Fill rec for the metric p[0..len). 0 ok; -1 the line cannot be made a
 * record (err says why: not parsable, no field left). */
int kout_route(struct kout_router *r, const char *p, size_t len, size_t line_no,
	       struct kout_record *rec, char *err, size_t errlen);

/* The measurement of a line, for messages, without parsing the line. */
struct lp_slice kout_line_name(const char *p, size_t len);

/* Write a random (version 4) UUID, 36 characters, into out. */
void kout_uuid4(struct kout_router *r, char out[36]);

/* ------------------------------------------------------------------ */
/* pack.c: metrics_per_record > 1. Lines whose records would have the same
 * topic, key and headers are appended to one open pack; a pack is
 * produced when it has metrics_per_record lines or the next line would
 * take it over max_message_bytes, and linger.ms after a batch. */

enum kout_pack_state { KOUT_PACK_FREE, KOUT_PACK_OPEN, KOUT_PACK_WAITING };

struct kout_pack {
	enum kout_pack_state state; /* WAITING: full, not produced yet */
	struct buf topic, key, hdr, value;
	bool has_key;
	size_t hdr_ends[64];
	size_t hdr_bytes;
	size_t nlines;
	int64_t timestamp_ms; /* the first metric's */
	uint32_t hash;	      /* of topic, key and headers */
	/* Indices into the packer's array (-1: none): the next pack of the
	 * same hash bucket (OPEN) or of the free list (FREE), and the
	 * creation order of packs in use (produced oldest first). */
	int32_t next, older, newer;
};

#define KOUT_PACKS_OPEN_MAX 256
#define KOUT_PACK_BUCKETS 512 /* a power of two */

struct kout_packer {
	struct kout_pack *packs;
	int32_t cap;
	size_t nopen, nwaiting;
	int32_t buckets[KOUT_PACK_BUCKETS]; /* OPEN packs by hash */
	int32_t oldest, newest;		    /* packs in use, by age */
	int32_t free_list;
	bool ready; /* buckets and lists initialised */
};

/* ------------------------------------------------------------------ */
/* output.c */

struct kout_fail_reason {
	const char *reason; /* static text (rd_kafka_err2name or ours) */
	uint64_t metrics;
};

#define KOUT_FAIL_REASONS 16

struct kout {
	struct telex *t;
	const struct kout_config *cfg;
	struct kafka_client kc;
	struct kout_headers headers;
	struct kout_router router;
	struct kout_topics topics;
	rd_kafka_topic_t *default_rkt; /* fixed topic, no routing */
	struct kout_packer packer;

	/* What librdkafka holds (produced, no delivery report yet), and
	 * the queue limits it was given, for back-pressure hysteresis. */
	uint64_t inflight_records, inflight_metrics, inflight_bytes;
	int64_t queue_max_records, queue_max_bytes;
	bool blocked; /* QUEUE_FULL seen: stdin paused until there is room */
	int64_t pack_timer;	/* loop timer producing open packs, or 0 */
	int64_t pack_linger_ns; /* how long open packs take more lines */

	uint64_t metrics_in;	   /* lines taken from the shim */
	uint64_t records_produced; /* records handed to librdkafka */
	uint64_t delivered_metrics, delivered_records;
	uint64_t failed_metrics, failed_records;
	struct kout_fail_reason fails[KOUT_FAIL_REASONS];
	unsigned nfails;
	bool fatal;
	struct buf scratch; /* a line and its '\n', for librdkafka to copy */
};

/* Produce one record; rec's pointers are copied by librdkafka. nlines is
 * how many metrics it holds. 0 produced or dropped (counted), 1 the queue
 * is full (nothing produced, try again later), -1 fatal. */
int kout_produce(struct kout *k, const struct kout_record *rec, size_t nlines);
/* Count metrics that will never be delivered, and log why (rate-limited). */
void kout_fail(struct kout *k, const char *reason, uint64_t metrics,
	       const struct lp_slice *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Callbacks and life cycle (output.c), wired up in main.c. */
void kout_set_dr_cb(rd_kafka_conf_t *conf);
void kout_on_served(void *owner);
void kout_on_fatal(void *owner, const char *why);
void kout_on_stats(void *owner, const struct kafka_stats *s);
int kout_write(struct telex *t, void *state, const struct telex_batch *b,
	       size_t *accepted);
int kout_flush(struct telex *t, void *state, int64_t deadline_ns);

/* pack.c entry points (the packer lives in struct kout). */
int kout_pack_line(struct kout *k, const struct kout_record *rec);
/* Produce every pack, oldest first. 0 all produced, 1 the queue is full
 * (the rest stays and is retried first), -1 fatal. */
int kout_pack_flush(struct kout *k);
bool kout_pack_waiting(const struct kout *k);
/* Produce the open packs after pack_linger_ns (output.c). */
void kout_pack_linger(struct kout *k);
/* Metrics in packs not produced yet. */
uint64_t kout_pack_metrics(const struct kout *k);
void kout_packer_free(struct kout_packer *p);

#endif
