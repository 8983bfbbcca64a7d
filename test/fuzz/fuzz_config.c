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
#include "telex/filter.h"
#include "telex/lp.h"

/* Run the filter made from the loaded common keys over a few metrics. */
static void fuzz_filters(const struct telex_common *common, bool input)
{
	static const char *const lines[] = {
	    "cpu,cpu=cpu0,host=a usage_idle=1,usage_user=2i 1",
	    "my\\ net,dc=eu\\,1 rx=1u,tx=\"x\" 2",
	    "mem f=true",
	};
	char err[256];
	struct metric_filter *f = filter_new(common, input, err, sizeof(err));
	if (!f)
		return;
	struct lp_metric m;
	lp_metric_init(&m);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct lp_error e;
		if (lp_parse_line(lines[i], strlen(lines[i]), 1, &m, &e) == 0 &&
		    filter_apply(f, &m)) {
			struct buf b = BUF_INIT;
			lp_write_metric(&b, &m, 0, &e);
			buf_free(&b);
		}
	}
	lp_metric_free(&m);
	filter_free(f);
}

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
	if (rc == 0) {
		fuzz_filters(&common, true);
		fuzz_filters(&common, false);
	}
	cfg_free(&tspec, &cfg, &common);
	return 0;
}
