/*
 * log.c: Telegraf-style stderr lines and rate-limited event logging.
 */
#include "telex/log.h"

#include "lp_scan.h" /* lp_utf8_len */

#include <errno.h>
#include <poll.h>
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
	if ((int)level < LOG_ERROR)
		level = LOG_ERROR;
	if (level > LOG_TRACE)
		level = LOG_TRACE;
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
	if (!name)
		return -1;
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

/* Write all of p, waiting (a bounded time) when the descriptor is
 * non-blocking and full: stderr may share its file description with a
 * stdout pipe the writer made non-blocking (a shell's 2>&1). */
static void log_write_all(const char *p, size_t len)
{
	size_t off = 0;
	int waits = 0;
	while (off < len) {
		ssize_t w = write(log_fd, p + off, len - off);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    waits++ < 10) {
			struct pollfd pfd = {.fd = log_fd, .events = POLLOUT};
			poll(&pfd, 1, 100);
			continue;
		}
		return; /* stderr is gone: nowhere left to say so */
	}
}

/* Length of the longest prefix of p[0..max) that ends on a UTF-8 character
 * boundary, so a cut line stays valid text. */
static size_t log_utf8_cut(const char *p, size_t max)
{
	size_t n = max;
	while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/*
 * One event, one line of valid text: Telegraf reads stderr line by line.
 * Newlines become spaces; other control bytes, DEL and bytes that are not
 * valid UTF-8 (a metric name, a header value, a domain name quoted in a
 * message) become \xNN. A line over LOG_LINE_MAX is cut on a character
 * boundary and ends with "...".
 */
static void log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	char text[LOG_LINE_MAX];
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		return;
	bool cut = (size_t)n >= sizeof(text);
	size_t tn = cut ? log_utf8_cut(text, sizeof(text) - 1) : (size_t)n;
	char line[LOG_LINE_MAX];
	memcpy(line, log_prefix[level], 3);
	/* The prefix, the text, '\n' and a NUL fit in LOG_LINE_MAX; "..."
	 * replaces the end of a text that does not. */
	const size_t max = sizeof(line) - 2;
	size_t len = 3, keep = 0;
	for (size_t i = 0; i < tn;) {
		unsigned char c = (unsigned char)text[i];
		size_t u =
		    c < 0x80
			? 1
			: lp_utf8_len((const unsigned char *)text + i, tn - i);
		char esc[8];
		const char *out = text + i;
		size_t on = u;
		if (c == '\n' || c == '\r') {
			out = " ";
			on = 1;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f || u == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			out = esc;
			on = 4;
			u = 1;
		}
		if (!keep && len + on > max - 3)
			keep = len;
		if (len + on > max) {
			cut = true;
			break;
		}
		memcpy(line + len, out, on);
		len += on;
		i += u;
	}
	if (cut) {
		if (keep)
			len = keep;
		memcpy(line + len, "...", 3);
		len += 3;
	}
	line[len++] = '\n';
	log_write_all(line, len);
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if ((int)level < LOG_ERROR || level > LOG_TRACE ||
	    level > log_level_current)
		return;
	log_vwrite(level, fmt, ap);
}

void log_report(const char *fmt, ...)
{
	if (log_level_current < LOG_WARN)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap);
	va_end(ap);
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

static struct log_limit_reason *log_limiter_find(struct log_limiter *l,
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
	if (!reason)
		reason = "event";
	struct log_limit_reason *r = log_limiter_find(l, reason);
	r->total++;
	int64_t now = telex_monotonic_ns();
	int64_t interval =
	    l->interval_ns ? l->interval_ns : LOG_LIMIT_DEFAULT_NS;
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
	if (!reason)
		reason = "event";
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
		log_msg(level,
			"%llu more %s since the last report (%llu in all)",
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
