/*
 * lv_keys.c: libvirt's statistics keys, parsed in place (lv_keys.h):
 * "block.1.rd.reqs" is group block, index "1", suffix "rd.reqs", which the
 * schema maps to field rd_reqs of libvirt_block. Keys are split the native
 * plugin's way: at the first '.', then by the shape of each group.
 */
#include "lv_keys.h"

#include <string.h>

#include "lv_map.h"

/* A key split into its parts. */
struct lv_split {
	int meas; /* enum lv_meas, -1: dropped */
	int key;  /* index in the measurement's keys, -1: extra */
	const char *i1, *i2;
	size_t i1len, i2len;
	const char *extra; /* kvm stat key after the index ("exits.sum") */
	size_t extra_len;
};

/* Ordered so that the groups sharing a first letter are neighbours. */
static const struct {
	const char *prefix;
	size_t len;
	unsigned group;
} lv_groups[] = {
    {"state.", 6, LV_GROUP_STATE},     {"cpu.", 4, LV_GROUP_CPU},
    {"balloon.", 8, LV_GROUP_BALLOON}, {"block.", 6, LV_GROUP_BLOCK},
    {"vcpu.", 5, LV_GROUP_VCPU},       {"net.", 4, LV_GROUP_INTERFACE},
    {"perf.", 5, LV_GROUP_PERF},       {"iothread.", 9, LV_GROUP_IOTHREAD},
    {"memory.", 7, LV_GROUP_MEMORY},   {"dirtyrate.", 10, LV_GROUP_DIRTYRATE},
};

static const char *const lv_group_names[] = {
    "state", "cpu_total", "balloon",  "vcpu",	"interface",
    "block", "perf",	  "iothread", "memory", "dirtyrate",
};

const char *lv_group_name(unsigned bit)
{
	for (unsigned i = 0; i < 10; i++)
		if (bit == 1u << i)
			return lv_group_names[i];
	return "?";
}

unsigned lv_group_bit(const char *name)
{
	for (unsigned i = 0; i < 10; i++)
		if (strcmp(name, lv_group_names[i]) == 0)
			return 1u << i;
	return 0;
}

/* The group a key belongs to (its first component), 0 for others. */
static unsigned lv_key_group(const char *k, size_t n, size_t *prefix_len)
{
	unsigned lo, hi; /* candidates in lv_groups[] by first letter */
	switch (k[0]) {
	case 's':
		lo = 0, hi = 1;
		break;
	case 'c':
		lo = 1, hi = 2;
		break;
	case 'b':
		lo = 2, hi = 4;
		break;
	case 'v':
		lo = 4, hi = 5;
		break;
	case 'n':
		lo = 5, hi = 6;
		break;
	case 'p':
		lo = 6, hi = 7;
		break;
	case 'i':
		lo = 7, hi = 8;
		break;
	case 'm':
		lo = 8, hi = 9;
		break;
	case 'd':
		lo = 9, hi = 10;
		break;
	default:
		return 0;
	}
	for (unsigned i = lo; i < hi; i++) {
		if (n > lv_groups[i].len &&
		    memcmp(k, lv_groups[i].prefix, lv_groups[i].len) == 0) {
			*prefix_len = lv_groups[i].len;
			return lv_groups[i].group;
		}
	}
	return 0;
}

/* Length of the index at s (up to the next '.'), 0 when there is no
 * non-empty index followed by a '.' and a non-empty rest. */
static size_t lv_index(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	if (!dot || dot == s || (size_t)(dot - s) + 1 >= n)
		return 0;
	return (size_t)(dot - s);
}

static bool lv_is(const char *s, size_t n, const char *lit, size_t litlen)
{
	return n == litlen && memcmp(s, lit, litlen) == 0;
}

static bool lv_starts(const char *s, size_t n, const char *lit, size_t litlen)
{
	return n > litlen && memcmp(s, lit, litlen) == 0;
}

/* "<index>.<suffix>" of a device group, or "count". */
static void lv_ref_device(struct lv_split *r, const char *s, size_t n,
			  int total, int dev)
{
	if (lv_is(s, n, "count", 5)) {
		r->meas = total;
		r->key = 0;
		return;
	}
	size_t il = lv_index(s, n);
	if (!il)
		return;
	r->meas = dev;
	r->i1 = s, r->i1len = il;
	r->extra = s + il + 1, r->extra_len = n - il - 1;
}

/* "<prefix><id>.<fields>" with an optional "<sub>.<index>.<fields>" level
 * (cpu.cache.monitor.N.bank.M.*, memory.bandwidth.monitor.N.node.M.*). */
static void lv_ref_monitor(struct lv_split *r, const char *s, size_t n,
			   int total, int mon, int sub, const char *sublit,
			   size_t sublen, const char *countlit, size_t countlen)
{
	if (lv_is(s, n, "count", 5)) {
		r->meas = total;
		r->key = 0;
		return;
	}
	size_t il = lv_index(s, n);
	if (!il)
		return;
	const char *rest = s + il + 1;
	size_t rn = n - il - 1;
	r->i1 = s, r->i1len = il;
	if (lv_starts(rest, rn, sublit, sublen) &&
	    !lv_is(rest, rn, countlit, countlen)) {
		const char *q = rest + sublen;
		size_t qn = rn - sublen;
		size_t jl = lv_index(q, qn);
		if (!jl)
			return;
		r->meas = sub;
		r->i2 = q, r->i2len = jl;
		r->extra = q + jl + 1, r->extra_len = qn - jl - 1;
		return;
	}
	r->meas = mon;
	r->extra = rest, r->extra_len = rn;
}

/* Split key k (length n, after its group prefix) into r; r->extra holds
 * the suffix still to look up. */
static void lv_ref_parse(struct lv_split *r, unsigned group, const char *s,
			 size_t n)
{
	r->meas = -1;
	r->key = -1;
	r->i1 = r->i2 = r->extra = NULL;
	r->i1len = r->i2len = r->extra_len = 0;
	switch (group) {
	case LV_GROUP_STATE:
		r->meas = LV_M_STATE;
		break;
	case LV_GROUP_BALLOON:
		r->meas = LV_M_BALLOON;
		break;
	case LV_GROUP_PERF:
		r->meas = LV_M_PERF;
		break;
	case LV_GROUP_CPU:
		if (lv_starts(s, n, "cache.monitor.", 14)) {
			lv_ref_monitor(r, s + 14, n - 14, LV_M_CPU_CACHE_TOTAL,
				       LV_M_CPU_CACHE, LV_M_CPU_CACHE_BANK,
				       "bank.", 5, "bank.count", 10);
			return;
		}
		r->meas = LV_M_CPU;
		break;
	case LV_GROUP_VCPU:
		if (s[0] < '0' || s[0] > '9') {
			r->meas = LV_M_VCPU_TOTAL;
			break;
		}
		lv_ref_device(r, s, n, LV_M_VCPU_TOTAL, LV_M_VCPU);
		return;
	case LV_GROUP_INTERFACE:
		lv_ref_device(r, s, n, LV_M_NET_TOTAL, LV_M_NET);
		return;
	case LV_GROUP_BLOCK:
		lv_ref_device(r, s, n, LV_M_BLOCK_TOTAL, LV_M_BLOCK);
		return;
	case LV_GROUP_IOTHREAD:
		lv_ref_device(r, s, n, LV_M_IOTHREAD_TOTAL, LV_M_IOTHREAD);
		return;
	case LV_GROUP_MEMORY:
		if (lv_starts(s, n, "bandwidth.monitor.", 18))
			lv_ref_monitor(r, s + 18, n - 18, LV_M_MBM_TOTAL,
				       LV_M_MBM, LV_M_MBM_NODE, "node.", 5,
				       "node.count", 10);
		return;
	case LV_GROUP_DIRTYRATE:
		if (lv_starts(s, n, "vcpu.", 5)) {
			size_t il = lv_index(s + 5, n - 5);
			if (!il)
				return;
			r->meas = LV_M_DIRTYRATE_VCPU;
			r->i1 = s + 5, r->i1len = il;
			r->extra = s + 5 + il + 1, r->extra_len = n - 6 - il;
			return;
		}
		r->meas = LV_M_DIRTYRATE;
		break;
	default:
		return;
	}
	r->extra = s, r->extra_len = n;
}

/* kvm_vcpu_stats: "<name>.sum|cur|max", exactly one dot. */
static bool lv_is_kvm_stat(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	if (!dot || dot == s || memchr(dot + 1, '.', n - (size_t)(dot - s) - 1))
		return false;
	size_t tl = n - (size_t)(dot - s) - 1;
	return lv_is(dot + 1, tl, "sum", 3) || lv_is(dot + 1, tl, "cur", 3) ||
	       lv_is(dot + 1, tl, "max", 3);
}

/* Keys the QEMU driver returns only while it holds the domain's job (it
 * asks QEMU's monitor for them); the others come from the domain's
 * definition, cgroups or /proc and are there either way. */
static bool lv_key_needs_job(unsigned group, const char *s, size_t n)
{
	size_t il;
	switch (group) {
	case LV_GROUP_CPU:
		return lv_starts(s, n, "haltpoll.", 9);
	case LV_GROUP_BALLOON:
		return !lv_is(s, n, "current", 7) && !lv_is(s, n, "maximum", 7);
	case LV_GROUP_VCPU: /* KVM's N.<name>.sum|cur|max */
		il = lv_index(s, n);
		return il && memchr(s + il + 1, '.', n - il - 1) != NULL;
	case LV_GROUP_BLOCK: /* N.rd.*, N.wr.*, N.fl.*: query-blockstats */
		il = lv_index(s, n);
		return il && (lv_starts(s + il + 1, n - il - 1, "rd.", 3) ||
			      lv_starts(s + il + 1, n - il - 1, "wr.", 3) ||
			      lv_starts(s + il + 1, n - il - 1, "fl.", 3));
	case LV_GROUP_IOTHREAD:
	case LV_GROUP_DIRTYRATE:
		return true;
	default:
		return false;
	}
}

bool lv_params_had_job(const virTypedParameter *params, int nparams)
{
	for (int i = 0; i < nparams; i++) {
		const char *k = params[i].field;
		size_t n = strnlen(k, VIR_TYPED_PARAM_FIELD_LENGTH);
		size_t plen = 0;
		unsigned g = lv_key_group(k, n, &plen);
		if (g && lv_key_needs_job(g, k + plen, n - plen))
			return true;
	}
	return false;
}

int lv_params_state(const virTypedParameter *params, int nparams)
{
	int state;
	/* state.state comes first: look there before reading every key. */
	lv_params_groups(params, nparams > 2 ? 2 : nparams, &state);
	if (state < 0)
		lv_params_groups(params, nparams, &state);
	return state;
}

bool lv_state_active(int state)
{
	return state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED ||
	       state == VIR_DOMAIN_PAUSED || state == VIR_DOMAIN_SHUTDOWN ||
	       state == VIR_DOMAIN_PMSUSPENDED;
}

unsigned lv_params_groups(const virTypedParameter *params, int nparams,
			  int *state)
{
	unsigned groups = 0;
	*state = -1;
	for (int i = 0; i < nparams; i++) {
		const virTypedParameter *p = &params[i];
		size_t n = strnlen(p->field, VIR_TYPED_PARAM_FIELD_LENGTH);
		size_t plen = 0;
		unsigned g = lv_key_group(p->field, n, &plen);
		groups |= g;
		if (g == LV_GROUP_STATE && p->type == VIR_TYPED_PARAM_INT &&
		    lv_is(p->field + plen, n - plen, "state", 5))
			*state = p->value.i;
	}
	return groups;
}

void lv_key_parse(const char *field, size_t n, const struct lv_key_options *o,
		  uint8_t *guess, struct lv_key_info *out)
{
	memset(out, 0, sizeof(*out));
	out->meas = -1;
	out->key = -1;
	size_t plen = 0;
	out->group = lv_key_group(field, n, &plen);
	out->state_key = out->group == LV_GROUP_STATE &&
			 lv_is(field + plen, n - plen, "state", 5);
	if (!out->group || !(o->groups & out->group))
		return;
	struct lv_split r;
	lv_ref_parse(&r, out->group, field + plen, n - plen);
	if (r.meas < 0)
		return;
	if (r.key < 0)
		r.key = lv_schema_find(&lv_schema[r.meas], r.extra, r.extra_len,
				       &guess[r.meas]);
	if (r.key < 0 && !(r.meas == LV_M_VCPU && o->kvm_vcpu_stats &&
			   lv_is_kvm_stat(r.extra, r.extra_len)))
		return;
	out->meas = (int8_t)r.meas;
	out->key = (int8_t)r.key;
	out->i1off = (uint8_t)(r.i1 ? r.i1 - field : 0);
	out->i1len = (uint8_t)r.i1len;
	out->i2off = (uint8_t)(r.i2 ? r.i2 - field : 0);
	out->i2len = (uint8_t)r.i2len;
	out->xoff = (uint8_t)(r.extra ? r.extra - field : 0);
	out->xlen = (uint8_t)r.extra_len;
}
