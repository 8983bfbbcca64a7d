/*
 * config_expect.h: for the tests of an option table: a table loaded, or
 * refused with an error that starts with what the test expects (file:line
 * first), nothing left allocated. Include after cmocka.h.
 */
#ifndef TELEX_CONFIG_EXPECT_H
#define TELEX_CONFIG_EXPECT_H

#include <stdio.h>
#include <string.h>

#include "telex/config.h"

/* text, read as "test.conf" into config (size bytes, zeroed first) and
 * common, loads; the caller frees them with cfg_free(). */
static inline void config_expect_loaded(const struct cfg_spec *spec,
					void *config, size_t size,
					const char *text,
					struct telex_common *common)
{
	char err[1024];
	memset(config, 0, size);
	if (cfg_load_text(spec, text, strlen(text), "test.conf", config, common,
			  err, sizeof(err)) != 0)
		fail_msg("refused: %s\n%s", err, text);
}

/* text, read as "test.conf" into config (size bytes), is refused with an
 * error that starts with want. */
static inline void config_expect_refused(const struct cfg_spec *spec,
					 void *config, size_t size,
					 const char *text, const char *want)
{
	struct telex_common common;
	char err[1024];
	memset(config, 0, size);
	if (cfg_load_text(spec, text, strlen(text), "test.conf", config,
			  &common, err, sizeof(err)) == 0) {
		cfg_free(spec, config, &common);
		fail_msg("loaded, expected \"%s...\":\n%s", want, text);
	}
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want \"%s...\"", err, want);
}

/* The spec's table: its header, body, then each of the required
 * "key = value" lines whose key body does not set. */
static inline void config_expect_table_refused(const struct cfg_spec *spec,
					       void *config, size_t size,
					       const char *body,
					       const char *const *required,
					       const char *want)
{
	char text[2048];
	int n = snprintf(text, sizeof(text), "[[%s.%s]]\n%s", spec->section,
			 spec->name, body);
	for (; required && *required && n > 0 && (size_t)n < sizeof(text);
	     required++) {
		char key[64];
		snprintf(key, sizeof(key),
			 "%.*s =", (int)strcspn(*required, " "), *required);
		if (!strstr(body, key))
			n += snprintf(text + n, sizeof(text) - (size_t)n,
				      "%s\n", *required);
	}
	config_expect_refused(spec, config, size, text, want);
}

#endif
