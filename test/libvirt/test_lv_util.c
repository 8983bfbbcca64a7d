/*
 * test_lv_util.c: what the logs may show of a libvirt URI
 * (plugins/libvirt/lv_util.c): the password of any URI in a text replaced,
 * everything else kept, the output always terminated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lv_util.h"

static void expect_redacted(const char *in, const char *want)
{
	char out[256];
	lv_redact_uri(in, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("\"%s\": got \"%s\", want \"%s\"", in, out, want);
}

static void test_redact(void **state)
{
	(void)state;
	expect_redacted("qemu+tcp://alice:S3cretPW@host/system",
			"qemu+tcp://alice:***@host/system");
	expect_redacted("qemu+ssh://alice:p@ss:w0rd@host:2222/system?x=1",
			"qemu+ssh://alice:***@host:2222/system?x=1");
	/* Nothing to hide: unchanged. */
	expect_redacted("qemu:///system", "qemu:///system");
	expect_redacted("qemu+ssh://alice@host/system",
			"qemu+ssh://alice@host/system");
	expect_redacted("qemu+tcp://host:16509/system",
			"qemu+tcp://host:16509/system");
	expect_redacted("test:///default", "test:///default");
	expect_redacted("no uri here", "no uri here");
	expect_redacted("", "");
	/* libvirt's own messages quote the URI, sometimes twice. */
	expect_redacted("internal error: Unable to parse URI "
			"qemu+tcp://alice:S3cretPW@127.0.0.1:/system",
			"internal error: Unable to parse URI "
			"qemu+tcp://alice:***@127.0.0.1:/system");
	expect_redacted("'qemu+tcp://a:x@h/s' and qemu+tls://b:y@k/s.",
			"'qemu+tcp://a:***@h/s' and qemu+tls://b:***@k/s.");
	/* An '@' after the authority is not userinfo. */
	expect_redacted("qemu+ssh://host/system?keyfile=/a:b@c",
			"qemu+ssh://host/system?keyfile=/a:b@c");
}

static void test_redact_small_buffer(void **state)
{
	(void)state;
	char out[12];
	lv_redact_uri("qemu+tcp://alice:S3cretPW@host/system", out,
		      sizeof(out));
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_null(strstr(out, "S3cret"));
	char tiny[1];
	lv_redact_uri("qemu+tcp://a:b@c/", tiny, sizeof(tiny));
	assert_int_equal(tiny[0], '\0');
	/* Cut right after the colon: the password never starts to show. */
	char cut[19];
	lv_redact_uri("qemu+tcp://alice:S3cretPW@host/", cut, sizeof(cut));
	assert_null(strchr(cut, 'S'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_redact),
	    cmocka_unit_test(test_redact_small_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
