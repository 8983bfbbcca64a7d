/*
 * harness.h: telex-execd-harness, a stand-in for Telegraf's execd plugins
 * (../shared/spec/execd.md) for contract tests. See README.md.
 */
#ifndef TELEX_HARNESS_H
#define TELEX_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "telex/buf.h"
#include "telex/loop.h"
#include "telex/lp.h"

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

enum harness_mode { HARNESS_INPUT, HARNESS_OUTPUT };
enum harness_signal {
	HSIG_NONE,
	HSIG_STDIN,
	HSIG_HUP,
	HSIG_USR1,
	HSIG_USR2,
};

struct harness_opts {
	enum harness_mode mode;
	enum harness_signal signal;
	int64_t interval_ns;
	long count; /* signals to send; 0: no limit */
	long await; /* metrics to wait for after each signal; 0: none */
	int64_t await_timeout_ns;
	long burst;   /* STDIN: newlines per signal, in one write */
	long metrics; /* shut down once this many metrics were read */
	int64_t duration_ns;
	int64_t timeout_ns;
	int64_t restart_delay_ns; /* -1: the mode's default */
	long max_starts;	  /* 0: no limit */
	int64_t term_after_ns, kill_after_ns;
	const char *feed_path; /* output mode: line protocol for stdin */
	long batch_size;
	bool batch_format;
	int64_t flush_interval_ns;
	const char *save_path, *stderr_path, *summary_path;
	bool quiet;
	char **env_add;
	size_t nenv;
	char **argv; /* the program and its arguments */
};

/* Lines of one stream (stdout or stderr), split as they arrive. */
struct harness_stream {
	int fd;
	struct buf buf;
	size_t split;
	struct lp_splitter splitter;
	bool open;
};

struct harness_feed {
	struct buf data; /* the whole feed file */
	size_t *ends;	 /* end offset of each metric in data */
	size_t nmetrics;
	size_t next;	  /* first metric not written to the current child */
	size_t pos;	  /* bytes of data written */
	size_t batch_end; /* metric index ending the current batch */
	bool pausing;	  /* between two batches (flush_interval) */
	bool pause_done;  /* the pause before the next batch is over */
};

struct harness_stats {
	long starts, unexpected_exits;
	struct buf exits; /* "0,sig9,1" */
	int last_status;
	const char *shutdown; /* stdin, sigterm, sigkill, exited */
	int64_t shutdown_ns;
	uint64_t metrics, invalid_lines, partial_lines, stdout_bytes;
	uint64_t stdout_lines;
	uint64_t stderr_lines, stderr_level[5], stderr_unprefixed;
	uint64_t stderr_long;
	uint64_t signals_sent, await_timeouts;
	uint64_t fed_metrics, fed_bytes, stdin_eagain, stdin_write_errors;
	bool timed_out;
};

struct harness {
	struct harness_opts o;
	struct loop *loop;
	pid_t pid; /* 0: no child running */
	int in_fd; /* child's stdin, -1 when closed */
	struct harness_stream out, err;
	FILE *save, *stderr_file;
	struct harness_feed feed;
	struct harness_stats st;

	bool shutting_down; /* the run is over: stop the child */
	bool done;	    /* child gone and streams drained */
	int64_t shutdown_start;
	int64_t step_timer; /* SIGTERM / SIGKILL timer */
	const char *step;   /* what the shutdown needed so far */
	long sent;	    /* signals sent to the current run */
	uint64_t await_target;
	int64_t await_deadline;
	int64_t send_timer;
};

/* harness_child.c */
int harness_spawn(struct harness *h);
void harness_begin_shutdown(struct harness *h, const char *why);
void harness_on_sigchld(struct loop *l, int signo, void *arg);
bool harness_signal_ready(pid_t pid, int signo);

/* harness_stream.c */
void harness_stream_open(struct harness *h, struct harness_stream *s, int fd,
			 bool is_stdout);
void harness_stream_close(struct harness *h, struct harness_stream *s);
int harness_feed_load(struct harness *h);
void harness_feed_start(struct harness *h);
void harness_on_metrics(struct harness *h);

/* harness.c */
void harness_after_exit(struct harness *h);

#endif
