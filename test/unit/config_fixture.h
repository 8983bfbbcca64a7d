/*
 * config_fixture.h: the config a unit test loads into, from
 * config_test_spec.h, zeroed before each test and freed after it, and the
 * log read back from the start of each test.
 */
#ifndef TELEX_CONFIG_FIXTURE_H
#define TELEX_CONFIG_FIXTURE_H

#include <string.h>

#include "config_test_spec.h"
#include "logcap.h"

static struct tcfg cfg;
static struct telex_common common;
static char err[2048];

/* cmocka per-test setup: an empty config, no error, the log drained. */
static int each_setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&common, 0, sizeof(common));
	err[0] = '\0';
	logcap_text();
	return 0;
}

/* cmocka per-test teardown: frees what the test loaded. */
static int each_teardown(void **state)
{
	(void)state;
	cfg_free(&tspec, &cfg, &common);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, each_setup, each_teardown)

#endif
