/*
 * harness_child.c: starting the program as Telegraf's internal/process
 * does (argv, inherited environment plus additions, pipes on 0/1/2, same
 * process group), noticing its exit, and stopping it the way Telegraf
 * does: close stdin, SIGTERM after 5 s, SIGKILL 5 s later.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static void harness_close_stdin(struct harness *h)
{
	if (h->in_fd < 0)
		return;
	loop_del_fd(h->loop, h->in_fd);
	close(h->in_fd);
	h->in_fd = -1;
}

/* In the child between fork and exec: undo what the harness set up (its
 * loop blocks signals, and a blocked mask survives exec), as a Go parent
 * leaves a child with default dispositions and an empty mask. */
static void harness_exec_child(struct harness *h, int in, int out, int err)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	for (size_t i = 0; i < h->o.nenv; i++)
		putenv(h->o.env_add[i]);
	execvp(h->o.argv[0], h->o.argv);
	dprintf(2, "harness: exec %s: %s\n", h->o.argv[0], strerror(errno));
	_exit(127);
}

int harness_spawn(struct harness *h)
{
	int in[2], out[2], err[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		harness_exec_child(h, in[0], out[1], err[1]);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	h->pid = pid;
	h->in_fd = in[1];
	fcntl(h->in_fd, F_SETFL, O_NONBLOCK);
	h->st.starts++;
	h->sent = 0;
	h->step = NULL;
	harness_stream_open(h, &h->out, out[0], true);
	harness_stream_open(h, &h->err, err[0], false);
	return 0;
}

static void harness_kill_step(struct loop *l, void *arg)
{
	struct harness *h = arg;
	h->step_timer = 0;
	if (!h->pid)
		return;
	if (!strcmp(h->step, "stdin")) {
		h->step = "sigterm";
		kill(h->pid, SIGTERM);
		h->step_timer = loop_add_timer(l, h->o.kill_after_ns, 0,
					       harness_kill_step, h);
	} else {
		h->step = "sigkill";
		kill(h->pid, SIGKILL);
	}
}

void harness_begin_shutdown(struct harness *h, const char *why)
{
	if (h->shutting_down)
		return;
	h->shutting_down = true;
	if (!h->o.quiet)
		fprintf(stderr, "harness: shutting down (%s)\n", why);
	loop_cancel_timer(h->loop, h->send_timer);
	h->send_timer = 0;
	h->shutdown_start = loop_now(h->loop);
	if (!h->pid) {
		/* Between two runs: nothing to stop. */
		harness_after_exit(h);
		return;
	}
	harness_close_stdin(h);
	h->step = "stdin";
	h->step_timer = loop_add_timer(h->loop, h->o.term_after_ns, 0,
				       harness_kill_step, h);
}

static void harness_record_exit(struct harness *h, int status)
{
	if (h->st.exits.len)
		buf_putc(&h->st.exits, ',');
	if (WIFEXITED(status))
		buf_printf(&h->st.exits, "%d", WEXITSTATUS(status));
	else
		buf_printf(&h->st.exits, "sig%d", WTERMSIG(status));
	h->st.last_status = status;
	if (h->shutting_down) {
		h->st.shutdown = h->step ? h->step : "stdin";
		h->st.shutdown_ns = loop_now(h->loop) - h->shutdown_start;
	} else {
		h->st.unexpected_exits++;
		if (!h->o.quiet)
			fprintf(stderr,
				"harness: program exited (%s) "
				"before being asked to\n",
				h->st.exits.data ? h->st.exits.data : "");
	}
}

void harness_on_sigchld(struct loop *l, int signo, void *arg)
{
	(void)l;
	(void)signo;
	struct harness *h = arg;
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != h->pid)
			continue;
		h->pid = 0;
		loop_cancel_timer(h->loop, h->step_timer);
		h->step_timer = 0;
		loop_cancel_timer(h->loop, h->send_timer);
		h->send_timer = 0;
		harness_close_stdin(h);
		harness_record_exit(h, status);
		harness_after_exit(h);
	}
}

/* Whether the process blocks or catches signo, so sending it cannot kill
 * it by its default action: the program has set up its handling. Telegraf
 * does not wait for this (its first signal comes an interval after the
 * start); tests use short intervals, and must not race a slow start
 * under a sanitizer or valgrind. */
bool harness_signal_ready(pid_t pid, int signo)
{
	char path[64], line[256];
	/* Between fork and exec the child is a copy of the harness, with the
	 * harness's mask: not ready yet. */
	char exe[PATH_MAX], self[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	ssize_t m = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0 || m < 0)
		return false;
	if (n == m && !memcmp(exe, self, (size_t)n))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	unsigned long long blk = 0, cgt = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "SigBlk:", 7))
			blk = strtoull(line + 7, NULL, 16);
		else if (!strncmp(line, "SigCgt:", 7))
			cgt = strtoull(line + 7, NULL, 16);
	}
	fclose(f);
	unsigned long long bit = 1ULL << (signo - 1);
	return ((blk | cgt) & bit) != 0;
}
