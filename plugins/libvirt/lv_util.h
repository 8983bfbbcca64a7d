/*
 * lv_util.h: small helpers around libvirt's error reporting and the
 * connection URI, shared by the plugin's modules.
 */
#ifndef LV_UTIL_H
#define LV_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* The message of the calling thread's last libvirt error ("unknown error"
 * when there is none), with the password of any URI in it replaced by
 * "***" (libvirt quotes the URI it was given: "Unable to parse URI
 * qemu+tcp://alice:secret@..."). Valid on the calling thread until its
 * next call. */
const char *lv_last_error(void);

/*
 * Copy text to out (size n, always terminated, cut if too small), the
 * password of every URI in it ("scheme://user:password@host") replaced by
 * "***": what may be logged of a URI or of a message quoting one. Returns
 * out.
 */
char *lv_redact_uri(const char *text, char *out, size_t n);

/* The domain is gone or not running: an error of that domain only. */
bool lv_error_is_domain_gone(void);

/* The driver does not implement the call or the flag. */
bool lv_error_is_unsupported(void);

/* The same for an error code saved from another thread. */
bool lv_code_is_unsupported(int code);

/* libvirt prints every error to stderr unless told otherwise; route them
 * to debug logging (the plugin logs what matters itself). */
void lv_quiet_libvirt_errors(void);

/* Initialise a condition variable whose timed waits count on
 * CLOCK_MONOTONIC, so that a step of the wall clock neither cuts them
 * short nor stretches them (pthread_cond_timedwait deadlines are then
 * monotonic times). */
void lv_cond_init(pthread_cond_t *cond);

#endif
