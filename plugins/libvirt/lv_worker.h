/*
 * lv_worker.h: libvirt's calls on a thread of their own, so that the
 * program can always end.
 *
 * Any libvirt call can block as long as the daemon or a QEMU decides: an
 * open to a daemon that accepts the connection and never answers has no
 * timeout at all, and keepalive ends the others only after interval *
 * (count + 1) (6 s by default). The execd contract gives 5 s from EOF to
 * exit. So the loop thread hands each job (a gather, the closing of the
 * connection) to the worker and waits for it, looking between slices of
 * the wait for a stop (EOF, SIGTERM; telex_stop_pending). Once the program
 * is stopping and the job's time is up, the job is left behind: the worker
 * finishes it alone, everything it would write is dropped (lv_worker_enter
 * refuses), and the process ends without waiting for it.
 */
#ifndef LV_WORKER_H
#define LV_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lv_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int (*job)(void *arg); /* the job given, NULL when idle */
	void *arg;
	int rc;		/* its result */
	bool done;	/* the job returned */
	bool abandoned; /* left behind: for good, nothing is given again */
	bool quit;
	bool running; /* the thread was started */
};

/* lv_worker_run's results besides the job's: it was left behind; it was
 * not started, its time was up already. */
#define LV_WORKER_ABANDONED (-1000)
#define LV_WORKER_NO_TIME (-1001)

/* Start the thread (after the shim blocked its signals: it inherits the
 * mask). 0, or -1 with err set. */
int lv_worker_start(struct lv_worker *w, char *err, size_t errlen);

/*
 * Run job(arg) on the worker and return its result. stop(stop_arg) (may
 * be NULL) is asked every 50 ms; from the first time it says yes,
 * *give_up_at (monotonic ns; 0: not set yet) is set to now + grace_ns
 * unless already set. Once *give_up_at is set and past, the job is left
 * behind: LV_WORKER_ABANDONED, as for every later call; a job given when
 * it is past already is not started: LV_WORKER_NO_TIME. Loop thread only.
 */
int lv_worker_run(struct lv_worker *w, int (*job)(void *), void *arg,
		  bool (*stop)(void *), void *stop_arg, int64_t *give_up_at,
		  int64_t grace_ns);

/* On the worker, around anything that touches the program's state
 * (telex_emit, its logs): false once the job was left behind (then do
 * nothing and do not call lv_worker_leave). While entered, the loop thread
 * cannot leave the job behind. */
bool lv_worker_enter(struct lv_worker *w);
void lv_worker_leave(struct lv_worker *w);

/* True once a job was left behind. Loop thread only. */
bool lv_worker_abandoned(struct lv_worker *w);

/* End the thread: joined when idle. After a job was left behind nothing
 * is freed or joined (the struct must stay valid: the process is ending
 * and the worker still uses it). */
void lv_worker_stop(struct lv_worker *w);

#endif
