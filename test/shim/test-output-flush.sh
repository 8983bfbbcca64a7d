#!/usr/bin/env bash
# Output runner at the end: flush with a deadline; exit 0 only when
# everything was delivered, else exit 1 with a summary of what was not.
# A full plugin (stdin paused) still notices Telegraf closing stdin.
. "$TELEX_SRC/test/shim/lib.sh"

for i in $(seq 1 300); do echo "m,i=$i v=${i}i $i"; done >"$TMP/feed.lp"

# A sink that is down: holds 10, never delivers. stdin is paused when
# Telegraf closes it; the runner notices the hang-up, gives the plugin
# the flush timeout, reports and exits 1, before Telegraf's SIGTERM.
config "$TMP/stuck.conf" <<'EOF'
[[outputs.example]]
  stuck = true
  capacity = 10
EOF
run_harness --output "$TMP/feed.lp" \
	-- "$EX_OUT" -config "$TMP/stuck.conf" -flush_timeout 500ms
expect_eq "stuck: exit code" "$(sv exit_code)" 1
expect_eq "stuck: shutdown needed" "$(sv shutdown)" stdin
expect_eq "stuck: unprefixed" "$(sv stderr_unprefixed)" 0
grep -q '^E! example-output: 10 metrics not delivered' "$CHILD_ERR" ||
	fail "stuck: the plugin's count is missing"
grep -q '^E! 290 metrics read from stdin were not taken' "$CHILD_ERR" ||
	fail "stuck: the runner's count is missing"

# write() fails: fatal, exit 1, the plugin's flush still runs.
config "$TMP/failing.conf" <<EOF
[[outputs.example]]
  file = "$TMP/failing.lp"
  fail_after = 100
EOF
run_harness --output "$TMP/feed.lp" --batch-format \
	-- "$EX_OUT" -config "$TMP/failing.conf"
expect_eq "failing: exit code" "$(sv exit_code)" 1
expect_eq "failing: delivered before the failure" \
	"$(wc -l <"$TMP/failing.lp")" 100
grep -q '^E! write failed after 100 metrics' "$CHILD_ERR" ||
	fail "failing: no E! line"

# SIGTERM with stdin still open and everything delivered: exit 0.
config "$TMP/ok.conf" <<EOF
[[outputs.example]]
  file = "$TMP/ok.lp"
EOF
fifo=$TMP/fifo
mkfifo "$fifo"
# out_start ARGS...: the example output with ARGS in the background ($pid),
# stdin the fifo, which the test holds open on fd 3 (as Telegraf does).
out_start() {
	exec 3<>"$fifo"
	"$EX_OUT" "$@" <&3 2>"$CHILD_ERR" &
	pid=$!
}
# out_term: SIGTERM once the output handles it.
out_term() {
	wait_signal_ready $pid 15
	kill -TERM $pid
}
# out_wait: until the output exits; its status in rc.
out_wait() {
	rc=0
	wait $pid || rc=$?
}
out_start -config "$TMP/ok.conf"
cat "$TMP/feed.lp" >&3
for _ in $(seq 500); do
	[ "$(wc -l <"$TMP/ok.lp" 2>/dev/null || echo 0)" -eq 300 ] && break
	sleep 0.01
done
out_term
out_wait
exec 3>&-
expect_eq "SIGTERM, all delivered: exit" $rc 0
cmp -s "$TMP/feed.lp" "$TMP/ok.lp" || fail "SIGTERM: delivered != fed"

# SIGTERM first, then what Telegraf (stopping at the same time, as under
# systemd) still writes, then EOF: an output reads on until EOF (for half
# of the flush timeout) and delivers it too.
rm -f "$TMP/ok.lp"
out_start -config "$TMP/ok.conf"
head -n 100 "$TMP/feed.lp" >&3
out_term
sleep 0.3
tail -n +101 "$TMP/feed.lp" >&3
exec 3>&-
out_wait
expect_eq "SIGTERM, then more, then EOF: exit" $rc 0
cmp -s "$TMP/feed.lp" "$TMP/ok.lp" ||
	fail "SIGTERM, then more: delivered $(wc -l <"$TMP/ok.lp") of 300"

# SIGTERM while the plugin is full and metrics wait in the pipe: what
# Telegraf thinks it delivered is reported as lost, exit 1.
out_start -config "$TMP/stuck.conf" -flush_timeout 200ms
cat "$TMP/feed.lp" >&3
out_term
out_wait
exec 3>&-
expect_eq "SIGTERM while full: exit" $rc 1
# Whether the runner had read the pipe yet or not, the loss is counted.
grep -Eq '^E! [0-9]+ (metrics read from stdin were not taken|bytes of stdin left unread)' \
	"$CHILD_ERR" || fail "SIGTERM while full: no count of what was lost"

echo ok
