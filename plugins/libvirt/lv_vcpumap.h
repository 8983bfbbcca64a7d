/*
 * lv_vcpumap.h: the native additional statistic vcpu_mapping: for each
 * vcpu of a domain, the host CPU it runs on now (running domains) and the
 * host CPUs it may run on (its affinity mask).
 */
#ifndef LV_VCPUMAP_H
#define LV_VCPUMAP_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

struct lv_vcpumap {
	int host_cpus;	     /* 0: not known yet (per connection) */
	int nvcpus;	     /* of the last fetch */
	int maplen;	     /* bytes per vcpu in maps */
	int *pcpu;	     /* pcpu[i] of vcpu i, -1 unknown */
	unsigned char *maps; /* nvcpus * maplen */
	virVcpuInfo *info;
	size_t cap_vcpus, cap_maps;
};

void lv_vcpumap_init(struct lv_vcpumap *vm);
void lv_vcpumap_free(struct lv_vcpumap *vm);
/* A new connection may be another host. */
void lv_vcpumap_reset(struct lv_vcpumap *vm);

/* Fetch the mapping of dom. 0, or -1 (libvirt's error is set). */
int lv_vcpumap_fetch(struct lv_vcpumap *vm, virDomainPtr dom, bool active);

#endif
