/*
 * harness_stream.c: the program's stdout read as line protocol (what
 * inputs.execd parses), its stderr read as Telegraf's level prefixes, and
 * the feed of line protocol to an output's stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define HARNESS_STDERR_LINE_MAX (64 * 1024) /* Telegraf's reader limit */

static void harness_stdout_metric(struct harness *h, const char *p, size_t len,
				  size_t used, size_t line_no)
{
	if (h->save)
		fwrite(p, 1, used, h->save);
	if (h->o.mode == HARNESS_OUTPUT) {
		/* outputs.execd logs stdout lines at info level. */
		h->st.stdout_lines++;
		if (!h->o.quiet)
			fprintf(stderr, "child stdout: %.*s\n", (int)len, p);
		return;
	}
	if (lp_line_is_blank(p, len))
		return;
	struct lp_error err;
	if (lp_validate_line(p, len, line_no, &err) < 0) {
		char msg[256];
		h->st.invalid_lines++;
		fprintf(stderr,
			"harness: invalid line protocol on stdout: %s\n",
			lp_error_format(&err, msg, sizeof(msg)));
		return;
	}
	h->st.metrics++;
}

static void harness_stderr_line(struct harness *h, const char *p, size_t len)
{
	static const char prefixes[][4] = {"E! ", "W! ", "I! ", "D! ", "T! "};
	h->st.stderr_lines++;
	if (len > HARNESS_STDERR_LINE_MAX)
		h->st.stderr_long++;
	int level = -1;
	for (int i = 0; i < 5; i++)
		if (len >= 3 && !memcmp(p, prefixes[i], 3))
			level = i;
	if (level >= 0)
		h->st.stderr_level[level]++;
	else
		h->st.stderr_unprefixed++;
	if (h->stderr_file)
		fprintf(h->stderr_file, "%.*s\n", (int)len, p);
	else if (!h->o.quiet)
		fprintf(stderr, "child: %.*s\n", (int)len, p);
}

/* Handle every complete line; at EOF also the unterminated rest. */
static void harness_stream_lines(struct harness *h, struct harness_stream *s,
				 bool eof)
{
	bool is_stdout = s == &h->out;
	while (s->split < s->buf.len) {
		const char *p = s->buf.data + s->split;
		size_t avail = s->buf.len - s->split, len, used;
		size_t line_no = s->splitter.line;
		if (is_stdout) {
			used = lp_split_next(&s->splitter, p, avail, &len);
		} else {
			const char *nl = memchr(p, '\n', avail);
			used = nl ? (size_t)(nl - p) + 1 : 0;
			len = used ? used - 1 : 0;
		}
		if (!used) {
			if (!eof)
				break;
			/* A line cut short: the program died mid-write or
			 * forgot the terminator. */
			if (is_stdout)
				h->st.partial_lines++;
			used = len = avail;
		}
		if (is_stdout)
			harness_stdout_metric(h, p, len, used, line_no);
		else
			harness_stderr_line(h, p, len);
		s->split += used;
	}
	buf_consume(&s->buf, s->split);
	s->split = 0;
	if (is_stdout)
		harness_on_metrics(h);
}

static void harness_on_stream(struct loop *l, int fd, unsigned events,
			      void *arg)
{
	(void)l;
	(void)events;
	struct harness *h = arg;
	struct harness_stream *s = fd == h->out.fd ? &h->out : &h->err;
	char *dst = buf_reserve(&s->buf, 65536);
	if (!dst) {
		fprintf(stderr, "harness: out of memory\n");
		exit(1);
	}
	ssize_t n = read(fd, dst, 65536);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		harness_stream_lines(h, s, true);
		harness_stream_close(h, s);
		harness_after_exit(h);
		return;
	}
	s->buf.len += (size_t)n;
	if (s == &h->out)
		h->st.stdout_bytes += (uint64_t)n;
	harness_stream_lines(h, s, false);
}

void harness_stream_open(struct harness *h, struct harness_stream *s, int fd,
			 bool is_stdout)
{
	(void)is_stdout;
	buf_clear(&s->buf);
	s->split = 0;
	s->fd = fd;
	s->open = true;
	lp_splitter_init(&s->splitter);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	loop_add_fd(h->loop, fd, LOOP_READ, harness_on_stream, h);
}

void harness_stream_close(struct harness *h, struct harness_stream *s)
{
	if (!s->open)
		return;
	loop_del_fd(h->loop, s->fd);
	close(s->fd);
	s->fd = -1;
	s->open = false;
}

/* ------------------------------------------------------------------ */
/* Output mode: the feed. */

int harness_feed_load(struct harness *h)
{
	struct harness_feed *f = &h->feed;
	FILE *in = fopen(h->o.feed_path, "r");
	if (!in) {
		fprintf(stderr, "harness: %s: %s\n", h->o.feed_path,
			strerror(errno));
		return -1;
	}
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		buf_append(&f->data, chunk, n);
	fclose(in);
	/* Metric boundaries as Telegraf's serializer makes them: one metric
	 * per batch element, newlines inside strings included. */
	struct lp_splitter sp;
	lp_splitter_init(&sp);
	size_t pos = 0, cap = 0;
	while (pos < f->data.len) {
		size_t text, used = lp_split_next(&sp, f->data.data + pos,
						  f->data.len - pos, &text);
		if (!used)
			used = f->data.len - pos;
		if (f->nmetrics == cap) {
			cap = cap ? cap * 2 : 1024;
			f->ends = realloc(f->ends, cap * sizeof(*f->ends));
			if (!f->ends)
				return -1;
		}
		pos += used;
		f->ends[f->nmetrics++] = pos;
	}
	return 0;
}

static void harness_feed_write(struct harness *h);

static void harness_feed_on_writable(struct loop *l, int fd, unsigned events,
				     void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	harness_feed_write(arg);
}

static void harness_feed_next_batch(struct loop *l, void *arg)
{
	(void)l;
	struct harness *h = arg;
	h->feed.pausing = false;
	h->feed.pause_done = true;
	harness_feed_write(h);
}

/* Write until the pipe is full or the batch is done; Telegraf's writes
 * block, so a full pipe is where the program's back-pressure shows. */
static void harness_feed_write(struct harness *h)
{
	struct harness_feed *f = &h->feed;
	if (h->in_fd < 0 || f->pausing)
		return;
	for (;;) {
		if (f->next == f->batch_end) {
			if (f->next == f->nmetrics) {
				loop_del_fd(h->loop, h->in_fd);
				harness_begin_shutdown(h, "feed written");
				return;
			}
			if (f->next && h->o.flush_interval_ns &&
			    !f->pause_done) {
				/* Telegraf's flush_interval between batches. */
				f->pausing = true;
				loop_set_fd_events(h->loop, h->in_fd, 0);
				loop_add_timer(h->loop, h->o.flush_interval_ns,
					       0, harness_feed_next_batch, h);
				return;
			}
			f->pause_done = false;
			f->batch_end = f->next + (size_t)h->o.batch_size;
			if (f->batch_end > f->nmetrics)
				f->batch_end = f->nmetrics;
		}
		/* One write per metric, or the rest of the batch at once. */
		size_t end = h->o.batch_format ? f->ends[f->batch_end - 1]
					       : f->ends[f->next];
		ssize_t n =
		    write(h->in_fd, f->data.data + f->pos, end - f->pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			h->st.stdin_eagain++;
			loop_set_fd_events(h->loop, h->in_fd, LOOP_WRITE);
			return;
		}
		if (n < 0) {
			/* The program is gone; Telegraf would log and retry
			 * the batch with the next process. */
			h->st.stdin_write_errors++;
			loop_del_fd(h->loop, h->in_fd);
			close(h->in_fd);
			h->in_fd = -1;
			return;
		}
		f->pos += (size_t)n;
		h->st.fed_bytes += (uint64_t)n;
		while (f->next < f->batch_end && f->ends[f->next] <= f->pos) {
			f->next++;
			h->st.fed_metrics++;
		}
	}
}

void harness_feed_start(struct harness *h)
{
	struct harness_feed *f = &h->feed;
	/* A restarted program gets the feed from the first metric the last
	 * one did not take whole. */
	f->pos = f->next ? f->ends[f->next - 1] : 0;
	f->batch_end = f->next;
	f->pausing = false;
	f->pause_done = false;
	loop_add_fd(h->loop, h->in_fd, 0, harness_feed_on_writable, h);
	harness_feed_write(h);
}
