/*
 * log.h: stderr logging in Telegraf's execd format.
 *
 * One event per line, "E! ", "W! ", "I! ", "D! " or "T! " at column 0, no
 * timestamp (Telegraf adds its own), at most LOG_LINE_MAX bytes (longer
 * messages are cut, newlines inside a message are replaced by spaces so an
 * event never spans two lines). Every line is written with one write(2).
 *
 * The level is process-wide and set once at start-up (log_set_level), the
 * one piece of global state telex keeps outside main.c: every module logs,
 * and threading a context through each of them buys nothing.
 */
#ifndef TELEX_LOG_H
#define TELEX_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

#define LOG_LINE_MAX 4096

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warn", "info", "debug", "trace" (case-insensitive); -1 if none. */
int log_level_parse(const char *name);
/* Where log lines go; default 2 (stderr). Tests point it at a pipe. */
void log_set_fd(int fd);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

/* A report the user asked for (a periodic stats line): an "I! " line
 * written at every level but error, so that a quiet default level (see
 * telex_main.c) does not hide what an option turned on. */
void log_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Rate-limited logging for events that can repeat per line or per record
 * (a bad line, a failed delivery). Each distinct `reason` (a short constant
 * string such as "invalid line" or "message too large") is logged at most
 * once per interval; the next line of that reason says how many were
 * suppressed in between ("... (and 1234 more since the last report)").
 * Counts are also kept in total per reason for summaries.
 */
#define LOG_LIMIT_REASONS 32

struct log_limit_reason {
	const char *reason;  /* compared by pointer, then by text */
	uint64_t total;	     /* every event of this reason */
	uint64_t suppressed; /* events since the last line written */
	int64_t last_ns;     /* monotonic time of the last line written */
};

struct log_limiter {
	int64_t interval_ns; /* 0: default 10 s */
	struct log_limit_reason reasons[LOG_LIMIT_REASONS];
	unsigned nreasons;
};

/* Count one event of `reason` and log it unless rate-limited. */
void log_limited(struct log_limiter *l, enum log_level level,
		 const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Events counted so far for reason (0 if never seen). */
uint64_t log_limited_total(const struct log_limiter *l, const char *reason);
/* Log one line per reason with suppressed events still unreported. */
void log_limited_flush(struct log_limiter *l, enum log_level level);

/* Monotonic and wall clocks in nanoseconds. */
int64_t telex_monotonic_ns(void);
int64_t telex_realtime_ns(void);

#endif
