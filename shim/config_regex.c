/*
 * config_regex.c: checking a POSIX regular expression from a config
 * without letting it take the program hostage.
 *
 * glibc's regcomp() builds its automaton eagerly, and some short patterns
 * make it exponential: "(((a*)*){25}b)" runs for minutes and hundreds of
 * megabytes, a few nested counted repetitions exhaust memory and crash it.
 * No timeout can stop regcomp() in the calling thread, and the shim keeps
 * SIGTERM blocked while a plugin starts. So the pattern is compiled in a
 * child process with a CPU and an address-space limit, and the parent
 * waits for its verdict a bounded time: a pattern that needs more is
 * refused, and start-up takes seconds at worst, never minutes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config_internal.h"
#include "telex/log.h"

#define CFG_REGEX_CPU_SECONDS 1
#define CFG_REGEX_WALL_NS (3LL * 1000000000LL)
#define CFG_REGEX_MEMORY (256LL * 1024 * 1024)

/* The child's verdict: one byte, then regerror's text. */
enum { CFG_REGEX_OK, CFG_REGEX_BAD, CFG_REGEX_COSTLY };

/* The child: compile, write the verdict, exit. */
static void cfg_regex_child(const char *pattern, int cflags, int out)
{
	/* Its stderr is not ours: a sanitizer's report of the memory limit
	 * must not look like the program's. */
	int null = open("/dev/null", O_WRONLY);
	if (null >= 0)
		dup2(null, 2);
	/* The address space it has, plus what compiling may take. */
	long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	if (pages > 0) {
		rlim_t as = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) +
			    CFG_REGEX_MEMORY;
		struct rlimit r = {as, as};
		setrlimit(RLIMIT_AS, &r);
	}
	struct rlimit cpu = {CFG_REGEX_CPU_SECONDS, CFG_REGEX_CPU_SECONDS + 1};
	setrlimit(RLIMIT_CPU, &cpu);
	regex_t re;
	int rc = regcomp(&re, pattern, cflags);
	char msg[256];
	memset(msg, 0, sizeof(msg));
	msg[0] = (char)(rc == 0		   ? CFG_REGEX_OK
			: rc == REG_ESPACE ? CFG_REGEX_COSTLY
					   : CFG_REGEX_BAD);
	if (rc != 0)
		regerror(rc, &re, msg + 1, sizeof(msg) - 1);
	if (write(out, msg, sizeof(msg)) < 0)
		_exit(1);
	_exit(0);
}

int cfg_check_regex(const char *pattern, int cflags, char *why, size_t whylen)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot check it: pipe: %s",
			 strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "cannot check it: fork: %s",
			 strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		cfg_regex_child(pattern, cflags, fds[1]);
	}
	close(fds[1]);
	char msg[256];
	size_t got = 0;
	int64_t deadline = telex_monotonic_ns() + CFG_REGEX_WALL_NS;
	while (got < sizeof(msg)) {
		int64_t left = deadline - telex_monotonic_ns();
		if (left <= 0)
			break;
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		int n = poll(&p, 1, (int)((left + 999999) / 1000000));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ssize_t r = read(fds[0], msg + got, sizeof(msg) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* it died before it answered */
		got += (size_t)r;
	}
	close(fds[0]);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (got < sizeof(msg) || msg[0] == CFG_REGEX_COSTLY) {
		snprintf(why, whylen,
			 "too costly to compile (more than %d s of CPU or "
			 "%lld MiB); write a simpler expression",
			 CFG_REGEX_CPU_SECONDS, CFG_REGEX_MEMORY >> 20);
		return -2;
	}
	if (msg[0] == CFG_REGEX_OK)
		return 0;
	msg[sizeof(msg) - 1] = '\0';
	snprintf(why, whylen, "%s", msg + 1);
	return -1;
}
