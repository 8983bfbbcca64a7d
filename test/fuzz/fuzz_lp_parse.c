/*
 * fuzz_lp_parse.c: any bytes, split into metrics as a reader would. For
 * each metric text: lp_validate_line and lp_parse_line agree (result,
 * message, position); a parsed metric is written (lp_write_metric, with
 * uint support) and the written line parses back to the same metric, as
 * far as Telegraf's writer keeps it: tags sorted with the last of a
 * repeated key, a repeated field key in its first place with its last
 * value, and a form feed in a string coming back as backslash-f (Telegraf
 * escapes it so, and no parser reads that escape). The readers of parts
 * of a line (lp_parse_series_key, lp_line_time, lp_line_name) agree with
 * the parser on every text (lp_skim_check.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/lp_skim_check.h"
#include "telex/lp.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static int fz_same_slice(const struct lp_slice *a, const struct lp_slice *b)
{
	return lp_slice_cmp(a, b) == 0;
}

/* The string value Telegraf's escaping and a re-parse give back. */
static size_t fz_expected_string(const struct lp_slice *s, char *out)
{
	char *tmp = malloc(s->len + 1);
	size_t n = lp_unescape(s, tmp), o = 0;
	for (size_t i = 0; i < n; i++) {
		if (tmp[i] == '\f') {
			out[o++] = '\\';
			out[o++] = 'f';
		} else {
			out[o++] = tmp[i];
		}
	}
	free(tmp);
	return o;
}

static void fz_same_field(const struct lp_field *a, const struct lp_field *b)
{
	check(a->type == b->type);
	switch (a->type) {
	case LP_FLOAT:
		check(a->v.f == b->v.f);
		break;
	case LP_INT:
		check(a->v.i == b->v.i);
		break;
	case LP_UINT:
		check(a->v.u == b->v.u);
		break;
	case LP_BOOL:
		check(a->v.b == b->v.b);
		break;
	case LP_STRING: {
		char *want = malloc(2 * a->v.s.len + 1);
		char *got = malloc(b->v.s.len + 1);
		size_t wn = fz_expected_string(&a->v.s, want);
		size_t gn = lp_unescape(&b->v.s, got);
		check(wn == gn && memcmp(want, got, gn) == 0);
		free(want);
		free(got);
		break;
	}
	default:
		check(0);
	}
}

static void fz_round_trip(const struct lp_metric *m)
{
	struct buf out = BUF_INIT;
	struct lp_error err;
	check(lp_write_metric(&out, m, LP_WRITE_UINT, &err) == 0);
	check(out.len > 0 && out.data[out.len - 1] == '\n');
	struct lp_metric b;
	lp_metric_init(&b);
	check(lp_parse_line(out.data, out.len - 1, 1, &b, &err) == 0);
	check(fz_same_slice(&m->name, &b.name));
	check(m->has_time == b.has_time && (!m->has_time || m->time == b.time));
	/* Each distinct tag key once, in order, with its last value. */
	size_t k = 0;
	for (size_t i = 0; i < b.ntags; i++) {
		if (i > 0)
			check(lp_slice_cmp(&b.tags[i - 1].key, &b.tags[i].key) <
			      0);
		const struct lp_tag *last = NULL;
		for (size_t j = 0; j < m->ntags; j++)
			if (fz_same_slice(&m->tags[j].key, &b.tags[i].key))
				last = &m->tags[j];
		check(last && fz_same_slice(&last->value, &b.tags[i].value));
	}
	for (size_t j = 0; j < m->ntags; j++) {
		int first = 1;
		for (size_t i = 0; i < j; i++)
			if (fz_same_slice(&m->tags[i].key, &m->tags[j].key))
				first = 0;
		k += first;
	}
	check(k == b.ntags);
	/* Fields: first place of each key, last value. */
	size_t f = 0;
	for (size_t j = 0; j < m->nfields; j++) {
		int first = 1;
		for (size_t i = 0; i < j && first; i++)
			if (fz_same_slice(&m->fields[i].key, &m->fields[j].key))
				first = 0;
		if (!first)
			continue;
		const struct lp_field *last = &m->fields[j];
		for (size_t i = j + 1; i < m->nfields; i++)
			if (fz_same_slice(&m->fields[i].key, &m->fields[j].key))
				last = &m->fields[i];
		check(f < b.nfields);
		check(fz_same_slice(&m->fields[j].key, &b.fields[f].key));
		fz_same_field(last, &b.fields[f]);
		f++;
	}
	check(f == b.nfields);
	lp_metric_free(&b);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct lp_splitter s;
	lp_splitter_init(&s);
	struct lp_metric m;
	lp_metric_init(&m);
	size_t pos = 0;
	while (pos < size) {
		size_t first = s.line, text;
		size_t n = lp_split_next(&s, p + pos, size - pos, &text);
		if (n == 0)
			n = text = size - pos;
		check(text <= n && n <= size - pos);
		struct lp_error e1, e2;
		memset(&e1, 0, sizeof(e1));
		memset(&e2, 0, sizeof(e2));
		int v = lp_validate_line(p + pos, text, first, &e1);
		int r = lp_parse_line(p + pos, text, first, &m, &e2);
		check(v == r);
		if (r < 0) {
			check(e1.line == e2.line && e1.column == e2.column &&
			      strcmp(e1.msg, e2.msg) == 0);
			check(e1.line >= first && e1.column >= 1);
		} else {
			check(!lp_line_is_blank(p + pos, text));
		}
		check(!skim_differs(p + pos, text, first, r, &m, &e2));
		if (r == 0)
			fz_round_trip(&m);
		pos += n;
	}
	lp_metric_free(&m);
	return 0;
}
