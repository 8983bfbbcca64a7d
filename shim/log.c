/*
 * log.c: Telegraf-style stderr lines and rate-limited event logging.
 */
#include "telex/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_level_current = LOG_INFO;
static int log_fd = 2;

static const char log_prefix[][4] = {"E! ", "W! ", "I! ", "D! ", "T! "};

void log_set_level(enum log_level level)
{
	log_level_current = level;
}

enum log_level log_get_level(void)
{
	return log_level_current;
}

int log_level_parse(const char *name)
{
	static const char *const names[] = {"error", "warn", "info", "debug",
					    "trace"};
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcasecmp(name, names[i]) == 0)
			return i;
	if (strcasecmp(name, "warning") == 0)
		return LOG_WARN;
	return -1;
}

void log_set_fd(int fd)
{
	log_fd = fd;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (level > log_level_current)
		return;
	char line[LOG_LINE_MAX];
	memcpy(line, log_prefix[level], 3);
	int n = vsnprintf(line + 3, sizeof(line) - 4, fmt, ap);
	if (n < 0)
		return;
	size_t len = 3 + ((size_t)n < sizeof(line) - 4 ? (size_t)n
						       : sizeof(line) - 5);
	/* One event, one line: Telegraf reads stderr line by line. */
	for (size_t i = 3; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(log_fd, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */

#define LOG_LIMIT_DEFAULT_NS (10LL * 1000000000LL)

static struct log_limit_reason *limit_reason(struct log_limiter *l,
					     const char *reason)
{
	for (unsigned i = 0; i < l->nreasons; i++) {
		struct log_limit_reason *r = &l->reasons[i];
		if (r->reason == reason || strcmp(r->reason, reason) == 0)
			return r;
	}
	if (l->nreasons == LOG_LIMIT_REASONS)
		return &l->reasons[LOG_LIMIT_REASONS - 1]; /* shared overflow */
	struct log_limit_reason *r = &l->reasons[l->nreasons++];
	memset(r, 0, sizeof(*r));
	r->reason = reason;
	r->last_ns = INT64_MIN;
	return r;
}

void log_limited(struct log_limiter *l, enum log_level level,
		 const char *reason, const char *fmt, ...)
{
	struct log_limit_reason *r = limit_reason(l, reason);
	r->total++;
	int64_t now = telex_monotonic_ns();
	int64_t interval = l->interval_ns ? l->interval_ns
					  : LOG_LIMIT_DEFAULT_NS;
	if (r->last_ns != INT64_MIN && now - r->last_ns < interval) {
		r->suppressed++;
		return;
	}
	char msg[LOG_LINE_MAX - 128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->suppressed)
		log_msg(level, "%s (and %llu more %s since the last report)",
			msg, (unsigned long long)r->suppressed, r->reason);
	else
		log_msg(level, "%s", msg);
	r->suppressed = 0;
	r->last_ns = now;
}

uint64_t log_limited_total(const struct log_limiter *l, const char *reason)
{
	for (unsigned i = 0; i < l->nreasons; i++)
		if (strcmp(l->reasons[i].reason, reason) == 0)
			return l->reasons[i].total;
	return 0;
}

void log_limited_flush(struct log_limiter *l, enum log_level level)
{
	for (unsigned i = 0; i < l->nreasons; i++) {
		struct log_limit_reason *r = &l->reasons[i];
		if (!r->suppressed)
			continue;
		log_msg(level, "%llu more %s since the last report (%llu in all)",
			(unsigned long long)r->suppressed, r->reason,
			(unsigned long long)r->total);
		r->suppressed = 0;
		r->last_ns = telex_monotonic_ns();
	}
}

int64_t telex_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t telex_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
