/*
 * logcap.h: unit tests read back what the library logged. The log goes
 * into a non-blocking pipe, and logcap_text() drains it.
 */
#ifndef TELEX_TEST_LOGCAP_H
#define TELEX_TEST_LOGCAP_H

#include "telex/log.h"

/* Sends the log to the pipe at LEVEL. 0, or -1 when no pipe. */
int logcap_open(enum log_level level);
/* Sends the log back to stderr and closes the pipe. */
void logcap_close(void);
/* Everything logged since the last call, NUL-terminated. The text lives
 * until the next call; more than 128 KiB at once is cut there. */
const char *logcap_text(void);
/* The pipe's ends, for tests of the log itself (a full pipe). */
int logcap_read_fd(void);
int logcap_write_fd(void);

/* cmocka group fixtures: logcap_open() at LOG_INFO or LOG_DEBUG (-1 when
 * no pipe), and logcap_close(). */
int logcap_setup_info(void **state);
int logcap_setup_debug(void **state);
int logcap_teardown(void **state);

#endif
