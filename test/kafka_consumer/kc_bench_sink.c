/*
 * kc-bench-sink: the reader end of the consumer benchmark. Reads stdin
 * until N lines arrived (or EOF) and prints
 *
 *   LINES FIRST_S LAST_S
 *
 * the lines read and the seconds, since the sink started, at which the
 * first byte and the N-th line arrived, so that a consumer's throughput
 * can be told apart from the time its group took to form.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double kc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: kc-bench-sink LINES\n");
		return 2;
	}
	unsigned long long want = strtoull(argv[1], NULL, 10), lines = 0;
	double start = kc_now(), first = -1, last = -1;
	static char buf[1 << 16];
	while (lines < want) {
		ssize_t n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (first < 0)
			first = kc_now() - start;
		for (char *p = buf;
		     (p = memchr(p, '\n', (size_t)(buf + n - p))); p++)
			lines++;
		last = kc_now() - start;
	}
	printf("%llu %.3f %.3f\n", lines, first, last);
	return lines >= want ? 0 : 1;
}
