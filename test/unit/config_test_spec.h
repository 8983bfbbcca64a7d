/*
 * config_test_spec.h: a plugin declaration with one option of every kind,
 * shared by the config tests and the config fuzzer, and a pipe that
 * captures log lines.
 */
#ifndef TELEX_CONFIG_TEST_SPEC_H
#define TELEX_CONFIG_TEST_SPEC_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "telex/config.h"
#include "telex/log.h"

struct tsuffix {
	char *method;
	char *separator;
	struct cfg_strv keys;
};

struct tcfg {
	char *str;
	bool flag;
	int64_t count;
	double ratio;
	int64_t timeout;
	int64_t max_size;
	struct cfg_strv names;
	struct cfg_map headers;
	struct cfg_map librdkafka;
	struct tsuffix suffix;
	char *codec;
	struct cfg_strv modes;
	char *password;
	char *required_s;
	int64_t old_opt;
};

#define TO(f) offsetof(struct tcfg, f)
#define TS(f) offsetof(struct tsuffix, f)

static const char *const tcodecs[] = {"none", "gzip", "snappy",
				      "lz4",  "zstd", NULL};
static const char *const tmethods[] = {"", "measurement", "tags", NULL};
static const char *const tmodes[] = {"read", "write", NULL};

static const struct cfg_option tsuffix_opts[] = {
    {.name = "method",
     .type = CFG_STRING,
     .offset = TS(method),
     .default_value = "\"\"",
     .help = "How the topic suffix is made: \"measurement\" or \"tags\".",
     .choices = tmethods},
    {.name = "separator",
     .type = CFG_STRING,
     .offset = TS(separator),
     .default_value = "\"_\"",
     .help = "Between topic and suffix."},
    {.name = "keys",
     .type = CFG_STRING_LIST,
     .offset = TS(keys),
     .default_value = "[]",
     .help = "Tag keys for the \"tags\" method."},
    {.name = NULL},
};

static const struct cfg_option topts[] = {
    {.name = "str",
     .type = CFG_STRING,
     .offset = TO(str),
     .default_value = "\"hello\"",
     .help = "A string."},
    {.name = "flag",
     .type = CFG_BOOL,
     .offset = TO(flag),
     .default_value = "true",
     .help = "A boolean."},
    {.name = "count",
     .type = CFG_INT,
     .offset = TO(count),
     .default_value = "3",
     .help = "An integer from 0 to 100.",
     .min = 0,
     .max = 100},
    {.name = "ratio",
     .type = CFG_FLOAT,
     .offset = TO(ratio),
     .default_value = "0.5",
     .help = "A float."},
    {.name = "timeout",
     .type = CFG_DURATION,
     .offset = TO(timeout),
     .default_value = "\"10s\"",
     .help = "A duration, 1ms to 1h.",
     .min = 1000000,
     .max = 3600000000000LL},
    {.name = "max_size",
     .type = CFG_SIZE,
     .offset = TO(max_size),
     .default_value = "\"64KiB\"",
     .help = "A size."},
    {.name = "names",
     .type = CFG_STRING_LIST,
     .offset = TO(names),
     .default_value = "[\"a\", \"b\"]",
     .help = "A list of strings."},
    {.name = "headers",
     .type = CFG_STRING_MAP,
     .offset = TO(headers),
     .default_value = "{}",
     .help = "Headers added to every message."},
    {.name = "librdkafka",
     .type = CFG_STRING_MAP,
     .offset = TO(librdkafka),
     .help = "librdkafka properties.",
     .flags = CFG_MAP_SCALARS},
    {.name = "topic_suffix",
     .type = CFG_TABLE,
     .offset = TO(suffix),
     .help = "Suffix of the topic name.",
     .sub = tsuffix_opts},
    {.name = "codec",
     .type = CFG_STRING,
     .offset = TO(codec),
     .default_value = "\"none\"",
     .help = "Compression codec.",
     .choices = tcodecs},
    {.name = "modes",
     .type = CFG_STRING_LIST,
     .offset = TO(modes),
     .default_value = "[]",
     .help = "Modes.",
     .choices = tmodes},
    {.name = "password",
     .type = CFG_STRING,
     .offset = TO(password),
     .help = "A secret.",
     .flags = CFG_SECRET},
    {.name = "version",
     .type = CFG_IGNORED,
     .help = "telex uses librdkafka, which negotiates this"},
    {.name = "old_opt",
     .type = CFG_INT,
     .offset = TO(old_opt),
     .help = "use \"count\" instead",
     .flags = CFG_DEPRECATED},
    {.name = NULL},
};

static const struct cfg_spec tspec = {"inputs", "test", topts};

/* A spec with a required option, for the required-key checks. */
static const struct cfg_option treq_opts[] = {
    {.name = "brokers",
     .type = CFG_STRING,
     .offset = TO(required_s),
     .default_value = "\"localhost:9092\"",
     .help = "Kafka brokers.",
     .flags = CFG_REQUIRED},
    {.name = "str",
     .type = CFG_STRING,
     .offset = TO(str),
     .default_value = "\"x\"",
     .help = "A string."},
    {.name = NULL},
};

static const struct cfg_spec treq_spec = {"outputs", "req", treq_opts};

#endif
