/*
 * lv_worker.c: libvirt's calls on a thread of their own (lv_worker.h).
 */
#include "lv_worker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lv_util.h"

#include "telex/log.h"

#define LV_WORKER_SLICE_NS 50000000LL /* 50 ms between two stop checks */

static void *lv_worker_main(void *arg)
{
	struct lv_worker *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->quit && (!w->job || w->done))
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->quit)
			break;
		int (*job)(void *) = w->job;
		void *job_arg = w->arg;
		pthread_mutex_unlock(&w->lock);
		int rc = job(job_arg);
		pthread_mutex_lock(&w->lock);
		w->rc = rc;
		w->done = true;
		pthread_cond_broadcast(&w->cond);
		if (w->abandoned)
			break; /* nobody waits for us any more */
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int lv_worker_start(struct lv_worker *w, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	lv_cond_init(&w->cond);
	int rc = pthread_create(&w->thread, NULL, lv_worker_main, w);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the libvirt thread: %s",
			 strerror(rc));
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		return -1;
	}
	w->running = true;
	return 0;
}

static struct timespec lv_worker_until(int64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000LL),
			      .tv_nsec = (long)(ns % 1000000000LL)};
	return ts;
}

int lv_worker_run(struct lv_worker *w, int (*job)(void *), void *arg,
		  bool (*stop)(void *), void *stop_arg, int64_t *give_up_at,
		  int64_t grace_ns)
{
	pthread_mutex_lock(&w->lock);
	if (w->abandoned) {
		pthread_mutex_unlock(&w->lock);
		return LV_WORKER_ABANDONED;
	}
	if (*give_up_at != 0 && telex_monotonic_ns() >= *give_up_at) {
		pthread_mutex_unlock(&w->lock);
		return LV_WORKER_NO_TIME;
	}
	w->job = job;
	w->arg = arg;
	w->done = false;
	pthread_cond_broadcast(&w->cond);
	while (!w->done) {
		int64_t now = telex_monotonic_ns();
		if (*give_up_at == 0 && stop) {
			/* Asked without the lock: the worker may need it to
			 * emit meanwhile. */
			pthread_mutex_unlock(&w->lock);
			bool stopping = stop(stop_arg);
			pthread_mutex_lock(&w->lock);
			if (stopping)
				*give_up_at = now + grace_ns;
			if (w->done)
				break;
		}
		if (*give_up_at != 0 && now >= *give_up_at) {
			w->abandoned = true;
			pthread_mutex_unlock(&w->lock);
			return LV_WORKER_ABANDONED;
		}
		int64_t until = now + LV_WORKER_SLICE_NS;
		if (*give_up_at != 0 && *give_up_at < until)
			until = *give_up_at;
		struct timespec ts = lv_worker_until(until);
		int rc = pthread_cond_timedwait(&w->cond, &w->lock, &ts);
		if (rc != 0 && rc != ETIMEDOUT && rc != EINTR)
			break; /* cannot happen with a valid cond and mutex */
	}
	int rc = w->rc;
	w->job = NULL;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

bool lv_worker_enter(struct lv_worker *w)
{
	if (!w->running) /* tests and --once paths without the thread */
		return true;
	pthread_mutex_lock(&w->lock);
	if (w->abandoned) {
		pthread_mutex_unlock(&w->lock);
		return false;
	}
	return true;
}

void lv_worker_leave(struct lv_worker *w)
{
	if (w->running)
		pthread_mutex_unlock(&w->lock);
}

bool lv_worker_abandoned(struct lv_worker *w)
{
	if (!w->running)
		return false;
	pthread_mutex_lock(&w->lock);
	bool abandoned = w->abandoned;
	pthread_mutex_unlock(&w->lock);
	return abandoned;
}

void lv_worker_stop(struct lv_worker *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	bool abandoned = w->abandoned;
	w->quit = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (abandoned) {
		pthread_detach(w->thread);
		return;
	}
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	w->running = false;
}
