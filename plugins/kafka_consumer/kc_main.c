/*
 * telex-kafka-consumer: records from Kafka topics, in a consumer group, to
 * metrics on stdout (inputs.execd with signal = "none", or any pipe),
 * reading Telegraf's [[inputs.kafka_consumer]] table. A service input of
 * the shim: this file is its life cycle; the work is in the kc_*.c files
 * (see kc.h).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "kc.h"

/* From EOF or SIGTERM to the end of close(): Telegraf sends SIGTERM 5 s
 * after closing stdin. */
#define KC_EXIT_BUDGET_NS (4500LL * 1000000LL)
#define KC_CLOSE_MIN_NS (500LL * 1000000LL)

static enum telex_emit_result kc_sink_emit(void *arg, struct lp_metric *m)
{
	struct kc *c = arg;
	return telex_emit(c->t, m);
}

static bool kc_sink_broken(void *arg)
{
	struct kc *c = arg;
	return telex_out_flush(c->t) < 0;
}

static void kc_on_fatal(void *owner, const char *why)
{
	struct kc *c = owner;
	(void)why; /* logged by kafka_client */
	telex_fail(c->t);
}

struct kc_lag_ctx {
	struct kc *c;
	struct lp_metric m;
	int64_t now_ns;
};

static bool kc_lag_assigned(void *arg, const char *topic, int32_t partition)
{
	const struct kc *c = ((struct kc_lag_ctx *)arg)->c;
	int64_t idx = kc_offsets_find(&c->off, topic, partition);
	return idx >= 0 && c->off.parts[idx].assigned;
}

static void kc_lag_row(void *arg, const struct kc_lag_row *row)
{
	struct kc_lag_ctx *x = arg;
	if (kc_lag_metric(&x->m, row, x->c->cfg->consumer_group, x->now_ns) < 0)
		return;
	telex_emit(x->c->t, &x->m);
}

static void kc_on_stats_json(void *owner, const char *json, size_t len)
{
	struct kc *c = owner;
	if (c->cfg->lag_interval <= 0 || c->stopping)
		return;
	struct kc_lag_ctx x = {.c = c, .now_ns = telex_realtime_ns()};
	char err[256];
	lp_metric_init(&x.m);
	if (kc_lag_parse(json, len, kc_lag_assigned, kc_lag_row, &x, err,
			 sizeof(err)) < 0)
		log_limited(telex_log_limiter(c->t), LOG_WARN, "bad statistics",
			    "kafka_consumer_lag: %s", err);
	lp_metric_free(&x.m);
}

static void kc_record_setup(struct kc *c)
{
	const struct kc_config *cfg = c->cfg;
	struct kc_record *r = &c->rec;
	kc_record_init(r);
	if (cfg->topic_tag && *cfg->topic_tag) {
		r->topic_tag = cfg->topic_tag;
		r->topic_tag_len = strlen(cfg->topic_tag);
	}
	if (cfg->msg_header_as_metric_name && *cfg->msg_header_as_metric_name)
		r->name_header = cfg->msg_header_as_metric_name;
	/* As in Telegraf, the name header is never also a tag. */
	for (size_t i = 0; i < cfg->msg_headers_as_tags.n; i++) {
		char *h = cfg->msg_headers_as_tags.v[i];
		if (!r->name_header || strcmp(h, r->name_header) != 0)
			c->header_tags[r->nheader_tags++] = h;
	}
	r->header_tags = c->header_tags;
	r->ts_source = strcmp(cfg->timestamp_source, "inner") == 0 ? KC_TS_INNER
		       : strcmp(cfg->timestamp_source, "outer") == 0
			   ? KC_TS_OUTER
			   : KC_TS_METRIC;
	r->format = strcmp(cfg->data_format, "telegraf_json") == 0
			? KC_FORMAT_JSON
			: KC_FORMAT_INFLUX;
	r->max_len = (size_t)cfg->max_message_len;
	r->json_unit_ns = cfg->json_timestamp_units;
	r->sink = (struct kc_sink){kc_sink_emit, kc_sink_broken, c};
	r->limiter = telex_log_limiter(c->t);
	c->max_undelivered = cfg->max_undelivered_messages > 0
				 ? (uint64_t)cfg->max_undelivered_messages
				 : 1000;
}

/* Marks of this run carry a random instance, so that marks of another
 * consumer (or of this one's previous run, still in Telegraf's buffers)
 * are not taken for its own. */
static void kc_feedback_setup(struct kc *c)
{
	const struct kc_config *cfg = c->cfg;
	c->feedback = cfg->feedback_socket && *cfg->feedback_socket;
	kc_fb_init(&c->fb, cfg->feedback_outputs.v, cfg->feedback_outputs.n,
		   (uint64_t)cfg->feedback_window);
	uint64_t id = 0;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint64_t)telex_realtime_ns() ^ ((uint64_t)getpid() << 32);
	snprintf(c->fb_instance, sizeof(c->fb_instance), "%016llx",
		 (unsigned long long)id);
}

static void kc_free(struct kc *c)
{
	/* Records hold references into the handle: before destroying it. */
	kc_prefetch_free(&c->pre);
	if (c->queue) {
		rd_kafka_queue_io_event_enable(c->queue, -1, NULL, 0);
		rd_kafka_queue_destroy(c->queue);
		c->queue = NULL;
	}
	kafka_client_close(&c->client);
	c->rk = NULL;
	for (int i = 0; i < 2; i++)
		if (c->qpipe[i] >= 0)
			close(c->qpipe[i]);
	kc_fbsock_stop(c->fbsock);
	kc_fb_free(&c->fb);
	kc_record_free(&c->rec);
	kc_offsets_free(&c->off);
	free(c->header_tags);
	free(c->hdrs);
	free(c);
}

static int kc_open(struct telex *t, struct kc *c, char *err, size_t errlen)
{
	const struct kc_config *cfg = c->cfg;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (kc_config_conf(cfg, conf, err, errlen) ||
	    kafka_client_conf(&c->client, conf, &cfg->kafka,
			      telex_log_limiter(t), err, errlen)) {
		rd_kafka_conf_destroy(conf);
		return TELEX_EXIT_USAGE;
	}
	rd_kafka_conf_set_rebalance_cb(conf, kc_group_rebalance_cb);
	c->client.owner = c;
	c->client.on_fatal = kc_on_fatal;
	c->client.on_stats_json = kc_on_stats_json;
	/* rd_kafka_new() refuses inconsistent properties: a config error. */
	if (kafka_client_start(&c->client, RD_KAFKA_CONSUMER, conf,
			       telex_loop(t), err, errlen))
		return TELEX_EXIT_USAGE;
	c->rk = c->client.rk;
	return 0;
}

static int kc_init(struct telex *t, void *config, void **state)
{
	const struct kc_config *cfg = config;
	char err[1024];
	struct kc *c = calloc(1, sizeof(*c));
	if (c)
		c->header_tags =
		    calloc(cfg->msg_headers_as_tags.n + 1, sizeof(char *));
	if (!c || !c->header_tags) {
		free(c);
		log_error("out of memory");
		return TELEX_EXIT_FAILURE;
	}
	c->t = t;
	c->cfg = cfg;
	c->qpipe[0] = c->qpipe[1] = -1;
	c->client.pipe_r = c->client.pipe_w = -1;
	kc_offsets_init(&c->off);
	kc_prefetch_init(&c->pre);
	kc_record_setup(c);
	kc_feedback_setup(c);
	int rc = kc_open(t, c, err, sizeof(err));
	if (rc) {
		log_error("%s", err);
		kc_free(c);
		return rc;
	}
	*state = c;
	return 0;
}

static int kc_start(struct telex *t, void *state)
{
	(void)t;
	struct kc *c = state;
	char err[512];
	if (c->feedback) {
		c->fbsock = kc_fbsock_start(c, c->cfg->feedback_socket, err,
					    sizeof(err));
		if (!c->fbsock) {
			log_error("%s", err);
			return -1;
		}
	} else {
		log_warn("delivery is acknowledged at the pipe only: a record "
			 "is committed once its metrics are in Telegraf's "
			 "pipe, and lost if Telegraf's output buffer "
			 "overflows; set feedback_socket and "
			 "feedback_outputs to commit only what the output "
			 "wrote (README: Delivery feedback)");
	}
	if (kc_fetch_start(c, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	log_info("consuming as group \"%s\"%s", c->cfg->consumer_group,
		 c->feedback ? ", committing what Telegraf's outputs wrote"
			     : "");
	return 0;
}

static void kc_stop(struct telex *t, void *state)
{
	(void)t;
	kc_fetch_stop(state);
}

/* Metric lines queued that stdout never took (it closed: "| head"). */
static uint64_t kc_unwritten_metrics(const struct kc *c)
{
	size_t len;
	const char *p = telex_out_unwritten(c->t, &len), *e = p + len;
	uint64_t n = 0;
	static const char mark[] = KC_FB_MARK_NAME ",";
	while (p && p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			break;
		if ((size_t)(nl - p) < sizeof(mark) - 1 ||
		    memcmp(p, mark, sizeof(mark) - 1) != 0)
			n++;
		p = nl + 1;
	}
	return n;
}

static void kc_summary(const struct kc *c)
{
	const struct kc_record_stats *s = &c->rec.st;
	uint64_t lost = kc_unwritten_metrics(c);
	bool clean = !s->invalid && !s->oversize && !s->unwritable &&
		     !c->fetch_errors && !c->commit_failures && !lost &&
		     !c->fb.dropped_seen;
	char fb[160] = "";
	if (c->feedback)
		snprintf(fb, sizeof(fb),
			 "; %llu metrics confirmed written by Telegraf's "
			 "output, %llu dropped there (%llu re-reads)",
			 (unsigned long long)c->fb.confirmed,
			 (unsigned long long)c->fb.dropped_seen,
			 (unsigned long long)c->fb.rewinds);
	log_msg(
	    clean ? LOG_INFO : LOG_WARN,
	    "kafka_consumer: %llu records, %llu metrics written, %llu not "
	    "written (stdout closed), %llu invalid metrics, %llu oversize "
	    "and %llu empty records skipped, %llu dropped by filters, %llu "
	    "consumer errors, %llu rebalances, %llu pauses (%llu records "
	    "fetched again skipped), %llu commits (%llu failed)%s",
	    (unsigned long long)s->records,
	    (unsigned long long)(s->metrics - lost), (unsigned long long)lost,
	    (unsigned long long)s->invalid, (unsigned long long)s->oversize,
	    (unsigned long long)s->empty, (unsigned long long)s->filtered,
	    (unsigned long long)c->fetch_errors,
	    (unsigned long long)c->rebalances, (unsigned long long)c->pauses,
	    (unsigned long long)c->refetched, (unsigned long long)c->commits,
	    (unsigned long long)c->commit_failures, fb);
}

static void kc_close(struct telex *t, void *state)
{
	(void)t;
	struct kc *c = state;
	if (!c)
		return;
	kc_fetch_stop(c);
	/* What stdout took last (a partial write before it closed, say)
	 * is done too. */
	kc_fetch_progress(c, telex_out_written(c->t));
	int64_t now = telex_monotonic_ns();
	int64_t deadline = c->stop_ns + KC_EXIT_BUDGET_NS;
	if (deadline < now + KC_CLOSE_MIN_NS)
		deadline = now + KC_CLOSE_MIN_NS;
	kc_group_close(c, deadline);
	/* Logs librdkafka queued while leaving. */
	kafka_client_serve(&c->client, 0);
	kc_summary(c);
	kc_free(c);
}

static const struct telex_plugin kc_plugin = {
    .program = "telex-kafka-consumer",
    .summary = "read metrics from Kafka topics to stdout, a drop-in for "
	       "Telegraf's inputs.kafka_consumer",
    .kind = TELEX_SERVICE_INPUT,
    .config = {.section = "inputs",
	       .name = "kafka_consumer",
	       .options = kc_options,
	       .finalize = kc_config_finalize},
    .config_size = sizeof(struct kc_config),
    .init = kc_init,
    .start = kc_start,
    .stop = kc_stop,
    .close = kc_close,
};

/*
 * glibc's malloc, set for this program's pattern (README.md, "Memory and
 * speed"): librdkafka's broker threads allocate fetch responses and
 * message objects, the main thread frees them. With a thread arena per
 * broker and the default dynamic mmap threshold (which rises to the size
 * of the first large block freed), the responses end up inside the arenas,
 * and what they free stays resident: half of the peak while catching up.
 * One arena and a fixed threshold return responses to the system as soon
 * as their last record is handled. Settings made through the environment
 * (GLIBC_TUNABLES, MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_) win.
 */
#define KC_MMAP_THRESHOLD (256 * 1024)

static void kc_malloc_setup(void)
{
	const char *t = getenv("GLIBC_TUNABLES");
	if ((t && strstr(t, "glibc.malloc.")) || getenv("MALLOC_ARENA_MAX") ||
	    getenv("MALLOC_MMAP_THRESHOLD_"))
		return;
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, KC_MMAP_THRESHOLD);
}

/* --feedback-relay (one or two dashes) runs the feedback relay instead
 * of the consumer; the flag is the relay's own, so it is taken out of
 * argv before the shared command line is read. */
static bool kc_take_relay_flag(int *argc, char **argv)
{
	bool relay = false;
	int n = 0;
	for (int i = 0; i < *argc; i++) {
		const char *a = argv[i];
		if (i > 0 && (strcmp(a, "--feedback-relay") == 0 ||
			      strcmp(a, "-feedback-relay") == 0)) {
			relay = true;
			continue;
		}
		argv[n++] = argv[i];
	}
	argv[n] = NULL;
	*argc = n;
	return relay;
}

int main(int argc, char **argv)
{
	if (kc_take_relay_flag(&argc, argv))
		return telex_main(&kc_relay_plugin, argc, argv);
	kc_malloc_setup();
	return telex_main(&kc_plugin, argc, argv);
}
