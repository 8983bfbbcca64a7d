#!/usr/bin/env bash
# Write a libvirt test-driver node file (for test:///path/to/file.xml) with
# N domains, each with 2 vcpus, a virtio balloon, 2 disks (vda, vdb) and
# 2 NICs, so every per-domain fallback call has devices to report.
#   gen-domains.sh [-n N] [-p PREFIX] [-m] > file.xml
# -m mixes run states: domain i with i % 10 == 3 is paused, i % 10 == 7 is
# shut off, the others run. Without -m every domain runs.
# Domains are named PREFIX-00000 ... (default prefix "tlx").
set -eu
n=1000 prefix=tlx mixed=0
while getopts "n:p:m" opt; do
	case $opt in
	n) n=$OPTARG ;;
	p) prefix=$OPTARG ;;
	m) mixed=1 ;;
	*) echo "usage: $0 [-n N] [-p PREFIX] [-m]" >&2; exit 2 ;;
	esac
done
[[ $n =~ ^[0-9]+$ ]] || { echo "gen-domains: -n wants a number" >&2; exit 2; }

echo "<node>"
for ((i = 0; i < n; i++)); do
	printf -v name '%s-%05d' "$prefix" "$i"
	# A stable, unique UUID and MAC pair per index.
	printf -v uuid '6c7a6578-0000-4000-8000-%012x' "$i"
	printf -v mac '52:54:%02x:%02x:%02x' $((i >> 16 & 255)) \
		$((i >> 8 & 255)) $((i & 255))
	state=
	if [ $mixed = 1 ]; then
		case $((i % 10)) in
		3) state='<test:runstate>3</test:runstate>' ;;
		7) state='<test:runstate>5</test:runstate>' ;;
		esac
	fi
	printf '%s\n' "\
<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>524288</currentMemory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/var/lib/tlx/$name-a.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/var/lib/tlx/$name-b.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='$mac:01'/>
      <source network='default'/>
      <target dev='$name-n0'/>
    </interface>
    <interface type='network'>
      <mac address='$mac:02'/>
      <source network='default'/>
      <target dev='$name-n1'/>
    </interface>
    <memballoon model='virtio'/>
  </devices>
  $state
</domain>"
done
echo "</node>"
