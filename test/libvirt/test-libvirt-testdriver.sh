#!/usr/bin/env bash
# telex-libvirt on libvirt's test driver (in process, no daemon) with a
# generated file of 1,000 domains (2 disks, 2 NICs each; 800 running, 100
# paused, 100 shut off): every group through the per-domain fallback, the
# native schema (lv-check against schema.txt), the domains and
# statistics_groups filters, and the extras behind their options.
. "$TELEX_SRC/test/libvirt/lib.sh"

file=$(gen 1000)
active=900

lv_conf "$TMP/all.conf" "test://$file"
lv_once all
expect_eq "domains" "$(cv domains)" 1000
expect_eq "one timestamp per gather" "$(cv timestamps)" 1
expect_eq "libvirt_state" "$(cv m.libvirt_state)" 1000
for m in cpu balloon vcpu_total net_total block_total; do
	expect_eq "libvirt_$m" "$(cv m.libvirt_$m)" $active
done
for m in vcpu net block; do
	expect_eq "libvirt_$m" "$(cv m.libvirt_$m)" $((2 * active))
done
# A shut-off domain (i % 10 == 7) has its state and nothing else.
expect_eq "shut-off domain" "$(grep -c 'domain_name=tlxs-00007[ ,]' "$TMP/out")" 1
grep -q '^libvirt_state,domain_name=tlxs-00007 state=5i,reason=' "$TMP/out" ||
	fail "shut-off state line"
# Devices by index, names as fields, as native.
grep -q '^libvirt_block,block_id=1,domain_name=tlxs-00042 name="vdb",path="/var/lib/tlx/tlxs-00042-b.qcow2",rd_reqs=' \
	"$TMP/out" || fail "libvirt_block line"
grep -q '^libvirt_net,domain_name=tlxs-00042,interface_id=0 name="tlxs-00042-n0",rx_bytes=' \
	"$TMP/out" || fail "libvirt_net line"
[ "$(grep -cv '^E! \|^W! \|^I! \|^D! ' "$CHILD_ERR")" -eq 0 ] ||
	fail "stderr lines without a level"
grep -q '^[EW]! ' "$CHILD_ERR" && fail "warnings or errors"

# domains: exact names; one that does not exist is no error.
lv_conf "$TMP/domains.conf" "test://$file" \
	'domains = ["tlxs-00007", "tlxs-00001", "no-such-domain"]'
lv_once domains
expect_eq "domains filter" "$(cv domains)" 2
expect_eq "domains filter: states" "$(cv m.libvirt_state)" 2
expect_eq "domains filter: blocks" "$(cv m.libvirt_block)" 2

# statistics_groups: only those.
lv_conf "$TMP/groups.conf" "test://$file" 'statistics_groups = ["interface", "block"]'
lv_once groups
expect_eq "groups: metrics" "$(cv metrics)" $((6 * active))
expect_eq "groups: net" "$(cv m.libvirt_net)" $((2 * active))
expect_eq "groups: state" "$(cv m.libvirt_state)" ""

# Every extra: still the schema (with its optional parts), tags added.
lv_conf "$TMP/extras.conf" "test://$file" \
	'domains = ["tlxs-00001", "tlxs-00003", "tlxs-00007"]' "${LV_EXTRAS[@]}"
lv_once extras --options
expect_eq "extras: gather stats" "$(cv m.telex_libvirt)" 1
grep -q '^telex_libvirt domains=3i,duration_ns=[0-9]*i,errors=0i,skipped_locked=0i ' \
	"$TMP/out" || fail "telex_libvirt line"
expect_eq "extras: affinity" "$(cv m.libvirt_cpu_affinity)" 6
[ "$(grep -v '^telex_libvirt' "$TMP/out" | grep -vc 'domain_uuid=6c7a6578-')" -eq 0 ] ||
	fail "a metric without domain_uuid"
grep -q '^libvirt_block,block_id=0,block_name=vda,domain_name=tlxs-00001,domain_uuid=' \
	"$TMP/out" || fail "block_name tag"
grep -q '^libvirt_vcpu,domain_name=tlxs-00001,domain_uuid=[^ ]*,vcpu_id=0 state=1i,time=[0-9]*i,cpu_id=[0-9]*i ' \
	"$TMP/out" || fail "cpu_id of vcpu_mapping"
# The test driver reports an error on each disk of a running domain.
expect_eq "extras: disk errors" "$(cv m.libvirt_disk_error)" 4

echo ok
