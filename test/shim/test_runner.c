/*
 * test_runner.c: telex_main() and the runners, in process: stdin and
 * stdout are pipes put on fds 0 and 1 for the call, filled before and read
 * after; a small plugin records the order of its callbacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "telex/shim.h"

/* What the test plugin saw; one per test, reached through the config. */
struct record {
	char calls[64]; /* i=init g=gather s=start p=stop w=write f=flush
			   c=close */
	int ncalls;
	int gathers;
	int emit_per_gather;
	int gather_rc;
	int raise_in_init; /* a signal to raise once signals are set up */
	int init_rc;
	/* output */
	size_t capacity; /* lines taken per write() before full; 0: all */
	int write_rc;
	int flush_rc;
	struct buf got; /* lines taken, each + '\n' */
	size_t held;
	int64_t timer;
	/* service */
	int service_total;
	int emitted;
	uint64_t progress_written;
	uint64_t queued_at_close, written_at_close;
	/* a parsed line to emit as is */
	const char *parsed_line;
};

struct test_config {
	int64_t unused;
};

static struct record *rec; /* the test's record: plugins get no user arg */

static void note(char c)
{
	if (rec->ncalls < (int)sizeof(rec->calls) - 1)
		rec->calls[rec->ncalls++] = c;
}

static int p_init(struct telex *t, void *config, void **state)
{
	(void)config;
	(void)t;
	note('i');
	*state = rec;
	if (rec->raise_in_init)
		raise(rec->raise_in_init);
	return rec->init_rc;
}

static int p_gather(struct telex *t, void *state)
{
	struct record *r = state;
	note('g');
	r->gathers++;
	struct lp_metric m;
	lp_metric_init(&m);
	for (int i = 0; i < r->emit_per_gather; i++) {
		lp_metric_reset(&m);
		lp_metric_set_name(&m, "t", 1);
		lp_metric_add_int(&m, "g", 1, r->gathers);
		lp_metric_add_int(&m, "i", 1, i);
		lp_metric_set_time(&m, 1000 + i);
		telex_emit(t, &m);
	}
	if (r->parsed_line) {
		struct lp_error err;
		assert_int_equal(lp_parse_line(r->parsed_line,
					       strlen(r->parsed_line), 1, &m,
					       &err),
				 0);
		assert_int_equal(telex_emit(t, &m), TELEX_EMIT_QUEUED);
	}
	lp_metric_free(&m);
	return r->gather_rc;
}

static void p_close(struct telex *t, void *state)
{
	(void)state;
	note('c');
	rec->queued_at_close = telex_out_queued(t);
	rec->written_at_close = telex_out_written(t);
}

/* ------------------------------------------------------------------ */
/* Running telex_main with pipes on 0 and 1. */

struct run {
	int rc;
	char out[1 << 16];
	size_t outlen;
	char log[1 << 14];
};

static const struct cfg_option no_options[] = {{NULL}};

enum { RUN_CLOSE_STDOUT = 1, RUN_KEEP_STDIN = 2 };

/* Run p with `input` on stdin (then EOF, unless RUN_KEEP_STDIN) and argv;
 * stdout (unless RUN_CLOSE_STDOUT: no reader) and the log are captured. */
static void run_main(const struct telex_plugin *p, const char *input,
		     size_t inlen, unsigned flags, struct run *res, int argc,
		     char **argv)
{
	int in[2], out[2], lg[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(lg), 0);
	/* Big enough for every test's input and output. */
	fcntl(in[1], F_SETPIPE_SZ, 1 << 20);
	fcntl(out[1], F_SETPIPE_SZ, 1 << 20);
	fcntl(lg[1], F_SETPIPE_SZ, 1 << 20);
	assert_int_equal(write(in[1], input, inlen), (ssize_t)inlen);
	if (!(flags & RUN_KEEP_STDIN))
		close(in[1]);
	if (flags & RUN_CLOSE_STDOUT)
		close(out[0]);
	int save0 = dup(0), save1 = dup(1);
	dup2(in[0], 0);
	dup2(out[1], 1);
	close(in[0]);
	close(out[1]);
	log_set_fd(lg[1]);
	res->rc = telex_main(p, argc, argv);
	log_set_fd(2);
	log_set_level(LOG_INFO);
	dup2(save0, 0);
	dup2(save1, 1);
	close(save0);
	close(save1);
	close(lg[1]);
	ssize_t n = read(lg[0], res->log, sizeof(res->log) - 1);
	res->log[n > 0 ? n : 0] = '\0';
	close(lg[0]);
	if (flags & RUN_KEEP_STDIN)
		close(in[1]);
	res->outlen = 0;
	if (!(flags & RUN_CLOSE_STDOUT)) {
		fcntl(out[0], F_SETFL, O_NONBLOCK);
		n = read(out[0], res->out, sizeof(res->out) - 1);
		res->outlen = n > 0 ? (size_t)n : 0;
		close(out[0]);
	}
	res->out[res->outlen] = '\0';
}

#define RUN(p, input, res, ...)                                                \
	do {                                                                   \
		char *argv_[] = {"telex-test", __VA_ARGS__};                   \
		run_main(p, input, strlen(input), 0, res,                      \
			 (int)(sizeof(argv_) / sizeof(argv_[0])), argv_);      \
	} while (0)

static const struct telex_plugin input_plugin = {
    .program = "telex-test",
    .kind = TELEX_INPUT,
    .config = {.section = "inputs", .name = "test", .options = no_options},
    .config_size = sizeof(struct test_config),
    .init = p_init,
    .gather = p_gather,
    .close = p_close,
};

static int setup(void **state)
{
	(void)state;
	rec = calloc(1, sizeof(*rec));
	rec->emit_per_gather = 2;
	return rec ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	buf_free(&rec->got);
	free(rec);
	return 0;
}

static void test_input_lines_coalesce(void **state)
{
	(void)state;
	struct run r;
	/* Three lines in the pipe before the program reads: one gather. */
	RUN(&input_plugin, "\n\n\n", &r, "-poll_interval_disabled");
	assert_int_equal(r.rc, 0);
	assert_string_equal(rec->calls, "igc");
	assert_string_equal(r.out, "t g=1i,i=0i 1000\nt g=1i,i=1i 1001\n");
	/* close() ran after everything reached stdout. */
	assert_int_equal(rec->written_at_close, r.outlen);
	assert_int_equal(rec->queued_at_close, r.outlen);
	assert_non_null(strstr(r.log, "I! telex-test: 1 gathers"));
}

static void test_input_eof_no_request(void **state)
{
	(void)state;
	struct run r;
	RUN(&input_plugin, "", &r, "-config=/dev/null");
	assert_int_equal(r.rc, 0);
	assert_string_equal(rec->calls, "ic");
	assert_int_equal(r.outlen, 0);
}

static void test_input_signals(void **state)
{
	(void)state;
	struct run r;
	/* Raised in init, once the runner handles it: one gather, then
	 * EOF ends the program. */
	rec->raise_in_init = SIGUSR2;
	RUN(&input_plugin, "", &r, "--debug");
	assert_int_equal(r.rc, 0);
	assert_string_equal(rec->calls, "igc");
	assert_non_null(strstr(r.log, "D! stopping: end of stdin"));

	/* SIGTERM: stops without a gather. */
	memset(rec->calls, 0, sizeof(rec->calls));
	rec->ncalls = 0;
	rec->raise_in_init = SIGTERM;
	RUN(&input_plugin, "", &r, "--debug");
	assert_int_equal(r.rc, 0);
	assert_string_equal(rec->calls, "ic");
	assert_non_null(strstr(r.log, "D! stopping: SIGTERM"));
}

static void test_input_once(void **state)
{
	(void)state;
	struct run r;
	RUN(&input_plugin, "\n\n", &r, "--once");
	assert_int_equal(r.rc, 0);
	assert_string_equal(rec->calls, "igc");
	rec->gather_rc = -1;
	memset(rec->calls, 0, sizeof(rec->calls));
	rec->ncalls = 0;
	RUN(&input_plugin, "", &r, "--once");
	assert_int_equal(r.rc, 1);
	assert_string_equal(rec->calls, "igc");
	/* The metrics emitted before the failure are still written. */
	assert_int_equal(r.outlen > 0, 1);
}

static void test_init_fails(void **state)
{
	(void)state;
	struct run r;
	rec->init_rc = TELEX_EXIT_USAGE;
	RUN(&input_plugin, "\n", &r, "--once");
	assert_int_equal(r.rc, 2);
	assert_string_equal(rec->calls, "i"); /* no close() */
	rec->init_rc = 7;
	memset(rec->calls, 0, sizeof(rec->calls));
	rec->ncalls = 0;
	RUN(&input_plugin, "\n", &r, "--once");
	assert_int_equal(r.rc, 1);
}

static void test_usage_errors(void **state)
{
	(void)state;
	struct run r;
	RUN(&input_plugin, "", &r, "--nope");
	assert_int_equal(r.rc, 2);
	assert_int_equal(rec->ncalls, 0);
	assert_non_null(strstr(r.log, "E! unknown option \"--nope\""));
	RUN(&input_plugin, "", &r, "-flush_timeout", "-1s");
	assert_int_equal(r.rc, 2);
	RUN(&input_plugin, "", &r, "--version");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "telex-test "));

	/* A plugin without the callback its kind needs: exit 1, named. */
	struct telex_plugin broken = input_plugin;
	broken.gather = NULL;
	RUN(&broken, "", &r, "--once");
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.log, "E! telex-test: the plugin lacks "
				      "gather()"));
	assert_int_equal(rec->ncalls, 0);
}

/* Telegraf went away: the gather's metrics cannot be written; one W!
 * line, exit 0, close() still runs. */
static void test_input_epipe(void **state)
{
	(void)state;
	struct run r;
	char *argv[] = {"telex-test"};
	run_main(&input_plugin, "\n", 1, RUN_CLOSE_STDOUT, &r, 1, argv);
	assert_int_equal(r.rc, 0);
	assert_string_equal(rec->calls, "igc");
	assert_non_null(strstr(r.log, "W! stdout closed by the reader"));
	assert_null(strstr(r.log, "E! "));
}

/* A parsed metric that nothing changed goes out byte for byte, even where
 * the serialiser would write it differently. */
static void test_emit_forwards_original(void **state)
{
	(void)state;
	struct run r;
	rec->emit_per_gather = 0;
	rec->parsed_line =
	    "cpu,b=2,a=1 usage=1.50,idle=0.0 1700000000000000000";
	RUN(&input_plugin, "\n", &r, "-poll_interval_disabled");
	assert_int_equal(r.rc, 0);
	assert_string_equal(
	    r.out, "cpu,b=2,a=1 usage=1.50,idle=0.0 1700000000000000000\n");
}

/* ------------------------------------------------------------------ */
/* Output runner. */

static void o_drain(struct loop *l, void *arg)
{
	(void)l;
	struct telex *t = arg;
	rec->held = 0;
	telex_resume(t);
}

static int o_init(struct telex *t, void *config, void **state)
{
	int rc = p_init(t, config, state);
	if (rec->capacity)
		rec->timer =
		    loop_add_timer(telex_loop(t), 0, 1000000, o_drain, t);
	return rc;
}

static int o_write(struct telex *t, void *state, const struct telex_batch *b,
		   size_t *accepted)
{
	(void)t;
	struct record *r = state;
	note('w');
	size_t i;
	for (i = 0; i < b->n; i++) {
		if (r->capacity && r->held >= r->capacity)
			break;
		buf_printf(&r->got, "%zu:", b->lines[i].line_no);
		buf_append(&r->got, b->lines[i].ptr, b->lines[i].len);
		buf_putc(&r->got, '\n');
		r->held++;
	}
	*accepted = i;
	return r->write_rc;
}

static int o_flush(struct telex *t, void *state, int64_t deadline)
{
	(void)t;
	(void)state;
	/* Within the flush timeout of every test (at most 10 s). */
	assert_true(deadline <= telex_monotonic_ns() + 10000000000LL);
	note('f');
	return rec->flush_rc;
}

static void o_close(struct telex *t, void *state)
{
	loop_cancel_timer(telex_loop(t), rec->timer);
	p_close(t, state);
}

static const struct telex_plugin output_plugin = {
    .program = "telex-test-out",
    .kind = TELEX_OUTPUT,
    .config = {.section = "outputs", .name = "test", .options = no_options},
    .config_size = sizeof(struct test_config),
    .init = o_init,
    .write = o_write,
    .flush = o_flush,
    .close = o_close,
};

static const char output_input[] = "a v=1i 1\n"
				   "\n"
				   "# comment\n"
				   "b s=\"two\nlines\" 2\n"
				   "not valid\n"
				   "c v=3i 3\r\n"
				   "d v=4i 4";

static const char output_want[] = "1:a v=1i 1\n"
				  "4:b s=\"two\nlines\" 2\n"
				  "7:c v=3i 3\n"
				  "8:d v=4i 4\n";

static void test_output_lines(void **state)
{
	(void)state;
	struct run r;
	RUN(&output_plugin, output_input, &r, "-flush_timeout", "10s");
	assert_int_equal(r.rc, 0);
	/* One batch from the first read, the unterminated last line at
	 * EOF, then flush and close. */
	assert_string_equal(rec->calls, "iwwfc");
	buf_putc(&rec->got, '\0');
	assert_string_equal(rec->got.data, output_want);
	assert_non_null(strstr(r.log, "W! invalid line protocol skipped"));
	assert_non_null(strstr(r.log, "4 metrics read, 4 handed to the "
				      "plugin, 0 dropped by filters, 1 "
				      "invalid lines skipped"));
	assert_int_equal(r.outlen, 0); /* an output is quiet on stdout */
}

static void test_output_backpressure(void **state)
{
	(void)state;
	struct run r;
	rec->capacity = 1; /* one line per drain tick */
	RUN(&output_plugin, output_input, &r, "-flush_timeout", "10s");
	assert_int_equal(r.rc, 0);
	buf_putc(&rec->got, '\0');
	assert_string_equal(rec->got.data, output_want);
	/* Offered, full, offered the rest again after each resume. */
	assert_true(rec->ncalls >= 2 + 4 + 1);
	const char *paused = strstr(r.log, "stdin paused ");
	assert_non_null(paused);
	assert_true(atoi(paused + 13) >= 1);
}

static void test_output_failures(void **state)
{
	(void)state;
	struct run r;
	rec->flush_rc = -1;
	RUN(&output_plugin, output_input, &r, "-flush_timeout", "10s");
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.log, "E! the plugin did not deliver"));

	rec->flush_rc = 0;
	rec->write_rc = -1;
	memset(rec->calls, 0, sizeof(rec->calls));
	rec->ncalls = 0;
	RUN(&output_plugin, output_input, &r, "-flush_timeout", "10s");
	assert_int_equal(r.rc, 1);
	assert_string_equal(rec->calls, "iwfc"); /* flush still runs */

	/* Full and never resumed: the deadline passes, what was not taken
	 * is counted. */
	rec->write_rc = 0;
	rec->capacity = 2;
	rec->held = 0;
	rec->timer = 0;
	const struct telex_plugin stuck = {
	    .program = "telex-test-out",
	    .kind = TELEX_OUTPUT,
	    .config = {.section = "outputs",
		       .name = "test",
		       .options = no_options},
	    .init = p_init,
	    .write = o_write,
	    .flush = o_flush,
	    .close = p_close,
	};
	RUN(&stuck, output_input, &r, "-flush_timeout", "50ms");
	assert_int_equal(r.rc, 1);
	/* a and b taken; c split but not taken; d (no '\n' yet) read
	 * but never split, as EOF was not reached. */
	assert_non_null(strstr(r.log, "E! 1 metrics read from stdin were not "
				      "taken by the plugin"));
	assert_non_null(strstr(r.log, "E! 8 bytes of stdin left unread"));
}

/* ------------------------------------------------------------------ */
/* Service input. */

static void s_tick(struct loop *l, void *arg)
{
	(void)l;
	struct telex *t = arg;
	struct lp_metric m;
	lp_metric_init(&m);
	lp_metric_set_name(&m, "s", 1);
	lp_metric_add_int(&m, "n", 1, rec->emitted);
	assert_int_equal(telex_emit(t, &m), TELEX_EMIT_QUEUED);
	lp_metric_free(&m);
	if (++rec->emitted == rec->service_total)
		telex_shutdown(t);
}

static void s_progress(struct telex *t, void *arg, uint64_t written)
{
	(void)t;
	(void)arg;
	assert_true(written >= rec->progress_written);
	rec->progress_written = written;
}

static int s_start(struct telex *t, void *state)
{
	(void)state;
	note('s');
	telex_on_out_progress(t, s_progress, NULL);
	rec->timer = loop_add_timer(telex_loop(t), 0, 1000000, s_tick, t);
	return 0;
}

static void s_stop(struct telex *t, void *state)
{
	(void)state;
	note('p');
	loop_cancel_timer(telex_loop(t), rec->timer);
}

static void test_service(void **state)
{
	(void)state;
	const struct telex_plugin svc = {
	    .program = "telex-test-svc",
	    .kind = TELEX_SERVICE_INPUT,
	    .config = {.section = "inputs",
		       .name = "test",
		       .options = no_options},
	    .init = p_init,
	    .start = s_start,
	    .stop = s_stop,
	    .close = p_close,
	};
	struct run r;
	rec->service_total = 5;
	/* Lines on stdin are not requests for a service input. */
	char *argv[] = {"telex-test-svc"};
	/* stdin stays open: the plugin ends the run itself. */
	run_main(&svc, "\n\n", 2, RUN_KEEP_STDIN, &r, 1, argv);
	assert_int_equal(r.rc, 0);
	assert_string_equal(rec->calls, "ispc");
	assert_string_equal(r.out, "s n=0i\ns n=1i\ns n=2i\ns n=3i\ns n=4i\n");
	assert_int_equal(rec->written_at_close, r.outlen);
	assert_int_equal(rec->progress_written, r.outlen);
}

/* Every test runs on a fresh fixture. */
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_input_lines_coalesce), T(test_input_eof_no_request),
	    T(test_input_signals),	  T(test_input_once),
	    T(test_init_fails),		  T(test_usage_errors),
	    T(test_input_epipe),	  T(test_emit_forwards_original),
	    T(test_output_lines),	  T(test_output_backpressure),
	    T(test_output_failures),	  T(test_service),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
