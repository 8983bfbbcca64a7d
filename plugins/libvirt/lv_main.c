/*
 * lv_main.c: telex-libvirt, a drop-in for Telegraf's inputs.libvirt under
 * inputs.execd. The shim runs the life cycle; this file wires the plugin's
 * modules to it: options -> settings, libvirt's event thread, the
 * connection, the collector, and lifecycle events into the program's loop.
 */
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_collect.h"
#include "lv_events.h"
#include "lv_options.h"
#include "lv_util.h"
#include "telex/shim.h"

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
};

static int lv_emit(void *arg, struct lp_metric *m)
{
	return telex_emit(arg, m);
}

/* On the opener thread, for every new connection. */
static void lv_on_open(void *arg, virConnectPtr c)
{
	struct lv_state *st = arg;
	if (st->set.lifecycle_events && lv_events_watch(&st->events, c) < 0)
		log_warn("no lifecycle events from %s: %s", st->set.uri,
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
		if (lv_settings_selects(&st->set, e->name))
			lv_emit_event(&st->col.map, e, st->set.domain_uuid_tag);
		free(e);
		e = next;
	}
	/* Printed the moment libvirt reports them, not at the next gather. */
	telex_out_flush(st->t);
}

static void lv_close(struct telex *t, void *state)
{
	(void)t;
	struct lv_state *st = state;
	if (!st)
		return;
	if (st->watching_pipe)
		loop_del_fd(telex_loop(st->t), st->events.pipe[0]);
	/* Connections first: their clean-up runs on the event loop. */
	lv_conn_free(st->conn);
	if (st->events_running)
		lv_events_stop(&st->events);
	if (st->col_ready)
		lv_collector_free(&st->col);
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
		log_error("[[inputs.libvirt]]: %s", err);
		free(st);
		return TELEX_EXIT_USAGE;
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
	lv_collector_init(&st->col, &st->set, NULL, telex_log_limiter(t),
			  lv_emit, t);
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
	*state = st;
	return 0;
fail:
	lv_close(t, st);
	return TELEX_EXIT_FAILURE;
}

static int lv_gather(struct telex *t, void *state)
{
	(void)t;
	struct lv_state *st = state;
	return lv_collect(&st->col) < 0 ? -1 : 0;
}

static const struct telex_plugin lv_plugin = {
    .program = "telex-libvirt",
    .summary = "VM metrics from libvirt as line protocol, a drop-in for "
	       "Telegraf's inputs.libvirt",
    .kind = TELEX_INPUT,
    .config = {.section = "inputs", .name = "libvirt", .options = lv_options},
    .config_size = sizeof(struct lv_config),
    .init = lv_init,
    .gather = lv_gather,
    .close = lv_close,
};

int main(int argc, char **argv)
{
	return telex_main(&lv_plugin, argc, argv);
}
