/*
 * lv_bulk.c: the bulk statistics call on a thread, with a deadline
 * (lv_bulk.h).
 */
#include "lv_bulk.h"

#include <errno.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lv_util.h"

struct lv_bulk_call {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done, abandoned;
	struct lv_bulk_shared *sh;
	virConnectPtr c;    /* referenced */
	virDomainPtr *doms; /* referenced copies, NULL-terminated; or NULL */
	unsigned stats, flags;
	struct lv_bulk_result res;
};

struct lv_bulk_shared *lv_bulk_shared_new(void)
{
	struct lv_bulk_shared *s = calloc(1, sizeof(*s));
	if (s)
		atomic_store(&s->refs, 1);
	return s;
}

void lv_bulk_shared_unref(struct lv_bulk_shared *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		free(s);
}

static void lv_bulk_run(virConnectPtr c, virDomainPtr *doms, unsigned stats,
			unsigned flags, struct lv_bulk_result *res)
{
	res->recs = NULL;
	res->n = doms
		     ? virDomainListGetStats(doms, stats, &res->recs, flags)
		     : virConnectGetAllDomainStats(c, stats, &res->recs, flags);
	res->code = VIR_ERR_OK;
	res->msg[0] = '\0';
	if (res->n < 0) {
		res->code = virGetLastErrorCode();
		snprintf(res->msg, sizeof(res->msg), "%s", lv_last_error());
	}
}

static void lv_bulk_call_free(struct lv_bulk_call *call)
{
	if (call->doms) {
		for (virDomainPtr *d = call->doms; *d; d++)
			virDomainFree(*d);
		free(call->doms);
	}
	virConnectClose(call->c); /* drops our reference */
	lv_bulk_shared_unref(call->sh);
	pthread_cond_destroy(&call->cond);
	pthread_mutex_destroy(&call->lock);
	free(call);
}

static void *lv_bulk_thread(void *arg)
{
	struct lv_bulk_call *call = arg;
	struct lv_bulk_result res;
	lv_bulk_run(call->c, call->doms, call->stats, call->flags, &res);
	pthread_mutex_lock(&call->lock);
	call->res = res;
	call->done = true;
	bool abandoned = call->abandoned;
	pthread_cond_signal(&call->cond);
	pthread_mutex_unlock(&call->lock);
	if (abandoned) {
		/* The gather gave up on us: nobody will read the result. */
		if (res.n >= 0)
			virDomainStatsRecordListFree(res.recs);
		atomic_fetch_sub(&call->sh->stuck, 1);
		lv_bulk_call_free(call);
	}
	return NULL;
}

static struct lv_bulk_call *lv_bulk_call_new(struct lv_bulk_shared *sh,
					     virConnectPtr c,
					     virDomainPtr *doms, unsigned stats,
					     unsigned flags)
{
	struct lv_bulk_call *call = calloc(1, sizeof(*call));
	if (!call)
		return NULL;
	if (doms) {
		size_t n = 0;
		while (doms[n])
			n++;
		call->doms = calloc(n + 1, sizeof(*call->doms));
		if (!call->doms) {
			free(call);
			return NULL;
		}
		for (size_t i = 0; i < n; i++) {
			virDomainRef(doms[i]);
			call->doms[i] = doms[i];
		}
	}
	virConnectRef(c);
	call->c = c;
	call->stats = stats;
	call->flags = flags;
	call->sh = sh;
	atomic_fetch_add(&sh->refs, 1);
	pthread_mutex_init(&call->lock, NULL);
	lv_cond_init(&call->cond);
	return call;
}

int lv_bulk_stats(struct lv_bulk_shared *sh, virConnectPtr c,
		  virDomainPtr *doms, unsigned stats, unsigned flags,
		  int64_t timeout_ns, struct lv_bulk_result *res)
{
	if (timeout_ns <= 0) {
		lv_bulk_run(c, doms, stats, flags, res);
		return LV_BULK_DONE;
	}
	int stuck = atomic_load(&sh->stuck);
	if (stuck >= LV_BULK_MAX_STUCK)
		return LV_BULK_TOO_MANY;
	if (stuck > 0) {
		/* A call left behind holds the connection's I/O in libvirt's
		 * client; right after it handled the previous reply it goes
		 * back to waiting, and a call queued in that instant loses
		 * its wake-up (libvirt 9: g_main_loop_quit before
		 * g_main_loop_run) until a keepalive comes. Let it get there
		 * first. */
		struct timespec pause = {.tv_sec = 0, .tv_nsec = 2000000};
		nanosleep(&pause, NULL);
	}
	struct lv_bulk_call *call = lv_bulk_call_new(sh, c, doms, stats, flags);
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!call || pthread_create(&th, &attr, lv_bulk_thread, call) != 0) {
		/* No thread: call here, without a deadline. */
		pthread_attr_destroy(&attr);
		if (call)
			lv_bulk_call_free(call);
		lv_bulk_run(c, doms, stats, flags, res);
		return LV_BULK_DONE;
	}
	pthread_attr_destroy(&attr);

	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(timeout_ns / 1000000000LL);
	until.tv_nsec += (long)(timeout_ns % 1000000000LL);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&call->lock);
	while (!call->done) {
		if (pthread_cond_timedwait(&call->cond, &call->lock, &until) ==
		    ETIMEDOUT)
			break;
	}
	bool done = call->done;
	if (done) {
		*res = call->res;
	} else {
		call->abandoned = true;
		atomic_fetch_add(&sh->stuck, 1);
	}
	pthread_mutex_unlock(&call->lock);
	if (!done)
		return LV_BULK_TIMEOUT; /* the thread frees the call */
	lv_bulk_call_free(call);
	return LV_BULK_DONE;
}
