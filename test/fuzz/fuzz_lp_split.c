/*
 * fuzz_lp_split.c: the first 8 bytes seed the sizes of the pieces and the
 * splitter's span bound, the rest is a stream. Feeding it to lp_split_next
 * piece by piece must give the same metric boundaries, text lengths, line
 * numbers and cuts as feeding it whole; the texts never hold an unquoted
 * terminator; a cut metric is one physical line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telex/lp.h"

#define FZ_MAX 65536 /* metrics: every byte may end one */

struct fz_cut {
	size_t n, len[FZ_MAX], text[FZ_MAX], line[FZ_MAX], rest, next_line;
	bool cut[FZ_MAX];
};

static void check(int ok)
{
	if (!ok)
		abort();
}

static void fz_split(const char *p, size_t size, uint64_t seed, size_t span,
		     struct fz_cut *c)
{
	struct lp_splitter s;
	lp_splitter_init(&s);
	s.span_max = span;
	c->n = 0;
	size_t start = 0, avail = 0;
	for (;;) {
		size_t piece = size;
		if (seed) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			piece = 1 + seed % 17;
		}
		avail = avail + piece > size ? size : avail + piece;
		for (;;) {
			size_t first = s.line, text;
			size_t n =
			    lp_split_next(&s, p + start, avail - start, &text);
			if (n == 0)
				break;
			check(c->n < FZ_MAX);
			check(text < n && n <= avail - start);
			check(p[start + n - 1] == '\n');
			check(text + 1 == n ||
			      (text + 2 == n && p[start + text] == '\r'));
			c->len[c->n] = n;
			c->text[c->n] = text;
			c->line[c->n] = first;
			c->cut[c->n] = s.cut;
			if (s.cut)
				check(!memchr(p + start, '\n', text));
			c->n++;
			start += n;
		}
		if (avail == size)
			break;
	}
	c->rest = size - start;
	c->next_line = s.line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	uint64_t seed;
	memcpy(&seed, data, 8);
	seed |= 1;
	const char *p = (const char *)data + 8;
	size -= 8;
	/* Mostly a bound the inputs reach, at times the default. */
	size_t span =
	    seed % 7 ? 2 + (size_t)(seed >> 32) % 512 : LP_SPLIT_SPAN_MAX;
	static struct fz_cut whole, cut;
	fz_split(p, size, 0, span, &whole);
	fz_split(p, size, seed, span, &cut);
	check(whole.n == cut.n && whole.rest == cut.rest &&
	      whole.next_line == cut.next_line);
	for (size_t i = 0; i < whole.n; i++)
		check(whole.len[i] == cut.len[i] &&
		      whole.text[i] == cut.text[i] &&
		      whole.line[i] == cut.line[i] &&
		      whole.cut[i] == cut.cut[i]);
	/* Line numbers add up: each metric starts after the newlines of
	 * the ones before it. */
	size_t line = 1, pos = 0;
	for (size_t i = 0; i < whole.n; i++) {
		check(whole.line[i] == line);
		for (size_t k = 0; k < whole.len[i]; k++)
			line += p[pos + k] == '\n';
		pos += whole.len[i];
	}
	check(whole.next_line == line);
	return 0;
}
