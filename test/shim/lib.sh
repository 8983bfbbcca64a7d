# Helpers for the shim's script tests (sourced). Other components' contract
# tests may source it too: run_harness, sv, expect_eq/expect_ge, fail.
set -eu
: "${TELEX_BIN:?TELEX_BIN is not set (run through make check)}"
HARNESS=$TELEX_BIN/telex-execd-harness
EX_IN=$TELEX_BIN/telex-example-input
EX_SVC=$TELEX_BIN/telex-example-service
EX_OUT=$TELEX_BIN/telex-example-output
for b in "$HARNESS" "$EX_IN" "$EX_SVC" "$EX_OUT"; do
	[ -x "$b" ] || { echo "missing $b (make all)"; exit 1; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SUMMARY=$TMP/summary
CHILD_ERR=$TMP/stderr

fail() {
	echo "FAIL: $*"
	[ -s "$SUMMARY" ] && sed 's/^/  summary: /' "$SUMMARY"
	[ -s "$CHILD_ERR" ] && sed 's/^/  stderr: /' "$CHILD_ERR" | tail -n 20
	exit 1
}

# run_harness HARNESS-OPTIONS... -- PROGRAM ARGS...: summary in $SUMMARY,
# the program's stderr lines in $CHILD_ERR.
run_harness() {
	"$HARNESS" --quiet --summary "$SUMMARY" --stderr "$CHILD_ERR" "$@" ||
		fail "harness failed: $*"
}

# sv KEY: a value of the last summary.
sv() {
	sed -n "s/^$1=//p" "$SUMMARY"
}

expect_eq() { # WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

expect_ge() { # WHAT GOT MIN
	[ "$2" -ge "$3" ] || fail "$1: got $2, want >= $3"
}

# A clean exit: everything Telegraf asks of a well-behaved child.
expect_clean_exit() {
	expect_eq "exit code" "$(sv exit_code)" 0
	expect_eq "shutdown needed" "$(sv shutdown)" stdin
	expect_eq "invalid lines on stdout" "$(sv invalid_lines)" 0
	expect_eq "partial lines on stdout" "$(sv partial_lines)" 0
	expect_eq "stderr lines without a level" "$(sv stderr_unprefixed)" 0
	expect_eq "stderr lines over 64 KiB" "$(sv stderr_long)" 0
}

# The number in the program's exit summary, e.g. child_count "gathers".
child_count() {
	grep -o "[0-9]\+ $1" "$CHILD_ERR" | tail -n 1 | cut -d' ' -f1
}

# config FILE, then the TOML on stdin. The harness reads stderr through a
# pipe, where telex logs at warn by default (Telegraf 1.25 shows every line
# as an error): the tests read the I! summaries, so the plugin's table
# gets log_level = "info" unless it sets a level itself.
config() {
	awk 'BEGIN { done = 0 } { print }
	     !done && /^\[\[[a-z_]+\.[a-z_]+\]\]/ && !seen {
		print "  log_level = \"info\""; done = 1 }' >"$1"
	grep -c '^ *log_level *=' "$1" | grep -q '^1$' ||
		sed -i '0,/^  log_level = "info"$/{//d}' "$1"
}

# wait_signal_ready PID SIGNO: until PID blocks or catches SIGNO, so that
# sending it cannot kill the program by the default action.
wait_signal_ready() {
	local blk cgt i
	local shell
	shell=$(readlink /proc/$$/exe)
	for i in $(seq 500); do
		# Between fork and exec the pid is still a copy of this shell,
		# with the shell's own signal mask and handlers.
		if [ "$(readlink /proc/"$1"/exe 2>/dev/null)" = "$shell" ]; then
			sleep 0.01
			continue
		fi
		blk=$(sed -n 's/^SigBlk:\s*//p' /proc/"$1"/status 2>/dev/null)
		cgt=$(sed -n 's/^SigCgt:\s*//p' /proc/"$1"/status 2>/dev/null)
		if [ -n "$blk" ] &&
			(((0x$blk | 0x$cgt) & (1 << ($2 - 1)))); then
			return 0
		fi
		sleep 0.01
	done
	fail "pid $1 never set up signal $2"
}
