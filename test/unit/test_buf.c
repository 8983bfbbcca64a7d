/*
 * test_buf.c: the growable buffer and the arena (shim/buf.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "telex/buf.h"

static void test_buf_append_and_grow(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_putc(&b, 'd'), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "abcd", 4);
	/* Grow well past the first allocation; the content stays. */
	char chunk[1000];
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)('a' + i % 26);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 4 + 100 * sizeof(chunk));
	assert_true(b.cap >= b.len);
	assert_memory_equal(b.data, "abcd", 4);
	for (int i = 0; i < 100; i++)
		assert_memory_equal(b.data + 4 + i * sizeof(chunk), chunk,
				    sizeof(chunk));
	/* Appending nothing is fine, also from NULL. */
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 4 + 100 * sizeof(chunk));
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* Usable again after free. */
	assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_memory_equal(b.data, "x", 1);
	buf_free(&b);
}

static void test_buf_reserve(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	char *p = buf_reserve(&b, 10);
	assert_non_null(p);
	assert_ptr_equal(p, b.data);
	assert_true(b.cap >= 10);
	assert_int_equal(b.len, 0);
	memcpy(p, "0123456789", 10);
	b.len = 10;
	/* Enough room already: no move. */
	size_t cap = b.cap;
	char *q = buf_reserve(&b, cap - 10);
	assert_ptr_equal(q, b.data + 10);
	assert_int_equal(b.cap, cap);
	/* Impossible sizes fail and leave the buffer alone. */
	assert_null(buf_reserve(&b, SIZE_MAX - 5));
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, "0123456789", 10);
	buf_free(&b);
}

/* Appending nothing to a buffer that never allocated must not compute
 * NULL + 0 (undefined; UBSan reports it). */
static void test_buf_append_empty_to_empty(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(b.len, 0);
	assert_non_null(buf_reserve(&b, 0));
	buf_free(&b);
}

static void test_buf_printf(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_int_equal(buf_printf(&b, "%s=%d", "x", 42), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "x=42", 4);
	/* A long one forces growth between the probe and the write. */
	char big[5000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_printf(&b, "[%s]", big), 0);
	assert_int_equal(b.len, 4 + 2 + sizeof(big) - 1);
	assert_int_equal(b.data[4], '[');
	assert_int_equal(b.data[b.len - 1], ']');
	assert_int_equal(b.data[5 + 4998], 'z');
	/* An empty format appends nothing. */
	size_t len = b.len;
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_int_equal(b.len, len);
	buf_free(&b);
}

static void test_buf_consume_clear(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_int_equal(buf_append(&b, "hello world", 11), 0);
	buf_consume(&b, 6);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "world", 5);
	buf_consume(&b, 0);
	assert_int_equal(b.len, 5);
	buf_consume(&b, 5);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	buf_consume(&b, 100); /* more than held: empties */
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	size_t cap = b.cap;
	buf_clear(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);
	assert_non_null(b.data);
	buf_free(&b);
}

static void test_arena_alloc(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	a.chunk_size = 256;
	char *ptrs[100];
	for (int i = 0; i < 100; i++) {
		size_t n = 1 + (size_t)i % 13;
		ptrs[i] = arena_alloc(&a, n);
		assert_non_null(ptrs[i]);
		assert_int_equal((uintptr_t)ptrs[i] % 8, 0);
		memset(ptrs[i], 'a' + i % 26, n);
	}
	/* Earlier allocations did not move or get overwritten. */
	for (int i = 0; i < 100; i++) {
		size_t n = 1 + (size_t)i % 13;
		for (size_t j = 0; j < n; j++)
			assert_int_equal(ptrs[i][j], 'a' + i % 26);
	}
	/* Larger than a chunk: its own chunk. */
	char *big = arena_alloc(&a, 10000);
	assert_non_null(big);
	memset(big, 'x', 10000);
	char *after = arena_alloc(&a, 8);
	assert_non_null(after);
	assert_int_equal(ptrs[99][0], 'a' + 99 % 26);
	arena_free(&a);
	assert_null(a.head);
	assert_null(a.spare);
}

static void test_arena_reset_reuses(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	a.chunk_size = 128;
	/* Each allocation fills most of a chunk, so each starts one. */
	char *starts[11];
	starts[0] = arena_alloc(&a, 64);
	assert_non_null(starts[0]);
	for (int i = 1; i < 11; i++) {
		starts[i] = arena_alloc(&a, 100);
		assert_non_null(starts[i]);
	}
	arena_reset(&a);
	assert_null(a.head);
	assert_non_null(a.spare);
	/* After a reset the chunks come back instead of new ones. */
	for (int k = 0; k < 11; k++) {
		char *again = arena_alloc(&a, 100);
		bool reused = false;
		for (int i = 0; i < 11; i++)
			reused |= again == starts[i];
		assert_true(reused);
	}
	assert_null(a.spare);
	/* A spare too small for the request is skipped, not used. */
	char *huge = arena_alloc(&a, 4096);
	assert_non_null(huge);
	memset(huge, 1, 4096);
	arena_free(&a);
}

static void test_arena_strings(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	char *s = arena_strndup(&a, "hello, world", 5);
	assert_string_equal(s, "hello");
	char *e = arena_strndup(&a, "", 0);
	assert_string_equal(e, "");
	char *f = arena_printf(&a, "%s-%d", "vm", 7);
	assert_string_equal(f, "vm-7");
	char long_s[40000];
	memset(long_s, 'q', sizeof(long_s) - 1);
	long_s[sizeof(long_s) - 1] = '\0';
	char *g = arena_printf(&a, "<%s>", long_s);
	assert_non_null(g);
	assert_int_equal(strlen(g), sizeof(long_s) + 1);
	assert_string_equal(s, "hello");
	arena_free(&a);
}

/* array_grow: the first room, doubling, the same array while there is
 * room, and the elements kept when it moves. */
static void test_array_grow(void **state)
{
	(void)state;
	int *a = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 100; i++) {
		size_t before = cap;
		int *g = array_grow(a, n, &cap, sizeof(*a), 4);
		assert_non_null(g);
		if (n < before)
			assert_ptr_equal(g, a); /* room left: not moved */
		if (n < 4)
			assert_int_equal(cap, 4);
		a = g;
		a[n++] = i;
		assert_true(n <= cap);
	}
	assert_int_equal(cap, 128);
	for (int i = 0; i < 100; i++)
		assert_int_equal(a[i], i);
	/* An element count that would overflow size_t: refused. */
	size_t huge = SIZE_MAX / 2 + 1;
	size_t hcap = huge;
	assert_null(array_grow(a, huge, &hcap, sizeof(*a), 4));
	assert_int_equal(hcap, huge);
	free(a);
}

/* A ring keeps its order across the wrap as it grows; an impossible size
 * leaves it as it was. */
static void test_ring_grow(void **state)
{
	(void)state;
	size_t cap = 0;
	int *r = ring_grow(NULL, 0, 0, &cap, sizeof(*r), 4);
	assert_non_null(r);
	assert_int_equal(cap, 4);
	/* Full: 4 elements from head 2, in slots 2, 3, 0, 1. */
	r[2] = 10, r[3] = 11, r[0] = 12, r[1] = 13;
	r = ring_grow(r, 2, 4, &cap, sizeof(*r), 4);
	assert_non_null(r);
	assert_int_equal(cap, 8);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r[i], 10 + i);
	size_t huge = SIZE_MAX / 2 + 1;
	assert_null(ring_grow(r, 0, 0, &huge, 2, 4));
	assert_int_equal(huge, SIZE_MAX / 2 + 1);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf_append_and_grow),
	    cmocka_unit_test(test_buf_reserve),
	    cmocka_unit_test(test_buf_append_empty_to_empty),
	    cmocka_unit_test(test_buf_printf),
	    cmocka_unit_test(test_buf_consume_clear),
	    cmocka_unit_test(test_arena_alloc),
	    cmocka_unit_test(test_arena_reset_reuses),
	    cmocka_unit_test(test_arena_strings),
	    cmocka_unit_test(test_array_grow),
	    cmocka_unit_test(test_ring_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
