#!/usr/bin/env bash
# Service input runner: emits on its own schedule, stdin watched for EOF
# only; at EOF stop(), then stdout is drained with the progress callback
# still firing, then close(): everything emitted was "committed". A slow
# reader makes stdout congested and the plugin pauses; nothing is lost.
. "$TELEX_SRC/test/shim/lib.sh"

config "$TMP/svc.conf" <<'EOF'
[[inputs.example_service]]
  batch = 500
  tick = "1ms"
EOF
run_harness --metrics 20000 -- "$EX_SVC" -config "$TMP/svc.conf"
expect_clean_exit
emitted=$(grep -o 'emitted [0-9]*' "$CHILD_ERR" | grep -o '[0-9]*')
committed=$(grep -o 'committed [0-9]*' "$CHILD_ERR" | grep -o '[0-9]*')
expect_ge "emitted" "$emitted" 20000
expect_eq "committed at close" "$committed" "$emitted"
expect_eq "metrics on stdout" "$(sv metrics)" "$emitted"

# Lines on stdin (signal = "STDIN" by mistake) do not stop or trigger it.
run_harness --signal STDIN --interval 5ms --count 5 \
	-- "$EX_SVC" -config "$TMP/svc.conf"
expect_clean_exit

# total_conf NAME BATCH TOTAL: $TMP/NAME.conf, the example service making
# BATCH metrics every 1 ms and ending the program itself (telex_shutdown)
# after TOTAL.
total_conf() {
	config "$TMP/$1.conf" <<-EOF
		[[inputs.example_service]]
		  batch = $2
		  tick = "1ms"
		  total = $3
		  shutdown_at_total = true
	EOF
}

# The plugin ends the program itself (telex_shutdown): exit 0, all out.
total_conf total 1000 10000
run_harness --duration 60s -- "$EX_SVC" -config "$TMP/total.conf"
expect_eq "self shutdown: exit code" "$(sv exit_code)" 0
expect_eq "self shutdown: metrics" "$(sv metrics)" 10000

# A reader that stalls: the backlog passes the high-water mark, the plugin
# pauses (congested ticks), and once the reader is back everything
# arrives: 200000 metrics, more than the 4 MiB high-water mark.
total_conf flood 20000 200000
# (A log file of its own: the reader must not see an older run's line.)
"$EX_SVC" -config "$TMP/flood.conf" -flush_timeout 60s </dev/null \
	2>"$TMP/flood.err" | {
	# Read nothing until the program reports congestion.
	for _ in $(seq 3000); do
		grep -q 'stdout congested' "$TMP/flood.err" 2>/dev/null && break
		sleep 0.01
	done
	cat
} >"$TMP/flood.lp"
cp "$TMP/flood.err" "$CHILD_ERR"
expect_eq "flood: lines" "$(wc -l <"$TMP/flood.lp")" 200000
expect_eq "flood: in order" "$(sed -n '200000s/.*seq=\([0-9]*\)i.*/\1/p' \
	"$TMP/flood.lp")" 199999
congested=$(grep -o 'congested ticks [0-9]*' "$CHILD_ERR" | grep -o '[0-9]*$')
expect_ge "flood: ticks paused by congestion" "$congested" 1
committed=$(grep -o 'committed [0-9]*' "$CHILD_ERR" | grep -o '[0-9]*')
expect_eq "flood: committed" "$committed" 200000

echo ok
