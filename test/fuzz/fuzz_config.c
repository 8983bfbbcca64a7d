/*
 * fuzz_config.c: arbitrary text as a config file, against a declaration
 * with one option of every kind (test/unit/config_test_spec.h). The
 * loader must never crash or leak, and every refusal must name the file.
 * A few environment variables are set so expansion paths are reached.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/config_test_spec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	setenv("FZ_STR", "v\"a\\l'ue\n", 1);
	setenv("FZ_NUM", "12", 1);
	setenv("FZ_LIST", "[\"a\", 1]", 1);
	setenv("FZ_EMPTY", "", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcfg cfg;
	struct telex_common common;
	char err[512];
	memset(&cfg, 0, sizeof(cfg));
	err[0] = '\0';
	int rc = cfg_load_text(&tspec, (const char *)data, size, "fuzz", &cfg,
			       &common, err, sizeof(err));
	if (rc != 0 && strncmp(err, "fuzz", 4) != 0) {
		fprintf(stderr, "error without the file name: \"%s\"\n", err);
		abort();
	}
	if (rc == 0 && (!cfg.str || !cfg.codec)) {
		fprintf(stderr, "loaded without the defaults\n");
		abort();
	}
	cfg_free(&tspec, &cfg, &common);
	return 0;
}
