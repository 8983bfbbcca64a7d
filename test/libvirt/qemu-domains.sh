#!/usr/bin/env bash
# Small real QEMU domains on the system libvirtd, for the integration tests
# and the benchmark. No guest OS: 64 MiB, 1 vcpu, a qcow2 virtio disk, a
# virtio NIC on network "default", a virtio balloon, one iothread and the
# software perf events, which is enough for every statistics group.
#
#   qemu-domains.sh up PREFIX [N]   define PREFIX-run (running),
#                                   PREFIX-pause (paused), PREFIX-off (shut
#                                   off) and N-3 more running ones (N >= 3,
#                                   default 3); prints the names
#   qemu-domains.sh down PREFIX     destroy and undefine every domain named
#                                   PREFIX-*, remove their disks
#   qemu-domains.sh check           exit 0 if domains can run here, else
#                                   say why and exit 77
#   qemu-domains.sh reap            remove the domains of runs that died
#                                   (prefix tlx<letter><pid>, pid gone)
#
# PREFIX keeps concurrent users of the shared libvirtd apart; it must be a
# plain name ([A-Za-z0-9_-]); tests use tlx<letter><their pid>, so `up`
# first reaps what killed runs left behind. type='kvm' when /dev/kvm works,
# else 'qemu' (TCG).
#
# Tests that use the system libvirtd hold an flock on
# /tmp/telex-libvirtd.lock while they run: one of them kills and stops the
# daemon, and `make check` may run in several worktrees at once.
set -u
uri=qemu:///system
images=/var/lib/libvirt/images
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "qemu-domains: $*" >&2; exit 1; }
v() { virsh -q -c "$uri" "$@"; }

check() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "qemu-domains: not root, cannot use the system libvirtd"
		return 77
	fi
	for c in virsh qemu-img; do
		command -v $c >/dev/null || { echo "qemu-domains: $c missing"; return 77; }
	done
	if ! "$here/../services.sh" start >&2; then
		echo "qemu-domains: the system libvirtd cannot be started"
		return 77
	fi
	return 0
}

virt_type() {
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		v domcapabilities --virttype kvm >/dev/null 2>&1; then
		echo kvm
	else
		echo qemu
	fi
}

domain_xml() { # name type
	local name=$1 type=$2
	cat <<XML
<domain type='$type'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <iothreads>1</iothreads>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <perf>
    <event name='cpu_clock' enabled='yes'/>
    <event name='task_clock' enabled='yes'/>
    <event name='page_faults' enabled='yes'/>
    <event name='context_switches' enabled='yes'/>
    <event name='cpu_migrations' enabled='yes'/>
  </perf>
  <on_reboot>destroy</on_reboot>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$images/$name.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <memballoon model='virtio'><stats period='1'/></memballoon>
  </devices>
</domain>
XML
}

define() { # name type
	local name=$1 xml
	qemu-img create -q -f qcow2 "$images/$name.qcow2" 64M ||
		die "cannot create $images/$name.qcow2"
	xml=$(mktemp)
	domain_xml "$name" "$2" >"$xml"
	v define "$xml" >/dev/null || { rm -f "$xml"; die "cannot define $name"; }
	rm -f "$xml"
}

up() { # prefix n
	local prefix=$1 n=${2:-3} type i
	[[ $prefix =~ ^[A-Za-z0-9_-]+$ ]] || die "bad prefix '$prefix'"
	[ "$n" -ge 3 ] || die "need at least 3 domains"
	type=$(virt_type)
	reap 2>/dev/null
	down "$prefix" 2>/dev/null
	define "$prefix-run" "$type"
	define "$prefix-pause" "$type"
	define "$prefix-off" "$type"
	for ((i = 3; i < n; i++)); do define "$prefix-run$i" "$type"; done
	v start "$prefix-run" >/dev/null || die "cannot start $prefix-run"
	v start "$prefix-pause" >/dev/null || die "cannot start $prefix-pause"
	v suspend "$prefix-pause" >/dev/null || die "cannot pause $prefix-pause"
	for ((i = 3; i < n; i++)); do
		v start "$prefix-run$i" >/dev/null || die "cannot start $prefix-run$i"
	done
	v list --all --name | grep "^$prefix-"
}

reap() {
	local p pid
	for p in $(v list --all --name | sed -n 's/^\(tlx[a-z][0-9]\+\)-.*/\1/p' |
		sort -u); do
		pid=${p#tlx?}
		kill -0 "$pid" 2>/dev/null || down "$p"
	done
}

down() { # prefix
	local prefix=$1 d
	[[ $prefix =~ ^[A-Za-z0-9_-]+$ ]] || die "bad prefix '$prefix'"
	for d in $(v list --all --name | grep "^$prefix-"); do
		v destroy "$d" >/dev/null 2>&1
		v undefine "$d" >/dev/null 2>&1
	done
	rm -f "$images/$prefix"-*.qcow2
}

case ${1:-} in
up) [ $# -ge 2 ] || die "usage: $0 up PREFIX [N]"; up "$2" "${3:-3}" ;;
down) [ $# -ge 2 ] || die "usage: $0 down PREFIX"; down "$2" ;;
check) check ;;
reap) reap ;;
*) echo "usage: $0 up PREFIX [N] | down PREFIX | check | reap" >&2; exit 2 ;;
esac
