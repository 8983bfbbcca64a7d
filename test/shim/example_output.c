/*
 * example_output.c: telex-example-output, an output built on the real shim
 * for the runner's tests. It "delivers" metrics by appending them to
 * `file`. With `capacity` it holds at most that many undelivered metrics
 * (write() takes fewer when full) and delivers `drain_batch` of them every
 * `drain_interval`, then calls telex_resume(): a slow sink. `stuck` never
 * delivers (a broker that is down: the flush deadline passes, exit 1);
 * `fail_after` makes write() fail fatally after that many metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telex/shim.h"

struct example_output_config {
	char *file;
	int64_t capacity;
	int64_t drain_interval;
	int64_t drain_batch;
	bool stuck;
	int64_t fail_after;
};

struct example_output {
	struct example_output_config *cfg;
	struct telex *t;
	FILE *f;
	struct buf held; /* undelivered metrics, each ending in '\n' */
	size_t held_off; /* start of the first undelivered one */
	int64_t nheld;
	int64_t taken, delivered, full;
	int64_t timer;
};

#define OPT(n, kind, field, def, text)                                         \
	{                                                                      \
		.name = n, .type = kind,                                       \
		.offset = offsetof(struct example_output_config, field),       \
		.default_value = def, .help = text                             \
	}

static const struct cfg_option example_output_options[] = {
    OPT("file", CFG_STRING, file, "\"/dev/null\"",
	"where delivered metrics go"),
    OPT("capacity", CFG_INT, capacity, "0",
	"undelivered metrics held at most (0: deliver at once)"),
    OPT("drain_interval", CFG_DURATION, drain_interval, "\"1ms\"",
	"how often held metrics are delivered"),
    OPT("drain_batch", CFG_INT, drain_batch, "100",
	"metrics delivered per drain_interval"),
    OPT("stuck", CFG_BOOL, stuck, "false", "never deliver"),
    OPT("fail_after", CFG_INT, fail_after, "0",
	"write() fails after this many metrics (0: never)"),
    {.name = NULL},
};

/* Deliver up to n held metrics (all with n < 0). */
static void example_output_deliver(struct example_output *o, int64_t n)
{
	size_t end = o->held_off;
	int64_t k = 0;
	while (o->nheld > 0 && (n < 0 || k < n)) {
		/* Metrics may hold raw newlines inside strings; each held
		 * one is prefixed by its length. */
		size_t len;
		memcpy(&len, o->held.data + end, sizeof(len));
		fwrite(o->held.data + end + sizeof(len), 1, len, o->f);
		end += sizeof(len) + len;
		o->nheld--;
		k++;
	}
	o->held_off = end;
	o->delivered += k;
	if (!o->nheld || o->held_off > o->held.len / 2) {
		buf_consume(&o->held, o->held_off);
		o->held_off = 0;
	}
	fflush(o->f);
}

static void example_output_drain(struct loop *l, void *arg)
{
	(void)l;
	struct example_output *o = arg;
	if (o->cfg->stuck || !o->nheld)
		return;
	example_output_deliver(o, o->cfg->drain_batch);
	telex_resume(o->t);
}

static int example_output_init(struct telex *t, void *config, void **state)
{
	struct example_output_config *c = config;
	struct example_output *o = calloc(1, sizeof(*o));
	if (!o)
		return TELEX_EXIT_FAILURE;
	o->cfg = c;
	o->t = t;
	o->f = fopen(c->file, "a");
	if (!o->f) {
		log_error("file \"%s\": %s", c->file, strerror(errno));
		free(o);
		return TELEX_EXIT_USAGE;
	}
	if (c->capacity > 0) {
		o->timer =
		    loop_add_timer(telex_loop(t), c->drain_interval,
				   c->drain_interval, example_output_drain, o);
	}
	*state = o;
	return 0;
}

static int example_output_write(struct telex *t, void *state,
				const struct telex_batch *b, size_t *accepted)
{
	(void)t;
	struct example_output *o = state;
	const struct example_output_config *c = o->cfg;
	size_t i;
	for (i = 0; i < b->n; i++) {
		if (c->fail_after && o->taken >= c->fail_after) {
			*accepted = i;
			log_error("write failed after %lld metrics "
				  "(fail_after)",
				  (long long)o->taken);
			return -1;
		}
		if (c->capacity > 0 && o->nheld >= c->capacity)
			break;
		size_t len = b->lines[i].len + 1;
		buf_append(&o->held, &len, sizeof(len));
		buf_append(&o->held, b->lines[i].ptr, b->lines[i].len);
		buf_putc(&o->held, '\n');
		o->nheld++;
		o->taken++;
	}
	*accepted = i;
	if (i < b->n)
		o->full++;
	if (c->capacity <= 0 && !c->stuck)
		example_output_deliver(o, -1);
	return 0;
}

static int example_output_flush(struct telex *t, void *state,
				int64_t deadline_ns)
{
	struct example_output *o = state;
	while (o->nheld && o->cfg->stuck) {
		/* A sink that is down: wait for it until the deadline. */
		int64_t left = deadline_ns - telex_monotonic_ns();
		if (left <= 0)
			break;
		loop_run_once(telex_loop(t), left);
	}
	if (!o->cfg->stuck)
		example_output_deliver(o, -1);
	if (o->nheld) {
		log_error("example-output: %lld metrics not delivered",
			  (long long)o->nheld);
		return -1;
	}
	return 0;
}

static void example_output_close(struct telex *t, void *state)
{
	struct example_output *o = state;
	if (o->timer > 0)
		loop_cancel_timer(telex_loop(t), o->timer);
	log_info("example-output: took %lld delivered %lld full %lld times",
		 (long long)o->taken, (long long)o->delivered,
		 (long long)o->full);
	fclose(o->f);
	buf_free(&o->held);
	free(o);
}

static const struct telex_plugin example_output_plugin = {
    .program = "telex-example-output",
    .summary = "Example output for the shim's tests.",
    .kind = TELEX_OUTPUT,
    .config = {.section = "outputs",
	       .name = "example",
	       .options = example_output_options},
    .config_size = sizeof(struct example_output_config),
    .init = example_output_init,
    .write = example_output_write,
    .flush = example_output_flush,
    .close = example_output_close,
};

int main(int argc, char **argv)
{
	return telex_main(&example_output_plugin, argc, argv);
}
