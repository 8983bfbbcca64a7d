#!/usr/bin/env bash
# Polled input life cycle: --once, EOF and SIGTERM/SIGINT (finish the
# gather in progress, write everything, exit 0 without Telegraf's SIGTERM),
# failed gathers, and a stdout that went away (EPIPE: one warning, exit 0).
. "$TELEX_SRC/test/shim/lib.sh"

# --once: one gather, whole lines, exit 0; a failed gather: exit 1.
"$EX_IN" --once >"$TMP/once" 2>"$CHILD_ERR" || fail "--once: exit $?"
expect_eq "--once lines" "$(wc -l <"$TMP/once")" 3
config "$TMP/fail.conf" <<'EOF'
[[inputs.example]]
  fail_every = 1
EOF
rc=0
"$EX_IN" --once -config "$TMP/fail.conf" >"$TMP/once" 2>"$CHILD_ERR" || rc=$?
expect_eq "--once failed gather: exit" $rc 1
grep -q '^E! gather 1 failed' "$CHILD_ERR" || fail "no E! line for the failure"

# --once and a reader that stalls: it waits for the reader (as any Unix
# program would); with -flush_timeout it gives up, says so, and exits 1.
config "$TMP/many.conf" <<'EOF'
[[inputs.example]]
  count = 20000
EOF
set +e
"$EX_IN" --once -config "$TMP/many.conf" 2>"$CHILD_ERR" |
	{ sleep 0.3; wc -l >"$TMP/count"; }
rc=${PIPESTATUS[0]}
set -e
expect_eq "--once, slow reader: exit" "$rc" 0
expect_eq "--once, slow reader: lines" "$(cat "$TMP/count")" 20000
# (A log file of its own: the reader must not see an older run's line.)
set +e
"$EX_IN" --once -config "$TMP/many.conf" -flush_timeout 50ms \
	2>"$TMP/stall.err" | {
	for _ in $(seq 3000); do
		grep -q '^I! ' "$TMP/stall.err" 2>/dev/null && break
		sleep 0.01
	done
	cat >/dev/null
}
rc=${PIPESTATUS[0]}
set -e
cp "$TMP/stall.err" "$CHILD_ERR"
expect_eq "--once, stalled reader, timeout: exit" "$rc" 1
grep -q '^E! [0-9]* bytes of metrics not written to stdout' "$CHILD_ERR" ||
	fail "no E! line for what was not written"

# Failed gathers do not end a long-running input.
config "$TMP/every2.conf" <<'EOF'
[[inputs.example]]
  fail_every = 2
EOF
run_harness --signal STDIN --interval 20ms --count 4 --duration 5s \
	-- "$EX_IN" -config "$TMP/every2.conf"
expect_clean_exit
expect_eq "every other gather failed: metrics" "$(sv metrics)" 6
expect_eq "E! lines" "$(sv stderr_error)" 2

# EOF while a slow gather runs: it finishes and is written; no SIGTERM.
config "$TMP/slow.conf" <<'EOF'
[[inputs.example]]
  gather_delay = "700ms"
  count = 5
EOF
run_harness --signal STDIN --interval 10ms --count 1 \
	-- "$EX_IN" -config "$TMP/slow.conf"
expect_clean_exit
expect_eq "slow gather at EOF: metrics" "$(sv metrics)" 5

# SIGTERM and SIGINT with stdin still open (a plain pipe, or Telegraf's
# last resort): the gather in progress is finished and written, exit 0.
for sig in TERM INT; do
	fifo=$TMP/fifo.$sig
	mkfifo "$fifo"
	exec 3<>"$fifo"
	"$EX_IN" -config "$TMP/slow.conf" <&3 >"$TMP/out.$sig" \
		2>"$CHILD_ERR" &
	pid=$!
	# Ask for a gather once the program handles signals, then stop it
	# while the gather sleeps.
	wait_signal_ready $pid 10 # SIGUSR1
	kill -USR1 $pid
	sleep 0.2
	kill -$sig $pid
	rc=0
	wait $pid || rc=$?
	exec 3>&-
	expect_eq "SIG$sig: exit" $rc 0
	expect_eq "SIG$sig: lines" "$(wc -l <"$TMP/out.$sig")" 5
	grep -q "^I! .* 1 gathers" "$CHILD_ERR" || fail "SIG$sig: no summary"
done

# Telegraf went away: EPIPE is one warning and a clean exit, not a crash.
fifo=$TMP/fifo.pipe
mkfifo "$fifo"
exec 3<>"$fifo"
set +e
"$EX_IN" -poll_interval 5ms <&3 2>"$CHILD_ERR" | head -n 2 >/dev/null
rc=${PIPESTATUS[0]}
set -e
exec 3>&-
expect_eq "EPIPE: exit" "$rc" 0
expect_eq "EPIPE: warnings" "$(grep -c '^W! stdout closed' "$CHILD_ERR")" 1
expect_eq "EPIPE: errors" "$(grep -c '^E! ' "$CHILD_ERR" || true)" 0

echo ok
