/*
 * kout_spool_status.c: telex-kafka-output --spool-status DIR, what a spool
 * holds, for an operator (kout_spool.h). It only reads: it takes no lock and
 * cuts nothing, so it can look at the spool of a running process, or at
 * one left behind after a crash, before anything is changed. One "key:
 * value" line per fact, so that scripts can read it too.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kout.h"

/* Who holds the lock: its pid, or 0 when nobody does. */
static long kout_status_holder(int dirfd)
{
	int fd = openat(dirfd, "lock", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	long pid = 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		char b[32];
		ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
		b[n > 0 ? n : 0] = '\0';
		pid = strtol(b, NULL, 10);
		if (pid <= 0)
			pid = -1;
	}
	close(fd);
	return pid;
}

/* Records in rejected.lp: its comment lines. */
static uint64_t kout_status_rejected(int dirfd, uint64_t *bytes)
{
	*bytes = 0;
	int fd = openat(dirfd, KOUT_REJECTED_FILE, O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	uint64_t n = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		*bytes += (uint64_t)len;
		if (strncmp(line, "# rejected ", 11) == 0)
			n++;
	}
	free(line);
	fclose(f);
	return n;
}

/* What the files of a spool say. */
struct kout_status {
	struct kout_spool_pos ack; /* where delivery got (have_ack) */
	bool have_ack;
	long pid; /* the lock's holder: a pid, -1 unknown, 0 none */
	uint64_t records, bytes, damaged, torn;
	int64_t oldest_ms; /* 0: none */
	size_t segments;
	bool listed; /* a spool whose segments were looked at */
};

/* Lines of segment id (scanned into sc, open in fd) not delivered yet;
 * sc->first_time_ms becomes the oldest of those. */
static uint64_t kout_status_undelivered(const struct kout_status *st,
					uint64_t id, int fd,
					struct kout_seg_scan *sc)
{
	if (!st->have_ack || id > st->ack.seg)
		return sc->records;
	if (id < st->ack.seg)
		return 0;
	uint64_t skip =
	    st->ack.index < sc->records ? st->ack.index : sc->records;
	if (skip) {
		struct kout_seg_scan rest;
		char err[256];
		bool any = kout_seg_scan(fd, st->ack.off, &rest, err,
					 sizeof(err)) == 0 &&
			   rest.records;
		sc->first_time_ms = any ? rest.first_time_ms : 0;
	}
	return sc->records - skip;
}

/* Add segment i of ids to st. -1 when it cannot be read (logged). */
static int kout_status_segment(struct kout_status *st, const char *dir,
			       int dirfd, const uint64_t *ids, size_t i)
{
	char name[32];
	snprintf(name, sizeof(name), "%016" PRIx64 ".seg", ids[i]);
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct kout_seg_scan sc;
	char err[256];
	if (fd < 0 ||
	    kout_seg_scan(fd, KOUT_SEG_HDR, &sc, err, sizeof(err)) < 0) {
		log_error("%s/%s: %s", dir, name,
			  fd < 0 ? strerror(errno) : err);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	st->bytes += sc.file_size;
	st->damaged += sc.damaged_bytes;
	/* The newest segment of a running process is being written: a
	 * frame cut short at its end is not torn. */
	if (!(st->pid && i + 1 == st->segments))
		st->torn += sc.torn_bytes;
	uint64_t left = kout_status_undelivered(st, ids[i], fd, &sc);
	close(fd);
	st->records += left;
	if (left && !st->oldest_ms && sc.first_time_ms)
		st->oldest_ms = sc.first_time_ms;
	return 0;
}

/* The ack, the lock's holder and every segment of the spool open in
 * dirfd. TELEX_EXIT_OK, or the exit code (logged why). */
static int kout_status_read(struct kout_status *st, const char *dir, int dirfd)
{
	uint64_t gen = 0;
	int ackfd = openat(dirfd, "ack", O_RDONLY | O_CLOEXEC);
	st->have_ack = ackfd >= 0 && kout_spool_read_ack(ackfd, &st->ack, &gen);
	if (ackfd >= 0)
		close(ackfd);
	uint64_t *ids = NULL;
	if (kout_spool_list(dirfd, &ids, &st->segments) < 0) {
		log_error("--spool-status %s: %s", dir, strerror(errno));
		return TELEX_EXIT_FAILURE;
	}
	struct stat sb;
	if (ackfd < 0 && !st->segments && fstatat(dirfd, "lock", &sb, 0) < 0) {
		log_error("--spool-status %s: not a telex-kafka-output spool "
			  "(no ack, lock or segment files)",
			  dir);
		free(ids);
		return TELEX_EXIT_FAILURE;
	}
	st->pid = kout_status_holder(dirfd);
	st->listed = true;
	int rc = TELEX_EXIT_OK;
	for (size_t i = 0; i < st->segments; i++)
		if (kout_status_segment(st, dir, dirfd, ids, i) < 0)
			rc = TELEX_EXIT_FAILURE;
	free(ids);
	return rc;
}

static void kout_status_print(const struct kout_status *st, const char *dir,
			      uint64_t rejected, uint64_t rej_bytes,
			      struct buf *out)
{
	buf_printf(out, "spool_dir: %s\n", dir);
	if (st->pid > 0)
		buf_printf(out, "state: in use by pid %ld\n", st->pid);
	else if (st->pid < 0)
		buf_printf(out, "state: in use\n");
	else
		buf_printf(out, "state: not in use\n");
	buf_printf(out, "records: %" PRIu64 "\n", st->records);
	buf_printf(out, "bytes: %" PRIu64 "\n", st->bytes);
	buf_printf(out, "segments: %zu\n", st->segments);
	if (st->oldest_ms) {
		time_t t = (time_t)(st->oldest_ms / 1000);
		struct tm tm;
		char when[32];
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
			 gmtime_r(&t, &tm));
		int64_t age = (int64_t)time(NULL) - (int64_t)t;
		buf_printf(out, "oldest: %s (%" PRId64 " s ago)\n", when,
			   age < 0 ? 0 : age);
	} else {
		buf_printf(out, "oldest: none\n");
	}
	if (st->have_ack)
		buf_printf(out,
			   "delivered_up_to: segment %016" PRIx64
			   " offset %" PRIu64 "\n",
			   st->ack.seg, st->ack.off);
	buf_printf(out, "damaged_bytes: %" PRIu64 "\n", st->damaged);
	buf_printf(out, "torn_bytes: %" PRIu64 "\n", st->torn);
	buf_printf(out, "rejected_records: %" PRIu64 "\n", rejected);
	buf_printf(out, "rejected_bytes: %" PRIu64 "\n", rej_bytes);
}

int kout_spool_status(const char *dir, struct buf *out)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		log_error("--spool-status %s: %s", dir, strerror(errno));
		return TELEX_EXIT_FAILURE;
	}
	struct kout_status st = {0};
	int rc = kout_status_read(&st, dir, dirfd);
	if (st.listed) {
		uint64_t rej_bytes;
		uint64_t rejected = kout_status_rejected(dirfd, &rej_bytes);
		kout_status_print(&st, dir, rejected, rej_bytes, out);
	}
	close(dirfd);
	return rc;
}
