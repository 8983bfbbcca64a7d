/*
 * test_lv_devices.c: disks and NICs read from domain XML
 * (plugins/libvirt/lv_devices.c) for the per-domain fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lv_devices.h"

static const char xml_qemu[] =
    "<domain type='kvm' id='3'>\n"
    "  <name>a&amp;b</name>\n"
    "  <devices>\n"
    "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2'/>\n"
    "      <source file='/img/o&apos;brien.qcow2' index='2'/>\n"
    "      <backingStore type='file' index='3'>\n"
    "        <format type='raw'/>\n"
    "        <source file='/img/base.raw'/>\n"
    "        <backingStore/>\n"
    "      </backingStore>\n"
    "      <target dev='vda' bus='virtio'/>\n"
    "    </disk>\n"
    "    <disk type='block' device='disk'>\n"
    "      <source dev=\"/dev/sdb\"/>\n"
    "      <target dev=\"vdb\" bus=\"virtio\"/>\n"
    "    </disk>\n"
    "    <disk type='file' device='cdrom'>\n"
    "      <target dev='sda' bus='sata'/>\n"
    "      <readonly/>\n"
    "    </disk>\n"
    "    <interface type='network'>\n"
    "      <mac address='52:54:00:00:00:01'/>\n"
    "      <source network='default'/>\n"
    "      <target dev='vnet7'/>\n"
    "    </interface>\n"
    "    <interface type='network'>\n"
    "      <source network='other'/>\n"
    "    </interface>\n"
    "    <interface type='bridge'>\n"
    "      <source bridge='br0'/>\n"
    "      <target dev='tap&lt;1&gt;'/>\n"
    "    </interface>\n"
    "  </devices>\n"
    "</domain>\n";

static void test_parse_qemu_xml(void **state)
{
	(void)state;
	struct lv_devset s = {0};
	assert_int_equal(lv_devices_parse(xml_qemu, &s), 0);
	assert_int_equal(s.ndisks, 3);
	assert_string_equal(s.disks[0].name, "vda");
	/* The first source, not the backing chain's; entities decoded. */
	assert_string_equal(s.disks[0].path, "/img/o'brien.qcow2");
	assert_string_equal(s.disks[1].name, "vdb");
	assert_string_equal(s.disks[1].path, "/dev/sdb");
	assert_string_equal(s.disks[2].name, "sda");
	assert_null(s.disks[2].path);
	/* A NIC without target (inactive) has no statistics: skipped. */
	assert_int_equal(s.nnics, 2);
	assert_string_equal(s.nics[0].name, "vnet7");
	assert_string_equal(s.nics[1].name, "tap<1>");
	assert_null(s.nics[0].path);
	lv_devset_clear(&s);
}

static void test_parse_no_devices(void **state)
{
	(void)state;
	struct lv_devset s = {0};
	assert_int_equal(
	    lv_devices_parse("<domain><name>x</name></domain>", &s), 0);
	assert_int_equal(s.ndisks, 0);
	assert_int_equal(s.nnics, 0);
	/* Truncated XML: no crash, what is complete is kept. */
	assert_int_equal(
	    lv_devices_parse("<domain><devices><disk type='file'>"
			     "<target dev='vda'/></disk><disk><target",
			     &s),
	    0);
	assert_int_equal(s.ndisks, 1);
	assert_string_equal(s.disks[0].name, "vda");
	lv_devset_clear(&s);
}

/* Reparsing replaces the previous lists (hot-plug). */
static void test_reparse(void **state)
{
	(void)state;
	struct lv_devset s = {0};
	assert_int_equal(lv_devices_parse(xml_qemu, &s), 0);
	assert_int_equal(
	    lv_devices_parse("<devices><interface type='network'>"
			     "<target dev='vnet9'/></interface></devices>",
			     &s),
	    0);
	assert_int_equal(s.ndisks, 0);
	assert_int_equal(s.nnics, 1);
	assert_string_equal(s.nics[0].name, "vnet9");
	lv_devset_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_qemu_xml),
	    cmocka_unit_test(test_parse_no_devices),
	    cmocka_unit_test(test_reparse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
