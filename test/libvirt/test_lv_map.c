/*
 * test_lv_map.c: the mapper (plugins/libvirt/lv_map.c) on statistics as a
 * real QEMU domain returns them (test/libvirt/data/, recorded with
 * `virsh domstats --raw` on libvirtd 9.0 + QEMU 7.2) and on synthetic keys
 * for the groups this host cannot produce (cache and memory bandwidth
 * monitors). Every emitted metric is checked against schema.txt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <malloc.h>

#include "lv_keys.h"
#include "lv_line.h"
#include "lv_map.h"
#include "lv_testcase.h"
#include "lv_testlib.h"

struct fixture {
	struct lvt_schema schema;
	struct lvt_capture cap;
	struct lv_mapper mp;
	virTypedParameter params[256];
	int n;
};

/* virsh --raw prints no types: the counters are ULLONG in the QEMU driver,
 * the states INT, yes/no BOOLEAN, anything else a STRING. */
static void add_param(struct fixture *f, const char *key, const char *value)
{
	virTypedParameter *p = &f->params[f->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->field, sizeof(p->field), "%s", key);
	char *end;
	unsigned long long v = strtoull(value, &end, 10);
	size_t kl = strlen(key);
	if (*value && !*end) {
		if (strcmp(key, "state.state") == 0 ||
		    strcmp(key, "state.reason") == 0 ||
		    (kl > 6 && strcmp(key + kl - 6, ".state") == 0)) {
			p->type = VIR_TYPED_PARAM_INT;
			p->value.i = (int)v;
		} else {
			p->type = VIR_TYPED_PARAM_ULLONG;
			p->value.ul = v;
		}
	} else if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
		p->type = VIR_TYPED_PARAM_BOOLEAN;
		p->value.b = value[0] == 'y';
	} else {
		p->type = VIR_TYPED_PARAM_STRING;
		p->value.s = strdup(value);
	}
}

static void clear_params(struct fixture *f)
{
	for (int i = 0; i < f->n; i++)
		if (f->params[i].type == VIR_TYPED_PARAM_STRING)
			free(f->params[i].value.s);
	f->n = 0;
}

static void load_params(struct fixture *f, const char *file)
{
	char path[4096], line[512];
	const char *src = getenv("TELEX_SRC");
	snprintf(path, sizeof(path), "%s/test/libvirt/data/%s", src ? src : ".",
		 file);
	FILE *in = fopen(path, "r");
	assert_non_null(in);
	clear_params(f);
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		add_param(f, line, eq + 1);
	}
	fclose(in);
}

static void use_options(struct fixture *f, const struct lv_map_options *o)
{
	lv_mapper_free(&f->mp);
	lv_mapper_init(&f->mp, o, lvt_capture_emit, &f->cap);
	f->cap.options = o->device_name_tags || o->domain_uuid_tag ||
			 o->kvm_vcpu_stats || o->vcpu_cpu_id;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(lvt_schema_load(&f->schema), 0);
	f->cap.schema = &f->schema;
	struct lv_map_options o = {.groups = LV_GROUP_ALL};
	lv_mapper_init(&f->mp, &o, lvt_capture_emit, &f->cap);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	clear_params(f);
	lv_mapper_free(&f->mp);
	lvt_capture_free(&f->cap);
	lvt_schema_free(&f->schema);
	free(f);
	return 0;
}

static const struct lv_domain_info dom_a = {
    .name = "tlx-run",
    .name_len = 7,
    .uuid = "6c7a6578-0000-4000-8000-000000000001",
};

static struct lv_domain_result map(struct fixture *f)
{
	struct lv_domain_result res;
	f->mp.time = 1700000000123456789LL;
	lv_map_domain(&f->mp, &dom_a, f->params, f->n, &res);
	return res;
}

static void test_qemu_running_native(void **state)
{
	struct fixture *f = *state;
	load_params(f, "qemu-running.txt");
	struct lv_domain_result res = map(f);
	assert_int_equal(res.state, VIR_DOMAIN_RUNNING);
	assert_int_equal(res.groups_seen,
			 LV_GROUP_STATE | LV_GROUP_CPU | LV_GROUP_BALLOON |
			     LV_GROUP_VCPU | LV_GROUP_INTERFACE |
			     LV_GROUP_BLOCK | LV_GROUP_PERF |
			     LV_GROUP_IOTHREAD | LV_GROUP_DIRTYRATE);
	if (f->cap.violations)
		fail_msg("%s", f->cap.first_violation);

	/* One metric per series, even where libvirt interleaves keys of
	 * two measurements (cpu.cache.monitor.count between cpu.system and
	 * cpu.haltpoll.*). */
	for (size_t i = 0; i < LVT_GROUP_MEASUREMENTS; i++) {
		const char *name = lvt_group_measurements[i];
		if (lvt_count(&f->cap, name) != 1)
			fail_msg("%s: %zu metrics", name,
				 lvt_count(&f->cap, name));
	}
	assert_int_equal(f->cap.n, LVT_GROUP_MEASUREMENTS);
	/* Plain values: every metric carries its text. */
	assert_int_equal(f->cap.with_line, f->cap.n);

	const struct lvt_metric *cpu =
	    lvt_find(&f->cap, "libvirt_cpu", "tlx-run", NULL, NULL);
	assert_int_equal(cpu->nfields, 5);
	assert_true(lvt_int_field(cpu, "time") > 0);
	assert_int_equal(lvt_int_field(cpu, "haltpoll_fail_time"), 0);

	const struct lvt_metric *vcpu =
	    lvt_find(&f->cap, "libvirt_vcpu", NULL, "vcpu_id", "0");
	/* The ~40 vcpu.0.<name>.sum|cur keys are dropped, as native. */
	assert_int_equal(vcpu->nfields, 4);
	assert_int_equal(lvt_int_field(vcpu, "state"), 1);

	const struct lvt_metric *net =
	    lvt_find(&f->cap, "libvirt_net", NULL, "interface_id", "0");
	assert_string_equal(lvt_field(net, "name")->s, "vnet2");
	assert_int_equal(lvt_int_field(net, "rx_bytes"), 90);
	assert_null(lvt_tag(net, "interface_name"));

	const struct lvt_metric *blk =
	    lvt_find(&f->cap, "libvirt_block", NULL, "block_id", "0");
	assert_int_equal(lvt_int_field(blk, "backingIndex"), 1);
	assert_int_equal(lvt_int_field(blk, "capacity"), 67108864);
	assert_string_equal(lvt_field(blk, "path")->s,
			    "/var/lib/libvirt/images/tlx-run.qcow2");

	const struct lvt_metric *io =
	    lvt_find(&f->cap, "libvirt_iothread", NULL, "iothread_id", "1");
	assert_int_equal(lvt_int_field(io, "poll_max_ns"), 32768);
	const struct lvt_metric *dr =
	    lvt_find(&f->cap, "libvirt_dirtyrate", NULL, NULL, NULL);
	assert_string_equal(lvt_field(dr, "calc_mode")->s, "page-sampling");

	/* One timestamp, no host tag, no domain_uuid by default. */
	for (size_t i = 0; i < f->cap.n; i++) {
		assert_int_equal(f->cap.v[i].time, 1700000000123456789LL);
		assert_null(lvt_tag(&f->cap.v[i], "host"));
		assert_null(lvt_tag(&f->cap.v[i], "domain_uuid"));
	}
}

static void test_kvm_vcpu_stats(void **state)
{
	struct fixture *f = *state;
	struct lv_map_options o = {.groups = LV_GROUP_ALL,
				   .kvm_vcpu_stats = true};
	use_options(f, &o);
	load_params(f, "qemu-running.txt");
	map(f);
	if (f->cap.violations)
		fail_msg("%s", f->cap.first_violation);
	const struct lvt_metric *vcpu =
	    lvt_find(&f->cap, "libvirt_vcpu", NULL, "vcpu_id", "0");
	assert_non_null(vcpu);
	assert_true(lvt_int_field(vcpu, "exits_sum") > 0);
	assert_int_equal(lvt_int_field(vcpu, "blocking_cur"), 0);
	assert_int_equal(lvt_int_field(vcpu, "state"), 1);
	/* 4 native fields and every vcpu.0.<name>.sum|cur key. */
	size_t kvm = 0;
	for (int i = 0; i < f->n; i++)
		kvm += strncmp(f->params[i].field, "vcpu.0.", 7) == 0 &&
		       strchr(f->params[i].field + 7, '.') != NULL;
	assert_true(kvm > 30);
	assert_int_equal(vcpu->nfields, 4 + kvm);
}

static void test_tags_options(void **state)
{
	struct fixture *f = *state;
	struct lv_map_options o = {.groups = LV_GROUP_ALL,
				   .device_name_tags = true,
				   .domain_uuid_tag = true};
	use_options(f, &o);
	load_params(f, "qemu-running.txt");
	map(f);
	if (f->cap.violations)
		fail_msg("%s", f->cap.first_violation);
	const struct lvt_metric *net =
	    lvt_find(&f->cap, "libvirt_net", NULL, "interface_id", "0");
	assert_string_equal(lvt_tag(net, "interface_name"), "vnet2");
	const struct lvt_metric *blk =
	    lvt_find(&f->cap, "libvirt_block", NULL, "block_id", "0");
	assert_string_equal(lvt_tag(blk, "block_name"), "vda");
	for (size_t i = 0; i < f->cap.n; i++)
		assert_string_equal(lvt_tag(&f->cap.v[i], "domain_uuid"),
				    dom_a.uuid);
}

static void test_shutoff_as_native(void **state)
{
	struct fixture *f = *state;
	load_params(f, "qemu-shutoff.txt");
	struct lv_domain_result res = map(f);
	assert_int_equal(res.state, VIR_DOMAIN_SHUTOFF);
	if (f->cap.violations)
		fail_msg("%s", f->cap.first_violation);
	/* libvirt reports cpu, balloon, vcpu and block entries for an inactive
	 * domain (the fixture has them): written as the native plugin does. */
	assert_int_equal(lvt_count(&f->cap, "libvirt_state"), 1);
	assert_int_equal(lvt_count(&f->cap, "libvirt_cpu"), 1);
	assert_int_equal(lvt_count(&f->cap, "libvirt_balloon"), 1);
	assert_int_equal(lvt_count(&f->cap, "libvirt_vcpu_total"), 1);
	assert_int_equal(lvt_count(&f->cap, "libvirt_block_total"), 1);
	assert_int_equal(lvt_count(&f->cap, "libvirt_block"), 1);
	assert_int_equal(f->cap.n, 6);
}

static void test_group_selection(void **state)
{
	struct fixture *f = *state;
	struct lv_map_options o = {.groups = LV_GROUP_BLOCK};
	use_options(f, &o);
	load_params(f, "qemu-running.txt");
	struct lv_domain_result res = map(f);
	/* The state is read even when its group is not emitted. */
	assert_int_equal(res.state, VIR_DOMAIN_RUNNING);
	assert_int_equal(f->cap.n, 2);
	assert_int_equal(lvt_count(&f->cap, "libvirt_block_total"), 1);
	assert_int_equal(lvt_count(&f->cap, "libvirt_block"), 1);
}

static void test_monitors_and_types(void **state)
{
	struct fixture *f = *state;
	clear_params(f);
	add_param(f, "state.state", "1");
	add_param(f, "cpu.time", "18446744073709551615");
	add_param(f, "cpu.cache.monitor.count", "1");
	add_param(f, "cpu.cache.monitor.0.name", "mon0");
	add_param(f, "cpu.cache.monitor.0.vcpus", "0-1");
	add_param(f, "cpu.cache.monitor.0.bank.count", "2");
	add_param(f, "cpu.cache.monitor.0.bank.0.id", "0");
	add_param(f, "cpu.cache.monitor.0.bank.0.bytes", "4096");
	add_param(f, "cpu.cache.monitor.0.bank.1.id", "1");
	add_param(f, "cpu.cache.monitor.0.bank.1.bytes", "8192");
	add_param(f, "memory.bandwidth.monitor.count", "1");
	add_param(f, "memory.bandwidth.monitor.0.name", "bw0");
	add_param(f, "memory.bandwidth.monitor.0.vcpus", "0,2");
	add_param(f, "memory.bandwidth.monitor.0.node.count", "1");
	add_param(f, "memory.bandwidth.monitor.0.node.0.id", "0");
	add_param(f, "memory.bandwidth.monitor.0.node.0.bytes.local", "11");
	add_param(f, "memory.bandwidth.monitor.0.node.0.bytes.total", "22");
	add_param(f, "dirtyrate.vcpu.0.megabytes_per_second", "5");
	add_param(f, "vcpu.0.halted", "yes");
	add_param(f, "vcpu.1.halted", "no");
	/* Unknown keys are dropped. */
	add_param(f, "cpu.unknown", "1");
	add_param(f, "net.0.rx.unknown", "1");
	add_param(f, "vm.pages_4k.cur", "1");
	add_param(f, "block.x", "1");
	map(f);
	if (f->cap.violations)
		fail_msg("%s", f->cap.first_violation);
	const struct lvt_metric *cpu =
	    lvt_find(&f->cap, "libvirt_cpu", NULL, NULL, NULL);
	assert_int_equal(lvt_int_field(cpu, "time"), INT64_MAX);
	assert_int_equal(cpu->nfields, 1);
	const struct lvt_metric *mon =
	    lvt_find(&f->cap, "libvirt_cpu_cache_monitor", NULL, NULL, NULL);
	assert_string_equal(lvt_tag(mon, "cache_monitor_id"), "0");
	assert_string_equal(lvt_field(mon, "vcpus")->s, "0-1");
	assert_int_equal(lvt_int_field(mon, "bank_count"), 2);
	const struct lvt_metric *bank = lvt_find(
	    &f->cap, "libvirt_cpu_cache_monitor_bank", NULL, "bank_index", "1");
	assert_string_equal(lvt_tag(bank, "cache_monitor_id"), "0");
	assert_int_equal(lvt_int_field(bank, "bytes"), 8192);
	const struct lvt_metric *node =
	    lvt_find(&f->cap, "libvirt_memory_bandwidth_monitor_node", NULL,
		     "controller_index", "0");
	assert_int_equal(lvt_int_field(node, "bytes_total"), 22);
	assert_int_equal(lvt_count(&f->cap, "libvirt_memory_bandwidth_monitor"),
			 1);
	assert_int_equal(
	    lvt_count(&f->cap, "libvirt_memory_bandwidth_monitor_total"), 1);
	const struct lvt_metric *dv =
	    lvt_find(&f->cap, "libvirt_dirtyrate_vcpu", NULL, "vcpu_id", "0");
	assert_int_equal(lvt_int_field(dv, "megabytes_per_second"), 5);
	const struct lvt_metric *v0 =
	    lvt_find(&f->cap, "libvirt_vcpu", NULL, "vcpu_id", "0");
	const struct lvt_metric *v1 =
	    lvt_find(&f->cap, "libvirt_vcpu", NULL, "vcpu_id", "1");
	assert_int_equal(lvt_int_field(v0, "halted_i"), 1);
	assert_int_equal(lvt_int_field(v1, "halted_i"), 0);
	assert_int_equal(lvt_int_field(v1, "halted"), 0);
	assert_int_equal(lvt_count(&f->cap, "libvirt_block"), 0);
}

/* Values that need an escape: the text is left to the writer (and what
 * the capture gets from the writer is checked against the schema). */
static void test_values_needing_escapes(void **state)
{
	struct fixture *f = *state;
	clear_params(f);
	add_param(f, "state.state", "1");
	add_param(f, "block.count", "1");
	add_param(f, "block.0.name", "vda");
	add_param(f, "block.0.path", "/img/a \"quoted\" name");
	add_param(f, "net.count", "1");
	add_param(f, "net.0.name", "vnet0");
	add_param(f, "dirtyrate.calc_status", "1");
	struct lv_domain_info d = {.name = "vm with, odd=name", .name_len = 17};
	struct lv_domain_result res;
	lv_map_domain(&f->mp, &d, f->params, f->n, &res);
	if (f->cap.violations)
		fail_msg("%s", f->cap.first_violation);
	assert_int_equal(f->cap.n, 6);
	assert_int_equal(f->cap.with_line, 0);
	const char *text = f->cap.text.data;
	assert_non_null(strstr(text, "domain_name=vm\\ with\\,\\ odd\\=name"));
	assert_non_null(strstr(text, "path=\"/img/a \\\"quoted\\\" name\""));

	/* The same record under a plain name: only the block metric (the
	 * quoted path) loses its text. */
	lvt_capture_clear(&f->cap);
	lv_map_domain(&f->mp, &dom_a, f->params, f->n, &res);
	assert_int_equal(f->cap.n, 6);
	assert_int_equal(f->cap.with_line, 5);
}

/* The text writer on its own, against the writer for the same metric. */
static void test_line_writer(void **state)
{
	(void)state;
	struct lv_line l = {0};
	struct lp_metric m;
	struct buf want = BUF_INIT;
	struct lp_error err;
	const int64_t ints[] = {
	    0, 7, -7, 10, 99, 100, 12345678901LL, INT64_MAX, INT64_MIN};
	lp_metric_init(&m);
	lp_metric_set_name(&m, "x", 1);
	lp_metric_add_tag(&m, "a", 1, "v", 1);
	lv_line_begin(&l, "x", 1);
	lv_line_tag(&l, "a", 1, "v", 1);
	char key[9][4];
	for (size_t i = 0; i < 9; i++) {
		snprintf(key[i], sizeof(key[i]), "k%zu", i);
		lp_metric_add_int(&m, key[i], 2, ints[i]);
		lv_line_int(&l, key[i], 2, ints[i]);
	}
	lp_metric_add_float(&m, "f", 1, 0.1);
	lv_line_float(&l, "f", 1, 0.1);
	lp_metric_set_time(&m, -5);
	assert_true(lv_line_end(&l, -5));
	assert_int_equal(lp_write_metric(&want, &m, 0, &err), 0);
	assert_int_equal(l.text.len + 1, want.len);
	assert_memory_equal(l.text.data, want.data, l.text.len);

	char out[24];
	assert_int_equal(lv_line_format_int(INT64_MIN, out), 20);
	assert_memory_equal(out, "-9223372036854775808", 20);

	/* What the writer must handle itself. */
	lv_line_begin(&l, "x", 1);
	lv_line_float(&l, "f", 1, 0.0 / 0.0);
	assert_false(lv_line_end(&l, 1));
	lv_line_begin(&l, "x", 1);
	lv_line_tag(&l, "t", 1, "", 0);
	lv_line_int(&l, "i", 1, 1);
	assert_false(lv_line_end(&l, 1));
	lv_line_begin(&l, "x", 1);
	lv_line_tag(&l, "t", 1, "a\\", 2);
	lv_line_int(&l, "i", 1, 1);
	assert_false(lv_line_end(&l, 1));
	lv_line_begin(&l, "x", 1);
	assert_false(lv_line_end(&l, 1)); /* no field */
	lp_metric_free(&m);
	buf_free(&want);
	buf_free(&l.text);
}

static void test_vcpu_cpu_id(void **state)
{
	struct fixture *f = *state;
	struct lv_map_options o = {.groups = LV_GROUP_ALL, .vcpu_cpu_id = true};
	use_options(f, &o);
	load_params(f, "qemu-running.txt");
	int pcpu[1] = {1};
	struct lv_domain_info d = dom_a;
	d.vcpu_pcpu = pcpu;
	d.nvcpu_pcpu = 1;
	struct lv_domain_result res;
	lv_map_domain(&f->mp, &d, f->params, f->n, &res);
	const struct lvt_metric *vcpu =
	    lvt_find(&f->cap, "libvirt_vcpu", NULL, "vcpu_id", "0");
	assert_int_equal(lvt_int_field(vcpu, "cpu_id"), 1);
}

struct counting {
	size_t metrics;
	struct buf out;
};

/* Writes each metric as the program would, into a buffer cleared per
 * domain: an emitter that allocates nothing once the buffer has grown. */
static enum telex_emit_result count_emit(void *arg, struct lp_metric *m)
{
	struct counting *c = arg;
	struct lp_error err;
	c->metrics++;
	return lp_write_metric(&c->out, m, 0, &err) < 0 ? TELEX_EMIT_UNWRITABLE
							: TELEX_EMIT_QUEUED;
}

/* After the first domain the mapper allocates nothing: mapping the same
 * domain again leaves the heap where it was. */
/* A record NOWAIT left without the domain's job (recorded with `virsh
 * domstats --nowait` while another call held it) is told from a complete
 * one by its keys alone; per group, the keys that show the job. */
static void test_job_statistics(void **state)
{
	struct fixture *f = *state;
	load_params(f, "qemu-running.txt");
	assert_true(lv_params_had_job(f->params, f->n));
	assert_int_equal(lv_params_state(f->params, f->n), 1);
	assert_true(lv_state_active(lv_params_state(f->params, f->n)));
	load_params(f, "qemu-running-nojob.txt");
	assert_false(lv_params_had_job(f->params, f->n));
	assert_true(lv_state_active(lv_params_state(f->params, f->n)));
	load_params(f, "qemu-shutoff.txt");
	assert_false(lv_state_active(lv_params_state(f->params, f->n)));

	static const struct {
		const char *key;
		bool job;
	} keys[] = {
	    {"cpu.time", false},
	    {"cpu.haltpoll.success.time", true},
	    {"balloon.current", false},
	    {"balloon.maximum", false},
	    {"balloon.rss", true},
	    {"balloon.last-update", true},
	    {"vcpu.current", false},
	    {"vcpu.0.state", false},
	    {"vcpu.0.exits.sum", true},
	    {"block.count", false},
	    {"block.0.name", false},
	    {"block.0.path", false},
	    {"block.0.backingIndex", false},
	    {"block.0.rd.reqs", true},
	    {"block.1.fl.times", true},
	    {"net.0.rx.bytes", false},
	    {"perf.cpu_clock", false},
	    {"iothread.count", true},
	    {"dirtyrate.calc_status", true},
	    {"memory.bandwidth.monitor.count", false},
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		clear_params(f);
		add_param(f, "state.state", "1");
		add_param(f, keys[i].key, "1");
		if (lv_params_had_job(f->params, f->n) != keys[i].job)
			fail_msg("%s: want %s", keys[i].key,
				 keys[i].job ? "job" : "no job");
	}
}

static void test_no_allocation_per_metric(void **state)
{
	struct fixture *f = *state;
	const char *san = getenv("SAN");
	if (san && strcmp(san, "1") == 0)
		skip(); /* ASan's allocator does not keep mallinfo */
	load_params(f, "qemu-running.txt");
	struct lv_map_options o = {.groups = LV_GROUP_ALL,
				   .kvm_vcpu_stats = true,
				   .device_name_tags = true};
	struct counting c = {0};
	lv_mapper_free(&f->mp);
	lv_mapper_init(&f->mp, &o, count_emit, &c);
	struct lv_domain_result res;
	lv_map_domain(&f->mp, &dom_a, f->params, f->n, &res);
	size_t per_domain = c.metrics;
	assert_true(per_domain >= 14);
	buf_clear(&c.out);
	struct mallinfo2 before = mallinfo2();
	for (int i = 0; i < 1000; i++) {
		lv_map_domain(&f->mp, &dom_a, f->params, f->n, &res);
		buf_clear(&c.out);
	}
	struct mallinfo2 after = mallinfo2();
	assert_int_equal(c.metrics, per_domain * 1001);
	assert_int_equal(after.uordblks, before.uordblks);
	buf_free(&c.out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_qemu_running_native, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_kvm_vcpu_stats, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tags_options, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shutoff_as_native, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_group_selection, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_monitors_and_types, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_values_needing_escapes, setup,
					    teardown),
	    cmocka_unit_test(test_line_writer),
	    cmocka_unit_test_setup_teardown(test_vcpu_cpu_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_job_statistics, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_no_allocation_per_metric,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
