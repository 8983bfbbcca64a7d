/*
 * bench_filter.c: the cost of Telegraf's per-plugin filters on realistic
 * lines from lpgen (fixed seed). Each row parses every metric and applies
 * one filter; "parse only" is the baseline, and the last column is the
 * filter's own cost per metric. Then the glob matcher alone, per call.
 * Prints a table; no pass/fail. bench_filter [METRICS] [PASSES]
 * (defaults 200000, 5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lpgen.h"
#include "telex/config.h"
#include "telex/filter.h"
#include "telex/log.h"
#include "telex/lp.h"

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile size_t bench_sink;

static const struct cfg_option bench_no_opts[] = {{.name = NULL}};

static struct metric_filter *bench_filter(const char *body)
{
	struct cfg_spec spec = {
	    .section = "inputs", .name = "b", .options = bench_no_opts};
	char text[1024], err[512], dummy;
	snprintf(text, sizeof(text), "[[inputs.b]]\n%s\n", body);
	struct telex_common c;
	if (cfg_load_text(&spec, text, strlen(text), "bench", &dummy, &c, err,
			  sizeof(err))) {
		fprintf(stderr, "bench_filter: %s\n", err);
		exit(1);
	}
	struct metric_filter *f = filter_new(&c, true, err, sizeof(err));
	cfg_free(&spec, &dummy, &c);
	if (!f) {
		fprintf(stderr, "bench_filter: %s\n", err);
		exit(1);
	}
	return f;
}

/* Best time of `passes` runs over every metric; kept counts survivors. */
static double bench_run(const struct buf *in, const struct metric_filter *f,
			int passes, size_t *kept)
{
	double best = 1e9;
	struct lp_metric m;
	lp_metric_init(&m);
	for (int k = 0; k < passes; k++) {
		double t0 = bench_now();
		struct lp_reader r;
		struct lp_error e;
		lp_reader_init(&r, in->data, in->len);
		size_t n = 0;
		while (lp_reader_next(&r, &m, &e) == LP_READ_METRIC) {
			if (!f || filter_apply(f, &m))
				n++;
			arena_reset(&m.arena);
		}
		double t = bench_now() - t0;
		if (t < best)
			best = t;
		*kept = n;
	}
	lp_metric_free(&m);
	return best;
}

int main(int argc, char **argv)
{
	size_t nmetrics = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	int passes = argc > 2 ? atoi(argv[2]) : 5;
	log_set_level(LOG_ERROR);
	struct lpgen g;
	struct buf in = BUF_INIT;
	lpgen_init(&g, LPGEN_DEFAULT_SEED);
	for (size_t i = 0; i < nmetrics; i++)
		lpgen_line(&g, &in);

	static const struct {
		const char *name, *body;
	} rows[] = {
	    {"parse only", NULL},
	    {"noop filter", ""},
	    {"namepass exact", "namepass = [\"libvirt_cpu\", \"libvirt_net\"]"},
	    {"namepass glob", "namepass = [\"libvirt_*t\", \"*cpu\"]"},
	    {"namedrop glob", "namedrop = [\"libvirt_v?pu\"]"},
	    {"tagpass glob", "[inputs.b.tagpass]\ndomain_name = "
			     "[\"vm-0[0-4]*\"]"},
	    {"fieldexclude", "fieldexclude = [\"*_errs\", \"*_drop\"]"},
	    {"taginclude", "taginclude = [\"domain_name\", \"host\"]"},
	    {"tags+prefix", "name_prefix = \"kvm_\"\n[inputs.b.tags]\n"
			    "site = \"s1\"\ndc = \"x\""},
	    {"all of them", "namepass = [\"libvirt_*\"]\nfieldexclude = "
			    "[\"*_errs\"]\ntagexclude = [\"rack\"]\n"
			    "name_suffix = \"_v\"\n[inputs.b.tags]\n"
			    "site = \"s1\""},
	};
	printf("%-16s %12s %8s %12s\n", "filter", "metrics/s", "kept%",
	       "ns/metric");
	double base = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct metric_filter *f =
		    rows[i].body ? bench_filter(rows[i].body) : NULL;
		size_t kept = 0;
		double t = bench_run(&in, f, passes, &kept);
		if (!rows[i].body)
			base = t;
		printf("%-16s %12.0f %8.1f %12.1f\n", rows[i].name,
		       (double)nmetrics / t, 100.0 * (double)kept / nmetrics,
		       (t - base) / (double)nmetrics * 1e9);
		filter_free(f);
	}

	/* The matcher alone on typical names. */
	static const struct {
		const char *pattern, *subject;
	} globs[] = {
	    {"libvirt_cpu", "libvirt_cpu"},
	    {"libvirt_*", "libvirt_block_total"},
	    {"*_total", "libvirt_block_total"},
	    {"libvirt_{cpu,net,block}*", "libvirt_block_total"},
	    {"vm-0[0-4]??[!9]", "vm-04325"},
	};
	printf("\n%-28s %-22s %10s\n", "glob", "subject", "ns/match");
	for (size_t i = 0; i < sizeof(globs) / sizeof(globs[0]); i++) {
		const char *p[] = {globs[i].pattern};
		struct cfg_strv v = {(char **)p, 1, true};
		char err[128];
		struct glob_list *gl = glob_list_new(&v, err, sizeof(err));
		size_t len = strlen(globs[i].subject), n = 2000000, hits = 0;
		double t0 = bench_now();
		for (size_t k = 0; k < n; k++)
			hits += glob_list_match(gl, globs[i].subject, len);
		double t = bench_now() - t0;
		bench_sink = hits;
		printf("%-28s %-22s %10.1f\n", globs[i].pattern,
		       globs[i].subject, t / (double)n * 1e9);
		glob_list_free(gl);
	}
	buf_free(&in);
	return 0;
}
