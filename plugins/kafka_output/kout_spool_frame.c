/*
 * kout_spool_frame.c: the spool's frames in memory (layout: kout_spool.h). No
 * I/O, so that the decoder can be fuzzed: whatever bytes a damaged disk hands
 * back, decoding says OK only for a frame whose header and payload both
 * match their checksums, and never reads past avail.
 *
 * The header has its own checksum so that a damaged length is caught
 * before it is trusted (a torn write can leave any bytes there): without
 * it, a garbage length could make the reader wait for a gigabyte that
 * never comes, or skip good frames.
 */
#include <string.h>

#include "kout_spool.h"

void kout_le32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void kout_le64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t kout_le32_get(const void *q)
{
	const uint8_t *p = q;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint64_t kout_le64_get(const void *q)
{
	const uint8_t *p = q;
	return (uint64_t)kout_le32_get(p) | (uint64_t)kout_le32_get(p + 4)
						<< 32;
}

void kout_frame_header(uint8_t out[KOUT_FRAME_HDR], uint32_t magic,
		       uint32_t len, int64_t time_ms, uint32_t payload_crc)
{
	kout_le32_put(out, magic);
	kout_le32_put(out + 4, len);
	kout_le64_put(out + 8, (uint64_t)time_ms);
	kout_le32_put(out + 16, payload_crc);
	kout_le32_put(out + 20, kout_crc32c(0, out, 20));
}

/* The header alone: a known magic, its checksum, a sane length. */
static bool kout_header_ok(const uint8_t *p)
{
	uint32_t magic = kout_le32_get(p);
	if (magic != KOUT_FRAME_LINE && magic != KOUT_FRAME_SEAL)
		return false;
	if (kout_le32_get(p + 20) != kout_crc32c(0, p, 20))
		return false;
	uint32_t len = kout_le32_get(p + 4);
	return len <= KOUT_FRAME_MAX && (magic == KOUT_FRAME_LINE || len == 8);
}

enum kout_frame_rc kout_frame_decode(const void *p, size_t avail,
				     struct kout_frame *f)
{
	const uint8_t *b = p;
	if (avail < KOUT_FRAME_HDR) {
		/* Wait for the rest only if what is there can begin one. */
		uint8_t m[4];
		kout_le32_put(m, KOUT_FRAME_LINE);
		size_t n = avail < 3 ? avail : 3;
		if (memcmp(b, m, n) != 0) {
			kout_le32_put(m, KOUT_FRAME_SEAL);
			if (memcmp(b, m, n) != 0)
				return KOUT_FRAME_BAD;
		}
		f->size = KOUT_FRAME_HDR;
		return KOUT_FRAME_SHORT;
	}
	if (!kout_header_ok(b))
		return KOUT_FRAME_BAD;
	f->magic = kout_le32_get(b);
	f->len = kout_le32_get(b + 4);
	f->time_ms = (int64_t)kout_le64_get(b + 8);
	f->size = KOUT_FRAME_HDR + (size_t)f->len;
	f->payload = (const char *)b + KOUT_FRAME_HDR;
	if (avail < f->size)
		return KOUT_FRAME_SHORT;
	if (kout_le32_get(b + 16) != kout_crc32c(0, f->payload, f->len))
		return KOUT_FRAME_BAD;
	return KOUT_FRAME_OK;
}

size_t kout_frame_resync(const void *p, size_t avail)
{
	const uint8_t *b = p;
	for (size_t i = 1; i < avail; i++) {
		/* "TXS" starts both magics. */
		const uint8_t *q = memchr(b + i, 'T', avail - i);
		if (!q)
			return avail;
		i = (size_t)(q - b);
		size_t left = avail - i;
		if (left < KOUT_FRAME_HDR) {
			struct kout_frame f;
			if (kout_frame_decode(q, left, &f) == KOUT_FRAME_SHORT)
				return i;
			continue;
		}
		if (kout_header_ok(q))
			return i;
	}
	return avail;
}

void kout_seg_header(uint8_t out[KOUT_SEG_HDR], uint64_t id)
{
	memcpy(out, KOUT_SEG_MAGIC, 8);
	kout_le64_put(out + 8, id);
}

bool kout_seg_header_ok(const void *h, uint64_t *id)
{
	if (memcmp(h, KOUT_SEG_MAGIC, 8) != 0)
		return false;
	*id = kout_le64_get((const uint8_t *)h + 8);
	return true;
}
