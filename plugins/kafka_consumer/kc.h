/*
 * kc.h: telex-kafka-consumer's internals, shared by its files:
 *  - kc_main.c: the plugin's life cycle (init, start, stop, close),
 *  - kc_options.c: the option table, its checks, the librdkafka properties,
 *  - kc_offsets.c: which record offsets may be committed (stdout
 *    positions per record, done once written or confirmed),
 *  - kc_record.c: one record to metrics on stdout (validation, tags,
 *    names, timestamps, JSON),
 *  - kc_prefetch.c: records taken from librdkafka, not handled yet,
 *  - kc_fetch.c: taking records from librdkafka on the loop, flow control
 *    (pausing partitions while the prefetch queue is full),
 *  - kc_group.c: the consumer group: rebalances, offset store, commits,
 *    leaving the group,
 *  - kc_lag.c: the kafka_consumer_lag metric from librdkafka's statistics,
 *  - kc_feedback.c: delivery feedback, which emitted metrics Telegraf's
 *    outputs have written (marks and internal_write samples),
 *  - kc_fbsock.c: the consumer's connection to the feedback relay,
 *  - kc_relay.c: the program as the feedback relay (--feedback-relay).
 */
#ifndef TELEX_KC_H
#define TELEX_KC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kafka_common/kafka_common.h"
#include "telex/lp.h"
#include "telex/shim.h"

#define KC_TABLE "inputs.kafka_consumer"

struct kc_config {
	struct kafka_common_config kafka;
	struct cfg_strv topics;
	struct cfg_strv topic_regexps;
	char *topic_tag;
	char *consumer_group;
	char *offset;		 /* "oldest" or "newest" */
	char *balance_strategy;	 /* "range", "roundrobin", "sticky" */
	int64_t max_message_len; /* bytes, 0: unlimited */
	int64_t max_undelivered_messages;
	struct cfg_strv msg_headers_as_tags;
	char *msg_header_as_metric_name;
	char *timestamp_source;		  /* "metric", "inner", "outer" */
	int64_t consumer_fetch_default;	  /* bytes */
	int64_t consumer_fetch_min;	  /* bytes */
	int64_t consumer_fetch_max_wait;  /* ns */
	char *data_format;		  /* "influx" or "json" */
	int64_t json_timestamp_units;	  /* ns */
	int64_t lag_interval;		  /* ns, 0: off */
	char *feedback_socket;		  /* telex: Unix socket, "": off */
	struct cfg_strv feedback_outputs; /* aliases that must write */
	int64_t feedback_window;	  /* metrics, 0: auto */
};

/* ------------------------------------------------------------------ */
/* kc_options.c */

extern const struct cfg_option kc_options[];

/* The finalize hook of the table (cfg_spec.finalize): a topic or a
 * regexp to consume, feedback_socket and feedback_outputs together. */
int kc_config_finalize(void *config, struct cfg_problem *p);

/* All consumer properties: the shared options, the native ones, telex's
 * flow-control choices, then [inputs.kafka_consumer.librdkafka]. */
int kc_config_conf(const struct kc_config *c, rd_kafka_conf_t *conf, char *err,
		   size_t errlen);

/* The subscription: literal topics, then each regexp as librdkafka's
 * "^..." pattern with Telegraf's unanchored meaning. NULL when out of
 * memory. */
rd_kafka_topic_partition_list_t *
kc_config_subscription(const struct kc_config *c);

/* ------------------------------------------------------------------ */
/* kc_offsets.c: for every partition ever assigned, the offset up to which
 * its records' lines have been written to stdout; for records whose lines
 * are still queued, the stdout position after their last line. */

struct kc_part {
	char *topic;
	int32_t partition;
	bool assigned;
	bool dirty;	   /* done moved since kc_offsets_take_dirty() */
	int64_t done;	   /* offset after the last record fully written,
			      -1: none since assigned */
	int64_t committed; /* last offset this process committed, -1 */
	int64_t taken;	   /* offset after the last record taken from
			      librdkafka, -1: none since assigned */
	bool may_go_back;  /* a consumer error event came: the next record
			      may be below taken and is new. Else a record
			      below taken is one fetched again (skipped)
			      unless the log now ends before taken */
	int64_t reseek;	   /* where the partition was last sent back to
			      (taken, then), -1: never */
	int64_t first;	   /* offset of the first record taken since
			      assigned, -1: none */
	uint64_t records;  /* records taken since assigned */
	uint32_t next;	   /* hash chain: index + 1, 0 ends */
};

/* A run of records of one partition whose lines end at stdout position
 * `pos` (records without lines join the run before them). */
struct kc_pending {
	uint32_t part;
	uint32_t records;
	int64_t next_offset; /* offset after the run's last record */
	uint64_t pos;
};

struct kc_offsets {
	struct kc_part *parts;
	size_t nparts, parts_cap;
	uint32_t *buckets; /* index + 1, 0 empty */
	size_t nbuckets;   /* power of two */

	struct kc_pending *ring;
	size_t ring_cap, head, len; /* power-of-two ring */
	uint64_t undelivered;	    /* records in the ring */

	uint32_t *dirty;
	size_t ndirty, dirty_cap;
};

void kc_offsets_init(struct kc_offsets *o);
void kc_offsets_free(struct kc_offsets *o);

/* Index of topic/partition, or -1 when it was never seen. */
int64_t kc_offsets_find(const struct kc_offsets *o, const char *topic,
			int32_t partition);
/* Index of topic/partition, added when new; -1 when out of memory. */
int64_t kc_offsets_get(struct kc_offsets *o, const char *topic,
		       int32_t partition);

/* A record of part ending before next_offset was handled; its last line
 * ends at stdout position pos (the position it would have had when it has
 * no line). 0, or -1 when out of memory (nothing recorded). */
int kc_offsets_track(struct kc_offsets *o, uint32_t part, int64_t next_offset,
		     uint64_t pos);

/* stdout has taken everything before `written`: every run that ends there
 * is done; its partition's `done` moves and the partition is marked dirty.
 * Returns how many records became done. */
uint64_t kc_offsets_written(struct kc_offsets *o, uint64_t written);

/* The partitions marked dirty since the last call (their flag is
 * cleared); valid until the next call. */
const uint32_t *kc_offsets_take_dirty(struct kc_offsets *o, size_t *n);

/* A partition was assigned (state reset) or revoked: runs still pending
 * for it are forgotten (their lines may still be written; the records
 * will come again from the committed offset). */
void kc_offsets_assign(struct kc_offsets *o, uint32_t part);
void kc_offsets_revoke(struct kc_offsets *o, uint32_t part);
/* An assigned partition with nothing handled yet starts at `offset`: it
 * becomes its done offset (and is marked dirty), so that it is committed
 * even if no record comes before the partition is given up. */
void kc_offsets_start(struct kc_offsets *o, uint32_t part, int64_t offset);
/* Forget every pending run: their records are read again. */
void kc_offsets_forget_all(struct kc_offsets *o);

/* ------------------------------------------------------------------ */
/* kc_record.c */

enum kc_ts_source { KC_TS_METRIC, KC_TS_INNER, KC_TS_OUTER };
enum kc_format { KC_FORMAT_INFLUX, KC_FORMAT_JSON };

struct kc_header {
	const char *name;
	const char *value;
	size_t len;
};

/* One Kafka record, as kc_record_process() needs it. */
struct kc_msg {
	const char *topic;
	int32_t partition;
	int64_t offset;
	const char *payload;
	size_t len;
	int64_t timestamp_ms; /* -1: none */
	const struct kc_header *headers;
	size_t nheaders;
};

/* Where metrics go: telex_emit() in the program, a buffer in the tests.
 * emit returns what telex_emit() returns; broken tells whether stdout is
 * gone (then the record is not done). */
struct kc_sink {
	enum telex_emit_result (*emit)(void *arg, struct lp_metric *m);
	bool (*broken)(void *arg);
	void *arg;
};

struct kc_record_stats {
	uint64_t records;    /* records handled */
	uint64_t metrics;    /* metrics emitted */
	uint64_t filtered;   /* metrics dropped by the common filters */
	uint64_t invalid;    /* lines or JSON metrics skipped */
	uint64_t oversize;   /* records over max_message_len, skipped */
	uint64_t empty;	     /* records without a value */
	uint64_t unwritable; /* metrics the writer refused */
};

struct kc_record {
	/* Options, set by the owner. */
	const char *topic_tag; /* NULL: none */
	size_t topic_tag_len;
	char *const *header_tags; /* msg_headers_as_tags, minus name header */
	size_t nheader_tags;
	const char *name_header; /* NULL: none */
	enum kc_ts_source ts_source;
	enum kc_format format;
	size_t max_len; /* 0: unlimited */
	int64_t json_unit_ns;
	struct kc_sink sink;
	struct log_limiter *limiter;

	struct lp_metric metric; /* scratch, reused */
	struct kc_record_stats st;
	/* private, per record */
	const struct kc_msg *cur;
	bool broken;
	bool bad_header;   /* a header (or the topic) makes invalid lines */
	char bad_why[384]; /* which and why */
	struct lp_metric probe; /* the header checks' scratch */
	struct buf probe_buf;
};

void kc_record_init(struct kc_record *r);
void kc_record_free(struct kc_record *r);
/* Emit the metrics of one record. 0 when the record is done with (its
 * valid metrics queued, the rest counted and logged); -1 when stdout is
 * gone (the record must not count as delivered). */
int kc_record_process(struct kc_record *r, const struct kc_msg *msg);
/* True when headers must be read for each record. */
bool kc_record_wants_headers(const struct kc_record *r);

/* ------------------------------------------------------------------ */
/* kc_lag.c: kafka_consumer_lag from librdkafka's statistics JSON. */

struct kc_lag_row {
	const char *topic; /* points into the parsed document */
	int32_t partition;
	int64_t lag;		/* -1: unknown */
	int64_t committed;	/* -1: none */
	int64_t high_watermark; /* -1: unknown */
};

/* Call cb for each partition of the statistics document that `assigned`
 * accepts. Returns the number of rows, or -1 with err set when the
 * document is not librdkafka's statistics JSON. */
int kc_lag_parse(const char *json, size_t len,
		 bool (*assigned)(void *arg, const char *topic,
				  int32_t partition),
		 void (*cb)(void *arg, const struct kc_lag_row *row), void *arg,
		 char *err, size_t errlen);

/* Build the kafka_consumer_lag metric of a row into m (reset first):
 * tags topic, partition, consumer_group; fields lag, committed_offset,
 * high_watermark (those known); time now_ns. -1 when nothing is known. */
int kc_lag_metric(struct lp_metric *m, const struct kc_lag_row *row,
		  const char *group, int64_t now_ns);

/* ------------------------------------------------------------------ */
/* kc_prefetch.c: a FIFO of records taken from librdkafka. */

struct kc_prefetch {
	rd_kafka_message_t **v;
	size_t cap, head, len; /* power-of-two ring */
	size_t bytes;	       /* their cost: see KC_PREFETCH_RECORD_COST */
	size_t high_bytes, high_records; /* paused at either */
};

/* What a record held costs beyond its key and value: librdkafka's message
 * object (an op of 304 bytes in librdkafka 2.0, malloc header included),
 * rounded up. */
#define KC_PREFETCH_RECORD_COST 320u
/* Resumed when both are down to this fraction of the high-water marks. */
#define KC_PREFETCH_LOW_DIVISOR 4u
/* The high-water marks are this fraction of librdkafka's queue limits. */
#define KC_PREFETCH_SHARE 2u

void kc_prefetch_init(struct kc_prefetch *p);
/* The high-water marks: half of librdkafka's own queue limits, read from
 * its configuration (queued.max.messages.kbytes, queued.min.messages), so
 * one setting bounds both queues. 0, or -1 when conf lacks them. */
int kc_prefetch_limits(struct kc_prefetch *p, const rd_kafka_conf_t *conf);
/* At a high-water mark: time to pause. */
bool kc_prefetch_full(const struct kc_prefetch *p);
/* Down to the low-water marks: time to resume. */
bool kc_prefetch_low(const struct kc_prefetch *p);
/* Append m (owned from now on). 0, or -1 when out of memory. */
int kc_prefetch_push(struct kc_prefetch *p, rd_kafka_message_t *m);
/* The oldest record (the caller owns it), or NULL when empty. */
rd_kafka_message_t *kc_prefetch_pop(struct kc_prefetch *p);
/* Destroy the records of the listed partitions (all when NULL), keeping
 * the order of the rest. Returns how many were dropped. */
size_t kc_prefetch_drop(struct kc_prefetch *p,
			const rd_kafka_topic_partition_list_t *parts);
void kc_prefetch_free(struct kc_prefetch *p);

/* ------------------------------------------------------------------ */
/* kc_feedback.c: which emitted metrics Telegraf's outputs have written,
 * from marks telex writes and the outputs' internal_write counters. */

#define KC_FB_MAX_OUTPUTS 8
#define KC_FB_MARK_NAME "telex_mark"

struct kc_fb_output {
	const char *name; /* alias, or the plugin's name when it has none */
	bool seen;	  /* a sample arrived */
	int64_t ts;	  /* the last sample's time, ns */
	int64_t added, written, dropped, size, limit;
	uint64_t emitted_at; /* metrics telex had emitted at that sample */
};

/* A mark line written to stdout after `emitted` metrics, ending at stdout
 * position `pos`. */
struct kc_fb_mark {
	uint64_t seq;
	uint64_t pos;
	uint64_t emitted;
	int64_t back_ns; /* wall clock when it came back, 0: not yet */
	/* metrics_added of a sample taken after it came back, -1: none
	 * yet; one per tracked output */
	int64_t bound[KC_FB_MAX_OUTPUTS];
};

/* One output's internal_write counters. */
struct kc_fb_sample {
	int64_t ts; /* the metric's time, ns */
	int64_t added, written, dropped, size, limit;
};

enum kc_fb_event {
	KC_FB_NONE,	 /* taken, nothing confirmed */
	KC_FB_CONFIRMED, /* confirmed_pos moved */
	KC_FB_DROPPED,	 /* the output dropped metrics: rewind */
	KC_FB_STALE,	 /* older than what was seen: ignored */
	KC_FB_AMBIGUOUS, /* two outputs answer to the name: never confirms */
};

struct kc_fb {
	struct kc_fb_output out[KC_FB_MAX_OUTPUTS];
	size_t nout;
	uint64_t window; /* metrics in flight; 0: half the smallest
			    buffer_limit */
	uint64_t next_seq;

	struct kc_fb_mark *marks; /* power-of-two ring, oldest first */
	size_t mcap, mhead, mlen;

	uint64_t marked;	/* metrics emitted before the last mark */
	uint64_t confirmed;	/* metrics known written */
	uint64_t confirmed_pos; /* stdout position known written */

	bool barrier_on; /* after a drop: wait until the buffers let out */
	int64_t barrier[KC_FB_MAX_OUTPUTS]; /* ... what they held then */
	bool ambiguous;

	uint64_t marks_sent, marks_back, samples, dropped_seen, rewinds;
};

/* Track the named outputs (at most KC_FB_MAX_OUTPUTS; the strings must
 * outlive f). window 0: automatic. */
void kc_fb_init(struct kc_fb *f, char *const *outputs, size_t n,
		uint64_t window);
void kc_fb_free(struct kc_fb *f);
/* A mark was written: seq, the stdout position after it, the metrics
 * emitted before it. 0, or -1 when out of memory (then nothing before it
 * is confirmed until the next mark). */
int kc_fb_mark_add(struct kc_fb *f, uint64_t seq, uint64_t pos,
		   uint64_t emitted);
/* Mark seq came back (wall clock now_ns), and those before it. */
void kc_fb_mark_back(struct kc_fb *f, uint64_t seq, int64_t now_ns);
/* A sample of tracked output `out`, arriving after `emitted` metrics. */
enum kc_fb_event kc_fb_sample(struct kc_fb *f, size_t out,
			      const struct kc_fb_sample *s, uint64_t emitted);
/* After a drop, with everything unconfirmed being read again: forget the
 * marks; nothing new until the buffers let out what they hold now. */
void kc_fb_rewind(struct kc_fb *f, uint64_t emitted);
/* Metrics that may be in flight at once (0 before the first samples). */
uint64_t kc_fb_window(const struct kc_fb *f);
/* True while no more metrics may be emitted: a window of them in
 * flight, or the buffer (as last sampled, plus what was emitted since) at
 * the window. */
bool kc_fb_blocked(const struct kc_fb *f, uint64_t emitted);
/* Half of the rounding a sample time of ts may carry (see the file). */
int64_t kc_fb_rounding(int64_t ts);

/* ------------------------------------------------------------------ */
/* The consumer: kc_fetch.c and kc_group.c. */

struct kc {
	struct telex *t;
	const struct kc_config *cfg;
	struct kafka_client client; /* main queue: logs, errors, statistics */
	rd_kafka_t *rk;
	rd_kafka_queue_t *queue; /* the consumer queue: records, rebalances */
	int qpipe[2];		 /* its event pipe */
	bool cooperative;	 /* incremental rebalance protocol */

	struct kc_offsets off;
	struct kc_record rec;
	struct kc_prefetch pre;
	uint64_t max_undelivered;

	/* Delivery feedback (feedback_socket set): commits follow what
	 * Telegraf's outputs wrote, not what the pipe took. */
	bool feedback;
	struct kc_fb fb;
	struct kc_fbsock *fbsock;
	char fb_instance[17];	/* marks of this run carry it */
	int64_t mark_timer;	/* a mark is due, 0: none scheduled */
	int64_t fb_waiting_ns;	/* monotonic: waiting for confirmation
				   since, 0: not waiting */
	uint64_t fb_waiting_at; /* confirmed count then */

	bool paused;   /* assigned partitions are paused */
	bool stopping; /* stop() was called */
	bool more;     /* a pass is scheduled */
	int64_t more_timer, tick_timer;
	int64_t stop_ns;

	/* Cache of the last record's partition. */
	const rd_kafka_topic_t *last_rkt;
	int32_t last_partition;
	uint32_t last_part;

	struct kc_header *hdrs; /* the current record's headers */
	size_t hdrs_cap;
	char **header_tags; /* msg_headers_as_tags without the name header */

	/* Counters for the summary. */
	uint64_t pauses, commits, commit_failures, rebalances, fetch_errors;
	uint64_t refetched; /* fetched again after a resume, skipped */
	uint64_t stored;
};

/* kc_fbsock.c: the consumer's connection to the feedback relay. */
struct kc_fbsock;
/* Connect to the relay at path, now and whenever the connection is lost.
 * NULL with err set when path cannot be a socket's. */
struct kc_fbsock *kc_fbsock_start(struct kc *c, const char *path, char *err,
				  size_t errlen);
/* Disconnect and stop trying. */
void kc_fbsock_stop(struct kc_fbsock *s);
/* A sentence on why nothing is confirmed, for a warning. */
void kc_fbsock_diagnose(const struct kc_fbsock *s, char *out, size_t n);

/* kc_relay.c: the program as the feedback relay (--feedback-relay). */
extern const struct telex_plugin kc_relay_plugin;

/* kc_fetch.c */
int kc_fetch_start(struct kc *c, char *err, size_t errlen);
/* What the feedback accounting made of a sample of output `out`. */
void kc_fetch_feedback(struct kc *c, size_t out, enum kc_fb_event ev);
/* Take what librdkafka has into the prefetch queue and handle records
 * until it is empty, a budget is spent or stdout must catch up first. */
void kc_fetch_pass(struct kc *c);
/* stdout progress: offsets of written records, flow control. */
void kc_fetch_progress(struct kc *c, uint64_t written);
/* Partitions revoked: forget their prefetched records. */
void kc_fetch_revoked(struct kc *c,
		      const rd_kafka_topic_partition_list_t *parts);
void kc_fetch_stop(struct kc *c);
/* Records done up to where stdout's lines are done: the bytes the pipe
 * took, or with feedback what Telegraf's outputs are known to have
 * written. What may be stored and committed, and nothing more. */
void kc_fetch_settle(struct kc *c);

/* kc_group.c */
void kc_group_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			   rd_kafka_topic_partition_list_t *parts,
			   void *opaque);
/* Hand the offsets of written records to librdkafka's offset store (the
 * auto-commit commits them). */
void kc_group_store(struct kc *c);
/* Commit the written offsets of the given parts (all assigned when NULL)
 * and wait for the answer until deadline_ns. 0, or -1 (logged). */
int kc_group_commit(struct kc *c, const uint32_t *parts, size_t n,
		    int64_t deadline_ns);
/* Commit, leave the group and destroy the client before deadline_ns. */
void kc_group_close(struct kc *c, int64_t deadline_ns);

#endif
