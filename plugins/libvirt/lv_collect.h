/*
 * lv_collect.h: one gather: the domains, one bulk statistics call, the
 * mapping, the per-domain fallback and the extras, with partial results.
 *
 * - Without a `domains` filter the whole gather is one
 *   virConnectGetAllDomainStats call (it lists RUNNING|PAUSED|SHUTOFF|OTHER
 *   and collects in one round trip); with one, the domains are listed with
 *   the same flags, selected by name, and virDomainListGetStats is called
 *   once for them.
 * - VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT: a domain whose job lock is
 *   held does not stall the call; it is asked again, waiting, within the
 *   gather's deadline (lv_rows.h), and reported with what is available
 *   only when its job stays held past it (counted in skipped_locked).
 * - If the bulk call fails on a live connection, each domain is asked on
 *   its own: one bad domain costs that domain only.
 * - Groups the driver's bulk call never returns are filled by the
 *   per-domain fallback (lv_fallback.h) for running and paused domains.
 */
#ifndef LV_COLLECT_H
#define LV_COLLECT_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lv_bulk.h"
#include "lv_conn.h"
#include "lv_extras.h"
#include "lv_fallback.h"
#include "lv_map.h"
#include "lv_rows.h"
#include "lv_vcpumap.h"
#include "telex/log.h"

/* The configuration, checked and compiled (lv_options.c). */
struct lv_settings {
	const char *uri; /* to open: may hold a password */
	char *uri_shown; /* to log: the password replaced by "***" */
	char **domains;	 /* sorted, for bsearch; NULL/0: all */
	size_t ndomains;
	unsigned groups; /* LV_GROUP_* to emit */
	bool vcpu_mapping;
	bool device_name_tags, domain_uuid_tag, kvm_vcpu_stats;
	bool disk_errors, job_stats, lifecycle_events, gather_stats;
	int ka_interval; /* seconds, 0: off */
	unsigned ka_count;
	int64_t timeout_ns;	    /* deadline of a bulk call, 0: none */
	int64_t request_warning_ns; /* no gather request this long: warn */
};

/* True when the `domains` option selects the domain named name
 * (lv_options.c). */
bool lv_settings_selects(const struct lv_settings *set, const char *name);

struct lv_collector {
	const struct lv_settings *set;
	struct lv_conn *conn;
	struct lv_mapper map;
	struct lv_fallback fb;
	struct lv_vcpumap vcpus;
	struct lv_bulk_shared *bulk; /* calls left behind (lv_bulk.h) */
	struct lv_rows rows;	     /* partial domains asked again */
	struct log_limiter *limiter;

	/* Learned per connection. */
	uint64_t conn_gen;
	unsigned driver_groups; /* groups the bulk call returned for an
				   active domain */
	bool no_nowait;		/* the driver rejects the NOWAIT flag */

	struct lv_gather_stats last; /* of the last gather */
	uint64_t gathers;

	/* Tests only: called between the listing and the statistics call,
	 * to destroy a domain in that window. */
	void (*after_list)(void *arg, virDomainPtr *doms, int n);
	void *after_list_arg;
};

/* conn and limiter are borrowed; emit receives every metric. */
void lv_collector_init(struct lv_collector *col, const struct lv_settings *set,
		       struct lv_conn *conn, struct log_limiter *limiter,
		       lv_emit_fn emit, void *emit_arg);
void lv_collector_free(struct lv_collector *col);

/* One gather. 0 when domains were collected (some possibly partially), -1
 * when nothing could be (no connection, or the listing failed; logged
 * once per state change, not per gather). */
int lv_collect(struct lv_collector *col);

/* The same on an already open connection, without the connection care:
 * for tests and the benchmark. Returns -1 when the bulk call and the
 * listing both failed. */
int lv_collect_on(struct lv_collector *col, virConnectPtr c);

#endif
