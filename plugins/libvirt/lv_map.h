/*
 * lv_map.h: libvirt's typed statistics of one domain (a
 * virDomainStatsRecord, or the same names built by the per-domain fallback)
 * mapped to the native inputs.libvirt measurements and handed to an emit
 * callback, one reused lp_metric at a time.
 *
 * The mapper owns its scratch memory: after the first domains it maps
 * without allocating. Tag and field slices point into the caller's
 * parameters, which must stay valid during lv_map_domain().
 */
#ifndef LV_MAP_H
#define LV_MAP_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lv_keys.h"
#include "lv_line.h"
#include "lv_schema.h"
#include "telex/buf.h"
#include "telex/lp.h"
#include "telex/shim.h"

/* Statistics groups, equal to libvirt's virDomainStatsTypes bits. */
enum {
	LV_GROUP_STATE = VIR_DOMAIN_STATS_STATE,
	LV_GROUP_CPU = VIR_DOMAIN_STATS_CPU_TOTAL,
	LV_GROUP_BALLOON = VIR_DOMAIN_STATS_BALLOON,
	LV_GROUP_VCPU = VIR_DOMAIN_STATS_VCPU,
	LV_GROUP_INTERFACE = VIR_DOMAIN_STATS_INTERFACE,
	LV_GROUP_BLOCK = VIR_DOMAIN_STATS_BLOCK,
	LV_GROUP_PERF = VIR_DOMAIN_STATS_PERF,
	LV_GROUP_IOTHREAD = VIR_DOMAIN_STATS_IOTHREAD,
	LV_GROUP_MEMORY = VIR_DOMAIN_STATS_MEMORY,
	LV_GROUP_DIRTYRATE = VIR_DOMAIN_STATS_DIRTYRATE,
	LV_GROUP_ALL = 1023,
};

/* Hands one finished metric on; returns what telex_emit() returns. */
typedef enum telex_emit_result (*lv_emit_fn)(void *arg, struct lp_metric *m);

struct lv_map_options {
	unsigned groups;       /* LV_GROUP_* bits to emit */
	bool device_name_tags; /* interface_name / block_name tags */
	bool domain_uuid_tag;  /* domain_uuid tag on every metric */
	bool kvm_vcpu_stats;   /* keep vcpu.N.<name>.sum|cur|max */
	bool vcpu_cpu_id;      /* cpu_id field on libvirt_vcpu (vcpu_mapping) */
};

/* What the caller knows about the domain beyond its statistics. */
struct lv_domain_info {
	const char *name;
	size_t name_len;
	const char *uuid;     /* 36 characters, or NULL */
	const int *vcpu_pcpu; /* physical CPU of vcpu i (vcpu_mapping), */
	size_t nvcpu_pcpu;    /* -1 when unknown; NULL/0 for none */
};

struct lv_series;
struct lv_extra;
struct lv_parsed;

/* Tags a series can carry, ordered per measurement by key. */
enum {
	LV_TAG_DOMAIN,
	LV_TAG_UUID,
	LV_TAG_INDEX1,
	LV_TAG_INDEX2,
	LV_TAG_DEVICE
};

struct lv_mapper {
	struct lv_map_options opt;
	lv_emit_fn emit;
	void *emit_arg;
	int64_t time; /* the gather's timestamp, ns */
	struct lp_metric metric;
	struct lv_line line; /* the metric's text, see lv_line.h */
	uint8_t tag_order[LV_M_COUNT][5];
	uint8_t ntag_order[LV_M_COUNT];
	/* Parsed keys of the previous domain, by position: domains of one
	 * host report the same keys in the same order, so a key is parsed
	 * once and then recognised with one memcmp. */
	struct lv_parsed *parsed;
	size_t nparsed, parsed_cap;
	uint8_t guess[LV_M_COUNT]; /* next key to try, per measurement */
	bool dom_plain; /* the domain's name and UUID need no escape */
	struct lv_series *series; /* of the domain being mapped */
	size_t nseries, series_cap;
	struct lv_extra *extras; /* kvm_vcpu_stats fields, chained per series */
	size_t nextras, extras_cap;
	struct buf names; /* field names built from kvm stat keys */
	uint64_t metrics; /* emitted, for the gather statistics */
	uint64_t dropped; /* not writable (TELEX_EMIT_UNWRITABLE) */
	uint64_t no_memory;
};

/* Result of mapping one domain. */
struct lv_domain_result {
	unsigned groups_seen; /* LV_GROUP_* bits present in the parameters */
	int state;	      /* virDomainState from state.state, -1 if none */
};

void lv_mapper_init(struct lv_mapper *mp, const struct lv_map_options *opt,
		    lv_emit_fn emit, void *emit_arg);
void lv_mapper_free(struct lv_mapper *mp);

/* Hand mp->metric on at time (counted in metrics, or dropped), with the
 * text written while it was built when text is set; nothing when rc (what
 * building it returned) says memory ran out (counted) or it has no
 * field. */
void lv_mapper_emit(struct lv_mapper *mp, int64_t time, int rc, bool text);

/* Map the parameters of one domain and emit its metrics. Parameters of
 * groups outside opt.groups are read (state) but not emitted. A shut-off
 * domain's are emitted as libvirt reports them, as the native plugin does. */
void lv_map_domain(struct lv_mapper *mp, const struct lv_domain_info *dom,
		   const virTypedParameter *params, int nparams,
		   struct lv_domain_result *res);

#endif
