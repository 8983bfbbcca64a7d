#!/usr/bin/env bash
# make bench: resident memory of telex-libvirt after 50 gathers, next to
# the floor of any libvirt client (bench_lv --floor: open, one bulk call).
# On qemu:///system with the domains the host has (our 3 QEMU domains are
# made for it), else on test:///default.
set -u
build=${TELEX_BUILD:?}
src=${TELEX_SRC:?}
lv=$build/bin/telex-libvirt
[ -x "$lv" ] || { echo "bench-libvirt-rss: $lv not built"; exit 0; }
tmp=$(mktemp -d)
prefix=
cleanup() {
	[ -n "$prefix" ] && "$src/test/libvirt/qemu-domains.sh" down "$prefix" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
uri=test:///default
if "$src/test/libvirt/qemu-domains.sh" check >/dev/null 2>&1; then
	exec 9>>/tmp/telex-libvirtd.lock
	flock 9
	prefix=tlxr$$
	"$src/test/libvirt/qemu-domains.sh" up $prefix 3 >/dev/null && uri=qemu:///system
fi
printf '[[inputs.libvirt]]\n  libvirt_uri = "%s"\n' "$uri" >"$tmp/c.conf"
mkfifo "$tmp/in"
"$lv" -config "$tmp/c.conf" <"$tmp/in" >/dev/null 2>&1 &
pid=$!
exec 3>"$tmp/in"
for _ in $(seq 50); do echo >&3; sleep 0.05; done
sleep 0.5
kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/$pid/$2; }
printf '\ntelex-libvirt resident memory (%s, after 50 gathers)\n\n' "$uri"
printf '| %-34s | %8s | %8s | %8s | %8s |\n' process "RSS kB" "anon kB" "file kB" "PSS kB"
printf '|%s|%s|%s|%s|%s|\n' ------------------------------------ ---------- ---------- ---------- ----------
printf '| %-34s | %8s | %8s | %8s | %8s |\n' telex-libvirt "$(kb VmRSS status)" \
	"$(kb RssAnon status)" "$(kb RssFile status)" "$(kb Pss smaps_rollup)"
exec 3>&-
wait $pid
floor=$("$build/bench/bench_lv" --floor "$uri")
printf '| %-34s | %8s | %8s | %8s | %8s |\n' "any libvirt client (open + 1 call)" \
	"$(echo "$floor" | sed 's/.*VmRSS=\([0-9]*\).*/\1/')" \
	"$(echo "$floor" | sed 's/.*RssAnon=\([0-9]*\).*/\1/')" \
	"$(echo "$floor" | sed 's/.*RssFile=\([0-9]*\).*/\1/')" "-"
echo
