/*
 * bench_lp.c: line-protocol throughput on one core, over realistic lines
 * from lpgen (fixed seed). Prints a table; no pass/fail.
 *
 *   split+validate  lp_split_next + lp_validate_line per metric (what a
 *                   forwarder does before passing the bytes on)
 *   split+series key  lp_split_next + lp_parse_series_key + lp_line_time
 *                   per metric (what telex-kafka-output reads of a line
 *                   it routes by tags)
 *   parse           lp_reader_next: split and parse into a reused metric
 *   write           lp_write_metric of already parsed metrics
 *   write json      lp_json_write of the same metrics (Telegraf's JSON)
 *   write 20 fields lp_write_metric of built metrics of 20 fields each (a
 *                   libvirt domain's block device: the writer's check for
 *                   repeated field keys must stay linear)
 *
 * Each row is the best of several passes over the same data, which is
 * larger than the caches. bench_lp [MB] [PASSES] [ROW] (defaults 64, 7, all
 * rows; ROW is split, series, parse, write, json or wide, for profiling one).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lpgen.h"
#include "telex/lp.h"
#include "telex/lp_json.h"

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What every row measures on: the lines, their count, passes to run. */
struct bench_input {
	const struct buf *in;
	size_t count;
	int passes;
};

struct bench_result {
	double best; /* seconds */
	size_t bytes, lines;
};

static void bench_row(const char *name, const struct bench_result *r)
{
	printf("%-18s %10.1f %14.0f %10zu %12zu\n", name,
	       (double)r->bytes / r->best / 1e6, (double)r->lines / r->best,
	       r->bytes, r->lines);
}

/* Keeps the compiler from dropping work whose result is unused. */
static volatile size_t bench_sink;

/* What is done to each metric text the splitter finds: false when it
 * was invalid. */
typedef bool (*bench_each_fn)(const char *p, size_t len, size_t first,
			      struct lp_metric *m);

static bool bench_validate(const char *p, size_t len, size_t first,
			   struct lp_metric *m)
{
	(void)m;
	return lp_validate_line(p, len, first, NULL) == 0;
}

/* What telex-kafka-output reads of a line it routes by tags: the series
 * key, and the timestamp from the line's end. */
static bool bench_series_key(const char *p, size_t len, size_t first,
			     struct lp_metric *m)
{
	int64_t ns;
	if (lp_parse_series_key(p, len, first, m, NULL) < 0 ||
	    !lp_line_time(p, len, &ns))
		return false;
	bench_sink += m->ntags + (size_t)ns;
	return true;
}

/* One pass of a row over its data: fills r->bytes and r->lines, and
 * exits on invalid input. */
typedef void (*bench_pass_fn)(void *arg, struct bench_result *r);

/* r->best: the shortest of `passes` runs of pass(arg, r). */
static void bench_best_of(int passes, bench_pass_fn pass, void *arg,
			  struct bench_result *r)
{
	r->best = 1e9;
	for (int k = 0; k < passes; k++) {
		double t0 = bench_now();
		pass(arg, r);
		double t = bench_now() - t0;
		if (t < r->best)
			r->best = t;
	}
}

/* What the read rows go over: the input and one metric they reuse. */
struct bench_read {
	const struct buf *in;
	bench_each_fn each; /* split rows: what is done to each metric */
	struct lp_metric m;
};

/* lp_split_next over the whole input, each() on each metric text. */
static void bench_split_pass(void *arg, struct bench_result *r)
{
	struct bench_read *b = arg;
	struct lp_splitter s;
	lp_splitter_init(&s);
	size_t pos = 0, lines = 0, bad = 0;
	for (;;) {
		size_t text;
		size_t first = s.line;
		size_t n = lp_split_next(&s, b->in->data + pos,
					 b->in->len - pos, &text);
		if (n == 0)
			break;
		bad += !b->each(b->in->data + pos, text, first, &b->m);
		pos += n;
		lines++;
	}
	r->bytes = pos;
	r->lines = lines;
	if (bad) {
		fprintf(stderr, "bench_lp: %zu invalid lines\n", bad);
		exit(1);
	}
}

/* lp_reader_next over the whole input into the reused metric. */
static void bench_parse_pass(void *arg, struct bench_result *r)
{
	struct bench_read *b = arg;
	struct lp_reader rd;
	lp_reader_init(&rd, b->in->data, b->in->len);
	size_t lines = 0, fields = 0;
	struct lp_error err;
	enum lp_read_result rc;
	while ((rc = lp_reader_next(&rd, &b->m, &err)) == LP_READ_METRIC) {
		lines++;
		fields += b->m.nfields;
	}
	if (rc == LP_READ_INVALID) {
		fprintf(stderr, "bench_lp: %s\n", err.msg);
		exit(1);
	}
	r->bytes = b->in->len;
	r->lines = lines;
	bench_sink += fields;
}

static void bench_read(const struct buf *in, int passes, bench_each_fn each,
		       struct bench_result *r)
{
	struct bench_read b = {.in = in, .each = each};
	lp_metric_init(&b.m);
	bench_best_of(passes, each ? bench_split_pass : bench_parse_pass, &b,
		      r);
	lp_metric_free(&b.m);
}

/* What the write rows go over: metrics built beforehand, and the buffer
 * they are written into. */
struct bench_write {
	const struct lp_metric *ms;
	size_t n;
	bool json;
	struct buf out;
};

/* Every metric written into the emptied buffer. */
static void bench_write_pass(void *arg, struct bench_result *r)
{
	struct bench_write *w = arg;
	buf_clear(&w->out);
	for (size_t i = 0; i < w->n; i++) {
		int rc = w->json ? lp_json_write(&w->out, &w->ms[i], 1, NULL)
				 : lp_write_metric(&w->out, &w->ms[i], 0, NULL);
		if (rc < 0) {
			fprintf(stderr, "bench_lp: write failed\n");
			exit(1);
		}
		if (w->json)
			buf_putc(&w->out, '\n');
	}
	r->bytes = w->out.len;
	r->lines = w->n;
}

/* The best write of n metrics into w.out (the caller frees it), then
 * the metrics freed with ms. */
static void bench_write_all(struct lp_metric *ms, size_t n, int passes,
			    struct bench_write *w, struct bench_result *r)
{
	w->ms = ms;
	w->n = n;
	bench_best_of(passes, bench_write_pass, w, r);
	for (size_t i = 0; i < n; i++)
		lp_metric_free(&ms[i]);
	free(ms);
}

static void bench_write(const struct buf *in, int passes, bool json,
			struct bench_result *r)
{
	/* Parse every metric once, keep them all. */
	size_t cap = 1024, n = 0;
	struct lp_metric *ms = malloc(cap * sizeof(*ms));
	struct lp_reader rd;
	lp_reader_init(&rd, in->data, in->len);
	for (;;) {
		if (n == cap)
			ms = realloc(ms, (cap *= 2) * sizeof(*ms));
		lp_metric_init(&ms[n]);
		if (lp_reader_next(&rd, &ms[n], NULL) != LP_READ_METRIC) {
			lp_metric_free(&ms[n]);
			break;
		}
		n++;
	}
	struct bench_write w = {.json = json, .out = BUF_INIT};
	bench_write_all(ms, n, passes, &w, r);
	/* Telegraf's form is the generator's form: the output is the input. */
	if (!json && (w.out.len != in->len ||
		      memcmp(w.out.data, in->data, in->len) != 0))
		fprintf(stderr, "bench_lp: note: written text differs from "
				"the input\n");
	buf_free(&w.out);
}

/* Field keys of a libvirt block device with its allocation figures. */
static const char *const bench_wide_keys[20] = {
    "rd_reqs",	 "rd_bytes",	   "rd_times",	     "wr_reqs",
    "wr_bytes",	 "wr_times",	   "fl_reqs",	     "fl_times",
    "errors",	 "allocation",	   "capacity",	     "physical",
    "threshold", "rd_total_times", "wr_total_times", "fl_total_times",
    "rd_merged", "wr_merged",	   "discard_reqs",   "discard_bytes"};

static void bench_write_wide(size_t count, int passes, struct bench_result *r)
{
	struct lp_metric *ms = malloc(count * sizeof(*ms));
	if (!ms) {
		fprintf(stderr, "bench_lp: out of memory\n");
		exit(1);
	}
	char dom[32];
	for (size_t i = 0; i < count; i++) {
		struct lp_metric *m = &ms[i];
		lp_metric_init(m);
		int n = snprintf(dom, sizeof(dom), "vm-%05zu", i % 10000);
		lp_metric_set_name(m, "libvirt_block", 13);
		lp_metric_add_tag(m, "domain_name", 11, dom, (size_t)n);
		lp_metric_add_tag(m, "host", 4, "kvm-017", 7);
		for (int k = 0; k < 20; k++)
			lp_metric_add_int(m, bench_wide_keys[k],
					  strlen(bench_wide_keys[k]),
					  (int64_t)(i * 7919 + (size_t)k));
		lp_metric_set_time(m, 1700000000000000000 + (int64_t)i);
	}
	struct bench_write w = {.json = false, .out = BUF_INIT};
	bench_write_all(ms, count, passes, &w, r);
	buf_free(&w.out);
}

/* The rows: ROW (the command's third argument) selects one by id. */
static const struct bench_op {
	const char *id, *title;
	enum { BENCH_SPLIT, BENCH_PARSE, BENCH_WRITE, BENCH_WIDE } kind;
	bench_each_fn each; /* BENCH_SPLIT: what is done to each metric */
	bool json;	    /* BENCH_WRITE */
} bench_ops[] = {
    {"split", "split+validate", BENCH_SPLIT, bench_validate, false},
    {"series", "split+series key", BENCH_SPLIT, bench_series_key, false},
    {"parse", "parse", BENCH_PARSE, NULL, false},
    {"write", "write", BENCH_WRITE, NULL, false},
    {"json", "write json", BENCH_WRITE, NULL, true},
    /* As many metrics as the realistic lines. */
    {"wide", "write 20 fields", BENCH_WIDE, NULL, false},
};

static void bench_run(const struct bench_op *op, const struct bench_input *c,
		      struct bench_result *r)
{
	switch (op->kind) {
	case BENCH_SPLIT:
	case BENCH_PARSE:
		bench_read(c->in, c->passes, op->each, r);
		break;
	case BENCH_WRITE:
		bench_write(c->in, c->passes, op->json, r);
		break;
	case BENCH_WIDE:
		bench_write_wide(c->count, c->passes, r);
		break;
	}
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	int passes = argc > 2 ? atoi(argv[2]) : 7;
	if (mb == 0 || passes <= 0) {
		fprintf(stderr, "usage: bench_lp [MB] [PASSES]\n");
		return 2;
	}
	struct lpgen g;
	lpgen_init(&g, LPGEN_DEFAULT_SEED);
	struct buf in = BUF_INIT;
	if (lpgen_fill(&g, &in, mb << 20) < 0) {
		fprintf(stderr, "bench_lp: out of memory\n");
		return 1;
	}
	printf("line protocol, one core, %zu lines of ~%zu bytes "
	       "(lpgen seed %d), best of %d\n",
	       (size_t)g.count, in.len / g.count, LPGEN_DEFAULT_SEED, passes);
	printf("%-18s %10s %14s %10s %12s\n", "operation", "MB/s", "lines/s",
	       "bytes", "lines");
	const char *only = argc > 3 ? argv[3] : "";
	const struct bench_input c = {&in, (size_t)g.count, passes};
	for (size_t i = 0; i < sizeof(bench_ops) / sizeof(bench_ops[0]); i++) {
		const struct bench_op *op = &bench_ops[i];
		struct bench_result r = {0};
		if (*only && strcmp(only, op->id) != 0)
			continue;
		bench_run(op, &c, &r);
		bench_row(op->title, &r);
	}
	buf_free(&in);
	return 0;
}
