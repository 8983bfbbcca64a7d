/*
 * example_input.c: telex-example-input, a polled input built on the real
 * shim for the runner's tests: each gather emits `count` metrics, can be
 * slow (gather_delay), fail (fail_every), carry a string with a raw newline
 * or a huge string field, or go through the parser first (parsed: the
 * shim then forwards the original bytes unless a filter changed them).
 *
 *   example,gather=G,i=I seq=Ni,value=F[,text="..."][,big="..."] TIME
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "telex/shim.h"

struct example_input_config {
	int64_t count;
	int64_t gather_delay;
	int64_t fail_every;
	char *measurement;
	bool newline_string;
	int64_t big_field;
	bool parsed;
};

struct example_input {
	struct example_input_config *cfg;
	int64_t gathers;
	int64_t seq;
	struct lp_metric m;
	struct buf line;
	char *big;
};

#define OPT(n, kind, field, def, text)                                         \
	{                                                                      \
		.name = n, .type = kind,                                       \
		.offset = offsetof(struct example_input_config, field),        \
		.default_value = def, .help = text                             \
	}

static const struct cfg_option example_input_options[] = {
    OPT("count", CFG_INT, count, "3", "metrics per gather"),
    OPT("gather_delay", CFG_DURATION, gather_delay, "\"0s\"",
	"time each gather takes"),
    OPT("fail_every", CFG_INT, fail_every, "0",
	"every Nth gather fails (0: never)"),
    OPT("measurement", CFG_STRING, measurement, "\"example\"",
	"measurement name"),
    OPT("newline_string", CFG_BOOL, newline_string, "false",
	"add a string field holding a raw newline"),
    OPT("big_field", CFG_SIZE, big_field, "0",
	"add a string field of this many bytes"),
    OPT("parsed", CFG_BOOL, parsed, "false",
	"build each metric as text and parse it before emitting"),
    {.name = NULL},
};

static int example_input_init(struct telex *t, void *config, void **state)
{
	(void)t;
	struct example_input_config *c = config;
	if (c->count < 0) {
		log_error("count must be >= 0, not %lld", (long long)c->count);
		return TELEX_EXIT_USAGE;
	}
	struct example_input *e = calloc(1, sizeof(*e));
	if (!e)
		return TELEX_EXIT_FAILURE;
	e->cfg = c;
	lp_metric_init(&e->m);
	if (c->big_field > 0) {
		e->big = malloc((size_t)c->big_field);
		if (!e->big) {
			free(e);
			return TELEX_EXIT_FAILURE;
		}
		for (int64_t i = 0; i < c->big_field; i++)
			e->big[i] = (char)('a' + i % 26);
	}
	*state = e;
	return 0;
}

static void example_input_build(struct example_input *e, int64_t i, int64_t now)
{
	const struct example_input_config *c = e->cfg;
	char g[24], n[24];
	int glen = snprintf(g, sizeof(g), "%lld", (long long)e->gathers);
	int nlen = snprintf(n, sizeof(n), "%lld", (long long)i);
	struct lp_metric *m = &e->m;
	lp_metric_reset(m);
	lp_metric_set_name(m, c->measurement, strlen(c->measurement));
	lp_metric_set_tag_copy(m, "gather", 6, g, (size_t)glen);
	lp_metric_set_tag_copy(m, "i", 1, n, (size_t)nlen);
	lp_metric_add_int(m, "seq", 3, e->seq++);
	lp_metric_add_float(m, "value", 5, (double)i + 0.5);
	if (c->newline_string)
		lp_metric_add_string(m, "text", 4,
				     "first line\nsecond \"line\"", 24);
	if (e->big)
		lp_metric_add_string(m, "big", 3, e->big, (size_t)c->big_field);
	lp_metric_set_time(m, now);
}

static int example_input_gather(struct telex *t, void *state)
{
	struct example_input *e = state;
	const struct example_input_config *c = e->cfg;
	e->gathers++;
	if (c->gather_delay > 0) {
		struct timespec ts = {c->gather_delay / 1000000000,
				      c->gather_delay % 1000000000};
		nanosleep(&ts, NULL);
	}
	if (c->fail_every && e->gathers % c->fail_every == 0) {
		log_error("gather %lld failed (fail_every = %lld)",
			  (long long)e->gathers, (long long)c->fail_every);
		return -1;
	}
	int64_t now = telex_realtime_ns();
	for (int64_t i = 0; i < c->count; i++) {
		example_input_build(e, i, now);
		if (c->parsed) {
			struct lp_error err;
			buf_clear(&e->line);
			if (lp_write_metric(&e->line, &e->m, 0, &err) < 0 ||
			    lp_parse_line(e->line.data, e->line.len - 1, 1,
					  &e->m, &err) < 0) {
				log_error("example metric: %s", err.msg);
				return -1;
			}
		}
		if (telex_emit(t, &e->m) == TELEX_EMIT_UNWRITABLE)
			return -1;
	}
	return 0;
}

static void example_input_close(struct telex *t, void *state)
{
	(void)t;
	struct example_input *e = state;
	lp_metric_free(&e->m);
	buf_free(&e->line);
	free(e->big);
	free(e);
}

static const struct telex_plugin example_input_plugin = {
    .program = "telex-example-input",
    .summary = "Example polled input for the shim's tests.",
    .kind = TELEX_INPUT,
    .config = {.section = "inputs",
	       .name = "example",
	       .options = example_input_options},
    .config_size = sizeof(struct example_input_config),
    .init = example_input_init,
    .gather = example_input_gather,
    .close = example_input_close,
};

int main(int argc, char **argv)
{
	return telex_main(&example_input_plugin, argc, argv);
}
