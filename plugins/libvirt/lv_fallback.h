/*
 * lv_fallback.h: statistics of one domain through the per-domain calls
 * (virDomainGetInfo, GetCPUStats, GetVcpus, MemoryStats,
 * BlockStats/BlockStatsFlags, InterfaceStats, GetBlockInfo), for drivers
 * whose bulk call does not return a group (the test driver answers only
 * `state`). The result carries the bulk call's key names ("block.0.rd.reqs")
 * so the one mapper turns both into the same metrics.
 */
#ifndef LV_FALLBACK_H
#define LV_FALLBACK_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stdint.h>

#include "lv_devices.h"

/* Groups the fallback can produce. */
#define LV_FALLBACK_GROUPS                                                     \
	(VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |                 \
	 VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |                    \
	 VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK)

struct lv_fallback {
	virTypedParameter *params; /* of the last lv_fallback_collect() */
	int nparams, cap;
	struct lv_devcache devices;
	bool no_block_stats_flags; /* learned: the driver lacks the call */
	bool no_cpu_stats;
	bool no_memory_stats;
	uint64_t errors; /* calls that failed for another reason */
	char err[256];	 /* the last of those errors */
};

void lv_fallback_init(struct lv_fallback *f);
void lv_fallback_free(struct lv_fallback *f);
/* Start a gather (ages the device cache). */
void lv_fallback_begin(struct lv_fallback *f);
/* The driver may differ after a reconnect: forget what was learned. */
void lv_fallback_reset(struct lv_fallback *f);

/*
 * Fill f->params with `groups` of the running or paused domain dom.
 * Returns the number of parameters (a failed call costs its values only,
 * counted in f->errors), or -1 when the domain is gone or the connection
 * failed (the caller tells them apart with virConnectIsAlive). The string
 * values stay valid until the next call.
 */
int lv_fallback_collect(struct lv_fallback *f, virDomainPtr dom,
			unsigned groups);

#endif
