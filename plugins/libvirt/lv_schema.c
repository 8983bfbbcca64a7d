/*
 * lv_schema.c: the native inputs.libvirt schema (see lv_schema.h and
 * ../shared/spec/libvirt.md). Field names are written out rather than
 * derived at run time: the table is the schema, and a lookup is a length
 * check and one memcmp.
 */
#include "lv_schema.h"

#include <string.h>

#include "lv_map.h"

#define K(suffix, field, flags)                                                \
	{                                                                      \
		suffix, field, sizeof(suffix) - 1, sizeof(field) - 1, flags    \
	}
#define KEYS(t) (t), (uint8_t)(sizeof(t) / sizeof((t)[0]))

static const struct lv_key lv_keys_state[] = {
    K("state", "state", 0),
    K("reason", "reason", 0),
};

static const struct lv_key lv_keys_cpu[] = {
    K("time", "time", 0),
    K("user", "user", 0),
    K("system", "system", 0),
    K("haltpoll.success.time", "haltpoll_success_time", 0),
    K("haltpoll.fail.time", "haltpoll_fail_time", 0),
};

static const struct lv_key lv_keys_count[] = {
    K("count", "count", 0),
};

static const struct lv_key lv_keys_cpu_cache[] = {
    K("name", "name", 0),
    K("vcpus", "vcpus", 0),
    K("bank.count", "bank_count", 0),
};

static const struct lv_key lv_keys_cpu_cache_bank[] = {
    K("id", "id", 0),
    K("bytes", "bytes", 0),
};

static const struct lv_key lv_keys_balloon[] = {
    K("current", "current", 0),
    K("maximum", "maximum", 0),
    K("swap_in", "swap_in", 0),
    K("swap_out", "swap_out", 0),
    K("major_fault", "major_fault", 0),
    K("minor_fault", "minor_fault", 0),
    K("unused", "unused", 0),
    K("available", "available", 0),
    K("rss", "rss", 0),
    K("usable", "usable", 0),
    K("last-update", "last_update", 0),
    K("disk_caches", "disk_caches", 0),
    K("hugetlb_pgalloc", "hugetlb_pgalloc", 0),
    K("hugetlb_pgfail", "hugetlb_pgfail", 0),
};

static const struct lv_key lv_keys_vcpu_total[] = {
    K("current", "current", 0),
    K("maximum", "maximum", 0),
};

static const struct lv_key lv_keys_vcpu[] = {
    K("state", "state", 0),
    K("time", "time", 0),
    K("wait", "wait", 0),
    K("delay", "delay", 0),
    K("halted", "halted", LV_KEY_HALTED),
};

static const struct lv_key lv_keys_net[] = {
    K("name", "name", LV_KEY_NAME), K("rx.bytes", "rx_bytes", 0),
    K("rx.pkts", "rx_pkts", 0),	    K("rx.errs", "rx_errs", 0),
    K("rx.drop", "rx_drop", 0),	    K("tx.bytes", "tx_bytes", 0),
    K("tx.pkts", "tx_pkts", 0),	    K("tx.errs", "tx_errs", 0),
    K("tx.drop", "tx_drop", 0),
};

static const struct lv_key lv_keys_perf[] = {
    K("cmt", "cmt", 0),
    K("mbmt", "mbmt", 0),
    K("mbml", "mbml", 0),
    K("cpu_cycles", "cpu_cycles", 0),
    K("instructions", "instructions", 0),
    K("cache_references", "cache_references", 0),
    K("cache_misses", "cache_misses", 0),
    K("branch_instructions", "branch_instructions", 0),
    K("branch_misses", "branch_misses", 0),
    K("bus_cycles", "bus_cycles", 0),
    K("stalled_cycles_frontend", "stalled_cycles_frontend", 0),
    K("stalled_cycles_backend", "stalled_cycles_backend", 0),
    K("ref_cpu_cycles", "ref_cpu_cycles", 0),
    K("cpu_clock", "cpu_clock", 0),
    K("task_clock", "task_clock", 0),
    K("page_faults", "page_faults", 0),
    K("context_switches", "context_switches", 0),
    K("cpu_migrations", "cpu_migrations", 0),
    K("page_faults_min", "page_faults_min", 0),
    K("page_faults_maj", "page_faults_maj", 0),
    K("alignment_faults", "alignment_faults", 0),
    K("emulation_faults", "emulation_faults", 0),
};

static const struct lv_key lv_keys_block[] = {
    K("name", "name", LV_KEY_NAME),
    K("backingIndex", "backingIndex", 0),
    K("path", "path", 0),
    K("rd.reqs", "rd_reqs", 0),
    K("rd.bytes", "rd_bytes", 0),
    K("rd.times", "rd_times", 0),
    K("wr.reqs", "wr_reqs", 0),
    K("wr.bytes", "wr_bytes", 0),
    K("wr.times", "wr_times", 0),
    K("fl.reqs", "fl_reqs", 0),
    K("fl.times", "fl_times", 0),
    K("errors", "errors", 0),
    K("allocation", "allocation", 0),
    K("capacity", "capacity", 0),
    K("physical", "physical", 0),
    K("threshold", "threshold", 0),
};

static const struct lv_key lv_keys_iothread[] = {
    K("poll-max-ns", "poll_max_ns", 0),
    K("poll-grow", "poll_grow", 0),
    K("poll-shrink", "poll_shrink", 0),
};

static const struct lv_key lv_keys_mbm[] = {
    K("name", "name", 0),
    K("vcpus", "vcpus", 0),
    K("node.count", "node_count", 0),
};

static const struct lv_key lv_keys_mbm_node[] = {
    K("id", "id", 0),
    K("bytes.local", "bytes_local", 0),
    K("bytes.total", "bytes_total", 0),
};

static const struct lv_key lv_keys_dirtyrate[] = {
    K("calc_status", "calc_status", 0),
    K("calc_start_time", "calc_start_time", 0),
    K("calc_period", "calc_period", 0),
    K("megabytes_per_second", "megabytes_per_second", 0),
    K("calc_mode", "calc_mode", 0),
};

static const struct lv_key lv_keys_dirtyrate_vcpu[] = {
    K("megabytes_per_second", "megabytes_per_second", 0),
};

#define M0(name, group, keys)                                                  \
	{                                                                      \
		name, NULL, NULL, NULL, sizeof(name) - 1, 0, 0, 0, group,      \
		    KEYS(keys)                                                 \
	}
#define M1(name, tag, group, keys)                                             \
	{                                                                      \
		name, tag, NULL, NULL, sizeof(name) - 1, sizeof(tag) - 1, 0,   \
		    0, group, KEYS(keys)                                       \
	}
/* A device: its index tag, and the tag device_name_tags adds. */
#define MD(name, tag, ntag, group, keys)                                       \
	{                                                                      \
		name, tag, NULL, ntag, sizeof(name) - 1, sizeof(tag) - 1, 0,   \
		    sizeof(ntag) - 1, group, KEYS(keys)                        \
	}
#define M2(name, tag1, tag2, group, keys)                                      \
	{                                                                      \
		name, tag1, tag2, NULL, sizeof(name) - 1, sizeof(tag1) - 1,    \
		    sizeof(tag2) - 1, 0, group, KEYS(keys)                     \
	}

/* Indexed by enum lv_meas. */
const struct lv_meas_def lv_schema[LV_M_COUNT] = {
    [LV_M_STATE] = M0("libvirt_state", LV_GROUP_STATE, lv_keys_state),
    [LV_M_CPU] = M0("libvirt_cpu", LV_GROUP_CPU, lv_keys_cpu),
    [LV_M_CPU_CACHE_TOTAL] =
	M0("libvirt_cpu_cache_monitor_total", LV_GROUP_CPU, lv_keys_count),
    [LV_M_CPU_CACHE] = M1("libvirt_cpu_cache_monitor", "cache_monitor_id",
			  LV_GROUP_CPU, lv_keys_cpu_cache),
    [LV_M_CPU_CACHE_BANK] =
	M2("libvirt_cpu_cache_monitor_bank", "cache_monitor_id", "bank_index",
	   LV_GROUP_CPU, lv_keys_cpu_cache_bank),
    [LV_M_BALLOON] = M0("libvirt_balloon", LV_GROUP_BALLOON, lv_keys_balloon),
    [LV_M_VCPU_TOTAL] =
	M0("libvirt_vcpu_total", LV_GROUP_VCPU, lv_keys_vcpu_total),
    [LV_M_VCPU] = M1("libvirt_vcpu", "vcpu_id", LV_GROUP_VCPU, lv_keys_vcpu),
    [LV_M_NET_TOTAL] =
	M0("libvirt_net_total", LV_GROUP_INTERFACE, lv_keys_count),
    [LV_M_NET] = MD("libvirt_net", "interface_id", "interface_name",
		    LV_GROUP_INTERFACE, lv_keys_net),
    [LV_M_PERF] = M0("libvirt_perf", LV_GROUP_PERF, lv_keys_perf),
    [LV_M_BLOCK_TOTAL] =
	M0("libvirt_block_total", LV_GROUP_BLOCK, lv_keys_count),
    [LV_M_BLOCK] = MD("libvirt_block", "block_id", "block_name", LV_GROUP_BLOCK,
		      lv_keys_block),
    [LV_M_IOTHREAD_TOTAL] =
	M0("libvirt_iothread_total", LV_GROUP_IOTHREAD, lv_keys_count),
    [LV_M_IOTHREAD] = M1("libvirt_iothread", "iothread_id", LV_GROUP_IOTHREAD,
			 lv_keys_iothread),
    [LV_M_MBM_TOTAL] = M0("libvirt_memory_bandwidth_monitor_total",
			  LV_GROUP_MEMORY, lv_keys_count),
    [LV_M_MBM] =
	M1("libvirt_memory_bandwidth_monitor", "memory_bandwidth_monitor_id",
	   LV_GROUP_MEMORY, lv_keys_mbm),
    [LV_M_MBM_NODE] = M2("libvirt_memory_bandwidth_monitor_node",
			 "memory_bandwidth_monitor_id", "controller_index",
			 LV_GROUP_MEMORY, lv_keys_mbm_node),
    [LV_M_DIRTYRATE] =
	M0("libvirt_dirtyrate", LV_GROUP_DIRTYRATE, lv_keys_dirtyrate),
    [LV_M_DIRTYRATE_VCPU] = M1("libvirt_dirtyrate_vcpu", "vcpu_id",
			       LV_GROUP_DIRTYRATE, lv_keys_dirtyrate_vcpu),
};

int lv_schema_find(const struct lv_meas_def *d, const char *s, size_t n,
		   uint8_t *guess)
{
	unsigned g = *guess;
	if (g < d->nkeys && d->keys[g].slen == n &&
	    memcmp(d->keys[g].suffix, s, n) == 0) {
		*guess = (uint8_t)(g + 1);
		return (int)g;
	}
	for (unsigned i = 0; i < d->nkeys; i++) {
		if (d->keys[i].slen == n &&
		    memcmp(d->keys[i].suffix, s, n) == 0) {
			*guess = (uint8_t)(i + 1);
			return (int)i;
		}
	}
	return -1;
}
