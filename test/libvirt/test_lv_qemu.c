/*
 * test_lv_qemu.c: whole gathers (lv_collect_on) against the system
 * libvirtd with real QEMU domains made by test/libvirt/qemu-domains.sh:
 * PREFIX-run (running), PREFIX-pause (paused), PREFIX-off (shut off) and
 * PREFIX-run3 (running, destroyed by one test). Exits 77 when there is no
 * root or no libvirtd to start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libvirt/virterror.h>

#include "lv_collect.h"
#include "lv_testcase.h"
#include "lv_testlib.h"
#include "lv_util.h"

static char prefix[64];
static char names[4][96]; /* sorted: off, pause, run, run3 */

struct fixture {
	virConnectPtr c;
	struct lvt_schema schema;
	struct lvt_capture cap;
	struct lv_settings set;
	struct lv_collector col;
	struct log_limiter limiter;
	char *dom_names[4];
};

static void domains_down(void)
{
	char args[128];
	snprintf(args, sizeof(args), "down %s", prefix);
	lvt_domains_script(args);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->c = virConnectOpenReadOnly("qemu:///system");
	if (!f->c || lvt_schema_load(&f->schema) < 0)
		return -1;
	f->cap.schema = &f->schema;
	f->set.uri = "qemu:///system";
	f->set.uri_shown = (char *)"qemu:///system";
	f->set.groups = LV_GROUP_ALL;
	for (int i = 0; i < 4; i++)
		f->dom_names[i] = names[i];
	/* Only our domains: the daemon is shared. */
	f->set.domains = f->dom_names;
	f->set.ndomains = 3;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	lv_collector_free(&f->col);
	lvt_capture_free(&f->cap);
	lvt_schema_free(&f->schema);
	virConnectClose(f->c);
	free(f);
	return 0;
}

static void start(struct fixture *f)
{
	lvt_start(&f->col, &f->set, &f->limiter, &f->cap);
}

static void gather(struct fixture *f)
{
	lvt_gather(&f->col, f->c, &f->cap);
}

static const char *run_name(void)
{
	return names[2];
}

static void test_groups_of_a_real_host(void **state)
{
	struct fixture *f = *state;
	start(f);
	gather(f);
	assert_int_equal(f->col.last.domains, 3);
	assert_int_equal(f->col.last.errors, 0);
	assert_int_equal(f->col.last.skipped_locked, 0);
	/* Every group this host provides, under its native name (memory
	 * needs resctrl, absent here). */
	for (size_t i = 0; i < LVT_GROUP_MEASUREMENTS; i++) {
		const char *name = lvt_group_measurements[i];
		if (!lvt_find(&f->cap, name, run_name(), NULL, NULL))
			fail_msg("%s: no %s", run_name(), name);
		if (!lvt_find(&f->cap, name, names[1], NULL, NULL))
			fail_msg("%s: no %s", names[1], name);
	}
	const struct lvt_metric *st =
	    lvt_find(&f->cap, "libvirt_state", run_name(), NULL, NULL);
	assert_int_equal(lvt_int_field(st, "state"), VIR_DOMAIN_RUNNING);
	st = lvt_find(&f->cap, "libvirt_state", names[1], NULL, NULL);
	assert_int_equal(lvt_int_field(st, "state"), VIR_DOMAIN_PAUSED);
	st = lvt_find(&f->cap, "libvirt_state", names[0], NULL, NULL);
	assert_int_equal(lvt_int_field(st, "state"), VIR_DOMAIN_SHUTOFF);

	/* The shut-off domain: nothing that needs a running QEMU; what
	 * libvirt knows of its configuration (and its cpu time), written as
	 * the native plugin does. */
	const char *runtime[] = {
	    "libvirt_vcpu",
	    "libvirt_net",
	    "libvirt_net_total",
	    "libvirt_perf",
	    "libvirt_iothread",
	    "libvirt_dirtyrate",
	    "libvirt_cpu_cache_monitor_total",
	};
	if (!lvt_find(&f->cap, "libvirt_balloon", names[0], NULL, NULL))
		fail_msg("shut-off %s has no libvirt_balloon", names[0]);
	for (size_t i = 0; i < sizeof(runtime) / sizeof(runtime[0]); i++)
		if (lvt_find(&f->cap, runtime[i], names[0], NULL, NULL))
			fail_msg("shut-off %s has %s", names[0], runtime[i]);
	const struct lvt_metric *b =
	    lvt_find(&f->cap, "libvirt_block", names[0], NULL, NULL);
	if (b)
		assert_null(lvt_field(b, "rd_reqs"));

	const struct lvt_metric *n =
	    lvt_find(&f->cap, "libvirt_net", run_name(), NULL, NULL);
	assert_int_equal(lvt_field(n, "name")->type, LP_STRING);
	const struct lvt_metric *blk =
	    lvt_find(&f->cap, "libvirt_block", run_name(), NULL, NULL);
	assert_string_equal(lvt_field(blk, "name")->s, "vda");
	assert_int_equal(lvt_int_field(blk, "capacity"), 64 << 20);
	const struct lvt_metric *perf =
	    lvt_find(&f->cap, "libvirt_perf", run_name(), NULL, NULL);
	assert_true(lvt_int_field(perf, "task_clock") > 0);
}

/* Counters the hypervisor moves move between gathers; a paused domain's
 * vcpu does not run. Its time is counted in scheduler ticks (10 ms) that
 * may still land after the pause, so "does not run" is: it grows by far
 * less than the running domain's over the same gathers. */
static void test_values_move(void **state)
{
	struct fixture *f = *state;
	start(f);
	gather(f);
	int64_t cpu0 = lvt_int_field(
	    lvt_find(&f->cap, "libvirt_cpu", run_name(), NULL, NULL), "time");
	int64_t task0 = lvt_int_field(
	    lvt_find(&f->cap, "libvirt_perf", run_name(), NULL, NULL),
	    "task_clock");
	int64_t vcpu_paused0 = lvt_int_field(
	    lvt_find(&f->cap, "libvirt_vcpu", names[1], NULL, NULL), "time");
	int64_t cpu = cpu0, task = task0;
	const int64_t enough = 100000000; /* 100 ms of the running domain */
	/* Wait for progress, not for a time: at most 200 gathers. */
	for (int i = 0; i < 200 && (cpu - cpu0 < enough || task == task0);
	     i++) {
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
		gather(f);
		cpu = lvt_int_field(
		    lvt_find(&f->cap, "libvirt_cpu", run_name(), NULL, NULL),
		    "time");
		task = lvt_int_field(
		    lvt_find(&f->cap, "libvirt_perf", run_name(), NULL, NULL),
		    "task_clock");
	}
	assert_true(cpu - cpu0 >= enough);
	assert_true(task > task0);
	int64_t paused_grew = lvt_int_field(lvt_find(&f->cap, "libvirt_vcpu",
						     names[1], NULL, NULL),
					    "time") -
			      vcpu_paused0;
	if (paused_grew * 4 > cpu - cpu0)
		fail_msg("paused %s's vcpu ran %lld ns while %s ran %lld ns",
			 names[1], (long long)paused_grew, run_name(),
			 (long long)(cpu - cpu0));
}

static void test_kvm_vcpu_stats(void **state)
{
	struct fixture *f = *state;
	f->set.kvm_vcpu_stats = true;
	f->set.device_name_tags = true;
	start(f);
	gather(f);
	const struct lvt_metric *v =
	    lvt_find(&f->cap, "libvirt_vcpu", run_name(), "vcpu_id", "0");
	assert_non_null(v);
	/* KVM reports ~40 statistics per vcpu; TCG none. */
	if (access("/dev/kvm", R_OK | W_OK) == 0)
		assert_true(v->nfields > 20);
	const struct lvt_metric *blk =
	    lvt_find(&f->cap, "libvirt_block", run_name(), "block_id", "0");
	assert_string_equal(lvt_tag(blk, "block_name"), "vda");
}

static void destroy_run3(void *arg, virDomainPtr *doms, int n)
{
	(void)arg;
	(void)doms;
	(void)n;
	virConnectPtr rw = virConnectOpen("qemu:///system");
	assert_non_null(rw);
	virDomainPtr d = virDomainLookupByName(rw, names[3]);
	assert_non_null(d);
	assert_int_equal(virDomainDestroy(d), 0);
	assert_int_equal(virDomainUndefine(d), 0);
	virDomainFree(d);
	virConnectClose(rw);
}

/* A domain destroyed between the listing and the statistics call costs
 * that domain only. */
static void test_domain_destroyed_between_list_and_stats(void **state)
{
	struct fixture *f = *state;
	f->set.ndomains = 4;
	start(f);
	f->col.after_list = destroy_run3;
	gather(f);
	assert_null(lvt_find(&f->cap, "libvirt_state", names[3], NULL, NULL));
	assert_int_equal(lvt_domains(&f->cap, NULL), 3);
	assert_non_null(
	    lvt_find(&f->cap, "libvirt_block", run_name(), NULL, NULL));
	assert_int_equal(f->col.last.errors, 0);
}

int main(void)
{
	int rc = lvt_domains_script("check");
	if (rc != 0)
		return rc == 77 ? 77 : 1;
	if (lvt_lock_libvirtd() < 0) {
		fprintf(stderr, "cannot take the libvirtd lock\n");
		return 1;
	}
	lv_quiet_libvirt_errors();
	snprintf(prefix, sizeof(prefix), "tlxq%d", (int)getpid());
	snprintf(names[0], sizeof(names[0]), "%s-off", prefix);
	snprintf(names[1], sizeof(names[1]), "%s-pause", prefix);
	snprintf(names[2], sizeof(names[2]), "%s-run", prefix);
	snprintf(names[3], sizeof(names[3]), "%s-run3", prefix);
	char args[128];
	snprintf(args, sizeof(args), "up %s 4 >/dev/null", prefix);
	atexit(domains_down);
	if (lvt_domains_script(args) != 0) {
		fprintf(stderr, "cannot create the QEMU domains\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_groups_of_a_real_host, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_values_move, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kvm_vcpu_stats, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_domain_destroyed_between_list_and_stats, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
