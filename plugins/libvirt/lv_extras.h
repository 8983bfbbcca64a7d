/*
 * lv_extras.h: the measurements telex adds beyond the native plugin, all
 * behind options that are off by default (libvirt_disk_error, libvirt_job,
 * libvirt_event, telex_libvirt), and the native vcpu_mapping one
 * (libvirt_cpu_affinity). Each builds the mapper's reused metric and emits
 * it through the mapper's callback.
 */
#ifndef LV_EXTRAS_H
#define LV_EXTRAS_H

#include <libvirt/libvirt.h>
#include <stdint.h>

#include "lv_events.h"
#include "lv_map.h"

/* libvirt_cpu_affinity: cpu_id = "0,1,5" (host CPUs in the mask). */
void lv_emit_affinity(struct lv_mapper *mp, const struct lv_domain_info *d,
		      int vcpu, const unsigned char *map, int maplen,
		      int host_cpus);

/* libvirt_disk_error: one per disk libvirt reports in error. */
void lv_emit_disk_errors(struct lv_mapper *mp, const struct lv_domain_info *d,
			 const virDomainDiskError *errs, int n);

/* libvirt_job: the job of a domain (migration, backup, ...), its type and
 * every statistic libvirt gives for it. */
void lv_emit_job(struct lv_mapper *mp, const struct lv_domain_info *d, int type,
		 const virTypedParameter *params, int n);

/* libvirt_event, stamped with the time libvirt reported it. */
void lv_emit_event(struct lv_mapper *mp, const struct lv_event *e,
		   bool uuid_tag);

struct lv_gather_stats {
	uint64_t domains;	 /* domains reported */
	int64_t duration_ns;	 /* whole gather */
	uint64_t errors;	 /* failed calls and unwritable metrics */
	uint64_t skipped_locked; /* domains reported partially (NOWAIT) */
};

/* telex_libvirt: how the gather went. */
void lv_emit_gather_stats(struct lv_mapper *mp,
			  const struct lv_gather_stats *s);

#endif
