/*
 * lv_conn.c: the libvirt connection, opened on a thread, kept alive,
 * reopened with back-off (lv_conn.h).
 */
#include "lv_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lv_util.h"
#include "telex/log.h"

#define LV_BACKOFF_FIRST_NS 250000000LL		   /* 0.25 s, doubling */
#define LV_BACKOFF_MAX_NS 30000000000LL		   /* 30 s */
#define LV_OPEN_WAIT_NO_KEEPALIVE_NS 10000000000LL /* 10 s */
#define LV_PENDING_REPEAT_NS 60000000000LL	   /* 1 min */

static const char *lv_close_reason(int reason)
{
	switch (reason) {
	case VIR_CONNECT_CLOSE_REASON_ERROR:
		return "I/O error";
	case VIR_CONNECT_CLOSE_REASON_EOF:
		return "closed by the daemon";
	case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
		return "keepalive timeout";
	default:
		return "closed";
	}
}

/* On the event thread. */
static void lv_conn_closed(virConnectPtr c, int reason, void *opaque)
{
	(void)c;
	struct lv_conn *cn = opaque;
	if (reason != VIR_CONNECT_CLOSE_REASON_CLIENT)
		atomic_store(&cn->closed, reason + 1);
}

static void lv_conn_destroy(struct lv_conn *cn)
{
	if (cn->opened)
		virConnectClose(cn->opened);
	pthread_cond_destroy(&cn->cond);
	pthread_mutex_destroy(&cn->lock);
	free(cn->uri);
	free(cn->uri_shown);
	free(cn);
}

static void *lv_conn_opener(void *arg)
{
	struct lv_conn *cn = arg;
	pthread_mutex_lock(&cn->lock);
	for (;;) {
		while (!cn->want_open && !cn->quit)
			pthread_cond_wait(&cn->cond, &cn->lock);
		if (cn->quit)
			break;
		cn->want_open = false;
		cn->opening = true;
		pthread_mutex_unlock(&cn->lock);

		/* Read-only: monitoring changes nothing, and the read-only
		 * socket needs no group membership. No auth callbacks: a
		 * child of Telegraf has no terminal to prompt on. */
		char err[sizeof(cn->open_err)] = "";
		virConnectPtr c =
		    virConnectOpenAuth(cn->uri, NULL, VIR_CONNECT_RO);
		if (!c) {
			snprintf(err, sizeof(err), "%s", lv_last_error());
		} else {
			if (cn->ka_interval > 0 &&
			    virConnectSetKeepAlive(c, cn->ka_interval,
						   cn->ka_count) < 0)
				log_debug("no keepalive on %s: %s",
					  cn->uri_shown, lv_last_error());
			if (virConnectRegisterCloseCallback(c, lv_conn_closed,
							    cn, NULL) < 0)
				log_debug("no close callback on %s: %s",
					  cn->uri_shown, lv_last_error());
			if (cn->on_open)
				cn->on_open(cn->hook_arg, c);
		}

		pthread_mutex_lock(&cn->lock);
		cn->opening = false;
		if (cn->quit) {
			bool orphaned = cn->orphaned;
			pthread_mutex_unlock(&cn->lock);
			if (c) {
				virConnectUnregisterCloseCallback(
				    c, lv_conn_closed);
				virConnectClose(c);
			}
			if (orphaned)
				lv_conn_destroy(cn);
			return NULL;
		}
		if (c) {
			if (cn->opened) /* never taken: replace */
				virConnectClose(cn->opened);
			cn->opened = c;
		} else {
			cn->open_failed = true;
			memcpy(cn->open_err, err, sizeof(err));
		}
		pthread_cond_broadcast(&cn->cond);
	}
	pthread_mutex_unlock(&cn->lock);
	return NULL;
}

struct lv_conn *lv_conn_new(const char *uri, int ka_interval, unsigned ka_count,
			    lv_conn_hook on_open, void *hook_arg, char *err,
			    size_t errlen)
{
	struct lv_conn *cn = calloc(1, sizeof(*cn));
	char shown[1024];
	if (cn) {
		cn->uri = strdup(uri);
		cn->uri_shown =
		    strdup(lv_redact_uri(uri, shown, sizeof(shown)));
	}
	if (!cn || !cn->uri || !cn->uri_shown) {
		if (cn) {
			free(cn->uri);
			free(cn->uri_shown);
		}
		free(cn);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cn->ka_interval = ka_interval;
	cn->ka_count = ka_count;
	cn->on_open = on_open;
	cn->hook_arg = hook_arg;
	pthread_mutex_init(&cn->lock, NULL);
	lv_cond_init(&cn->cond);
	cn->want_open = true; /* the first open starts now */
	cn->open_started = telex_monotonic_ns();
	cn->pending_warn_at = cn->open_started + lv_conn_dead_after_ns(cn);
	int rc = pthread_create(&cn->thread, NULL, lv_conn_opener, cn);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the connection thread: %s",
			 strerror(rc));
		pthread_cond_destroy(&cn->cond);
		pthread_mutex_destroy(&cn->lock);
		free(cn->uri);
		free(cn->uri_shown);
		free(cn);
		return NULL;
	}
	return cn;
}

static void lv_conn_close(struct lv_conn *cn)
{
	if (!cn->c)
		return;
	virConnectUnregisterCloseCallback(cn->c, lv_conn_closed);
	virConnectClose(cn->c);
	cn->c = NULL;
}

void lv_conn_free(struct lv_conn *cn)
{
	if (!cn)
		return;
	lv_conn_close(cn);
	pthread_mutex_lock(&cn->lock);
	cn->quit = true;
	pthread_cond_broadcast(&cn->cond);
	bool stuck = cn->opening;
	if (stuck) {
		/* Blocked in virConnectOpen on a daemon that does not answer:
		 * joining could take forever, and the process is ending. */
		cn->orphaned = true;
		log_debug("leaving a pending open of %s behind", cn->uri_shown);
	}
	pthread_mutex_unlock(&cn->lock);
	if (stuck) {
		pthread_detach(cn->thread);
		return;
	}
	pthread_join(cn->thread, NULL);
	lv_conn_destroy(cn);
}

int64_t lv_conn_dead_after_ns(const struct lv_conn *cn)
{
	if (cn->ka_interval <= 0) /* no keepalive: a bound all the same */
		return LV_OPEN_WAIT_NO_KEEPALIVE_NS;
	return (int64_t)cn->ka_interval * (cn->ka_count + 1) * 1000000000LL;
}

static void lv_conn_lost(struct lv_conn *cn, const char *why)
{
	lv_conn_close(cn);
	if (!cn->down) {
		log_warn("connection to %s lost (%s); reconnecting",
			 cn->uri_shown, why);
		cn->down = true;
		cn->down_since = telex_monotonic_ns();
	}
	cn->fails = 0;
	cn->next_try = 0;
}

bool lv_conn_check(struct lv_conn *cn)
{
	if (!cn->c)
		return true;
	int reason = atomic_load(&cn->closed);
	if (reason) {
		lv_conn_lost(cn, lv_close_reason(reason - 1));
		return true;
	}
	if (virConnectIsAlive(cn->c) != 1) {
		lv_conn_lost(cn, "connection dead");
		return true;
	}
	return false;
}

/* Under the lock: take the opener's result, if any. */
static virConnectPtr lv_conn_take(struct lv_conn *cn, char *err, size_t n,
				  bool *failed)
{
	virConnectPtr c = cn->opened;
	cn->opened = NULL;
	*failed = cn->open_failed;
	if (*failed)
		snprintf(err, n, "%s", cn->open_err);
	cn->open_failed = false;
	return c;
}

static void lv_timespec_after(struct timespec *ts, int64_t ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ns / 1000000000LL);
	ts->tv_nsec += (long)(ns % 1000000000LL);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Under the lock: ask the opener thread for a connection, unless it is
 * at it, or the back-off after a failure has not passed. */
static void lv_conn_ask(struct lv_conn *cn, int64_t now)
{
	if (cn->opening || cn->want_open || now < cn->next_try)
		return;
	cn->want_open = true;
	cn->open_started = now;
	cn->open_waited = false;
	/* A loss was already reported: a reopen that hangs is worth another
	 * line only if it lasts. */
	cn->pending_warn_at =
	    now + (cn->down ? LV_PENDING_REPEAT_NS : lv_conn_dead_after_ns(cn));
	pthread_cond_broadcast(&cn->cond);
}

/* Under the lock: wait up to wait_ns for the open, then take it. */
static virConnectPtr lv_conn_wait(struct lv_conn *cn, int64_t wait_ns,
				  char *err, size_t n, bool *failed)
{
	cn->open_waited = true;
	struct timespec until;
	lv_timespec_after(&until, wait_ns);
	while ((cn->opening || cn->want_open) && !cn->quit)
		if (pthread_cond_timedwait(&cn->cond, &cn->lock, &until) ==
		    ETIMEDOUT)
			break;
	return lv_conn_take(cn, err, n, failed);
}

/* The opener's connection is ours now. */
static void lv_conn_up(struct lv_conn *cn, virConnectPtr c, int64_t now)
{
	cn->c = c;
	atomic_store(&cn->closed, 0);
	cn->generation++;
	if (cn->down && cn->ever_connected)
		log_info("connection to %s is back after %.1f s", cn->uri_shown,
			 (double)(now - cn->down_since) / 1e9);
	else if (cn->down)
		log_info("connected to %s after %.1f s", cn->uri_shown,
			 (double)(now - cn->down_since) / 1e9);
	else
		log_debug("connected to %s", cn->uri_shown);
	cn->ever_connected = true;
	cn->down = false;
	cn->fails = 0;
}

/* The open failed: back off (doubling, up to LV_BACKOFF_MAX_NS). */
static void lv_conn_failed(struct lv_conn *cn, const char *err, int64_t now)
{
	cn->fails++;
	int64_t delay = LV_BACKOFF_FIRST_NS;
	for (unsigned i = 1; i < cn->fails && delay < LV_BACKOFF_MAX_NS; i++)
		delay *= 2;
	if (delay > LV_BACKOFF_MAX_NS)
		delay = LV_BACKOFF_MAX_NS;
	cn->next_try = now + delay;
	if (!cn->down) {
		log_warn("cannot connect to %s: %s; retrying", cn->uri_shown,
			 err);
		cn->down = true;
		cn->down_since = now;
	} else {
		log_debug("still cannot connect to %s: %s", cn->uri_shown, err);
	}
}

/* The open is still pending since `since`: virConnectOpen has no timeout,
 * and a daemon that accepted the connection and never answers holds it
 * forever. Say so, now and then. */
static void lv_conn_pending(struct lv_conn *cn, int64_t since, int64_t now)
{
	if (now < cn->pending_warn_at)
		return;
	log_warn("no answer from %s for %.0f s: the connection is still "
		 "pending; gathers fail until the daemon answers",
		 cn->uri_shown, (double)(now - since) / 1e9);
	cn->pending_warn_at = now + LV_PENDING_REPEAT_NS;
	if (!cn->down) {
		cn->down = true;
		cn->down_since = since;
	}
}

virConnectPtr lv_conn_get(struct lv_conn *cn, int64_t wait_ns)
{
	if (cn->c && !lv_conn_check(cn))
		return cn->c;

	char err[sizeof(cn->open_err)] = "";
	bool failed = false;
	pthread_mutex_lock(&cn->lock);
	virConnectPtr c = lv_conn_take(cn, err, sizeof(err), &failed);
	if (!c && !failed)
		lv_conn_ask(cn, telex_monotonic_ns());
	/* Wait for an open no gather has waited for yet, never again for
	 * one a previous gather waited for: a daemon that does not answer
	 * costs one slow gather, not one per interval. */
	bool pending = !c && !failed && (cn->opening || cn->want_open);
	if (pending && !cn->open_waited && wait_ns > 0) {
		c = lv_conn_wait(cn, wait_ns, err, sizeof(err), &failed);
		pending = !c && !failed && (cn->opening || cn->want_open);
	}
	int64_t pending_since = cn->open_started;
	pthread_mutex_unlock(&cn->lock);

	int64_t now = telex_monotonic_ns();
	if (c)
		lv_conn_up(cn, c, now);
	else if (failed)
		lv_conn_failed(cn, err, now);
	else if (pending)
		lv_conn_pending(cn, pending_since, now);
	return c;
}
