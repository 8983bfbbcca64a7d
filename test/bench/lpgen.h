/*
 * lpgen.h: a deterministic generator of realistic telex-libvirt lines, for
 * benchmarks (bench_lp, the Kafka benchmarks) and the `lpgen` command.
 *
 * The lines look like Telegraf's libvirt input behind a few global tags:
 * libvirt_block, libvirt_net, libvirt_cpu, libvirt_vcpu, libvirt_balloon
 * with 5 or 6 tags (block_id/interface_id/vcpu_id, dc, domain_name, host,
 * rack), 5 to 10 fields mixing integers, floats and strings (device names,
 * image paths), and a nanosecond timestamp; about 200 bytes each. The same
 * seed gives the same lines on every machine.
 */
#ifndef TELEX_LPGEN_H
#define TELEX_LPGEN_H

#include <stdint.h>

#include "telex/buf.h"

struct lpgen {
	uint64_t state; /* PRNG state */
	uint64_t count; /* lines made so far */
	int64_t time;	/* timestamp of the next line */
};

#define LPGEN_DEFAULT_SEED 42

void lpgen_init(struct lpgen *g, uint64_t seed);
/* Append one line, '\n' included. 0, or -1 when out of memory. */
int lpgen_line(struct lpgen *g, struct buf *out);
/* Append lines until out holds at least `bytes` more bytes. */
int lpgen_fill(struct lpgen *g, struct buf *out, size_t bytes);

#endif
