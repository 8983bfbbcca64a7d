/*
 * lv_devices.c: disks and NICs of a domain from its XML, cached by UUID
 * (lv_devices.h).
 *
 * The XML is libvirt's own output, so a small scanner is enough: it finds
 * each <disk> and <interface> element of <devices>, takes the first <source>
 * (not the ones of the backing chain, which follow it) and the <target dev>,
 * and decodes the five XML entities libvirt writes.
 */
#include "lv_devices.h"

#include <libvirt/virterror.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_util.h"
#include "telex/buf.h"

/* The value of attribute `attr` in the start tag [tag, end), entities
 * decoded, appended to out (NUL-terminated). Returns its offset in out, or
 * -1 when absent or out of memory. */
static long lv_xml_attr(const char *tag, const char *end, const char *attr,
			struct buf *out)
{
	size_t alen = strlen(attr);
	for (const char *p = tag + 1; p + alen + 2 < end; p++) {
		if ((p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n') ||
		    memcmp(p, attr, alen) != 0 || p[alen] != '=')
			continue;
		char q = p[alen + 1];
		if (q != '\'' && q != '"')
			continue;
		const char *v = p + alen + 2;
		const char *ve = memchr(v, q, (size_t)(end - v));
		if (!ve)
			return -1;
		size_t off = out->len;
		for (const char *s = v; s < ve; s++) {
			char c = *s;
			if (c == '&') {
				static const struct {
					const char *ent;
					char c;
				} ents[] = {{"&apos;", '\''},
					    {"&quot;", '"'},
					    {"&amp;", '&'},
					    {"&lt;", '<'},
					    {"&gt;", '>'}};
				for (size_t i = 0; i < 5; i++) {
					size_t el = strlen(ents[i].ent);
					if ((size_t)(ve - s) >= el &&
					    memcmp(s, ents[i].ent, el) == 0) {
						c = ents[i].c;
						s += el - 1;
						break;
					}
				}
			}
			if (buf_putc(out, c) < 0)
				return -1;
		}
		if (buf_putc(out, '\0') < 0)
			return -1;
		return (long)off;
	}
	return -1;
}

/* Start tag "<name" (followed by space, '/' or '>') in [p, end). */
static const char *lv_xml_find(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt || lt + n + 1 >= end)
			return NULL;
		if (memcmp(lt + 1, name, n) == 0 &&
		    (lt[n + 1] == ' ' || lt[n + 1] == '/' || lt[n + 1] == '>'))
			return lt;
		p = lt + 1;
	}
	return NULL;
}

struct lv_devref {
	long name, path; /* offsets into the string buffer, -1 none */
};

/* Scan every element `elem` of xml; record target dev (and, with
 * want_path, the first source's file/dev/name/volume/dir). */
static int lv_scan(const char *xml, const char *elem, bool want_path,
		   struct buf *strings, struct lv_devref **refs, size_t *n)
{
	const char *end = xml + strlen(xml);
	char close[32];
	snprintf(close, sizeof(close), "</%s>", elem);
	static const char *const source_attrs[] = {"file", "dev", "name",
						   "volume", "dir"};
	for (const char *p = lv_xml_find(xml, end, elem); p;
	     p = lv_xml_find(p + 1, end, elem)) {
		const char *tag_end = memchr(p, '>', (size_t)(end - p));
		if (!tag_end || tag_end[-1] == '/')
			continue;
		const char *body_end = strstr(tag_end, close);
		if (!body_end)
			break;
		struct lv_devref r = {-1, -1};
		const char *t = lv_xml_find(tag_end, body_end, "target");
		if (t) {
			const char *te = memchr(t, '>', (size_t)(body_end - t));
			if (te)
				r.name = lv_xml_attr(t, te, "dev", strings);
		}
		if (r.name < 0) /* no target (an inactive NIC): no stats */
			continue;
		const char *s =
		    want_path ? lv_xml_find(tag_end, body_end, "source") : NULL;
		const char *se =
		    s ? memchr(s, '>', (size_t)(body_end - s)) : NULL;
		for (size_t i = 0; se && i < 5 && r.path < 0; i++)
			r.path = lv_xml_attr(s, se, source_attrs[i], strings);
		void *q = realloc(*refs, (*n + 1) * sizeof(**refs));
		if (!q)
			return -1;
		*refs = q;
		(*refs)[(*n)++] = r;
		p = body_end;
	}
	return 0;
}

void lv_devset_clear(struct lv_devset *set)
{
	free(set->disks);
	free(set->nics);
	free(set->strings);
	set->disks = set->nics = NULL;
	set->strings = NULL;
	set->ndisks = set->nnics = 0;
}

int lv_devices_parse(const char *xml, struct lv_devset *set)
{
	struct buf strings = BUF_INIT;
	struct lv_devref *disks = NULL, *nics = NULL;
	size_t nd = 0, nn = 0;
	int rc = -1;

	const char *devices = strstr(xml, "<devices>");
	if (!devices)
		devices = xml;
	if (lv_scan(devices, "disk", true, &strings, &disks, &nd) < 0 ||
	    lv_scan(devices, "interface", false, &strings, &nics, &nn) < 0)
		goto out;
	struct lv_device *dv = calloc(nd ? nd : 1, sizeof(*dv));
	struct lv_device *nv = calloc(nn ? nn : 1, sizeof(*nv));
	if (!dv || !nv) {
		free(dv);
		free(nv);
		goto out;
	}
	/* Offsets become pointers only now: the buffer has stopped moving. */
	for (size_t i = 0; i < nd; i++) {
		dv[i].name = strings.data + disks[i].name;
		dv[i].path =
		    disks[i].path >= 0 ? strings.data + disks[i].path : NULL;
	}
	for (size_t i = 0; i < nn; i++)
		nv[i].name = strings.data + nics[i].name;
	lv_devset_clear(set);
	set->disks = dv, set->ndisks = nd;
	set->nics = nv, set->nnics = nn;
	set->strings = strings.data;
	strings.data = NULL;
	rc = 0;
out:
	buf_free(&strings);
	free(disks);
	free(nics);
	return rc;
}

void lv_devcache_init(struct lv_devcache *c)
{
	memset(c, 0, sizeof(*c));
}

void lv_devcache_free(struct lv_devcache *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		if (c->slots[i]) {
			lv_devset_clear(c->slots[i]);
			free(c->slots[i]);
		}
	}
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

static size_t lv_uuid_hash(const unsigned char *u, size_t cap)
{
	uint64_t h;
	memcpy(&h, u, sizeof(h));
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

static int lv_devcache_put(struct lv_devset **slots, size_t cap,
			   struct lv_devset *s)
{
	for (size_t i = lv_uuid_hash(s->uuid, cap);; i = (i + 1) & (cap - 1)) {
		if (!slots[i]) {
			slots[i] = s;
			return 0;
		}
	}
}

/* Rebuild with room for `want` entries, keeping those seen in the last
 * gather (an open-addressing table cannot delete in place). */
static int lv_devcache_rebuild(struct lv_devcache *c, size_t want, bool evict)
{
	size_t cap = 64;
	while (cap < want * 2)
		cap *= 2;
	struct lv_devset **slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < c->cap; i++) {
		struct lv_devset *s = c->slots[i];
		if (!s)
			continue;
		if (evict && s->seen + 1 < c->gen) {
			lv_devset_clear(s);
			free(s);
			continue;
		}
		lv_devcache_put(slots, cap, s);
		n++;
	}
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	c->n = n;
	return 0;
}

void lv_devcache_begin(struct lv_devcache *c)
{
	c->gen++;
	/* Evict once in a while rather than every gather: a rebuild walks
	 * the whole table. */
	if (c->cap && (c->gen & 15) == 0)
		lv_devcache_rebuild(c, c->n, true);
}

struct lv_devset *lv_devcache_get(struct lv_devcache *c, virDomainPtr dom,
				  char *err, size_t errlen)
{
	unsigned char uuid[VIR_UUID_BUFLEN];
	if (virDomainGetUUID(dom, uuid) < 0) {
		snprintf(err, errlen, "cannot read the UUID: %s",
			 lv_last_error());
		return NULL;
	}
	if (c->n * 2 >= c->cap && lv_devcache_rebuild(c, c->n + 1, false) < 0) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct lv_devset *s = NULL;
	size_t i = lv_uuid_hash(uuid, c->cap);
	for (; c->slots[i]; i = (i + 1) & (c->cap - 1)) {
		if (memcmp(c->slots[i]->uuid, uuid, sizeof(uuid)) == 0) {
			s = c->slots[i];
			break;
		}
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		memcpy(s->uuid, uuid, sizeof(uuid));
		s->stale = 1;
		c->slots[i] = s;
		c->n++;
	}
	s->seen = c->gen;
	int id = (int)virDomainGetID(dom);
	/* Stagger the periodic re-reads by UUID so they do not all fall on
	 * the same gather. */
	uint32_t age = c->gen - s->read_at;
	if (s->stale || s->id != id ||
	    age >= LV_DEVICES_MAX_AGE + (uint32_t)(uuid[15] & 7)) {
		char *xml = virDomainGetXMLDesc(dom, 0);
		if (!xml) {
			snprintf(err, errlen, "cannot read the domain XML: %s",
				 lv_last_error());
			return NULL;
		}
		int rc = lv_devices_parse(xml, s);
		free(xml);
		if (rc < 0) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		s->id = id;
		s->read_at = c->gen;
		s->stale = 0;
	}
	return s;
}
