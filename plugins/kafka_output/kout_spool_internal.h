/*
 * kout_spool_internal.h: what kout_spool.c (opening, writing, reading,
 * releasing) and kout_spool_file.c (segment files, the ack file, reading a file
 * a window at a time) share. Internal to the spool; the rest of the program
 * uses kout_spool.h.
 */
#ifndef TELEX_KOUT_SPOOL_INTERNAL_H
#define TELEX_KOUT_SPOOL_INTERNAL_H

#include "kout_spool.h"

#define KOUT_READ_CHUNK (1u << 20) /* the reader's and the scan's reads */
#define KOUT_RBUF_KEEP (4u << 20)  /* a buffer larger is given back */
#define KOUT_SEG_MIN (64u << 10)
#define KOUT_SEG_MAX (64u << 20)

/* "%016x.seg" */
void kout_seg_name(char out[32], uint64_t id);
/* -1, 0, 1 as a is before, at, after b. */
int kout_pos_cmp(const struct kout_spool_pos *a,
		 const struct kout_spool_pos *b);
/* pread/pwrite of all n bytes (pread: *got less at the end of the file);
 * 0, or -1 with errno. */
int kout_pread_all(int fd, void *p, size_t n, uint64_t off, size_t *got);
int kout_pwrite_all(int fd, const void *p, size_t n, uint64_t off);

/* Write sp->ack into the ack file's other slot. 0, or -1 with errno. */
int kout_spool_write_ack(struct kout_spool *sp);

/* A file read a window at a time into b (b->data[0] is at *boff). */
struct kout_window {
	int fd;
	uint64_t limit; /* readable bytes of the file */
	struct buf *b;
	uint64_t *boff; /* file offset of b->data[0] */
};

/* Bytes from off on (at least want of them when the file has them);
 * *avail how many. NULL on a read error (errno). */
const uint8_t *kout_window_at(struct kout_window *w, uint64_t off, size_t want,
			      size_t *avail);

/* Segments of sp (kout_spool_file.c). */
struct kout_seg *kout_seg_find(struct kout_spool *sp, uint64_t id);
/* Append s to sp's list (its bytes counted); NULL when out of memory. */
struct kout_seg *kout_seg_push(struct kout_spool *sp, const struct kout_seg *s);
int kout_seg_openat(struct kout_spool *sp, uint64_t id, int flags);
/* Remove the oldest segment: everything in it is done. */
void kout_seg_drop_oldest(struct kout_spool *sp);
/* Append the seal to s (its fd open). 0, or -1 with errno. */
int kout_seg_seal(struct kout_spool *sp, struct kout_seg *s);
/* Create segment id and make it the write segment. 0, or -1 with err. */
int kout_seg_create(struct kout_spool *sp, uint64_t id, char *err,
		    size_t errlen);
/* A segment of an earlier run: counted (its seal, or read whole), a torn
 * tail cut off, sealed, added to the list. 0, or -1 with err. */
int kout_seg_load(struct kout_spool *sp, uint64_t id, char *err, size_t errlen);

#endif
