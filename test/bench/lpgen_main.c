/*
 * lpgen_main.c: `lpgen N [SEED]` prints N realistic libvirt-style lines
 * (see lpgen.h) to stdout; the same N and SEED always print the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lpgen.h"

static int lpgen_write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: lpgen N [SEED]\n");
		return 2;
	}
	char *end;
	unsigned long long n = strtoull(argv[1], &end, 10);
	unsigned long long seed = LPGEN_DEFAULT_SEED;
	if (*end == '\0' && argc == 3)
		seed = strtoull(argv[2], &end, 10);
	if (*end != '\0') {
		fprintf(stderr, "lpgen: N and SEED are decimal numbers\n");
		return 2;
	}
	struct lpgen g;
	lpgen_init(&g, seed);
	struct buf b = BUF_INIT;
	for (unsigned long long i = 0; i < n; i++) {
		if (lpgen_line(&g, &b) < 0) {
			fprintf(stderr, "lpgen: out of memory\n");
			return 1;
		}
		if (b.len >= 1 << 16 || i + 1 == n) {
			if (lpgen_write_all(b.data, b.len) < 0) {
				perror("lpgen: write");
				return 1;
			}
			buf_clear(&b);
		}
	}
	buf_free(&b);
	return 0;
}
