/*
 * lv_conn.h: the connection to libvirt, kept alive and reopened.
 *
 * - Opening happens on a thread of its own: virConnectOpen to a daemon that
 *   accepts but does not answer (stopped, overloaded) blocks without a
 *   timeout, and a gather must never block longer than the keepalive time.
 * - Every connection gets a keepalive (a hung daemon fails the calls in
 *   interval * (count + 1) seconds instead of blocking forever) and a close
 *   callback; a failed call is followed by virConnectIsAlive.
 * - A lost connection is closed (not just forgotten) and reopened with
 *   back-off. One warning when it is lost, one info line when it is back,
 *   nothing in between.
 * - An open that stays pending (a daemon that accepts the connection and
 *   never answers) is waited for by one gather only, and said: a warning
 *   once it has lasted the keepalive time (when nothing was reported yet)
 *   and then once a minute while it lasts.
 * - Logs show the URI with its password replaced (lv_redact_uri).
 */
#ifndef LV_CONN_H
#define LV_CONN_H

#include <libvirt/libvirt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Called on the opener thread for every new connection (register event
 * callbacks). A failure is logged by the hook and does not fail the open. */
typedef void (*lv_conn_hook)(void *arg, virConnectPtr c);

struct lv_conn {
	char *uri;	 /* to open */
	char *uri_shown; /* to log */
	int ka_interval; /* seconds, 0: no keepalive */
	unsigned ka_count;
	lv_conn_hook on_open;
	void *hook_arg;

	virConnectPtr c;   /* the live connection, gather thread only */
	atomic_int closed; /* set by the close callback: reason + 1 */

	/* The opener thread and what it shares with the gather thread. */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool want_open, opening, quit;
	int64_t open_started;	 /* monotonic ns, of the pending open */
	bool open_waited;	 /* a gather already waited for it */
	int64_t pending_warn_at; /* next "still pending" warning, ns */
	bool orphaned; /* freed by the opener thread when its open returns */
	virConnectPtr opened; /* result, taken by the gather thread */
	char open_err[512];
	bool open_failed;

	/* Connection state as the logs tell it. */
	bool ever_connected;
	bool down;	     /* lost or never opened, already reported */
	int64_t down_since;  /* monotonic ns */
	unsigned fails;	     /* failed opens since the last success */
	int64_t next_try;    /* monotonic ns */
	uint64_t generation; /* bumped per new connection */
};

/* Start the opener thread and a first open. uri is copied (and a redacted
 * copy kept for the logs). NULL with err set on failure. */
struct lv_conn *lv_conn_new(const char *uri, int ka_interval, unsigned ka_count,
			    lv_conn_hook on_open, void *hook_arg, char *err,
			    size_t errlen);
/* Close the connection and stop the opener. An opener still blocked in
 * virConnectOpen is detached and frees the struct itself when the open
 * returns. */
void lv_conn_free(struct lv_conn *cn);

/*
 * The live connection for a gather, or NULL when there is none now (the
 * state was logged as described above; the caller skips the gather).
 * Waits at most `wait_ns` for an open that no gather has waited for yet.
 */
virConnectPtr lv_conn_get(struct lv_conn *cn, int64_t wait_ns);

/* A call on the connection failed: if the connection is dead, close it and
 * report the loss (once). Returns true when it was dead. */
bool lv_conn_check(struct lv_conn *cn);

/* How long a blocked call can take before keepalive fails it, ns (10 s
 * without keepalive): also the longest a gather waits for an open. */
int64_t lv_conn_dead_after_ns(const struct lv_conn *cn);

#endif
