/*
 * telex-kafka-output: metrics from stdin (outputs.execd, or any pipe) to
 * Kafka with librdkafka, reading Telegraf's [[outputs.kafka]] table
 * (kout_options.c). This file holds the plugin's life cycle and
 * --spool-status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kout.h"

static void kout_close(struct telex *t, void *state);

/* Everything init needs after the checks; on failure the caller closes
 * what was opened (the shim calls close() only after a successful init). */
static int kout_open(struct telex *t, struct kout *k, char *err, size_t errlen)
{
	const struct kout_config *c = k->cfg;
	char why[768];
	if (kout_headers_compile(&k->headers, &c->headers,
				 c->metric_name_header, why, sizeof(why))) {
		snprintf(err, errlen, "[%s.headers] %s", KOUT_TABLE, why);
		return TELEX_EXIT_USAGE;
	}
	kout_router_init(&k->router, c, &k->headers);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (kout_conf(c, conf, err, errlen) ||
	    kafka_client_conf(&k->client, conf, &c->kafka, telex_log_limiter(t),
			      err, errlen)) {
		rd_kafka_conf_destroy(conf);
		return TELEX_EXIT_USAGE;
	}
	kout_set_dr_cb(conf);
	k->topics.max = (size_t)c->max_topics;
	if (c->spool_dir && *c->spool_dir) {
		int rc = kout_spool_start(k, err, errlen);
		if (rc) {
			rd_kafka_conf_destroy(conf);
			return rc;
		}
	}
	k->queue_max_records =
	    kafka_conf_get_int(conf, "queue.buffering.max.messages", 100000);
	k->pack_linger_ns = kafka_conf_get_int(conf, "linger.ms", 5) * 1000000;
	k->queue_max_bytes =
	    kafka_conf_get_int(conf, "queue.buffering.max.kbytes", 32768) *
	    1024;
	k->client.owner = k;
	k->client.on_served = kout_on_served;
	k->client.on_stats = kout_on_stats;
	k->client.on_fatal = kout_on_fatal;
	/* rd_kafka_new() refuses inconsistent properties: a config error. */
	if (kafka_client_start(&k->client, RD_KAFKA_PRODUCER, conf,
			       telex_loop(t), err, errlen))
		return TELEX_EXIT_USAGE;
	const char *reason;
	k->default_rkt = kout_topic_get(&k->topics, k->client.rk, c->topic,
					strlen(c->topic), &reason, err, errlen);
	if (!k->default_rkt) {
		char why[512];
		snprintf(why, sizeof(why), "%.500s", err);
		snprintf(err, errlen, "[%s] topic: %s", KOUT_TABLE, why);
		return TELEX_EXIT_USAGE;
	}
	/* What an earlier run left in the spool goes first. */
	if (k->spooling)
		kout_on_served(k);
	return 0;
}

static int kout_init(struct telex *t, void *config, void **state)
{
	const struct kout_config *c = config;
	char err[1024];
	struct kout *k = calloc(1, sizeof(*k));
	if (!k) {
		log_error("out of memory");
		return TELEX_EXIT_FAILURE;
	}
	k->t = t;
	k->cfg = c;
	k->client.pipe_r = k->client.pipe_w = -1;
	int rc = kout_open(t, k, err, sizeof(err));
	if (rc) {
		log_error("%s", err);
		kout_close(t, k);
		return rc;
	}
	*state = k;
	return 0;
}

static void kout_close(struct telex *t, void *state)
{
	struct kout *k = state;
	if (!k)
		return;
	if (k->pack_timer)
		loop_cancel_timer(telex_loop(t), k->pack_timer);
	kout_packer_free(&k->packer);
	for (size_t i = k->retry.next; i < k->retry.n; i++)
		kout_token_drop(&k->ledger, k->retry.v[i].tok);
	kout_retry_reset(&k->retry);
	kout_topics_free(&k->topics);
	kafka_client_close(&k->client);
	/* After the client: its last delivery reports may still move the
	 * spool's ack position. */
	kout_spool_stop(k);
	kout_ledger_free(&k->ledger);
	kout_router_free(&k->router);
	buf_free(&k->scratch);
	kout_headers_free(&k->headers);
	for (size_t i = 0; i < KOUT_LEFT_TOPICS; i++)
		free(k->left[i].name);
	free(k->lpos);
	free(k);
}

/* --spool-status DIR (or =DIR): print what the spool holds and exit;
 * handled before the shim's command line, as it needs no config. Returns
 * -1 when argv does not ask for it. */
static int kout_status_request(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-')
			continue;
		const char *name = a + 1 + (a[1] == '-');
		if (strncmp(name, "spool-status", 12) != 0 ||
		    (name[12] && name[12] != '='))
			continue;
		const char *dir = name[12] == '=' ? name + 13
				  : i + 1 < argc  ? argv[i + 1]
						  : NULL;
		if (!dir || !*dir) {
			log_error("--spool-status needs the spool's directory");
			return TELEX_EXIT_USAGE;
		}
		struct buf out = BUF_INIT;
		int rc = kout_spool_status(dir, &out);
		if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
			rc = TELEX_EXIT_FAILURE;
		buf_free(&out);
		return rc;
	}
	return -1;
}

static const struct telex_usage_option kout_usage[] = {
    {"--spool-status DIR",
     "print what the spool in DIR holds (records, bytes, the oldest, "
     "rejected) without changing it, and exit"},
    {NULL, NULL},
};

static const struct telex_plugin kout_plugin = {
    .program = "telex-kafka-output",
    .summary = "write metrics from stdin to Kafka, a drop-in for "
	       "Telegraf's outputs.kafka",
    .usage_extra = kout_usage,
    .kind = TELEX_OUTPUT,
    .config = {.section = "outputs",
	       .name = "kafka",
	       .options = kout_options,
	       .finalize = kout_config_finalize},
    .config_size = sizeof(struct kout_config),
    .init = kout_init,
    .write = kout_write,
    .flush = kout_flush,
    .close = kout_close,
};

int main(int argc, char **argv)
{
	int rc = kout_status_request(argc, argv);
	return rc >= 0 ? rc : telex_main(&kout_plugin, argc, argv);
}
