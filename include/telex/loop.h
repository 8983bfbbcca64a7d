/*
 * loop.h: the single-threaded event loop every telex program runs on
 * (poll(2) over file descriptors, monotonic timers, signals through a
 * signalfd). Plugins register their own descriptors (librdkafka's queue
 * event fd, a self-pipe fed by libvirt's event thread) and timers with it.
 * Not thread-safe: call only from the loop's thread; another thread wakes
 * the loop by writing to a descriptor registered here.
 */
#ifndef TELEX_LOOP_H
#define TELEX_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

enum { LOOP_READ = 1 << 0, LOOP_WRITE = 1 << 1 };
/* Also reported to fd callbacks: */
enum { LOOP_HUP = 1 << 2, LOOP_ERR = 1 << 3 };

typedef void (*loop_fd_cb)(struct loop *l, int fd, unsigned events, void *arg);
typedef void (*loop_timer_cb)(struct loop *l, void *arg);
typedef void (*loop_signal_cb)(struct loop *l, int signo, void *arg);

struct loop *loop_new(void);
/* Free the loop. The signals it handled stay blocked for the thread (a
 * late one stays pending instead of taking its default action). */
void loop_free(struct loop *l);

/* Watch fd for events (LOOP_READ | LOOP_WRITE; 0 keeps it registered but
 * idle; LOOP_HUP alone watches only for a hang-up or error, e.g. a paused
 * reader learning that the writer closed: the callback must then change
 * the events, as a hang-up is reported again on every pass). LOOP_HUP and
 * LOOP_ERR are reported whenever the fd is polled. One registration per
 * fd. 0 ok, -1 with errno set (EEXIST: fd is registered already). */
int loop_add_fd(struct loop *l, int fd, unsigned events, loop_fd_cb cb,
		void *arg);
int loop_set_fd_events(struct loop *l, int fd, unsigned events);
void loop_del_fd(struct loop *l, int fd);

/* A timer firing first after `after_ns`, then every `interval_ns` (0: once).
 * Returns an id > 0, or -1. */
int64_t loop_add_timer(struct loop *l, int64_t after_ns, int64_t interval_ns,
		       loop_timer_cb cb, void *arg);
void loop_cancel_timer(struct loop *l, int64_t id);

/* Handle signo in the loop (blocked for the process, read from a
 * signalfd). Call before starting threads so they inherit the mask. */
int loop_add_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg);

/* Run until loop_stop() (0) or an unrecoverable error (-1); returns at
 * once if the loop was already stopped. */
int loop_run(struct loop *l);
/* Run callbacks that are due, waiting at most timeout_ns (0: don't wait;
 * negative: until something happens). Works whether or not the loop was
 * stopped: a runner drives its own phases with it. */
int loop_run_once(struct loop *l, int64_t timeout_ns);
void loop_stop(struct loop *l);
bool loop_stopped(const struct loop *l);

/* Monotonic time of the current iteration, ns. */
int64_t loop_now(struct loop *l);

#endif
