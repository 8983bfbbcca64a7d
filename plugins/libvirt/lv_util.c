/*
 * lv_util.c: libvirt error helpers (lv_util.h).
 */
#include "lv_util.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stddef.h>

#include "telex/log.h"

const char *lv_last_error(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown error";
}

bool lv_error_is_domain_gone(void)
{
	int code = virGetLastErrorCode();
	return code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_OPERATION_INVALID;
}

bool lv_code_is_unsupported(int code)
{
	return code == VIR_ERR_NO_SUPPORT || code == VIR_ERR_INVALID_ARG ||
	       code == VIR_ERR_ARGUMENT_UNSUPPORTED;
}

bool lv_error_is_unsupported(void)
{
	return lv_code_is_unsupported(virGetLastErrorCode());
}

static void lv_error_to_debug(void *arg, virErrorPtr e)
{
	(void)arg;
	if (e && e->message && log_get_level() >= LOG_DEBUG)
		log_debug("libvirt: %s", e->message);
}

void lv_quiet_libvirt_errors(void)
{
	virSetErrorFunc(NULL, lv_error_to_debug);
}
