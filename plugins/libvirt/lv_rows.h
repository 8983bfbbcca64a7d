/*
 * lv_rows.h: complete rows when another client holds a domain for a
 * moment.
 *
 * The bulk call asks with NOWAIT so that a domain whose job is held does
 * not stall the gather; libvirt then reports that domain without the
 * statistics that need its job (block I/O, balloon readings, iothreads,
 * dirty rate, ...). Most holders let go within milliseconds (`virsh
 * domstats`, another monitoring agent, libvirt's own housekeeping), so
 * such a domain is asked again until it comes back complete or the
 * gather's deadline (`timeout`) runs out; only then is it reported
 * partial: counted (skipped_locked), and not asked again while its job
 * stays busy, so that one stuck domain costs one deadline, once.
 *
 * Asking again is a NOWAIT call repeated with back-off (5 ms doubling to
 * 100 ms), not one call that waits for the job: a call left waiting
 * inside libvirtd holds the connection's I/O in the client library, and
 * libvirt 9's client then sometimes misses the wake-up of the next call
 * on the same connection, which stalls it until something else arrives
 * on the socket. Between two calls, virDomainGetControlInfo (which takes
 * no job) tells a busy domain from one whose groups simply have nothing
 * that needs the job (no disk for `block`, no iothread): a record without
 * job statistics twice while the domain is idle is complete, and the
 * domain is remembered as such.
 */
#ifndef LV_ROWS_H
#define LV_ROWS_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lv_bulk.h"

/* Domains by UUID, sorted. */
struct lv_uuid_set {
	unsigned char (*v)[VIR_UUID_BUFLEN];
	size_t n, cap;
};

struct lv_rows {
	struct lv_uuid_set stuck; /* reported partial by the last gather */
	struct lv_uuid_set now;	  /* reported partial by this one */
	struct lv_uuid_set plain; /* idle and still without job statistics:
				     they have none to give */

	/* The batch being mapped, per record: */
	unsigned char *kind;	       /* LV_ROW_* (lv_rows.c) */
	virDomainStatsRecordPtr *best; /* the record to map */
	unsigned char *idle;	       /* idle answers in a row */
	size_t nbatch, cap;
	virDomainStatsRecordPtr **lists; /* of the calls asked again */
	size_t nlists, lists_cap;

	/* Measured, for the logs and the tests. */
	uint64_t asked;	    /* domains asked again */
	uint64_t completed; /* of them, complete in time */
	uint64_t calls;	    /* calls made to ask again */
	int64_t asked_ns;   /* time spent asking again */
};

/* How the batch was asked, to ask again the same way. */
struct lv_rows_call {
	struct lv_bulk_shared *bulk;
	virConnectPtr c;
	unsigned stats;	     /* groups */
	unsigned flags;	     /* of the first call */
	int64_t deadline_ns; /* monotonic; 0: 5 s from now */
};

void lv_rows_init(struct lv_rows *r);
void lv_rows_free(struct lv_rows *r);
/* A new connection: forget what was learned about its domains. */
void lv_rows_reset(struct lv_rows *r);

/*
 * Look at the records of one bulk call (recs[0..n), which must stay valid
 * until lv_rows_batch_done): an active domain's record without any
 * statistic that needs its job is asked again as described above. Then
 * lv_rows_get() gives each record to map. Out of memory: the records are
 * mapped as they are.
 */
void lv_rows_complete(struct lv_rows *r, const struct lv_rows_call *call,
		      virDomainStatsRecordPtr *recs, int n);

/* The record to map in place of recs[i]; *partial when it still lacks its
 * job's statistics (*first: the domain was not partial at the last
 * gather); *recovered when it is complete and was partial at the last
 * gather. */
virDomainStatsRecordPtr lv_rows_get(struct lv_rows *r,
				    virDomainStatsRecordPtr *recs, int i,
				    bool *partial, bool *first,
				    bool *recovered);

/* The batch is mapped: free what was asked again. */
void lv_rows_batch_done(struct lv_rows *r);

/* The gather is over: its partial domains are the stuck ones of the
 * next. */
void lv_rows_end_gather(struct lv_rows *r);

#endif
