#!/usr/bin/env bash
# The debs on a system that has nothing else: mmdebstrap makes a minimal
# Debian 12 (variant apt) in a temporary directory, apt installs the three
# debs there from files, so their Depends alone must pull in what they
# need (librdkafka1, libvirt0, libjson-c5: no -dev package, no build
# tree). In that root: --version and --help (80 columns) of each program,
# mandoc -Tlint on its man page, the Kafka programs started with their
# installed configs against a broker on localhost:9092 (telex-mock-kafka
# and HAProxy from this tree, in the test's own network namespace, which
# the chroot shares), the spool directory made by the postinst, and
# dpkg -P leaving nothing of the packages behind. (telex-libvirt's start
# needs libvirtd: test-install.sh checks it on this machine.)
# Needs root and Debian's mirror (as test/deps.sh does). Under SAN=1 there
# is nothing to check: packages never come from the sanitizer build.
set -u
: "${TELEX_SRC:?}" "${TELEX_BIN:?}" "${TELEX_BUILD:?}"
. "$TELEX_SRC/test/packaging/lib.sh"
pkg_need --root "mmdebstrap, chroot, unshare" mmdebstrap dpkg-deb unshare ip haproxy kcat
if [ -z "${TELEX_NETNS:-}" ]; then
	# The namespace has no route out: make the root first, then enter it.
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/telex-root.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	"$TELEX_SRC/packaging/build-deb.sh" "$tmp/pkg" "$TELEX_BUILD/pkg-deb" \
		>"$tmp/deb.out" 2>&1 || { echo "FAIL: build-deb: $(cat "$tmp/deb.out")"; exit 1; }
	mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
	mirror=${mirror:-http://deb.debian.org/debian}
	files=("$tmp"/pkg/*.deb)
	debs=$(printf '/pkg/%s ' $(cd "$tmp/pkg" && ls *.deb))
	# The debs go in with apt (their Depends from the mirror); mandoc is a
	# tool of the checks, not a dependency; /etc/hosts is what an installer
	# writes (mmdebstrap leaves none), so that localhost resolves.
	if ! mmdebstrap --variant=apt --quiet --include=mandoc \
		--setup-hook="mkdir -p \"\$1/pkg\"" \
		--setup-hook="copy-in ${files[*]} /pkg" \
		--customize-hook="chroot \"\$1\" apt-get install -y -q --no-install-recommends $debs" \
		--customize-hook='printf "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n" >"$1/etc/hosts"' \
		bookworm "$tmp/root" "deb $mirror bookworm main" >"$tmp/mm.log" 2>&1; then
		echo "FAIL: mmdebstrap: $(tail -n 30 "$tmp/mm.log")"
		exit 1
	fi
	TELEX_NETNS=1 TELEX_ROOT=$tmp/root unshare --net bash "$0"
	exit $?
fi
ip link set lo up || { echo "FAIL: lo up in the namespace"; exit 1; }
root=$TELEX_ROOT
. "$TELEX_SRC/test/mock_kafka/lib.sh"
mk_need kcat
fail() { mk_fail "$@"; }
in_root() { chroot "$root" "$@"; }
progs="telex-libvirt telex-kafka-output telex-kafka-consumer"
mount -t proc proc "$root/proc" && mk_at_exit "umount '$root/proc'"

for p in $progs; do
	in_root dpkg-query -W -f='${Status}\n' "$p" | grep -q 'ok installed' ||
		fail "$p not installed in the clean root"
	v=$(in_root "$p" --version) || fail "$p --version in the clean root: $v"
	[ "$v" = "$p $(cat "$TELEX_SRC/VERSION")" ] || fail "$p --version: $v"
	in_root "$p" --help >"$MK_TMP/help" || fail "$p --help"
	wide=$(awk 'length($0) > 80' "$MK_TMP/help")
	[ -z "$wide" ] || fail "$p --help wider than 80 columns: $wide"
	lint=$(in_root sh -c "zcat /usr/share/man/man1/$p.1.gz | mandoc -Tlint -W style" 2>&1)
	[ -z "$lint" ] || fail "mandoc -Tlint $p.1.gz: $lint"
done
[ "$(stat -c %U "$root/var/lib/telex/kafka-output")" = root ] ||
	fail "spool directory not made, or not root's without a telegraf user"

pkg_broker_on_localhost

echo 'mem,host=h2 used=5i 1700000000000000000' |
	timeout 30 chroot "$root" telex-kafka-output \
		-config /etc/telex/kafka-output.conf 2>"$MK_TMP/out.err"
rc=$?
[ $rc = 0 ] || fail "telex-kafka-output in the clean root: exit $rc: $(cat "$MK_TMP/out.err")"
grep -E '^(E|W)! ' "$MK_TMP/out.err" && fail "telex-kafka-output logged: $(cat "$MK_TMP/out.err")"
pkg_consume timeout 60 chroot "$root"
rc=$?
[ $rc = 0 ] || fail "telex-kafka-consumer in the clean root: exit $rc: $(cat "$MK_TMP/kc.err")"
mk_eq "consumed in the clean root" 'mem,host=h2 used=5i 1700000000000000000' \
	"$(cat "$MK_TMP/kc.out")"
# (the one expected warning: delivery feedback is off as installed)
grep -E '^(E|W)! ' "$MK_TMP/kc.err" | grep -v '^W! delivery is acknowledged at the pipe only' &&
	fail "telex-kafka-consumer logged: $(cat "$MK_TMP/kc.err")"

# Purge: compare the whole root's file list with the one before install
# would need a second root; instead every path the packages listed, and
# the directories they or their scripts made, must be gone.
in_root dpkg-query -L $progs | sort -u >"$MK_TMP/files"
in_root dpkg -P $progs >"$MK_TMP/purge.log" 2>&1 || fail "dpkg -P: $(cat "$MK_TMP/purge.log")"
left=$(pkg_left "$root" "$MK_TMP/files" $progs)
[ -z "$left" ] || fail "dpkg -P left in the clean root:$left"
echo "clean Debian 12 root: installed with apt from the debs' Depends, started, purged: $progs"
