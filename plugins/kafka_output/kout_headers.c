/*
 * kout_headers.c: [outputs.kafka.headers], header name = a Go text/template
 * over the metric. The native plugin runs Go's template engine; telex
 * understands the three actions that make sense for a metric and literal
 * text around them:
 *
 *   {{ .Name }}   {{ .Tag "key" }}   {{ .Field "key" }}
 *
 * with Go's trim markers ({{- and -}}) and both string forms ("..." with
 * escapes, `raw`). Anything else is a config error at start-up, not a
 * surprise per metric. A missing tag or field gives an empty value.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kout.h"

static int kout_part_add(struct kout_header *h, enum kout_part_kind kind,
			 const char *text, size_t len)
{
	if (kind == KOUT_TEXT && len == 0)
		return 0;
	char *copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	struct kout_part *p =
	    realloc(h->parts, (h->nparts + 1) * sizeof(*h->parts));
	if (!p) {
		free(copy);
		return -1;
	}
	h->parts = p;
	p[h->nparts].kind = kind;
	p[h->nparts].text = copy;
	p[h->nparts].len = len;
	h->nparts++;
	return 0;
}

static const char *kout_skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A Go string literal at p: "..." (escapes \\ \" \n \t \r) or `...`.
 * Writes the value into out (room for end - p bytes); returns the end of
 * the literal, or NULL. */
static const char *kout_go_string(const char *p, const char *end, char *out,
				  size_t *outlen)
{
	size_t n = 0;
	if (p < end && *p == '`') {
		const char *q = memchr(p + 1, '`', (size_t)(end - p - 1));
		if (!q)
			return NULL;
		memcpy(out, p + 1, (size_t)(q - p - 1));
		*outlen = (size_t)(q - p - 1);
		return q + 1;
	}
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end && *p != '"'; p++) {
		if (*p != '\\') {
			out[n++] = *p;
			continue;
		}
		if (++p == end)
			return NULL;
		switch (*p) {
		case '\\':
		case '"':
			out[n++] = *p;
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		default:
			return NULL;
		}
	}
	if (p >= end)
		return NULL;
	*outlen = n;
	return p + 1;
}

/* One action between {{ and }} (markers removed). */
static int kout_action(struct kout_header *h, const char *p, const char *end,
		       char *err, size_t errlen)
{
	p = kout_skip_space(p, end);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	static const struct {
		const char *word;
		enum kout_part_kind kind;
	} actions[] = {
	    {".Name", KOUT_NAME}, {".Tag", KOUT_TAG}, {".Field", KOUT_FIELD}};
	for (size_t i = 0; i < 3; i++) {
		size_t wl = strlen(actions[i].word);
		if ((size_t)(end - p) < wl ||
		    memcmp(p, actions[i].word, wl) != 0)
			continue;
		const char *q = p + wl;
		if (actions[i].kind == KOUT_NAME) {
			if (q != end)
				break;
			return kout_part_add(h, KOUT_NAME, "", 0);
		}
		if (q == end || (*q != ' ' && *q != '\t'))
			break;
		q = kout_skip_space(q, end);
		size_t room = (size_t)(end - q) + 1, klen = 0;
		/* Never true (q <= end), but -D_FORTIFY_SOURCE=3 cannot tell:
		 * without it gcc 12 fails alloc-size-larger-than. */
		if (room > PTRDIFF_MAX)
			break;
		char *key = malloc(room);
		if (!key)
			return -1;
		const char *after = kout_go_string(q, end, key, &klen);
		int rc = -2;
		if (after && kout_skip_space(after, end) == end && klen)
			rc = kout_part_add(h, actions[i].kind, key, klen);
		free(key);
		if (rc != -2)
			return rc;
		break;
	}
	snprintf(err, errlen,
		 "header \"%s\": unsupported template action \"{{%.*s}}\"; "
		 "telex understands {{ .Name }}, {{ .Tag \"key\" }} and "
		 "{{ .Field \"key\" }}",
		 h->name, (int)(end - p), p);
	return -2;
}

static int kout_header_compile(struct kout_header *h, const char *tmpl,
			       char *err, size_t errlen)
{
	const char *p = tmpl, *end = tmpl + strlen(tmpl);
	const char *text = p;
	while (p < end) {
		const char *open = strstr(p, "{{");
		if (!open)
			break;
		const char *close = strstr(open + 2, "}}");
		if (!close) {
			snprintf(err, errlen,
				 "header \"%s\": \"{{\" without \"}}\" in "
				 "template \"%s\"",
				 h->name, tmpl);
			return -2;
		}
		const char *a = open + 2, *b = close;
		const char *text_end = open;
		/* Trim markers: "{{- " eats the spaces before, " -}}" after. */
		if (b - a >= 2 && a[0] == '-' &&
		    (a[1] == ' ' || a[1] == '\t')) {
			a += 2;
			while (text_end > text &&
			       (text_end[-1] == ' ' || text_end[-1] == '\t' ||
				text_end[-1] == '\n' || text_end[-1] == '\r'))
				text_end--;
		}
		bool trim_after = b - a >= 2 && b[-1] == '-' &&
				  (b[-2] == ' ' || b[-2] == '\t');
		if (trim_after)
			b -= 2;
		if (kout_part_add(h, KOUT_TEXT, text,
				  (size_t)(text_end - text)))
			return -1;
		int rc = kout_action(h, a, b, err, errlen);
		if (rc)
			return rc;
		p = close + 2;
		if (trim_after)
			p = kout_skip_space(p, end);
		text = p;
	}
	if (strstr(text, "}}")) {
		snprintf(err, errlen,
			 "header \"%s\": \"}}\" without \"{{\" in template "
			 "\"%s\"",
			 h->name, tmpl);
		return -2;
	}
	return kout_part_add(h, KOUT_TEXT, text, strlen(text));
}

static int kout_headers_add(struct kout_headers *hs, const char *name,
			    const char *tmpl, char *err, size_t errlen)
{
	if (hs->n == 64) {
		snprintf(err, errlen, "more than 64 headers");
		return -1;
	}
	struct kout_header *h = realloc(hs->h, (hs->n + 1) * sizeof(*h));
	if (!h)
		goto oom;
	hs->h = h;
	h = &hs->h[hs->n];
	memset(h, 0, sizeof(*h));
	h->name = strdup(name);
	if (!h->name)
		goto oom;
	hs->n++;
	int rc = kout_header_compile(h, tmpl, err, errlen);
	if (rc == -1)
		goto oom;
	return rc ? -1 : 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

int kout_headers_compile(struct kout_headers *hs, const struct cfg_map *m,
			 const char *metric_name_header, char *err,
			 size_t errlen)
{
	memset(hs, 0, sizeof(*hs));
	for (size_t i = 0; i < m->n; i++)
		if (kout_headers_add(hs, m->keys[i], m->values[i], err, errlen))
			return -1;
	/* The deprecated option is a {{ .Name }} header (Telegraf 1.39). */
	if (metric_name_header && *metric_name_header)
		return kout_headers_add(hs, metric_name_header, "{{ .Name }}",
					err, errlen);
	return 0;
}

void kout_headers_free(struct kout_headers *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		for (size_t j = 0; j < hs->h[i].nparts; j++)
			free(hs->h[i].parts[j].text);
		free(hs->h[i].parts);
		free(hs->h[i].name);
	}
	free(hs->h);
	memset(hs, 0, sizeof(*hs));
}

/* A float as Go's fmt prints it with %v (strconv 'g', shortest digits):
 * the exponent form when the decimal exponent is < -4 or >= 6, so 1e6
 * prints as "1e+06" and 123456.5 as "123456.5". */
size_t kout_format_float_go(double v, char *out)
{
	if (isnan(v))
		return (size_t)sprintf(out, "NaN");
	if (isinf(v))
		return (size_t)sprintf(out, v > 0 ? "+Inf" : "-Inf");
	if (v == 0)
		return (size_t)sprintf(out, signbit(v) ? "-0" : "0");
	/* The shortest digits that read back as v. */
	char e[40];
	int prec;
	for (prec = 0; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, v);
		if (strtod(e, NULL) == v)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", prec, v);
	/* e: [-]d[.ddd]e[+-]xx */
	char digits[24] = {0};
	size_t nd = 0;
	const char *s = e;
	bool neg = *s == '-';
	if (neg)
		s++;
	for (; *s && *s != 'e'; s++)
		if (*s != '.')
			digits[nd++] = *s;
	int exp = atoi(s + 1);
	size_t o = 0;
	if (neg)
		out[o++] = '-';
	if (exp < -4 || exp >= 6) {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			memcpy(out + o, digits + 1, nd - 1);
			o += nd - 1;
		}
		o += (size_t)sprintf(out + o, "e%c%02d", exp < 0 ? '-' : '+',
				     exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = -1; i > exp; i--)
			out[o++] = '0';
		memcpy(out + o, digits, nd);
		o += nd;
	} else {
		for (int i = 0; i <= exp; i++)
			out[o++] = (char)((size_t)i < nd ? digits[i] : '0');
		if (nd > (size_t)exp + 1) {
			out[o++] = '.';
			memcpy(out + o, digits + exp + 1, nd - (size_t)exp - 1);
			o += nd - (size_t)exp - 1;
		}
	}
	out[o] = '\0';
	return o;
}

static int kout_field_text(struct buf *out, const struct lp_field *f)
{
	char tmp[40];
	int n;
	switch (f->type) {
	case LP_FLOAT:
		n = (int)kout_format_float_go(f->v.f, tmp);
		break;
	case LP_INT:
		n = snprintf(tmp, sizeof(tmp), "%lld", (long long)f->v.i);
		break;
	case LP_UINT:
		n = snprintf(tmp, sizeof(tmp), "%llu",
			     (unsigned long long)f->v.u);
		break;
	case LP_BOOL:
		n = snprintf(tmp, sizeof(tmp), "%s", f->v.b ? "true" : "false");
		break;
	case LP_STRING: {
		char *dst = buf_reserve(out, f->v.s.len + 1);
		if (!dst)
			return -1;
		out->len += lp_unescape(&f->v.s, dst);
		return 0;
	}
	default:
		return 0;
	}
	return buf_append(out, tmp, (size_t)n);
}

int kout_headers_eval(const struct kout_headers *hs, const struct lp_metric *m,
		      struct buf *out, size_t *ends)
{
	size_t base = out->len;
	for (size_t i = 0; i < hs->n; i++) {
		const struct kout_header *h = &hs->h[i];
		for (size_t j = 0; j < h->nparts; j++) {
			const struct kout_part *p = &h->parts[j];
			int rc = 0;
			if (p->kind == KOUT_TEXT) {
				rc = buf_append(out, p->text, p->len);
			} else if (p->kind == KOUT_NAME) {
				rc = kout_append_unescaped(out, &m->name);
			} else if (p->kind == KOUT_TAG) {
				const struct lp_tag *t =
				    lp_metric_find_tag(m, p->text, p->len);
				if (t)
					rc = kout_append_unescaped(out,
								   &t->value);
			} else {
				const struct lp_field *f =
				    lp_metric_find_field(m, p->text, p->len);
				if (f)
					rc = kout_field_text(out, f);
			}
			if (rc)
				return -1;
		}
		ends[i] = out->len - base;
	}
	return 0;
}
