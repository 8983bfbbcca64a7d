#!/usr/bin/env bash
# Install the Debian packages telex needs to build, test, benchmark and fuzz,
# with sudo when not root. Does nothing when all are present.
set -eu
pkgs=(
	make gcc pkg-config bc procps psmisc iproute2
	librdkafka-dev libvirt-dev libjson-c-dev libcmocka-dev
	clang libclang-rt-14-dev valgrind kcat jq curl time
	libvirt-clients libvirt-daemon-system libvirt-daemon-driver-qemu
	qemu-system-x86 qemu-utils dnsmasq-base
	influxdb influxdb-client
	dpkg-dev rpm haproxy python3 python3-yaml
	keepalived openssl
	lintian rpmlint devscripts mandoc gpg cpio mmdebstrap graphviz gnuplot-nox
	clang-tidy clang-format cppcheck
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $sudo apt-get update -qq &&
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
	>"$log" 2>&1; then
	cat "$log" >&2
	echo "deps: apt-get failed" >&2
	exit 1
fi
rm -f "$log"
