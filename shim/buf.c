/*
 * buf.c: growable byte buffer and chunked arena (see buf.h).
 */
#include "telex/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *buf_reserve(struct buf *b, size_t extra)
{
	/* data is NULL until the first allocation: NULL + 0 is undefined. */
	if (b->data && b->cap - b->len >= extra)
		return b->data + b->len;
	if (extra > SIZE_MAX / 2 - b->len)
		return NULL;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < extra)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return NULL;
	b->data = p;
	b->cap = cap;
	return b->data + b->len;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	char *dst = buf_reserve(b, n);
	if (!dst)
		return -1;
	if (n)
		memcpy(dst, p, n);
	b->len += n;
	return 0;
}

int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

/* How many bytes fmt makes of ap (without the NUL), or -1; ap is left
 * for the caller to use. */
static int buf_fmt_len(const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	char probe[1];
	int n = vsnprintf(probe, 0, fmt, copy);
	va_end(copy);
	return n;
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	int n = buf_fmt_len(fmt, ap);
	if (n < 0)
		return -1;
	/* +1 for the NUL vsnprintf writes; it is not counted in len. */
	char *dst = buf_reserve(b, (size_t)n + 1);
	if (!dst)
		return -1;
	vsnprintf(dst, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	_Alignas(8) char mem[];
};

#define ARENA_DEFAULT_CHUNK ((size_t)16 * 1024)

static struct arena_chunk *arena_chunk_new(size_t size)
{
	struct arena_chunk *c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	struct arena_chunk *c = a->head;
	if (c && c->size - c->used >= n) {
		void *p = c->mem + c->used;
		c->used += n;
		return p;
	}
	size_t want = a->chunk_size ? a->chunk_size : ARENA_DEFAULT_CHUNK;
	/* Reuse a spare chunk when it is big enough, else make a new one. */
	struct arena_chunk **sp = &a->spare;
	while (*sp && (*sp)->size < n)
		sp = &(*sp)->next;
	if (*sp) {
		c = *sp;
		*sp = c->next;
		c->used = 0;
	} else {
		c = arena_chunk_new(n > want ? n : want);
		if (!c)
			return NULL;
	}
	c->next = a->head;
	a->head = c;
	c->used = n;
	return c->mem;
}

char *arena_strndup(struct arena *a, const char *p, size_t n)
{
	char *s = arena_alloc(a, n + 1);
	if (!s)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = buf_fmt_len(fmt, ap);
	char *s = n < 0 ? NULL : arena_alloc(a, (size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void arena_reset(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		c->next = a->spare;
		a->spare = c;
	}
}

void arena_free(struct arena *a)
{
	arena_reset(a);
	while (a->spare) {
		struct arena_chunk *c = a->spare;
		a->spare = c->next;
		free(c);
	}
}

void *array_grow(void *items, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return items;
	size_t ncap = *cap ? *cap * 2 : first;
	if (ncap < n + 1)
		ncap = n + 1;
	if (ncap > SIZE_MAX / size)
		return NULL;
	void *p = realloc(items, ncap * size);
	if (!p)
		return NULL;
	*cap = ncap;
	return p;
}

void *ring_grow(void *items, size_t head, size_t n, size_t *cap, size_t size,
		size_t first)
{
	size_t ncap = *cap ? *cap * 2 : first;
	if (ncap < *cap || ncap > SIZE_MAX / size)
		return NULL;
	char *p = malloc(ncap * size);
	if (!p)
		return NULL;
	/* From head to the end of the old ring, then the wrapped rest. */
	size_t run = *cap - head < n ? *cap - head : n;
	if (n) {
		memcpy(p, (char *)items + head * size, run * size);
		memcpy(p + run * size, items, (n - run) * size);
	}
	free(items);
	*cap = ncap;
	return p;
}
