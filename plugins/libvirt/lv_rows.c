/*
 * lv_rows.c: partial records asked again within the gather's deadline
 * (lv_rows.h).
 */
#include "lv_rows.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lv_keys.h"
#include "telex/log.h"

enum {
	LV_ROW_COMPLETE = 0, /* as it came, or a complete one in its place */
	LV_ROW_ASK,	     /* partial, being asked again */
	LV_ROW_PARTIAL,	     /* partial, reported so */
};

#define LV_ROWS_FIRST_WAIT_NS 5000000LL	   /* 5 ms, doubling */
#define LV_ROWS_MAX_WAIT_NS 100000000LL	   /* to 100 ms */
#define LV_ROWS_NO_TIMEOUT_NS 5000000000LL /* timeout = 0: 5 s all the same */
#define LV_ROWS_IDLE_TO_TRUST                                                  \
	2 /* idle answers in a row without job                                 \
	     statistics before they are believed */

/* ------------------------------------------------------------------ */
/* Domains by UUID. */

static int lv_uuid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, VIR_UUID_BUFLEN);
}

/* Where uuid is or would go. */
static size_t lv_uuid_pos(const struct lv_uuid_set *s,
			  const unsigned char *uuid, bool *found)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = lv_uuid_cmp(s->v[mid], uuid);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static bool lv_uuid_has(const struct lv_uuid_set *s, const unsigned char *uuid)
{
	bool found;
	lv_uuid_pos(s, uuid, &found);
	return found;
}

/* Out of memory: the domain is not remembered, which costs time (it is
 * asked again), not data. */
static void lv_uuid_add(struct lv_uuid_set *s, const unsigned char *uuid)
{
	bool found;
	size_t at = lv_uuid_pos(s, uuid, &found);
	if (found)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		void *v = realloc(s->v, cap * sizeof(*s->v));
		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	memmove(s->v[at + 1], s->v[at], (s->n - at) * sizeof(*s->v));
	memcpy(s->v[at], uuid, VIR_UUID_BUFLEN);
	s->n++;
}

static void lv_uuid_del(struct lv_uuid_set *s, const unsigned char *uuid)
{
	bool found;
	size_t at = lv_uuid_pos(s, uuid, &found);
	if (!found)
		return;
	memmove(s->v[at], s->v[at + 1], (s->n - at - 1) * sizeof(*s->v));
	s->n--;
}

/* ------------------------------------------------------------------ */

void lv_rows_init(struct lv_rows *r)
{
	memset(r, 0, sizeof(*r));
}

void lv_rows_free(struct lv_rows *r)
{
	lv_rows_batch_done(r);
	free(r->kind);
	free(r->best);
	free(r->idle);
	free(r->lists);
	free(r->stuck.v);
	free(r->now.v);
	free(r->plain.v);
	memset(r, 0, sizeof(*r));
}

void lv_rows_reset(struct lv_rows *r)
{
	r->stuck.n = 0;
	r->plain.n = 0;
}

static int lv_rows_reserve(struct lv_rows *r, size_t n)
{
	if (n <= r->cap)
		return 0;
	unsigned char *kind = realloc(r->kind, n);
	if (!kind)
		return -1;
	r->kind = kind;
	unsigned char *idle = realloc(r->idle, n);
	if (!idle)
		return -1;
	r->idle = idle;
	virDomainStatsRecordPtr *best = realloc(r->best, n * sizeof(*best));
	if (!best)
		return -1;
	r->best = best;
	r->cap = n;
	return 0;
}

static int lv_rows_keep_list(struct lv_rows *r, virDomainStatsRecordPtr *list)
{
	if (r->nlists == r->lists_cap) {
		size_t cap = r->lists_cap ? 2 * r->lists_cap : 8;
		void *v = realloc(r->lists, cap * sizeof(*r->lists));
		if (!v)
			return -1;
		r->lists = v;
		r->lists_cap = cap;
	}
	r->lists[r->nlists++] = list;
	return 0;
}

/* No job, no monitor command in flight: the job is free. A driver
 * without the call (or an error) counts as idle: records are then taken
 * as they come. */
static bool lv_domain_idle(virDomainPtr dom)
{
	virDomainControlInfo info;
	if (virDomainGetControlInfo(dom, &info, 0) < 0)
		return true;
	return info.state == VIR_DOMAIN_CONTROL_OK;
}

static void lv_sleep_ns(int64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000LL),
			      .tv_nsec = (long)(ns % 1000000000LL)};
	while (nanosleep(&ts, &ts) < 0)
		;
}

/* One answer for record i (asked again): complete if it has job
 * statistics, or if the domain, idle twice in a row, has none to give. */
static bool lv_rows_take(struct lv_rows *r, int i, virDomainStatsRecordPtr got)
{
	unsigned char uuid[VIR_UUID_BUFLEN];
	bool have_uuid = virDomainGetUUID(got->dom, uuid) == 0;
	r->best[i] = got;
	if (lv_params_had_job(got->params, got->nparams)) {
		if (have_uuid)
			lv_uuid_del(&r->plain, uuid);
		r->kind[i] = LV_ROW_COMPLETE;
		r->completed++;
		return true;
	}
	r->idle[i] = lv_domain_idle(got->dom) ? r->idle[i] + 1 : 0;
	if (r->idle[i] < LV_ROWS_IDLE_TO_TRUST)
		return false;
	if (have_uuid)
		lv_uuid_add(&r->plain, uuid);
	r->kind[i] = LV_ROW_COMPLETE;
	r->completed++;
	return true;
}

/* The answers of one call: each given to the record of its domain
 * (virDomainListGetStats keeps the order; a domain gone meanwhile has no
 * answer, so match by UUID). Returns how many are done. */
static int lv_rows_match(struct lv_rows *r, virDomainStatsRecordPtr *recs,
			 int n, virDomainStatsRecordPtr *got, int ngot)
{
	int done = 0, from = 0;
	for (int j = 0; j < ngot; j++) {
		unsigned char want[VIR_UUID_BUFLEN], have[VIR_UUID_BUFLEN];
		if (virDomainGetUUID(got[j]->dom, want) < 0)
			continue;
		for (int k = 0; k < n; k++) {
			int i = (from + k) % n;
			if (r->kind[i] != LV_ROW_ASK ||
			    virDomainGetUUID(recs[i]->dom, have) < 0 ||
			    memcmp(want, have, VIR_UUID_BUFLEN) != 0)
				continue;
			done += lv_rows_take(r, i, got[j]);
			from = i + 1;
			break;
		}
	}
	return done;
}

/* Ask the records marked LV_ROW_ASK again until each is complete or the
 * deadline runs out; the rest are partial. */
static void lv_rows_ask(struct lv_rows *r, const struct lv_rows_call *call,
			virDomainStatsRecordPtr *recs, int n, int pending)
{
	int64_t t0 = telex_monotonic_ns();
	int64_t deadline =
	    call->deadline_ns ? call->deadline_ns : t0 + LV_ROWS_NO_TIMEOUT_NS;
	virDomainPtr *doms = malloc(((size_t)pending + 1) * sizeof(*doms));
	r->asked += (uint64_t)pending;
	int64_t wait = LV_ROWS_FIRST_WAIT_NS;
	while (doms && pending > 0) {
		if (telex_monotonic_ns() + wait >= deadline)
			break;
		lv_sleep_ns(wait);
		wait = wait * 2 < LV_ROWS_MAX_WAIT_NS ? wait * 2
						      : LV_ROWS_MAX_WAIT_NS;
		/* A call left hanging on a stuck domain: keep a slot for the
		 * next gather's bulk call. */
		if (atomic_load(&call->bulk->stuck) >= LV_BULK_MAX_STUCK - 1)
			break;
		int k = 0;
		for (int i = 0; i < n; i++)
			if (r->kind[i] == LV_ROW_ASK)
				doms[k++] = recs[i]->dom;
		doms[k] = NULL;
		struct lv_bulk_result res;
		int rc = lv_bulk_stats(call->bulk, call->c, doms, call->stats,
				       call->flags,
				       deadline - telex_monotonic_ns(), &res);
		r->calls++;
		if (rc != LV_BULK_DONE || res.n < 0) {
			if (rc == LV_BULK_DONE)
				log_debug("asking %d domains again failed: %s",
					  k, res.msg);
			break;
		}
		if (lv_rows_keep_list(r, res.recs) < 0) {
			virDomainStatsRecordListFree(res.recs);
			break;
		}
		pending -= lv_rows_match(r, recs, n, res.recs, res.n);
	}
	free(doms);
	for (int i = 0; i < n; i++)
		if (r->kind[i] == LV_ROW_ASK)
			r->kind[i] = LV_ROW_PARTIAL;
	int64_t took = telex_monotonic_ns() - t0;
	r->asked_ns += took;
	log_debug("asked again for what needs the domain's job: %d still "
		  "partial after %.1f ms",
		  pending, (double)took / 1e6);
}

void lv_rows_complete(struct lv_rows *r, const struct lv_rows_call *call,
		      virDomainStatsRecordPtr *recs, int n)
{
	lv_rows_batch_done(r);
	r->nbatch = 0;
	if (n <= 0 || lv_rows_reserve(r, (size_t)n) < 0)
		return; /* lv_rows_get gives the records as they are */
	r->nbatch = (size_t)n;
	memset(r->kind, LV_ROW_COMPLETE, (size_t)n);
	memset(r->idle, 0, (size_t)n);
	for (int i = 0; i < n; i++)
		r->best[i] = recs[i];
	/* A call that waited, or groups that take no job: complete. */
	if (!(call->flags & VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT) ||
	    !(call->stats & LV_JOB_GROUPS))
		return;
	int pending = 0;
	for (int i = 0; i < n; i++) {
		const virTypedParameter *p = recs[i]->params;
		int np = recs[i]->nparams;
		unsigned char uuid[VIR_UUID_BUFLEN];
		if (!lv_state_active(lv_params_state(p, np)) ||
		    virDomainGetUUID(recs[i]->dom, uuid) < 0)
			continue;
		if (lv_params_had_job(p, np)) {
			lv_uuid_del(&r->plain, uuid);
			continue;
		}
		if (lv_uuid_has(&r->plain, uuid))
			continue;
		/* Still busy since the last gather: not asked again. While a
		 * call of ours hangs on it, not even asked whether it is idle
		 * (each call then risks a lost wake-up, lv_bulk.c). */
		if (lv_uuid_has(&r->stuck, uuid) &&
		    (atomic_load(&call->bulk->stuck) > 0 ||
		     !lv_domain_idle(recs[i]->dom))) {
			r->kind[i] = LV_ROW_PARTIAL;
			continue;
		}
		r->kind[i] = LV_ROW_ASK;
		pending++;
	}
	if (pending)
		lv_rows_ask(r, call, recs, n, pending);
}

virDomainStatsRecordPtr lv_rows_get(struct lv_rows *r,
				    virDomainStatsRecordPtr *recs, int i,
				    bool *partial, bool *first, bool *recovered)
{
	*partial = *first = *recovered = false;
	if ((size_t)i >= r->nbatch)
		return recs[i];
	unsigned char uuid[VIR_UUID_BUFLEN];
	bool have_uuid = virDomainGetUUID(recs[i]->dom, uuid) == 0;
	bool was_stuck = have_uuid && lv_uuid_has(&r->stuck, uuid);
	if (r->kind[i] == LV_ROW_COMPLETE) {
		*recovered = was_stuck;
		return r->best[i];
	}
	*partial = true;
	*first = !was_stuck;
	if (have_uuid)
		lv_uuid_add(&r->now, uuid);
	return r->best[i];
}

void lv_rows_batch_done(struct lv_rows *r)
{
	for (size_t i = 0; i < r->nlists; i++)
		virDomainStatsRecordListFree(r->lists[i]);
	r->nlists = 0;
	r->nbatch = 0;
}

void lv_rows_end_gather(struct lv_rows *r)
{
	struct lv_uuid_set t = r->stuck;
	r->stuck = r->now;
	r->now = t;
	r->now.n = 0;
}
