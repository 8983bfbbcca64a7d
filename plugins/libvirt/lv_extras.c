/*
 * lv_extras.c: measurements beyond the bulk statistics (lv_extras.h).
 * These run per domain or per event, not per value, so they may format.
 */
#include "lv_extras.h"

#include <stdio.h>
#include <string.h>

static void lv_extra_start(struct lv_mapper *mp, const char *name,
			   const struct lv_domain_info *d, int *rc)
{
	struct lp_metric *m = &mp->metric;
	lp_metric_reset(m);
	*rc |= lp_metric_set_name(m, name, strlen(name));
	if (d) {
		*rc |= lp_metric_add_tag(m, "domain_name", 11, d->name,
					 d->name_len);
		if (mp->opt.domain_uuid_tag && d->uuid)
			*rc |= lp_metric_add_tag(m, "domain_uuid", 11, d->uuid,
						 36);
	}
}

void lv_emit_affinity(struct lv_mapper *mp, const struct lv_domain_info *d,
		      int vcpu, const unsigned char *map, int maplen,
		      int host_cpus)
{
	char list[4096], id[16];
	size_t n = 0;
	for (int cpu = 0; cpu < host_cpus && cpu / 8 < maplen; cpu++) {
		if (!(map[cpu / 8] & (1u << (cpu % 8))))
			continue;
		int w = snprintf(list + n, sizeof(list) - n, "%s%d",
				 n ? "," : "", cpu);
		if (w < 0 || (size_t)w >= sizeof(list) - n)
			break;
		n += (size_t)w;
	}
	if (n == 0) /* as native: no CPU in the mask, no metric */
		return;
	int rc = 0;
	int idl = snprintf(id, sizeof(id), "%d", vcpu);
	lv_extra_start(mp, "libvirt_cpu_affinity", d, &rc);
	rc |= lp_metric_add_tag(&mp->metric, "vcpu_id", 7, id, (size_t)idl);
	rc |= lp_metric_add_string(&mp->metric, "cpu_id", 6, list, n);
	lv_mapper_emit(mp, mp->time, rc, false);
}

static const char *lv_disk_error_name(int code)
{
	switch (code) {
	case VIR_DOMAIN_DISK_ERROR_NONE:
		return "none";
	case VIR_DOMAIN_DISK_ERROR_UNSPEC:
		return "unspecified";
	case VIR_DOMAIN_DISK_ERROR_NO_SPACE:
		return "no_space";
	default:
		return "unknown";
	}
}

void lv_emit_disk_errors(struct lv_mapper *mp, const struct lv_domain_info *d,
			 const virDomainDiskError *errs, int n)
{
	for (int i = 0; i < n; i++) {
		if (!errs[i].disk)
			continue;
		int rc = 0;
		const char *reason = lv_disk_error_name(errs[i].error);
		lv_extra_start(mp, "libvirt_disk_error", d, &rc);
		rc |= lp_metric_add_tag(&mp->metric, "disk", 4, errs[i].disk,
					strlen(errs[i].disk));
		rc |= lp_metric_add_int(&mp->metric, "error", 5, errs[i].error);
		rc |= lp_metric_add_string(&mp->metric, "reason", 6, reason,
					   strlen(reason));
		lv_mapper_emit(mp, mp->time, rc, false);
	}
}

static const char *lv_job_type_name(int type)
{
	switch (type) {
	case VIR_DOMAIN_JOB_NONE:
		return "none";
	case VIR_DOMAIN_JOB_BOUNDED:
		return "bounded";
	case VIR_DOMAIN_JOB_UNBOUNDED:
		return "unbounded";
	case VIR_DOMAIN_JOB_COMPLETED:
		return "completed";
	case VIR_DOMAIN_JOB_FAILED:
		return "failed";
	case VIR_DOMAIN_JOB_CANCELLED:
		return "cancelled";
	default:
		return "unknown";
	}
}

void lv_emit_job(struct lv_mapper *mp, const struct lv_domain_info *d, int type,
		 const virTypedParameter *params, int n)
{
	int rc = 0;
	struct lp_metric *m = &mp->metric;
	const char *tn = lv_job_type_name(type);
	lv_extra_start(mp, "libvirt_job", d, &rc);
	rc |= lp_metric_add_int(m, "type", 4, type);
	rc |= lp_metric_add_string(m, "type_name", 9, tn, strlen(tn));
	for (int i = 0; i < n; i++) {
		const virTypedParameter *p = &params[i];
		/* Job statistic names are already field-shaped
		 * ("data_remaining"); normalise the odd dot or dash. The
		 * copy lives in the metric's arena until it is written. */
		size_t kl = strnlen(p->field, VIR_TYPED_PARAM_FIELD_LENGTH);
		char *key = arena_strndup(&m->arena, p->field, kl);
		if (!key) {
			rc = -1;
			break;
		}
		for (size_t k = 0; k < kl; k++)
			if (key[k] == '.' || key[k] == '-')
				key[k] = '_';
		switch (p->type) {
		case VIR_TYPED_PARAM_INT:
			rc |= lp_metric_add_int(m, key, kl, p->value.i);
			break;
		case VIR_TYPED_PARAM_UINT:
			rc |= lp_metric_add_int(m, key, kl, p->value.ui);
			break;
		case VIR_TYPED_PARAM_LLONG:
			rc |= lp_metric_add_int(m, key, kl, p->value.l);
			break;
		case VIR_TYPED_PARAM_ULLONG:
			rc |= lp_metric_add_int(m, key, kl,
						p->value.ul > INT64_MAX
						    ? INT64_MAX
						    : (int64_t)p->value.ul);
			break;
		case VIR_TYPED_PARAM_DOUBLE:
			rc |= lp_metric_add_float(m, key, kl, p->value.d);
			break;
		case VIR_TYPED_PARAM_BOOLEAN:
			rc |= lp_metric_add_int(m, key, kl, p->value.b != 0);
			break;
		case VIR_TYPED_PARAM_STRING:
			if (p->value.s)
				rc |= lp_metric_add_string(
				    m, key, kl, p->value.s, strlen(p->value.s));
			break;
		default:
			break;
		}
	}
	lv_mapper_emit(mp, mp->time, rc, false);
}

void lv_emit_event(struct lv_mapper *mp, const struct lv_event *e,
		   bool uuid_tag)
{
	int rc = 0;
	struct lp_metric *m = &mp->metric;
	const char *ev = lv_event_name(e->event);
	const char *detail = lv_event_detail_name(e->event, e->detail);
	lp_metric_reset(m);
	rc |= lp_metric_set_name(m, "libvirt_event", 13);
	rc |= lp_metric_add_tag(m, "domain_name", 11, e->name, strlen(e->name));
	if (uuid_tag && e->uuid[0])
		rc |= lp_metric_add_tag(m, "domain_uuid", 11, e->uuid,
					strlen(e->uuid));
	rc |= lp_metric_add_string(m, "event", 5, ev, strlen(ev));
	rc |= lp_metric_add_string(m, "detail", 6, detail, strlen(detail));
	lv_mapper_emit(mp, e->time, rc, false);
}

void lv_emit_gather_stats(struct lv_mapper *mp, const struct lv_gather_stats *s)
{
	int rc = 0;
	struct lp_metric *m = &mp->metric;
	lv_extra_start(mp, "telex_libvirt", NULL, &rc);
	rc |= lp_metric_add_int(m, "domains", 7, (int64_t)s->domains);
	rc |= lp_metric_add_int(m, "duration_ns", 11, s->duration_ns);
	rc |= lp_metric_add_int(m, "errors", 6, (int64_t)s->errors);
	rc |= lp_metric_add_int(m, "skipped_locked", 14,
				(int64_t)s->skipped_locked);
	lv_mapper_emit(mp, mp->time, rc, false);
}
