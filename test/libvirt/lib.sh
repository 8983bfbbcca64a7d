# Helpers for the telex-libvirt script tests (sourced), on top of the
# shim's (run_harness, sv, expect_eq/expect_ge, fail, config).
. "$TELEX_SRC/test/shim/lib.sh"
LV=$TELEX_BIN/telex-libvirt
LV_CHECK=$TELEX_BUILD/test/libvirt/lv-check
for b in "$LV" "$LV_CHECK"; do
	[ -x "$b" ] || { echo "missing $b (make all)"; exit 1; }
done
LV_DOMAINS=$TELEX_SRC/test/libvirt/qemu-domains.sh
LV_PREFIX=
# Clean-up on any exit: our QEMU domains (if any), the temporary files.
lv_cleanup() {
	if [ -n "$LV_PREFIX" ]; then
		"$LV_DOMAINS" down "$LV_PREFIX" >/dev/null 2>&1
	fi
	rm -rf "$TMP"
}
trap lv_cleanup EXIT

# check FILE [--options]: schema check of the program's output; the
# summary goes to $TMP/check (read with cv KEY).
check() {
	local f=$1
	shift
	"$LV_CHECK" "$@" <"$f" >"$TMP/check" ||
		fail "lv-check: $(sed -n 's/^first_violation=//p' "$TMP/check") $(sed -n 's/^invalid=//p' "$TMP/check") invalid lines"
}
cv() { sed -n "s/^$1=//p" "$TMP/check"; }

# gen N: a test-driver node file with N mixed domains; prints its path.
gen() {
	"$TELEX_SRC/test/libvirt/gen-domains.sh" -n "$1" -m -p tlxs >"$TMP/domains-$1.xml" ||
		fail "gen-domains"
	echo "$TMP/domains-$1.xml"
}

# qemu_up [N]: real domains $LV_PREFIX-run/-pause/-off (77 when the host
# cannot run them). The EXIT trap removes them. Holds the system libvirtd
# lock (see qemu-domains.sh) until the test ends.
qemu_up() {
	local why rc=0
	why=$("$LV_DOMAINS" check) || rc=$?
	if [ $rc -ne 0 ]; then
		echo "$why"
		exit $([ $rc -eq 77 ] && echo 77 || echo 1)
	fi
	exec 9>>/tmp/telex-libvirtd.lock
	flock -w 900 9 || fail "another run held the libvirtd lock for 15 min"
	LV_PREFIX=tlxs$$
	"$LV_DOMAINS" up "$LV_PREFIX" "${1:-3}" >/dev/null ||
		fail "cannot create the QEMU domains"
}
