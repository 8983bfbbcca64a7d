#!/usr/bin/env bash
# telex-libvirt's memory over 1,000 gathers of 1,000 test-driver domains in
# one process, under valgrind: no leak, no invalid access, and no growth
# (the resident size after gather 1,000 is the one after gather 100).
# A second, shorter run covers the per-domain fallback and every extra.
# valgrind cannot run an ASan build: with SAN=1 the same runs go without
# valgrind, and AddressSanitizer and LeakSanitizer (at exit) are the
# checkers; the growth check is left out there, since ASan's quarantine
# holds freed memory on purpose.
. "$TELEX_SRC/test/libvirt/lib.sh"
if [ "${SAN:-}" = 1 ]; then
	checker=(env ASAN_OPTIONS=detect_leaks=1:exitcode=97)
	logopt=() # ASan reports on the program's stderr
else
	command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 77; }
	checker=(valgrind -q --leak-check=full
		--show-leak-kinds=definite,indirect
		--errors-for-leak-kinds=definite,indirect --error-exitcode=97)
	logopt=(--log-file) # valgrind reports in a file of its own
fi

file1000=$(gen 1000)
# 100 domains in a file of their own, for the second run.
"$TELEX_SRC/test/libvirt/gen-domains.sh" -n 100 -m -p tlxm >"$TMP/d100.xml"

# run_valgrind NAME CONF GATHERS EXPECT_DOMAINS: one process, GATHERS
# gathers asked one at a time through stdin (each ends with its
# telex_libvirt line); RSS sampled after gather 100 and after the last.
run_valgrind() {
	local name=$1 conf=$2 n=$3 want=$4 i line
	mkfifo "$TMP/$name.in" "$TMP/$name.out"
	: >"$TMP/$name.stats" # before grep opens it: the loop reads it at once
	# The open parses the whole domain file: slow under valgrind, so the
	# first gather may wait for it longer than the default keepalive.
	: >"$TMP/$name.vg"
	"${checker[@]}" ${logopt:+"${logopt[0]}=$TMP/$name.vg"} \
		"$LV" -config "$conf" <"$TMP/$name.in" >"$TMP/$name.out" \
		2>"$TMP/$name.err" &
	local vg=$!
	grep --line-buffered '^telex_libvirt ' <"$TMP/$name.out" \
		>>"$TMP/$name.stats" &
	exec 3>"$TMP/$name.in"
	for ((i = 1; i <= n; i++)); do
		echo >&3
		while [ "$(grep -c . "$TMP/$name.stats")" -lt $i ]; do
			kill -0 $vg 2>/dev/null || {
				cat "$TMP/$name.vg" "$TMP/$name.err"
				fail "$name: died at gather $i"
			}
			sleep 0.01
		done
		line=$(tail -n 1 "$TMP/$name.stats")
		[[ $line == "telex_libvirt domains=${want}i,"*",errors=0i,"* ]] ||
			fail "$name: gather $i: $line"
		if [ $i -eq 100 ] || [ $i -eq $n ]; then
			rss[$i]=$(ps -o rss= -p $vg)
		fi
	done
	exec 3>&-
	local rc=0
	wait $vg || rc=$?
	wait
	if [ $rc -ne 0 ]; then
		cat "$TMP/$name.vg" "$TMP/$name.err"
		fail "$name: ${checker[0]} exit $rc (97: errors or leaks)"
	fi
	[ -s "$TMP/$name.vg" ] && { cat "$TMP/$name.vg"; fail "$name: valgrind reported"; }
	grep -q '^[EW]! ' "$TMP/$name.err" && fail "$name: $(cat "$TMP/$name.err")"
	echo "$name: $n gathers, RSS ${rss[100]} kB after 100, ${rss[$n]} kB after $n"
}

# 1. 1,000 gathers of 1,000 domains: the bulk call, the mapping, the text,
# the writer. (All groups go through the per-domain fallback on the test
# driver: 1.5 s per gather under valgrind, too slow for 1,000.)
lv_conf "$TMP/bulk.conf" "test://$file1000" 'statistics_groups = ["state"]' \
	'gather_stats = true' 'keepalive_interval = "60s"' 'timeout = "120s"'
declare -a rss
run_valgrind bulk "$TMP/bulk.conf" 1000 1000
growth=$((rss[1000] - rss[100]))
echo "growth from gather 100 to 1,000: $growth kB"
if [ "${SAN:-}" != 1 ]; then
	[ $growth -le 256 ] || fail "resident memory grew by $growth kB"
fi

# 2. Every group through the fallback, every extra, 100 domains.
lv_conf "$TMP/all.conf" "test://$TMP/d100.xml" "${LV_EXTRAS[@]}" \
	'keepalive_interval = "60s"' 'timeout = "120s"'
rss=()
run_valgrind all "$TMP/all.conf" 100 100

echo ok
