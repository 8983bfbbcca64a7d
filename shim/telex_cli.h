/*
 * telex_cli.h: the command line every telex program shares (internal).
 *
 * Go's flag package is the model, because existing execd `command` arrays
 * were written for the Go shim: one or two dashes, "-name value" or
 * "-name=value", booleans as "-name" or "-name=true|false".
 */
#ifndef TELEX_CLI_H
#define TELEX_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "telex/buf.h"

struct telex_plugin;

struct telex_cli {
	const char *config_path;   /* NULL: built-in defaults */
	const char *poll_interval; /* duration text as given, or NULL */
	const char *flush_timeout; /* duration text as given, or NULL */
	bool poll_interval_disabled;
	bool once;
	bool sample_config;
	bool version;
	bool help;
	bool debug;
	bool man_options; /* hidden: cfg_write_man output for the man page */
};

/* Parse argv[1..argc). 0, or -1 with err naming the bad argument. */
int telex_cli_parse(struct telex_cli *c, int argc, char *const *argv, char *err,
		    size_t errlen);

/* The --help text for this program. */
void telex_cli_usage(const struct telex_plugin *p, struct buf *out);

#endif
