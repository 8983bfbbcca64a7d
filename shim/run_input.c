/*
 * run_input.c: the input runners (polled and service) and what inputs
 * call: telex_emit() and the telex_out_* progress calls.
 *
 * A polled input gathers when asked (a stdin line, SIGHUP/SIGUSR1/SIGUSR2,
 * the -poll_interval ticker); requests that arrive while a gather runs or
 * in one burst are one gather, because a request only sets a flag that
 * the runner checks between two passes of the loop.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "telex_private.h"

#define TELEX_STDIN_CHUNK 65536
/* Per readiness, read at most this much before gathering: a flood on stdin
 * must not starve the loop. */
#define TELEX_STDIN_BURST ((size_t)1024 * 1024)

/* ------------------------------------------------------------------ */
/* stdin: lines ask for a gather, EOF asks to stop. */

static bool telex_stdin_more(void)
{
	struct pollfd pfd = {.fd = 0, .events = POLLIN};
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLIN | POLLHUP));
}

static void telex_on_stdin(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)events;
	struct telex *t = arg;
	char chunk[TELEX_STDIN_CHUNK];
	size_t total = 0;
	bool line = false;
	/* Everything already in the pipe is one burst: one gather. */
	do {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			break;
		if (n <= 0) {
			if (n < 0)
				log_warn("reading stdin: %s; treated as end "
					 "of input",
					 strerror(errno));
			loop_del_fd(l, fd);
			t->stdin_watched = false;
			telex_begin_stop(t, "end of stdin");
			break;
		}
		total += (size_t)n;
		if (memchr(chunk, '\n', (size_t)n))
			line = true;
	} while (total < TELEX_STDIN_BURST && telex_stdin_more());
	if (line && t->p->kind == TELEX_INPUT)
		t->gather_pending = true;
}

/* /dev/null (what a service manager gives) would end the program at once;
 * it cannot carry requests or a shutdown, so it is not watched. */
static bool telex_stdin_is_null(void)
{
	struct stat st;
	if (fstat(0, &st) < 0)
		return true;
	return S_ISCHR(st.st_mode) && !isatty(0);
}

int telex_watch_stdin(struct telex *t)
{
	if (telex_stdin_is_null()) {
		log_debug("stdin is %s: not watched (SIGTERM or SIGINT ends "
			  "the program)",
			  t->stdin_closed ? "closed"
					  : "not a pipe, file or terminal");
		return 0;
	}
	if (loop_add_fd(t->loop, 0, LOOP_READ, telex_on_stdin, t) < 0)
		return -1;
	t->stdin_watched = true;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Emitting. */

enum telex_emit_result telex_emit(struct telex *t, struct lp_metric *m)
{
	if (!t->out_ready || t->out.broken) {
		t->unwritable++;
		return TELEX_EMIT_UNWRITABLE;
	}
	if (!t->filter_noop && !filter_apply(t->filter, m)) {
		t->dropped++;
		return TELEX_EMIT_FILTERED;
	}
	struct buf *b = out_writer_buf(&t->out);
	if (m->line.ptr && !m->modified) {
		if (buf_append(b, m->line.ptr, m->line.len) < 0 ||
		    buf_putc(b, '\n') < 0) {
			b->len = t->out.committed;
			t->unwritable++;
			log_limited(&t->limiter, LOG_ERROR, "out of memory",
				    "out of memory queueing a metric for "
				    "stdout");
			return TELEX_EMIT_UNWRITABLE;
		}
	} else {
		struct lp_error err;
		if (lp_write_metric(b, m, t->p->emit_flags, &err) < 0) {
			t->unwritable++;
			log_limited(
			    &t->limiter, LOG_WARN, "metric not written",
			    "metric \"%.*s\" not written: %s",
			    (int)(m->name.len < 200 ? m->name.len : 200),
			    m->name.ptr ? m->name.ptr : "", err.msg);
			return TELEX_EMIT_UNWRITABLE;
		}
	}
	t->emitted++;
	if (out_writer_commit(&t->out) < 0)
		return TELEX_EMIT_UNWRITABLE;
	return TELEX_EMIT_QUEUED;
}

enum telex_emit_result telex_emit_line(struct telex *t, const char *line,
				       size_t len)
{
	if (!t->out_ready || t->out.broken)
		return TELEX_EMIT_UNWRITABLE;
	struct buf *b = out_writer_buf(&t->out);
	if (buf_append(b, line, len) < 0 || buf_putc(b, '\n') < 0) {
		b->len = t->out.committed;
		return TELEX_EMIT_UNWRITABLE;
	}
	return out_writer_commit(&t->out) < 0 ? TELEX_EMIT_UNWRITABLE
					      : TELEX_EMIT_QUEUED;
}

const char *telex_out_unwritten(const struct telex *t, size_t *len)
{
	*len = out_writer_backlog(&t->out);
	return *len ? t->out.buf.data + t->out.off : NULL;
}

uint64_t telex_out_queued(const struct telex *t)
{
	return t->out.queued;
}

uint64_t telex_out_written(const struct telex *t)
{
	return t->out.written;
}

size_t telex_out_backlog(const struct telex *t)
{
	return out_writer_backlog(&t->out);
}

bool telex_out_congested(const struct telex *t)
{
	return t->out.congested;
}

void telex_on_out_progress(struct telex *t,
			   void (*cb)(struct telex *t, void *arg,
				      uint64_t written),
			   void *arg)
{
	t->progress_cb = cb;
	t->progress_arg = arg;
}

int telex_out_flush(struct telex *t)
{
	if (!t->out_ready)
		return -1;
	return out_writer_flush(&t->out);
}

/* ------------------------------------------------------------------ */
/* Running. */

static void telex_gather(struct telex *t)
{
	if (t->out.broken)
		return;
	if (t->out.congested) {
		/* The reader is far behind: a gather now would only grow
		 * memory. Its data is not lost, it is not collected. */
		t->gathers_skipped++;
		log_limited(&t->limiter, LOG_WARN, "gather skipped",
			    "gather skipped: %zu bytes still waiting for "
			    "stdout",
			    out_writer_backlog(&t->out));
		return;
	}
	t->gathers++;
	if (t->p->gather(t, t->state) < 0)
		t->gathers_failed++;
	out_writer_flush(&t->out);
}

static void telex_on_tick(struct loop *l, void *arg)
{
	(void)l;
	struct telex *t = arg;
	t->gather_pending = true;
}

/* Write what is queued, running the loop (plugin descriptors and progress
 * callbacks go on) until done or the flush deadline. 0 when all of it
 * reached stdout. */
static int telex_drain(struct telex *t)
{
	int64_t deadline = t->stop_ns + t->flush_timeout_ns;
	/* --once (cron, a shell pipe) waits for a slow reader as any Unix
	 * program would, unless a timeout was asked for. */
	if (t->cli.once && !t->cli.flush_timeout)
		deadline = INT64_MAX;
	out_writer_flush(&t->out);
	while (!t->out.broken && out_writer_backlog(&t->out) > 0) {
		int64_t left = deadline == INT64_MAX
				   ? -1
				   : deadline - telex_monotonic_ns();
		if (deadline != INT64_MAX && left <= 0)
			break;
		if (loop_run_once(t->loop, left) < 0)
			break;
	}
	size_t left = out_writer_backlog(&t->out);
	if (left && !t->out.broken) {
		log_error("%zu bytes of metrics not written to stdout within "
			  "the flush timeout",
			  left);
		return -1;
	}
	return 0;
}

/* stdout failed (a full disk, an I/O error): what was queued is lost, the
 * exit code says so. A reader that went away (EPIPE) is how Telegraf ends
 * a child it no longer reads, not a failure. */
static bool telex_out_failed(const struct telex *t)
{
	return t->out.broken && t->out.error != EPIPE &&
	       t->out.error != ECONNRESET;
}

/* Lines queued for stdout that write(2) never took (stdout closed). */
static uint64_t telex_unwritten_lines(const struct telex *t)
{
	size_t len;
	const char *p = telex_out_unwritten(t, &len);
	uint64_t n = 0;
	for (const char *e = p + len; p && (p = memchr(p, '\n', e - p)); p++)
		n++;
	return n;
}

static void telex_input_summary(struct telex *t)
{
	log_limited_flush(&t->limiter, LOG_WARN);
	/* A service input's plugin says what it did itself. */
	if (t->p->kind == TELEX_SERVICE_INPUT)
		return;
	uint64_t lost = telex_unwritten_lines(t);
	bool clean = !t->gathers_failed && !t->gathers_skipped &&
		     !t->unwritable && !lost && !telex_out_failed(t);
	log_msg(clean ? LOG_INFO : LOG_WARN,
		"%s: %llu gathers (%llu failed, %llu skipped), %llu metrics "
		"written, %llu not written (stdout closed), %llu dropped by "
		"filters, %llu not writable, %llu bytes to stdout",
		t->p->program, (unsigned long long)t->gathers,
		(unsigned long long)t->gathers_failed,
		(unsigned long long)t->gathers_skipped,
		(unsigned long long)(t->emitted - lost),
		(unsigned long long)lost, (unsigned long long)t->dropped,
		(unsigned long long)t->unwritable,
		(unsigned long long)t->out.written);
}

/* Run the loop until the program stops: after each pass a gather that
 * was asked for (gathers: a polled input), then all that the pass
 * emitted goes out in one write(2). TELEX_EXIT_FAILURE when the loop
 * failed (logged), else TELEX_EXIT_OK. */
static int telex_input_loop(struct telex *t, bool gathers)
{
	while (!t->stopping) {
		if (loop_run_once(t->loop, -1) < 0) {
			log_error("event loop: %m");
			return TELEX_EXIT_FAILURE;
		}
		if (gathers && t->gather_pending && !t->stopping) {
			t->gather_pending = false;
			telex_gather(t);
		}
		out_writer_flush(&t->out);
	}
	return TELEX_EXIT_OK;
}

int telex_run_input(struct telex *t)
{
	int rc = TELEX_EXIT_OK;
	if (t->cli.once) {
		telex_gather(t);
		telex_begin_stop(t, "--once");
		if (t->gathers_failed)
			rc = TELEX_EXIT_FAILURE;
	} else {
		if (telex_watch_stdin(t) < 0 ||
		    (t->poll_interval_ns &&
		     loop_add_timer(t->loop, t->poll_interval_ns,
				    t->poll_interval_ns, telex_on_tick,
				    t) < 0)) {
			log_error("setting up the gather triggers: %s",
				  strerror(errno));
			return TELEX_EXIT_FAILURE;
		}
		rc = telex_input_loop(t, true);
		/* A request that came with the end ("echo | prog") is
		 * honoured. */
		if (t->gather_pending) {
			t->gather_pending = false;
			telex_gather(t);
		}
	}
	if (telex_drain(t) < 0 || telex_out_failed(t))
		rc = TELEX_EXIT_FAILURE;
	telex_input_summary(t);
	return rc;
}

int telex_run_service(struct telex *t)
{
	if (telex_watch_stdin(t) < 0) {
		log_error("watching stdin: %s", strerror(errno));
		return TELEX_EXIT_FAILURE;
	}
	if (t->p->start && t->p->start(t, t->state) < 0)
		return TELEX_EXIT_FAILURE;
	int rc = telex_input_loop(t, false);
	if (t->p->stop)
		t->p->stop(t, t->state);
	if (telex_drain(t) < 0 || telex_out_failed(t))
		rc = TELEX_EXIT_FAILURE;
	telex_input_summary(t);
	return rc;
}
