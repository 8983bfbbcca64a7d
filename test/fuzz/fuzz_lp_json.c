/*
 * fuzz_lp_json.c: any bytes into lp_json_read. Every metric read is
 * written back as JSON and as line protocol (which may refuse it, with a
 * message, but not crash); the JSON text, read and written again twice,
 * reaches a fixed point: write(read(x)) == x from the second round on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telex/lp_json.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

struct fz_out {
	struct buf *json;
	int count;
};

static int fz_collect(void *arg, struct lp_metric *m)
{
	struct fz_out *o = arg;
	struct lp_error err;
	o->count++;
	check(lp_json_write(o->json, m, 1, &err) == 0);
	struct buf lp = BUF_INIT;
	if (lp_write_metric(&lp, m, 0, &err) == 0)
		check(lp.len > 0 && lp.data[lp.len - 1] == '\n');
	else
		check(strlen(err.msg) > 0);
	buf_free(&lp);
	return 0;
}

/* Read doc (one metric expected) and write it back into out. */
static void fz_again(const struct buf *doc, struct buf *out)
{
	struct lp_metric m;
	lp_metric_init(&m);
	struct fz_out o = {out, 0};
	struct lp_error err;
	check(lp_json_read(doc->data, doc->len, 1, &m, fz_collect, &o, &err) ==
	      0);
	check(o.count == 1);
	lp_metric_free(&m);
}

static int fz_each(void *arg, struct lp_metric *m)
{
	(void)arg;
	struct buf w1 = BUF_INIT, w2 = BUF_INIT, w3 = BUF_INIT;
	struct fz_out o = {&w1, 0};
	fz_collect(&o, m);
	fz_again(&w1, &w2);
	fz_again(&w2, &w3);
	check(w2.len == w3.len && memcmp(w2.data, w3.data, w2.len) == 0);
	buf_free(&w1);
	buf_free(&w2);
	buf_free(&w3);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_error err;
	int rc =
	    lp_json_read((const char *)data, size, 1, &m, fz_each, NULL, &err);
	check(rc >= -1);
	lp_metric_free(&m);
	return 0;
}
