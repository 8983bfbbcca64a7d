/*
 * lv_events.c: libvirt's event loop thread and the lifecycle event queue
 * (lv_events.h).
 */
#include "lv_events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lv_util.h"
#include "telex/log.h"

static const char *const lv_event_names[] = {
    "defined", "undefined", "started",	   "suspended", "resumed",
    "stopped", "shutdown",  "pmsuspended", "crashed",
};

static const char *const lv_detail_defined[] = {"added", "updated", "renamed",
						"from_snapshot"};
static const char *const lv_detail_undefined[] = {"removed", "renamed"};
static const char *const lv_detail_started[] = {
    "booted", "migrated", "restored", "from_snapshot", "wakeup"};
static const char *const lv_detail_suspended[] = {
    "paused",	     "migrated",  "ioerror",  "watchdog",	"restored",
    "from_snapshot", "api_error", "postcopy", "postcopy_failed"};
static const char *const lv_detail_resumed[] = {
    "unpaused", "migrated", "from_snapshot", "postcopy", "postcopy_failed"};
static const char *const lv_detail_stopped[] = {
    "shutdown", "destroyed", "crashed",	     "migrated",
    "saved",	"failed",    "from_snapshot"};
static const char *const lv_detail_shutdown[] = {"finished", "guest", "host"};
static const char *const lv_detail_pmsuspended[] = {"memory", "disk"};
static const char *const lv_detail_crashed[] = {"panicked", "crashloaded"};

#define LV_N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *const *names;
	size_t n;
} lv_details[] = {
    {lv_detail_defined, LV_N(lv_detail_defined)},
    {lv_detail_undefined, LV_N(lv_detail_undefined)},
    {lv_detail_started, LV_N(lv_detail_started)},
    {lv_detail_suspended, LV_N(lv_detail_suspended)},
    {lv_detail_resumed, LV_N(lv_detail_resumed)},
    {lv_detail_stopped, LV_N(lv_detail_stopped)},
    {lv_detail_shutdown, LV_N(lv_detail_shutdown)},
    {lv_detail_pmsuspended, LV_N(lv_detail_pmsuspended)},
    {lv_detail_crashed, LV_N(lv_detail_crashed)},
};

const char *lv_event_name(int event)
{
	if (event < 0 || (size_t)event >= LV_N(lv_event_names))
		return "unknown";
	return lv_event_names[event];
}

const char *lv_event_detail_name(int event, int detail)
{
	if (event < 0 || (size_t)event >= LV_N(lv_details) || detail < 0 ||
	    (size_t)detail >= lv_details[event].n)
		return "unknown";
	return lv_details[event].names[detail];
}

static void *lv_events_run(void *arg)
{
	struct lv_events *ev = arg;
	while (!atomic_load(&ev->quit)) {
		if (virEventRunDefaultImpl() < 0) {
			log_error("libvirt event loop failed: %s",
				  lv_last_error());
			break;
		}
	}
	return NULL;
}

int lv_events_start(struct lv_events *ev, char *err, size_t errlen)
{
	memset(ev, 0, sizeof(*ev));
	ev->pipe[0] = ev->pipe[1] = -1;
	if (pipe2(ev->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "cannot create the event pipe: %s",
			 strerror(errno));
		return -1;
	}
	pthread_mutex_init(&ev->lock, NULL);
	if (virEventRegisterDefaultImpl() < 0) {
		snprintf(err, errlen, "cannot start libvirt's event loop: %s",
			 lv_last_error());
		goto fail;
	}
	int rc = pthread_create(&ev->thread, NULL, lv_events_run, ev);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the event thread: %s",
			 strerror(rc));
		goto fail;
	}
	ev->running = true;
	return 0;
fail:
	close(ev->pipe[0]);
	close(ev->pipe[1]);
	ev->pipe[0] = ev->pipe[1] = -1;
	pthread_mutex_destroy(&ev->lock);
	return -1;
}

static void lv_events_noop(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

void lv_events_stop(struct lv_events *ev)
{
	if (ev->running) {
		atomic_store(&ev->quit, true);
		/* Adding a timer wakes the loop out of poll(); it then sees
		 * quit. */
		int t = virEventAddTimeout(0, lv_events_noop, NULL, NULL);
		pthread_join(ev->thread, NULL);
		if (t >= 0)
			virEventRemoveTimeout(t);
		ev->running = false;
	}
	if (ev->pipe[0] >= 0) {
		struct lv_event *e = lv_events_take(ev, NULL);
		while (e) {
			struct lv_event *next = e->next;
			free(e);
			e = next;
		}
		close(ev->pipe[0]);
		close(ev->pipe[1]);
		pthread_mutex_destroy(&ev->lock);
	}
	ev->pipe[0] = ev->pipe[1] = -1;
}

/* On the event thread: queue and wake the program's loop. */
static int lv_events_lifecycle(virConnectPtr c, virDomainPtr dom, int event,
			       int detail, void *opaque)
{
	(void)c;
	struct lv_events *ev = opaque;
	const char *name = virDomainGetName(dom);
	size_t n = name ? strlen(name) : 0;
	struct lv_event *e = malloc(sizeof(*e) + n + 1);
	if (!e) {
		pthread_mutex_lock(&ev->lock);
		ev->dropped++;
		pthread_mutex_unlock(&ev->lock);
		return 0;
	}
	e->next = NULL;
	e->time = telex_realtime_ns();
	e->event = event;
	e->detail = detail;
	if (virDomainGetUUIDString(dom, e->uuid) < 0)
		e->uuid[0] = '\0';
	memcpy(e->name, name ? name : "", n + 1);

	pthread_mutex_lock(&ev->lock);
	if (ev->queued >= LV_EVENTS_MAX_QUEUED) {
		ev->dropped++;
		pthread_mutex_unlock(&ev->lock);
		free(e);
		return 0;
	}
	if (ev->tail)
		ev->tail->next = e;
	else
		ev->head = e;
	ev->tail = e;
	ev->queued++;
	pthread_mutex_unlock(&ev->lock);
	/* A full pipe already holds a wake-up: EAGAIN is fine. */
	ssize_t w = write(ev->pipe[1], "", 1);
	(void)w;
	return 0;
}

int lv_events_watch(struct lv_events *ev, virConnectPtr c)
{
	return virConnectDomainEventRegisterAny(
	    c, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
	    VIR_DOMAIN_EVENT_CALLBACK(lv_events_lifecycle), ev, NULL);
}

struct lv_event *lv_events_take(struct lv_events *ev, uint64_t *dropped)
{
	char drain[64];
	if (ev->pipe[0] < 0)
		return NULL;
	while (read(ev->pipe[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&ev->lock);
	struct lv_event *e = ev->head;
	ev->head = ev->tail = NULL;
	ev->queued = 0;
	if (dropped)
		*dropped = ev->dropped;
	pthread_mutex_unlock(&ev->lock);
	return e;
}
