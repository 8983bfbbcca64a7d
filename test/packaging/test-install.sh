#!/usr/bin/env bash
# The debs as an operator meets them: dpkg -i on this machine, then each
# program starts with its installed config, unchanged, against a broker on
# localhost:9092 and the system libvirtd (qemu:///system), and exits 0
# with no error or warning; the installed man pages pass mandoc -Tlint
# without a message, --help fits 80 columns; telex-kafka-output's spool
# directory is root's without a telegraf user and telegraf's once one
# exists (the package configured again); dpkg -P leaves no file or
# directory of the packages behind.
#
# The whole test runs in its own network namespace, where localhost:9092 is
# an HAProxy in front of telex-mock-kafka: the configs stay as installed
# and no port of the machine is taken. Needs root (dpkg, unshare); fails
# if telex packages are already installed (it would purge them). Under
# SAN=1 there is nothing to check: packages never come from the sanitizer
# build, and this test already ran in the plain `make check`.
set -u
: "${TELEX_SRC:?}" "${TELEX_BIN:?}" "${TELEX_BUILD:?}"
. "$TELEX_SRC/test/packaging/lib.sh"
pkg_need --root "dpkg -i, unshare" dpkg-deb dpkg-shlibdeps unshare ip haproxy kcat mandoc
if [ -z "${TELEX_NETNS:-}" ]; then
	exec unshare --net env TELEX_NETNS=1 bash "$0" "$@"
fi
ip link set lo up || { echo "FAIL: lo up in the namespace"; exit 1; }

. "$TELEX_SRC/test/mock_kafka/lib.sh"
mk_need kcat
progs="telex-libvirt telex-kafka-output telex-kafka-consumer"
fail() { mk_fail "$@"; }
for p in $progs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed\|config-files' &&
		fail "$p is already installed: this test installs and purges it (dpkg -P $p first)"
done

# dpkg, waiting for its lock if apt or another dpkg holds it.
dpkg_run() {
	local i
	for i in $(seq 60); do
		dpkg "$@" >"$MK_TMP/dpkg.log" 2>&1 && return 0
		grep -q 'lock' "$MK_TMP/dpkg.log" || break
		sleep 1
	done
	fail "dpkg $*: $(cat "$MK_TMP/dpkg.log")"
}
purged=0 made_user=0
cleanup() {
	[ $purged = 1 ] || dpkg -P $progs >/dev/null 2>&1
	[ $made_user = 0 ] || userdel telegraf 2>/dev/null
}
mk_at_exit cleanup

"$TELEX_SRC/packaging/build-deb.sh" "$MK_TMP/pkg" "$TELEX_BUILD/pkg-deb" \
	>"$MK_TMP/deb.out" 2>&1 || fail "build-deb: $(cat "$MK_TMP/deb.out")"
had_user=0
getent passwd telegraf >/dev/null && had_user=1
dpkg_run -i "$MK_TMP"/pkg/*.deb

# --- installed documents ---
for p in $progs; do
	[ -x "/usr/bin/$p" ] || fail "/usr/bin/$p not installed"
	lint=$(zcat "/usr/share/man/man1/$p.1.gz" | mandoc -Tlint -W style 2>&1)
	[ -z "$lint" ] || fail "mandoc -Tlint $p.1.gz: $lint"
	"/usr/bin/$p" --help >"$MK_TMP/help" || fail "$p --help: exit $?"
	wide=$(awk 'length($0) > 80' "$MK_TMP/help")
	[ -z "$wide" ] || fail "$p --help wider than 80 columns: $wide"
	[ -f "/usr/share/doc/$p/examples/README.md" ] || fail "$p: no examples"
	[ -f "/usr/share/doc/$p/copyright" ] || fail "$p: no copyright"
done
spool=/var/lib/telex/kafka-output
feedback=/var/lib/telex/kafka-consumer
for d in "$spool" "$feedback"; do
	[ -d "$d" ] || fail "$d not made"
	if [ $had_user = 0 ]; then
		[ "$(stat -c %U "$d")" = root ] ||
			fail "$d owned by $(stat -c %U "$d") without a telegraf user"
	fi
done
[ "$(stat -c %a "$feedback")" = 755 ] ||
	fail "$feedback is mode $(stat -c %a "$feedback"), not 755"

# --- each program with its installed config ---
pkg_broker_on_localhost

# No E! or W! on stderr (a file: the programs log at info there).
clean_log() {
	# The one warning an installed consumer config gives: its delivery
	# feedback is off until Telegraf's side of it is set up (README of
	# telex-kafka-consumer, "Delivery feedback").
	grep -E '^(E|W)! ' "$2" | grep -v '^W! delivery is acknowledged at the pipe only' &&
		fail "$1 logged errors or warnings: $(cat "$2")"
	return 0
}

echo 'cpu,host=h1 usage=1 1700000000000000000' |
	timeout 30 telex-kafka-output -config /etc/telex/kafka-output.conf \
		2>"$MK_TMP/out.err"
rc=$?
[ $rc = 0 ] || fail "telex-kafka-output with its installed config: exit $rc: $(cat "$MK_TMP/out.err")"
clean_log telex-kafka-output "$MK_TMP/out.err"
got=$(timeout 30 kcat -C -b localhost:9092 -t telegraf -o beginning -e -q -f '%k %s\n')
mk_eq "record (key from routing_tag = \"host\")" \
	'h1 cpu,host=h1 usage=1 1700000000000000000' "$got"

pkg_consume timeout 60
rc=$?
[ $rc = 0 ] || fail "telex-kafka-consumer with its installed config: exit $rc: $(cat "$MK_TMP/kc.err")"
mk_eq "consumed from topics = [\"telegraf\"]" \
	'cpu,host=h1 usage=1 1700000000000000000' "$(cat "$MK_TMP/kc.out")"
clean_log telex-kafka-consumer "$MK_TMP/kc.err"

if [ -S /run/libvirt/libvirt-sock-ro ] || [ -S /var/run/libvirt/libvirt-sock-ro ]; then
	echo | timeout 30 telex-libvirt -config /etc/telex/libvirt.conf \
		>"$MK_TMP/lv.out" 2>"$MK_TMP/lv.err"
	rc=$?
	[ $rc = 0 ] || fail "telex-libvirt with its installed config: exit $rc: $(cat "$MK_TMP/lv.err")"
	clean_log telex-libvirt "$MK_TMP/lv.err"
	echo "telex-libvirt: $(wc -l <"$MK_TMP/lv.out") lines from qemu:///system"
elif [ "${TELEX_NO_SKIP:-0}" = 1 ]; then
	fail "libvirtd is not running (test/services.sh start)"
else
	echo "note: libvirtd not running, telex-libvirt's start not checked"
fi

# --- the spool directory changes hands once Telegraf's user exists ---
if [ $had_user = 0 ]; then
	useradd --system --user-group --no-create-home --shell /usr/sbin/nologin \
		telegraf || fail "useradd telegraf"
	made_user=1
	dpkg_run -i "$MK_TMP"/pkg/telex-kafka-output_*.deb \
		"$MK_TMP"/pkg/telex-kafka-consumer_*.deb
fi
for d in "$spool" "$feedback"; do
	[ "$(stat -c %U:%G "$d")" = "telegraf:$(id -gn telegraf)" ] ||
		fail "$d is $(stat -c %U:%G "$d"), not telegraf's"
done

# --- purge: nothing left ---
dpkg-query -L $progs | sort -u >"$MK_TMP/files"
dpkg_run -P $progs
purged=1
for p in $progs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'not-installed' ||
		! dpkg-query -W "$p" >/dev/null 2>&1 || fail "$p still known to dpkg after purge"
done
left=$(pkg_left "" "$MK_TMP/files" $progs)
[ -z "$left" ] || fail "dpkg -P left:$left"
echo "installed, started and purged: $progs"
