/*
 * lv_check.c: lv-check, the script tests' reader of telex-libvirt output.
 * Reads line protocol on stdin, checks every metric against
 * test/libvirt/schema.txt, and prints a key=value summary:
 *
 *   metrics=N invalid=N violations=N timestamps=N domains=N
 *   first_violation=...   m.<measurement>=N   (one line each)
 *
 *   lv-check [--options]   (--options: the optional tags and "?" fields
 *                           of schema.txt are allowed)
 * Exit 0 when every line is valid and conforms, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lv_testlib.h"

struct count {
	char *name;
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	bool options = argc > 1 && strcmp(argv[1], "--options") == 0;
	struct lvt_schema schema;
	if (lvt_schema_load(&schema) < 0) {
		fprintf(stderr, "lv-check: cannot read schema.txt\n");
		return 2;
	}
	struct buf in = BUF_INIT;
	char chunk[65536];
	ssize_t r;
	while ((r = read(0, chunk, sizeof(chunk))) > 0)
		buf_append(&in, chunk, (size_t)r);

	struct lp_reader rd;
	struct lp_metric m;
	struct lp_error err;
	lp_metric_init(&m);
	lp_reader_init(&rd, in.data ? in.data : "", in.len);
	size_t metrics = 0, invalid = 0, violations = 0;
	char first[512] = "";
	struct count counts[64];
	size_t ncounts = 0;
	size_t cap = 1024, nnames = 0;
	char **names = malloc(cap * sizeof(*names));
	int64_t *times = malloc(cap * sizeof(*times));
	enum lp_read_result rc;
	while ((rc = lp_reader_next(&rd, &m, &err)) != LP_READ_END) {
		if (rc == LP_READ_INVALID) {
			invalid++;
			continue;
		}
		metrics++;
		char msg[512];
		if (lvt_schema_check(&schema, &m, options, msg, sizeof(msg))) {
			if (violations++ == 0)
				snprintf(first, sizeof(first), "%s", msg);
		}
		char name[256];
		size_t nl = lp_unescape(&m.name, name);
		name[nl] = '\0';
		size_t k = 0;
		while (k < ncounts && strcmp(counts[k].name, name) != 0)
			k++;
		if (k == ncounts && ncounts < 64)
			counts[ncounts++] = (struct count){strdup(name), 0};
		if (k < ncounts)
			counts[k].n++;
		if (nnames == cap) {
			cap *= 2;
			names = realloc(names, cap * sizeof(*names));
			times = realloc(times, cap * sizeof(*times));
		}
		const struct lp_tag *d =
		    lp_metric_find_tag(&m, "domain_name", 11);
		char *dn = NULL;
		if (d) {
			dn = malloc(d->value.len + 1);
			dn[lp_unescape(&d->value, dn)] = '\0';
		}
		names[nnames] = dn;
		times[nnames++] = m.has_time ? m.time : 0;
	}
	/* Distinct domains and timestamps. */
	size_t nd = 0, nt = 0;
	char **dv = malloc((nnames ? nnames : 1) * sizeof(*dv));
	for (size_t i = 0; i < nnames; i++)
		if (names[i])
			dv[nd++] = names[i];
	qsort(dv, nd, sizeof(*dv), cmp_str);
	size_t domains = 0;
	for (size_t i = 0; i < nd; i++)
		domains += i == 0 || strcmp(dv[i], dv[i - 1]) != 0;
	qsort(times, nnames, sizeof(*times), cmp_i64);
	for (size_t i = 0; i < nnames; i++)
		nt += i == 0 || times[i] != times[i - 1];

	printf("metrics=%zu\ninvalid=%zu\nviolations=%zu\ntimestamps=%zu\n"
	       "domains=%zu\n",
	       metrics, invalid, violations, nt, domains);
	if (violations)
		printf("first_violation=%s\n", first);
	for (size_t k = 0; k < ncounts; k++) {
		printf("m.%s=%zu\n", counts[k].name, counts[k].n);
		free(counts[k].name);
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(dv);
	free(times);
	lp_metric_free(&m);
	buf_free(&in);
	lvt_schema_free(&schema);
	return invalid || violations ? 1 : 0;
}
