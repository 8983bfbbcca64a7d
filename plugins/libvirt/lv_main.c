/*
 * lv_main.c: telex-libvirt, a drop-in for Telegraf's inputs.libvirt under
 * inputs.execd. The shim runs the life cycle; this file wires the plugin's
 * modules to it: options -> settings, libvirt's event thread, the
 * connection, the collector on its worker thread, lifecycle events into
 * the program's loop, and the warning for a program nobody asks to gather.
 */
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv.h"
#include "lv_collect.h"
#include "lv_events.h"
#include "lv_util.h"
#include "lv_worker.h"
#include "telex/shim.h"

/* From EOF or SIGTERM, the longest a gather still runs before it is left
 * behind, and the longest the connection's close may take: with the
 * drain, well inside the 5 s Telegraf waits before its SIGTERM. */
#define LV_STOP_GRACE_NS 2000000000LL
#define LV_CLOSE_GRACE_NS 1000000000LL
/* A warning about missing gather requests is repeated after this many
 * request_warning periods. */
#define LV_REQUEST_WARN_REPEAT 10

struct lv_state {
	struct telex *t;
	struct lv_settings set;
	struct lv_events events;
	bool events_running;
	bool watching_pipe;
	struct lv_conn *conn;
	struct lv_collector col;
	bool col_ready;
	uint64_t events_dropped; /* already reported */

	/* The worker thread runs every libvirt call of a gather; its logs go
	 * to a limiter of its own (the shim's is the loop thread's). */
	struct lv_worker worker;
	struct log_limiter limiter;
	int64_t give_up_at; /* set once stopping: when a gather is left */
	bool abandon_logged;

	int64_t last_request;	   /* monotonic ns: start or last gather */
	int64_t next_request_warn; /* monotonic ns */
	int64_t request_timer;
};

/* On the worker (gathers) or the loop thread (events): a metric goes out
 * unless its gather was left behind. */
static enum telex_emit_result lv_emit(void *arg, struct lp_metric *m)
{
	struct lv_state *st = arg;
	if (!lv_worker_enter(&st->worker))
		return TELEX_EMIT_UNWRITABLE;
	enum telex_emit_result rc = telex_emit(st->t, m);
	lv_worker_leave(&st->worker);
	return rc;
}

/* On the opener thread, for every new connection. */
static void lv_on_open(void *arg, virConnectPtr c)
{
	struct lv_state *st = arg;
	if (st->set.lifecycle_events && lv_events_watch(&st->events, c) < 0)
		log_warn("no lifecycle events from %s: %s", st->set.uri_shown,
			 lv_last_error());
}

/* On the loop thread: libvirt's thread queued events. */
static void lv_on_events(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	struct lv_state *st = arg;
	uint64_t dropped = 0;
	struct lv_event *e = lv_events_take(&st->events, &dropped);
	/* A gather left behind may still use the mapper. */
	bool usable = !lv_worker_abandoned(&st->worker);
	if (dropped > st->events_dropped) {
		log_limited(telex_log_limiter(st->t), LOG_WARN,
			    "lifecycle events dropped",
			    "%llu lifecycle events dropped (more than %d "
			    "waiting, or out of memory)",
			    (unsigned long long)(dropped - st->events_dropped),
			    LV_EVENTS_MAX_QUEUED);
		st->events_dropped = dropped;
	}
	while (e) {
		struct lv_event *next = e->next;
		if (usable && lv_settings_selects(&st->set, e->name))
			lv_emit_event(&st->col.map, e, st->set.domain_uuid_tag);
		free(e);
		e = next;
	}
	/* Printed the moment libvirt reports them, not at the next gather. */
	telex_out_flush(st->t);
}

/* Under inputs.execd with signal = "none" (the default) Telegraf never
 * asks, and a program that only gathers when asked would say nothing. */
static void lv_on_request_timer(struct loop *l, void *arg)
{
	struct lv_state *st = arg;
	int64_t now = loop_now(l);
	int64_t idle = now - st->last_request;
	if (idle < st->set.request_warning_ns || now < st->next_request_warn)
		return;
	log_warn("no gather request for %.0f s: telex-libvirt gathers when "
		 "asked (a stdin line: inputs.execd signal = \"STDIN\"; "
		 "SIGUSR1) or with -poll_interval; under signal = \"none\", "
		 "give -poll_interval",
		 (double)idle / 1e9);
	st->next_request_warn =
	    now + LV_REQUEST_WARN_REPEAT * st->set.request_warning_ns;
}

static bool lv_stop_pending(void *arg)
{
	struct lv_state *st = arg;
	return telex_stop_pending(st->t);
}

/* On the worker: what the loop thread leaves behind at the end. */
static int lv_close_conn_job(void *arg)
{
	struct lv_state *st = arg;
	lv_conn_free(st->conn);
	st->conn = NULL;
	return 0;
}

static void lv_close(struct telex *t, void *state)
{
	(void)t;
	struct lv_state *st = state;
	if (!st)
		return;
	if (st->watching_pipe)
		loop_del_fd(telex_loop(st->t), st->events.pipe[0]);
	if (st->request_timer > 0)
		loop_cancel_timer(telex_loop(st->t), st->request_timer);
	/* Connections first: their clean-up runs on the event loop. Closing
	 * one to a daemon that stopped answering waits for keepalive, so it
	 * is a job of the worker, with a bound. */
	if (st->conn && st->worker.running) {
		int64_t give_up_at = telex_monotonic_ns() + LV_CLOSE_GRACE_NS;
		lv_worker_run(&st->worker, lv_close_conn_job, st, NULL, NULL,
			      &give_up_at, 0);
	} else {
		lv_conn_free(st->conn);
	}
	if (lv_worker_abandoned(&st->worker)) {
		/* A job still runs and uses all of it: the process is ending,
		 * leave it be. */
		log_debug("leaving a libvirt call behind");
		lv_worker_stop(&st->worker);
		return;
	}
	lv_worker_stop(&st->worker);
	if (st->events_running)
		lv_events_stop(&st->events);
	if (st->col_ready)
		lv_collector_free(&st->col);
	log_limited_flush(&st->limiter, LOG_WARN);
	lv_settings_free(&st->set);
	free(st);
}

static int lv_init(struct telex *t, void *config, void **state)
{
	char err[512];
	struct lv_state *st = calloc(1, sizeof(*st));
	if (!st) {
		log_error("out of memory");
		return TELEX_EXIT_FAILURE;
	}
	st->t = t;
	if (lv_settings_compile(config, &st->set, err, sizeof(err)) < 0) {
		log_error("%s", err);
		free(st);
		return TELEX_EXIT_FAILURE;
	}
	lv_quiet_libvirt_errors();
	if (virInitialize() < 0) {
		log_error("cannot initialise libvirt: %s", lv_last_error());
		goto fail;
	}
	/* Threads start here, after the shim blocked the signals it reads
	 * from its signalfd: they inherit the mask. */
	if (lv_events_start(&st->events, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto fail;
	}
	st->events_running = true;
	if (lv_worker_start(&st->worker, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto fail;
	}
	lv_collector_init(&st->col, &st->set, NULL, &st->limiter, lv_emit, st);
	st->col_ready = true;
	if (st->set.lifecycle_events) {
		if (loop_add_fd(telex_loop(t), st->events.pipe[0], LOOP_READ,
				lv_on_events, st) < 0) {
			log_error("cannot watch the event pipe");
			goto fail;
		}
		st->watching_pipe = true;
	}
	st->conn =
	    lv_conn_new(st->set.uri, st->set.ka_interval, st->set.ka_count,
			lv_on_open, st, err, sizeof(err));
	if (!st->conn) {
		log_error("%s", err);
		goto fail;
	}
	st->col.conn = st->conn;
	st->last_request = telex_monotonic_ns();
	int64_t period = st->set.request_warning_ns;
	if (period > 0) {
		int64_t every =
		    period / 2 > 100000000LL ? period / 2 : 100000000LL;
		st->request_timer = loop_add_timer(telex_loop(t), every, every,
						   lv_on_request_timer, st);
		if (st->request_timer < 0) {
			log_error("cannot start the request timer");
			goto fail;
		}
	}
	*state = st;
	return 0;
fail:
	lv_close(t, st);
	return TELEX_EXIT_FAILURE;
}

static int lv_gather_job(void *arg)
{
	struct lv_state *st = arg;
	return lv_collect(&st->col);
}

static int lv_gather(struct telex *t, void *state)
{
	(void)t;
	struct lv_state *st = state;
	st->last_request = telex_monotonic_ns();
	int rc = lv_worker_run(&st->worker, lv_gather_job, st, lv_stop_pending,
			       st, &st->give_up_at, LV_STOP_GRACE_NS);
	/* Idle time counts from the end of a gather: a long one (a first
	 * open under valgrind) is not a missing request. */
	st->last_request = telex_monotonic_ns();
	if (rc == LV_WORKER_NO_TIME) {
		log_debug("a gather asked for at the end: no time left for it");
		return -1;
	}
	if (rc == LV_WORKER_ABANDONED) {
		/* Said once; a request that came with the end meets the same
		 * busy worker and fails quietly. */
		if (!st->abandon_logged)
			log_warn("a gather from %s was still running %.1f s "
				 "after the program was asked to stop; left "
				 "behind",
				 st->set.uri_shown,
				 (double)LV_STOP_GRACE_NS / 1e9);
		st->abandon_logged = true;
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

static const struct telex_plugin lv_plugin = {
    .program = "telex-libvirt",
    .summary = "VM metrics from libvirt as line protocol, a drop-in for "
	       "Telegraf's inputs.libvirt",
    .kind = TELEX_INPUT,
    .config = {.section = "inputs",
	       .name = "libvirt",
	       .options = lv_options,
	       .finalize = lv_config_finalize},
    .config_size = sizeof(struct lv_config),
    .init = lv_init,
    .gather = lv_gather,
    .close = lv_close,
};

int main(int argc, char **argv)
{
	return telex_main(&lv_plugin, argc, argv);
}
