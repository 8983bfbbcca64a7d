/*
 * lv_util.h: small helpers around libvirt's error reporting, shared by the
 * plugin's modules.
 */
#ifndef LV_UTIL_H
#define LV_UTIL_H

#include <stdbool.h>

/* The message of the calling thread's last libvirt error ("unknown error"
 * when there is none). */
const char *lv_last_error(void);

/* The domain is gone or not running: an error of that domain only. */
bool lv_error_is_domain_gone(void);

/* The driver does not implement the call or the flag. */
bool lv_error_is_unsupported(void);

/* The same for an error code saved from another thread. */
bool lv_code_is_unsupported(int code);

/* libvirt prints every error to stderr unless told otherwise; route them
 * to debug logging (the plugin logs what matters itself). */
void lv_quiet_libvirt_errors(void);

#endif
