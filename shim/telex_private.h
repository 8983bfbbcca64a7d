/*
 * telex_private.h: the runner's context, shared by telex_main.c and the
 * runners (run_input.c, run_output.c). Internal to the shim.
 */
#ifndef TELEX_PRIVATE_H
#define TELEX_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out_writer.h"
#include "telex/filter.h"
#include "telex/shim.h"
#include "telex_cli.h"

/* One metric split from stdin, waiting to be offered to write(): where
 * its text is (the stdin buffer, or the side buffer when a filter changed
 * it), so the pointers can be rebuilt after either buffer moved. */
struct telex_pending {
	size_t off, len, line_no;
	bool side;
	bool newline; /* see telex_line.newline */
};

/* Output runner state. */
struct telex_in {
	struct buf buf; /* stdin bytes; [0, split) are split */
	size_t split;	/* start of the first metric not split yet */
	struct lp_splitter splitter;
	struct buf side; /* re-serialised metrics a filter changed */
	struct telex_pending *pend;
	size_t npend, pend_cap, pend_done; /* [pend_done, npend) offered */
	struct telex_line *lines;	   /* built for each offer */
	size_t lines_cap;
	struct lp_metric metric; /* parse target when filtering */
	bool paused;		 /* write() is full: stdin not read */
	bool resume;		 /* telex_resume() was called */
	bool eof;
	bool hup;   /* the writer closed stdin while we were paused */
	bool fatal; /* write() returned -1 */
	bool ready; /* set up by telex_run_output() */

	uint64_t metrics;  /* valid metrics read */
	uint64_t invalid;  /* invalid lines skipped */
	uint64_t filtered; /* dropped by the filters */
	uint64_t accepted; /* taken by write() */
	uint64_t pauses;   /* times write() was full */
};

struct telex {
	const struct telex_plugin *p;
	struct telex_cli cli;
	int64_t poll_interval_ns; /* 0: no ticker */
	int64_t flush_timeout_ns;

	void *config;
	struct telex_common common;
	bool config_loaded;
	struct metric_filter *filter;
	bool filter_noop;
	void *state;

	struct loop *loop;
	struct log_limiter limiter;

	bool stopping;	   /* EOF, SIGTERM, SIGINT, telex_shutdown() */
	bool stop_reading; /* not EOF: what is left on stdin stays there */
	bool stdin_closed, stdout_closed; /* by the caller: now /dev/null */
	bool failed;			  /* telex_fail(): exit 1 */
	int64_t stop_ns;
	const char *stop_reason;
	bool stdin_watched;

	/* Inputs. */
	struct out_writer out;
	bool out_ready;
	bool gather_pending;
	uint64_t gathers, gathers_failed, gathers_skipped;
	uint64_t emitted, dropped, unwritable;
	void (*progress_cb)(struct telex *t, void *arg, uint64_t written);
	void *progress_arg;

	/* Outputs. */
	struct telex_in in;
};

/* Begin shutting down (first reason wins in the logs). */
void telex_begin_stop(struct telex *t, const char *reason);

/* Runners: return the exit code. Called with the plugin initialised; the
 * caller runs close() and frees everything afterwards. */
int telex_run_input(struct telex *t);
int telex_run_service(struct telex *t);
int telex_run_output(struct telex *t);
void telex_output_free(struct telex *t);

/* Stdin for inputs: watched for lines (gather requests) and EOF. */
int telex_watch_stdin(struct telex *t);

#endif
