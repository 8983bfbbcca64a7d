/*
 * example_service.c: telex-example-service, a service input built on the
 * real shim for the runner's tests. It emits `batch` metrics every `tick`
 * (at most `total`, 0: no limit), pauses while stdout is congested, and
 * tracks which metrics reached stdout through the progress callback, as a
 * Kafka consumer tracks offsets to commit. At close it logs
 * "emitted N committed M": after a clean shutdown they are equal.
 */
#include <stdlib.h>
#include <string.h>

#include "telex/shim.h"

struct example_service_config {
	int64_t batch;
	int64_t tick;
	int64_t total;
	bool shutdown_at_total;
};

struct example_service {
	struct example_service_config *cfg;
	struct telex *t;
	int64_t timer;
	int64_t emitted, committed, congested_ticks;
	uint64_t *ends; /* stdout position after each uncommitted metric */
	size_t head, n, cap;
	struct lp_metric m;
};

#define OPT(n, kind, field, def, text)                                         \
	{                                                                      \
		.name = n, .type = kind,                                       \
		.offset = offsetof(struct example_service_config, field),      \
		.default_value = def, .help = text                             \
	}

static const struct cfg_option example_service_options[] = {
    OPT("batch", CFG_INT, batch, "100", "metrics per tick"),
    OPT("tick", CFG_DURATION, tick, "\"10ms\"", "time between batches"),
    OPT("total", CFG_INT, total, "0", "stop emitting after this many"),
    OPT("shutdown_at_total", CFG_BOOL, shutdown_at_total, "false",
	"end the program (telex_shutdown) after `total`"),
    {.name = NULL},
};

static void example_service_progress(struct telex *t, void *arg,
				     uint64_t written)
{
	(void)t;
	struct example_service *s = arg;
	while (s->n && s->ends[s->head] <= written) {
		s->head = (s->head + 1) % s->cap;
		s->n--;
		s->committed++;
	}
}

static int example_service_track(struct example_service *s, uint64_t end)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *e = malloc(cap * sizeof(*e));
		if (!e)
			return -1;
		for (size_t i = 0; i < s->n; i++)
			e[i] = s->ends[(s->head + i) % s->cap];
		free(s->ends);
		s->ends = e;
		s->head = 0;
		s->cap = cap;
	}
	s->ends[(s->head + s->n) % s->cap] = end;
	s->n++;
	return 0;
}

static void example_service_tick(struct loop *l, void *arg)
{
	(void)l;
	struct example_service *s = arg;
	const struct example_service_config *c = s->cfg;
	if (telex_out_congested(s->t)) {
		if (!s->congested_ticks++)
			log_info("example-service: stdout congested after %lld "
				 "metrics",
				 (long long)s->emitted);
		return;
	}
	int64_t now = telex_realtime_ns();
	for (int64_t i = 0; i < c->batch; i++) {
		if (c->total && s->emitted >= c->total)
			break;
		lp_metric_reset(&s->m);
		lp_metric_set_name(&s->m, "service", 7);
		lp_metric_add_int(&s->m, "seq", 3, s->emitted);
		lp_metric_set_time(&s->m, now);
		if (telex_emit(s->t, &s->m) == TELEX_EMIT_UNWRITABLE)
			return;
		s->emitted++;
		if (example_service_track(s, telex_out_queued(s->t)) < 0) {
			telex_fail(s->t);
			return;
		}
	}
	telex_out_flush(s->t);
	if (c->total && s->emitted >= c->total && c->shutdown_at_total)
		telex_shutdown(s->t);
}

static int example_service_init(struct telex *t, void *config, void **state)
{
	struct example_service *s = calloc(1, sizeof(*s));
	if (!s)
		return TELEX_EXIT_FAILURE;
	s->cfg = config;
	s->t = t;
	lp_metric_init(&s->m);
	telex_on_out_progress(t, example_service_progress, s);
	*state = s;
	return 0;
}

static int example_service_start(struct telex *t, void *state)
{
	struct example_service *s = state;
	s->timer = loop_add_timer(telex_loop(t), 0, s->cfg->tick,
				  example_service_tick, s);
	return s->timer > 0 ? 0 : -1;
}

static void example_service_stop(struct telex *t, void *state)
{
	struct example_service *s = state;
	loop_cancel_timer(telex_loop(t), s->timer);
	log_info("example-service: stopped after %lld metrics",
		 (long long)s->emitted);
}

static void example_service_close(struct telex *t, void *state)
{
	(void)t;
	struct example_service *s = state;
	log_info("example-service: emitted %lld committed %lld congested "
		 "ticks %lld",
		 (long long)s->emitted, (long long)s->committed,
		 (long long)s->congested_ticks);
	lp_metric_free(&s->m);
	free(s->ends);
	free(s);
}

static const struct telex_plugin example_service_plugin = {
    .program = "telex-example-service",
    .summary = "Example service input for the shim's tests.",
    .kind = TELEX_SERVICE_INPUT,
    .config = {.section = "inputs",
	       .name = "example_service",
	       .options = example_service_options},
    .config_size = sizeof(struct example_service_config),
    .init = example_service_init,
    .start = example_service_start,
    .stop = example_service_stop,
    .close = example_service_close,
};

int main(int argc, char **argv)
{
	return telex_main(&example_service_plugin, argc, argv);
}
