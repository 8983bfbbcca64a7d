/*
 * buf.h: a growable byte buffer and a chunked arena.
 *
 * struct buf is the one output buffer type of telex: the line-protocol
 * writer, the JSON writer and the shim's stdout writer all append to it.
 * struct arena hands out memory that never moves until arena_reset(), so
 * slices into it stay valid while a metric is being built.
 */
#ifndef TELEX_BUF_H
#define TELEX_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

/* (clang-format would spread these initialisers over four lines.) */
/* clang-format off */
#define BUF_INIT { NULL, 0, 0 }
/* clang-format on */

/* Make room for at least `extra` more bytes. Returns a pointer to the free
 * space (data + len), or NULL when out of memory (the buffer is unchanged). */
char *buf_reserve(struct buf *b, size_t extra);

/* Append bytes. Return 0, or -1 when out of memory (nothing appended). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* Drop the first n bytes (n <= len), keeping the rest at the front. */
void buf_consume(struct buf *b, size_t n);

/* Forget the content, keep the memory. */
static inline void buf_clear(struct buf *b)
{
	b->len = 0;
}

/* Release the memory; the buffer can be reused as if BUF_INIT. */
void buf_free(struct buf *b);

struct arena_chunk;
struct arena {
	struct arena_chunk *head;  /* chunk being filled */
	struct arena_chunk *spare; /* chunks kept by arena_reset() */
	size_t chunk_size;	   /* 0: default (16 KiB) */
};

/* clang-format off */
#define ARENA_INIT { NULL, NULL, 0 }
/* clang-format on */

/* Memory that stays put until arena_reset()/arena_free(); 8-byte aligned.
 * NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Copy of p[0..n) with a terminating NUL. */
char *arena_strndup(struct arena *a, const char *p, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forget every allocation; keep the chunks for reuse (no free()). */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

/* Room for element n of the array `items` of *cap elements of `size`
 * bytes (malloc'd, or NULL with *cap 0): the array itself when n < *cap,
 * else it moved to twice the room (`first` elements the first time) and
 * *cap says so. NULL when out of memory: items is unchanged and still
 * the caller's. */
void *array_grow(void *items, size_t n, size_t *cap, size_t size, size_t first);

/* The ring `items` of *cap elements of `size` bytes (*cap a power of two,
 * element i at (head + i) & (*cap - 1)), full with its n elements, moved
 * in order to a new ring of twice the room (`first`, a power of two, the
 * first time) whose head is 0; *cap says so, the old ring is freed. NULL
 * when out of memory: nothing changed. */
void *ring_grow(void *items, size_t head, size_t n, size_t *cap, size_t size,
		size_t first);

#endif
