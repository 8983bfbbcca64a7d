#!/usr/bin/env bash
# Start the system services the integration tests need, idempotently:
# virtlogd, libvirtd (qemu:///system) and its default network. There is no
# systemd on the test machines, so the daemons are started by hand.
#   test/services.sh start | status
# Needs root (the system libvirtd); prints why and exits 77 otherwise.
set -u
cmd=${1:-start}
uri=qemu:///system

libvirt_up() { virsh -c "$uri" version >/dev/null 2>&1; }

# Start a daemon with no descriptor of ours: a test that restarts libvirtd
# while holding a pipe (the stdin of the program under test, the output of
# `make check | tail`) must not have the daemon keep that pipe open.
daemon() {
	(
		for fd in $(ls /proc/$BASHPID/fd); do
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec "$@" </dev/null >/dev/null 2>&1
	)
}

start_libvirt() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "services: not root, cannot start the system libvirtd" >&2
		return 77
	fi
	if [ -e /dev/kvm ] && getent group kvm >/dev/null; then
		chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
	fi
	pgrep -x virtlogd >/dev/null || daemon virtlogd -d
	pgrep -x libvirtd >/dev/null || daemon libvirtd -d
	for _ in $(seq 100); do
		libvirt_up && break
		sleep 0.1
	done
	if ! libvirt_up; then
		echo "services: libvirtd did not answer on $uri" >&2
		return 1
	fi
	if ! virsh -c "$uri" net-info default 2>/dev/null | grep -q 'Active:.*yes'; then
		virsh -c "$uri" net-start default >/dev/null ||
			{ echo "services: cannot start network default" >&2; return 1; }
	fi
}

case $cmd in
start) start_libvirt ;;
status) libvirt_up && echo "libvirtd: up" || { echo "libvirtd: down"; exit 1; } ;;
*) echo "usage: $0 start|status" >&2; exit 2 ;;
esac
