/*
 * lv_util.c: libvirt error helpers and URI redaction (lv_util.h).
 */
#include "lv_util.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>
#include <time.h>

#include "telex/log.h"

/* Where a URI's authority ends. */
static bool lv_authority_end(char c)
{
	return c == '\0' || c == '/' || c == '?' || c == '#' || c == ' ' ||
	       c == '\'' || c == '"' || c == '\t' || c == '\n';
}

char *lv_redact_uri(const char *text, char *out, size_t n)
{
	if (n == 0)
		return out;
	size_t o = 0;
	const char *p = text;
	while (*p && o + 1 < n) {
		const char *sep = strstr(p, "://");
		if (!sep) {
			size_t len = strlen(p);
			if (len > n - 1 - o)
				len = n - 1 - o;
			memcpy(out + o, p, len);
			o += len;
			break;
		}
		/* Up to and including "://", then the authority. */
		const char *auth = sep + 3;
		const char *end = auth;
		while (!lv_authority_end(*end))
			end++;
		/* The userinfo ends at the last '@' of the authority; its
		 * password, after the first ':'. */
		const char *at = NULL;
		for (const char *q = auth; q < end; q++)
			if (*q == '@')
				at = q;
		const char *colon =
		    at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		const char *keep_to = colon ? colon + 1 : end;
		size_t len = (size_t)(keep_to - p);
		if (len > n - 1 - o)
			len = n - 1 - o;
		memcpy(out + o, p, len);
		o += len;
		if (colon) {
			for (const char *s = "***"; *s && o + 1 < n; s++)
				out[o++] = *s;
			p = at; /* "@host..." follows */
		} else {
			p = end;
		}
	}
	out[o] = '\0';
	return out;
}

/* libvirt keeps its last error per thread; the redacted copy lives beside
 * it, per thread, for the same reason. */
static _Thread_local char lv_error_text[1024];

const char *lv_last_error(void)
{
	const char *m = virGetLastErrorMessage();
	return lv_redact_uri(m ? m : "unknown error", lv_error_text,
			     sizeof(lv_error_text));
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
	char text[1024];
	if (e && e->message && log_get_level() >= LOG_DEBUG)
		log_debug("libvirt: %s",
			  lv_redact_uri(e->message, text, sizeof(text)));
}

void lv_quiet_libvirt_errors(void)
{
	virSetErrorFunc(NULL, lv_error_to_debug);
}

void lv_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &ca);
	pthread_condattr_destroy(&ca);
}
