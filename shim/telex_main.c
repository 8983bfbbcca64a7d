/*
 * telex_main.c: a telex program's life cycle: command line, config, log
 * level, filters, signals, the plugin's init, the runner for its kind, and
 * the exit code (0 done, 1 runtime failure, 2 usage or config error).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "telex_private.h"

#define TELEX_FLUSH_TIMEOUT_DEFAULT (4LL * 1000000000LL)

static void telex_write_stdout(const struct buf *b)
{
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = write(1, b->data + off, b->len - off);
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* --help, --version, --sample-config, --man-options: print and exit 0. */
static bool telex_info_request(const struct telex_plugin *p,
			       const struct telex_cli *c)
{
	struct buf b = BUF_INIT;
	if (c->help)
		telex_cli_usage(p, &b);
	else if (c->version)
		buf_printf(&b, "%s %s\n", p->program, TELEX_VERSION);
	else if (c->sample_config)
		cfg_write_sample(&p->config, &b);
	else if (c->man_options)
		cfg_write_man(&p->config, &b);
	else
		return false;
	telex_write_stdout(&b);
	buf_free(&b);
	return true;
}

static int telex_duration_arg(const char *name, const char *text, int64_t *ns)
{
	if (!text)
		return 0;
	if (cfg_parse_duration(text, ns) < 0 || *ns <= 0) {
		log_error("option -%s: \"%s\" is not a positive duration "
			  "(examples: 500ms, 10s, 1m30s)",
			  name, text);
		return -1;
	}
	return 0;
}

/*
 * Telegraf 1.25 logs every stderr line of an execd child as an error (it
 * maps the "I! "/"W! " prefixes from 1.32 on), so informational lines make
 * a clean run look broken there. When stderr is a pipe or a socket
 * (Telegraf, a supervisor, the journal) the default level is warn; on a
 * terminal or into a file it is info. log_level in the config and --debug
 * override either. Summaries of runs that lost or skipped something are
 * warnings, so they are never hidden.
 */
static enum log_level telex_default_log_level(void)
{
	struct stat st;
	if (fstat(2, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return LOG_WARN;
	return LOG_INFO;
}

/* Everything between argv and the plugin's init. TELEX_EXIT_OK to go on. */
static int telex_configure(struct telex *t)
{
	const struct telex_plugin *p = t->p;
	const struct telex_cli *c = &t->cli;
	char err[1024];
	log_set_level(c->debug ? LOG_DEBUG : telex_default_log_level());
	if (c->once && p->kind != TELEX_INPUT) {
		log_error("--once applies to polled inputs only; %s is %s",
			  p->program,
			  p->kind == TELEX_OUTPUT ? "an output"
						  : "a service input");
		return TELEX_EXIT_USAGE;
	}
	t->flush_timeout_ns = TELEX_FLUSH_TIMEOUT_DEFAULT;
	if (telex_duration_arg("poll_interval", c->poll_interval,
			       &t->poll_interval_ns) < 0 ||
	    telex_duration_arg("flush_timeout", c->flush_timeout,
			       &t->flush_timeout_ns) < 0)
		return TELEX_EXIT_USAGE;
	if (c->poll_interval_disabled || p->kind != TELEX_INPUT)
		t->poll_interval_ns = 0;

	t->config = calloc(1, p->config_size ? p->config_size : 1);
	if (!t->config) {
		log_error("out of memory for the config");
		return TELEX_EXIT_FAILURE;
	}
	int rc =
	    c->config_path
		? cfg_load_file(&p->config, c->config_path, t->config,
				&t->common, err, sizeof(err))
		: cfg_set_defaults(&p->config, t->config, err, sizeof(err));
	t->config_loaded = true;
	if (rc < 0) {
		log_error("%s", err);
		return TELEX_EXIT_USAGE;
	}
	/* The reader checked it (config_common.c). */
	if (t->common.log_level && !c->debug)
		log_set_level(
		    (enum log_level)log_level_parse(t->common.log_level));
	t->filter =
	    filter_new(&t->common, p->kind != TELEX_OUTPUT, err, sizeof(err));
	if (!t->filter) {
		log_error("%s: %s", c->config_path ? c->config_path : "config",
			  err);
		return TELEX_EXIT_USAGE;
	}
	t->filter_noop = filter_is_noop(t->filter);
	return TELEX_EXIT_OK;
}

void telex_begin_stop(struct telex *t, const char *reason)
{
	if (t->stopping)
		return;
	t->stopping = true;
	t->stop_reason = reason;
	t->stop_ns = telex_monotonic_ns();
	log_debug("stopping: %s", reason);
}

static void telex_on_signal(struct loop *l, int signo, void *arg)
{
	(void)l;
	struct telex *t = arg;
	switch (signo) {
	case SIGTERM:
	case SIGINT:
		/* An output keeps reading what Telegraf already wrote into
		 * the pipe (for a while: run_output.c); systemd's stop
		 * sends SIGTERM to Telegraf and its children at once. */
		if (t->p->kind != TELEX_OUTPUT)
			t->stop_reading = true;
		telex_begin_stop(t, signo == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	default:
		if (t->p->kind == TELEX_INPUT && !t->stopping) {
			t->gather_pending = true;
		} else {
			log_debug("signal %d ignored: %s does not gather on "
				  "request",
				  signo, t->p->program);
		}
	}
}

static const int telex_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
#define TELEX_NSIGNALS (sizeof(telex_signals) / sizeof(telex_signals[0]))

/* The first thing the program does: a signal that comes while the config
 * is read (Telegraf's first SIGUSR1 to a restarted program, a SIGTERM)
 * stays pending for the loop instead of killing the process with its
 * default action. */
static void telex_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < TELEX_NSIGNALS; i++)
		sigaddset(&set, telex_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Signals are routed to the loop before init, so threads a plugin starts
 * (librdkafka's, libvirt's event thread) inherit the mask and never take
 * them. A broken stdout must be an error, not a death. */
static int telex_setup_loop(struct telex *t)
{
	signal(SIGPIPE, SIG_IGN);
	t->loop = loop_new();
	if (!t->loop)
		return -1;
	for (size_t i = 0; i < TELEX_NSIGNALS; i++)
		if (loop_add_signal(t->loop, telex_signals[i], telex_on_signal,
				    t) < 0)
			return -1;
	return 0;
}

static void telex_out_broken_cb(void *arg, int error)
{
	struct telex *t = arg;
	telex_begin_stop(t, error == EPIPE || error == ECONNRESET
				? "stdout closed by the reader"
				: "writing stdout failed");
}

static void telex_out_progress_cb(void *arg, uint64_t written)
{
	struct telex *t = arg;
	if (t->progress_cb)
		t->progress_cb(t, t->progress_arg, written);
}

/* Before anything is opened: a descriptor 0, 1 or 2 the caller closed is
 * opened on /dev/null, so that the next descriptor the program opens (the
 * signalfd, a socket) does not become its stdin, stdout or stderr. Which
 * ones were closed is remembered: a program cannot do without the one it
 * reads its metrics from or writes them to. */
static void telex_std_fds(struct telex *t)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
		if (fd == 0)
			t->stdin_closed = true;
		else if (fd == 1)
			t->stdout_closed = true;
	}
}

static int telex_run(struct telex *t)
{
	const struct telex_plugin *p = t->p;
	if (p->kind != TELEX_OUTPUT && t->stdout_closed) {
		log_error("stdout is closed (file descriptor 1 is not open): "
			  "the metrics would have nowhere to go");
		return TELEX_EXIT_FAILURE;
	}
	if (p->kind == TELEX_OUTPUT && t->stdin_closed) {
		log_error("stdin is closed (file descriptor 0 is not open): "
			  "there are no metrics to read");
		return TELEX_EXIT_FAILURE;
	}
	if (telex_setup_loop(t) < 0) {
		log_error("setting up the event loop and signals: %m");
		return TELEX_EXIT_FAILURE;
	}
	if (p->kind != TELEX_OUTPUT) {
		if (out_writer_init(&t->out, 1, t->loop) < 0) {
			log_error("stdout cannot be used: %s", strerror(errno));
			return TELEX_EXIT_FAILURE;
		}
		t->out.on_broken = telex_out_broken_cb;
		t->out.on_progress = telex_out_progress_cb;
		t->out.cb_arg = t;
		t->out_ready = true;
	}
	int rc = p->init ? p->init(t, t->config, &t->state) : 0;
	if (rc != 0)
		return rc == TELEX_EXIT_USAGE ? TELEX_EXIT_USAGE
					      : TELEX_EXIT_FAILURE;
	switch (p->kind) {
	case TELEX_INPUT:
		rc = telex_run_input(t);
		break;
	case TELEX_SERVICE_INPUT:
		rc = telex_run_service(t);
		break;
	case TELEX_OUTPUT:
		rc = telex_run_output(t);
		break;
	}
	if (p->close)
		p->close(t, t->state);
	if (t->failed && rc == TELEX_EXIT_OK)
		rc = TELEX_EXIT_FAILURE;
	return rc;
}

static void telex_free(struct telex *t)
{
	if (t->out_ready)
		out_writer_free(&t->out);
	telex_output_free(t);
	filter_free(t->filter);
	if (t->config_loaded)
		cfg_free(&t->p->config, t->config, &t->common);
	free(t->config);
	loop_free(t->loop);
}

/* A plugin missing what its kind needs is a programming error: say which
 * callback, rather than crash on the first request. */
static bool telex_plugin_valid(const struct telex_plugin *p)
{
	const char *missing = NULL;
	if (!p->program || !p->config.options)
		missing = "program or config.options";
	else if (p->kind == TELEX_INPUT && !p->gather)
		missing = "gather()";
	else if (p->kind == TELEX_OUTPUT && !p->write)
		missing = "write()";
	else if (p->kind != TELEX_INPUT && p->kind != TELEX_OUTPUT &&
		 p->kind != TELEX_SERVICE_INPUT)
		missing = "a valid kind";
	if (missing)
		log_error("%s: the plugin lacks %s",
			  p->program ? p->program : "telex", missing);
	return !missing;
}

int telex_main(const struct telex_plugin *p, int argc, char **argv)
{
	telex_block_signals();
	if (!telex_plugin_valid(p))
		return TELEX_EXIT_FAILURE;
	struct telex t;
	memset(&t, 0, sizeof(t));
	t.p = p;
	telex_std_fds(&t);
	char err[512];
	if (telex_cli_parse(&t.cli, argc, argv, err, sizeof(err)) < 0) {
		log_error("%s; see %s --help", err, p->program);
		return TELEX_EXIT_USAGE;
	}
	if (telex_info_request(p, &t.cli))
		return TELEX_EXIT_OK;
	int rc = telex_configure(&t);
	if (rc == TELEX_EXIT_OK)
		rc = telex_run(&t);
	telex_free(&t);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Accessors for plugins. */

struct loop *telex_loop(struct telex *t)
{
	return t->loop;
}

struct log_limiter *telex_log_limiter(struct telex *t)
{
	return &t->limiter;
}

void telex_shutdown(struct telex *t)
{
	t->stop_reading = true;
	telex_begin_stop(t, "the plugin asked to stop");
}

void telex_fail(struct telex *t)
{
	t->failed = true;
	t->stop_reading = true;
	telex_begin_stop(t, "the plugin failed");
}

bool telex_stopping(const struct telex *t)
{
	return t->stopping;
}

bool telex_stop_pending(const struct telex *t)
{
	if (t->stopping)
		return true;
	sigset_t pending;
	if (sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) == 1 ||
					  sigismember(&pending, SIGINT) == 1))
		return true;
	if (!t->stdin_watched)
		return false;
	/* A pipe or FIFO whose writer closed reports POLLHUP even with
	 * lines still unread; a socket, POLLRDHUP. */
	struct pollfd pfd = {.fd = 0, .events = POLLIN | POLLRDHUP};
	return poll(&pfd, 1, 0) == 1 &&
	       (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}
