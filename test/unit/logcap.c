/*
 * logcap.c: the log of a unit test, captured through a pipe. One capture
 * per test process, so its state is file-local.
 */
#include "logcap.h"

#include <fcntl.h>
#include <unistd.h>

static int logcap_r = -1, logcap_w = -1;

int logcap_open(enum log_level level)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	/* Reading when nothing was logged returns at once. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	logcap_r = p[0];
	logcap_w = p[1];
	log_set_fd(logcap_w);
	log_set_level(level);
	return 0;
}

void logcap_close(void)
{
	log_set_fd(2);
	close(logcap_r);
	close(logcap_w);
	logcap_r = logcap_w = -1;
}

const char *logcap_text(void)
{
	static char text[1 << 17];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(text) - 1 &&
	       (n = read(logcap_r, text + len, sizeof(text) - 1 - len)) > 0)
		len += (size_t)n;
	text[len] = '\0';
	return text;
}

int logcap_read_fd(void)
{
	return logcap_r;
}

int logcap_write_fd(void)
{
	return logcap_w;
}

int logcap_setup_info(void **state)
{
	(void)state;
	return logcap_open(LOG_INFO);
}

int logcap_setup_debug(void **state)
{
	(void)state;
	return logcap_open(LOG_DEBUG);
}

int logcap_teardown(void **state)
{
	(void)state;
	logcap_close();
	return 0;
}
