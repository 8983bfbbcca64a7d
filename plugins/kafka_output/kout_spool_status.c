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

int kout_spool_status(const char *dir, struct buf *out)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		log_error("--spool-status %s: %s", dir, strerror(errno));
		return TELEX_EXIT_FAILURE;
	}
	uint64_t *ids = NULL;
	size_t nids = 0;
	struct kout_spool_pos ack = {0, 0, 0};
	uint64_t gen = 0;
	int ackfd = openat(dirfd, "ack", O_RDONLY | O_CLOEXEC);
	bool have_ack = ackfd >= 0 && kout_spool_read_ack(ackfd, &ack, &gen);
	if (ackfd >= 0)
		close(ackfd);
	if (kout_spool_list(dirfd, &ids, &nids) < 0) {
		log_error("--spool-status %s: %s", dir, strerror(errno));
		close(dirfd);
		return TELEX_EXIT_FAILURE;
	}
	struct stat st;
	if (ackfd < 0 && !nids && fstatat(dirfd, "lock", &st, 0) < 0) {
		log_error("--spool-status %s: not a telex-kafka-output spool "
			  "(no ack, lock or segment files)",
			  dir);
		close(dirfd);
		free(ids);
		return TELEX_EXIT_FAILURE;
	}
	long pid = kout_status_holder(dirfd);
	uint64_t records = 0, bytes = 0, damaged = 0, torn = 0;
	int64_t oldest = 0;
	int rc = 0;
	for (size_t i = 0; i < nids; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%016" PRIx64 ".seg", ids[i]);
		int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
		struct kout_seg_scan sc;
		char err[256];
		if (fd < 0 || kout_seg_scan(fd, KOUT_SEG_HDR, &sc, err,
					    sizeof(err)) < 0) {
			log_error("%s/%s: %s", dir, name,
				  fd < 0 ? strerror(errno) : err);
			if (fd >= 0)
				close(fd);
			rc = TELEX_EXIT_FAILURE;
			continue;
		}
		bytes += sc.file_size;
		damaged += sc.damaged_bytes;
		/* The newest segment of a running process is being
		 * written: a frame cut short at its end is not torn. */
		if (!(pid && i + 1 == nids))
			torn += sc.torn_bytes;
		uint64_t skip = 0;
		if (have_ack && ids[i] < ack.seg) {
			skip = sc.records;
		} else if (have_ack && ids[i] == ack.seg) {
			skip = ack.index < sc.records ? ack.index : sc.records;
			if (skip) {
				struct kout_seg_scan rest;
				if (kout_seg_scan(fd, ack.off, &rest, err,
						  sizeof(err)) == 0 &&
				    rest.records)
					sc.first_time_ms = rest.first_time_ms;
				else
					sc.first_time_ms = 0;
			}
		}
		close(fd);
		if (sc.records > skip) {
			records += sc.records - skip;
			if (!oldest && sc.first_time_ms)
				oldest = sc.first_time_ms;
		}
	}
	free(ids);
	uint64_t rej_bytes;
	uint64_t rejected = kout_status_rejected(dirfd, &rej_bytes);
	close(dirfd);
	buf_printf(out, "spool_dir: %s\n", dir);
	if (pid > 0)
		buf_printf(out, "state: in use by pid %ld\n", pid);
	else if (pid < 0)
		buf_printf(out, "state: in use\n");
	else
		buf_printf(out, "state: not in use\n");
	buf_printf(out, "records: %" PRIu64 "\n", records);
	buf_printf(out, "bytes: %" PRIu64 "\n", bytes);
	buf_printf(out, "segments: %zu\n", nids);
	if (oldest) {
		time_t t = (time_t)(oldest / 1000);
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
	if (have_ack)
		buf_printf(out,
			   "delivered_up_to: segment %016" PRIx64
			   " offset %" PRIu64 "\n",
			   ack.seg, ack.off);
	buf_printf(out, "damaged_bytes: %" PRIu64 "\n", damaged);
	buf_printf(out, "torn_bytes: %" PRIu64 "\n", torn);
	buf_printf(out, "rejected_records: %" PRIu64 "\n", rejected);
	buf_printf(out, "rejected_bytes: %" PRIu64 "\n", rej_bytes);
	return rc;
}
