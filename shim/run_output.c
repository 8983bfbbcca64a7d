/*
 * run_output.c: the output runner: stdin is read in large chunks, split
 * into metrics (strings may hold raw newlines; no length limit), validated,
 * filtered when the config asks for it, and offered in batches to the
 * plugin's write(). When write() takes fewer than offered the runner stops
 * reading stdin (the pipe fills, Telegraf's flush blocks: the one
 * back-pressure channel execd has) until telex_resume(), then offers the
 * rest again. At EOF or SIGTERM the plugin gets flush() with a deadline and
 * the exit code says whether everything was delivered.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "telex_private.h"

#define TELEX_READ_CHUNK ((size_t)256 * 1024)
/* A buffer grown this large for one huge metric is given back once empty. */
#define TELEX_IN_KEEP ((size_t)4 * 1024 * 1024)

static int telex_in_push(struct telex_in *in, size_t off, size_t len,
			 size_t line_no, bool side, bool newline)
{
	struct telex_pending *pend =
	    array_grow(in->pend, in->npend, &in->pend_cap, sizeof(*pend), 256);
	if (!pend)
		return -1;
	in->pend = pend;
	in->pend[in->npend++] = (struct telex_pending){.off = off,
						       .len = len,
						       .line_no = line_no,
						       .side = side,
						       .newline = newline};
	return 0;
}

static void telex_in_oom(struct telex *t, size_t line_no)
{
	log_limited(&t->limiter, LOG_ERROR, "out of memory",
		    "out of memory holding the metric of line %zu", line_no);
	t->in.fatal = true;
	t->stop_reading = true;
	telex_begin_stop(t, "out of memory");
}

/* One metric text p[0..len) at in->buf offset off: validate, filter,
 * queue for write(). `cut`: the text is the first line of a metric the
 * splitter cut at its bound. Returns false, having done nothing, when the
 * text spans physical lines and is invalid: the caller takes its first
 * line alone and splits the rest again. */
static bool telex_in_take(struct telex *t, size_t off, size_t len,
			  size_t line_no, bool newline, bool cut)
{
	struct telex_in *in = &t->in;
	const char *p = in->buf.data + off;
	if (lp_line_is_blank(p, len))
		return true;
	struct lp_error err;
	char where[256];
	if (t->filter_noop) {
		if (lp_validate_line(p, len, line_no, &err) < 0)
			goto invalid;
		in->metrics++;
		if (telex_in_push(in, off, len, line_no, false, newline) < 0)
			telex_in_oom(t, line_no);
		return true;
	}
	if (lp_parse_line(p, len, line_no, &in->metric, &err) < 0)
		goto invalid;
	in->metrics++;
	if (!filter_apply(t->filter, &in->metric)) {
		in->filtered++;
		return true;
	}
	if (!in->metric.modified) {
		if (telex_in_push(in, off, len, line_no, false, newline) < 0)
			telex_in_oom(t, line_no);
		return true;
	}
	size_t side_off = in->side.len;
	if (lp_write_metric(&in->side, &in->metric, LP_WRITE_UINT, &err) < 0) {
		/* A filter removed every field it could write: dropped. */
		in->filtered++;
		return true;
	}
	/* Without the '\n' the writer put at the end (still there). */
	if (telex_in_push(in, side_off, in->side.len - side_off - 1, line_no,
			  true, true) < 0)
		telex_in_oom(t, line_no);
	return true;
invalid:
	if (memchr(p, '\n', len))
		return false;
	in->invalid++;
	log_limited(&t->limiter, LOG_WARN, "invalid line",
		    "invalid line protocol skipped: %s%s",
		    lp_error_format(&err, where, sizeof(where)),
		    cut ? " (" LP_SPLIT_CUT_REASON ")" : "");
	return true;
}

/* Split every complete metric after in->split; at EOF the rest is the last
 * metric even without its '\n'. An invalid metric over several lines
 * costs its first line only: a '"' opened there swallowed the others,
 * which are split again. */
static void telex_in_split(struct telex *t)
{
	struct telex_in *in = &t->in;
	while (in->split < in->buf.len && !in->fatal) {
		size_t text_len;
		size_t line_no = in->splitter.line;
		size_t used =
		    lp_split_next(&in->splitter, in->buf.data + in->split,
				  in->buf.len - in->split, &text_len);
		if (!used) {
			if (!in->eof)
				return;
			used = text_len = in->buf.len - in->split;
		}
		const char *p = in->buf.data + in->split;
		bool newline = used > text_len && p[text_len] == '\n';
		if (!telex_in_take(t, in->split, text_len, line_no, newline,
				   in->splitter.cut)) {
			size_t first;
			used = lp_splitter_reject(&in->splitter, p, text_len,
						  line_no, &first);
			telex_in_take(t, in->split, first, line_no,
				      p[first] == '\n', false);
		}
		in->split += used;
	}
}

/* Everything offered was taken: forget it, keep the unsplit tail. */
static void telex_in_reset(struct telex_in *in)
{
	in->npend = in->pend_done = 0;
	buf_consume(&in->buf, in->split);
	in->split = 0;
	buf_clear(&in->side);
	if (in->buf.len == 0 && in->buf.cap > TELEX_IN_KEEP)
		buf_free(&in->buf);
	if (in->side.cap > TELEX_IN_KEEP)
		buf_free(&in->side);
}

/* Paused, stdin is still watched for a hang-up: Telegraf closing it starts
 * the shutdown clock even though we cannot read up to the EOF yet. */
static void telex_in_set_reading(struct telex *t, bool on)
{
	if (t->stdin_watched)
		loop_set_fd_events(t->loop, 0,
				   on	       ? LOOP_READ
				   : t->in.hup ? 0
					       : LOOP_HUP);
}

/* Offer what is pending until it is all taken or write() is full. */
static void telex_in_offer(struct telex *t)
{
	struct telex_in *in = &t->in;
	while (in->pend_done < in->npend && !in->fatal) {
		size_t n = in->npend - in->pend_done;
		if (in->lines_cap < n) {
			struct telex_line *l =
			    realloc(in->lines, n * sizeof(*l));
			if (!l) {
				telex_in_oom(t, 0);
				return;
			}
			in->lines = l;
			in->lines_cap = n;
		}
		for (size_t i = 0; i < n; i++) {
			const struct telex_pending *pd =
			    &in->pend[in->pend_done + i];
			const char *base =
			    pd->side ? in->side.data : in->buf.data;
			in->lines[i] =
			    (struct telex_line){.ptr = base + pd->off,
						.len = pd->len,
						.line_no = pd->line_no,
						.newline = pd->newline};
		}
		struct telex_batch b = {.lines = in->lines, .n = n};
		size_t accepted = 0;
		int rc = t->p->write(t, t->state, &b, &accepted);
		if (accepted > n) {
			log_limited(&t->limiter, LOG_ERROR, "plugin bug",
				    "write() accepted %zu of %zu lines",
				    accepted, n);
			accepted = n;
		}
		in->pend_done += accepted;
		in->accepted += accepted;
		if (rc < 0) {
			in->fatal = true;
			t->stop_reading = true;
			telex_begin_stop(t, "write() failed");
			return;
		}
		if (accepted < n) {
			if (!in->paused) {
				in->paused = true;
				in->pauses++;
				telex_in_set_reading(t, false);
				log_debug("plugin full after %llu metrics: "
					  "stdin paused",
					  (unsigned long long)in->accepted);
			}
			return;
		}
	}
	if (in->pend_done == in->npend) {
		telex_in_reset(in);
		if (in->paused) {
			in->paused = false;
			if (!in->eof)
				telex_in_set_reading(t, true);
		}
	}
}

static void telex_in_on_readable(struct loop *l, int fd, unsigned events,
				 void *arg)
{
	(void)events; /* a pipe at EOF reports HUP without READ: read */
	struct telex *t = arg;
	struct telex_in *in = &t->in;
	if (in->paused) {
		/* Paused and the writer hung up: the rest is read as room
		 * comes, until the deadline. */
		in->hup = true;
		loop_set_fd_events(l, fd, 0);
		telex_begin_stop(t, "stdin closed (writer hung up)");
		return;
	}
	char *dst = buf_reserve(&in->buf, TELEX_READ_CHUNK);
	if (!dst) {
		telex_in_oom(t, in->splitter.line);
		return;
	}
	ssize_t n = read(fd, dst, TELEX_READ_CHUNK);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (n < 0)
			log_warn("reading stdin: %s; treated as end of input",
				 strerror(errno));
		in->eof = true;
		loop_del_fd(l, fd);
		t->stdin_watched = false;
		telex_begin_stop(t, "end of stdin");
	} else {
		in->buf.len += (size_t)n;
	}
	telex_in_split(t);
	telex_in_offer(t);
}

void telex_resume(struct telex *t)
{
	t->in.resume = true;
}

static void telex_output_summary(struct telex *t, size_t undelivered,
				 int flush_rc)
{
	struct telex_in *in = &t->in;
	log_limited_flush(&t->limiter, LOG_WARN);
	bool clean = !in->invalid && !undelivered && flush_rc == 0;
	log_msg(
	    clean ? LOG_INFO : LOG_WARN,
	    "%s: %llu metrics read, %llu handed to the plugin, %llu "
	    "dropped by filters, %llu invalid lines skipped, stdin paused "
	    "%llu times",
	    t->p->program, (unsigned long long)in->metrics,
	    (unsigned long long)in->accepted, (unsigned long long)in->filtered,
	    (unsigned long long)in->invalid, (unsigned long long)in->pauses);
	if (undelivered)
		log_error("%zu metrics read from stdin were not taken by the "
			  "plugin before the flush deadline",
			  undelivered);
	if (flush_rc < 0)
		log_error("the plugin did not deliver everything before the "
			  "flush deadline");
}

int telex_run_output(struct telex *t)
{
	struct telex_in *in = &t->in;
	lp_splitter_init(&in->splitter);
	lp_metric_init(&in->metric);
	in->ready = true;
	if (loop_add_fd(t->loop, 0, LOOP_READ, telex_in_on_readable, t) < 0) {
		log_error("watching stdin: %s", strerror(errno));
		return TELEX_EXIT_FAILURE;
	}
	t->stdin_watched = true;
	int rc = TELEX_EXIT_OK;
	for (;;) {
		int64_t timeout = -1;
		/* After SIGTERM, stdin is read until EOF (Telegraf, stopping
		 * too, closes it) for half of the flush timeout: what is in
		 * the pipe is delivered (or spooled) rather than left there;
		 * the other half is the plugin's flush. */
		if (t->stopping && !in->eof && t->stdin_watched &&
		    telex_monotonic_ns() - t->stop_ns > t->flush_timeout_ns / 2)
			t->stop_reading = true;
		if (t->stop_reading && t->stdin_watched) {
			/* What is still in the pipe stays there. */
			loop_del_fd(t->loop, 0);
			t->stdin_watched = false;
		}
		if (t->stopping) {
			/* Offer what was read (and read what is left after a
			 * hang-up) until the deadline. */
			if (in->fatal ||
			    (in->pend_done == in->npend && !t->stdin_watched))
				break;
			timeout = t->stop_ns + t->flush_timeout_ns -
				  telex_monotonic_ns();
			if (timeout <= 0)
				break;
			if (t->stdin_watched &&
			    timeout > t->flush_timeout_ns / 2)
				timeout -= t->flush_timeout_ns / 2;
		}
		if (loop_run_once(t->loop, timeout) < 0) {
			log_error("event loop: %m");
			rc = TELEX_EXIT_FAILURE;
			break;
		}
		if (in->resume) {
			in->resume = false;
			telex_in_offer(t);
		}
	}
	/* Bytes Telegraf counts as delivered that never reached the plugin:
	 * what SIGTERM or the deadline left in the pipe, and a metric read
	 * only in part. */
	size_t unread = 0;
	if (!in->eof) {
		int n = 0;
		if (ioctl(0, FIONREAD, &n) == 0 && n > 0)
			unread = (size_t)n;
		unread += in->buf.len - in->split;
	}
	if (t->stdin_watched) {
		loop_del_fd(t->loop, 0);
		t->stdin_watched = false;
	}
	int flush_rc = 0;
	if (t->p->flush)
		flush_rc =
		    t->p->flush(t, t->state, t->stop_ns + t->flush_timeout_ns);
	size_t undelivered = in->npend - in->pend_done;
	telex_output_summary(t, undelivered, flush_rc);
	if (unread)
		log_error("%zu bytes of stdin left unread at the end (%s)",
			  unread, t->stop_reason);
	if (in->fatal || undelivered || unread || flush_rc < 0)
		rc = TELEX_EXIT_FAILURE;
	return rc;
}

void telex_output_free(struct telex *t)
{
	struct telex_in *in = &t->in;
	buf_free(&in->buf);
	buf_free(&in->side);
	free(in->pend);
	free(in->lines);
	if (in->ready)
		lp_metric_free(&in->metric);
	memset(in, 0, sizeof(*in));
}
