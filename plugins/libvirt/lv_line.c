/*
 * lv_line.c: a metric's text written while it is built (lv_line.h).
 * The escape rules are the writer's (shim/lp_write.c): a tag value needs
 * one for tab, newline, form feed, carriage return, space, ',' and '=', and
 * loses trailing backslashes; a string value for those control characters,
 * '"' and '\'. Here any of them means "let the writer do it".
 */
#include "lv_line.h"

#include <string.h>

#include "telex/lp.h"

/* 1: needs an escape in a tag value; 2: in a string value; 3: both. */
static const unsigned char lv_special[256] = {
    ['\t'] = 3, ['\n'] = 3, ['\f'] = 3, ['\r'] = 3, [' '] = 1,
    [','] = 1,	['='] = 1,  ['"'] = 2,	['\\'] = 2,
};

static char *lv_room(struct lv_line *l, size_t n)
{
	if (!l->ok)
		return NULL;
	char *w = buf_reserve(&l->text, n);
	if (!w)
		l->ok = false;
	return w;
}

void lv_line_begin(struct lv_line *l, const char *name, size_t n)
{
	buf_clear(&l->text);
	l->ok = true;
	l->fields = false;
	char *w = lv_room(l, n);
	if (!w)
		return;
	memcpy(w, name, n);
	l->text.len += n;
}

bool lv_line_plain_tag(const char *v, size_t n)
{
	if (n == 0 || v[n - 1] == '\\')
		return false;
	for (size_t i = 0; i < n; i++)
		if (lv_special[(unsigned char)v[i]] & 1)
			return false;
	return true;
}

void lv_line_tag(struct lv_line *l, const char *key, size_t klen,
		 const char *value, size_t vlen)
{
	if (!l->ok || !lv_line_plain_tag(value, vlen)) {
		l->ok = false;
		return;
	}
	lv_line_plain_tag_add(l, key, klen, value, vlen);
}

void lv_line_plain_tag_add(struct lv_line *l, const char *key, size_t klen,
			   const char *value, size_t vlen)
{
	char *w = lv_room(l, klen + vlen + 2);
	if (!w)
		return;
	*w++ = ',';
	memcpy(w, key, klen);
	w += klen;
	*w++ = '=';
	memcpy(w, value, vlen);
	l->text.len += klen + vlen + 2;
}

/* ",key=" or " key=" before a field's value. */
static char *lv_field_key(struct lv_line *l, const char *key, size_t klen,
			  size_t value_room)
{
	char *w = lv_room(l, klen + 2 + value_room);
	if (!w)
		return NULL;
	*w++ = l->fields ? ',' : ' ';
	memcpy(w, key, klen);
	w += klen;
	*w++ = '=';
	l->fields = true;
	return w;
}

static const char lv_digits[201] = "00010203040506070809"
				   "10111213141516171819"
				   "20212223242526272829"
				   "30313233343536373839"
				   "40414243444546474849"
				   "50515253545556575859"
				   "60616263646566676869"
				   "70717273747576777879"
				   "80818283848586878889"
				   "90919293949596979899";

static unsigned lv_digits_of(uint64_t u)
{
	unsigned n = 1;
	for (;;) {
		if (u < 10)
			return n;
		if (u < 100)
			return n + 1;
		if (u < 1000)
			return n + 2;
		if (u < 10000)
			return n + 3;
		u /= 10000;
		n += 4;
	}
}

size_t lv_line_format_int(int64_t v, char *out)
{
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	size_t len = v < 0;
	if (v < 0)
		out[0] = '-';
	unsigned n = lv_digits_of(u);
	char *w = out + len + n;
	/* Two digits per division, written from the end. */
	while (u >= 100) {
		unsigned r = (unsigned)(u % 100) * 2;
		u /= 100;
		*--w = lv_digits[r + 1];
		*--w = lv_digits[r];
	}
	if (u >= 10) {
		*--w = lv_digits[u * 2 + 1];
		*--w = lv_digits[u * 2];
	} else {
		*--w = (char)('0' + u);
	}
	return len + n;
}

void lv_line_int(struct lv_line *l, const char *key, size_t klen, int64_t v)
{
	char *w = lv_field_key(l, key, klen, 22);
	if (!w)
		return;
	size_t n = lv_line_format_int(v, w);
	w[n] = 'i';
	l->text.len += klen + 2 + n + 1;
}

void lv_line_float(struct lv_line *l, const char *key, size_t klen, double v)
{
	char *w = lv_field_key(l, key, klen, LP_FLOAT_MAX);
	if (!w)
		return;
	size_t n = lp_format_float(v, w);
	if (n == 0) { /* NaN or Inf: the writer drops the field */
		l->ok = false;
		return;
	}
	l->text.len += klen + 2 + n;
}

void lv_line_string(struct lv_line *l, const char *key, size_t klen,
		    const char *v, size_t vlen)
{
	for (size_t i = 0; i < vlen && l->ok; i++)
		if (lv_special[(unsigned char)v[i]] & 2)
			l->ok = false;
	char *w = lv_field_key(l, key, klen, vlen + 2);
	if (!w)
		return;
	*w++ = '"';
	memcpy(w, v, vlen);
	w[vlen] = '"';
	l->text.len += klen + 2 + vlen + 2;
}

bool lv_line_end(struct lv_line *l, int64_t time)
{
	if (!l->ok || !l->fields)
		return false;
	char *w = lv_room(l, 22);
	if (!w)
		return false;
	*w++ = ' ';
	l->text.len += 1 + lv_line_format_int(time, w);
	return true;
}
