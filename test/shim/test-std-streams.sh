#!/usr/bin/env bash
# stdin, stdout and signals a caller gets wrong: stdout on /dev/full (the
# write fails: E! and exit 1, for a polled input with --once, telex-libvirt
# --once and a service input), a closed stdout or stdin (an accurate
# message, never "Success"), and a storm of SIGTERMs that must not kill a
# program that is finishing (exit 0, not 143).
. "$TELEX_SRC/test/shim/lib.sh"

# expect_logged WHAT REGEXP: the program's stderr has a matching line.
expect_logged() {
	grep -qE "$2" "$CHILD_ERR" || fail "$1: no line /$2/ in stderr"
}

# --- stdout on /dev/full: every write fails with ENOSPC.
rc=0
"$EX_IN" --once >/dev/full 2>"$CHILD_ERR" || rc=$?
expect_eq "input --once > /dev/full: exit" $rc 1
expect_logged "input --once > /dev/full" \
	'^E! writing stdout: No space left on device'
expect_logged "input --once > /dev/full: summary" '^W! telex-example-input:'

rc=0
timeout 20 "$EX_SVC" </dev/null >/dev/full 2>"$CHILD_ERR" || rc=$?
expect_eq "service > /dev/full: exit" $rc 1
expect_logged "service > /dev/full" '^E! writing stdout: No space left'

config "$TMP/lv.conf" <<'CONF'
[[inputs.libvirt]]
  libvirt_uri = "test:///default"
CONF
rc=0
"$TELEX_BIN/telex-libvirt" -config "$TMP/lv.conf" --once >/dev/full \
	2>"$CHILD_ERR" || rc=$?
expect_eq "telex-libvirt --once > /dev/full: exit" $rc 1
expect_logged "telex-libvirt --once > /dev/full" '^E! writing stdout: No space'

# --- A closed stdout: the program says so and does not start.
rc=0
"$EX_IN" --once >&- 2>"$CHILD_ERR" || rc=$?
expect_eq "input, stdout closed: exit" $rc 1
expect_logged "input, stdout closed" \
	'^E! stdout is closed \(file descriptor 1 is not open\)'
rc=0
timeout 20 "$EX_SVC" </dev/null >&- 2>"$CHILD_ERR" || rc=$?
expect_eq "service, stdout closed: exit" $rc 1
expect_logged "service, stdout closed" '^E! stdout is closed'

# --- A closed stdin: an output has nothing to read; an input runs
# without watching it (SIGTERM ends it, exit 0).
rc=0
"$EX_OUT" <&- 2>"$CHILD_ERR" || rc=$?
expect_eq "output, stdin closed: exit" $rc 1
expect_logged "output, stdin closed" \
	'^E! stdin is closed \(file descriptor 0 is not open\)'
"$EX_SVC" <&- >"$TMP/svc.out" 2>"$CHILD_ERR" &
pid=$!
wait_signal_ready $pid 15
kill -TERM $pid
rc=0
wait $pid || rc=$?
expect_eq "service, stdin closed, SIGTERM: exit" $rc 0
grep -q 'watching stdin\|Success' "$CHILD_ERR" &&
	fail "service, stdin closed: $(cat "$CHILD_ERR")"
[ -s "$TMP/svc.out" ] || fail "service, stdin closed: no metrics"
# A closed stderr changes nothing else.
out=$("$EX_IN" --once 2>&- | wc -l)
expect_eq "input, stderr closed: lines" "$out" 3

# --- SIGTERMs sent without pause until the program is gone: the first
# ends it, the rest arrive while it finishes, after its loop is freed
# too; they stay blocked, the exit code is the program's own.
mkfifo "$TMP/storm.in"
exec {hold}<>"$TMP/storm.in"
for round in 1 2 3 4 5 6 7 8; do
	for prog in "$EX_IN" "$EX_SVC"; do
		"$prog" <"$TMP/storm.in" >/dev/null 2>"$CHILD_ERR" &
		pid=$!
		wait_signal_ready $pid 15
		sent=0
		while kill -TERM $pid 2>/dev/null; do
			sent=$((sent + 1))
			((sent < 100000)) || break
		done
		rc=0
		wait $pid || rc=$?
		expect_eq "$(basename "$prog") after $sent SIGTERMs: exit" $rc 0
	done
done
exec {hold}>&-

echo ok
