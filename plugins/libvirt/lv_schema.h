/*
 * lv_schema.h: the native inputs.libvirt schema as tables: every
 * measurement, its index tags, and for each libvirt key suffix the field it
 * becomes. The mapper looks keys up here; tests and the README are checked
 * against the same tables.
 */
#ifndef LV_SCHEMA_H
#define LV_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

enum lv_meas {
	LV_M_STATE,
	LV_M_CPU,
	LV_M_CPU_CACHE_TOTAL,
	LV_M_CPU_CACHE,
	LV_M_CPU_CACHE_BANK,
	LV_M_BALLOON,
	LV_M_VCPU_TOTAL,
	LV_M_VCPU,
	LV_M_NET_TOTAL,
	LV_M_NET,
	LV_M_PERF,
	LV_M_BLOCK_TOTAL,
	LV_M_BLOCK,
	LV_M_IOTHREAD_TOTAL,
	LV_M_IOTHREAD,
	LV_M_MBM_TOTAL,
	LV_M_MBM,
	LV_M_MBM_NODE,
	LV_M_DIRTYRATE,
	LV_M_DIRTYRATE_VCPU,
	LV_M_COUNT
};

/* Most fields one measurement can have (perf has 22). */
#define LV_MAX_KEYS 32

enum {
	LV_KEY_HALTED = 1 << 0, /* also emit halted_i */
	LV_KEY_NAME = 1 << 1,	/* the device name (device_name_tags) */
};

struct lv_key {
	const char *suffix; /* libvirt's key after the group and index */
	const char *field;  /* the native field name */
	uint8_t slen, flen;
	uint8_t flags;
};

struct lv_meas_def {
	const char *name;     /* "libvirt_block" */
	const char *tag1;     /* index tag ("block_id"), or NULL */
	const char *tag2;     /* second index tag, or NULL */
	const char *name_tag; /* device_name_tags: tag for LV_KEY_NAME */
	uint8_t nlen, t1len, t2len, ntlen;
	unsigned group; /* LV_GROUP_* bit it belongs to */
	const struct lv_key *keys;
	uint8_t nkeys;
};

extern const struct lv_meas_def lv_schema[LV_M_COUNT];

/* Index of the key whose suffix is s[0..n) in measurement d, -1 if none.
 * *guess is the index to try first (libvirt reports keys in table order,
 * so the next key is usually the one after the last); it is updated. */
int lv_schema_find(const struct lv_meas_def *d, const char *s, size_t n,
		   uint8_t *guess);

#endif
