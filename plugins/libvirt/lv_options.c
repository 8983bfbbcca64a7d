/*
 * lv_options.c: the options of [[inputs.libvirt]], what they must satisfy
 * beyond their declaration (checked where the config is read, so that
 * every refusal names file:line), and the settings they compile into
 * (lv.h). Error texts follow the native plugin's where it has one.
 */
#include "lv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_map.h"
#include "lv_util.h"

static const char *const lv_group_choices[] = {
    "state", "cpu_total", "balloon", "vcpu",	  "interface", "block",
    "perf",  "iothread",  "memory",  "dirtyrate", NULL,
};

static const char *const lv_additional_choices[] = {"vcpu_mapping", NULL};

#define LV_OPT(field) offsetof(struct lv_config, field)
#define LV_SECOND 1000000000LL

/* driver[+transport]:... : what libvirt accepts as a URI scheme. */
static bool lv_uri_ok(const char *uri)
{
	if (!isalpha((unsigned char)uri[0]))
		return false;
	const char *p = uri + 1;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	       *p == '.')
		p++;
	return *p == ':';
}

static int lv_check_uri(const void *value, struct cfg_problem *p)
{
	const char *uri = *(char *const *)value;
	if (!*uri || lv_uri_ok(uri)) /* as native: empty means default */
		return 0;
	char shown[1024]; /* what messages show of it: never the password */
	lv_redact_uri(uri, shown, sizeof(shown));
	return cfg_refuse(p,
			  "libvirt_uri \"%s\" is not a libvirt URI (expected "
			  "driver[+transport]://[user@][host][:port]/[path])",
			  shown);
}

/* A name listed twice (the native plugin's "duplicated ... in config"). */
static int lv_check_once(const struct cfg_strv *v, const char *what,
			 struct cfg_problem *p)
{
	for (size_t i = 1; i < v->n; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(v->v[i], v->v[k]) == 0) {
				p->item = i + 1;
				return cfg_refuse(p,
						  "duplicated %s in config: "
						  "\"%s\"",
						  what, v->v[i]);
			}
	return 0;
}

static int lv_check_groups(const void *value, struct cfg_problem *p)
{
	return lv_check_once(value, "statistics group", p);
}

static int lv_check_additional(const void *value, struct cfg_problem *p)
{
	return lv_check_once(value, "additional statistic", p);
}

int lv_config_finalize(void *config, struct cfg_problem *p)
{
	const struct lv_config *c = config;
	if (c->statistics_groups.n == 0 && c->additional_statistics.n == 0) {
		p->key = "statistics_groups";
		return cfg_refuse(p, "all configuration options are empty or "
				     "invalid. Did not find anything to "
				     "gather");
	}
	return 0;
}

const struct cfg_option lv_options[] = {
    {.name = "libvirt_uri",
     .type = CFG_STRING,
     .offset = LV_OPT(libvirt_uri),
     .default_value = "\"qemu:///system\"",
     .check = lv_check_uri,
     .help = "libvirt connection URI: qemu:///system, "
	     "qemu+ssh://user@host/system, qemu+tls://host/system, "
	     "test:///default (opened read-only)"},
    {.name = "domains",
     .type = CFG_STRING_LIST,
     .offset = LV_OPT(domains),
     .default_value = "[]",
     .help = "names of the domains to collect; empty: every domain"},
    {.name = "statistics_groups",
     .type = CFG_STRING_LIST,
     .offset = LV_OPT(statistics_groups),
     .default_value = "[\"state\", \"cpu_total\", \"balloon\", \"vcpu\", "
		      "\"interface\", \"block\", \"perf\", \"iothread\", "
		      "\"memory\", \"dirtyrate\"]",
     .help = "statistics groups to collect; an empty list collects none",
     .choices = lv_group_choices,
     .check = lv_check_groups},
    {.name = "additional_statistics",
     .type = CFG_STRING_LIST,
     .offset = LV_OPT(additional_statistics),
     .default_value = "[]",
     .help = "vcpu_mapping: libvirt_cpu_affinity and the cpu_id field of "
	     "libvirt_vcpu",
     .choices = lv_additional_choices,
     .check = lv_check_additional},
    {.name = "keepalive_interval",
     .type = CFG_DURATION,
     .offset = LV_OPT(keepalive_interval),
     .default_value = "\"2s\"",
     .help = "(telex) keepalive probe interval; a daemon that does not "
	     "answer fails the gather after interval * (count + 1); 0 "
	     "disables",
     .min = 0,
     .max = 3600 * LV_SECOND},
    {.name = "keepalive_count",
     .type = CFG_INT,
     .offset = LV_OPT(keepalive_count),
     .default_value = "2",
     .help = "(telex) keepalive probes without answer before the "
	     "connection is declared dead",
     .min = 1,
     .max = 100},
    {.name = "timeout",
     .type = CFG_DURATION,
     .offset = LV_OPT(timeout),
     .default_value = "\"5s\"",
     .help = "(telex) longest wait for libvirt's statistics call; one "
	     "that does not return (a QEMU that stopped answering) is left "
	     "behind and asked again without waiting for busy domains; 0 "
	     "waits forever",
     .min = 0,
     .max = 3600 * LV_SECOND},
    {.name = "request_warning",
     .type = CFG_DURATION,
     .offset = LV_OPT(request_warning),
     .default_value = "\"60s\"",
     .help = "(telex) warn when no gather request (a stdin line, SIGUSR1, "
	     "the -poll_interval ticker) came for this long: under "
	     "inputs.execd with signal = \"none\" and no -poll_interval "
	     "nothing is gathered; 0 never warns",
     .min = 0,
     .max = 24LL * 3600 * LV_SECOND},
    {.name = "device_name_tags",
     .type = CFG_BOOL,
     .offset = LV_OPT(device_name_tags),
     .default_value = "false",
     .help = "(telex) add interface_name and block_name tags, so that "
	     "hot-plug does not mix the series of two devices"},
    {.name = "domain_uuid_tag",
     .type = CFG_BOOL,
     .offset = LV_OPT(domain_uuid_tag),
     .default_value = "false",
     .help = "(telex) add a domain_uuid tag to every metric"},
    {.name = "kvm_vcpu_stats",
     .type = CFG_BOOL,
     .offset = LV_OPT(kvm_vcpu_stats),
     .default_value = "false",
     .help = "(telex) keep KVM's vcpu.N.<name>.sum|cur|max statistics as "
	     "<name>_sum|_cur|_max fields of libvirt_vcpu"},
    {.name = "disk_errors",
     .type = CFG_BOOL,
     .offset = LV_OPT(disk_errors),
     .default_value = "false",
     .help = "(telex) libvirt_disk_error for every disk in error "
	     "(virDomainGetDiskErrors)"},
    {.name = "job_stats",
     .type = CFG_BOOL,
     .offset = LV_OPT(job_stats),
     .default_value = "false",
     .help = "(telex) libvirt_job: progress of migrations, backups and "
	     "other jobs (virDomainGetJobStats)"},
    {.name = "lifecycle_events",
     .type = CFG_BOOL,
     .offset = LV_OPT(lifecycle_events),
     .default_value = "false",
     .help = "(telex) libvirt_event the moment a domain is started, "
	     "stopped, paused, resumed, crashed, migrated, ..."},
    {.name = "gather_stats",
     .type = CFG_BOOL,
     .offset = LV_OPT(gather_stats),
     .default_value = "false",
     .help = "(telex) telex_libvirt: domains, duration_ns, errors and "
	     "skipped_locked of every gather"},
    {.name = NULL},
};

static int lv_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted copy of the domain list without repeats (pointers into cfg). */
static int lv_settings_domains(const struct lv_config *cfg,
			       struct lv_settings *set)
{
	if (!cfg->domains.n)
		return 0;
	set->domains = malloc(cfg->domains.n * sizeof(char *));
	if (!set->domains)
		return -1;
	memcpy(set->domains, cfg->domains.v, cfg->domains.n * sizeof(char *));
	qsort(set->domains, cfg->domains.n, sizeof(char *), lv_str_cmp);
	size_t n = 0;
	for (size_t i = 0; i < cfg->domains.n; i++)
		if (n == 0 || strcmp(set->domains[n - 1], set->domains[i]) != 0)
			set->domains[n++] = set->domains[i];
	set->ndomains = n;
	return 0;
}

int lv_settings_compile(const struct lv_config *cfg, struct lv_settings *set,
			char *err, size_t errlen)
{
	memset(set, 0, sizeof(*set));
	const char *uri = cfg->libvirt_uri;
	set->uri = uri && *uri ? uri : "qemu:///system";
	/* What logs show of it: never the password. */
	char shown[1024];
	lv_redact_uri(set->uri, shown, sizeof(shown));
	/* The names were checked against the choices when read. */
	for (size_t i = 0; i < cfg->statistics_groups.n; i++)
		set->groups |= lv_group_bit(cfg->statistics_groups.v[i]);
	for (size_t i = 0; i < cfg->additional_statistics.n; i++)
		if (strcmp(cfg->additional_statistics.v[i], "vcpu_mapping") ==
		    0)
			set->vcpu_mapping = true;
	/* libvirt counts keepalive in whole seconds. */
	int64_t ka = cfg->keepalive_interval;
	set->ka_interval =
	    ka <= 0 ? 0 : (int)((ka + LV_SECOND - 1) / LV_SECOND);
	set->ka_count = (unsigned)cfg->keepalive_count;
	set->timeout_ns = cfg->timeout;
	set->request_warning_ns = cfg->request_warning;
	set->device_name_tags = cfg->device_name_tags;
	set->domain_uuid_tag = cfg->domain_uuid_tag;
	set->kvm_vcpu_stats = cfg->kvm_vcpu_stats;
	set->disk_errors = cfg->disk_errors;
	set->job_stats = cfg->job_stats;
	set->lifecycle_events = cfg->lifecycle_events;
	set->gather_stats = cfg->gather_stats;
	set->uri_shown = strdup(shown);
	if (!set->uri_shown || lv_settings_domains(cfg, set) < 0) {
		lv_settings_free(set);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void lv_settings_free(struct lv_settings *set)
{
	free(set->domains);
	free(set->uri_shown);
	memset(set, 0, sizeof(*set));
}

bool lv_settings_selects(const struct lv_settings *set, const char *name)
{
	return set->ndomains == 0 ||
	       bsearch(&name, set->domains, set->ndomains, sizeof(char *),
		       lv_str_cmp) != NULL;
}
