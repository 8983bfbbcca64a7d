/*
 * lv_map.c: one domain's typed statistics to native metrics (lv_map.h).
 *
 * Keys are parsed by lv_keys.c once per position (the domains of a host
 * report the same keys in the same order, so later domains only compare
 * them). Each value is filed under its series (a
 * measurement plus its index tags) and emitted when the domain is done, so a
 * measurement whose keys libvirt interleaves with others (cpu.time, then
 * cpu.cache.monitor.count, then cpu.haltpoll.*) still becomes one metric.
 * Series, values and tags point at the parameters themselves: nothing is
 * copied or formatted except the names kvm_vcpu_stats builds.
 */
#include "lv_map.h"

#include <stdlib.h>
#include <string.h>

#include "lv_keys.h"
#include "lv_schema.h"

struct lv_series {
	uint8_t meas;
	uint8_t i1len, i2len;
	const char *i1, *i2;
	uint32_t present; /* bit k: val[k] is set */
	int32_t extra_head, extra_tail;
	const virTypedParameter *val[LV_MAX_KEYS];
};

struct lv_parsed {
	char field[VIR_TYPED_PARAM_FIELD_LENGTH]; /* the key, NUL ended */
	uint8_t len; /* FIELD_LENGTH: an empty slot */
	struct lv_key_info k;
};

/* A key's series and field. */
struct lv_ref {
	int meas;
	int key; /* -1: extra */
	const char *i1, *i2;
	size_t i1len, i2len;
};

struct lv_extra {
	uint32_t name_off; /* in mp->names */
	uint32_t name_len;
	const virTypedParameter *p;
	int32_t next;
};

/* Per measurement, its possible tags sorted by key: the writer's order, so
 * the text can be written as the tags are added. */
static void lv_mapper_order_tags(struct lv_mapper *mp)
{
	for (int m = 0; m < LV_M_COUNT; m++) {
		const struct lv_meas_def *d = &lv_schema[m];
		const char *keys[5];
		uint8_t ids[5];
		unsigned n = 0;
		keys[n] = "domain_name", ids[n++] = LV_TAG_DOMAIN;
		if (mp->opt.domain_uuid_tag)
			keys[n] = "domain_uuid", ids[n++] = LV_TAG_UUID;
		if (d->tag1)
			keys[n] = d->tag1, ids[n++] = LV_TAG_INDEX1;
		if (d->tag2)
			keys[n] = d->tag2, ids[n++] = LV_TAG_INDEX2;
		if (d->name_tag && mp->opt.device_name_tags)
			keys[n] = d->name_tag, ids[n++] = LV_TAG_DEVICE;
		for (unsigned i = 1; i < n; i++) { /* insertion sort */
			for (unsigned j = i;
			     j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
				const char *k = keys[j];
				keys[j] = keys[j - 1], keys[j - 1] = k;
				uint8_t id = ids[j];
				ids[j] = ids[j - 1], ids[j - 1] = id;
			}
		}
		memcpy(mp->tag_order[m], ids, n);
		mp->ntag_order[m] = (uint8_t)n;
	}
}

void lv_mapper_init(struct lv_mapper *mp, const struct lv_map_options *opt,
		    lv_emit_fn emit, void *emit_arg)
{
	memset(mp, 0, sizeof(*mp));
	mp->opt = *opt;
	mp->emit = emit;
	mp->emit_arg = emit_arg;
	lp_metric_init(&mp->metric);
	lv_mapper_order_tags(mp);
}

void lv_mapper_free(struct lv_mapper *mp)
{
	lp_metric_free(&mp->metric);
	buf_free(&mp->line.text);
	free(mp->parsed);
	free(mp->series);
	free(mp->extras);
	buf_free(&mp->names);
	memset(mp, 0, sizeof(*mp));
}

static bool lv_series_is(const struct lv_series *s, const struct lv_ref *r)
{
	return s->i1len == r->i1len && s->i2len == r->i2len &&
	       (r->i1len == 0 || memcmp(s->i1, r->i1, r->i1len) == 0) &&
	       (r->i2len == 0 || memcmp(s->i2, r->i2, r->i2len) == 0);
}

/* The series a key belongs to, created on first use. A measurement
 * without index has one series per domain (found directly); a device's
 * keys come in runs, so the measurement's last series is tried before the
 * others. */
static struct lv_series *lv_series_get(struct lv_mapper *mp,
				       const struct lv_ref *r, int16_t *last_of)
{
	int16_t i = last_of[r->meas];
	if (i >= 0 && lv_series_is(&mp->series[i], r))
		return &mp->series[i];
	if (i >= 0 && lv_schema[r->meas].tag1) {
		for (size_t k = 0; k < mp->nseries; k++) {
			struct lv_series *s = &mp->series[k];
			if (s->meas == r->meas && lv_series_is(s, r)) {
				last_of[r->meas] = (int16_t)k;
				return s;
			}
		}
	}
	if (r->i1len > 255 || r->i2len > 255 || mp->nseries >= INT16_MAX)
		return NULL;
	if (mp->nseries == mp->series_cap) {
		size_t cap = mp->series_cap ? mp->series_cap * 2 : 32;
		void *p = realloc(mp->series, cap * sizeof(*mp->series));
		if (!p)
			return NULL;
		mp->series = p;
		mp->series_cap = cap;
	}
	struct lv_series *s = &mp->series[mp->nseries];
	s->meas = (uint8_t)r->meas;
	s->i1 = r->i1 ? r->i1 : "", s->i1len = (uint8_t)r->i1len;
	s->i2 = r->i2 ? r->i2 : "", s->i2len = (uint8_t)r->i2len;
	s->present = 0;
	s->extra_head = s->extra_tail = -1;
	last_of[r->meas] = (int16_t)mp->nseries++;
	return s;
}

static int lv_add_extra(struct lv_mapper *mp, struct lv_series *s,
			const char *name, size_t n, const virTypedParameter *p)
{
	if (mp->nextras == mp->extras_cap) {
		size_t cap = mp->extras_cap ? mp->extras_cap * 2 : 64;
		void *q = realloc(mp->extras, cap * sizeof(*mp->extras));
		if (!q)
			return -1;
		mp->extras = q;
		mp->extras_cap = cap;
	}
	size_t off = mp->names.len;
	char *dst = buf_reserve(&mp->names, n);
	if (!dst)
		return -1;
	for (size_t i = 0; i < n; i++)
		dst[i] =
		    (char)(name[i] == '.' || name[i] == '-' ? '_' : name[i]);
	mp->names.len += n;
	struct lv_extra *e = &mp->extras[mp->nextras];
	e->name_off = (uint32_t)off;
	e->name_len = (uint32_t)n;
	e->p = p;
	e->next = -1;
	if (s->extra_tail >= 0)
		mp->extras[s->extra_tail].next = (int32_t)mp->nextras;
	else
		s->extra_head = (int32_t)mp->nextras;
	s->extra_tail = (int32_t)mp->nextras++;
	return 0;
}

/* One value as a field of the metric and of its text: integers of every
 * width become int64 (unsigned clipped, as Telegraf writes them), booleans
 * 0/1. */
static int lv_add_int(struct lv_mapper *mp, const char *k, size_t kl, int64_t v)
{
	lv_line_int(&mp->line, k, kl, v);
	return lp_metric_add_int(&mp->metric, k, kl, v);
}

static int lv_add_value(struct lv_mapper *mp, const char *k, size_t kl,
			const virTypedParameter *p)
{
	switch (p->type) {
	case VIR_TYPED_PARAM_INT:
		return lv_add_int(mp, k, kl, p->value.i);
	case VIR_TYPED_PARAM_UINT:
		return lv_add_int(mp, k, kl, p->value.ui);
	case VIR_TYPED_PARAM_LLONG:
		return lv_add_int(mp, k, kl, p->value.l);
	case VIR_TYPED_PARAM_ULLONG:
		return lv_add_int(
		    mp, k, kl,
		    p->value.ul > INT64_MAX ? INT64_MAX : (int64_t)p->value.ul);
	case VIR_TYPED_PARAM_DOUBLE:
		lv_line_float(&mp->line, k, kl, p->value.d);
		return lp_metric_add_float(&mp->metric, k, kl, p->value.d);
	case VIR_TYPED_PARAM_BOOLEAN:
		return lv_add_int(mp, k, kl, p->value.b ? 1 : 0);
	case VIR_TYPED_PARAM_STRING: {
		if (!p->value.s)
			return 0;
		size_t n = strlen(p->value.s);
		lv_line_string(&mp->line, k, kl, p->value.s, n);
		return lp_metric_add_string(&mp->metric, k, kl, p->value.s, n);
	}
	default:
		return 0;
	}
}

static bool lv_halted(const virTypedParameter *p)
{
	if (p->type == VIR_TYPED_PARAM_STRING)
		return p->value.s && strcmp(p->value.s, "yes") == 0;
	return p->value.b != 0;
}

static int64_t lv_pcpu_of(const struct lv_domain_info *d, const char *idx,
			  size_t n)
{
	size_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (idx[i] < '0' || idx[i] > '9' || v > 1000000)
			return -1;
		v = v * 10 + (size_t)(idx[i] - '0');
	}
	if (!d->vcpu_pcpu || v >= d->nvcpu_pcpu)
		return -1;
	return d->vcpu_pcpu[v];
}

/* The tags of a series, in key order (the writer's order: the text is
 * written as they are added). */
static int lv_series_tags(struct lv_mapper *mp, const struct lv_domain_info *d,
			  const struct lv_series *s, const char *dev_name)
{
	const struct lv_meas_def *def = &lv_schema[s->meas];
	int rc = 0;
	for (unsigned k = 0; k < mp->ntag_order[s->meas]; k++) {
		const char *key = NULL, *v = NULL;
		size_t kl = 0, vl = 0;
		unsigned id = mp->tag_order[s->meas][k];
		switch (id) {
		case LV_TAG_DOMAIN:
			key = "domain_name", kl = 11;
			v = d->name, vl = d->name_len;
			break;
		case LV_TAG_UUID:
			if (!d->uuid)
				continue;
			key = "domain_uuid", kl = 11;
			v = d->uuid, vl = 36;
			break;
		case LV_TAG_INDEX1:
			key = def->tag1, kl = def->t1len;
			v = s->i1, vl = s->i1len;
			break;
		case LV_TAG_INDEX2:
			key = def->tag2, kl = def->t2len;
			v = s->i2, vl = s->i2len;
			break;
		case LV_TAG_DEVICE:
			if (!dev_name)
				continue;
			key = def->name_tag, kl = def->ntlen;
			v = dev_name, vl = strlen(dev_name);
			break;
		}
		/* The domain's name and UUID were checked once per domain. */
		if ((id == LV_TAG_DOMAIN || id == LV_TAG_UUID) && mp->dom_plain)
			lv_line_plain_tag_add(&mp->line, key, kl, v, vl);
		else if (id == LV_TAG_DOMAIN || id == LV_TAG_UUID)
			mp->line.ok = false;
		else
			lv_line_tag(&mp->line, key, kl, v, vl);
		rc |= lp_metric_add_tag(&mp->metric, key, kl, v, vl);
	}
	return rc;
}

void lv_mapper_emit(struct lv_mapper *mp, int64_t time, int rc, bool text)
{
	struct lp_metric *m = &mp->metric;
	if (rc) {
		mp->no_memory++;
		return;
	}
	if (m->nfields == 0)
		return;
	lp_metric_set_time(m, time);
	if (text && lv_line_end(&mp->line, time)) {
		m->line.ptr = mp->line.text.data;
		m->line.len = mp->line.text.len;
		m->line.escaped = false;
		m->modified = false;
	}
	if (mp->emit(mp->emit_arg, m) == TELEX_EMIT_UNWRITABLE)
		mp->dropped++;
	else
		mp->metrics++;
}

static void lv_mapper_start(struct lv_mapper *mp, const char *name, size_t n)
{
	lp_metric_reset(&mp->metric);
	lv_line_begin(&mp->line, name, n);
	lp_metric_set_name(&mp->metric, name, n);
}

static void lv_emit_series(struct lv_mapper *mp, const struct lv_domain_info *d,
			   const struct lv_series *s)
{
	const struct lv_meas_def *def = &lv_schema[s->meas];
	int rc = 0;

	lv_mapper_start(mp, def->name, def->nlen);
	const char *dev_name = NULL;
	if (mp->opt.device_name_tags && def->name_tag &&
	    (def->keys[0].flags & LV_KEY_NAME) && (s->present & 1)) {
		/* The device name is the first key of a device (LV_KEY_NAME).
		 */
		const virTypedParameter *p = s->val[0];
		if (p->type == VIR_TYPED_PARAM_STRING && p->value.s &&
		    p->value.s[0])
			dev_name = p->value.s;
	}
	rc |= lv_series_tags(mp, d, s, dev_name);
	for (uint32_t bits = s->present; bits; bits &= bits - 1) {
		unsigned k = (unsigned)__builtin_ctz(bits);
		const struct lv_key *key = &def->keys[k];
		const virTypedParameter *p = s->val[k];
		rc |= lv_add_value(mp, key->field, key->flen, p);
		if (key->flags & LV_KEY_HALTED)
			rc |=
			    lv_add_int(mp, "halted_i", 8, lv_halted(p) ? 1 : 0);
	}
	for (int32_t e = s->extra_head; e >= 0; e = mp->extras[e].next) {
		const struct lv_extra *x = &mp->extras[e];
		rc |= lv_add_value(mp, mp->names.data + x->name_off,
				   x->name_len, x->p);
	}
	/* Two kvm statistics may map to the same field name: leave the text
	 * to the writer, which keeps Telegraf's rule for repeated keys. */
	if (s->extra_head >= 0)
		mp->line.ok = false;
	if (s->meas == LV_M_VCPU && mp->opt.vcpu_cpu_id) {
		int64_t pcpu = lv_pcpu_of(d, s->i1, s->i1len);
		if (pcpu >= 0)
			rc |= lv_add_int(mp, "cpu_id", 6, pcpu);
	}
	lv_mapper_emit(mp, mp->time, rc, true);
}

/* a[0..n) == b[0..n), eight bytes at a time: keys are short, and a call
 * to memcmp per key costs more than the comparison. n <= the field size,
 * so no read goes past either buffer. */
static inline bool lv_key_eq(const char *a, const char *b, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	for (; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Parse key p into the cache slot at position i. */
static struct lv_parsed *lv_parse_at(struct lv_mapper *mp, size_t i,
				     const virTypedParameter *p)
{
	if (i >= mp->parsed_cap) {
		size_t cap = mp->parsed_cap ? mp->parsed_cap * 2 : 128;
		while (cap <= i)
			cap *= 2;
		void *q = realloc(mp->parsed, cap * sizeof(*mp->parsed));
		if (!q)
			return NULL;
		mp->parsed = q;
		mp->parsed_cap = cap;
	}
	while (mp->nparsed <= i) /* a longer record than any before */
		mp->parsed[mp->nparsed++].len = VIR_TYPED_PARAM_FIELD_LENGTH;
	struct lv_parsed *c = &mp->parsed[i];
	size_t n = strnlen(p->field, VIR_TYPED_PARAM_FIELD_LENGTH - 1);
	memcpy(c->field, p->field, n);
	c->field[n] = '\0';
	c->len = (uint8_t)n;
	struct lv_key_options o = {.groups = mp->opt.groups,
				   .kvm_vcpu_stats = mp->opt.kvm_vcpu_stats};
	lv_key_parse(p->field, n, &o, mp->guess, &c->k);
	return c;
}

void lv_map_domain(struct lv_mapper *mp, const struct lv_domain_info *dom,
		   const virTypedParameter *params, int nparams,
		   struct lv_domain_result *res)
{
	int16_t last_of[LV_M_COUNT];
	struct lv_ref r;

	memset(last_of, 0xff, sizeof(last_of)); /* -1: none yet */
	res->groups_seen = 0;
	res->state = -1;
	mp->nseries = 0;
	mp->nextras = 0;
	buf_clear(&mp->names);

	for (int i = 0; i < nparams; i++) {
		const virTypedParameter *p = &params[i];
		struct lv_parsed *c =
		    (size_t)i < mp->nparsed ? &mp->parsed[i] : NULL;
		if (!c || c->len >= VIR_TYPED_PARAM_FIELD_LENGTH ||
		    !lv_key_eq(p->field, c->field, (size_t)c->len + 1)) {
			c = lv_parse_at(mp, (size_t)i, p);
			if (!c) {
				mp->no_memory++;
				continue;
			}
		}
		const struct lv_key_info *k = &c->k;
		res->groups_seen |= k->group;
		if (k->state_key && p->type == VIR_TYPED_PARAM_INT)
			res->state = p->value.i;
		if (k->meas < 0)
			continue;
		r.meas = (int)k->meas;
		r.key = (int)k->key;
		r.i1 = p->field + k->i1off, r.i1len = k->i1len;
		r.i2 = p->field + k->i2off, r.i2len = k->i2len;
		struct lv_series *s = lv_series_get(mp, &r, last_of);
		if (!s) {
			mp->no_memory++;
			continue;
		}
		if (r.key >= 0) {
			s->val[r.key] = p;
			s->present |= 1u << r.key;
		} else if (lv_add_extra(mp, s, p->field + k->xoff, k->xlen, p) <
			   0) {
			mp->no_memory++;
		}
	}

	mp->dom_plain = lv_line_plain_tag(dom->name, dom->name_len) &&
			(!dom->uuid || lv_line_plain_tag(dom->uuid, 36));
	/* A shut-off domain too gets whatever libvirt returned for it (its
	 * configured balloon, vcpu and disk sizes, a cpu.time), as the
	 * native plugin writes it: a drop-in emits the same series. */
	for (size_t i = 0; i < mp->nseries; i++)
		lv_emit_series(mp, dom, &mp->series[i]);
}
