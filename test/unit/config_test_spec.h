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

/* A check of a sub-table's option: Kafka topics cannot hold '/'. */
static int tcheck_separator(const void *value, struct cfg_problem *p)
{
	const char *sep = *(char *const *)value;
	return strchr(sep, '/') ? cfg_refuse(p, "\"/\" cannot be in a topic")
				: 0;
}

/* A check of a list that names the element at fault. */
static int tcheck_names(const void *value, struct cfg_problem *p)
{
	const struct cfg_strv *v = value;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], "forbidden") == 0) {
			p->item = i + 1;
			return cfg_refuse(p,
					  "element %zu: \"forbidden\" is "
					  "refused",
					  i + 1);
		}
	return 0;
}

/* What options must satisfy together, at the line of the one named. */
static int tfinalize(void *config, struct cfg_problem *p)
{
	const struct tcfg *c = config;
	if (c->suffix.method && strcmp(c->suffix.method, "tags") == 0 &&
	    c->suffix.keys.n == 0) {
		p->key = "topic_suffix.method";
		return cfg_refuse(p, "topic_suffix.method = \"tags\" needs "
				     "topic_suffix.keys");
	}
	return 0;
}

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
     .help = "Between topic and suffix.",
     .check = tcheck_separator},
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
     .help = "A list of strings.",
     .check = tcheck_names},
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

static const struct cfg_spec tspec = {.section = "inputs",
				      .name = "test",
				      .options = topts,
				      .finalize = tfinalize};

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

static const struct cfg_spec treq_spec = {
    .section = "outputs", .name = "req", .options = treq_opts};

/* Whether err begins with "FILE:LINE:", as every error of a file's
 * content must. */
static inline bool cfg_err_has_line(const char *err, const char *file)
{
	size_t n = strlen(file);
	if (strncmp(err, file, n) != 0 || err[n] != ':')
		return false;
	size_t d = strspn(err + n + 1, "0123456789");
	return d > 0 && err[n + 1 + d] == ':';
}

#endif
