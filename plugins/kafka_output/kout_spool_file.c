/*
 * kout_spool_file.c: the spool's files (layout: kout_spool.h): segment files
 * (the list, creating, sealing, removing, and loading what an earlier run left,
 * with its torn tail cut off), the ack file's two slots, and reading a file a
 * window at a time, for the start-up scan, --spool-status and the reader.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kout_spool_internal.h"
#include "telex/log.h"

#define KOUT_ACK_MAGIC 0x4b415854u /* "TXAK" */
#define KOUT_ACK_SLOT 512	   /* one slot per disk sector */
#define KOUT_ACK_BYTES 44

void kout_seg_name(char out[32], uint64_t id)
{
	snprintf(out, 32, "%016" PRIx64 ".seg", id);
}

int kout_pos_cmp(const struct kout_spool_pos *a, const struct kout_spool_pos *b)
{
	if (a->seg != b->seg)
		return a->seg < b->seg ? -1 : 1;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return 0;
}

int kout_pread_all(int fd, void *p, size_t n, uint64_t off, size_t *got)
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

int kout_pwrite_all(int fd, const void *p, size_t n, uint64_t off)
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
int kout_spool_write_ack(struct kout_spool *sp)
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

/* Bytes from off on (at least want of them when the file has them):
 * NULL on a read error. */
const uint8_t *kout_window_at(struct kout_window *w, uint64_t off, size_t want,
			      size_t *avail)
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
		if (strlen(e->d_name) != 20 ||
		    strcmp(e->d_name + 16, ".seg") != 0)
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

struct kout_seg *kout_seg_find(struct kout_spool *sp, uint64_t id)
{
	for (size_t i = 0; i < sp->nsegs; i++)
		if (sp->segs[i].id == id)
			return &sp->segs[i];
	return NULL;
}

struct kout_seg *kout_seg_push(struct kout_spool *sp, const struct kout_seg *s)
{
	struct kout_seg *v =
	    array_grow(sp->segs, sp->nsegs, &sp->segs_cap, sizeof(*v), 16);
	if (!v)
		return NULL;
	sp->segs = v;
	sp->segs[sp->nsegs] = *s;
	sp->bytes += s->bytes;
	return &sp->segs[sp->nsegs++];
}

int kout_seg_openat(struct kout_spool *sp, uint64_t id, int flags)
{
	char name[32];
	kout_seg_name(name, id);
	return openat(sp->dirfd, name, flags | O_CLOEXEC, 0640);
}

/* Remove the oldest segment (everything in it is done). */
void kout_seg_drop_oldest(struct kout_spool *sp)
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
int kout_seg_seal(struct kout_spool *sp, struct kout_seg *s)
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

int kout_seg_create(struct kout_spool *sp, uint64_t id, char *err,
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

/* A segment file without a valid header: 0 when it was set aside (or,
 * empty, removed). */
static int kout_seg_no_header(struct kout_spool *sp, const char *name,
			      uint64_t size)
{
	if (size <= KOUT_SEG_HDR) {
		/* Created, nothing written yet: a crash at once. */
		unlinkat(sp->dirfd, name, 0);
		return 0;
	}
	/* Not ours, or its header is gone: keep it aside for a human
	 * rather than delete lines that may be in it. */
	char aside[48];
	snprintf(aside, sizeof(aside), "%s.damaged", name);
	renameat(sp->dirfd, name, sp->dirfd, aside);
	sp->damaged_bytes += size;
	log_error("spool: %s/%s has no valid segment header: moved aside as "
		  "%s, %" PRIu64 " bytes not read",
		  sp->dir, name, aside, size);
	return 0;
}

/* Whether the segment of size bytes in fd ends with a seal; its count of
 * lines into *records. */
static bool kout_seg_sealed_count(int fd, uint64_t size, uint64_t *records)
{
	uint8_t h[KOUT_SEAL_SIZE];
	size_t got = 0;
	struct kout_frame f;
	if (size < KOUT_SEG_HDR + KOUT_SEAL_SIZE ||
	    kout_pread_all(fd, h, sizeof(h), size - KOUT_SEAL_SIZE, &got) < 0 ||
	    got != sizeof(h) ||
	    kout_frame_decode(h, sizeof(h), &f) != KOUT_FRAME_OK ||
	    f.magic != KOUT_FRAME_SEAL)
		return false;
	*records = kout_le64_get(f.payload);
	return true;
}

/* An unsealed segment (the one written when the process died), read
 * whole: its lines counted, damaged frames reported, a torn tail cut off;
 * then it is sealed. fd is the caller's. */
static int kout_seg_recover(struct kout_spool *sp, uint64_t id,
			    const char *name, int fd, char *err, size_t errlen)
{
	struct kout_seg_scan sc;
	char why[256];
	if (kout_seg_scan(fd, KOUT_SEG_HDR, &sc, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "reading spool segment %s/%s: %s",
			 sp->dir, name, why);
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
			return -1;
		}
	}
	struct kout_seg s = {.id = id,
			     .bytes = sc.valid_end,
			     .records = sc.records,
			     .fd = fd,
			     .sealed = sc.sealed};
	struct kout_seg *p = kout_seg_push(sp, &s);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = 0;
	if (!p->sealed && kout_seg_seal(sp, p) < 0) {
		snprintf(err, errlen, "sealing %s/%s: %s", sp->dir, name,
			 strerror(errno));
		rc = -1;
	} else if (sp->fsync != KOUT_FSYNC_NEVER) {
		fdatasync(fd);
	}
	p->fd = -1;
	p->dirty = false;
	return rc;
}

/* A segment left by an earlier run: count its lines (from its seal, or by
 * reading it), cut a torn tail off and seal it. */
int kout_seg_load(struct kout_spool *sp, uint64_t id, char *err, size_t errlen)
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
	uint8_t h[KOUT_SEG_HDR];
	size_t got = 0;
	uint64_t hid = 0;
	if (kout_pread_all(fd, h, KOUT_SEG_HDR, 0, &got) < 0 ||
	    got < KOUT_SEG_HDR || !kout_seg_header_ok(h, &hid) || hid != id) {
		close(fd);
		return kout_seg_no_header(sp, name, size);
	}
	struct kout_seg s = {.id = id, .fd = -1, .sealed = true, .bytes = size};
	if (kout_seg_sealed_count(fd, size, &s.records)) {
		close(fd);
		return kout_seg_push(sp, &s) ? 0 : -1;
	}
	int rc = kout_seg_recover(sp, id, name, fd, err, errlen);
	close(fd);
	return rc;
}
