/*
 * kout_spool.h: telex-kafka-output's disk spool (spool_dir). A line counts as
 * taken once it is appended to the spool; records are produced from the
 * spool and the space is given back once Kafka confirmed them, so that an
 * outage, a restart, a kill -9 or a reboot loses nothing.
 *
 * What is in spool_dir:
 *   lock                    flock()ed by the process using the spool, with
 *                           its pid (a second process is refused)
 *   ack                     how far delivery got: two slots written in
 *                           turn, each checksummed, the newer valid wins
 *   NNNNNNNNNNNNNNNN.seg    segments (16 hex digits, oldest first)
 *   rejected.lp             records Kafka refused for good (kout_rejected.c)
 *
 * A segment is a 16-byte header ("TXSPOOL1", then its id, u64) followed
 * by frames, all integers little-endian:
 *   u32 magic "TXSL" | u32 len | i64 time_ms (when the line was taken) |
 *   u32 crc32c(payload) | u32 crc32c(the 20 bytes before) | payload
 * The payload is the line and its '\n'. A segment closed in order ends
 * with a seal frame (magic "TXSE", payload: its number of line frames,
 * u64), so that a restart need not read it to count its lines. Only the
 * segment written when the process died has no seal: it is read whole at
 * the next start, its torn tail (a frame cut short by kill -9 or power
 * loss) counted, logged and cut off.
 *
 * Files: kout_crc32c.c (the checksum), kout_spool_frame.c (frames, no I/O),
 * kout_spool_file.c (segment and ack files), kout_spool.c (opening, writing,
 * reading, releasing), kout_spool_status.c (--spool-status).
 */
#ifndef TELEX_KOUT_SPOOL_H
#define TELEX_KOUT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "telex/buf.h"

/* kout_crc32c.c: CRC-32C of p[0..n), continuing crc (0 to start). */
uint32_t kout_crc32c(uint32_t crc, const void *p, size_t n);
/* The same without the CPU instruction (the reference for tests). */
uint32_t kout_crc32c_sw(uint32_t crc, const void *p, size_t n);

/* ------------------------------------------------------------------ */
/* kout_spool_frame.c: encoding and decoding frames in memory. */

#define KOUT_FRAME_LINE 0x4c535854u /* "TXSL" */
#define KOUT_FRAME_SEAL 0x45535854u /* "TXSE" */
#define KOUT_FRAME_HDR 24u
#define KOUT_FRAME_MAX (1u << 30) /* payload bytes */
#define KOUT_SEAL_SIZE (KOUT_FRAME_HDR + 8u)
#define KOUT_SEG_HDR 16u
#define KOUT_SEG_MAGIC "TXSPOOL1"

struct kout_frame {
	uint32_t magic; /* KOUT_FRAME_LINE or KOUT_FRAME_SEAL */
	uint32_t len;	/* payload bytes */
	int64_t time_ms;
	const char *payload;
	size_t size; /* header + payload */
};

enum kout_frame_rc {
	KOUT_FRAME_OK = 0,
	KOUT_FRAME_SHORT = 1, /* a valid start: f->size bytes are needed */
	KOUT_FRAME_BAD = -1,  /* not a frame (damaged, or not one at all) */
};

/* Write the header of a frame into out; payload_crc is kout_crc32c() of
 * its len bytes of payload. */
void kout_frame_header(uint8_t out[KOUT_FRAME_HDR], uint32_t magic,
		       uint32_t len, int64_t time_ms, uint32_t payload_crc);

/* Decode the frame at p[0..avail): OK (f filled, payload checked), SHORT
 * (header valid or not yet complete: f->size is how many bytes the frame
 * needs) or BAD. */
enum kout_frame_rc kout_frame_decode(const void *p, size_t avail,
				     struct kout_frame *f);

/* After a BAD frame at p[0]: the offset of the next place a frame may
 * start (a valid header, or a header cut off by the end of p), at least
 * 1; avail when there is none. */
size_t kout_frame_resync(const void *p, size_t avail);

/* Little-endian integers, as every spool file stores them. */
void kout_le32_put(uint8_t *p, uint32_t v);
void kout_le64_put(uint8_t *p, uint64_t v);
uint32_t kout_le32_get(const void *p);
uint64_t kout_le64_get(const void *p);

/* A segment file's header for id, and whether h is one (id filled). */
void kout_seg_header(uint8_t out[KOUT_SEG_HDR], uint64_t id);
bool kout_seg_header_ok(const void *h, uint64_t *id);

/* ------------------------------------------------------------------ */
/* kout_spool.c: the files. All calls on the loop's thread. */

/* Where a line frame is: its segment, its offset there, and how many
 * line frames come before it in that segment. */
struct kout_spool_pos {
	uint64_t seg, off, index;
};

/* spool_fsync: when written data is forced to the disk. */
enum kout_fsync {
	KOUT_FSYNC_INTERVAL, /* every spool_fsync_interval (the default) */
	KOUT_FSYNC_ALWAYS,   /* before write() takes the lines */
	KOUT_FSYNC_NEVER,    /* when the kernel decides */
};

struct kout_seg {
	uint64_t id;
	uint64_t bytes;	  /* in the file, header and seal included */
	uint64_t records; /* line frames */
	int fd;		  /* -1: closed */
	bool sealed;
	bool dirty; /* written since the last fdatasync */
};

/* What the spool holds, for the stats line and --spool-status. */
struct kout_spool_state {
	uint64_t records; /* lines not confirmed yet */
	uint64_t bytes;	  /* in segment files */
	uint64_t segments;
	int64_t oldest_ms; /* when the oldest of them was taken; 0: none */
};

struct kout_spool {
	char *dir;
	int dirfd, lockfd, ackfd;
	enum kout_fsync fsync;
	uint64_t max_bytes, seg_max;

	struct kout_seg *segs; /* oldest first; the last one is written */
	size_t nsegs, segs_cap;
	uint64_t bytes;	  /* sum of the segments' bytes */
	uint64_t records; /* line frames from the ack position on */
	bool dir_dirty;	  /* a segment was created or removed since the
			     directory was last synced */

	/* Writer: frames of the current write() not in the file yet. */
	struct buf wbuf;
	uint64_t wbuf_records;
	uint64_t lines_written; /* line frames written to files, ever */

	/* Reader: the next frame to produce. */
	struct kout_spool_pos rpos;
	int rfd;
	uint64_t rfd_seg;
	struct buf rbuf; /* file bytes from rbuf_off on */
	uint64_t rbuf_off;

	/* Delivered (or rejected) up to here; what the ack file says once
	 * written. */
	struct kout_spool_pos ack;
	uint64_t ack_gen;
	bool ack_dirty;

	/* Damage found: torn tails cut off at start, damaged frames
	 * skipped while reading. */
	uint64_t torn_bytes, damaged_bytes;
};

struct kout_spool_opts {
	const char *dir;
	uint64_t max_bytes;
	enum kout_fsync fsync;
	const char *table; /* "outputs.kafka", for messages */
	int lock_wait_ms;  /* how long to wait for another process's lock */
};

/* Open (creating it if need be) and lock the spool, cut off a torn tail,
 * start a new segment. 0; TELEX_EXIT_USAGE with err when the directory
 * cannot be used (missing parent, not writable, not a directory);
 * TELEX_EXIT_FAILURE when another process holds it or I/O failed. */
int kout_spool_open(struct kout_spool *sp, const struct kout_spool_opts *o,
		    char *err, size_t errlen);

/* Write what is buffered, seal the segment, record the ack position,
 * sync, unlock. Segments holding nothing undelivered are removed. */
void kout_spool_close(struct kout_spool *sp);
/* Let go of the files and memory as a killed process would: nothing
 * written, sealed or synced (kout_spool_close's last step; the tests'
 * crash). */
void kout_spool_abandon(struct kout_spool *sp);

enum kout_room { KOUT_ROOM_OK, KOUT_ROOM_FULL, KOUT_ROOM_NEVER };

/* Can a line of len bytes be added now (FULL: not before deliveries free
 * space; NEVER: larger than spool_max_bytes can ever hold)? */
enum kout_room kout_spool_room(struct kout_spool *sp, size_t len);

/* Buffer a line's frame; *pos is where it will be. Starting a new segment
 * writes the buffer first. 0, or -1 with err (I/O; what was written
 * before stays, see lines_written). */
int kout_spool_add(struct kout_spool *sp, const char *line, size_t len,
		   int64_t time_ms, struct kout_spool_pos *pos, char *err,
		   size_t errlen);

/* Write the buffered frames (and fdatasync with spool_fsync = "always").
 * 0, or -1 with err: the buffered frames are not in the spool (the file
 * was cut back), lines_written says how many are. */
int kout_spool_flush(struct kout_spool *sp, char *err, size_t errlen);

/* True when the reader is at the end of what was written. */
bool kout_spool_caught_up(const struct kout_spool *sp);

/* What the reader found at its position (kout_spool_peek). */
enum kout_peek {
	KOUT_PEEK_LINE,	 /* a line frame: f and pos filled, the payload valid
			    until the next call */
	KOUT_PEEK_NONE,	 /* nothing more yet */
	KOUT_PEEK_ERROR, /* an I/O error, err says which */
};

/* The line frame at the reader's position. Seals, torn tails and damaged
 * frames on the way are skipped (and counted in damaged_bytes, logged). */
enum kout_peek kout_spool_peek(struct kout_spool *sp, struct kout_frame *f,
			       struct kout_spool_pos *pos, char *err,
			       size_t errlen);

/* Move the reader past the frame peek returned (or the frame of a line
 * produced straight from write(): pos is where it was, size its size). */
void kout_spool_advance(struct kout_spool *sp, const struct kout_spool_pos *pos,
			size_t size);

/* Everything before pos is done: move the ack position, remove the
 * segments before it. Returns true when space was freed. */
bool kout_spool_ack(struct kout_spool *sp, const struct kout_spool_pos *pos);

/* The periodic (or, with "always", the per-batch) durability step: sync
 * what was written and not delivered yet, write the ack position. */
void kout_spool_sync(struct kout_spool *sp);

void kout_spool_state(struct kout_spool *sp, struct kout_spool_state *st);

/* The size of a line's frame. */
static inline size_t kout_frame_size(size_t line_len)
{
	return KOUT_FRAME_HDR + line_len + 1;
}

/* ------------------------------------------------------------------ */
/* kout_spool_status.c: --spool-status DIR, for an operator: what a spool holds,
 * read without changing it (whether or not a process is using it). Prints
 * to out; returns the exit code (0, 1 not a readable spool). */
int kout_spool_status(const char *dir, struct buf *out);

/* What a segment file holds, read from fd (kout_spool_file.c, also for the
 * status):
 * line frames, the end of the last whole frame, damaged bytes inside,
 * the torn tail after it, whether sealed, the first line's time. 0, or -1
 * with err. from: where to start reading (a frame boundary). */
struct kout_seg_scan {
	uint64_t records, valid_end, damaged_bytes, torn_bytes, file_size;
	bool sealed;
	int64_t first_time_ms; /* of the first line frame from `from` on */
};
int kout_seg_scan(int fd, uint64_t from, struct kout_seg_scan *s, char *err,
		  size_t errlen);

/* The ack file's position, if it has a valid slot (read-only). */
bool kout_spool_read_ack(int fd, struct kout_spool_pos *pos, uint64_t *gen);

/* The segment ids in dir, sorted; *n of them (malloc'd array, or NULL). */
int kout_spool_list(int dirfd, uint64_t **ids, size_t *n);

#endif
