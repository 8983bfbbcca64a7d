/*
 * lv_bulk.h: the bulk statistics call with a deadline.
 *
 * A QEMU that stops answering its monitor (stopped, hung storage) makes
 * the call that holds its domain's job wait forever inside libvirtd, and
 * keepalive cannot help: the daemon itself answers. So the call runs on a
 * thread of its own; a call that misses its deadline is left behind (it
 * frees what it gets when it ends) and the caller asks again with
 * VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT, which skips the groups of the
 * domain whose job the stuck call holds and completes the others.
 */
#ifndef LV_BULK_H
#define LV_BULK_H

#include <libvirt/libvirt.h>
#include <stdatomic.h>
#include <stdint.h>

/* Left-behind calls, shared with them (refcounted: a stuck call may end
 * after its collector is gone). */
struct lv_bulk_shared {
	atomic_int refs;
	atomic_int stuck; /* calls that missed their deadline, still running */
};

struct lv_bulk_shared *lv_bulk_shared_new(void);
void lv_bulk_shared_unref(struct lv_bulk_shared *s);

/* More calls than this still hanging: do not start another one. */
#define LV_BULK_MAX_STUCK 4

struct lv_bulk_result {
	int n; /* records, -1 on error */
	virDomainStatsRecordPtr
	    *recs;     /* free with virDomainStatsRecordListFree */
	int code;      /* libvirt's error code when n < 0 */
	char msg[256]; /* and its message */
};

enum { LV_BULK_DONE = 0, LV_BULK_TIMEOUT = -1, LV_BULK_TOO_MANY = -2 };

/*
 * virConnectGetAllDomainStats(c, stats, flags) when doms is NULL, else
 * virDomainListGetStats(doms (NULL-terminated), stats, flags), on its own
 * thread, waiting at most timeout_ns (<= 0: no limit, on this thread).
 * LV_BULK_DONE: *res holds the result (or the call's error: libvirt's
 * errors are per thread, so the code and message are copied).
 * LV_BULK_TIMEOUT: the call was left behind. LV_BULK_TOO_MANY: too many
 * calls are still hanging, none was started.
 */
int lv_bulk_stats(struct lv_bulk_shared *sh, virConnectPtr c,
		  virDomainPtr *doms, unsigned stats, unsigned flags,
		  int64_t timeout_ns, struct lv_bulk_result *res);

#endif
