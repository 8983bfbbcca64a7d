/*
 * test_spool.c: telex-kafka-output's spool without Kafka: checksums,
 * frames (every truncation and every flipped bit of a frame is caught),
 * segments written, read back, released and reopened, a torn tail after a
 * crash, a damaged frame in the middle, the lock, an unusable directory,
 * a full spool, and the ledger that says what may be released.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../plugins/kafka_output/kout.h"

static void test_crc32c(void **state)
{
	(void)state;
	/* The check value of CRC-32C. */
	assert_int_equal(kout_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(kout_crc32c_sw(0, "123456789", 9), 0xe3069283u);
	uint8_t b[300];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 131 + 7);
	for (size_t off = 0; off < 9; off++)
		for (size_t n = 0; n + off <= sizeof(b); n += 7) {
			assert_int_equal(kout_crc32c(0, b + off, n),
					 kout_crc32c_sw(0, b + off, n));
			/* Continuing equals one go. */
			uint32_t c = kout_crc32c(0, b + off, n / 2);
			assert_int_equal(
			    kout_crc32c(c, b + off + n / 2, n - n / 2),
			    kout_crc32c(0, b + off, n));
		}
}

static size_t make_frame(uint8_t *out, const char *line, int64_t t)
{
	size_t len = strlen(line);
	memcpy(out + KOUT_FRAME_HDR, line, len);
	out[KOUT_FRAME_HDR + len] = '\n';
	kout_frame_header(out, KOUT_FRAME_LINE, (uint32_t)len + 1, t,
			  kout_crc32c(0, out + KOUT_FRAME_HDR, len + 1));
	return KOUT_FRAME_HDR + len + 1;
}

static void test_frames(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = make_frame(b, "cpu,host=a v=1 1700000000000000000", 42);
	struct kout_frame f;
	assert_int_equal(kout_frame_decode(b, n, &f), KOUT_FRAME_OK);
	assert_int_equal(f.magic, KOUT_FRAME_LINE);
	assert_int_equal(f.size, n);
	assert_int_equal(f.time_ms, 42);
	assert_memory_equal(f.payload, "cpu,host=a v=1 1700000000000000000\n",
			    f.len);
	/* Cut short anywhere: more is needed, never a frame. */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(kout_frame_decode(b, cut, &f),
				 KOUT_FRAME_SHORT);
	/* Any bit flipped anywhere: not a frame (or, in the length, one
	 * that says it needs more than there is, which the header
	 * checksum already refuses). */
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1 << bit);
			assert_int_equal(kout_frame_decode(b, n, &f),
					 KOUT_FRAME_BAD);
			b[i] ^= (uint8_t)(1 << bit);
		}
	/* Resync: past garbage to the next frame. */
	uint8_t two[512];
	memset(two, 'T', 37);
	size_t m = make_frame(two + 37, "m v=2", 1);
	assert_int_equal(kout_frame_decode(two, 37 + m, &f), KOUT_FRAME_BAD);
	assert_int_equal(kout_frame_resync(two, 37 + m), 37);
	/* A header cut off by the end of the buffer is a candidate. */
	assert_int_equal(kout_frame_resync(two, 37 + 10), 37);
	/* Only the last byte could still begin one. */
	assert_int_equal(kout_frame_resync(two, 20), 19);
	memset(two, 0, 20);
	assert_int_equal(kout_frame_resync(two, 20), 20);
}

/* ------------------------------------------------------------------ */

struct fixture {
	char dir[64];
	struct kout_spool sp;
};

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/telex-spool-test.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return 0;
}

static int open_spool(struct fixture *x, uint64_t max, char *err, size_t n)
{
	struct kout_spool_opts o = {.dir = x->dir,
				    .max_bytes = max,
				    .fsync = KOUT_FSYNC_NEVER,
				    .table = "outputs.kafka",
				    .lock_wait_ms = 0};
	return kout_spool_open(&x->sp, &o, err, n);
}

/* A crash: descriptors closed (the lock with them), nothing written. */
static void line_of(char *out, size_t n, int i)
{
	snprintf(out, n, "vm_cpu,host=hv%d,domain=vm-%04d cpu=%d.5 %d", i % 3,
		 i, i * 7, 1000 + i);
}

static void add_lines(struct kout_spool *sp, int from, int to)
{
	char err[256], line[128];
	for (int i = from; i < to; i++) {
		struct kout_spool_pos pos;
		line_of(line, sizeof(line), i);
		assert_int_equal(kout_spool_room(sp, strlen(line)),
				 KOUT_ROOM_OK);
		assert_int_equal(kout_spool_add(sp, line, strlen(line),
						1000 + i, &pos, err,
						sizeof(err)),
				 0);
		if ((i + 1) % 100 == 0)
			assert_int_equal(kout_spool_flush(sp, err, sizeof(err)),
					 0);
	}
	assert_int_equal(kout_spool_flush(sp, err, sizeof(err)), 0);
}

/* Read lines [from, to) in order; returns the position after the last. */
static struct kout_spool_pos read_lines(struct kout_spool *sp, int from, int to)
{
	char err[256], want[128];
	struct kout_frame f;
	struct kout_spool_pos pos = sp->rpos;
	for (int i = from; i < to; i++) {
		assert_int_equal(
		    kout_spool_peek(sp, &f, &pos, err, sizeof(err)),
		    KOUT_PEEK_LINE);
		line_of(want, sizeof(want), i);
		assert_int_equal(f.len, strlen(want) + 1);
		assert_memory_equal(f.payload, want, f.len - 1);
		assert_int_equal(f.time_ms, 1000 + i);
		kout_spool_advance(sp, &pos, f.size);
	}
	return sp->rpos;
}

static void test_spool_roundtrip(void **state)
{
	struct fixture *x = *state;
	char err[512];
	/* 1 MiB: segments of 64 KiB, so 3,000 lines span several. */
	assert_int_equal(open_spool(x, 1 << 20, err, sizeof(err)), 0);
	add_lines(&x->sp, 0, 3000);
	assert_true(x->sp.nsegs > 3);
	assert_int_equal(x->sp.records, 3000);
	struct kout_spool_pos mid = read_lines(&x->sp, 0, 1000);
	read_lines(&x->sp, 1000, 3000);
	struct kout_frame f;
	struct kout_spool_pos pos;
	assert_int_equal(kout_spool_peek(&x->sp, &f, &pos, err, sizeof(err)),
			 KOUT_PEEK_NONE);
	assert_true(kout_spool_caught_up(&x->sp));
	/* The first 1,000 are done: segments before that one go. */
	size_t segs = x->sp.nsegs;
	assert_true(kout_spool_ack(&x->sp, &mid));
	assert_true(x->sp.nsegs < segs);
	assert_int_equal(x->sp.records, 2000);
	kout_spool_close(&x->sp);
	/* Reopened: the 2,000 left, in order, counted from the seals. */
	assert_int_equal(open_spool(x, 1 << 20, err, sizeof(err)), 0);
	assert_int_equal(x->sp.records, 2000);
	struct kout_spool_state st;
	kout_spool_state(&x->sp, &st);
	assert_int_equal(st.oldest_ms, 2000);
	struct kout_spool_pos end = read_lines(&x->sp, 1000, 3000);
	add_lines(&x->sp, 3000, 3010);
	end = read_lines(&x->sp, 3000, 3010);
	kout_spool_ack(&x->sp, &end);
	assert_int_equal(x->sp.records, 0);
	kout_spool_close(&x->sp);
	/* All delivered: no segment is left behind. */
	assert_int_equal(open_spool(x, 1 << 20, err, sizeof(err)), 0);
	assert_int_equal(x->sp.records, 0);
	assert_int_equal(x->sp.nsegs, 1);
	kout_spool_close(&x->sp);
}

static void test_spool_torn_tail(void **state)
{
	struct fixture *x = *state;
	char err[512], path[128];
	assert_int_equal(open_spool(x, 1 << 20, err, sizeof(err)), 0);
	add_lines(&x->sp, 0, 500);
	uint64_t id = x->sp.segs[x->sp.nsegs - 1].id;
	kout_spool_abandon(&x->sp); /* as kill -9 */
	/* kill -9 in the middle of a write: half a frame at the end. */
	snprintf(path, sizeof(path), "%s/%016llx.seg", x->dir,
		 (unsigned long long)id);
	uint8_t fr[256];
	size_t n = make_frame(fr, "torn v=1", 1);
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, fr, n / 2), (ssize_t)(n / 2));
	close(fd);
	assert_int_equal(open_spool(x, 1 << 20, err, sizeof(err)), 0);
	assert_int_equal(x->sp.torn_bytes, n / 2);
	assert_int_equal(x->sp.records, 500);
	read_lines(&x->sp, 0, 500);
	struct kout_frame f;
	struct kout_spool_pos pos;
	assert_int_equal(kout_spool_peek(&x->sp, &f, &pos, err, sizeof(err)),
			 KOUT_PEEK_NONE);
	kout_spool_close(&x->sp);
	/* Cut and sealed: the next start finds nothing torn. */
	assert_int_equal(open_spool(x, 1 << 20, err, sizeof(err)), 0);
	assert_int_equal(x->sp.torn_bytes, 0);
	assert_int_equal(x->sp.records, 500);
	kout_spool_close(&x->sp);
}

static void test_spool_damaged_frame(void **state)
{
	struct fixture *x = *state;
	char err[512], path[128];
	assert_int_equal(open_spool(x, 1 << 20, err, sizeof(err)), 0);
	add_lines(&x->sp, 0, 100);
	uint64_t id = x->sp.segs[0].id;
	kout_spool_close(&x->sp);
	/* One byte of line 50's payload changes on the disk. */
	snprintf(path, sizeof(path), "%s/%016llx.seg", x->dir,
		 (unsigned long long)id);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	char line[128];
	uint64_t off = KOUT_SEG_HDR, size50 = 0;
	for (int i = 0; i <= 50; i++) {
		line_of(line, sizeof(line), i);
		size50 = kout_frame_size(strlen(line));
		if (i < 50)
			off += size50;
	}
	char c;
	assert_int_equal(pread(fd, &c, 1, (off_t)off + 30), 1);
	c ^= 0x20;
	assert_int_equal(pwrite(fd, &c, 1, (off_t)off + 30), 1);
	close(fd);
	assert_int_equal(open_spool(x, 1 << 20, err, sizeof(err)), 0);
	read_lines(&x->sp, 0, 50);
	/* Line 50 is skipped, counted; 51 on come back. */
	read_lines(&x->sp, 51, 100);
	assert_int_equal(x->sp.damaged_bytes, size50);
	kout_spool_close(&x->sp);
}

static void test_spool_lock_and_dirs(void **state)
{
	struct fixture *x = *state;
	char err[512];
	assert_int_equal(open_spool(x, 1 << 20, err, sizeof(err)), 0);
	struct kout_spool other;
	struct kout_spool_opts o = {.dir = x->dir,
				    .max_bytes = 1 << 20,
				    .fsync = KOUT_FSYNC_NEVER,
				    .table = "outputs.kafka"};
	assert_int_equal(kout_spool_open(&other, &o, err, sizeof(err)),
			 TELEX_EXIT_FAILURE);
	assert_non_null(strstr(err, "is in use by another process (pid"));
	kout_spool_close(&other);
	kout_spool_close(&x->sp);
	/* A path under a regular file: a config error. */
	char file[96];
	snprintf(file, sizeof(file), "%s/plain", x->dir);
	close(open(file, O_WRONLY | O_CREAT, 0600));
	snprintf(file, sizeof(file), "%s/plain/spool", x->dir);
	o.dir = file;
	assert_int_equal(kout_spool_open(&other, &o, err, sizeof(err)),
			 TELEX_EXIT_USAGE);
	assert_non_null(strstr(err, "spool_dir"));
	assert_non_null(strstr(err, "Not a directory"));
	kout_spool_close(&other);
}

static void test_spool_full(void **state)
{
	struct fixture *x = *state;
	char err[512], line[128];
	assert_int_equal(open_spool(x, 1 << 20, err, sizeof(err)), 0);
	int i = 0;
	line_of(line, sizeof(line), 0);
	while (kout_spool_room(&x->sp, strlen(line)) == KOUT_ROOM_OK) {
		add_lines(&x->sp, i, i + 1);
		i++;
		line_of(line, sizeof(line), i);
	}
	assert_true(x->sp.bytes <= 1 << 20);
	assert_true(x->sp.bytes > (1 << 20) - 4096);
	/* Too large for the spool ever: refused outright. */
	assert_int_equal(kout_spool_room(&x->sp, 2 << 20), KOUT_ROOM_NEVER);
	/* Half delivered: whole segments come back. */
	struct kout_spool_pos half = read_lines(&x->sp, 0, i / 2);
	assert_true(kout_spool_ack(&x->sp, &half));
	assert_int_equal(kout_spool_room(&x->sp, strlen(line)), KOUT_ROOM_OK);
	/* Everything delivered, the last segment too. */
	struct kout_spool_pos all = read_lines(&x->sp, i / 2, i);
	kout_spool_ack(&x->sp, &all);
	assert_int_equal(x->sp.records, 0);
	kout_spool_close(&x->sp);
}

static void test_ledger(void **state)
{
	(void)state;
	struct kout_ledger l = {0};
	struct kout_spool_pos pos = {1, KOUT_SEG_HDR, 0}, ack;
	uint64_t chunks[3000];
	for (int i = 0; i < 3000; i++) {
		if (i == 2500)
			pos = (struct kout_spool_pos){2, KOUT_SEG_HDR, 0};
		assert_int_equal(kout_ledger_take(&l, &pos, &chunks[i]), 0);
		pos.off += 10;
		pos.index++;
	}
	/* 1024 a chunk, and a new one at the segment change. */
	assert_true(chunks[0] == chunks[1023]);
	assert_true(chunks[1024] != chunks[1023]);
	assert_true(chunks[2499] != chunks[2500]);
	assert_int_equal(l.pending, 3000);
	/* Done out of order: nothing before the first pending one moves. */
	for (int i = 1; i < 3000; i++)
		kout_ledger_done(&l, chunks[i], 1);
	kout_ledger_ack_pos(&l, &pos, &ack);
	assert_int_equal(ack.seg, 1);
	assert_int_equal(ack.off, KOUT_SEG_HDR);
	kout_ledger_done(&l, chunks[0], 1);
	kout_ledger_ack_pos(&l, &pos, &ack);
	assert_memory_equal(&ack, &pos, sizeof(ack));
	assert_int_equal(l.pending, 0);
	/* untake: a line not taken after all. */
	uint64_t c;
	assert_int_equal(kout_ledger_take(&l, &pos, &c), 0);
	kout_ledger_untake(&l, c);
	assert_int_equal(l.n, 0);
	/* Tickets: runs move in, are settled, blocks are reused. */
	struct kout_lines lines = {0};
	assert_int_equal(kout_ledger_take(&l, &pos, &c), 0);
	assert_int_equal(kout_lines_add(&lines, c), 0);
	pos.index++;
	assert_int_equal(kout_ledger_take(&l, &pos, &c), 0);
	assert_int_equal(kout_lines_add(&lines, c), 0);
	assert_int_equal(lines.n, 2);
	assert_int_equal(lines.nruns, 1);
	kout_token t = kout_token_new(&l, &lines);
	assert_int_equal(lines.n, 0);
	assert_int_equal(kout_token_metrics(t), 2);
	assert_int_equal(t & 1, 0); /* a ticket */
	kout_token_settle(&l, t);
	assert_int_equal(l.pending, 0);
	/* One line: the token is the ticket, and its numbers come back. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(kout_ledger_take(&l, &pos, &c), 0);
		pos.index++;
		struct kout_lines one = {.n = 1, .nruns = 1, .one = {c, 1}};
		uint64_t seq = l.next_seq;
		t = kout_token_new(&l, &one);
		assert_int_equal(t & 1, 1);
		assert_int_equal(kout_token_seq(&l, t), seq);
		struct kout_lines back;
		kout_token_undo(&l, t, &back);
		assert_int_equal(back.one.chunk, c);
		t = kout_token_new(&l, &back);
		kout_token_settle(&l, t);
	}
	assert_int_equal(l.pending, 0);
	kout_ledger_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32c),
	    cmocka_unit_test(test_frames),
	    cmocka_unit_test_setup_teardown(test_spool_roundtrip, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_spool_torn_tail, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_spool_damaged_frame, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_spool_lock_and_dirs, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_spool_full, setup, teardown),
	    cmocka_unit_test(test_ledger),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
