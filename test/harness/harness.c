/*
 * harness.c: telex-execd-harness: command line, the signal schedule of
 * inputs.execd, restarts, and the machine-readable summary. See README.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static const char harness_usage[] =
    "Usage: telex-execd-harness [OPTIONS] -- PROGRAM [ARG...]\n"
    "Runs PROGRAM as Telegraf's inputs.execd or outputs.execd does and\n"
    "prints a key=value summary (see test/harness/README.md).\n"
    "  --input                 inputs.execd (default)\n"
    "  --output FILE           outputs.execd: feed FILE's metrics to stdin\n"
    "  --signal NAME           none|STDIN|SIGHUP|SIGUSR1|SIGUSR2 (none)\n"
    "  --interval DUR          between signals (1s)\n"
    "  --count N               send N signals, then shut down\n"
    "  --await N               after each signal wait for N more metrics\n"
    "  --await-timeout DUR     longest wait for them (10s)\n"
    "  --burst K               STDIN: K newlines in one write per signal\n"
    "  --metrics N             shut down once N metrics were read\n"
    "  --duration DUR          shut down after DUR\n"
    "  --timeout DUR           hard limit for the whole run (120s)\n"
    "  --batch-size N          output: metrics per batch (1000)\n"
    "  --batch-format          output: one write per batch\n"
    "  --flush-interval DUR    output: pause between batches (0)\n"
    "  --restart-delay DUR     after an unexpected exit (10s in, 0 out)\n"
    "  --max-starts N          start at most N times (1; 0: no limit)\n"
    "  --term-after DUR        stdin closed -> SIGTERM (5s)\n"
    "  --kill-after DUR        SIGTERM -> SIGKILL (5s)\n"
    "  --env K=V               add to the environment (repeatable)\n"
    "  --save FILE             write stdout to FILE as read\n"
    "  --stderr FILE           write stderr lines to FILE\n"
    "  --summary FILE          the summary goes to FILE (stdout)\n"
    "  --quiet                 no progress notes on stderr\n";

/* Go-style durations: "1.5s", "1m30s", "250ms", "0". */
static int harness_parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {{"ns", 1},	 {"us", 1e3}, {"ms", 1e6},
		     {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	double total = 0;
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		if (end == s || v < 0)
			return -1;
		size_t best = 0, best_len = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].unit);
			if (!strncmp(end, units[i].unit, n) && n > best_len) {
				best = i;
				best_len = n;
			}
		}
		if (!best_len)
			return -1;
		total += v * units[best].mult;
		s = end + best_len;
	}
	*ns = (int64_t)total;
	return 0;
}

static int harness_parse_args(struct harness_opts *o, int argc, char **argv)
{
	*o = (struct harness_opts){
	    .interval_ns = NS_PER_S,
	    .await_timeout_ns = 10 * NS_PER_S,
	    .burst = 1,
	    .timeout_ns = 120 * NS_PER_S,
	    .restart_delay_ns = -1,
	    .max_starts = 1,
	    .term_after_ns = 5 * NS_PER_S,
	    .kill_after_ns = 5 * NS_PER_S,
	    .batch_size = 1000,
	};
	o->env_add = calloc((size_t)argc, sizeof(char *));
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			break;
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t *dur = NULL;
		long *num = NULL;
		if (!strcmp(a, "--input")) {
			o->mode = HARNESS_INPUT;
			continue;
		} else if (!strcmp(a, "--batch-format")) {
			o->batch_format = true;
			continue;
		} else if (!strcmp(a, "--quiet")) {
			o->quiet = true;
			continue;
		} else if (!strcmp(a, "--help")) {
			fputs(harness_usage, stdout);
			exit(0);
		}
		if (!v) {
			fprintf(stderr, "harness: %s needs a value\n", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--output")) {
			o->mode = HARNESS_OUTPUT;
			o->feed_path = v;
		} else if (!strcmp(a, "--signal")) {
			static const char *const names[] = {
			    "none", "STDIN", "SIGHUP", "SIGUSR1", "SIGUSR2"};
			int found = -1;
			for (int k = 0; k < 5; k++)
				if (!strcmp(v, names[k]))
					found = k;
			if (found < 0) {
				fprintf(stderr, "harness: bad --signal %s\n",
					v);
				return -1;
			}
			o->signal = (enum harness_signal)found;
		} else if (!strcmp(a, "--env")) {
			if (!strchr(v, '=')) {
				fprintf(stderr, "harness: --env wants K=V\n");
				return -1;
			}
			o->env_add[o->nenv++] = (char *)v;
		} else if (!strcmp(a, "--save")) {
			o->save_path = v;
		} else if (!strcmp(a, "--stderr")) {
			o->stderr_path = v;
		} else if (!strcmp(a, "--summary")) {
			o->summary_path = v;
		} else if (!strcmp(a, "--interval")) {
			dur = &o->interval_ns;
		} else if (!strcmp(a, "--await-timeout")) {
			dur = &o->await_timeout_ns;
		} else if (!strcmp(a, "--duration")) {
			dur = &o->duration_ns;
		} else if (!strcmp(a, "--timeout")) {
			dur = &o->timeout_ns;
		} else if (!strcmp(a, "--flush-interval")) {
			dur = &o->flush_interval_ns;
		} else if (!strcmp(a, "--restart-delay")) {
			dur = &o->restart_delay_ns;
		} else if (!strcmp(a, "--term-after")) {
			dur = &o->term_after_ns;
		} else if (!strcmp(a, "--kill-after")) {
			dur = &o->kill_after_ns;
		} else if (!strcmp(a, "--count")) {
			num = &o->count;
		} else if (!strcmp(a, "--await")) {
			num = &o->await;
		} else if (!strcmp(a, "--burst")) {
			num = &o->burst;
		} else if (!strcmp(a, "--metrics")) {
			num = &o->metrics;
		} else if (!strcmp(a, "--batch-size")) {
			num = &o->batch_size;
		} else if (!strcmp(a, "--max-starts")) {
			num = &o->max_starts;
		} else {
			fprintf(stderr, "harness: unknown option %s\n", a);
			return -1;
		}
		if (dur && harness_parse_duration(v, dur) < 0) {
			fprintf(stderr, "harness: %s: bad duration %s\n", a, v);
			return -1;
		}
		if (num) {
			char *end;
			*num = strtol(v, &end, 10);
			if (*end || *num < 0) {
				fprintf(stderr, "harness: %s: bad number %s\n",
					a, v);
				return -1;
			}
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "harness: no program given\n%s", harness_usage);
		return -1;
	}
	o->argv = argv + i + 1;
	if (o->restart_delay_ns < 0)
		o->restart_delay_ns =
		    o->mode == HARNESS_INPUT ? 10 * NS_PER_S : 0;
	if (o->batch_size < 1)
		o->batch_size = 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The signal schedule (input mode). */

static void harness_send(struct loop *l, void *arg);

static void harness_schedule_send(struct harness *h, int64_t after)
{
	loop_cancel_timer(h->loop, h->send_timer);
	h->send_timer = loop_add_timer(h->loop, after, 0, harness_send, h);
}

/* After a signal (and its awaited metrics): the next one, or the end. */
static void harness_next(struct harness *h)
{
	if (h->shutting_down || !h->pid)
		return;
	if (h->o.count && h->sent >= h->o.count) {
		if (h->o.await) {
			harness_begin_shutdown(h, "all signals answered");
		} else {
			/* Give the last request an interval, as Telegraf's
			 * next tick would; harness_send then ends the run. */
			harness_schedule_send(h, h->o.interval_ns);
		}
		return;
	}
	harness_schedule_send(h, h->o.interval_ns);
}

static int harness_signo(enum harness_signal s)
{
	switch (s) {
	case HSIG_HUP:
		return SIGHUP;
	case HSIG_USR1:
		return SIGUSR1;
	case HSIG_USR2:
		return SIGUSR2;
	default:
		return 0;
	}
}

static void harness_send(struct loop *l, void *arg)
{
	struct harness *h = arg;
	h->send_timer = 0;
	if (h->shutting_down || !h->pid)
		return;
	if (h->await_target) { /* the wait for metrics timed out */
		h->st.await_timeouts++;
		h->await_target = 0;
		if (!h->o.quiet)
			fprintf(stderr, "harness: awaited metrics did not "
					"come\n");
		harness_next(h);
		return;
	}
	if (h->o.count && h->sent >= h->o.count) {
		harness_begin_shutdown(h, "all signals sent");
		return;
	}
	int signo = harness_signo(h->o.signal);
	if (signo && !harness_signal_ready(h->pid, signo)) {
		/* Not set up yet: its default action would kill it. */
		harness_schedule_send(h, 10 * NS_PER_MS);
		return;
	}
	if (signo) {
		kill(h->pid, signo);
	} else if (h->in_fd >= 0) {
		char nl[4096];
		size_t n = (size_t)h->o.burst < sizeof(nl) ? (size_t)h->o.burst
							   : sizeof(nl);
		memset(nl, '\n', n);
		if (write(h->in_fd, nl, n) < 0)
			h->st.stdin_write_errors++;
	}
	h->sent++;
	h->st.signals_sent++;
	if (h->o.await) {
		h->await_target = h->st.metrics + (uint64_t)h->o.await;
		h->send_timer = loop_add_timer(l, h->o.await_timeout_ns, 0,
					       harness_send, h);
		return;
	}
	harness_next(h);
}

void harness_on_metrics(struct harness *h)
{
	if (h->o.metrics && h->st.metrics >= (uint64_t)h->o.metrics)
		harness_begin_shutdown(h, "enough metrics");
	if (h->await_target && h->st.metrics >= h->await_target) {
		h->await_target = 0;
		loop_cancel_timer(h->loop, h->send_timer);
		h->send_timer = 0;
		harness_next(h);
	}
}

static void harness_start(struct harness *h)
{
	if (harness_spawn(h) < 0) {
		fprintf(stderr, "harness: starting %s: %s\n", h->o.argv[0],
			strerror(errno));
		exit(1);
	}
	if (h->o.mode == HARNESS_OUTPUT)
		harness_feed_start(h);
	else if (h->o.signal != HSIG_NONE)
		harness_schedule_send(h, h->o.interval_ns);
}

static void harness_restart(struct loop *l, void *arg)
{
	(void)l;
	struct harness *h = arg;
	h->send_timer = 0;
	if (!h->shutting_down)
		harness_start(h);
}

/* Called whenever the child or one of its streams went away: once all are
 * gone, either the run is over or (an unexpected exit) it restarts. */
void harness_after_exit(struct harness *h)
{
	if (h->pid || h->out.open || h->err.open)
		return;
	if (h->shutting_down) {
		if (!h->st.shutdown)
			h->st.shutdown = "exited";
		h->done = true;
		loop_stop(h->loop);
		return;
	}
	if (h->o.max_starts && h->st.starts >= h->o.max_starts) {
		h->st.shutdown = "exited";
		h->shutting_down = true;
		h->done = true;
		loop_stop(h->loop);
		return;
	}
	if (!h->o.quiet)
		fprintf(stderr, "harness: restarting in %.1fs\n",
			(double)h->o.restart_delay_ns / 1e9);
	h->send_timer = loop_add_timer(h->loop, h->o.restart_delay_ns, 0,
				       harness_restart, h);
}

static void harness_on_timeout(struct loop *l, void *arg)
{
	(void)l;
	struct harness *h = arg;
	h->st.timed_out = true;
	harness_begin_shutdown(h, "timeout");
}

static void harness_on_duration(struct loop *l, void *arg)
{
	(void)l;
	harness_begin_shutdown(arg, "duration over");
}

static void harness_summary(struct harness *h, FILE *f)
{
	const struct harness_stats *s = &h->st;
	int st = s->last_status;
	fprintf(f, "program=%s\n", h->o.argv[0]);
	fprintf(f, "starts=%ld\n", s->starts);
	fprintf(f, "exits=%s\n", s->exits.data ? s->exits.data : "");
	if (WIFEXITED(st))
		fprintf(f, "exit_code=%d\nexit_signal=\n", WEXITSTATUS(st));
	else
		fprintf(f, "exit_code=\nexit_signal=%d\n", WTERMSIG(st));
	fprintf(f, "unexpected_exits=%ld\n", s->unexpected_exits);
	fprintf(f, "shutdown=%s\n", s->shutdown ? s->shutdown : "none");
	fprintf(f, "shutdown_ms=%lld\n",
		(long long)(s->shutdown_ns / NS_PER_MS));
	fprintf(f, "timed_out=%d\n", s->timed_out ? 1 : 0);
	fprintf(f, "metrics=%llu\n", (unsigned long long)s->metrics);
	fprintf(f, "invalid_lines=%llu\n",
		(unsigned long long)s->invalid_lines);
	fprintf(f, "partial_lines=%llu\n",
		(unsigned long long)s->partial_lines);
	fprintf(f, "stdout_bytes=%llu\n", (unsigned long long)s->stdout_bytes);
	fprintf(f, "stdout_lines=%llu\n", (unsigned long long)s->stdout_lines);
	fprintf(f, "stderr_lines=%llu\n", (unsigned long long)s->stderr_lines);
	static const char *const lv[] = {"error", "warn", "info", "debug",
					 "trace"};
	for (int i = 0; i < 5; i++)
		fprintf(f, "stderr_%s=%llu\n", lv[i],
			(unsigned long long)s->stderr_level[i]);
	fprintf(f, "stderr_unprefixed=%llu\n",
		(unsigned long long)s->stderr_unprefixed);
	fprintf(f, "stderr_long=%llu\n", (unsigned long long)s->stderr_long);
	fprintf(f, "signals_sent=%llu\n", (unsigned long long)s->signals_sent);
	fprintf(f, "await_timeouts=%llu\n",
		(unsigned long long)s->await_timeouts);
	fprintf(f, "fed_metrics=%llu\n", (unsigned long long)s->fed_metrics);
	fprintf(f, "fed_bytes=%llu\n", (unsigned long long)s->fed_bytes);
	fprintf(f, "feed_metrics=%zu\n", h->feed.nmetrics);
	fprintf(f, "stdin_eagain=%llu\n", (unsigned long long)s->stdin_eagain);
	fprintf(f, "stdin_write_errors=%llu\n",
		(unsigned long long)s->stdin_write_errors);
}

static FILE *harness_open(const char *path, const char *what)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "harness: %s %s: %s\n", what, path,
			strerror(errno));
	return f;
}

int main(int argc, char **argv)
{
	struct harness h;
	memset(&h, 0, sizeof(h));
	h.in_fd = -1;
	h.out.fd = h.err.fd = -1;
	if (harness_parse_args(&h.o, argc, argv) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (h.o.mode == HARNESS_OUTPUT && harness_feed_load(&h) < 0)
		return 1;
	if (h.o.save_path && !(h.save = harness_open(h.o.save_path, "--save")))
		return 1;
	if (h.o.stderr_path &&
	    !(h.stderr_file = harness_open(h.o.stderr_path, "--stderr")))
		return 1;
	h.loop = loop_new();
	if (!h.loop ||
	    loop_add_signal(h.loop, SIGCHLD, harness_on_sigchld, &h) < 0) {
		fprintf(stderr, "harness: event loop: %s\n", strerror(errno));
		return 1;
	}
	loop_add_timer(h.loop, h.o.timeout_ns, 0, harness_on_timeout, &h);
	if (h.o.duration_ns)
		loop_add_timer(h.loop, h.o.duration_ns, 0, harness_on_duration,
			       &h);
	harness_start(&h);
	/* Past the timeout, SIGTERM and SIGKILL still get their turn. */
	while (!h.done)
		if (loop_run_once(h.loop, -1) < 0 && errno != EINTR)
			break;

	FILE *sf = stdout;
	if (h.o.summary_path &&
	    !(sf = harness_open(h.o.summary_path, "--summary")))
		return 1;
	harness_summary(&h, sf);
	if (sf != stdout)
		fclose(sf);
	if (h.save)
		fclose(h.save);
	if (h.stderr_file)
		fclose(h.stderr_file);
	buf_free(&h.out.buf);
	buf_free(&h.err.buf);
	buf_free(&h.feed.data);
	buf_free(&h.st.exits);
	free(h.feed.ends);
	free(h.o.env_add);
	loop_free(h.loop);
	return 0;
}
