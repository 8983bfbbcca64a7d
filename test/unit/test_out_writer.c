/*
 * test_out_writer.c: the stdout writer: batching into few write(2) calls,
 * non-blocking only for pipes and sockets, partial writes finished through
 * the loop, back-pressure marks and progress, a reader that went away.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../shim/out_writer.h"
#include "telex/log.h"

static int log_r = -1, log_w = -1;

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	if (pipe2(p, O_NONBLOCK) < 0)
		return -1;
	log_r = p[0];
	log_w = p[1];
	log_set_fd(log_w);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_fd(2);
	close(log_r);
	close(log_w);
	return 0;
}

static const char *logged(void)
{
	static char text[8192];
	ssize_t n = read(log_r, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

/* Lines "m,i=N v=Ni\n", each one appended on its own. */
static void append_lines(struct out_writer *w, int from, int to)
{
	for (int i = from; i < to; i++) {
		assert_int_equal(
		    buf_printf(out_writer_buf(w), "m,i=%d v=%di\n", i, i), 0);
		assert_int_equal(out_writer_commit(w), 0);
	}
}

static void expect_lines(const char *text, size_t len, int from, int to)
{
	struct buf want = BUF_INIT;
	for (int i = from; i < to; i++)
		buf_printf(&want, "m,i=%d v=%di\n", i, i);
	assert_int_equal(len, want.len);
	assert_memory_equal(text, want.data, len);
	buf_free(&want);
}

static void test_regular_file_stays_blocking(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	int fd = fileno(f);
	struct out_writer w;
	assert_int_equal(out_writer_init(&w, fd, NULL), 0);
	assert_false(w.nonblocking);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);

	append_lines(&w, 0, 100);
	/* Below a batch: nothing written yet. */
	assert_int_equal(w.writes, 0);
	assert_int_equal(w.queued, out_writer_backlog(&w));
	assert_int_equal(out_writer_flush(&w), 0);
	assert_int_equal(w.writes, 1);
	assert_int_equal(out_writer_backlog(&w), 0);
	assert_int_equal(w.written, w.queued);

	char text[8192];
	ssize_t n = pread(fd, text, sizeof(text), 0);
	assert_true(n > 0);
	expect_lines(text, (size_t)n, 0, 100);
	out_writer_free(&w);
	fclose(f);
}

static void test_batch_threshold(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	struct out_writer w;
	assert_int_equal(out_writer_init(&w, fileno(f), NULL), 0);
	w.batch = 1000;
	append_lines(&w, 0, 200);
	/* ~14 bytes a line: one write per ~1000 bytes, not one per line. */
	assert_true(w.writes >= 2);
	assert_true(w.writes <= w.queued / 1000);
	assert_int_equal(out_writer_flush(&w), 0);
	assert_int_equal(w.written, w.queued);
	out_writer_free(&w);
	fclose(f);
}

struct progress {
	int calls;
	uint64_t last;
	int broken;
	int error;
};

static void on_progress(void *arg, uint64_t written)
{
	struct progress *p = arg;
	p->calls++;
	assert_true(written >= p->last);
	p->last = written;
}

static void on_broken(void *arg, int error)
{
	struct progress *p = arg;
	p->broken++;
	p->error = error;
}

/* A pipe nobody reads: the writer takes what fits, keeps the rest, is
 * congested above the high-water mark, and finishes through the loop as
 * the reader drains, byte for byte in order. */
static void test_pipe_partial_writes(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct loop *l = loop_new();
	struct out_writer w;
	assert_int_equal(out_writer_init(&w, p[1], l), 0);
	assert_true(w.nonblocking);
	assert_true(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	struct progress pr = {0};
	w.on_progress = on_progress;
	w.on_broken = on_broken;
	w.cb_arg = &pr;
	w.high_water = 100 * 1024;
	w.low_water = 20 * 1024;

	/* ~300 KiB, far over the 64 KiB a pipe holds. */
	append_lines(&w, 0, 20000);
	assert_int_equal(out_writer_flush(&w), 0);
	assert_true(w.written > 0);
	assert_true(out_writer_backlog(&w) > 0);
	assert_true(w.congested);
	assert_true(w.polling);

	struct buf got = BUF_INIT;
	int relieved_at = -1;
	for (int round = 0; out_writer_backlog(&w) > 0 || got.len < w.queued;
	     round++) {
		char chunk[16384];
		ssize_t n = read(p[0], chunk, sizeof(chunk));
		assert_true(n > 0);
		buf_append(&got, chunk, (size_t)n);
		assert_int_equal(loop_run_once(l, 0), 0);
		if (relieved_at < 0 && !w.congested)
			relieved_at = round;
		assert_true(round < 100000);
	}
	assert_true(relieved_at >= 0);
	assert_false(w.polling);
	assert_int_equal(pr.last, w.queued);
	assert_true(pr.calls >= 2);
	assert_int_equal(pr.broken, 0);
	expect_lines(got.data, got.len, 0, 20000);
	buf_free(&got);

	/* Flags come back as they were. */
	out_writer_free(&w);
	assert_false(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

/* The reader went away: one warning, no crash, everything after refused. */
static void test_epipe(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct out_writer w;
	assert_int_equal(out_writer_init(&w, p[1], NULL), 0);
	struct progress pr = {0};
	w.on_broken = on_broken;
	w.cb_arg = &pr;
	close(p[0]);
	append_lines(&w, 0, 10);
	logged();
	assert_int_equal(out_writer_flush(&w), -1);
	assert_true(w.broken);
	assert_int_equal(w.error, EPIPE);
	assert_int_equal(pr.broken, 1);
	const char *log = logged();
	assert_non_null(strstr(log, "W! stdout closed by the reader"));
	assert_non_null(strstr(log, "110 bytes not written"));

	/* Later output is refused without another warning. */
	assert_int_equal(out_writer_append(&w, "m v=1\n", 6), -1);
	assert_int_equal(out_writer_flush(&w), -1);
	assert_int_equal(out_writer_drain(&w, telex_monotonic_ns()), -1);
	assert_string_equal(logged(), "");
	assert_int_equal(pr.broken, 1);
	out_writer_free(&w);
	close(p[1]);
}

/* A socket peer that closed: the same clean failure. */
static void test_socket_closed(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct out_writer w;
	assert_int_equal(out_writer_init(&w, sv[0], NULL), 0);
	assert_true(w.nonblocking);
	close(sv[1]);
	append_lines(&w, 0, 3);
	assert_int_equal(out_writer_flush(&w), -1);
	assert_true(w.error == EPIPE || w.error == ECONNRESET);
	assert_non_null(strstr(logged(), "W! stdout closed"));
	out_writer_free(&w);
	close(sv[0]);
}

/* drain() waits for a reader until the deadline; it reports what could not
 * be written by then. */
static void test_drain_deadline(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct out_writer w;
	assert_int_equal(out_writer_init(&w, p[1], NULL), 0);
	append_lines(&w, 0, 10000);
	/* Nobody reads: the deadline passes with a backlog. */
	assert_int_equal(out_writer_drain(&w, telex_monotonic_ns() + 1000000),
			 -1);
	assert_false(w.broken);
	assert_true(out_writer_backlog(&w) > 0);

	/* A reader in another process: drain completes. */
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		char b[65536];
		while (read(p[0], b, sizeof(b)) > 0)
			;
		_exit(0);
	}
	assert_int_equal(
	    out_writer_drain(&w, telex_monotonic_ns() + 60LL * 1000000000LL),
	    0);
	assert_int_equal(out_writer_backlog(&w), 0);
	out_writer_free(&w);
	close(p[1]);
	close(p[0]);
	int status;
	waitpid(pid, &status, 0);
}

static void test_already_nonblocking_pipe(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	struct out_writer w;
	assert_int_equal(out_writer_init(&w, p[1], NULL), 0);
	/* Not ours to restore. */
	assert_false(w.nonblocking);
	out_writer_free(&w);
	assert_true(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_regular_file_stays_blocking),
	    cmocka_unit_test(test_batch_threshold),
	    cmocka_unit_test(test_pipe_partial_writes),
	    cmocka_unit_test(test_epipe),
	    cmocka_unit_test(test_socket_closed),
	    cmocka_unit_test(test_drain_deadline),
	    cmocka_unit_test(test_already_nonblocking_pipe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
