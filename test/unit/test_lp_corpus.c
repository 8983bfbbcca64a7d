/*
 * test_lp_corpus.c: the conformance corpus of influxdata/line-protocol
 * (test/data/line-protocol-corpus.json) against telex's reader, parser,
 * validator and writer.
 *
 * Decode cases: the text is read with lp_reader (as a consumer would);
 * the result must be an error exactly when the corpus expects one, and
 * otherwise every point must match: name, tags (sorted, a repeated key is
 * an error as in the corpus's own harness), fields with type and value in
 * order, time (the line's timestamp in the case's precision, or the
 * default time truncated to it). Every metric text is also validated, and
 * lp_validate_line must agree with lp_parse_line, position included; so
 * must the readers of parts of a line (lp_parse_series_key, lp_line_time,
 * lp_line_name: lp_skim_check.h).
 *
 * Encode cases: the point is built with the lp_metric builders and written
 * with lp_write_metric; the line must be the expected one.
 *
 * Cases telex decides differently on purpose are listed below with the
 * reason. The test fails on any other disagreement, and on a listed case
 * that agrees (the list must stay true).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "lp_skim_check.h"
#include "telex/lp.h"

struct listed {
	const char *key;
	const char *reason;
};

static const struct listed listed_decode[] = {
    {NULL, NULL},
};

/* Telegraf writes floats with Go's strconv 'f' (no exponent: 6632243,
 * 1797693134862315700000...), the corpus's encoder with 'g' (6.632243e+06,
 * 1.7976931348623157e+308). For these cases the test also checks that both
 * lines read back as the same metric. */
#define FLOAT_TEXT "float text in Telegraf's form ('f', no exponent)"

static const struct listed listed_encode[] = {
    /* The corpus's encoder fails on an empty tag value; Telegraf's
     * serializer drops the tag and writes the rest. */
    {"72fe529da6084a44692fe27cc2f105d1",
     "empty tag value: dropped as Telegraf does, not an error"},
    {"134a1911da33afa7a8a993b4e052c1a7", FLOAT_TEXT},
    {"13f176ba06fc6d5419f622c81b363a57", FLOAT_TEXT},
    {"26b24144619c1f028514edc493b621b7", FLOAT_TEXT},
    {"34f17db4b263f6f2647d931eae615510", FLOAT_TEXT},
    {"3ee38b7d2d04585f837015b95c47e009", FLOAT_TEXT},
    {"44632134110903ff168f33cd3bb16c81", FLOAT_TEXT},
    {"47ea12c814d7e5acafff2ef1259cc5da", FLOAT_TEXT},
    {"4882ad9b717ae1679813e09c3e9cae92", FLOAT_TEXT},
    {"5463ae69cf76109363c3b38454bfa089", FLOAT_TEXT},
    {"56576ae2c562f0a99164a33a49980610", FLOAT_TEXT},
    {"76e76945eb138385d1323f1e6cc4cdf9", FLOAT_TEXT},
    {"786fade57b0593d1d0ead80470031209", FLOAT_TEXT},
    {"868a1af1e8e68f10445a132756f310e3", FLOAT_TEXT},
    {"999e6a60a8162682cd62f4df51bb3875", FLOAT_TEXT},
    {"afabdf09cb1624d90f77dd69abe5353e", FLOAT_TEXT},
    {"b776cb5d66a99eae87376d4cbd9d2b09", FLOAT_TEXT},
    {"e14f0c73c92cec58f2e3161d4f04476c", FLOAT_TEXT},
    {"e65b4c406489e9a95de68381fafa174d", FLOAT_TEXT},
    {"eb0bfbdb28416a370bf68ebab9842ee3", FLOAT_TEXT},
    {NULL, NULL},
};

static const char *find_listed(const struct listed *l, const char *key)
{
	for (; l->key; l++)
		if (strcmp(l->key, key) == 0)
			return l->reason;
	return NULL;
}

static json_object *load_corpus(void)
{
	const char *rel = "test/data/line-protocol-corpus.json";
	char path[4096];
	const char *src = getenv("TELEX_SRC");
	if (src)
		snprintf(path, sizeof(path), "%s/%s", src, rel);
	else
		snprintf(path, sizeof(path), "%s", rel);
	json_object *o = json_object_from_file(path);
	if (!o)
		fail_msg("cannot read %s (set TELEX_SRC to the source tree)",
			 path);
	return o;
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, k, &v);
	return v;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static size_t b64decode(const char *in, char *out)
{
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;
	for (; *in; in++) {
		int v = b64val(*in);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)(acc >> bits);
		}
	}
	return n;
}

static int64_t precision_ns(const char *p)
{
	if (strcmp(p, "1ns") == 0)
		return 1;
	if (strcmp(p, "1µs") == 0 || strcmp(p, "1us") == 0)
		return 1000;
	if (strcmp(p, "1ms") == 0)
		return 1000000;
	if (strcmp(p, "1s") == 0)
		return 1000000000;
	fail_msg("unknown precision %s", p);
	return 0;
}

static bool slice_equals_json(const struct lp_slice *s, json_object *j)
{
	char tmp[4096];
	if (s->len > sizeof(tmp))
		return false;
	size_t n = lp_unescape(s, tmp);
	return n == (size_t)json_object_get_string_len(j) &&
	       memcmp(tmp, json_object_get_string(j), n) == 0;
}

/* Tag indexes in key order. */
static void sort_tags(const struct lp_metric *m, size_t *order)
{
	size_t nt = m->ntags;
	for (size_t i = 0; i < nt; i++)
		order[i] = i;
	for (size_t i = 1; i < nt; i++)
		for (size_t j = i;
		     j > 0 && lp_slice_cmp(&m->tags[order[j - 1]].key,
					   &m->tags[order[j]].key) > 0;
		     j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

/* The corpus's harness turns a decoded point into an error when a tag key
 * repeats or the time overflows in the case's precision. */
static const char *harness_error(const struct lp_metric *m, int64_t prec)
{
	size_t nt = m->ntags;
	size_t order[nt ? nt : 1];
	sort_tags(m, order);
	for (size_t i = 1; i < nt; i++)
		if (lp_slice_cmp(&m->tags[order[i - 1]].key,
				 &m->tags[order[i]].key) == 0)
			return "duplicate tag key";
	int64_t t;
	if (m->has_time && __builtin_mul_overflow(m->time, prec, &t))
		return "time out of range";
	return NULL;
}

/* Compare one parsed metric with one expected point. NULL when equal,
 * else why not. */
static const char *point_differs(const struct lp_metric *m, json_object *pt,
				 int64_t prec, int64_t default_time)
{
	if (!slice_equals_json(&m->name, get(pt, "name")))
		return "name";
	size_t nt = m->ntags;
	size_t order[nt ? nt : 1];
	sort_tags(m, order);
	json_object *tags = get(pt, "tags");
	if (json_object_array_length(tags) != nt)
		return "number of tags";
	for (size_t i = 0; i < nt; i++) {
		json_object *t = json_object_array_get_idx(tags, i);
		if (!slice_equals_json(&m->tags[order[i]].key, get(t, "key")) ||
		    !slice_equals_json(&m->tags[order[i]].value,
				       get(t, "value")))
			return "tag";
	}
	json_object *fields = get(pt, "fields");
	if (json_object_array_length(fields) != m->nfields)
		return "number of fields";
	for (size_t i = 0; i < m->nfields; i++) {
		const struct lp_field *f = &m->fields[i];
		json_object *jf = json_object_array_get_idx(fields, i);
		if (!slice_equals_json(&f->key, get(jf, "key")))
			return "field key";
		json_object *v = get(jf, "value"), *x;
		switch (f->type) {
		case LP_FLOAT:
			if (!(x = get(v, "float")) ||
			    json_object_get_double(x) != f->v.f)
				return "float field";
			break;
		case LP_INT:
			if (!(x = get(v, "int")) ||
			    json_object_get_int64(x) != f->v.i)
				return "int field";
			break;
		case LP_UINT:
			if (!(x = get(v, "uint")) ||
			    json_object_get_uint64(x) != f->v.u)
				return "uint field";
			break;
		case LP_BOOL:
			if (!(x = get(v, "bool")) ||
			    json_object_get_boolean(x) != f->v.b)
				return "bool field";
			break;
		case LP_STRING:
			if (!(x = get(v, "string")) ||
			    !slice_equals_json(&f->v.s, x))
				return "string field";
			break;
		}
	}
	int64_t t;
	if (m->has_time) {
		t = m->time * prec; /* harness_error checked the range */
	} else {
		/* Go's Time.Truncate: down to a multiple of the precision. */
		t = default_time / prec * prec;
		if (t > default_time)
			t -= prec;
	}
	if (t != json_object_get_int64(get(pt, "time")))
		return "time";
	return NULL;
}

/* "... at line L:C: ..." in the corpus's error text. */
static bool corpus_position(const char *msg, size_t *line, size_t *col)
{
	const char *at = strstr(msg, "at line ");
	return at && sscanf(at, "at line %zu:%zu", line, col) == 2;
}

struct decode_stats {
	size_t cases, agree, listed, positions, positions_agree;
	size_t validate_checked;
	size_t skim_checked, skim_valid;
	int unlisted;
};

/* Spaces at the start of physical line `line` (1-based) of text. */
static size_t leading_spaces(const char *text, size_t len, size_t line)
{
	size_t i = 0;
	for (size_t l = 1; l < line && i < len; i++)
		if (text[i] == '\n')
			l++;
	size_t n = 0;
	while (i + n < len && text[i + n] == ' ')
		n++;
	return n;
}

/* Decode one text. Returns NULL when telex agrees with the case. */
static const char *decode_case(const char *key, const char *text, size_t len,
			       json_object *out, int64_t prec,
			       int64_t default_time, struct decode_stats *st)
{
	json_object *want_err = get(out, "error");
	json_object *want = get(out, "result");
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_reader r;
	lp_reader_init(&r, text, len);
	struct lp_splitter sp;
	lp_splitter_init(&sp);
	size_t pos = 0, npoints = 0;
	const char *why = NULL;
	bool got_err = false;
	struct lp_error err;
	/* The reader's metrics, and the same texts through the validator. */
	for (;;) {
		enum lp_read_result rc = lp_reader_next(&r, &m, &err);
		if (rc == LP_READ_END)
			break;
		if (rc == LP_READ_INVALID) {
			got_err = true;
			break;
		}
		/* What the corpus's own harness rejects after decoding. */
		const char *harness = harness_error(&m, prec);
		if (harness) {
			got_err = true;
			snprintf(err.msg, sizeof(err.msg), "%s", harness);
			err.line = 0;
			break;
		}
		if (want && npoints < json_object_array_length(want) && !why)
			why = point_differs(
			    &m, json_object_array_get_idx(want, npoints), prec,
			    default_time);
		npoints++;
	}
	/* Validator against parser on every metric text of the input. */
	while (pos < len) {
		size_t first = sp.line, tl;
		size_t n = lp_split_next(&sp, text + pos, len - pos, &tl);
		if (n == 0) {
			n = tl = len - pos;
			if (tl && text[pos + tl - 1] == '\r')
				tl--;
		}
		struct lp_error e1, e2;
		memset(&e1, 0, sizeof(e1));
		memset(&e2, 0, sizeof(e2));
		int v = lp_validate_line(text + pos, tl, first, &e1);
		int p = lp_parse_line(text + pos, tl, first, &m, &e2);
		st->validate_checked++;
		if (v != p ||
		    (v < 0 && (e1.line != e2.line || e1.column != e2.column ||
			       strcmp(e1.msg, e2.msg) != 0))) {
			print_message(
			    "case %s: validate %d (%s) parse %d (%s)\n", key, v,
			    e1.msg, p, e2.msg);
			st->unlisted++;
		}
		const char *skim =
		    skim_differs(text + pos, tl, first, p, &m, &e2);
		st->skim_checked++;
		st->skim_valid += p == 0;
		if (skim) {
			print_message("case %s: %s\n", key, skim);
			st->unlisted++;
		}
		pos += n;
	}
	lp_metric_free(&m);
	if (want_err) {
		if (!got_err)
			return "expected an error, got none";
		size_t l, c;
		if (corpus_position(json_object_get_string(want_err), &l, &c) &&
		    err.line) {
			/* influxdata/line-protocol counts columns from the
			 * measurement, after leading spaces; telex from the
			 * start of the line, as an editor does. */
			size_t lead = leading_spaces(text, len, err.line);
			st->positions++;
			if (l == err.line &&
			    (c == err.column || c + lead == err.column))
				st->positions_agree++;
			else
				print_message(
				    "case %s: error at %zu:%zu, corpus "
				    "%s\n",
				    key, err.line, err.column,
				    json_object_get_string(want_err));
		}
		return NULL;
	}
	if (got_err) {
		static char msg[300];
		snprintf(msg, sizeof(msg), "unexpected error: %s at %zu:%zu",
			 err.msg, err.line, err.column);
		return msg;
	}
	if (why)
		return why;
	if (npoints != json_object_array_length(want))
		return "number of points";
	return NULL;
}

static void test_corpus_decode(void **state)
{
	(void)state;
	json_object *corpus = load_corpus();
	json_object *dec = get(corpus, "decode");
	struct decode_stats st = {0};
	size_t listed_seen = 0;
	json_object_object_foreach(dec, key, c)
	{
		json_object *in = get(c, "input");
		json_object *jt = get(in, "text");
		char *text;
		size_t len;
		if (json_object_is_type(jt, json_type_string)) {
			len = (size_t)json_object_get_string_len(jt);
			text = malloc(len + 1);
			memcpy(text, json_object_get_string(jt), len);
		} else {
			const char *b =
			    json_object_get_string(get(jt, "binary"));
			text = malloc(strlen(b) + 1);
			len = b64decode(b, text);
		}
		int64_t prec =
		    precision_ns(json_object_get_string(get(in, "precision")));
		int64_t dt = json_object_get_int64(get(in, "defaultTime"));
		st.cases++;
		const char *why = decode_case(key, text, len, get(c, "output"),
					      prec, dt, &st);
		const char *reason = find_listed(listed_decode, key);
		if (reason)
			listed_seen++;
		if (!why) {
			st.agree++;
			if (reason) {
				print_message("listed decode case %s agrees: "
					      "remove it from the list\n",
					      key);
				st.unlisted++;
			}
		} else if (reason) {
			st.listed++;
		} else {
			print_message("decode %s: %s\n  input: %.*s\n", key,
				      why, (int)len, text);
			st.unlisted++;
		}
		free(text);
	}
	print_message("decode: %zu cases, %zu agree, %zu listed differences, "
		      "%d unlisted; error positions agree %zu/%zu; "
		      "validate==parse on %zu metric texts; series key, "
		      "time and name agree on %zu (%zu valid)\n",
		      st.cases, st.agree, st.listed, st.unlisted,
		      st.positions_agree, st.positions, st.validate_checked,
		      st.skim_checked, st.skim_valid);
	json_object_put(corpus);
	assert_int_equal(st.cases, 6615);
	assert_int_equal(st.unlisted, 0);
	assert_int_equal(st.skim_checked, st.validate_checked);
	/* Most of the corpus is errors; these valid texts are what the
	 * series key, time and name are compared on. */
	assert_true(st.skim_valid >= 500);
	assert_int_equal(st.positions_agree, st.positions);
}

/* Both lines read back as the same metric (names, tags, fields with
 * types and values, time). */
static bool same_metric(const struct buf *got, json_object *want)
{
	struct lp_metric a, b;
	lp_metric_init(&a);
	lp_metric_init(&b);
	const char *w = json_object_get_string(want);
	size_t wl = (size_t)json_object_get_string_len(want);
	bool same = got->len > 0 &&
		    lp_parse_line(got->data, got->len - 1, 1, &a, NULL) == 0 &&
		    lp_parse_line(w, wl, 1, &b, NULL) == 0 &&
		    lp_slice_cmp(&a.name, &b.name) == 0 && a.ntags == b.ntags &&
		    a.nfields == b.nfields && a.has_time == b.has_time &&
		    a.time == b.time;
	for (size_t i = 0; same && i < a.ntags; i++)
		same = lp_slice_cmp(&a.tags[i].key, &b.tags[i].key) == 0 &&
		       lp_slice_cmp(&a.tags[i].value, &b.tags[i].value) == 0;
	for (size_t i = 0; same && i < a.nfields; i++) {
		const struct lp_field *x = &a.fields[i], *y = &b.fields[i];
		same =
		    lp_slice_cmp(&x->key, &y->key) == 0 && x->type == y->type;
		if (!same)
			break;
		switch (x->type) {
		case LP_FLOAT:
			same = x->v.f == y->v.f;
			break;
		case LP_INT:
			same = x->v.i == y->v.i;
			break;
		case LP_UINT:
			same = x->v.u == y->v.u;
			break;
		case LP_BOOL:
			same = x->v.b == y->v.b;
			break;
		case LP_STRING:
			same = lp_slice_cmp(&x->v.s, &y->v.s) == 0;
			break;
		}
	}
	lp_metric_free(&a);
	lp_metric_free(&b);
	return same;
}

static void test_corpus_encode(void **state)
{
	(void)state;
	json_object *corpus = load_corpus();
	json_object *enc = get(corpus, "encode");
	size_t cases = 0, agree = 0, listed = 0;
	int unlisted = 0;
	json_object_object_foreach(enc, key, c)
	{
		json_object *in = get(c, "input"), *pt = get(in, "point");
		json_object *out = get(c, "output");
		struct lp_metric m;
		lp_metric_init(&m);
		json_object *name = get(pt, "name");
		lp_metric_set_name(&m, json_object_get_string(name),
				   (size_t)json_object_get_string_len(name));
		json_object *tags = get(pt, "tags");
		for (size_t i = 0; i < json_object_array_length(tags); i++) {
			json_object *t = json_object_array_get_idx(tags, i);
			json_object *k = get(t, "key"), *v = get(t, "value");
			lp_metric_add_tag(
			    &m, json_object_get_string(k),
			    (size_t)json_object_get_string_len(k),
			    json_object_get_string(v),
			    (size_t)json_object_get_string_len(v));
		}
		json_object *fields = get(pt, "fields");
		for (size_t i = 0; i < json_object_array_length(fields); i++) {
			json_object *f = json_object_array_get_idx(fields, i);
			json_object *k = get(f, "key"), *v = get(f, "value"),
				    *x;
			const char *ks = json_object_get_string(k);
			size_t kl = (size_t)json_object_get_string_len(k);
			if ((x = get(v, "float")))
				lp_metric_add_float(&m, ks, kl,
						    json_object_get_double(x));
			else if ((x = get(v, "int")))
				lp_metric_add_int(&m, ks, kl,
						  json_object_get_int64(x));
			else if ((x = get(v, "uint")))
				lp_metric_add_uint(&m, ks, kl,
						   json_object_get_uint64(x));
			else if ((x = get(v, "bool")))
				lp_metric_add_bool(&m, ks, kl,
						   json_object_get_boolean(x));
			else if ((x = get(v, "string")))
				lp_metric_add_string(
				    &m, ks, kl, json_object_get_string(x),
				    (size_t)json_object_get_string_len(x));
		}
		lp_metric_set_time(&m, json_object_get_int64(get(pt, "time")));
		struct buf b = BUF_INIT;
		struct lp_error err;
		int rc = lp_write_metric(&b, &m, LP_WRITE_UINT, &err);
		const char *why = NULL;
		json_object *want = get(out, "result");
		if (get(out, "error")) {
			if (rc == 0)
				why = "expected an error, got none";
		} else if (rc != 0) {
			why = "unexpected error";
		} else {
			size_t wl = (size_t)json_object_get_string_len(want);
			if (b.len != wl + 1 ||
			    memcmp(b.data, json_object_get_string(want), wl) ||
			    b.data[wl] != '\n')
				why = "different line";
		}
		cases++;
		const char *reason = find_listed(listed_encode, key);
		if (!why) {
			agree++;
			if (reason) {
				print_message("listed encode case %s agrees: "
					      "remove it from the list\n",
					      key);
				unlisted++;
			}
		} else if (reason) {
			listed++;
			if (strcmp(reason, FLOAT_TEXT) == 0 &&
			    !same_metric(&b, want)) {
				print_message(
				    "encode %s: listed for its float "
				    "text, but reads back different\n",
				    key);
				unlisted++;
			}
		} else {
			print_message("encode %s: %s\n  got:  %.*s  want: %s\n",
				      key, why, (int)b.len, b.data,
				      want ? json_object_get_string(want)
					   : "(error)");
			unlisted++;
		}
		buf_free(&b);
		lp_metric_free(&m);
	}
	print_message("encode: %zu cases, %zu agree, %zu listed differences, "
		      "%d unlisted\n",
		      cases, agree, listed, unlisted);
	json_object_put(corpus);
	assert_int_equal(cases, 115);
	assert_int_equal(unlisted, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus_decode),
	    cmocka_unit_test(test_corpus_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
