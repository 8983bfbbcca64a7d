# Helpers of the package tests (sourced; pkg_broker_on_localhost and
# pkg_consume need test/mock_kafka/lib.sh sourced too).

# pkg_need [--root WHY] TOOL...: what every package test checks first.
# Under SAN=1 it exits 0: packages never come from the sanitizer build
# (the plain make check checks them). Skips (77) unless root (--root, WHY
# says what needs it) and unless every TOOL is installed.
pkg_need() {
	local t
	if [ "${SAN:-}" = 1 ]; then
		echo "SAN=1: packages are built with distribution flags, not from the sanitizer build; checked by the plain make check"
		exit 0
	fi
	if [ "$1" = --root ]; then
		[ "$(id -u)" = 0 ] || { echo "skip: needs root ($2)"; exit 77; }
		shift 2
	fi
	for t; do
		command -v "$t" >/dev/null || { echo "skip: $t not installed"; exit 77; }
	done
}

# A one-broker telex-mock-kafka cluster (topic telegraf) reachable at
# localhost:9092, where the installed configs point, through HAProxy;
# localhost may resolve to ::1 first (Debian's /etc/hosts): it listens on
# both. Stopped at exit.
pkg_broker_on_localhost() {
	mk_start --brokers 1 --topic telegraf:1
	cat >"$MK_TMP/haproxy.cfg" <<CFG
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen kafka
  bind 127.0.0.1:9092
$(ip -6 addr show dev lo 2>/dev/null | grep -q '::1/' && echo '  bind [::1]:9092')
  server b1 ${MK_BOOTSTRAP%%,*}
CFG
	haproxy -db -f "$MK_TMP/haproxy.cfg" >"$MK_TMP/haproxy.log" 2>&1 &
	local hp=$! i
	mk_at_exit "kill $hp 2>/dev/null; wait $hp 2>/dev/null"
	for i in $(seq 50); do
		kcat -L -b localhost:9092 -m 2 >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	mk_fail "no broker on localhost:9092: $(cat "$MK_TMP/haproxy.log")"
}

# pkg_consume [RUNNER...]: telex-kafka-consumer with its installed config,
# started through RUNNER (chroot ROOT, timeout N, ...), until it wrote a
# line (30 s at most); then stdin's EOF ends it. Returns its exit code;
# its stdout is $MK_TMP/kc.out, its stderr $MK_TMP/kc.err.
pkg_consume() {
	local kc kcin i
	mkfifo "$MK_TMP/kc.in"
	"$@" telex-kafka-consumer -config /etc/telex/kafka-consumer.conf \
		<"$MK_TMP/kc.in" >"$MK_TMP/kc.out" 2>"$MK_TMP/kc.err" &
	kc=$!
	exec {kcin}>"$MK_TMP/kc.in"
	for i in $(seq 150); do
		grep -q . "$MK_TMP/kc.out" && break
		kill -0 $kc 2>/dev/null || break
		sleep 0.2
	done
	exec {kcin}>&-
	wait $kc
}

# pkg_left ROOT LIST PROGRAM...: after dpkg -P, what is left under ROOT
# ("" for this machine) of the paths in LIST (dpkg-query -L before the
# purge; directories other packages may share do not count) and of the
# directories the packages or their scripts make, each after a space.
pkg_left() {
	local root=$1 list=$2 f d left=
	shift 2
	while read -r f; do
		[ -d "$root$f" ] && [ ! -L "$root$f" ] && continue
		{ [ -e "$root$f" ] || [ -L "$root$f" ]; } && left="$left $f"
	done <"$list"
	for d in /etc/telex /var/lib/telex $(printf '/usr/share/doc/%s ' "$@"); do
		[ -e "$root$d" ] && left="$left $d"
	done
	printf '%s' "$left"
}
