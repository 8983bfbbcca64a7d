/*
 * loop.c: the single-threaded event loop (see loop.h).
 *
 * ppoll(2) over a small array of descriptors, timers kept in a small array
 * (a telex program has a handful: a ticker, a flush deadline, a plugin's
 * poll timer, so a scan beats a heap), and signals read from a signalfd so
 * a signal is an ordinary event handled between two callbacks, never in an
 * async handler.
 *
 * Callbacks may add, change and remove descriptors and timers, including
 * their own: removed entries are only marked during dispatch and swept
 * afterwards, and every registration carries a serial number so an event
 * polled for a descriptor that was removed (and maybe re-added) in the
 * meantime is not delivered to the new owner.
 */
#include "telex/loop.h"

#include "telex/buf.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "telex/log.h"

struct loop_fd {
	int fd;
	unsigned events;
	loop_fd_cb cb;
	void *arg;
	uint64_t serial;
	bool deleted;
};

struct loop_timer {
	int64_t id; /* 0: cancelled, swept later */
	int64_t due;
	int64_t interval;
	loop_timer_cb cb;
	void *arg;
	uint64_t pass; /* run_timers pass that last fired it */
};

struct loop_signal {
	loop_signal_cb cb;
	void *arg;
};

struct loop {
	struct loop_fd *fds;
	size_t nfds, fds_cap;
	struct pollfd *pfds;
	uint64_t *pserial; /* serial of the registration behind pfds[i] */
	size_t pfds_cap;
	uint64_t next_serial;

	struct loop_timer *timers;
	size_t ntimers, timers_cap;
	int64_t next_timer_id;
	uint64_t timer_pass;

	int sigfd;
	sigset_t sigmask; /* the signals this loop blocked and reads */
	struct loop_signal sigs[_NSIG];

	int depth; /* > 0 while callbacks run: sweep later */
	bool stopped;
	int64_t now;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->sigfd = -1;
	sigemptyset(&l->sigmask);
	l->next_timer_id = 1;
	l->next_serial = 1;
	l->now = telex_monotonic_ns();
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	/* The signals stay blocked: one that comes after the loop is gone
	 * (a storm of SIGTERMs while a program finishes) must stay pending
	 * rather than kill it with its default action, between its summary
	 * and its exit code. */
	if (l->sigfd >= 0)
		close(l->sigfd);
	free(l->fds);
	free(l->pfds);
	free(l->pserial);
	free(l->timers);
	free(l);
}

/* ------------------------------------------------------------------ */
/* Descriptors */

static struct loop_fd *loop_find_fd(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (l->fds[i].fd == fd && !l->fds[i].deleted)
			return &l->fds[i];
	return NULL;
}

int loop_add_fd(struct loop *l, int fd, unsigned events, loop_fd_cb cb,
		void *arg)
{
	if (fd < 0 || !cb || loop_find_fd(l, fd)) {
		errno = fd < 0 ? EBADF : !cb ? EINVAL : EEXIST;
		return -1;
	}
	struct loop_fd *fds =
	    array_grow(l->fds, l->nfds, &l->fds_cap, sizeof(*fds), 8);
	if (!fds)
		return -1;
	l->fds = fds;
	l->fds[l->nfds++] = (struct loop_fd){
	    .fd = fd,
	    .events = events,
	    .cb = cb,
	    .arg = arg,
	    .serial = l->next_serial++,
	};
	return 0;
}

int loop_set_fd_events(struct loop *l, int fd, unsigned events)
{
	struct loop_fd *e = loop_find_fd(l, fd);
	if (!e)
		return -1;
	e->events = events;
	return 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	struct loop_fd *e = loop_find_fd(l, fd);
	if (e)
		e->deleted = true;
}

static void loop_sweep_fds(struct loop *l)
{
	size_t j = 0;
	for (size_t i = 0; i < l->nfds; i++)
		if (!l->fds[i].deleted)
			l->fds[j++] = l->fds[i];
	l->nfds = j;
}

/* Fill the pollfd array; idle descriptors are left out (fd -1), else
 * poll would keep reporting POLLHUP for a paused pipe. LOOP_HUP alone
 * polls for nothing but the hang-up and errors poll always reports. */
static int loop_prepare_poll(struct loop *l)
{
	if (l->pfds_cap < l->nfds) {
		size_t cap = l->fds_cap;
		struct pollfd *p = realloc(l->pfds, cap * sizeof(*p));
		if (!p)
			return -1;
		l->pfds = p;
		uint64_t *s = realloc(l->pserial, cap * sizeof(*s));
		if (!s)
			return -1;
		l->pserial = s;
		l->pfds_cap = cap;
	}
	for (size_t i = 0; i < l->nfds; i++) {
		const struct loop_fd *e = &l->fds[i];
		short ev = 0;
		if (e->events & LOOP_READ)
			ev |= POLLIN;
		if (e->events & LOOP_WRITE)
			ev |= POLLOUT;
		bool polled = ev || (e->events & LOOP_HUP);
		l->pfds[i] =
		    (struct pollfd){.fd = polled ? e->fd : -1, .events = ev};
		l->pserial[i] = e->serial;
	}
	return 0;
}

static void loop_dispatch_fds(struct loop *l, size_t npoll)
{
	for (size_t i = 0; i < npoll; i++) {
		short re = l->pfds[i].revents;
		if (!re || l->pfds[i].fd < 0)
			continue;
		struct loop_fd *e = loop_find_fd(l, l->pfds[i].fd);
		if (!e || e->serial != l->pserial[i])
			continue;
		unsigned ev = 0;
		if (re & POLLIN)
			ev |= LOOP_READ;
		if (re & POLLOUT)
			ev |= LOOP_WRITE;
		if (re & POLLHUP)
			ev |= LOOP_HUP;
		if (re & (POLLERR | POLLNVAL))
			ev |= LOOP_ERR;
		/* Deliver only what was asked for, plus HUP and ERR. */
		ev &= e->events | LOOP_HUP | LOOP_ERR;
		if (!ev)
			continue;
		e->cb(l, e->fd, ev, e->arg);
	}
}

/* ------------------------------------------------------------------ */
/* Timers */

int64_t loop_add_timer(struct loop *l, int64_t after_ns, int64_t interval_ns,
		       loop_timer_cb cb, void *arg)
{
	if (!cb || interval_ns < 0)
		return -1;
	struct loop_timer *timers = array_grow(
	    l->timers, l->ntimers, &l->timers_cap, sizeof(*timers), 8);
	if (!timers)
		return -1;
	l->timers = timers;
	if (after_ns < 0)
		after_ns = 0;
	int64_t now = telex_monotonic_ns();
	int64_t id = l->next_timer_id++;
	l->timers[l->ntimers++] = (struct loop_timer){
	    .id = id,
	    .due = now + after_ns,
	    .interval = interval_ns,
	    .cb = cb,
	    .arg = arg,
	    .pass = l->timer_pass,
	};
	return id;
}

void loop_cancel_timer(struct loop *l, int64_t id)
{
	if (id <= 0)
		return;
	for (size_t i = 0; i < l->ntimers; i++)
		if (l->timers[i].id == id)
			l->timers[i].id = 0;
}

static void loop_sweep_timers(struct loop *l)
{
	size_t j = 0;
	for (size_t i = 0; i < l->ntimers; i++)
		if (l->timers[i].id)
			l->timers[j++] = l->timers[i];
	l->ntimers = j;
}

/* Earliest live timer, or NULL. With `due_only`, only one that is due and
 * has not fired in this pass (a timer fires at most once per pass, so a
 * short interval cannot starve the descriptors). */
static struct loop_timer *loop_next_timer(struct loop *l, bool due_only)
{
	struct loop_timer *best = NULL;
	for (size_t i = 0; i < l->ntimers; i++) {
		struct loop_timer *t = &l->timers[i];
		if (!t->id)
			continue;
		if (due_only && (t->due > l->now || t->pass == l->timer_pass))
			continue;
		if (!best || t->due < best->due)
			best = t;
	}
	return best;
}

static void loop_run_timers(struct loop *l)
{
	l->timer_pass++;
	struct loop_timer *t;
	while ((t = loop_next_timer(l, true))) {
		loop_timer_cb cb = t->cb;
		void *arg = t->arg;
		t->pass = l->timer_pass;
		if (t->interval) {
			/* Missed ticks are skipped, not replayed in a burst. */
			t->due += t->interval;
			if (t->due <= l->now)
				t->due = l->now + t->interval;
		} else {
			t->id = 0;
		}
		cb(l, arg); /* may add timers: t is stale from here */
	}
}

/* ------------------------------------------------------------------ */
/* Signals */

static void loop_signal_read(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)events;
	(void)arg;
	struct signalfd_siginfo si;
	for (;;) {
		ssize_t n = read(fd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si))
			return; /* EAGAIN: all read */
		int signo = (int)si.ssi_signo;
		if (signo > 0 && signo < _NSIG && l->sigs[signo].cb)
			l->sigs[signo].cb(l, signo, l->sigs[signo].arg);
	}
}

int loop_add_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg)
{
	if (signo <= 0 || signo >= _NSIG || !cb)
		return -1;
	sigset_t one;
	sigemptyset(&one);
	if (sigaddset(&one, signo) < 0)
		return -1;
	if (pthread_sigmask(SIG_BLOCK, &one, NULL) != 0)
		return -1;
	sigaddset(&l->sigmask, signo);
	int fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		if (loop_add_fd(l, fd, LOOP_READ, loop_signal_read, NULL) < 0)
			return -1;
	}
	l->sigs[signo] = (struct loop_signal){.cb = cb, .arg = arg};
	return 0;
}

/* ------------------------------------------------------------------ */
/* Running */

int loop_run_once(struct loop *l, int64_t timeout_ns)
{
	l->now = telex_monotonic_ns();
	if (l->depth == 0) {
		loop_sweep_fds(l);
		loop_sweep_timers(l);
	}
	const struct loop_timer *next = loop_next_timer(l, false);
	if (next) {
		int64_t until = next->due - l->now;
		if (until < 0)
			until = 0;
		if (timeout_ns < 0 || until < timeout_ns)
			timeout_ns = until;
	}
	if (loop_prepare_poll(l) < 0)
		return -1;
	size_t npoll = l->nfds;
	struct timespec ts, *tsp = NULL;
	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tsp = &ts;
	}
	int n = ppoll(l->pfds, npoll, tsp, NULL);
	if (n < 0 && errno != EINTR)
		return -1;
	l->now = telex_monotonic_ns();
	l->depth++;
	if (n > 0)
		loop_dispatch_fds(l, npoll);
	loop_run_timers(l);
	l->depth--;
	return 0;
}

int loop_run(struct loop *l)
{
	while (!l->stopped)
		if (loop_run_once(l, -1) < 0)
			return -1;
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stopped = true;
}

bool loop_stopped(const struct loop *l)
{
	return l->stopped;
}

int64_t loop_now(struct loop *l)
{
	return l->now;
}
