/*
 * out_writer.c: stdout writer (see out_writer.h).
 */
#include "out_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "telex/log.h"

static void out_writer_on_writable(struct loop *l, int fd, unsigned events,
				   void *arg);

int out_writer_init(struct out_writer *w, int fd, struct loop *loop)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->batch = OUT_BATCH_DEFAULT;
	w->high_water = OUT_HIGH_WATER_DEFAULT;
	w->low_water = OUT_LOW_WATER_DEFAULT;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK) &&
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0) {
			w->nonblocking = true;
			w->saved_flags = fl;
		}
	}
	if (loop) {
		if (loop_add_fd(loop, fd, 0, out_writer_on_writable, w) < 0)
			return -1;
		w->loop = loop;
	}
	return 0;
}

void out_writer_free(struct out_writer *w)
{
	if (w->loop)
		loop_del_fd(w->loop, w->fd);
	if (w->nonblocking)
		fcntl(w->fd, F_SETFL, w->saved_flags);
	buf_free(&w->buf);
	w->off = w->committed = 0;
	w->loop = NULL;
	w->nonblocking = false;
}

static void out_writer_break(struct out_writer *w, int error)
{
	w->broken = true;
	w->error = error;
	size_t lost = out_writer_backlog(w);
	if (error == EPIPE || error == ECONNRESET)
		log_warn("stdout closed by the reader (Telegraf went away); "
			 "%zu bytes not written",
			 lost);
	else
		log_error("writing stdout: %s; %zu bytes not written",
			  strerror(error), lost);
	/* What was not written stays, for whoever counts it (a summary of
	 * what stdout took); nothing is added to it any more. */
	buf_consume(&w->buf, w->off);
	w->off = 0;
	w->committed = w->buf.len;
	if (w->loop && w->polling)
		loop_set_fd_events(w->loop, w->fd, 0);
	w->polling = false;
	if (w->on_broken)
		w->on_broken(w->cb_arg, error);
}

static void out_writer_set_polling(struct out_writer *w, bool on)
{
	if (!w->loop || w->polling == on)
		return;
	loop_set_fd_events(w->loop, w->fd, on ? LOOP_WRITE : 0);
	w->polling = on;
}

/* One pass of write(2) calls until done, EAGAIN or failure. */
static int out_writer_write_some(struct out_writer *w)
{
	uint64_t before = w->written;
	while (w->off < w->buf.len) {
		ssize_t n =
		    write(w->fd, w->buf.data + w->off, w->buf.len - w->off);
		if (n > 0) {
			w->off += (size_t)n;
			w->written += (uint64_t)n;
			w->writes++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		out_writer_break(w, n < 0 ? errno : EIO);
		return -1;
	}
	if (w->off == w->buf.len) {
		buf_clear(&w->buf);
		w->off = 0;
	} else if (w->off >= w->buf.len / 2) {
		/* Keep the buffer from creeping: move the rest to the front
		 * when it is at most as long as what was written. */
		buf_consume(&w->buf, w->off);
		w->off = 0;
	}
	w->committed = w->buf.len;
	out_writer_set_polling(w, w->off < w->buf.len);
	bool progressed = w->written != before;
	bool relieved = false;
	if (w->congested && out_writer_backlog(w) <= w->low_water) {
		w->congested = false;
		relieved = true;
	}
	if ((progressed || relieved) && w->on_progress)
		w->on_progress(w->cb_arg, w->written);
	return 0;
}

int out_writer_flush(struct out_writer *w)
{
	if (w->broken)
		return -1;
	if (w->off == w->buf.len)
		return 0;
	return out_writer_write_some(w);
}

int out_writer_commit(struct out_writer *w)
{
	if (w->broken) {
		w->buf.len = w->committed; /* the new bytes are dropped */
		return -1;
	}
	w->queued += w->buf.len - w->committed;
	w->committed = w->buf.len;
	if (out_writer_backlog(w) > w->high_water)
		w->congested = true;
	if (w->buf.len - w->off >= w->batch && !w->polling)
		return out_writer_flush(w);
	return 0;
}

int out_writer_append(struct out_writer *w, const void *p, size_t n)
{
	if (buf_append(&w->buf, p, n) < 0)
		return -1;
	return out_writer_commit(w);
}

int out_writer_drain(struct out_writer *w, int64_t deadline_ns)
{
	for (;;) {
		if (out_writer_flush(w) < 0)
			return -1;
		if (w->off == w->buf.len)
			return 0;
		int64_t left = deadline_ns - telex_monotonic_ns();
		if (left <= 0)
			return -1;
		struct pollfd pfd = {.fd = w->fd, .events = POLLOUT};
		int ms = (int)((left + 999999) / 1000000);
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return -1;
	}
}

static void out_writer_on_writable(struct loop *l, int fd, unsigned events,
				   void *arg)
{
	(void)l;
	(void)fd;
	(void)events; /* HUP/ERR show up as a failing write */
	out_writer_flush(arg);
}
