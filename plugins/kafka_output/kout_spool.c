/*
 * kout_spool.c: opening the spool, writing, reading and giving space back
 * (layout and guarantees: kout_spool.h; the files themselves:
 * kout_spool_file.c).
 *
 * One writer, one reader, both on the loop's thread. write() buffers the
 * frames of a batch and writes them with one pwrite() before the shim
 * counts the lines as taken. The reader follows with pread() from its own
 * descriptor, a megabyte at a time, so memory stays bounded whatever the
 * spool holds. Space is given back a segment at a time, once everything
 * in it was confirmed: a segment is never rewritten, which is what makes
 * a crash leave at most one torn frame, at the end of the newest one.
 *
 * Each start opens a new segment rather than appending to the previous
 * run's: that one is read (and, if torn, cut), then sealed, so later
 * starts read only the seals.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kout_spool_internal.h"
#include "telex/log.h"
#include "telex/shim.h"

/* ------------------------------------------------------------------ */
/* Opening and closing. */

static int kout_spool_lock(struct kout_spool *sp, const char *table,
			   int wait_ms, char *err, size_t errlen)
{
	sp->lockfd =
	    openat(sp->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (sp->lockfd < 0) {
		snprintf(err, errlen,
			 "[%s] spool_dir \"%s\": cannot create files in it: "
			 "%s (the user running telex-kafka-output needs "
			 "write access)",
			 table, sp->dir, strerror(errno));
		return TELEX_EXIT_USAGE;
	}
	for (int waited = 0; flock(sp->lockfd, LOCK_EX | LOCK_NB) < 0;
	     waited += 100) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			char pid[32] = "?";
			size_t got = 0;
			if (kout_pread_all(sp->lockfd, pid, sizeof(pid) - 1, 0,
					   &got) == 0)
				pid[got] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			snprintf(err, errlen,
				 "[%s] spool_dir \"%s\" is in use by another "
				 "process (pid %s): each telex-kafka-output "
				 "needs a spool_dir of its own",
				 table, sp->dir, pid);
			return TELEX_EXIT_FAILURE;
		}
		usleep(100000);
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(sp->lockfd, 0) < 0 ||
	    kout_pwrite_all(sp->lockfd, pid, (size_t)n, 0) < 0) {
		snprintf(err, errlen,
			 "[%s] spool_dir \"%s\": cannot write in it: %s", table,
			 sp->dir, strerror(errno));
		return TELEX_EXIT_USAGE;
	}
	return 0;
}

/* The ack position as the files allow: not before the oldest segment,
 * not past the end of the one it names; segments wholly before it were
 * delivered (the previous run stopped before removing them). */
static void kout_spool_place_ack(struct kout_spool *sp, bool have_ack)
{
	if (!have_ack || sp->ack.seg < sp->segs[0].id) {
		sp->ack =
		    (struct kout_spool_pos){sp->segs[0].id, KOUT_SEG_HDR, 0};
		return;
	}
	struct kout_seg *s = kout_seg_find(sp, sp->ack.seg);
	if (!s) {
		/* Its segment is gone: everything in it was done. */
		for (size_t i = 0; i < sp->nsegs; i++)
			if (sp->segs[i].id > sp->ack.seg) {
				sp->ack = (struct kout_spool_pos){
				    sp->segs[i].id, KOUT_SEG_HDR, 0};
				return;
			}
		return;
	}
	if (sp->ack.off > s->bytes || sp->ack.index > s->records ||
	    sp->ack.off < KOUT_SEG_HDR)
		sp->ack = (struct kout_spool_pos){s->id, s->bytes, s->records};
}

int kout_spool_open(struct kout_spool *sp, const struct kout_spool_opts *o,
		    char *err, size_t errlen)
{
	memset(sp, 0, sizeof(*sp));
	sp->dirfd = sp->lockfd = sp->ackfd = sp->rfd = -1;
	sp->fsync = o->fsync;
	sp->max_bytes = o->max_bytes;
	sp->seg_max = o->max_bytes / 16;
	if (sp->seg_max < KOUT_SEG_MIN)
		sp->seg_max = KOUT_SEG_MIN;
	if (sp->seg_max > KOUT_SEG_MAX)
		sp->seg_max = KOUT_SEG_MAX;
	sp->dir = strdup(o->dir);
	if (!sp->dir) {
		snprintf(err, errlen, "out of memory");
		return TELEX_EXIT_FAILURE;
	}
	if (mkdir(sp->dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen,
			 "[%s] spool_dir \"%s\": cannot create it: %s",
			 o->table, sp->dir, strerror(errno));
		return TELEX_EXIT_USAGE;
	}
	sp->dirfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		snprintf(err, errlen, "[%s] spool_dir \"%s\": %s", o->table,
			 sp->dir, strerror(errno));
		return TELEX_EXIT_USAGE;
	}
	int rc = kout_spool_lock(sp, o->table, o->lock_wait_ms, err, errlen);
	if (rc)
		return rc;
	sp->ackfd =
	    openat(sp->dirfd, "ack", O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (sp->ackfd < 0) {
		snprintf(err, errlen, "[%s] spool_dir \"%s\": ack file: %s",
			 o->table, sp->dir, strerror(errno));
		return TELEX_EXIT_USAGE;
	}
	bool have_ack = kout_spool_read_ack(sp->ackfd, &sp->ack, &sp->ack_gen);
	uint64_t *ids;
	size_t n;
	if (kout_spool_list(sp->dirfd, &ids, &n) < 0) {
		snprintf(err, errlen, "listing spool_dir \"%s\": %s", sp->dir,
			 strerror(errno));
		return TELEX_EXIT_FAILURE;
	}
	for (size_t i = 0; i < n; i++)
		if (kout_seg_load(sp, ids[i], err, errlen) < 0) {
			free(ids);
			return TELEX_EXIT_FAILURE;
		}
	free(ids);
	uint64_t next = 1;
	if (sp->nsegs) {
		kout_spool_place_ack(sp, have_ack);
		while (sp->nsegs && sp->segs[0].id < sp->ack.seg)
			kout_seg_drop_oldest(sp);
	}
	if (sp->nsegs) {
		next = sp->segs[sp->nsegs - 1].id + 1;
		for (size_t i = 0; i < sp->nsegs; i++)
			if (sp->segs[i].id >= sp->ack.seg)
				sp->records += sp->segs[i].records;
		sp->records -= sp->ack.index;
	} else {
		/* Nothing left: start where the ack file says, so that a
		 * stale ack can never point into a new segment. */
		if (have_ack && sp->ack.seg > next)
			next = sp->ack.seg;
		sp->ack = (struct kout_spool_pos){next, KOUT_SEG_HDR, 0};
	}
	sp->ack_dirty = true;
	if (kout_seg_create(sp, next, err, errlen) < 0)
		return TELEX_EXIT_FAILURE;
	sp->rpos = sp->ack;
	kout_spool_sync(sp);
	return 0;
}

void kout_spool_close(struct kout_spool *sp)
{
	if (!sp->dir)
		return;
	char err[512];
	if (sp->dirfd >= 0 && sp->nsegs) {
		if (kout_spool_flush(sp, err, sizeof(err)) < 0)
			log_error("spool: %s", err);
		struct kout_seg *w = &sp->segs[sp->nsegs - 1];
		if (sp->records == 0) {
			/* All delivered: nothing to keep. */
			struct kout_spool_pos end = {w->id + 1, KOUT_SEG_HDR,
						     0};
			sp->ack = end;
			sp->ack_dirty = true;
			while (sp->nsegs)
				kout_seg_drop_oldest(sp);
		} else if (!w->sealed && w->fd >= 0 &&
			   kout_seg_seal(sp, w) < 0) {
			log_error("spool: sealing the last segment: %s",
				  strerror(errno));
		}
		kout_spool_sync(sp);
	}
	kout_spool_abandon(sp);
}

void kout_spool_abandon(struct kout_spool *sp)
{
	for (size_t i = 0; i < sp->nsegs; i++)
		if (sp->segs[i].fd >= 0)
			close(sp->segs[i].fd);
	int fds[] = {sp->rfd, sp->ackfd, sp->lockfd, sp->dirfd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(sp->segs);
	buf_free(&sp->wbuf);
	buf_free(&sp->rbuf);
	free(sp->dir);
	memset(sp, 0, sizeof(*sp));
	sp->dirfd = sp->lockfd = sp->ackfd = sp->rfd = -1;
}

/* ------------------------------------------------------------------ */
/* Writing. */

static struct kout_seg *kout_spool_wseg(struct kout_spool *sp)
{
	return &sp->segs[sp->nsegs - 1];
}

bool kout_spool_caught_up(const struct kout_spool *sp)
{
	const struct kout_seg *w = &sp->segs[sp->nsegs - 1];
	return sp->rpos.seg > w->id ||
	       (sp->rpos.seg == w->id && sp->rpos.off >= w->bytes);
}

/* Everything written was delivered and the write segment has grown: a
 * fresh one lets the space be given back. */
static int kout_spool_rotate(struct kout_spool *sp, char *err, size_t errlen)
{
	struct kout_seg *w = kout_spool_wseg(sp);
	uint64_t id = w->id + 1;
	if (kout_seg_create(sp, id, err, errlen) < 0)
		return -1;
	struct kout_spool_pos start = {id, KOUT_SEG_HDR, 0};
	sp->rpos = start;
	kout_spool_ack(sp, &start);
	return 0;
}

enum kout_room kout_spool_room(struct kout_spool *sp, size_t len)
{
	uint64_t need = kout_frame_size(len) + KOUT_SEAL_SIZE + KOUT_SEG_HDR;
	if (len >= KOUT_FRAME_MAX || need > sp->max_bytes)
		return KOUT_ROOM_NEVER;
	if (sp->bytes + sp->wbuf.len + need <= sp->max_bytes)
		return KOUT_ROOM_OK;
	char err[256];
	if (sp->records == 0 && sp->wbuf.len == 0 && sp->nsegs == 1 &&
	    kout_spool_caught_up(sp) &&
	    kout_spool_rotate(sp, err, sizeof(err)) == 0 &&
	    sp->bytes + need <= sp->max_bytes)
		return KOUT_ROOM_OK;
	return KOUT_ROOM_FULL;
}

/* The write segment is full: write it out, seal it, start the next. */
static int kout_spool_roll(struct kout_spool *sp, char *err, size_t errlen)
{
	if (kout_spool_flush(sp, err, errlen) < 0)
		return -1;
	struct kout_seg *w = kout_spool_wseg(sp);
	if (kout_seg_seal(sp, w) < 0) {
		snprintf(err, errlen, "sealing a spool segment in %s: %s",
			 sp->dir, strerror(errno));
		return -1;
	}
	/* "interval": the next sync writes it out, unless it was all
	 * delivered and removed by then. */
	if (sp->fsync == KOUT_FSYNC_ALWAYS)
		fdatasync(w->fd);
	if (sp->fsync != KOUT_FSYNC_INTERVAL) {
		close(w->fd);
		w->fd = -1;
		w->dirty = false;
	}
	return kout_seg_create(sp, w->id + 1, err, errlen);
}

int kout_spool_add(struct kout_spool *sp, const char *line, size_t len,
		   int64_t time_ms, struct kout_spool_pos *pos, char *err,
		   size_t errlen)
{
	struct kout_seg *w = kout_spool_wseg(sp);
	size_t size = kout_frame_size(len);
	/* Sealed: starting its successor failed last time (disk full). */
	if (w->sealed) {
		if (kout_seg_create(sp, w->id + 1, err, errlen) < 0)
			return -1;
		w = kout_spool_wseg(sp);
	}
	if (w->bytes + sp->wbuf.len + size + KOUT_SEAL_SIZE > sp->seg_max &&
	    w->bytes + sp->wbuf.len > KOUT_SEG_HDR) {
		if (kout_spool_roll(sp, err, errlen) < 0)
			return -1;
		w = kout_spool_wseg(sp);
	}
	char *dst = buf_reserve(&sp->wbuf, size);
	if (!dst) {
		snprintf(err, errlen, "out of memory for the spool's buffer");
		return -1;
	}
	*pos = (struct kout_spool_pos){w->id, w->bytes + sp->wbuf.len,
				       w->records + sp->wbuf_records};
	uint32_t crc = kout_crc32c(kout_crc32c(0, line, len), "\n", 1);
	kout_frame_header((uint8_t *)dst, KOUT_FRAME_LINE, (uint32_t)len + 1,
			  time_ms, crc);
	memcpy(dst + KOUT_FRAME_HDR, line, len);
	dst[KOUT_FRAME_HDR + len] = '\n';
	sp->wbuf.len += size;
	sp->wbuf_records++;
	return 0;
}

/* The bytes of sp->wbuf onto the write segment, and with "always" onto
 * the disk. -1 with errno when either failed. */
static int kout_spool_put(struct kout_spool *sp, struct kout_seg *w)
{
	if (kout_pwrite_all(w->fd, sp->wbuf.data, sp->wbuf.len, w->bytes) < 0)
		return -1;
	if (sp->fsync != KOUT_FSYNC_ALWAYS)
		return 0;
	/* Not on the disk is not taken: after a failed fdatasync the kernel
	 * may have dropped the pages' error, and a crash loses them. */
	if (fdatasync(w->fd) < 0)
		return -1;
	if (sp->dir_dirty && fsync(sp->dirfd) < 0)
		return -1;
	sp->dir_dirty = false;
	return 0;
}

int kout_spool_flush(struct kout_spool *sp, char *err, size_t errlen)
{
	if (!sp->wbuf.len)
		return 0;
	struct kout_seg *w = kout_spool_wseg(sp);
	if (kout_spool_put(sp, w) < 0) {
		int e = errno;
		char name[32];
		kout_seg_name(name, w->id);
		/* Whatever part made it is cut off: these lines were not
		 * taken and will be offered again. */
		if (ftruncate(w->fd, (off_t)w->bytes) < 0)
			log_error("spool: cutting back %s/%s: %s", sp->dir,
				  name, strerror(errno));
		snprintf(err, errlen, "writing to %s/%s: %s", sp->dir, name,
			 strerror(e));
		buf_clear(&sp->wbuf);
		sp->wbuf_records = 0;
		return -1;
	}
	w->bytes += sp->wbuf.len;
	sp->bytes += sp->wbuf.len;
	w->records += sp->wbuf_records;
	sp->records += sp->wbuf_records;
	sp->lines_written += sp->wbuf_records;
	w->dirty = sp->fsync != KOUT_FSYNC_ALWAYS;
	buf_clear(&sp->wbuf);
	sp->wbuf_records = 0;
	if (sp->wbuf.cap > KOUT_RBUF_KEEP)
		buf_free(&sp->wbuf);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reading. */

static const uint8_t *kout_spool_read_at(struct kout_spool *sp,
					 const struct kout_seg *s, uint64_t off,
					 size_t want, size_t *avail)
{
	if (sp->rfd < 0 || sp->rfd_seg != s->id) {
		if (sp->rfd >= 0)
			close(sp->rfd);
		buf_clear(&sp->rbuf);
		sp->rbuf_off = 0;
		sp->rfd = kout_seg_openat(sp, s->id, O_RDONLY);
		if (sp->rfd < 0)
			return NULL;
		sp->rfd_seg = s->id;
	}
	struct kout_window w = {sp->rfd, s->bytes, &sp->rbuf, &sp->rbuf_off};
	return kout_window_at(&w, off, want, avail);
}

enum kout_peek kout_spool_peek(struct kout_spool *sp, struct kout_frame *f,
			       struct kout_spool_pos *pos, char *err,
			       size_t errlen)
{
	for (;;) {
		struct kout_seg *s = kout_seg_find(sp, sp->rpos.seg);
		if (!s) {
			size_t i = 0;
			while (i < sp->nsegs && sp->segs[i].id < sp->rpos.seg)
				i++;
			if (i == sp->nsegs)
				return KOUT_PEEK_NONE;
			sp->rpos = (struct kout_spool_pos){sp->segs[i].id,
							   KOUT_SEG_HDR, 0};
			continue;
		}
		if (sp->rpos.off >= s->bytes) {
			if (s == kout_spool_wseg(sp))
				return KOUT_PEEK_NONE;
			sp->rpos =
			    (struct kout_spool_pos){s[1].id, KOUT_SEG_HDR, 0};
			continue;
		}
		size_t avail;
		const uint8_t *p = kout_spool_read_at(sp, s, sp->rpos.off,
						      KOUT_FRAME_HDR, &avail);
		if (!p)
			goto io;
		enum kout_frame_rc fr = kout_frame_decode(p, avail, f);
		if (fr == KOUT_FRAME_SHORT &&
		    sp->rpos.off + f->size <= s->bytes) {
			p = kout_spool_read_at(sp, s, sp->rpos.off, f->size,
					       &avail);
			if (!p)
				goto io;
			fr = kout_frame_decode(p, avail, f);
		}
		if (fr == KOUT_FRAME_OK && f->magic == KOUT_FRAME_LINE) {
			*pos = sp->rpos;
			return KOUT_PEEK_LINE;
		}
		if (fr == KOUT_FRAME_OK) { /* the seal: the segment's end */
			sp->rpos.off = s->bytes;
			continue;
		}
		size_t skip = fr == KOUT_FRAME_SHORT
				  ? avail
				  : kout_frame_resync(p, avail);
		sp->damaged_bytes += skip;
		log_warn("spool: %s: %zu damaged bytes (failed checksum) at "
			 "offset %" PRIu64 " of segment %016" PRIx64 " skipped",
			 sp->dir, skip, sp->rpos.off, s->id);
		sp->rpos.off += skip;
	}
io:
	snprintf(err, errlen, "reading the spool in %s: %s", sp->dir,
		 strerror(errno));
	return KOUT_PEEK_ERROR;
}

void kout_spool_advance(struct kout_spool *sp, const struct kout_spool_pos *pos,
			size_t size)
{
	sp->rpos =
	    (struct kout_spool_pos){pos->seg, pos->off + size, pos->index + 1};
}

/* ------------------------------------------------------------------ */
/* Giving space back, syncing, state. */

bool kout_spool_ack(struct kout_spool *sp, const struct kout_spool_pos *pos)
{
	if (kout_pos_cmp(pos, &sp->ack) <= 0)
		return false;
	uint64_t before = 0;
	for (size_t i = 0; i < sp->nsegs && sp->segs[i].id < pos->seg; i++)
		if (sp->segs[i].id >= sp->ack.seg)
			before += sp->segs[i].records;
	uint64_t done = before + pos->index - sp->ack.index;
	sp->records = done > sp->records ? 0 : sp->records - done;
	sp->ack = *pos;
	sp->ack_dirty = true;
	bool freed = false;
	while (sp->nsegs > 1 && sp->segs[0].id < sp->ack.seg) {
		kout_seg_drop_oldest(sp);
		freed = true;
	}
	return freed;
}

void kout_spool_sync(struct kout_spool *sp)
{
	/* Lines all delivered need no disk: the common case while Kafka
	 * keeps up, where most segments are removed before any sync. */
	bool data = sp->fsync != KOUT_FSYNC_NEVER && sp->records > 0;
	for (size_t i = 0; i < sp->nsegs; i++) {
		struct kout_seg *s = &sp->segs[i];
		if (s->dirty && data && fdatasync(s->fd) < 0) {
			/* Tried again at the next sync; not closed. */
			log_error("spool: fdatasync in %s: %s", sp->dir,
				  strerror(errno));
			continue;
		}
		s->dirty = false;
		if (s->sealed && s->fd >= 0) {
			close(s->fd);
			s->fd = -1;
		}
	}
	if (sp->dir_dirty && sp->fsync != KOUT_FSYNC_NEVER &&
	    fsync(sp->dirfd) == 0)
		sp->dir_dirty = false;
	if (!sp->ack_dirty)
		return;
	if (kout_spool_write_ack(sp) < 0)
		log_error("spool: writing %s/ack: %s", sp->dir,
			  strerror(errno));
	else if (sp->fsync != KOUT_FSYNC_NEVER)
		fdatasync(sp->ackfd);
}

void kout_spool_state(struct kout_spool *sp, struct kout_spool_state *st)
{
	st->records = sp->records;
	st->bytes = sp->bytes + sp->wbuf.len;
	st->segments = sp->nsegs;
	st->oldest_ms = 0;
	if (!sp->records)
		return;
	/* The first line frame at or after the ack position. */
	struct kout_spool_pos at = sp->ack;
	for (size_t i = 0; i < sp->nsegs; i++) {
		struct kout_seg *s = &sp->segs[i];
		if (s->id < at.seg)
			continue;
		uint64_t off = s->id == at.seg ? at.off : KOUT_SEG_HDR;
		int fd = kout_seg_openat(sp, s->id, O_RDONLY);
		uint8_t h[KOUT_FRAME_HDR];
		size_t got = 0;
		bool ok = fd >= 0 && off + sizeof(h) <= s->bytes &&
			  kout_pread_all(fd, h, sizeof(h), off, &got) == 0 &&
			  got == sizeof(h);
		if (fd >= 0)
			close(fd);
		struct kout_frame f;
		if (ok &&
		    kout_frame_decode(h, sizeof(h), &f) != KOUT_FRAME_BAD &&
		    f.magic == KOUT_FRAME_LINE) {
			st->oldest_ms = f.time_ms;
			return;
		}
	}
}
