/*
 * lv.h: the [[inputs.libvirt]] options: the native four with their
 * defaults and validation errors, and telex's additions (all off or inert
 * by default, so the schema stays the native one). The one declaration
 * drives parsing, --sample-config (sample.conf) and the man page.
 */
#ifndef LV_H
#define LV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lv_collect.h"
#include "telex/config.h"

struct lv_config {
	char *libvirt_uri;
	struct cfg_strv domains;
	struct cfg_strv statistics_groups;
	struct cfg_strv additional_statistics;
	int64_t keepalive_interval; /* ns */
	int64_t keepalive_count;
	int64_t timeout;	 /* ns */
	int64_t request_warning; /* ns */
	bool device_name_tags;
	bool domain_uuid_tag;
	bool kvm_vcpu_stats;
	bool disk_errors;
	bool job_stats;
	bool lifecycle_events;
	bool gather_stats;
};

extern const struct cfg_option lv_options[];

/* The table's finalize hook (cfg_spec.finalize): something to gather. */
int lv_config_finalize(void *config, struct cfg_problem *p);

/* Compile cfg (read and checked: lv_options' checks, lv_config_finalize)
 * into set, which keeps pointers into cfg and a sorted copy of the domain
 * list: free with lv_settings_free. 0, or -1 (out of memory) with err. */
int lv_settings_compile(const struct lv_config *cfg, struct lv_settings *set,
			char *err, size_t errlen);
void lv_settings_free(struct lv_settings *set);

#endif
