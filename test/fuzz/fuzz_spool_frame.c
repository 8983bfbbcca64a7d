/*
 * fuzz_spool_frame.c: telex-kafka-output's spool frames, the bytes a
 * damaged disk hands back. Walking any bytes as the spool's reader does
 * (decode; on a bad frame, resync) never reads past the end, always moves
 * forward, and finds OK only where both checksums hold. A frame made from
 * the input decodes to exactly it, and any one flipped bit (chosen by the
 * input) makes it bad or short, never a different frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/kafka_output/kout_spool.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static void fz_walk(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		struct kout_frame f;
		enum kout_frame_rc rc =
		    kout_frame_decode(data + off, size - off, &f);
		if (rc == KOUT_FRAME_OK) {
			check(f.size == KOUT_FRAME_HDR + f.len);
			check(f.size <= size - off);
			check(f.payload ==
			      (const char *)data + off + KOUT_FRAME_HDR);
			check(kout_crc32c(0, f.payload, f.len) ==
			      kout_le32_get(data + off + 16));
			off += f.size;
		} else if (rc == KOUT_FRAME_SHORT) {
			check(f.size > size - off);
			break;
		} else {
			size_t skip = kout_frame_resync(data + off, size - off);
			check(skip >= 1 && skip <= size - off);
			off += skip;
		}
	}
}

static void fz_roundtrip(const uint8_t *data, size_t size)
{
	if (size < 2)
		return;
	size_t len = size - 1;
	uint8_t *b = malloc(KOUT_FRAME_HDR + len);
	memcpy(b + KOUT_FRAME_HDR, data + 1, len);
	kout_frame_header(b, KOUT_FRAME_LINE, (uint32_t)len, 1700000000000,
			  kout_crc32c(0, data + 1, len));
	size_t n = KOUT_FRAME_HDR + len;
	struct kout_frame f;
	check(kout_frame_decode(b, n, &f) == KOUT_FRAME_OK);
	check(f.len == len && memcmp(f.payload, data + 1, len) == 0);
	check(f.time_ms == 1700000000000);
	size_t bit = (size_t)data[0] * 131 % (n * 8);
	b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	check(kout_frame_decode(b, n, &f) != KOUT_FRAME_OK);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_walk(data, size);
	fz_roundtrip(data, size);
	return 0;
}
