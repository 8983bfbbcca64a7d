#!/usr/bin/env bash
# telex-libvirt under Telegraf's inputs.execd (the execd harness): one
# gather per request in each signal mode, its own ticker with signal =
# "none", whole lines only, EOF ends it (no SIGTERM needed), SIGTERM with
# stdin open ends it cleanly too. test:///default: 10 metrics per gather.
. "$TELEX_SRC/test/libvirt/lib.sh"

config "$TMP/default.conf" <<'TOML'
[[inputs.libvirt]]
  libvirt_uri = "test:///default"
TOML

for sig in STDIN SIGHUP SIGUSR1 SIGUSR2; do
	run_harness --signal $sig --interval 50ms --count 3 --await 10 \
		--save "$TMP/out" -- "$LV" -config "$TMP/default.conf"
	expect_clean_exit
	expect_eq "$sig: metrics" "$(sv metrics)" 30
	expect_eq "$sig: await timeouts" "$(sv await_timeouts)" 0
	expect_eq "$sig: gathers" "$(child_count gathers)" 3
	check "$TMP/out"
	expect_eq "$sig: one timestamp per gather" "$(cv timestamps)" 3
	grep -q '^[EW]! ' "$CHILD_ERR" && fail "$sig: warnings or errors"
done

# signal = "none": nothing without -poll_interval, whole gathers with it.
run_harness --signal none --duration 300ms -- "$LV" -config "$TMP/default.conf"
expect_clean_exit
expect_eq "none: metrics" "$(sv metrics)" 0
run_harness --signal none --metrics 30 --save "$TMP/out" \
	-- "$LV" -config "$TMP/default.conf" -poll_interval 50ms
expect_clean_exit
expect_ge "ticker: metrics" "$(sv metrics)" 30
expect_eq "ticker: whole gathers" $(($(sv metrics) % 10)) 0

# A burst of lines is one gather.
run_harness --signal STDIN --burst 20 --interval 50ms --count 2 --await 10 \
	-- "$LV" -config "$TMP/default.conf"
expect_clean_exit
expect_eq "burst: gathers" "$(child_count gathers)" 2

# SIGTERM with stdin still open: exit 0, every line whole.
fifo=$TMP/fifo
mkfifo "$fifo"
"$LV" -config "$TMP/default.conf" -poll_interval 20ms <"$fifo" >"$TMP/term" \
	2>"$CHILD_ERR" &
pid=$!
exec 3>"$fifo"
for _ in $(seq 200); do
	[ "$(grep -c . "$TMP/term" 2>/dev/null)" -ge 20 ] && break
	sleep 0.02
done
kill -TERM $pid
rc=0
wait $pid || rc=$?
exec 3>&-
expect_eq "SIGTERM: exit" $rc 0
check "$TMP/term"
expect_eq "SIGTERM: whole gathers" $(($(cv metrics) % 10)) 0
expect_ge "SIGTERM: metrics" "$(cv metrics)" 20

echo ok
