/*
 * spool.c: the spool's files (layout and guarantees: spool.h).
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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "telex/log.h"
#include "telex/shim.h"

#define KOUT_READ_CHUNK (1u << 20)
#define KOUT_RBUF_KEEP (4u << 20)
#define KOUT_SEG_MIN (64u << 10)
#define KOUT_SEG_MAX (64u << 20)
#define KOUT_ACK_MAGIC 0x4b415854u /* "TXAK" */
#define KOUT_ACK_SLOT 512	   /* one slot per disk sector */
#define KOUT_ACK_BYTES 44

static void kout_seg_name(char out[32], uint64_t id)
{
	snprintf(out, 32, "%016" PRIx64 ".seg", id);
}

static int kout_pos_cmp(const struct kout_spool_pos *a,
			const struct kout_spool_pos *b)
{
	if (a->seg != b->seg)
		return a->seg < b->seg ? -1 : 1;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return 0;
}

static int kout_pread_all(int fd, void *p, size_t n, uint64_t off, size_t *got)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r =
		    pread(fd, (char *)p + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

static int kout_pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pwrite(fd, (const char *)p + done, n - done,
				   (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The ack file. */

bool kout_spool_read_ack(int fd, struct kout_spool_pos *pos, uint64_t *gen)
{
	bool found = false;
	for (int slot = 0; slot < 2; slot++) {
		uint8_t b[KOUT_ACK_BYTES];
		size_t got;
		if (kout_pread_all(fd, b, sizeof(b),
				   (uint64_t)slot * KOUT_ACK_SLOT, &got) < 0 ||
		    got < sizeof(b) || kout_le32_get(b) != KOUT_ACK_MAGIC ||
		    kout_le32_get(b + 40) != kout_crc32c(0, b, 40))
			continue;
		uint64_t g = kout_le64_get(b + 8);
		if (found && g <= *gen)
			continue;
		*gen = g;
		pos->seg = kout_le64_get(b + 16);
		pos->off = kout_le64_get(b + 24);
		pos->index = kout_le64_get(b + 32);
		found = true;
	}
	return found;
}

/* The slot the previous write did not use: a write torn by a power loss
 * leaves the other one intact. */
static int kout_spool_write_ack(struct kout_spool *sp)
{
	uint8_t b[KOUT_ACK_BYTES];
	uint64_t gen = sp->ack_gen + 1;
	kout_le32_put(b, KOUT_ACK_MAGIC);
	kout_le32_put(b + 4, 1);
	kout_le64_put(b + 8, gen);
	kout_le64_put(b + 16, sp->ack.seg);
	kout_le64_put(b + 24, sp->ack.off);
	kout_le64_put(b + 32, sp->ack.index);
	kout_le32_put(b + 40, kout_crc32c(0, b, 40));
	if (kout_pwrite_all(sp->ackfd, b, sizeof(b),
			    (gen & 1) * KOUT_ACK_SLOT) < 0)
		return -1;
	sp->ack_gen = gen;
	sp->ack_dirty = false;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reading a file a window at a time (start-up scan, the reader). */

struct kout_window {
	int fd;
	uint64_t limit; /* readable bytes of the file */
	struct buf *b;
	uint64_t *boff; /* file offset of b->data[0] */
};

/* Bytes from off on (at least want of them when the file has them):
 * NULL on a read error. */
static const uint8_t *kout_window_at(struct kout_window *w, uint64_t off,
				     size_t want, size_t *avail)
{
	struct buf *b = w->b;
	if (off >= *w->boff && off - *w->boff <= b->len &&
	    (off + want <= *w->boff + b->len ||
	     *w->boff + b->len >= w->limit)) {
		*avail = (size_t)(*w->boff + b->len - off);
		return (const uint8_t *)b->data + (off - *w->boff);
	}
	size_t n = want > KOUT_READ_CHUNK ? want : KOUT_READ_CHUNK;
	if (off + n > w->limit)
		n = off < w->limit ? (size_t)(w->limit - off) : 0;
	if (b->cap > KOUT_RBUF_KEEP && n <= KOUT_READ_CHUNK)
		buf_free(b);
	buf_clear(b);
	*w->boff = off;
	if (n && !buf_reserve(b, n)) {
		errno = ENOMEM;
		return NULL;
	}
	size_t got = 0;
	if (n && kout_pread_all(w->fd, b->data, n, off, &got) < 0)
		return NULL;
	b->len = got;
	*avail = got;
	return (const uint8_t *)b->data;
}

int kout_seg_scan(int fd, uint64_t from, struct kout_seg_scan *s, char *err,
		  size_t errlen)
{
	memset(s, 0, sizeof(*s));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	s->file_size = (uint64_t)st.st_size;
	struct buf b = BUF_INIT;
	uint64_t boff = 0;
	struct kout_window w = {fd, s->file_size, &b, &boff};
	uint64_t off = from < KOUT_SEG_HDR ? KOUT_SEG_HDR : from;
	s->valid_end = off;
	int64_t bad_start = -1;
	int rc = 0;
	while (off < s->file_size) {
		size_t avail;
		const uint8_t *p =
		    kout_window_at(&w, off, KOUT_FRAME_HDR, &avail);
		if (!p)
			goto io;
		struct kout_frame f;
		enum kout_frame_rc fr = kout_frame_decode(p, avail, &f);
		if (fr == KOUT_FRAME_SHORT && off + f.size <= s->file_size) {
			if (!(p = kout_window_at(&w, off, f.size, &avail)))
				goto io;
			fr = kout_frame_decode(p, avail, &f);
		}
		if (fr == KOUT_FRAME_OK) {
			if (bad_start >= 0)
				s->damaged_bytes += off - (uint64_t)bad_start;
			bad_start = -1;
			off += f.size;
			s->valid_end = off;
			if (f.magic == KOUT_FRAME_SEAL) {
				s->sealed = true;
				break;
			}
			if (!s->records++)
				s->first_time_ms = f.time_ms;
			continue;
		}
		if (bad_start < 0)
			bad_start = (int64_t)off;
		off += fr == KOUT_FRAME_SHORT ? avail
					      : kout_frame_resync(p, avail);
	}
	/* Nothing whole after the damage: the tail a crash tore. */
	s->torn_bytes = s->file_size - s->valid_end;
	goto out;
io:
	snprintf(err, errlen, "%s", strerror(errno));
	rc = -1;
out:
	buf_free(&b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Segments. */

static int kout_id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int kout_spool_list(int dirfd, uint64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		if (strlen(e->d_name) != 20 || strcmp(e->d_name + 16, ".seg"))
			continue;
		uint64_t id = strtoull(e->d_name, &end, 16);
		if (end != e->d_name + 16)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			uint64_t *v = realloc(*ids, cap * sizeof(*v));
			if (!v) {
				closedir(d);
				return -1;
			}
			*ids = v;
		}
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	if (*n)
		qsort(*ids, *n, sizeof(**ids), kout_id_cmp);
	return 0;
}

static struct kout_seg *kout_seg_find(struct kout_spool *sp, uint64_t id)
{
	for (size_t i = 0; i < sp->nsegs; i++)
		if (sp->segs[i].id == id)
			return &sp->segs[i];
	return NULL;
}

static struct kout_seg *kout_seg_push(struct kout_spool *sp,
				      const struct kout_seg *s)
{
	if (sp->nsegs == sp->segs_cap) {
		size_t cap = sp->segs_cap ? sp->segs_cap * 2 : 16;
		struct kout_seg *v = realloc(sp->segs, cap * sizeof(*v));
		if (!v)
			return NULL;
		sp->segs = v;
		sp->segs_cap = cap;
	}
	sp->segs[sp->nsegs] = *s;
	sp->bytes += s->bytes;
	return &sp->segs[sp->nsegs++];
}

static int kout_seg_openat(struct kout_spool *sp, uint64_t id, int flags)
{
	char name[32];
	kout_seg_name(name, id);
	return openat(sp->dirfd, name, flags | O_CLOEXEC, 0640);
}

/* Remove the oldest segment (everything in it is done). */
static void kout_seg_drop_oldest(struct kout_spool *sp)
{
	struct kout_seg *s = &sp->segs[0];
	char name[32];
	kout_seg_name(name, s->id);
	if (s->fd >= 0)
		close(s->fd);
	if (sp->rfd >= 0 && sp->rfd_seg == s->id) {
		close(sp->rfd);
		sp->rfd = -1;
	}
	if (unlinkat(sp->dirfd, name, 0) < 0 && errno != ENOENT)
		log_warn("spool: removing %s/%s: %s", sp->dir, name,
			 strerror(errno));
	sp->bytes -= s->bytes;
	sp->dir_dirty = true;
	memmove(sp->segs, sp->segs + 1, --sp->nsegs * sizeof(*sp->segs));
}

/* The seal: the number of line frames, so that a restart need not read
 * the segment to count them. */
static int kout_seg_seal(struct kout_spool *sp, struct kout_seg *s)
{
	uint8_t b[KOUT_SEAL_SIZE];
	kout_le64_put(b + KOUT_FRAME_HDR, s->records);
	kout_frame_header(b, KOUT_FRAME_SEAL, 8, 0,
			  kout_crc32c(0, b + KOUT_FRAME_HDR, 8));
	if (kout_pwrite_all(s->fd, b, sizeof(b), s->bytes) < 0)
		return -1;
	s->bytes += sizeof(b);
	sp->bytes += sizeof(b);
	s->sealed = true;
	s->dirty = true;
	return 0;
}

static int kout_seg_create(struct kout_spool *sp, uint64_t id, char *err,
			   size_t errlen)
{
	int fd = kout_seg_openat(sp, id, O_RDWR | O_CREAT | O_EXCL);
	uint8_t h[KOUT_SEG_HDR];
	kout_seg_header(h, id);
	if (fd < 0 || kout_pwrite_all(fd, h, sizeof(h), 0) < 0) {
		char name[32];
		kout_seg_name(name, id);
		snprintf(err, errlen, "creating spool segment %s/%s: %s",
			 sp->dir, name, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlinkat(sp->dirfd, name, 0);
		}
		return -1;
	}
	struct kout_seg s = {
	    .id = id, .bytes = KOUT_SEG_HDR, .fd = fd, .dirty = true};
	if (!kout_seg_push(sp, &s)) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sp->dir_dirty = true;
	if (sp->fsync == KOUT_FSYNC_ALWAYS && fsync(sp->dirfd) == 0)
		sp->dir_dirty = false;
	return 0;
}

/* A segment left by an earlier run: count its lines (from its seal, or by
 * reading it), cut a torn tail off and seal it. */
static int kout_seg_load(struct kout_spool *sp, uint64_t id, char *err,
			 size_t errlen)
{
	char name[32];
	kout_seg_name(name, id);
	int fd = kout_seg_openat(sp, id, O_RDWR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "opening spool segment %s/%s: %s",
			 sp->dir, name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	uint64_t size = (uint64_t)st.st_size;
	uint8_t h[KOUT_SEAL_SIZE];
	size_t got = 0;
	uint64_t hid = 0;
	if (kout_pread_all(fd, h, KOUT_SEG_HDR, 0, &got) < 0 ||
	    got < KOUT_SEG_HDR || !kout_seg_header_ok(h, &hid) || hid != id) {
		close(fd);
		if (size <= KOUT_SEG_HDR) {
			/* Created, nothing written yet: a crash at once. */
			unlinkat(sp->dirfd, name, 0);
			return 0;
		}
		/* Not ours, or its header is gone: keep it aside for a
		 * human rather than delete lines that may be in it. */
		char aside[48];
		snprintf(aside, sizeof(aside), "%s.damaged", name);
		renameat(sp->dirfd, name, sp->dirfd, aside);
		sp->damaged_bytes += size;
		log_error("spool: %s/%s has no valid segment header: moved "
			  "aside as %s, %" PRIu64 " bytes not read",
			  sp->dir, name, aside, size);
		return 0;
	}
	struct kout_seg s = {.id = id, .fd = -1, .sealed = true};
	struct kout_frame f;
	if (size >= KOUT_SEG_HDR + KOUT_SEAL_SIZE &&
	    kout_pread_all(fd, h, sizeof(h), size - KOUT_SEAL_SIZE, &got) ==
		0 &&
	    got == sizeof(h) &&
	    kout_frame_decode(h, sizeof(h), &f) == KOUT_FRAME_OK &&
	    f.magic == KOUT_FRAME_SEAL) {
		s.bytes = size;
		s.records = kout_le64_get(f.payload);
		close(fd);
		return kout_seg_push(sp, &s) ? 0 : -1;
	}
	struct kout_seg_scan sc;
	char why[256];
	if (kout_seg_scan(fd, KOUT_SEG_HDR, &sc, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "reading spool segment %s/%s: %s",
			 sp->dir, name, why);
		close(fd);
		return -1;
	}
	if (sc.damaged_bytes)
		log_warn("spool: %s/%s: %" PRIu64 " bytes of damaged frames "
			 "(failed checksums) between whole ones; they are "
			 "skipped when read",
			 sp->dir, name, sc.damaged_bytes);
	if (sc.torn_bytes) {
		sp->torn_bytes += sc.torn_bytes;
		log_warn("spool: %s/%s: a torn tail of %" PRIu64 " bytes (a "
			 "frame cut short by a crash or power loss) was cut "
			 "off; the %" PRIu64 " whole lines before it are kept",
			 sp->dir, name, sc.torn_bytes, sc.records);
		if (ftruncate(fd, (off_t)sc.valid_end) < 0) {
			snprintf(err, errlen,
				 "cutting the torn tail of %s/%s: %s", sp->dir,
				 name, strerror(errno));
			close(fd);
			return -1;
		}
	}
	s.bytes = sc.valid_end;
	s.records = sc.records;
	s.fd = fd;
	s.sealed = sc.sealed;
	struct kout_seg *p = kout_seg_push(sp, &s);
	if (!p) {
		close(fd);
		return -1;
	}
	if (!p->sealed && kout_seg_seal(sp, p) < 0) {
		snprintf(err, errlen, "sealing %s/%s: %s", sp->dir, name,
			 strerror(errno));
		return -1;
	}
	if (sp->fsync != KOUT_FSYNC_NEVER)
		fdatasync(fd);
	close(fd);
	p->fd = -1;
	p->dirty = false;
	return 0;
}

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

int kout_spool_flush(struct kout_spool *sp, char *err, size_t errlen)
{
	if (!sp->wbuf.len)
		return 0;
	struct kout_seg *w = kout_spool_wseg(sp);
	if (kout_pwrite_all(w->fd, sp->wbuf.data, sp->wbuf.len, w->bytes) < 0) {
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
	w->dirty = true;
	buf_clear(&sp->wbuf);
	sp->wbuf_records = 0;
	if (sp->wbuf.cap > KOUT_RBUF_KEEP)
		buf_free(&sp->wbuf);
	if (sp->fsync == KOUT_FSYNC_ALWAYS) {
		if (fdatasync(w->fd) < 0)
			log_error("spool: fdatasync %s: %s", sp->dir,
				  strerror(errno));
		w->dirty = false;
		if (sp->dir_dirty && fsync(sp->dirfd) == 0)
			sp->dir_dirty = false;
	}
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

int kout_spool_peek(struct kout_spool *sp, struct kout_frame *f,
		    struct kout_spool_pos *pos, char *err, size_t errlen)
{
	for (;;) {
		struct kout_seg *s = kout_seg_find(sp, sp->rpos.seg);
		if (!s) {
			size_t i = 0;
			while (i < sp->nsegs && sp->segs[i].id < sp->rpos.seg)
				i++;
			if (i == sp->nsegs)
				return 0;
			sp->rpos = (struct kout_spool_pos){sp->segs[i].id,
							   KOUT_SEG_HDR, 0};
			continue;
		}
		if (sp->rpos.off >= s->bytes) {
			if (s == kout_spool_wseg(sp))
				return 0;
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
			return 1;
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
	return -1;
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
		if (s->dirty && data && fdatasync(s->fd) < 0)
			log_error("spool: fdatasync in %s: %s", sp->dir,
				  strerror(errno));
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
