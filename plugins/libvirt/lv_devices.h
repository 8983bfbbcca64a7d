/*
 * lv_devices.h: the disks and NICs of each domain, read from its XML and
 * cached by UUID, for the per-domain fallback (the per-device calls need the
 * device names the bulk call would have reported).
 *
 * The XML is read again when the domain restarts (its id changes), when a
 * device call failed (a hot-unplugged device), and every LV_DEVICES_MAX_AGE
 * gathers (hot-plug), so the cost is one virDomainGetXMLDesc per domain
 * every few dozen gathers instead of one per gather.
 */
#ifndef LV_DEVICES_H
#define LV_DEVICES_H

#include <libvirt/libvirt.h>
#include <stddef.h>
#include <stdint.h>

#define LV_DEVICES_MAX_AGE 30

struct lv_device {
	const char *name; /* target dev: "vda", "vnet0" */
	const char *path; /* disk source, or NULL */
};

struct lv_devset {
	unsigned char uuid[VIR_UUID_BUFLEN];
	int id;		  /* domain id when read (-1: inactive) */
	uint32_t seen;	  /* generation of the last gather that used it */
	uint32_t read_at; /* generation when the XML was read */
	int stale;	  /* read again at the next use */
	struct lv_device *disks, *nics;
	size_t ndisks, nnics;
	char *strings; /* one allocation holding every name and path */
};

struct lv_devcache {
	struct lv_devset **slots; /* open addressing by UUID, NULL = free */
	size_t cap, n;
	uint32_t gen;
};

void lv_devcache_init(struct lv_devcache *c);
void lv_devcache_free(struct lv_devcache *c);

/* Start a gather: entries not used since the previous call are dropped. */
void lv_devcache_begin(struct lv_devcache *c);

/* The devices of dom, read or refreshed as needed. NULL when the XML
 * cannot be read (err names why). */
struct lv_devset *lv_devcache_get(struct lv_devcache *c, virDomainPtr dom,
				  char *err, size_t errlen);

/* Parse a domain XML into set (names and paths copied). 0, or -1 when out
 * of memory. Exposed for tests. */
int lv_devices_parse(const char *xml, struct lv_devset *set);
void lv_devset_clear(struct lv_devset *set);

#endif
