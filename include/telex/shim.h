/*
 * shim.h: the execd life cycle, written once. A telex program is a struct
 * telex_plugin (options, init / gather / write / flush / close) handed to
 * telex_main(); the shim does the rest of ../shared/spec/execd.md: the
 * command line, the config file, logging, signals, stdin framing, the
 * gather triggers, the stdout writer, back-pressure and the exit code.
 *
 * Three kinds of plugin:
 *  - TELEX_INPUT: gather() is called once per stdin line (a burst coalesces
 *    into one call), once per SIGHUP/SIGUSR1/SIGUSR2, on -poll_interval, or
 *    once with --once. It emits metrics with telex_emit().
 *  - TELEX_SERVICE_INPUT: start() begins emitting on the plugin's own
 *    schedule (its fds and timers on telex_loop()); stdin is watched for EOF
 *    only. stop() is called at EOF/SIGTERM; close() after the last output
 *    was written (so a consumer commits what reached stdout).
 *  - TELEX_OUTPUT: write() receives batches of validated lines from stdin;
 *    flush() is called at EOF with a deadline; the exit code says whether
 *    everything was delivered.
 *
 * Exit codes: 0 done, 1 runtime failure, 2 usage or config error.
 */
#ifndef TELEX_SHIM_H
#define TELEX_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "telex/config.h"
#include "telex/log.h"
#include "telex/loop.h"
#include "telex/lp.h"

enum telex_kind { TELEX_INPUT = 1, TELEX_SERVICE_INPUT, TELEX_OUTPUT };

enum {
	TELEX_EXIT_OK = 0,
	TELEX_EXIT_FAILURE = 1,
	TELEX_EXIT_USAGE = 2,
};

struct telex; /* the runner's context, one per process */

/* One validated metric handed to an output: its text without the
 * terminator (may hold raw newlines inside strings) and where it came from. */
struct telex_line {
	const char *ptr;
	size_t len;
	size_t line_no; /* physical line of stdin where it starts */
	/* ptr[len] is the '\n' that ended the metric, readable: an output
	 * may hand over the line with its terminator without copying it.
	 * false: nothing past ptr[len - 1] may be read (a "\r\n", the last
	 * metric of the input without one). */
	bool newline;
};

struct telex_batch {
	const struct telex_line *lines;
	size_t n;
};

struct telex_plugin {
	const char *program; /* "telex-libvirt" */
	const char *summary; /* one line, for --help and the man page */
	/* Options of the program's own, handled by its main() before
	 * telex_main(), for --help: {flag, text} pairs ended by {NULL}. May
	 * be NULL. */
	const struct telex_usage_option {
		const char *flag, *text;
	} * usage_extra;
	enum telex_kind kind;
	struct cfg_spec config; /* section + table name + options */
	size_t config_size;	/* sizeof the plugin's config struct */

	/* Check the config, open what the plugin needs. Returns 0, or
	 * TELEX_EXIT_USAGE for a config error, TELEX_EXIT_FAILURE otherwise
	 * (having logged why). *state is passed to every other callback. */
	int (*init)(struct telex *t, void *config, void **state);

	/* TELEX_INPUT: one gather. 0 ok; -1 failed (logged; the program
	 * goes on and gathers again next time). */
	int (*gather)(struct telex *t, void *state);

	/* TELEX_SERVICE_INPUT: start emitting; stop emitting (EOF/SIGTERM). */
	int (*start)(struct telex *t, void *state);
	void (*stop)(struct telex *t, void *state);

	/* TELEX_OUTPUT: take lines from the batch in order. Set *accepted to
	 * how many were taken (all, or fewer when full: the shim stops
	 * reading stdin and offers the rest again after telex_resume()).
	 * The batch memory is valid during the call only. Returns 0, or -1
	 * on a fatal error (the program flushes and exits 1). */
	int (*write)(struct telex *t, void *state, const struct telex_batch *b,
		     size_t *accepted);
	/* TELEX_OUTPUT at EOF or SIGTERM: deliver what is pending before
	 * deadline_ns (monotonic). Returns 0 if everything was delivered, -1
	 * if not (the plugin has logged the counts). */
	int (*flush)(struct telex *t, void *state, int64_t deadline_ns);

	/* Release everything; the last callback. May be NULL. Not called
	 * when init() failed (init releases what it opened). */
	void (*close)(struct telex *t, void *state);

	/* Inputs: lp_write_metric() flags for metrics telex_emit()
	 * serialises (LP_WRITE_UINT to keep unsigned fields unsigned). */
	unsigned emit_flags;
};

/* Run the program: parse argv, load the config, run the life cycle,
 * return the exit code. Call from main(). */
int telex_main(const struct telex_plugin *p, int argc, char **argv);

/* The loop the program runs on, for the plugin's fds and timers. */
struct loop *telex_loop(struct telex *t);

/* The limiter for rate-limited logs of this process. */
struct log_limiter *telex_log_limiter(struct telex *t);

/* ------------------------------------------------------------------ */
/* Inputs: emitting metrics. */

/* What became of a metric handed to telex_emit. */
enum telex_emit_result {
	TELEX_EMIT_UNWRITABLE = -1, /* not written: stdout is gone, out of
				       memory, or not serialisable (logged,
				       counted) */
	TELEX_EMIT_FILTERED = 0,    /* dropped by a filter */
	TELEX_EMIT_QUEUED = 1,	    /* queued for stdout */
};

/*
 * Queue m for stdout: the common options (name_override, [NAME.tags],
 * filters) are applied, then the metric is written as one line: its
 * original bytes when it was parsed and nothing changed, else serialised.
 * m may be reused as soon as the call returns.
 */
enum telex_emit_result telex_emit(struct telex *t, struct lp_metric *m);

/* Queue one line of the plugin's own (no '\n' in it) for stdout, as is:
 * no filter, no rename, not counted as a metric. TELEX_EMIT_QUEUED, or
 * TELEX_EMIT_UNWRITABLE when stdout is gone or out of memory. */
enum telex_emit_result telex_emit_line(struct telex *t, const char *line,
				       size_t len);

/*
 * Output progress, for service inputs that must know when their lines
 * reached stdout (at-least-once). Positions count bytes queued since start:
 * telex_out_queued() is the position after the last emitted line,
 * telex_out_written() how much of it write(2) has taken. The progress
 * callback runs after every write that moved telex_out_written(), and when
 * the backlog fell below the low-water mark after having been above the
 * high-water mark (then the plugin resumes fetching).
 */
uint64_t telex_out_queued(const struct telex *t);
/* The bytes queued and not written (stdout gone, or not drained yet):
 * *len of them, NULL when none. Valid until the next emit or write. */
const char *telex_out_unwritten(const struct telex *t, size_t *len);
uint64_t telex_out_written(const struct telex *t);
size_t telex_out_backlog(const struct telex *t);
/* True while the backlog is above the high-water mark: pause producing. */
bool telex_out_congested(const struct telex *t);
void telex_on_out_progress(struct telex *t,
			   void (*cb)(struct telex *t, void *arg,
				      uint64_t written),
			   void *arg);
/* Try to write what is queued now; 0, or -1 if stdout is gone. */
int telex_out_flush(struct telex *t);

/* ------------------------------------------------------------------ */
/* Outputs. */

/* The plugin has room again: offer the held lines and read stdin. */
void telex_resume(struct telex *t);

/* ------------------------------------------------------------------ */
/* Both. */

/* Ask the program to finish as if stdin had closed (exit code as usual). */
void telex_shutdown(struct telex *t);
/* A fatal error the plugin has logged: finish as telex_shutdown() does,
 * then exit 1. */
void telex_fail(struct telex *t);
/* True once EOF, SIGTERM or SIGINT was seen. */
bool telex_stopping(const struct telex *t);
/*
 * For a plugin that waits inside a callback (a gather blocked on a daemon
 * that does not answer): true once the program is stopping or is about to
 * (SIGTERM or SIGINT pending, stdin's writer gone), found without reading
 * stdin or taking the signal, so the loop handles both as usual once the
 * callback returns. Loop thread only. A plugin that sees it ends its wait
 * soon enough for the 5 s between EOF and Telegraf's SIGTERM.
 */
bool telex_stop_pending(const struct telex *t);

#endif
