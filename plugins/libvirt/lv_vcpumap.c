/*
 * lv_vcpumap.c: vcpu to host CPU mapping (lv_vcpumap.h).
 */
#include "lv_vcpumap.h"

#include <stdlib.h>
#include <string.h>

void lv_vcpumap_init(struct lv_vcpumap *vm)
{
	memset(vm, 0, sizeof(*vm));
}

void lv_vcpumap_free(struct lv_vcpumap *vm)
{
	free(vm->pcpu);
	free(vm->maps);
	free(vm->info);
	memset(vm, 0, sizeof(*vm));
}

void lv_vcpumap_reset(struct lv_vcpumap *vm)
{
	vm->host_cpus = 0;
}

static int lv_vcpumap_room(struct lv_vcpumap *vm, int n, int maplen)
{
	if ((size_t)n > vm->cap_vcpus) {
		int *p = realloc(vm->pcpu, (size_t)n * sizeof(*p));
		if (!p)
			return -1;
		vm->pcpu = p;
		virVcpuInfo *i = realloc(vm->info, (size_t)n * sizeof(*i));
		if (!i)
			return -1;
		vm->info = i;
		vm->cap_vcpus = (size_t)n;
	}
	size_t bytes = (size_t)n * (size_t)maplen;
	if (bytes > vm->cap_maps) {
		unsigned char *m = realloc(vm->maps, bytes);
		if (!m)
			return -1;
		vm->maps = m;
		vm->cap_maps = bytes;
	}
	return 0;
}

int lv_vcpumap_fetch(struct lv_vcpumap *vm, virDomainPtr dom, bool active)
{
	vm->nvcpus = 0;
	if (vm->host_cpus <= 0) {
		int n =
		    virNodeGetCPUMap(virDomainGetConnect(dom), NULL, NULL, 0);
		if (n <= 0) {
			virNodeInfo ni;
			if (virNodeGetInfo(virDomainGetConnect(dom), &ni) < 0)
				return -1;
			n = (int)(ni.nodes * ni.sockets * ni.cores *
				  ni.threads);
		}
		vm->host_cpus = n;
	}
	virDomainInfo info;
	if (virDomainGetInfo(dom, &info) < 0)
		return -1;
	int n = (int)info.nrVirtCpu;
	int maplen = VIR_CPU_MAPLEN(vm->host_cpus);
	if (n <= 0)
		return 0;
	if (lv_vcpumap_room(vm, n, maplen) < 0)
		return -1;
	memset(vm->maps, 0, (size_t)n * (size_t)maplen);
	for (int i = 0; i < n; i++)
		vm->pcpu[i] = -1;
	int got = -1;
	if (active) {
		got = virDomainGetVcpus(dom, vm->info, n, vm->maps, maplen);
		for (int i = 0; i < got; i++) {
			unsigned v = vm->info[i].number;
			if (v < (unsigned)n)
				vm->pcpu[v] = vm->info[i].cpu;
		}
	}
	if (got < 0) /* inactive, or no live data: the configured affinity */
		got = virDomainGetVcpuPinInfo(dom, n, vm->maps, maplen,
					      VIR_DOMAIN_AFFECT_CURRENT);
	if (got < 0)
		return -1;
	vm->nvcpus = got;
	vm->maplen = maplen;
	return 0;
}
