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

# lv_conf FILE URI [TOML-LINE...]: config FILE with an [[inputs.libvirt]]
# table for libvirt_uri URI and the given lines, one key each.
lv_conf() {
	local file=$1 uri=$2
	shift 2
	{
		echo '[[inputs.libvirt]]'
		echo "  libvirt_uri = \"$uri\""
		[ $# -eq 0 ] || printf '  %s\n' "$@"
	} | config "$file"
}

# Every extra behind an option of the native plugin, on (lv_conf lines).
LV_EXTRAS=('additional_statistics = ["vcpu_mapping"]' 'device_name_tags = true'
	'domain_uuid_tag = true' 'kvm_vcpu_stats = true' 'disk_errors = true'
	'job_stats = true' 'gather_stats = true')

# lv_once NAME [--options]: one gather (--once) with $TMP/NAME.conf, its
# output in $TMP/out and schema-checked (check), its stderr in $CHILD_ERR;
# fails unless it exits 0.
lv_once() {
	local name=$1
	shift
	"$LV" --once -config "$TMP/$name.conf" </dev/null >"$TMP/out" 2>"$CHILD_ERR" ||
		fail "$name: exit $?"
	check "$TMP/out" "$@"
}

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

# lv_gather FD FILE N: ask for one gather on fd FD (the program's stdin)
# and wait (60 s at most) for the N-th telex_libvirt line (gather_stats) in
# FILE, its stdout; sets $domains, $skipped, $took (ms) and $ts (the
# gather's timestamp) from it.
lv_gather() {
	local fd=$1 file=$2 n=$3 line
	echo >&"$fd"
	for _ in $(seq 1200); do
		[ "$(grep -c '^telex_libvirt ' "$file")" -ge "$n" ] && break
		sleep 0.05
	done
	line=$(grep '^telex_libvirt ' "$file" | sed -n "${n}p")
	[ -n "$line" ] || fail "gather $n of $file did not finish"
	domains=$(echo "$line" | sed 's/.*domains=\([0-9]*\)i.*/\1/')
	skipped=$(echo "$line" | sed 's/.*skipped_locked=\([0-9]*\)i.*/\1/')
	took=$(($(echo "$line" | sed 's/.*duration_ns=\([0-9]*\)i.*/\1/') / 1000000))
	ts=${line##* }
}

# lv_complete FILE TS DOMAIN: the gather at TS has DOMAIN's statistics
# that need its job (block I/O, balloon readings, iothreads, dirty rate);
# fails naming what is missing.
lv_complete() {
	local file=$1 t=$2 d=$3 m f
	for want in "libvirt_block rd_reqs" "libvirt_balloon rss" \
		"libvirt_iothread poll_max_ns" "libvirt_dirtyrate calc_status"; do
		m=${want% *} f=${want#* }
		grep " $t\$" "$file" | grep "^$m,\(.*,\)\?domain_name=$d[, ]" |
			grep -q "[ ,]$f=" ||
			fail "gather $t: $d has no $f in $m: $(grep " $t\$" "$file" | grep "domain_name=$d[, ]" | cut -c1-120)"
	done
}

# qemu_pid DOMAIN: the QEMU process of a running domain.
qemu_pid() {
	pgrep -f "guest=$1," | head -n 1
}
