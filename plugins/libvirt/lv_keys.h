/*
 * lv_keys.h: libvirt's statistics keys ("block.1.rd.reqs") parsed in place
 * into the measurement, index tags and field they become.
 */
#ifndef LV_KEYS_H
#define LV_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "lv_schema.h"

/* What decides whether a key is kept. */
struct lv_key_options {
	unsigned groups;     /* LV_GROUP_* to keep */
	bool kvm_vcpu_stats; /* keep vcpu.N.<name>.sum|cur|max */
};

/* One key, parsed. Offsets are into the key's own text. */
struct lv_key_info {
	unsigned group; /* LV_GROUP_* of the key, 0: none */
	bool state_key; /* "state.state" */
	int8_t meas;	/* enum lv_meas, -1: dropped */
	int8_t key;	/* index in the measurement's keys, -1: a kvm stat */
	uint8_t i1off, i1len, i2off, i2len; /* index tags */
	uint8_t xoff, xlen;		    /* kvm stat name ("exits.sum") */
};

/* Parse field[0..n). guess: per measurement, the key to try first
 * (lv_schema_find), updated. */
void lv_key_parse(const char *field, size_t n, const struct lv_key_options *o,
		  uint8_t *guess, struct lv_key_info *out);

/* The groups present in params and the domain state (state.state, -1 if
 * absent), without mapping anything. */
unsigned lv_params_groups(const virTypedParameter *params, int nparams,
			  int *state);

/* The domain state in params (state.state), -1 if absent. */
int lv_params_state(const virTypedParameter *params, int nparams);

/* Running, paused or on the way down: a QEMU answers for it. */
bool lv_state_active(int state);

/* Groups for which the QEMU driver takes the domain's job (and which a
 * NOWAIT call therefore returns in part when the job is held). */
#define LV_JOB_GROUPS                                                          \
	(VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |               \
	 VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_BLOCK |                      \
	 VIR_DOMAIN_STATS_IOTHREAD | VIR_DOMAIN_STATS_DIRTYRATE)

/* True when params (an active domain's) hold a statistic the QEMU driver
 * returns only while it holds the domain's job: block I/O counters,
 * balloon readings, haltpoll times, KVM vcpu statistics, iothreads,
 * dirty rate. False for a record NOWAIT left without them, and for one
 * whose groups have none to give (a domain without disks asked for block
 * only). */
bool lv_params_had_job(const virTypedParameter *params, int nparams);

/* Name of a group bit ("cpu_total"), for messages and the config. */
const char *lv_group_name(unsigned bit);
/* Bit of a group name, 0 if unknown. */
unsigned lv_group_bit(const char *name);

#endif
