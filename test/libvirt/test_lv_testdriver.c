/*
 * test_lv_testdriver.c: whole gathers (lv_collect_on) against libvirt's
 * test driver, in process, on a generated file of 1,000 domains with 2
 * disks and 2 NICs each (test/libvirt/gen-domains.sh -m: 800 running, 100
 * paused, 100 shut off). The driver's bulk call answers `state` only, so
 * every other group comes through the per-domain fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libvirt/virterror.h>

#include "lv_collect.h"
#include "lv_testcase.h"
#include "lv_testlib.h"
#include "lv_util.h"

#define NDOMAINS 1000

struct fixture {
	char *file;
	char uri[4200];
	virConnectPtr c;
	struct lvt_schema schema;
	struct lvt_capture cap;
	struct lv_settings set;
	struct lv_collector col;
	struct log_limiter limiter;
	bool started;
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	lv_quiet_libvirt_errors();
	f->file = lvt_gen_domains(NDOMAINS, true, "tlxt");
	if (!f->file || lvt_schema_load(&f->schema) < 0)
		return -1;
	snprintf(f->uri, sizeof(f->uri), "test://%s", f->file);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	unlink(f->file);
	free(f->file);
	lvt_schema_free(&f->schema);
	free(f);
	return 0;
}

/* A fresh connection (the test driver keeps its state per connection) and
 * collector per test. */
static int setup(void **state)
{
	struct fixture *f = *state;
	f->c = virConnectOpen(f->uri);
	if (!f->c)
		return -1;
	memset(&f->set, 0, sizeof(f->set));
	f->set.uri = f->uri;
	f->set.uri_shown = f->uri;
	f->set.groups = LV_GROUP_ALL;
	memset(&f->cap, 0, sizeof(f->cap));
	f->cap.schema = &f->schema;
	f->started = false;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->started)
		lv_collector_free(&f->col);
	lvt_capture_free(&f->cap);
	virConnectClose(f->c);
	return 0;
}

static void start(struct fixture *f)
{
	lvt_start(&f->col, &f->set, &f->limiter, &f->cap);
	f->started = true;
}

static void gather(struct fixture *f)
{
	lvt_gather(&f->col, f->c, &f->cap);
}

static void test_all_groups_through_fallback(void **state)
{
	struct fixture *f = *state;
	start(f);
	gather(f);
	const size_t active = NDOMAINS - NDOMAINS / 10; /* not shut off */
	assert_int_equal(f->col.last.domains, NDOMAINS);
	assert_int_equal(f->col.last.errors, 0);
	assert_int_equal(lvt_count(&f->cap, "libvirt_state"), NDOMAINS);
	assert_int_equal(lvt_count(&f->cap, "libvirt_cpu"), active);
	assert_int_equal(lvt_count(&f->cap, "libvirt_balloon"), active);
	assert_int_equal(lvt_count(&f->cap, "libvirt_vcpu_total"), active);
	assert_int_equal(lvt_count(&f->cap, "libvirt_vcpu"), 2 * active);
	assert_int_equal(lvt_count(&f->cap, "libvirt_net_total"), active);
	assert_int_equal(lvt_count(&f->cap, "libvirt_net"), 2 * active);
	assert_int_equal(lvt_count(&f->cap, "libvirt_block_total"), active);
	assert_int_equal(lvt_count(&f->cap, "libvirt_block"), 2 * active);
	assert_int_equal(lvt_domains(&f->cap, NULL), NDOMAINS);

	/* Shut off (i % 10 == 7): state 5 and nothing else. */
	const char *off = "tlxt-00007";
	const struct lvt_metric *st =
	    lvt_find(&f->cap, "libvirt_state", off, NULL, NULL);
	assert_int_equal(lvt_int_field(st, "state"), VIR_DOMAIN_SHUTOFF);
	size_t n_off = 0;
	for (size_t i = 0; i < f->cap.n; i++)
		n_off += strcmp(lvt_tag(&f->cap.v[i], "domain_name"), off) == 0;
	assert_int_equal(n_off, 1);

	/* Paused (i % 10 == 3). */
	st = lvt_find(&f->cap, "libvirt_state", "tlxt-00003", NULL, NULL);
	assert_int_equal(lvt_int_field(st, "state"), VIR_DOMAIN_PAUSED);

	/* A running domain, device by device. */
	const char *d = "tlxt-00042";
	const struct lvt_metric *n1 =
	    lvt_find(&f->cap, "libvirt_net", d, "interface_id", "1");
	assert_string_equal(lvt_field(n1, "name")->s, "tlxt-00042-n1");
	assert_true(lvt_int_field(n1, "rx_bytes") > 0);
	assert_true(lvt_int_field(n1, "tx_drop") >= 0);
	const struct lvt_metric *b1 =
	    lvt_find(&f->cap, "libvirt_block", d, "block_id", "1");
	assert_string_equal(lvt_field(b1, "name")->s, "vdb");
	assert_string_equal(lvt_field(b1, "path")->s,
			    "/var/lib/tlx/tlxt-00042-b.qcow2");
	assert_true(lvt_int_field(b1, "rd_reqs") > 0);
	assert_true(lvt_int_field(b1, "capacity") > 0);
	const struct lvt_metric *bal =
	    lvt_find(&f->cap, "libvirt_balloon", d, NULL, NULL);
	assert_int_equal(lvt_int_field(bal, "maximum"), 1048576);
	assert_true(lvt_int_field(bal, "current") > 0);
	const struct lvt_metric *vt =
	    lvt_find(&f->cap, "libvirt_vcpu_total", d, NULL, NULL);
	assert_int_equal(lvt_int_field(vt, "current"), 2);
	const struct lvt_metric *v1 =
	    lvt_find(&f->cap, "libvirt_vcpu", d, "vcpu_id", "1");
	assert_int_equal(lvt_int_field(v1, "state"), VIR_VCPU_RUNNING);
	assert_non_null(lvt_find(&f->cap, "libvirt_cpu", d, NULL, NULL));
	int64_t vtime = lvt_int_field(v1, "time");
	int64_t rx = lvt_int_field(n1, "rx_bytes");
	int64_t rd = lvt_int_field(b1, "rd_reqs");

	/* The test driver's vcpu, NIC and disk counters follow the wall
	 * clock: they move. */
	struct timespec ts = {0, 2000000};
	nanosleep(&ts, NULL);
	gather(f);
	v1 = lvt_find(&f->cap, "libvirt_vcpu", d, "vcpu_id", "1");
	n1 = lvt_find(&f->cap, "libvirt_net", d, "interface_id", "1");
	b1 = lvt_find(&f->cap, "libvirt_block", d, "block_id", "1");
	assert_true(lvt_int_field(v1, "time") > vtime);
	assert_true(lvt_int_field(n1, "rx_bytes") > rx);
	assert_true(lvt_int_field(b1, "rd_reqs") > rd);
	/* The device lists came from the cache this time. */
	assert_int_equal(lvt_count(&f->cap, "libvirt_block"), 2 * active);
}

static void test_one_timestamp_per_gather(void **state)
{
	struct fixture *f = *state;
	start(f);
	gather(f);
	assert_true(f->cap.n > NDOMAINS);
	for (size_t i = 1; i < f->cap.n; i++)
		assert_int_equal(f->cap.v[i].time, f->cap.v[0].time);
}

static void test_domains_filter(void **state)
{
	struct fixture *f = *state;
	/* Sorted, as the options module leaves them; one does not exist. */
	char *names[] = {"nope", "tlxt-00001", "tlxt-00007"};
	f->set.domains = names;
	f->set.ndomains = 3;
	start(f);
	gather(f);
	assert_int_equal(f->col.last.domains, 2);
	assert_int_equal(lvt_domains(&f->cap, NULL), 2);
	assert_non_null(
	    lvt_find(&f->cap, "libvirt_net", "tlxt-00001", NULL, NULL));
	assert_null(lvt_find(&f->cap, "libvirt_state", "nope", NULL, NULL));
}

static void test_statistics_groups(void **state)
{
	struct fixture *f = *state;
	f->set.groups = LV_GROUP_INTERFACE;
	start(f);
	gather(f);
	const size_t active = NDOMAINS - NDOMAINS / 10;
	assert_int_equal(lvt_count(&f->cap, "libvirt_net_total"), active);
	assert_int_equal(lvt_count(&f->cap, "libvirt_net"), 2 * active);
	assert_int_equal(f->cap.n, 3 * active);
}

static void test_vcpu_mapping_only(void **state)
{
	struct fixture *f = *state;
	f->set.groups = 0;
	f->set.vcpu_mapping = true;
	start(f);
	gather(f);
	/* Every domain, shut-off ones included (their pinning), 2 vcpus. */
	assert_int_equal(lvt_count(&f->cap, "libvirt_cpu_affinity"),
			 2 * NDOMAINS);
	assert_int_equal(f->cap.n, 2 * NDOMAINS);
	const struct lvt_metric *a = lvt_find(&f->cap, "libvirt_cpu_affinity",
					      "tlxt-00000", "vcpu_id", "1");
	assert_non_null(a);
	assert_int_equal(lvt_field(a, "cpu_id")->type, LP_STRING);
	assert_true(strlen(lvt_field(a, "cpu_id")->s) > 0);
}

static void test_vcpu_mapping_cpu_id(void **state)
{
	struct fixture *f = *state;
	f->set.groups = LV_GROUP_VCPU;
	f->set.vcpu_mapping = true;
	start(f);
	gather(f);
	const struct lvt_metric *v =
	    lvt_find(&f->cap, "libvirt_vcpu", "tlxt-00000", "vcpu_id", "0");
	assert_true(lvt_int_field(v, "cpu_id") >= 0);
}

static void test_extras(void **state)
{
	struct fixture *f = *state;
	f->set.gather_stats = true;
	f->set.disk_errors = true;
	f->set.job_stats = true; /* the test driver has none: not an error */
	f->set.domain_uuid_tag = true;
	f->set.device_name_tags = true;
	start(f);
	gather(f);
	assert_int_equal(lvt_count(&f->cap, "telex_libvirt"), 1);
	const struct lvt_metric *g =
	    lvt_find(&f->cap, "telex_libvirt", NULL, NULL, NULL);
	assert_int_equal(lvt_int_field(g, "domains"), NDOMAINS);
	assert_int_equal(lvt_int_field(g, "errors"), 0);
	assert_true(lvt_int_field(g, "duration_ns") > 0);
	/* The test driver reports an error on each disk of a running
	 * domain. */
	const struct lvt_metric *de = lvt_find(&f->cap, "libvirt_disk_error",
					       "tlxt-00042", "disk", "vda");
	assert_non_null(de);
	const struct lvt_metric *st =
	    lvt_find(&f->cap, "libvirt_state", "tlxt-00042", NULL, NULL);
	assert_string_equal(lvt_tag(st, "domain_uuid"),
			    "6c7a6578-0000-4000-8000-00000000002a");
	const struct lvt_metric *b =
	    lvt_find(&f->cap, "libvirt_block", "tlxt-00042", "block_id", "1");
	assert_string_equal(lvt_tag(b, "block_name"), "vdb");
}

/* A domain that disappears between the listing and the statistics call
 * costs that domain only. */
static void destroy_one(void *arg, virDomainPtr *doms, int n)
{
	(void)arg;
	for (int i = 0; i < n; i++) {
		if (strcmp(virDomainGetName(doms[i]), "tlxt-00002") == 0) {
			assert_int_equal(virDomainDestroy(doms[i]), 0);
			assert_int_equal(virDomainUndefine(doms[i]), 0);
		}
	}
}

static void test_domain_vanishes(void **state)
{
	struct fixture *f = *state;
	char *names[] = {"tlxt-00001", "tlxt-00002", "tlxt-00004"};
	f->set.domains = names;
	f->set.ndomains = 3;
	start(f);
	f->col.after_list = destroy_one;
	gather(f);
	assert_int_equal(lvt_domains(&f->cap, NULL), 2);
	assert_non_null(
	    lvt_find(&f->cap, "libvirt_block", "tlxt-00001", NULL, NULL));
	assert_non_null(
	    lvt_find(&f->cap, "libvirt_block", "tlxt-00004", NULL, NULL));
	assert_null(
	    lvt_find(&f->cap, "libvirt_state", "tlxt-00002", NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_all_groups_through_fallback,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_timestamp_per_gather,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_domains_filter, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_statistics_groups, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_vcpu_mapping_only, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_vcpu_mapping_cpu_id, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_extras, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_domain_vanishes, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
