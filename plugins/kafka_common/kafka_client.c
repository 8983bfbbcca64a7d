/*
 * kafka_client.c: one librdkafka handle driven by the shim's event loop.
 *
 * librdkafka's main queue carries everything the application must serve:
 * delivery reports, logs (with log.queue), errors, statistics, OAUTHBEARER
 * token refreshes. rd_kafka_queue_io_event_enable() makes librdkafka write
 * a byte to a pipe whenever that queue turns non-empty; the read end is
 * watched by the loop, which then serves the queue with rd_kafka_poll(rk,
 * 0). So every callback runs on the loop's thread (no locks, the log
 * limiter is safe to use) and nothing polls on a timer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kafka_common.h"

/* A stable copy of a librdkafka log facility, used as a rate-limit
 * reason: the limiter keeps the pointer, the facility text given to the
 * log callback does not live that long. */
static const char *kafka_client_facility(struct kafka_client *kc,
					 const char *fac)
{
	for (unsigned i = 0; i < kc->nfacilities; i++)
		if (strcmp(kc->facilities[i], fac) == 0)
			return kc->facilities[i];
	if (kc->nfacilities == KAFKA_LOG_FACILITIES)
		return "librdkafka";
	char *slot = kc->facilities[kc->nfacilities++];
	snprintf(slot, sizeof(kc->facilities[0]), "%s", fac);
	return slot;
}

/* syslog levels (librdkafka's) to telex's. librdkafka logs connection
 * trouble at error level, which repeats while a broker is down: those
 * lines are rate-limited per facility. Its debug lines (only there when
 * the `debug` property asks for them) are telex debug lines. */
static void kafka_client_log_cb(const rd_kafka_t *rk, int level,
				const char *fac, const char *buf)
{
	struct kafka_client *kc = rd_kafka_opaque(rk);
	enum log_level lv = level <= 3	 ? LOG_ERROR
			    : level == 4 ? LOG_WARN
			    : level == 5 ? LOG_INFO
					 : LOG_DEBUG;
	/* A broker connection failing is logged by librdkafka and reported
	 * to the error callback, which says it once (rate-limited). */
	if (strcmp(fac, "FAIL") == 0 && lv < LOG_DEBUG)
		lv = LOG_DEBUG;
	if (lv > log_get_level())
		return;
	if (lv <= LOG_INFO && kc && kc->limiter)
		log_limited(kc->limiter, lv, kafka_client_facility(kc, fac),
			    "librdkafka: %s: %s", fac, buf);
	else
		log_msg(lv, "librdkafka: %s: %s", fac, buf);
}

static void kafka_client_error_cb(rd_kafka_t *rk, int err, const char *reason,
				  void *opaque)
{
	struct kafka_client *kc = opaque;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char why[512];
		rd_kafka_resp_err_t orig =
		    rd_kafka_fatal_error(rk, why, sizeof(why));
		log_error("librdkafka fatal error %s: %s",
			  rd_kafka_err2name(orig), why);
		kc->fatal = true;
		if (kc->on_fatal)
			kc->on_fatal(kc->owner, why);
		return;
	}
	/* Transient (a broker down, all brokers down, a timeout): librdkafka
	 * retries on its own; say so, at most once per interval per error. */
	log_limited(kc->limiter, LOG_WARN,
		    rd_kafka_err2name((rd_kafka_resp_err_t)err),
		    "librdkafka: %s (%s); retrying", reason,
		    rd_kafka_err2name((rd_kafka_resp_err_t)err));
}

static int kafka_client_stats_cb(rd_kafka_t *rk, char *json, size_t len,
				 void *opaque)
{
	(void)rk;
	struct kafka_client *kc = opaque;
	struct kafka_stats s;
	char err[256];
	if (kc->on_stats_json)
		kc->on_stats_json(kc->owner, json, len);
	if (kafka_stats_parse(json, len, &s, err, sizeof(err)) < 0) {
		log_limited(kc->limiter, LOG_WARN, "bad statistics",
			    "librdkafka statistics: %s", err);
		return 0;
	}
	if (kc->on_stats)
		kc->on_stats(kc->owner, &s);
	return 0; /* librdkafka frees json */
}

/* OAUTHBEARER with Telegraf's static sasl_access_token: hand the token
 * over, valid for an hour; librdkafka asks again before it expires. */
static void kafka_client_token_cb(rd_kafka_t *rk, const char *oauth_config,
				  void *opaque)
{
	(void)oauth_config;
	struct kafka_client *kc = opaque;
	const struct kafka_common_config *c = kc->cfg;
	const struct cfg_map *x = &c->sasl_extensions;
	const char *ext[64];
	size_t next = 0;
	for (size_t i = 0; i < x->n && next + 2 <= 64; i++) {
		ext[next++] = x->keys[i];
		ext[next++] = x->values[i];
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	const char *principal = c->sasl_username && *c->sasl_username
				    ? c->sasl_username
				    : "telegraf";
	char why[512];
	if (rd_kafka_oauthbearer_set_token(rk, c->sasl_access_token,
					   now_ms + 3600LL * 1000, principal,
					   ext, next, why, sizeof(why))) {
		log_error("OAUTHBEARER token rejected: %s", why);
		rd_kafka_oauthbearer_set_token_failure(rk, why);
	}
}

int kafka_client_conf(struct kafka_client *kc, rd_kafka_conf_t *conf,
		      const struct kafka_common_config *cfg,
		      struct log_limiter *limiter, char *err, size_t errlen)
{
	kc->cfg = cfg;
	kc->limiter = limiter;
	kc->pipe_r = kc->pipe_w = -1;
	rd_kafka_conf_set_opaque(conf, kc);
	rd_kafka_conf_set_log_cb(conf, kafka_client_log_cb);
	rd_kafka_conf_set_error_cb(conf, kafka_client_error_cb);
	rd_kafka_conf_set_stats_cb(conf, kafka_client_stats_cb);
	if (cfg->sasl_mechanism &&
	    strcmp(cfg->sasl_mechanism, "OAUTHBEARER") == 0 &&
	    cfg->sasl_access_token && *cfg->sasl_access_token)
		rd_kafka_conf_set_oauthbearer_token_refresh_cb(
		    conf, kafka_client_token_cb);
	return kafka_conf_set(conf, "log.queue", "true", err, errlen);
}

static void kafka_client_drain_pipe(struct kafka_client *kc)
{
	char junk[256];
	while (read(kc->pipe_r, junk, sizeof(junk)) > 0)
		;
}

void kafka_client_serve(struct kafka_client *kc, int timeout_ms)
{
	kafka_client_drain_pipe(kc);
	rd_kafka_poll(kc->rk, timeout_ms);
	if (kc->on_served)
		kc->on_served(kc->owner);
}

static void kafka_client_on_fd(struct loop *l, int fd, unsigned events,
			       void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	kafka_client_serve(arg, 0);
}

int kafka_client_start(struct kafka_client *kc, rd_kafka_type_t type,
		       rd_kafka_conf_t *conf, struct loop *l, char *err,
		       size_t errlen)
{
	char why[512];
	kc->rk = rd_kafka_new(type, conf, why, sizeof(why));
	if (!kc->rk) {
		char option[512];
		kafka_conf_explain(kc->cfg, why, option, sizeof(option));
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "creating the Kafka client: %s%s", why,
			 option);
		return -1;
	}
	/* Logs were held in a temporary queue until now (log.queue). */
	rd_kafka_set_log_queue(kc->rk, NULL);
	int fds[2];
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	kc->pipe_r = fds[0];
	kc->pipe_w = fds[1];
	kc->mainq = rd_kafka_queue_get_main(kc->rk);
	rd_kafka_queue_io_event_enable(kc->mainq, kc->pipe_w, "1", 1);
	if (loop_add_fd(l, kc->pipe_r, LOOP_READ, kafka_client_on_fd, kc) < 0) {
		snprintf(err, errlen, "watching librdkafka's queue failed");
		return -1;
	}
	kc->loop = l;
	/* The event fires on an empty queue turning non-empty only: serve
	 * what may have been queued before it was enabled. */
	kafka_client_serve(kc, 0);
	return 0;
}

void kafka_client_close(struct kafka_client *kc)
{
	if (kc->loop && kc->pipe_r >= 0)
		loop_del_fd(kc->loop, kc->pipe_r);
	kc->loop = NULL;
	if (kc->mainq) {
		rd_kafka_queue_io_event_enable(kc->mainq, -1, NULL, 0);
		rd_kafka_queue_destroy(kc->mainq);
		kc->mainq = NULL;
	}
	if (kc->rk) {
		rd_kafka_destroy_flags(kc->rk, kc->destroy_flags);
		kc->rk = NULL;
	}
	if (kc->pipe_r >= 0)
		close(kc->pipe_r);
	if (kc->pipe_w >= 0)
		close(kc->pipe_w);
	kc->pipe_r = kc->pipe_w = -1;
}
