/*
 * lpgen.c: deterministic libvirt-style lines (see lpgen.h).
 *
 * Floats are written with lp_format_float, so the lines are exactly what
 * Telegraf would write for such metrics; tags are in key order, as
 * Telegraf sorts them.
 */
#include "lpgen.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "telex/lp.h"

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t lpgen_next(struct lpgen *g)
{
	uint64_t z = (g->state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint64_t lpgen_below(struct lpgen *g, uint64_t n)
{
	return lpgen_next(g) % n;
}

void lpgen_init(struct lpgen *g, uint64_t seed)
{
	g->state = seed;
	g->count = 0;
	g->time = 1700000000000000000;
}

/* The common tags of one domain: dc, domain_name, host, rack. */
struct lpgen_vm {
	unsigned dc, host, rack, domain;
};

static struct lpgen_vm lpgen_pick_vm(struct lpgen *g)
{
	struct lpgen_vm vm;
	vm.host = (unsigned)lpgen_below(g, 200);
	vm.dc = 1 + vm.host % 4;
	vm.rack = 1 + vm.host % 24;
	unsigned k = (unsigned)lpgen_below(g, 40);
	vm.domain = vm.host * 40 + k;
	return vm;
}

static int lpgen_float(struct buf *out, const char *key, double v)
{
	char num[LP_FLOAT_MAX];
	size_t n = lp_format_float(v, num);
	return buf_printf(out, ",%s=%.*s", key, (int)n, num);
}

/*
 * Every random draw is its own statement: the order in which a call's
 * arguments are evaluated is up to the compiler, and the lines must not be.
 */
static int lpgen_block(struct lpgen *g, struct buf *out, struct lpgen_vm vm)
{
	static const char *const dev[] = {"vda", "vdb", "sda"};
	unsigned id = (unsigned)lpgen_below(g, 3);
	uint64_t rd = lpgen_below(g, 40000000);
	uint64_t rd_bytes = rd * 4096 + lpgen_below(g, 4096);
	uint64_t wr = lpgen_below(g, 9000000);
	uint64_t wr_bytes = wr * 8192 + lpgen_below(g, 8192);
	unsigned errors = (unsigned)lpgen_below(g, 2);
	return buf_printf(
	    out,
	    "libvirt_block,block_id=%u,dc=dc%u,domain_name=vm-%05u,"
	    "host=kvm-%03u,rack=r%02u name=\"%s\",path=\"/var/lib/libvirt/"
	    "images/vm-%05u-%s.qcow2\",rd_reqs=%" PRIu64 "i,rd_bytes=%" PRIu64
	    "i,wr_reqs=%" PRIu64 "i,wr_bytes=%" PRIu64 "i,errors=%ui",
	    id, vm.dc, vm.domain, vm.host, vm.rack, dev[id], vm.domain, dev[id],
	    rd, rd_bytes, wr, wr_bytes, errors);
}

static int lpgen_net(struct lpgen *g, struct buf *out, struct lpgen_vm vm)
{
	unsigned iface = (unsigned)lpgen_below(g, 2);
	unsigned vnet = (unsigned)lpgen_below(g, 400);
	uint64_t rxp = lpgen_below(g, 90000000);
	uint64_t rx_bytes = rxp * 900 + lpgen_below(g, 900);
	unsigned rx_drop = (unsigned)lpgen_below(g, 50);
	uint64_t txp = lpgen_below(g, 60000000);
	uint64_t tx_bytes = txp * 700 + lpgen_below(g, 700);
	return buf_printf(
	    out,
	    "libvirt_net,dc=dc%u,domain_name=vm-%05u,host=kvm-%03u,"
	    "interface_id=%u,rack=r%02u name=\"vnet%u\",rx_bytes=%" PRIu64
	    "i,rx_pkts=%" PRIu64 "i,rx_errs=0i,rx_drop=%ui,tx_bytes=%" PRIu64
	    "i,tx_pkts=%" PRIu64 "i,tx_errs=0i,tx_drop=0i",
	    vm.dc, vm.domain, vm.host, iface, vm.rack, vnet, rx_bytes, rxp,
	    rx_drop, tx_bytes, txp);
}

static int lpgen_cpu(struct lpgen *g, struct buf *out, struct lpgen_vm vm)
{
	uint64_t user = lpgen_below(g, 900000000000), sys = user / 7;
	double usage = (double)lpgen_below(g, 1000000) / 10000.0;
	double steal = (double)lpgen_below(g, 512) / 256.0;
	if (buf_printf(out,
		       "libvirt_cpu,dc=dc%u,domain_name=vm-%05u,host=kvm-%03u,"
		       "rack=r%02u time=%" PRIu64 "i,user=%" PRIu64
		       "i,system=%" PRIu64 "i",
		       vm.dc, vm.domain, vm.host, vm.rack, user + sys, user,
		       sys) < 0 ||
	    lpgen_float(out, "usage_percent", usage) < 0)
		return -1;
	return lpgen_float(out, "steal_percent", steal);
}

static int lpgen_vcpu(struct lpgen *g, struct buf *out, struct lpgen_vm vm)
{
	unsigned vcpu = (unsigned)lpgen_below(g, 16);
	bool halted = lpgen_below(g, 4) == 0;
	uint64_t t = lpgen_below(g, 500000000000);
	double usage = (double)lpgen_below(g, 10000) / 100.0;
	if (buf_printf(out,
		       "libvirt_vcpu,dc=dc%u,domain_name=vm-%05u,host=kvm-%03u,"
		       "rack=r%02u,vcpu_id=%u state=1i,time=%" PRIu64
		       "i,wait=%" PRIu64 "i,delay=%" PRIu64
		       "i,halted=\"%s\",halted_i=%di",
		       vm.dc, vm.domain, vm.host, vm.rack, vcpu, t, t / 50,
		       t / 300, halted ? "yes" : "no", halted) < 0)
		return -1;
	return lpgen_float(out, "usage_percent", usage);
}

static int lpgen_balloon(struct lpgen *g, struct buf *out, struct lpgen_vm vm)
{
	uint64_t max = (uint64_t)(1 + lpgen_below(g, 32)) << 20;
	uint64_t unused = lpgen_below(g, max);
	unsigned major = (unsigned)lpgen_below(g, 100);
	uint64_t minor = lpgen_below(g, 90000000);
	if (buf_printf(out,
		       "libvirt_balloon,dc=dc%u,domain_name=vm-%05u,"
		       "host=kvm-%03u,rack=r%02u current=%" PRIu64
		       "i,maximum=%" PRIu64 "i,swap_in=0i,swap_out=0i,"
		       "major_fault=%ui,minor_fault=%" PRIu64
		       "i,unused=%" PRIu64 "i,available=%" PRIu64
		       "i,rss=%" PRIu64 "i",
		       vm.dc, vm.domain, vm.host, vm.rack, max, max, major,
		       minor, unused, max - 1024, max - unused / 2) < 0)
		return -1;
	return lpgen_float(out, "usable_ratio", (double)unused / (double)max);
}

int lpgen_line(struct lpgen *g, struct buf *out)
{
	struct lpgen_vm vm = lpgen_pick_vm(g);
	unsigned kind = (unsigned)lpgen_below(g, 10);
	int rc;
	if (kind < 3)
		rc = lpgen_block(g, out, vm);
	else if (kind < 5)
		rc = lpgen_net(g, out, vm);
	else if (kind < 7)
		rc = lpgen_cpu(g, out, vm);
	else if (kind < 9)
		rc = lpgen_vcpu(g, out, vm);
	else
		rc = lpgen_balloon(g, out, vm);
	if (rc < 0 || buf_printf(out, " %" PRId64 "\n", g->time) < 0)
		return -1;
	g->count++;
	/* 200 hosts x 40 domains report every 10 s: the clock moves by
	 * 10 s / 8000 lines on average. */
	g->time += 1250000;
	return 0;
}

int lpgen_fill(struct lpgen *g, struct buf *out, size_t bytes)
{
	size_t want = out->len + bytes;
	while (out->len < want)
		if (lpgen_line(g, out) < 0)
			return -1;
	return 0;
}
