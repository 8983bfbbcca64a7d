/*
 * out_writer.h: the stdout writer of the shim (internal; plugins use the
 * telex_out_* calls of shim.h).
 *
 * Callers append whole lines to the writer's buffer; the writer hands them
 * to write(2) in as few calls as possible: once per gather (the runner
 * flushes after each) or whenever `batch` bytes are waiting. A pipe or
 * socket is switched to non-blocking so a slow reader never freezes the
 * event loop: what the kernel does not take waits in the buffer and goes
 * out when the loop sees the descriptor writable. A terminal or a regular
 * file stays blocking (flipping O_NONBLOCK there would change the file
 * description the shell shares with us).
 */
#ifndef TELEX_OUT_WRITER_H
#define TELEX_OUT_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "telex/buf.h"
#include "telex/loop.h"

#define OUT_BATCH_DEFAULT ((size_t)256 * 1024)
#define OUT_HIGH_WATER_DEFAULT ((size_t)4 * 1024 * 1024)
#define OUT_LOW_WATER_DEFAULT ((size_t)1 * 1024 * 1024)

struct out_writer {
	int fd;
	struct loop *loop; /* NULL: no waiting on the loop (tests, --once) */
	bool nonblocking;  /* we set O_NONBLOCK (and restore it at free) */
	int saved_flags;

	struct buf buf; /* bytes [off, len) are not written yet */
	size_t off;
	size_t committed; /* buf.len when out_writer_commit() last ran */

	uint64_t queued;  /* bytes committed since start */
	uint64_t written; /* bytes write(2) has taken */
	uint64_t writes;  /* write(2) calls that took bytes */

	size_t batch;	   /* write once this much waits */
	size_t high_water; /* congested above this backlog ... */
	size_t low_water;  /* ... until it falls to this */
	bool congested;

	bool polling; /* waiting for LOOP_WRITE */
	bool broken;  /* a write failed: nothing more is written */
	int error;    /* errno of that failure (EPIPE: the reader left) */

	/* After a write moved `written`, and when the backlog fell to the
	 * low-water mark after congestion. */
	void (*on_progress)(void *arg, uint64_t written);
	/* Once, when the descriptor broke. */
	void (*on_broken)(void *arg, int error);
	void *cb_arg;
};

/* Set up for fd. With a loop, the writer registers fd on it (idle until a
 * write would block). 0, or -1 when fd cannot be used. */
int out_writer_init(struct out_writer *w, int fd, struct loop *loop);
/* Restore the descriptor's flags, leave the loop, free the buffer. What
 * is still queued is dropped: drain first. */
void out_writer_free(struct out_writer *w);

/* The buffer to append whole lines to, then out_writer_commit(). */
static inline struct buf *out_writer_buf(struct out_writer *w)
{
	return &w->buf;
}
/* Account what was appended; writes when a batch is waiting. 0, or -1 once
 * the descriptor is broken (the bytes are dropped). */
int out_writer_commit(struct out_writer *w);
/* Append p[0..n) (whole lines) and commit. */
int out_writer_append(struct out_writer *w, const void *p, size_t n);

/* Write what the descriptor takes now (all of it when blocking). 0, or -1
 * when broken. */
int out_writer_flush(struct out_writer *w);
/* Flush, waiting for the descriptor (not the loop) until deadline_ns
 * (monotonic). 0 when everything was written, -1 otherwise. */
int out_writer_drain(struct out_writer *w, int64_t deadline_ns);

static inline size_t out_writer_backlog(const struct out_writer *w)
{
	return (size_t)(w->queued - w->written);
}

#endif
