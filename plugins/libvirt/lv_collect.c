/*
 * lv_collect.c: one gather (lv_collect.h).
 */
#include "lv_collect.h"

#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_bulk.h"
#include "lv_util.h"

#define LV_LIST_FLAGS                                                          \
	(VIR_CONNECT_LIST_DOMAINS_RUNNING | VIR_CONNECT_LIST_DOMAINS_PAUSED |  \
	 VIR_CONNECT_LIST_DOMAINS_SHUTOFF | VIR_CONNECT_LIST_DOMAINS_OTHER)
#define LV_STATS_FILTER                                                        \
	(VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING |                           \
	 VIR_CONNECT_GET_ALL_DOMAINS_STATS_PAUSED |                            \
	 VIR_CONNECT_GET_ALL_DOMAINS_STATS_SHUTOFF |                           \
	 VIR_CONNECT_GET_ALL_DOMAINS_STATS_OTHER)

/* What one gather carries from step to step. */
struct lv_gather {
	virConnectPtr c;
	unsigned req;	  /* groups asked of the bulk call (state added) */
	unsigned missing; /* groups the per-domain fallback fills */
	uint64_t domains, errors, skipped;
	unsigned timeouts; /* bulk calls that missed their deadline */
	int64_t deadline;  /* monotonic ns for asking partial domains again;
			      0: none */
	bool conn_dead;
	char err[256]; /* why the last bulk call failed */
};

void lv_collector_init(struct lv_collector *col, const struct lv_settings *set,
		       struct lv_conn *conn, struct log_limiter *limiter,
		       lv_emit_fn emit, void *emit_arg)
{
	memset(col, 0, sizeof(*col));
	col->set = set;
	col->conn = conn;
	col->limiter = limiter;
	struct lv_map_options opt = {
	    .groups = set->groups,
	    .device_name_tags = set->device_name_tags,
	    .domain_uuid_tag = set->domain_uuid_tag,
	    .kvm_vcpu_stats = set->kvm_vcpu_stats,
	    .vcpu_cpu_id = set->vcpu_mapping && (set->groups & LV_GROUP_VCPU),
	};
	lv_mapper_init(&col->map, &opt, emit, emit_arg);
	col->bulk = lv_bulk_shared_new();
	lv_fallback_init(&col->fb);
	lv_vcpumap_init(&col->vcpus);
	lv_rows_init(&col->rows);
}

void lv_collector_free(struct lv_collector *col)
{
	lv_bulk_shared_unref(col->bulk);
	lv_mapper_free(&col->map);
	lv_fallback_free(&col->fb);
	lv_vcpumap_free(&col->vcpus);
	lv_rows_free(&col->rows);
}

/* A per-domain failure: the domain vanished (normal: destroyed between
 * list and stats; debug only), the connection died (stop), or something
 * else (counted, logged rate-limited). */
static void lv_domain_failed(struct lv_collector *col, struct lv_gather *g,
			     virDomainPtr dom, const char *what)
{
	const char *name = virDomainGetName(dom);
	if (lv_error_is_domain_gone()) {
		log_debug("domain %s: %s: %s", name ? name : "?", what,
			  lv_last_error());
		return;
	}
	if (virConnectIsAlive(g->c) != 1) {
		g->conn_dead = true;
		return;
	}
	g->errors++;
	log_limited(col->limiter, LOG_WARN, "domain statistics failed",
		    "domain %s: %s: %s", name ? name : "?", what,
		    lv_last_error());
}

static void lv_domain_extras(struct lv_collector *col, struct lv_gather *g,
			     virDomainPtr dom, const struct lv_domain_info *d,
			     bool partial)
{
	const struct lv_settings *set = col->set;
	/* virDomainGetDiskErrors takes the domain's job: not for a domain
	 * whose job is held (it would stall the gather NOWAIT avoided). */
	if (set->disk_errors && !partial) {
		virDomainDiskError errs[16];
		int n = virDomainGetDiskErrors(dom, errs, 16, 0);
		if (n < 0) {
			lv_domain_failed(col, g, dom, "virDomainGetDiskErrors");
		} else {
			lv_emit_disk_errors(&col->map, d, errs, n);
			for (int i = 0; i < n; i++)
				free(errs[i].disk);
		}
	}
	if (set->job_stats && !g->conn_dead) {
		int type = 0, n = 0;
		virTypedParameterPtr params = NULL;
		if (virDomainGetJobStats(dom, &type, &params, &n, 0) < 0) {
			if (!lv_error_is_unsupported())
				lv_domain_failed(col, g, dom,
						 "virDomainGetJobStats");
		} else {
			if (type != VIR_DOMAIN_JOB_NONE)
				lv_emit_job(&col->map, d, type, params, n);
			virTypedParamsFree(params, n);
		}
	}
}

/* Everything about one domain: its bulk statistics, the fallback groups,
 * the extras. partial: the statistics lack what needs the domain's job
 * (lv_rows.h), and nothing more that needs it is asked. */
static void lv_process(struct lv_collector *col, struct lv_gather *g,
		       virDomainPtr dom, const virTypedParameter *params,
		       int nparams, bool partial)
{
	const struct lv_settings *set = col->set;
	char uuid[VIR_UUID_STRING_BUFLEN];
	struct lv_domain_info d = {0};
	d.name = virDomainGetName(dom);
	if (!d.name)
		return;
	d.name_len = strlen(d.name);
	if (set->domain_uuid_tag && virDomainGetUUIDString(dom, uuid) == 0)
		d.uuid = uuid;

	int state = -1;
	if (nparams > 0) {
		state = lv_params_state(params, nparams);
	} else {
		int reason;
		if (virDomainGetState(dom, &state, &reason, 0) < 0) {
			lv_domain_failed(col, g, dom, "virDomainGetState");
			return;
		}
	}
	bool active = lv_state_active(state);

	if (set->vcpu_mapping) {
		if (lv_vcpumap_fetch(&col->vcpus, dom, active) == 0) {
			d.vcpu_pcpu = col->vcpus.pcpu;
			d.nvcpu_pcpu = (size_t)col->vcpus.nvcpus;
		} else {
			col->vcpus.nvcpus = 0;
			lv_domain_failed(col, g, dom, "vcpu mapping");
		}
	}

	struct lv_domain_result res;
	lv_map_domain(&col->map, &d, params, nparams, &res);
	g->domains++;

	/* The per-domain calls take the job the bulk call could not have. */
	if (active && g->missing && !partial && !g->conn_dead) {
		uint64_t before = col->fb.errors;
		int n = lv_fallback_collect(&col->fb, dom, g->missing);
		if (n > 0)
			lv_map_domain(&col->map, &d, col->fb.params, n, &res);
		else if (n < 0)
			lv_domain_failed(col, g, dom, "per-domain statistics");
		if (col->fb.errors > before) {
			g->errors += col->fb.errors - before;
			log_limited(col->limiter, LOG_WARN,
				    "per-domain call failed", "domain %s: %s",
				    d.name, col->fb.err);
		}
	}
	if (active && !g->conn_dead)
		lv_domain_extras(col, g, dom, &d, partial);
	if (set->vcpu_mapping) {
		const struct lv_vcpumap *vm = &col->vcpus;
		for (int i = 0; i < vm->nvcpus; i++)
			lv_emit_affinity(&col->map, &d, i,
					 vm->maps +
					     (size_t)i * (size_t)vm->maplen,
					 vm->maplen, vm->host_cpus);
	}
}

/* Learn which groups the driver's bulk call returns (from active domains)
 * until every group the fallback could fill is known to be there. */
static void lv_learn_groups(struct lv_collector *col,
			    virDomainStatsRecordPtr *recs, int n)
{
	unsigned want = col->set->groups & LV_FALLBACK_GROUPS;
	for (int i = 0; i < n && (col->driver_groups & want) != want; i++) {
		int state;
		unsigned g =
		    lv_params_groups(recs[i]->params, recs[i]->nparams, &state);
		if (lv_state_active(state))
			col->driver_groups |= g;
	}
}

static unsigned lv_stats_flags(const struct lv_collector *col)
{
	return col->no_nowait ? 0 : VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
}

/* The records of one bulk call: the partial ones asked again (lv_rows.h),
 * then each domain mapped. */
static void lv_process_records(struct lv_collector *col, struct lv_gather *g,
			       virDomainStatsRecordPtr *recs, int n)
{
	lv_learn_groups(col, recs, n);
	g->missing =
	    col->set->groups & LV_FALLBACK_GROUPS & ~col->driver_groups;
	const struct lv_rows_call call = {
	    .bulk = col->bulk,
	    .c = g->c,
	    .stats = g->req,
	    .flags = lv_stats_flags(col),
	    .deadline_ns = g->deadline,
	};
	lv_rows_complete(&col->rows, &call, recs, n);
	for (int i = 0; i < n && !g->conn_dead; i++) {
		bool partial, first, recovered;
		virDomainStatsRecordPtr rec = lv_rows_get(
		    &col->rows, recs, i, &partial, &first, &recovered);
		const char *name = virDomainGetName(rec->dom);
		if (partial) {
			g->skipped++;
			if (first)
				log_limited(
				    col->limiter, LOG_WARN, "domain busy",
				    "domain %s reported without the "
				    "statistics that need its job: the job "
				    "stayed busy past the %.1f s timeout "
				    "(another client holds it, or its QEMU "
				    "does not answer); counted in "
				    "skipped_locked until it is free",
				    name ? name : "?",
				    (double)col->set->timeout_ns / 1e9);
		} else if (recovered) {
			log_info("domain %s complete again", name ? name : "?");
		}
		lv_process(col, g, rec->dom, rec->params, rec->nparams,
			   partial);
	}
	lv_rows_batch_done(&col->rows);
}

/*
 * The bulk call for doms (NULL-terminated; NULL: every domain the state
 * filter lets through), with its deadline. A driver that refuses NOWAIT is
 * asked again without it (and remembered); a call that misses its deadline
 * is left behind and asked again once: with NOWAIT, the domain whose job
 * the stuck call holds is skipped and the others complete. Returns the
 * number of records, or -1 (g->err says why, g->conn_dead is set when the
 * connection died).
 */
static int lv_fetch(struct lv_collector *col, struct lv_gather *g,
		    virDomainPtr *doms, virDomainStatsRecordPtr **recs)
{
	const struct lv_settings *set = col->set;
	unsigned filter = doms ? 0 : LV_STATS_FILTER;
	bool retried_timeout = false;
	for (int attempt = 0; attempt < 3; attempt++) {
		struct lv_bulk_result r;
		int rc = lv_bulk_stats(col->bulk, g->c, doms, g->req,
				       filter | lv_stats_flags(col),
				       set->timeout_ns, &r);
		if (rc == LV_BULK_TOO_MANY) {
			snprintf(g->err, sizeof(g->err),
				 "%d statistics calls still hang; not starting "
				 "another",
				 LV_BULK_MAX_STUCK);
			return -1;
		}
		if (rc == LV_BULK_TIMEOUT) {
			g->timeouts++;
			g->errors++;
			log_limited(
			    col->limiter, LOG_WARN, "statistics call timed out",
			    "the statistics call to %s did not return "
			    "within %.1f s (a domain whose QEMU does not "
			    "answer?); asking again without waiting for "
			    "busy domains",
			    set->uri_shown, (double)set->timeout_ns / 1e9);
			snprintf(g->err, sizeof(g->err),
				 "the statistics call did not return within "
				 "%.1f s",
				 (double)set->timeout_ns / 1e9);
			if (retried_timeout || col->no_nowait)
				return -1; /* without NOWAIT it would hang too
					    */
			retried_timeout = true;
			continue;
		}
		if (r.n >= 0) {
			*recs = r.recs;
			return r.n;
		}
		snprintf(g->err, sizeof(g->err), "%s", r.msg);
		if (virConnectIsAlive(g->c) != 1) {
			g->conn_dead = true;
			return -1;
		}
		if (col->no_nowait || !lv_code_is_unsupported(r.code))
			return -1;
		/* A driver older than 4.5, or one without the flag. */
		log_debug("%s refuses NOWAIT (%s); asking without it",
			  set->uri_shown, r.msg);
		col->no_nowait = true;
	}
	return -1;
}

/* The domains to report, selected by name. -1 when the listing failed. */
static int lv_list(struct lv_collector *col, struct lv_gather *g,
		   virDomainPtr **doms)
{
	int n = virConnectListAllDomains(g->c, doms, LV_LIST_FLAGS);
	if (n < 0)
		return -1;
	if (col->set->ndomains == 0)
		return n;
	int kept = 0;
	for (int i = 0; i < n; i++) {
		const char *name = virDomainGetName((*doms)[i]);
		if (name && lv_settings_selects(col->set, name))
			(*doms)[kept++] = (*doms)[i];
		else
			virDomainFree((*doms)[i]);
	}
	return kept;
}

/* The bulk call failed on a live connection: ask each domain alone. */
static void lv_collect_each(struct lv_collector *col, struct lv_gather *g,
			    virDomainPtr *doms, int n)
{
	for (int i = 0; i < n && !g->conn_dead; i++) {
		virDomainPtr one[2] = {doms[i], NULL};
		virDomainStatsRecordPtr *recs = NULL;
		int k = lv_fetch(col, g, one, &recs);
		if (k < 0) {
			if (!g->conn_dead) {
				g->errors++;
				log_limited(col->limiter, LOG_WARN,
					    "domain statistics failed",
					    "domain %s: %s",
					    virDomainGetName(doms[i]), g->err);
			}
			continue;
		}
		lv_process_records(col, g, recs, k);
		virDomainStatsRecordListFree(recs);
	}
}

static void lv_free_domains(virDomainPtr *doms, int n)
{
	for (int i = 0; i < n; i++)
		virDomainFree(doms[i]);
	free(doms);
}

/* The bulk call failed on a live connection: say so (rate-limited), and
 * ask each of doms alone. */
static void lv_bulk_failed(struct lv_collector *col, struct lv_gather *g,
			   virDomainPtr *doms, int n)
{
	g->errors++;
	log_limited(col->limiter, LOG_WARN, "bulk statistics failed",
		    "bulk statistics of %s failed (%s); asking each domain "
		    "alone",
		    col->set->uri_shown, g->err);
	lv_collect_each(col, g, doms, n);
}

/* No `domains` filter: one call lists and collects. */
static int lv_collect_all(struct lv_collector *col, struct lv_gather *g)
{
	virDomainStatsRecordPtr *recs = NULL;
	int n = lv_fetch(col, g, NULL, &recs);
	if (n >= 0) {
		lv_process_records(col, g, recs, n);
		virDomainStatsRecordListFree(recs);
		return 0;
	}
	if (g->conn_dead)
		return -1;
	if (g->timeouts) /* asking each would hang on the same domain */
		return -1;
	virDomainPtr *doms = NULL;
	int nd = lv_list(col, g, &doms);
	if (nd < 0)
		return -1;
	lv_bulk_failed(col, g, doms, nd);
	lv_free_domains(doms, nd);
	return 0;
}

/* A `domains` filter, or no groups (vcpu_mapping only). */
static int lv_collect_listed(struct lv_collector *col, struct lv_gather *g)
{
	virDomainPtr *doms = NULL;
	int nd = lv_list(col, g, &doms);
	if (nd < 0) {
		if (virConnectIsAlive(g->c) != 1)
			g->conn_dead = true;
		snprintf(g->err, sizeof(g->err), "%s", lv_last_error());
		return -1;
	}
	if (col->after_list)
		col->after_list(col->after_list_arg, doms, nd);
	int rc = 0;
	if (!g->req) {
		for (int i = 0; i < nd && !g->conn_dead; i++)
			lv_process(col, g, doms[i], NULL, 0, false);
	} else if (nd > 0) {
		/* virDomainListGetStats wants a NULL-terminated list. */
		virDomainPtr *list =
		    realloc(doms, ((size_t)nd + 1) * sizeof(*doms));
		if (!list) {
			g->errors++;
			snprintf(g->err, sizeof(g->err), "out of memory");
			rc = -1;
		} else {
			doms = list;
			doms[nd] = NULL;
			virDomainStatsRecordPtr *recs = NULL;
			int n = lv_fetch(col, g, doms, &recs);
			if (n >= 0) {
				lv_process_records(col, g, recs, n);
				virDomainStatsRecordListFree(recs);
			} else if (g->conn_dead || g->timeouts) {
				rc = -1;
			} else {
				lv_bulk_failed(col, g, doms, nd);
			}
		}
	}
	lv_free_domains(doms, nd);
	return g->conn_dead ? -1 : rc;
}

static void lv_finish(struct lv_collector *col, struct lv_gather *g, int64_t t0)
{
	uint64_t dropped = col->map.dropped + col->map.no_memory;
	col->last.domains = g->domains;
	col->last.errors = g->errors + dropped;
	col->last.skipped_locked = g->skipped;
	col->last.duration_ns = telex_monotonic_ns() - t0;
	col->map.dropped = col->map.no_memory = 0;
	col->gathers++;
	lv_rows_end_gather(&col->rows);
	if (col->set->gather_stats)
		lv_emit_gather_stats(&col->map, &col->last);
}

/* A gather on c; t0: when it began (waiting for the connection counts). */
static int lv_collect_from(struct lv_collector *col, virConnectPtr c,
			   int64_t t0)
{
	struct lv_gather g = {.c = c};
	const struct lv_settings *set = col->set;
	col->map.time = telex_realtime_ns();
	if (set->timeout_ns > 0)
		g.deadline = telex_monotonic_ns() + set->timeout_ns;
	g.req = set->groups ? set->groups | LV_GROUP_STATE : 0;
	lv_fallback_begin(&col->fb);

	int rc;
	if (g.req && set->ndomains == 0)
		rc = lv_collect_all(col, &g);
	else
		rc = lv_collect_listed(col, &g);
	if (g.conn_dead)
		rc = -1;
	if (rc < 0) {
		g.errors++;
		/* A dead connection is reported by the connection (once);
		 * anything else here, rate-limited. */
		if (!(col->conn ? lv_conn_check(col->conn) : g.conn_dead))
			log_limited(col->limiter, LOG_WARN, "gather failed",
				    "gather from %s failed: %s", set->uri_shown,
				    g.err[0] ? g.err : "unknown error");
	}
	lv_finish(col, &g, t0);
	return rc;
}

int lv_collect_on(struct lv_collector *col, virConnectPtr c)
{
	return lv_collect_from(col, c, telex_monotonic_ns());
}

int lv_collect(struct lv_collector *col)
{
	int64_t t0 = telex_monotonic_ns();
	virConnectPtr c =
	    lv_conn_get(col->conn, lv_conn_dead_after_ns(col->conn));
	if (!c) {
		struct lv_gather g = {.errors = 1};
		col->map.time = telex_realtime_ns();
		lv_finish(col, &g, t0);
		return -1;
	}
	if (col->conn->generation != col->conn_gen) {
		/* Maybe another daemon version or host: learn again. */
		col->conn_gen = col->conn->generation;
		col->driver_groups = 0;
		col->no_nowait = false;
		lv_rows_reset(&col->rows);
		lv_fallback_reset(&col->fb);
		lv_vcpumap_reset(&col->vcpus);
	}
	return lv_collect_from(col, c, t0);
}
