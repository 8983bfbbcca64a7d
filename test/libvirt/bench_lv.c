/*
 * bench_lv.c: telex-libvirt per gather, in one process (make bench).
 *
 *  1. The raw bulk call (virConnectGetAllDomainStats, every group, the
 *     flags telex uses) against telex's whole gather (the same call, the
 *     per-domain fallback where the driver needs it, mapping, writing the
 *     lines to /dev/null), for 1,000 test-driver domains (2 disks, 2 NICs)
 *     and for real QEMU domains on the system libvirtd.
 *  2. Mapping + writing alone for 1,000 domains, QEMU-shaped (a real
 *     record) and test-driver-shaped (2 disks, 2 NICs).
 *  3. Resident memory of this process.
 * Prints a table; no pass/fail (targets: gather <= 1.1x the raw call on
 * real domains, mapping + writing 1,000 domains < 2 ms, RSS < 8 MB).
 */
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lv_collect.h"
#include "lv_testlib.h"
#include "lv_util.h"

#define STATS_FLAGS                                                            \
	(VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING |                           \
	 VIR_CONNECT_GET_ALL_DOMAINS_STATS_PAUSED |                            \
	 VIR_CONNECT_GET_ALL_DOMAINS_STATS_SHUTOFF |                           \
	 VIR_CONNECT_GET_ALL_DOMAINS_STATS_OTHER |                             \
	 VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)

struct sink {
	struct buf out;
	int fd;
	uint64_t metrics, bytes;
};

/* What the shim's telex_emit() does per metric when no filter is set:
 * copy the text the mapper wrote, or serialise; write in batches. */
static enum telex_emit_result sink_emit(void *arg, struct lp_metric *m)
{
	struct sink *s = arg;
	struct lp_error err;
	if (m->line.ptr && !m->modified) {
		if (buf_append(&s->out, m->line.ptr, m->line.len) < 0 ||
		    buf_putc(&s->out, '\n') < 0)
			return TELEX_EMIT_UNWRITABLE;
	} else if (lp_write_metric(&s->out, m, 0, &err) < 0) {
		return TELEX_EMIT_UNWRITABLE;
	}
	s->metrics++;
	if (s->out.len >= 256 * 1024)
		goto flush;
	return TELEX_EMIT_QUEUED;
flush:
	s->bytes += s->out.len;
	if (write(s->fd, s->out.data, s->out.len) < 0)
		return TELEX_EMIT_UNWRITABLE;
	buf_clear(&s->out);
	return TELEX_EMIT_QUEUED;
}

static void sink_flush(struct sink *s)
{
	s->bytes += s->out.len;
	if (s->out.len && write(s->fd, s->out.data, s->out.len) < 0)
		perror("write");
	buf_clear(&s->out);
}

static double now_ms(void)
{
	return (double)telex_monotonic_ns() / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void row(const char *what, const char *domains, double ms,
		const char *note)
{
	printf("| %-46s | %-22s | %10.3f | %-28s |\n", what, domains, ms, note);
}

struct scenario {
	const char *label;
	virConnectPtr c;
	int rounds;
	double raw_ms, gather_ms;
	int ndomains;
	uint64_t metrics, bytes;
};

static void run_scenario(struct scenario *sc, struct sink *sink)
{
	double *raw = calloc((size_t)sc->rounds, sizeof(double));
	double *whole = calloc((size_t)sc->rounds, sizeof(double));
	struct lv_settings set = {.uri = "bench",
				  .uri_shown = (char *)"bench",
				  .groups = LV_GROUP_ALL};
	struct lv_collector col;
	struct log_limiter lim = {0};
	lv_collector_init(&col, &set, NULL, &lim, sink_emit, sink);
	/* Warm up: caches (device lists), learned driver groups. */
	lv_collect_on(&col, sc->c);
	sink_flush(sink);
	for (int i = 0; i < sc->rounds; i++) {
		virDomainStatsRecordPtr *recs = NULL;
		double t0 = now_ms();
		int n = virConnectGetAllDomainStats(sc->c, LV_GROUP_ALL, &recs,
						    STATS_FLAGS);
		if (n >= 0)
			virDomainStatsRecordListFree(recs);
		raw[i] = now_ms() - t0;
		sc->ndomains = n;

		uint64_t m0 = sink->metrics, b0 = sink->bytes;
		t0 = now_ms();
		lv_collect_on(&col, sc->c);
		sink_flush(sink);
		whole[i] = now_ms() - t0;
		sc->metrics = sink->metrics - m0;
		sc->bytes = sink->bytes - b0;
	}
	sc->raw_ms = median(raw, sc->rounds);
	sc->gather_ms = median(whole, sc->rounds);
	lv_collector_free(&col);
	free(raw);
	free(whole);
}

/* A deep copy of n parameters under the domain's stats. */
struct shaped {
	virTypedParameter *p;
	int n;
};

static void copy_params(struct shaped *s, const virTypedParameter *p, int n)
{
	s->p = realloc(s->p, (size_t)(s->n + n) * sizeof(*p));
	for (int i = 0; i < n; i++) {
		s->p[s->n + i] = p[i];
		if (p[i].type == VIR_TYPED_PARAM_STRING)
			s->p[s->n + i].value.s = strdup(p[i].value.s);
	}
	s->n += n;
}

static void free_shaped(struct shaped *s)
{
	for (int i = 0; i < s->n; i++)
		if (s->p[i].type == VIR_TYPED_PARAM_STRING)
			free(s->p[i].value.s);
	free(s->p);
}

/* Counts, writes nothing: the mapper's own share. */
static enum telex_emit_result discard_emit(void *arg, struct lp_metric *m)
{
	(void)m;
	((struct sink *)arg)->metrics++;
	return TELEX_EMIT_QUEUED;
}

/* Median time to map (and write, unless map_only) 1,000 domains shaped
 * like s. */
static double map_write_1000(const struct shaped *s, struct sink *sink,
			     uint64_t *metrics, uint64_t *bytes, bool map_only)
{
	struct lv_map_options o = {.groups = LV_GROUP_ALL};
	struct lv_mapper mp;
	lv_mapper_init(&mp, &o, map_only ? discard_emit : sink_emit, sink);
	char names[1000][32];
	for (int i = 0; i < 1000; i++)
		snprintf(names[i], sizeof(names[i]), "bench-domain-%05d", i);
	double t[21];
	for (int r = 0; r < 21; r++) {
		uint64_t m0 = sink->metrics, b0 = sink->bytes;
		double t0 = now_ms();
		mp.time = telex_realtime_ns();
		for (int i = 0; i < 1000; i++) {
			struct lv_domain_info d = {.name = names[i],
						   .name_len = 18};
			struct lv_domain_result res;
			lv_map_domain(&mp, &d, s->p, s->n, &res);
		}
		sink_flush(sink);
		t[r] = now_ms() - t0;
		*metrics = sink->metrics - m0;
		*bytes = sink->bytes - b0;
	}
	lv_mapper_free(&mp);
	return median(t, 21);
}

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t kl = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0)
			v = atol(line + kl + 1);
	if (f)
		fclose(f);
	return v;
}

/* --floor URI: what any libvirt client costs: open, one raw bulk call,
 * then print the memory of this process (nothing else loaded). */
static int rss_floor(const char *uri)
{
	virConnectPtr c = virConnectOpenReadOnly(uri);
	if (!c)
		return 1;
	virDomainStatsRecordPtr *recs = NULL;
	int n =
	    virConnectGetAllDomainStats(c, LV_GROUP_ALL, &recs, STATS_FLAGS);
	if (n >= 0)
		virDomainStatsRecordListFree(recs);
	printf("VmRSS=%ld RssAnon=%ld RssFile=%ld\n", status_kb("VmRSS"),
	       status_kb("RssAnon"), status_kb("RssFile"));
	virConnectClose(c);
	return 0;
}

int main(int argc, char **argv)
{
	lv_quiet_libvirt_errors();
	if (argc == 3 && strcmp(argv[1], "--floor") == 0)
		return rss_floor(argv[2]);
	struct sink sink = {.fd = open("/dev/null", O_WRONLY)};
	char *file = lvt_gen_domains(1000, false, "bench");
	if (!file) {
		fprintf(stderr, "bench_lv: cannot generate the domain file\n");
		return 1;
	}
	char uri[4200];
	snprintf(uri, sizeof(uri), "test://%s", file);

	printf("\ntelex-libvirt: per gather, in one process (median)\n\n");
	printf("| %-46s | %-22s | %10s | %-28s |\n", "measure", "domains", "ms",
	       "note");
	printf("|%s|%s|%s|%s|\n",
	       "------------------------------------------------",
	       "------------------------", "------------",
	       "------------------------------");

	struct scenario td = {.label = "test driver", .rounds = 21};
	td.c = virConnectOpenReadOnly(uri);
	if (td.c) {
		run_scenario(&td, &sink);
		char note[64];
		row("raw virConnectGetAllDomainStats (all groups)",
		    "1000 test driver", td.raw_ms, "driver answers state only");
		snprintf(note, sizeof(note), "%llu lines, %.1f MB",
			 (unsigned long long)td.metrics,
			 (double)td.bytes / 1e6);
		row("telex gather (call+fallback+map+write)",
		    "1000 test driver", td.gather_ms, note);
	}

	/* Real domains: ours, on the shared daemon. */
	char prefix[32], args[96];
	snprintf(prefix, sizeof(prefix), "tlxb%d", (int)getpid());
	struct scenario q = {.label = "qemu", .rounds = 51};
	bool have_qemu = false;
	if (lvt_domains_script("check >/dev/null") == 0 &&
	    lvt_lock_libvirtd() == 0) {
		snprintf(args, sizeof(args), "up %s 3 >/dev/null", prefix);
		if (lvt_domains_script(args) == 0)
			q.c = virConnectOpenReadOnly("qemu:///system");
	}
	if (q.c) {
		have_qemu = true;
		run_scenario(&q, &sink);
		char dom[32], note[64];
		snprintf(dom, sizeof(dom), "%d QEMU (all on host)", q.ndomains);
		row("raw virConnectGetAllDomainStats (all groups)", dom,
		    q.raw_ms, "");
		snprintf(note, sizeof(note), "%.3fx the raw call",
			 q.gather_ms / q.raw_ms);
		row("telex gather (call+map+write)", dom, q.gather_ms, note);
	} else {
		row("real QEMU domains", "-", 0, "skipped: no root/libvirtd");
	}

	/* Mapping + writing alone. */
	struct shaped qs = {0}, ts = {0};
	if (have_qemu) {
		virDomainStatsRecordPtr *recs = NULL;
		int n = virConnectGetAllDomainStats(q.c, LV_GROUP_ALL, &recs,
						    STATS_FLAGS);
		for (int i = 0; i < n && !qs.n; i++) {
			int state = -1;
			lv_params_groups(recs[i]->params, recs[i]->nparams,
					 &state);
			if (state == VIR_DOMAIN_RUNNING)
				copy_params(&qs, recs[i]->params,
					    recs[i]->nparams);
		}
		if (n >= 0)
			virDomainStatsRecordListFree(recs);
	}
	if (td.c) {
		virDomainPtr dom = virDomainLookupByName(td.c, "bench-00000");
		virDomainStatsRecordPtr *recs = NULL;
		virDomainPtr one[2] = {dom, NULL};
		if (dom &&
		    virDomainListGetStats(one, LV_GROUP_ALL, &recs, 0) > 0) {
			copy_params(&ts, recs[0]->params, recs[0]->nparams);
			virDomainStatsRecordListFree(recs);
			struct lv_fallback fb;
			lv_fallback_init(&fb);
			int n = lv_fallback_collect(
			    &fb, dom, LV_FALLBACK_GROUPS & ~LV_GROUP_STATE);
			if (n > 0)
				copy_params(&ts, fb.params, n);
			lv_fallback_free(&fb);
		}
		if (dom)
			virDomainFree(dom);
	}
	uint64_t metrics, bytes;
	char note[64];
	const struct {
		const struct shaped *s;
		const char *label;
	} shapes[] = {{&qs, "QEMU-shaped record"},
		      {&ts, "test driver: 2 disks, 2 NICs"}};
	for (size_t k = 0; k < 2; k++) {
		const struct shaped *s = shapes[k].s;
		if (!s->n)
			continue;
		char what[64];
		double ms = map_write_1000(s, &sink, &metrics, &bytes, false);
		snprintf(note, sizeof(note), "%d keys/dom, %.1f MB", s->n,
			 (double)bytes / 1e6);
		snprintf(what, sizeof(what), "map + write (%s)",
			 shapes[k].label);
		row(what, "1000 synthetic", ms, note);
		ms = map_write_1000(s, &sink, &metrics, &bytes, true);
		snprintf(note, sizeof(note), "%llu metrics",
			 (unsigned long long)metrics);
		snprintf(what, sizeof(what), "  map only, text built (%s)",
			 shapes[k].label);
		row(what, "1000 synthetic", ms, note);
	}
	char rss[64];
	snprintf(rss, sizeof(rss), "VmRSS %ld kB, VmHWM %ld kB",
		 status_kb("VmRSS"), status_kb("VmHWM"));
	row("resident memory of this process", "(test driver", 0, rss);
	row("", " loaded in process)", 0, "");
	printf("\n");

	free_shaped(&qs);
	free_shaped(&ts);
	if (td.c)
		virConnectClose(td.c);
	if (q.c)
		virConnectClose(q.c);
	if (have_qemu) {
		snprintf(args, sizeof(args), "down %s", prefix);
		lvt_domains_script(args);
	}
	unlink(file);
	free(file);
	buf_free(&sink.out);
	close(sink.fd);
	return 0;
}
