/*
 * lv_events.h: libvirt's event loop on a thread of its own, and the
 * domain lifecycle events it delivers, handed to the program's loop.
 *
 * libvirt needs a running event loop for keepalive, the close callback and
 * domain events. The default implementation runs on a thread started here
 * (after the shim has blocked the signals it handles, so the thread
 * inherits the mask). Lifecycle events are queued by that thread and the
 * queue's pipe wakes the program's loop, which takes them and emits them:
 * metrics are only ever written from the loop's thread.
 */
#ifndef LV_EVENTS_H
#define LV_EVENTS_H

#include <libvirt/libvirt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lv_event {
	struct lv_event *next;
	int64_t time; /* wall clock when libvirt reported it, ns */
	int event;    /* virDomainEventType */
	int detail;   /* its detail enum */
	char uuid[VIR_UUID_STRING_BUFLEN];
	char name[]; /* domain name */
};

/* More than this many events waiting: drop the newest, count them. */
#define LV_EVENTS_MAX_QUEUED 10000

struct lv_events {
	pthread_t thread;
	bool running;
	atomic_bool quit;
	int pipe[2]; /* [0] read by the program's loop */
	pthread_mutex_t lock;
	struct lv_event *head, *tail;
	size_t queued;
	uint64_t dropped;
};

/* Register libvirt's default event loop (before any connection is opened)
 * and start its thread. 0, or -1 with err set. */
int lv_events_start(struct lv_events *ev, char *err, size_t errlen);
/* Stop and join the thread; free what is queued. Connections must be
 * closed first (their clean-up runs on the event loop). */
void lv_events_stop(struct lv_events *ev);

/* Subscribe to lifecycle events of every domain of c. Returns the
 * callback id, or -1 (libvirt's error is set). */
int lv_events_watch(struct lv_events *ev, virConnectPtr c);

/* Take every queued event, oldest first (the caller frees each with
 * free()); drains the wake-up pipe. *dropped: events lost so far (queue
 * full or out of memory). */
struct lv_event *lv_events_take(struct lv_events *ev, uint64_t *dropped);

/* Names of an event and its detail, as printed in libvirt_event:
 * "started" / "booted", "stopped" / "crashed", ... */
const char *lv_event_name(int event);
const char *lv_event_detail_name(int event, int detail);

#endif
