/*
 * kout.h: telex-kafka-output's internals, shared by its files:
 *  - kout_main.c: the plugin's life cycle callbacks, --spool-status,
 *  - kout_options.c: the option table, its checks, the librdkafka
 *    properties,
 *  - kout_output.c: taking lines, back-pressure, retries, flush, the stats,
 *  - kout_output_spool.c: the same in spool mode: appending, the pump,
 *    releasing, the spool's timers,
 *  - kout_produce.c: producing a record, delivery reports, failures,
 *  - kout_route.c: topic, key, timestamp and value of a metric's record,
 *  - kout_headers.c: the [outputs.kafka.headers] templates,
 *  - kout_pack.c: several metrics per record (metrics_per_record),
 *  - kout_topics.c: the topic handle cache and its limit,
 *  - kout_acks.c: which spooled lines are done (the ledger), records' tickets,
 *  - kout_retry.c: records to produce again after a retriable failure,
 *  - kout_rejected.c: the file of records Kafka refused for good,
 *  - kout_spool.h and its files: the disk spool (spool_dir).
 */
#ifndef TELEX_KOUT_H
#define TELEX_KOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kafka_common/kafka_common.h"
#include "kout_spool.h"
#include "telex/buf.h"
#include "telex/lp.h"
#include "telex/shim.h"

struct kout_topic_suffix {
	char *method; /* "", "measurement", "tags" */
	struct cfg_strv keys;
	char *separator;
};

struct kout_config {
	struct kafka_common_config kafka;
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
	int64_t max_topics;
	char *spool_dir; /* "": memory only */
	int64_t spool_max_bytes;
	char *spool_fsync;	      /* "interval", "always", "never" */
	int64_t spool_fsync_interval; /* ns */
	int64_t spool_rejected_max_bytes;
};

#define KOUT_TABLE "outputs.kafka"

/* kout_options.c: the table's options (with their own checks) and the
 * finalize hook (rules across options), for the plugin's cfg_spec. */
extern const struct cfg_option kout_options[];
int kout_config_finalize(void *config, struct cfg_problem *p);
/* The producer's librdkafka properties, [outputs.kafka.librdkafka] last. */
int kout_conf(const struct kout_config *c, rd_kafka_conf_t *conf, char *err,
	      size_t errlen);

/* ------------------------------------------------------------------ */
/* kout_headers.c */

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
/* kout_topics.c: rd_kafka_topic_t handles by name. */

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
	size_t max;		 /* max_topics: handles never exceed it */
};

/* Kafka's own limit on a topic name's length. */
#define KOUT_TOPIC_NAME_MAX 249

/* Kafka's rule for topic names (length, characters): 0, or -1 with err
 * saying why. */
int kout_topic_name_check(const char *name, size_t len, char *err,
			  size_t errlen);

/* The handle for name[0..len), created on first use; NULL with err and
 * *reason ("invalid topic", "too many topics") set when the name is not a
 * valid Kafka topic name, max handles exist already, or librdkafka
 * refuses it. */
rd_kafka_topic_t *kout_topic_get(struct kout_topics *ts, rd_kafka_t *rk,
				 const char *name, size_t len,
				 const char **reason, char *err, size_t errlen);
void kout_topics_free(struct kout_topics *ts);

/* ------------------------------------------------------------------ */
/* kout_route.c: one metric's record. */

/* Append slice s to out with its line-protocol escapes removed (a topic,
 * a key, a header value). 0, or -1 when out of memory. */
int kout_append_unescaped(struct buf *out, const struct lp_slice *s);

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
/* kout_acks.c: which spooled lines are done, and what each record holds.
 *
 * A record in librdkafka's hands carries a token (its opaque): its
 * production number (retries are produced again in that order), its
 * metrics, and in spool mode the chunks its lines came from. A chunk is
 * up to KOUT_CHUNK_LINES lines in spool order, within one segment; once
 * every line of the oldest chunks is done (delivered, or kept in the
 * rejected file) the spool's ack position moves past them. */

#define KOUT_CHUNK_LINES 1024

struct kout_run {
	uint64_t chunk;
	uint32_t lines;
};

/* The lines of a record about to be produced. */
struct kout_lines {
	uint32_t n;	       /* metrics */
	uint32_t nruns;	       /* 0 in memory mode */
	struct kout_run one;   /* nruns == 1 */
	struct kout_run *runs; /* nruns > 1, malloc'd; moves to the ticket */
	uint32_t runs_cap;
};

struct kout_chunk {
	struct kout_spool_pos start; /* of its first line */
	uint32_t lines, pending;
};

struct kout_ticket;
struct kout_ticket_block;

struct kout_ledger {
	struct kout_chunk *ring; /* chunks by number, oldest at head */
	size_t cap, head, n;	 /* cap: a power of two */
	uint64_t head_chunk;	 /* number of ring[head] */
	bool open;		 /* the newest chunk takes more lines */
	uint64_t pending;	 /* lines read, not done */
	struct kout_ticket *free_tickets; /* kout_acks.c */
	struct kout_ticket_block *blocks;
	uint64_t next_seq;
};

/* The chunk the line at pos joins (counted as pending). -1 when out of
 * memory. untake() reverses the last take() (the line was not taken). */
int kout_ledger_take(struct kout_ledger *l, const struct kout_spool_pos *pos,
		     uint64_t *chunk);
void kout_ledger_untake(struct kout_ledger *l, uint64_t chunk);
/* Lines of a chunk are done. */
void kout_ledger_done(struct kout_ledger *l, uint64_t chunk, uint32_t lines);
/* Where the spool may ack: the first line not done, or reader (the
 * position after the last line taken) when all are. */
void kout_ledger_ack_pos(struct kout_ledger *l,
			 const struct kout_spool_pos *reader,
			 struct kout_spool_pos *ack);
void kout_ledger_free(struct kout_ledger *l);

/* Add one line of chunk to lines (merged with the last run when the
 * same). -1 when out of memory. */
int kout_lines_add(struct kout_lines *lines, uint64_t chunk);
void kout_lines_free(struct kout_lines *lines);

/* A record's opaque for librdkafka. Most records are one line of one
 * chunk: their token is the ticket's content packed into the pointer
 * itself (low bit set: production number, chunk relative to the oldest),
 * so that no memory is touched per record (a ticket per record cost 4 %
 * of the spool's CPU in cache misses). Others (packs) point at a ticket.
 * 0: out of memory. */
typedef uintptr_t kout_token;

/* A token for lines (moved in: lines->runs becomes the token's). */
kout_token kout_token_new(struct kout_ledger *l, struct kout_lines *lines);
/* Give the lines back (produce failed, or a rejection needs them): the
 * token is gone. */
void kout_token_undo(struct kout_ledger *l, kout_token tok,
		     struct kout_lines *lines);
/* The record is done: its lines are marked done, the token freed. */
void kout_token_settle(struct kout_ledger *l, kout_token tok);
/* The record is not done but forgotten (exit): lines stay pending. */
void kout_token_drop(struct kout_ledger *l, kout_token tok);
uint32_t kout_token_metrics(kout_token tok);
/* Its production number (all 64 bits). */
uint64_t kout_token_seq(const struct kout_ledger *l, kout_token tok);

/* ------------------------------------------------------------------ */
/* kout_retry.c: records that failed for a reason that may pass (brokers down,
 * timeouts, message.timeout.ms, our own purge), copied from their
 * delivery reports, produced again in production order. */

struct kout_retry_rec {
	kout_token tok;
	uint64_t seq; /* its production number */
	char *topic;  /* topic, key and value in one allocation */
	char *key;    /* NULL: no key */
	char *value;
	size_t key_len, value_len;
	rd_kafka_headers_t *hdrs; /* NULL: none */
	int64_t timestamp_ms;
};

struct kout_retry {
	struct kout_retry_rec *v;
	size_t n, cap, next; /* [next, n) still to produce */
	bool sorted;
	uint64_t bytes;
};

/* Copy m (and take its token, production number seq). -1 when out of
 * memory. */
int kout_retry_push(struct kout_retry *r, const rd_kafka_message_t *m,
		    kout_token tok, uint64_t seq);
/* Sort [next, n) by production number. */
void kout_retry_sort(struct kout_retry *r);
/* Free entry i's copies (its ticket is the caller's business). */
void kout_retry_release(struct kout_retry *r, size_t i);
/* Everything produced: forget the list (memory given back). */
void kout_retry_reset(struct kout_retry *r);
static inline bool kout_retry_empty(const struct kout_retry *r)
{
	return r->next == r->n;
}

/* ------------------------------------------------------------------ */
/* kout_rejected.c: spool_dir/rejected.lp, records Kafka refused for good
 * (too large, unknown topic, not authorized, ...), each after a comment
 * line saying when, why, to which topic and key: what an operator needs
 * to fix the cause and feed the lines again. */

#define KOUT_REJECTED_FILE "rejected.lp"

struct kout_rejected {
	char *path;
	int fd;
	uint64_t bytes, max_bytes;
	bool dirty;
};

/* Open (append) dir/rejected.lp. 0, or -1 with err. */
int kout_rejected_open(struct kout_rejected *r, const char *dir,
		       uint64_t max_bytes, char *err, size_t errlen);
/* Append one record. 0 kept; -1 not kept (the file reached max_bytes, or
 * writing failed): err says why. */
int kout_rejected_add(struct kout_rejected *r, const char *reason,
		      const char *topic, size_t topic_len, const char *key,
		      size_t key_len, const char *value, size_t value_len,
		      char *err, size_t errlen);
void kout_rejected_sync(struct kout_rejected *r, bool data);
void kout_rejected_close(struct kout_rejected *r);

/* ------------------------------------------------------------------ */
/* kout_pack.c: metrics_per_record > 1. Lines whose records would have the same
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
	struct kout_lines lines; /* its metrics (and spooled lines) */
	int64_t timestamp_ms;	 /* the first metric's */
	uint32_t hash;		 /* of topic, key and headers */
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
/* kout_output.c and kout_produce.c */

struct kout_fail_reason {
	const char *reason; /* static text (rd_kafka_err2name or ours) */
	uint64_t metrics;
};

#define KOUT_FAIL_REASONS 16

/* What delivery is doing. A retriable failure ends NORMAL: librdkafka's
 * queue is purged (DRAINING) so that nothing newer of the same key gets
 * ahead of it, and once every record came back the failed ones are
 * produced again in their order (RETRYING), then new ones. */
enum kout_phase { KOUT_NORMAL, KOUT_DRAINING, KOUT_RETRYING };

/* Topics of records left undelivered at exit, for one message each. */
#define KOUT_LEFT_TOPICS 8

struct kout_left_topic {
	char *name;
	uint64_t metrics;
};

struct kout {
	struct telex *t;
	const struct kout_config *cfg;
	struct kafka_client client;
	struct kout_headers headers;
	struct kout_router router;
	struct kout_topics topics;
	rd_kafka_topic_t *default_rkt; /* fixed topic, no routing */
	struct kout_packer packer;
	struct kout_ledger ledger; /* tickets (both modes), chunks (spool) */

	/* What librdkafka holds (produced, no delivery report yet), and
	 * the queue limits it was given, for back-pressure hysteresis. */
	uint64_t inflight_records, inflight_metrics, inflight_bytes;
	int64_t queue_max_records, queue_max_bytes;
	bool blocked;	    /* QUEUE_FULL seen: nothing produced until there is
			       room (memory mode: stdin paused) */
	bool in_paused;	    /* memory mode: write() took fewer lines than
			       offered, telex_resume() is owed */
	int64_t pack_timer; /* loop timer producing open packs, or 0 */
	int64_t pack_linger_ns; /* how long open packs take more lines */

	/* Retries. */
	enum kout_phase phase;
	struct kout_retry retry;
	bool purge_pending; /* purge librdkafka's queue once served */
	rd_kafka_resp_err_t retry_err; /* the first failure of this round */
	int64_t retry_at_ns;	       /* RETRYING: not before */
	int64_t retry_timer;
	bool final; /* flush deadline passed: failures are not retried */

	/* Spool mode (spool_dir set). */
	bool spooling;
	struct kout_spool spool;
	struct kout_rejected rejected;
	bool spool_full; /* write() stopped taking lines for space */
	bool held;	 /* the line of held_line_no is in the spool but
			    was reported not taken (stdin paused) */
	size_t held_line_no, held_len;
	int64_t held_timer;
	bool spool_broken; /* writing failed; the timer resumes */
	int64_t sync_timer, resume_timer;
	struct kout_spool_pos *lpos; /* where each line of a batch went */
	size_t lpos_cap;
	uint64_t replayed; /* lines found in the spool at start */

	uint64_t metrics_in;	   /* lines taken from the shim */
	uint64_t records_produced; /* records handed to librdkafka */
	uint64_t delivered_metrics, delivered_records;
	uint64_t failed_metrics, failed_records;
	uint64_t retried_records; /* produced again */
	uint64_t rejected_kept;	  /* failed metrics in the rejected file */
	struct kout_fail_reason fails[KOUT_FAIL_REASONS];
	unsigned nfails;
	struct kout_left_topic left[KOUT_LEFT_TOPICS];
	bool fatal;
	struct buf scratch; /* a line and its '\n', for librdkafka to copy */
};

/* What producing a record (or the packs) came to, in the spirit of
 * librdkafka's RD_KAFKA_RESP_ERR__QUEUE_FULL. */
enum kout_result {
	KOUT_OK,	 /* produced, or refused for good (counted, kept in
			    the rejected file, its lines done) */
	KOUT_QUEUE_FULL, /* librdkafka's queue is full: nothing produced,
			    the lines still the caller's (a pack waits) */
	KOUT_FATAL,	 /* the handle is unusable or memory ran out:
			    the program stops */
};

/* What became of a line offered to the producer (kout_line,
 * kout_pack_line). */
enum kout_take {
	KOUT_TAKEN,	 /* produced, packed, or refused for good */
	KOUT_TAKEN_FULL, /* taken, and librdkafka's queue is full now:
			    offer no more until it drains */
	KOUT_NOT_TAKEN,	 /* the queue is full: offer it again later */
	KOUT_TAKE_FATAL, /* as KOUT_FATAL */
};

/* Produce one record made of lines (moved to its ticket when produced);
 * rec's pointers are copied by librdkafka. */
enum kout_result kout_produce(struct kout *k, const struct kout_record *rec,
			      struct kout_lines *lines);
/* Produce retry entry i again. */
enum kout_result kout_produce_again(struct kout *k, size_t i);
/* Count metrics that will never be delivered, and log why (rate-limited;
 * not logged when fmt is NULL). */
void kout_fail(struct kout *k, const char *reason, uint64_t metrics,
	       const struct lp_slice *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A record refused for good: counted, logged, kept in the rejected file
 * (spool mode), its lines done. value[0..value_len) is what was (or would
 * have been) sent; newline: value has its '\n' already. */
void kout_reject(struct kout *k, const char *reason, struct kout_lines *lines,
		 const char *topic, size_t topic_len, const char *key,
		 size_t key_len, const char *value, size_t value_len,
		 const struct lp_slice *name, const char *fmt, ...)
    __attribute__((format(printf, 11, 12)));
/* A record left undelivered at exit, counted per topic for the exit
 * messages. */
void kout_left(struct kout *k, const char *topic, uint64_t metrics);
/* Why a topic's records may be waiting: its metadata, asked for within
 * timeout_ms (NULL: nothing known against it). */
const char *kout_topic_trouble(struct kout *k, const char *topic,
			       int timeout_ms);

/* A line to produce: from write()'s batch or from the spool (pos set). */
struct kout_in {
	const char *p;
	size_t len;
	bool newline; /* p[len] is its '\n' */
	size_t line_no;
	const struct kout_spool_pos *pos; /* spool mode */
	size_t frame_size;
	int64_t time_ms; /* when it was taken */
};

/* Route and produce (or pack) one line (kout_output.c). */
enum kout_take kout_line(struct kout *k, const struct kout_in *in);
/* After any event: purge, retry, give space back, produce (kout_output.c). */
void kout_advance(struct kout *k);
/* "1.5 MiB" */
void kout_bytes_text(uint64_t n, char *out, size_t len);

/* Spool mode (kout_output_spool.c): write(); produce from the spool while
 * librdkafka has room (0, or -1 fatal); give back what the ledger says is
 * done; the stats line's part about the spool. */
int kout_write_spool(struct kout *k, const struct telex_batch *b,
		     size_t *accepted);
int kout_pump(struct kout *k);
void kout_release(struct kout *k);
void kout_spool_text(struct kout *k, char *out, size_t len);

/* Callbacks and life cycle (kout_output.c), wired up in kout_main.c. */
void kout_set_dr_cb(rd_kafka_conf_t *conf);
void kout_on_served(void *owner);
void kout_on_fatal(void *owner, const char *why);
void kout_on_stats(void *owner, const struct kafka_stats *s);
int kout_write(struct telex *t, void *state, const struct telex_batch *b,
	       size_t *accepted);
int kout_flush(struct telex *t, void *state, int64_t deadline_ns);
/* Spool mode: open the spool and the rejected file, start the timers. */
int kout_spool_start(struct kout *k, char *err, size_t errlen);
void kout_spool_stop(struct kout *k);

/* kout_pack.c entry points (the packer lives in struct kout). Lines' runs are
 * moved into the pack: never KOUT_NOT_TAKEN. */
enum kout_take kout_pack_line(struct kout *k, const struct kout_record *rec,
			      struct kout_lines *lines);
/* Produce every pack, oldest first; on KOUT_QUEUE_FULL the rest stays and
 * is produced first next time. */
enum kout_result kout_pack_flush(struct kout *k);
bool kout_pack_waiting(const struct kout *k);
/* Produce the open packs after pack_linger_ns (kout_output.c). */
void kout_pack_linger(struct kout *k);
/* Metrics in packs not produced yet. */
uint64_t kout_pack_metrics(const struct kout *k);
/* Forget every pack (exit): memory mode counts their metrics as failed
 * by the caller; their spooled lines stay pending. */
void kout_packer_free(struct kout_packer *p);

#endif
