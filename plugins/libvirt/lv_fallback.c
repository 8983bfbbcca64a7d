/*
 * lv_fallback.c: per-domain calls rendered as bulk statistics
 * (lv_fallback.h).
 *
 * Keys and value types follow what the QEMU driver's bulk call returns, so
 * that a dashboard cannot tell which path produced a metric. Values the
 * driver marks unknown (-1 in the legacy structs) are left out, as the bulk
 * call leaves them out.
 */
#include "lv_fallback.h"

#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_util.h"

void lv_fallback_init(struct lv_fallback *f)
{
	memset(f, 0, sizeof(*f));
	lv_devcache_init(&f->devices);
}

void lv_fallback_free(struct lv_fallback *f)
{
	free(f->params);
	lv_devcache_free(&f->devices);
	memset(f, 0, sizeof(*f));
}

void lv_fallback_begin(struct lv_fallback *f)
{
	lv_devcache_begin(&f->devices);
}

void lv_fallback_reset(struct lv_fallback *f)
{
	f->no_block_stats_flags = false;
	f->no_cpu_stats = false;
	f->no_memory_stats = false;
	lv_devcache_free(&f->devices);
	lv_devcache_init(&f->devices);
}

/* A new parameter named "<group><index>.<suffix>" (index < 0: none). */
static virTypedParameter *lv_param(struct lv_fallback *f, const char *group,
				   long index, const char *suffix, int type)
{
	if (f->nparams == f->cap) {
		int cap = f->cap ? f->cap * 2 : 64;
		void *p = realloc(f->params, (size_t)cap * sizeof(*f->params));
		if (!p)
			return NULL;
		f->params = p;
		f->cap = cap;
	}
	virTypedParameter *p = &f->params[f->nparams];
	char *o = p->field;
	size_t gl = strlen(group), sl = strlen(suffix);
	char digits[24];
	size_t dl = 0;
	if (index >= 0) {
		/* Digits backwards, then one copy: this runs per value. */
		char tmp[24];
		unsigned long v = (unsigned long)index;
		do {
			tmp[dl++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		for (size_t i = 0; i < dl; i++)
			digits[i] = tmp[dl - 1 - i];
		digits[dl++] = '.';
	}
	if (gl + dl + sl >= VIR_TYPED_PARAM_FIELD_LENGTH)
		return NULL;
	memcpy(o, group, gl);
	memcpy(o + gl, digits, dl);
	memcpy(o + gl + dl, suffix, sl + 1);
	p->type = type;
	f->nparams++;
	return p;
}

static void lv_ull(struct lv_fallback *f, const char *group, long index,
		   const char *suffix, unsigned long long v)
{
	virTypedParameter *p =
	    lv_param(f, group, index, suffix, VIR_TYPED_PARAM_ULLONG);
	if (p)
		p->value.ul = v;
}

/* A legacy-struct counter: -1 means the driver does not know it. */
static void lv_ll(struct lv_fallback *f, const char *group, long index,
		  const char *suffix, long long v)
{
	if (v >= 0)
		lv_ull(f, group, index, suffix, (unsigned long long)v);
}

static void lv_int(struct lv_fallback *f, const char *group, long index,
		   const char *suffix, int v)
{
	virTypedParameter *p =
	    lv_param(f, group, index, suffix, VIR_TYPED_PARAM_INT);
	if (p)
		p->value.i = v;
}

static void lv_str(struct lv_fallback *f, const char *group, long index,
		   const char *suffix, const char *v)
{
	virTypedParameter *p =
	    lv_param(f, group, index, suffix, VIR_TYPED_PARAM_STRING);
	if (p)
		p->value.s = (char *)v; /* not freed: owned by the cache */
}

/* A call failed: 1 if the domain is gone or the connection is dead (stop
 * this domain), 0 to go on with its other values. */
static int lv_failed(struct lv_fallback *f, virDomainPtr dom, const char *what)
{
	if (lv_error_is_domain_gone())
		return 1;
	if (virConnectIsAlive(virDomainGetConnect(dom)) != 1)
		return 1;
	f->errors++;
	snprintf(f->err, sizeof(f->err), "%s: %s", what, lv_last_error());
	return 0;
}

static int lv_fb_state(struct lv_fallback *f, virDomainPtr dom)
{
	int state, reason;
	if (virDomainGetState(dom, &state, &reason, 0) < 0)
		return lv_failed(f, dom, "virDomainGetState");
	lv_int(f, "state.", -1, "state", state);
	lv_int(f, "state.", -1, "reason", reason);
	return 0;
}

static int lv_fb_cpu(struct lv_fallback *f, virDomainPtr dom,
		     const virDomainInfo *info)
{
	if (!f->no_cpu_stats) {
		virTypedParameter p[8];
		int n = virDomainGetCPUStats(dom, p, 8, -1, 1, 0);
		if (n >= 0) {
			static const char *const names[][2] = {
			    {"cpu_time", "time"},
			    {"user_time", "user"},
			    {"system_time", "system"},
			};
			for (int i = 0; i < n; i++) {
				for (size_t k = 0; k < 3; k++) {
					if (strcmp(p[i].field, names[k][0]) ==
						0 &&
					    p[i].type == VIR_TYPED_PARAM_ULLONG)
						lv_ull(f, "cpu.", -1,
						       names[k][1],
						       p[i].value.ul);
				}
			}
			virTypedParamsClear(p, n);
			return 0;
		}
		if (!lv_error_is_unsupported())
			return lv_failed(f, dom, "virDomainGetCPUStats");
		f->no_cpu_stats = true;
	}
	lv_ull(f, "cpu.", -1, "time", info->cpuTime);
	return 0;
}

static const char *const lv_memory_stat_names[VIR_DOMAIN_MEMORY_STAT_NR] = {
    [VIR_DOMAIN_MEMORY_STAT_SWAP_IN] = "swap_in",
    [VIR_DOMAIN_MEMORY_STAT_SWAP_OUT] = "swap_out",
    [VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT] = "major_fault",
    [VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT] = "minor_fault",
    [VIR_DOMAIN_MEMORY_STAT_UNUSED] = "unused",
    [VIR_DOMAIN_MEMORY_STAT_AVAILABLE] = "available",
    [VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON] = "current",
    [VIR_DOMAIN_MEMORY_STAT_RSS] = "rss",
    [VIR_DOMAIN_MEMORY_STAT_USABLE] = "usable",
    [VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE] = "last-update",
    [VIR_DOMAIN_MEMORY_STAT_DISK_CACHES] = "disk_caches",
    [VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC] = "hugetlb_pgalloc",
    [VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL] = "hugetlb_pgfail",
};

static int lv_fb_balloon(struct lv_fallback *f, virDomainPtr dom,
			 const virDomainInfo *info)
{
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	int n = -1;
	if (!f->no_memory_stats) {
		n = virDomainMemoryStats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
		if (n < 0) {
			if (!lv_error_is_unsupported())
				return lv_failed(f, dom,
						 "virDomainMemoryStats");
			f->no_memory_stats = true;
		}
	}
	bool have_current = false;
	for (int i = 0; i < n; i++)
		have_current |=
		    st[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON;
	if (!have_current)
		lv_ull(f, "balloon.", -1, "current", info->memory);
	lv_ull(f, "balloon.", -1, "maximum", info->maxMem);
	for (int i = 0; i < n; i++) {
		if (st[i].tag < VIR_DOMAIN_MEMORY_STAT_NR &&
		    lv_memory_stat_names[st[i].tag])
			lv_ull(f, "balloon.", -1,
			       lv_memory_stat_names[st[i].tag], st[i].val);
	}
	return 0;
}

static int lv_fb_vcpu(struct lv_fallback *f, virDomainPtr dom,
		      const virDomainInfo *info)
{
	lv_ull(f, "vcpu.", -1, "current", info->nrVirtCpu);
	int max = virDomainGetMaxVcpus(dom);
	if (max >= 0)
		lv_ull(f, "vcpu.", -1, "maximum", (unsigned)max);
	else if (lv_failed(f, dom, "virDomainGetMaxVcpus"))
		return 1;
	if (info->nrVirtCpu == 0)
		return 0;
	virVcpuInfo small[16];
	virVcpuInfo *v = small;
	if (info->nrVirtCpu > 16) {
		v = calloc(info->nrVirtCpu, sizeof(*v));
		if (!v)
			return 0;
	}
	int n = virDomainGetVcpus(dom, v, (int)info->nrVirtCpu, NULL, 0);
	int rc = 0;
	if (n < 0)
		rc = lv_failed(f, dom, "virDomainGetVcpus");
	for (int i = 0; i < n; i++) {
		lv_int(f, "vcpu.", (long)v[i].number, "state", v[i].state);
		lv_ull(f, "vcpu.", (long)v[i].number, "time", v[i].cpuTime);
	}
	if (v != small)
		free(v);
	return rc;
}

static int lv_fb_interfaces(struct lv_fallback *f, virDomainPtr dom,
			    struct lv_devset *ds)
{
	lv_ull(f, "net.", -1, "count", ds->nnics);
	for (size_t i = 0; i < ds->nnics; i++) {
		long idx = (long)i;
		lv_str(f, "net.", idx, "name", ds->nics[i].name);
		virDomainInterfaceStatsStruct s;
		if (virDomainInterfaceStats(dom, ds->nics[i].name, &s,
					    sizeof(s)) < 0) {
			if (lv_failed(f, dom, "virDomainInterfaceStats"))
				return 1;
			ds->stale = 1;
			continue;
		}
		lv_ll(f, "net.", idx, "rx.bytes", s.rx_bytes);
		lv_ll(f, "net.", idx, "rx.pkts", s.rx_packets);
		lv_ll(f, "net.", idx, "rx.errs", s.rx_errs);
		lv_ll(f, "net.", idx, "rx.drop", s.rx_drop);
		lv_ll(f, "net.", idx, "tx.bytes", s.tx_bytes);
		lv_ll(f, "net.", idx, "tx.pkts", s.tx_packets);
		lv_ll(f, "net.", idx, "tx.errs", s.tx_errs);
		lv_ll(f, "net.", idx, "tx.drop", s.tx_drop);
	}
	return 0;
}

/* The typed block counters (with times and flushes) where the driver has
 * them. 1: done, 0: use the legacy struct, -1: failed. */
static int lv_fb_block_flags(struct lv_fallback *f, virDomainPtr dom,
			     const char *disk, long idx)
{
	static const char *const names[][2] = {
	    {VIR_DOMAIN_BLOCK_STATS_READ_REQ, "rd.reqs"},
	    {VIR_DOMAIN_BLOCK_STATS_READ_BYTES, "rd.bytes"},
	    {VIR_DOMAIN_BLOCK_STATS_READ_TOTAL_TIMES, "rd.times"},
	    {VIR_DOMAIN_BLOCK_STATS_WRITE_REQ, "wr.reqs"},
	    {VIR_DOMAIN_BLOCK_STATS_WRITE_BYTES, "wr.bytes"},
	    {VIR_DOMAIN_BLOCK_STATS_WRITE_TOTAL_TIMES, "wr.times"},
	    {VIR_DOMAIN_BLOCK_STATS_FLUSH_REQ, "fl.reqs"},
	    {VIR_DOMAIN_BLOCK_STATS_FLUSH_TOTAL_TIMES, "fl.times"},
	    {VIR_DOMAIN_BLOCK_STATS_ERRS, "errors"},
	};
	if (f->no_block_stats_flags)
		return 0;
	virTypedParameter p[16];
	int n = 16;
	if (virDomainBlockStatsFlags(dom, disk, p, &n,
				     VIR_TYPED_PARAM_STRING_OKAY) < 0) {
		if (lv_error_is_unsupported() &&
		    virGetLastErrorCode() == VIR_ERR_NO_SUPPORT) {
			f->no_block_stats_flags = true;
			return 0;
		}
		return -1;
	}
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			if (strcmp(p[i].field, names[k][0]) != 0)
				continue;
			if (p[i].type == VIR_TYPED_PARAM_LLONG)
				lv_ll(f, "block.", idx, names[k][1],
				      p[i].value.l);
			else if (p[i].type == VIR_TYPED_PARAM_ULLONG)
				lv_ull(f, "block.", idx, names[k][1],
				       p[i].value.ul);
		}
	}
	virTypedParamsClear(p, n);
	return 1;
}

static int lv_fb_blocks(struct lv_fallback *f, virDomainPtr dom,
			struct lv_devset *ds)
{
	lv_ull(f, "block.", -1, "count", ds->ndisks);
	for (size_t i = 0; i < ds->ndisks; i++) {
		long idx = (long)i;
		const char *disk = ds->disks[i].name;
		lv_str(f, "block.", idx, "name", disk);
		if (ds->disks[i].path)
			lv_str(f, "block.", idx, "path", ds->disks[i].path);
		int rc = lv_fb_block_flags(f, dom, disk, idx);
		if (rc == 0) {
			virDomainBlockStatsStruct s;
			rc = virDomainBlockStats(dom, disk, &s, sizeof(s));
			if (rc == 0) {
				lv_ll(f, "block.", idx, "rd.reqs", s.rd_req);
				lv_ll(f, "block.", idx, "rd.bytes", s.rd_bytes);
				lv_ll(f, "block.", idx, "wr.reqs", s.wr_req);
				lv_ll(f, "block.", idx, "wr.bytes", s.wr_bytes);
				lv_ll(f, "block.", idx, "errors", s.errs);
			}
		}
		if (rc < 0) {
			if (lv_failed(f, dom, "virDomainBlockStats"))
				return 1;
			ds->stale = 1;
			continue;
		}
		virDomainBlockInfo bi;
		if (virDomainGetBlockInfo(dom, disk, &bi, 0) < 0) {
			if (lv_failed(f, dom, "virDomainGetBlockInfo"))
				return 1;
			continue;
		}
		lv_ull(f, "block.", idx, "allocation", bi.allocation);
		lv_ull(f, "block.", idx, "capacity", bi.capacity);
		lv_ull(f, "block.", idx, "physical", bi.physical);
	}
	return 0;
}

int lv_fallback_collect(struct lv_fallback *f, virDomainPtr dom,
			unsigned groups)
{
	f->nparams = 0;
	virDomainInfo info;
	bool need_info =
	    groups & (VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |
		      VIR_DOMAIN_STATS_VCPU);
	if (need_info && virDomainGetInfo(dom, &info) < 0)
		return lv_failed(f, dom, "virDomainGetInfo") ? -1 : 0;

	struct lv_devset *ds = NULL;
	if (groups & (VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK)) {
		char err[200];
		ds = lv_devcache_get(&f->devices, dom, err, sizeof(err));
		if (!ds) {
			if (lv_error_is_domain_gone())
				return -1;
			f->errors++;
			snprintf(f->err, sizeof(f->err), "%s", err);
			groups &= ~(unsigned)(VIR_DOMAIN_STATS_INTERFACE |
					      VIR_DOMAIN_STATS_BLOCK);
		}
	}
	if ((groups & VIR_DOMAIN_STATS_STATE) && lv_fb_state(f, dom))
		return -1;
	if ((groups & VIR_DOMAIN_STATS_CPU_TOTAL) && lv_fb_cpu(f, dom, &info))
		return -1;
	if ((groups & VIR_DOMAIN_STATS_BALLOON) && lv_fb_balloon(f, dom, &info))
		return -1;
	if ((groups & VIR_DOMAIN_STATS_VCPU) && lv_fb_vcpu(f, dom, &info))
		return -1;
	if ((groups & VIR_DOMAIN_STATS_INTERFACE) &&
	    lv_fb_interfaces(f, dom, ds))
		return -1;
	if ((groups & VIR_DOMAIN_STATS_BLOCK) && lv_fb_blocks(f, dom, ds))
		return -1;
	return f->nparams;
}
