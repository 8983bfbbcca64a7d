/*
 * test_loop.c: the event loop: descriptors, timers, signals, and changes
 * made by callbacks while the loop dispatches.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "telex/loop.h"

struct fd_seen {
	int calls;
	unsigned events;
	int fd;
};

static void on_fd(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	struct fd_seen *s = arg;
	s->calls++;
	s->events = events;
	s->fd = fd;
	if (events & LOOP_READ) {
		char b[16];
		(void)!read(fd, b, sizeof(b));
	}
}

static void test_fd_read(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct fd_seen s = {0};
	assert_int_equal(loop_add_fd(l, p[0], LOOP_READ, on_fd, &s), 0);
	/* One registration per fd. */
	assert_int_equal(loop_add_fd(l, p[0], LOOP_READ, on_fd, &s), -1);

	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 0);

	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.events, LOOP_READ);
	assert_int_equal(s.fd, p[0]);

	/* Idle: registered but not polled, even when readable. */
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(loop_set_fd_events(l, p[0], 0), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(loop_set_fd_events(l, p[0], LOOP_READ), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 2);

	/* Closing the writer: HUP is reported. */
	close(p[1]);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 3);
	assert_true(s.events & LOOP_HUP);

	/* An idle descriptor with a hung-up peer does not wake the loop. */
	assert_int_equal(loop_set_fd_events(l, p[0], 0), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 3);

	loop_del_fd(l, p[0]);
	assert_int_equal(loop_set_fd_events(l, p[0], LOOP_READ), -1);
	close(p[0]);

	/* LOOP_HUP alone: data does not wake it, the writer closing does. */
	assert_int_equal(pipe(p), 0);
	s = (struct fd_seen){0};
	assert_int_equal(loop_add_fd(l, p[0], LOOP_HUP, on_fd, &s), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 0);
	close(p[1]);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.events, LOOP_HUP);
	loop_del_fd(l, p[0]);
	close(p[0]);
	loop_free(l);
}

static void test_fd_write(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct fd_seen s = {0};
	assert_int_equal(loop_add_fd(l, p[1], LOOP_WRITE, on_fd, &s), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.events, LOOP_WRITE);
	/* A closed reader is an error condition on the write end. */
	close(p[0]);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls, 2);
	assert_true(s.events & LOOP_ERR);
	loop_del_fd(l, p[1]);
	close(p[1]);
	loop_free(l);
}

/* A callback removes another descriptor that is ready in the same pass,
 * then registers a new pipe that reuses the removed descriptor's number:
 * the event polled for the old registration must not reach the new one. */
struct remover {
	int victim;
	int newpipe[2];
	struct fd_seen *victim_seen;
	struct fd_seen *new_seen;
	int calls;
};

static void on_remover(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)events;
	struct remover *r = arg;
	char b[4];
	(void)!read(fd, b, sizeof(b));
	if (r->calls++)
		return;
	loop_del_fd(l, r->victim);
	close(r->victim);
	assert_int_equal(pipe(r->newpipe), 0);
	/* The lowest free number is the one just closed. */
	assert_int_equal(r->newpipe[0], r->victim);
	assert_int_equal(
	    loop_add_fd(l, r->newpipe[0], LOOP_READ, on_fd, r->new_seen), 0);
}

static void test_fd_removed_during_dispatch(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int a[2], b[2];
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	struct fd_seen victim = {0}, fresh = {0};
	struct remover r = {
	    .victim = b[0], .victim_seen = &victim, .new_seen = &fresh};
	/* a[0] < b[0]: the remover is dispatched first. */
	assert_true(a[0] < b[0]);
	assert_int_equal(loop_add_fd(l, a[0], LOOP_READ, on_remover, &r), 0);
	assert_int_equal(loop_add_fd(l, b[0], LOOP_READ, on_fd, &victim), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(victim.calls, 0);
	assert_int_equal(fresh.calls, 0);

	/* The new registration works from the next pass on. */
	assert_int_equal(write(r.newpipe[1], "z", 1), 1);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(fresh.calls, 1);

	loop_del_fd(l, a[0]);
	loop_del_fd(l, r.newpipe[0]);
	close(a[0]);
	close(a[1]);
	close(b[1]);
	close(r.newpipe[0]);
	close(r.newpipe[1]);
	loop_free(l);
}

struct timer_log {
	char order[16];
	int n;
	int64_t cancel_id;
	int cancel_after;
};

static void on_timer_a(struct loop *l, void *arg)
{
	(void)l;
	struct timer_log *t = arg;
	t->order[t->n++] = 'a';
}

static void on_timer_b(struct loop *l, void *arg)
{
	(void)l;
	struct timer_log *t = arg;
	t->order[t->n++] = 'b';
}

static void test_timer_order(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct timer_log t = {0};
	assert_true(loop_add_timer(l, 2000000, 0, on_timer_a, &t) > 0);
	assert_true(loop_add_timer(l, 1000000, 0, on_timer_b, &t) > 0);
	while (t.n < 2)
		assert_int_equal(loop_run_once(l, -1), 0);
	assert_string_equal(t.order, "ba");
	/* One-shot timers are gone: nothing more fires. */
	assert_int_equal(loop_run_once(l, 3000000), 0);
	assert_int_equal(t.n, 2);
	loop_free(l);
}

static void on_timer_count(struct loop *l, void *arg)
{
	struct timer_log *t = arg;
	t->order[t->n++] = 'p';
	if (t->n == t->cancel_after)
		loop_cancel_timer(l, t->cancel_id);
}

static void test_timer_periodic_cancel(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct timer_log t = {.cancel_after = 3};
	t.cancel_id = loop_add_timer(l, 0, 1000000, on_timer_count, &t);
	assert_true(t.cancel_id > 0);
	while (t.n < 3)
		assert_int_equal(loop_run_once(l, -1), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(loop_run_once(l, 2000000), 0);
	assert_int_equal(t.n, 3);

	/* Cancel before it fires. */
	struct timer_log u = {0};
	int64_t id = loop_add_timer(l, 0, 0, on_timer_a, &u);
	loop_cancel_timer(l, id);
	assert_int_equal(loop_run_once(l, 1000000), 0);
	assert_int_equal(u.n, 0);
	loop_free(l);
}

/* A periodic timer due in every pass fires once per pass: descriptors
 * are still served between its calls. */
static void test_timer_once_per_pass(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct timer_log t = {0};
	int64_t id = loop_add_timer(l, 0, 1, on_timer_count, &t);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(t.n, 2);
	loop_cancel_timer(l, id);
	loop_free(l);
}

static void on_stop(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

static void test_run_stop(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	assert_false(loop_stopped(l));
	assert_true(loop_add_timer(l, 1000000, 0, on_stop, NULL) > 0);
	int64_t before = loop_now(l);
	assert_int_equal(loop_run(l), 0);
	assert_true(loop_stopped(l));
	assert_true(loop_now(l) >= before + 1000000);
	/* Already stopped: returns at once. */
	assert_int_equal(loop_run(l), 0);
	loop_free(l);
}

struct sig_log {
	int signos[8];
	int n;
};

static void on_signal(struct loop *l, int signo, void *arg)
{
	(void)l;
	struct sig_log *s = arg;
	s->signos[s->n++] = signo;
}

static bool signal_blocked(int signo)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, signo) == 1;
}

static void test_signals(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct sig_log s = {0};
	assert_int_equal(loop_add_signal(l, SIGUSR1, on_signal, &s), 0);
	assert_int_equal(loop_add_signal(l, SIGHUP, on_signal, &s), 0);
	assert_true(signal_blocked(SIGUSR1));
	assert_true(signal_blocked(SIGHUP));

	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(kill(getpid(), SIGHUP), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.n, 2);
	/* Thread- and process-directed signals both arrive, in no
	 * promised order. */
	assert_int_equal(s.signos[0] + s.signos[1], SIGHUP + SIGUSR1);
	assert_int_not_equal(s.signos[0], s.signos[1]);

	/* Two of the same pending at once are one event. */
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.n, 3);

	/* A signal pending at loop_free, or coming after it, is not
	 * delivered with its default action (which would end this test):
	 * the signals stay blocked. */
	assert_int_equal(raise(SIGUSR1), 0);
	loop_free(l);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_true(signal_blocked(SIGUSR1));
	assert_true(signal_blocked(SIGHUP));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	struct timespec zero = {0, 0};
	assert_int_equal(sigtimedwait(&set, NULL, &zero), SIGUSR1);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct fd_seen s = {0};
	assert_int_equal(loop_add_fd(l, -1, LOOP_READ, on_fd, &s), -1);
	assert_int_equal(loop_add_fd(l, 0, LOOP_READ, NULL, &s), -1);
	assert_int_equal(loop_add_timer(l, 0, -1, on_timer_a, NULL), -1);
	assert_int_equal(loop_add_signal(l, 0, on_signal, NULL), -1);
	assert_int_equal(loop_add_signal(l, SIGUSR2, NULL, NULL), -1);
	/* Unknown ids and descriptors are ignored. */
	loop_cancel_timer(l, 12345);
	loop_del_fd(l, 99);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fd_read),
	    cmocka_unit_test(test_fd_write),
	    cmocka_unit_test(test_fd_removed_during_dispatch),
	    cmocka_unit_test(test_timer_order),
	    cmocka_unit_test(test_timer_periodic_cancel),
	    cmocka_unit_test(test_timer_once_per_pass),
	    cmocka_unit_test(test_run_stop),
	    cmocka_unit_test(test_signals),
	    cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
