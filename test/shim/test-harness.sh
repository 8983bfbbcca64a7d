#!/usr/bin/env bash
# The execd harness itself: restarts after restart_delay, reports which
# shutdown step a program needed (stdin, SIGTERM, SIGKILL), counts stderr
# levels and unprefixed lines, and flags invalid and partial stdout lines.
. "$TELEX_SRC/test/shim/lib.sh"

# Exits at once with 3: restarted until --max-starts.
run_harness --restart-delay 10ms --max-starts 3 -- bash -c 'exit 3'
expect_eq "starts" "$(sv starts)" 3
expect_eq "exits" "$(sv exits)" "3,3,3"
expect_eq "unexpected exits" "$(sv unexpected_exits)" 3

# Ignores EOF but exits on SIGTERM.
run_harness --term-after 100ms --duration 50ms \
	-- bash -c 'trap "exit 0" TERM; while :; do sleep 0.02; done'
expect_eq "needs SIGTERM" "$(sv shutdown)" sigterm
expect_eq "exit code" "$(sv exit_code)" 0

# Ignores EOF and SIGTERM: killed.
run_harness --term-after 50ms --kill-after 50ms --duration 50ms \
	-- bash -c 'trap "" TERM; while :; do sleep 0.02; done'
expect_eq "needs SIGKILL" "$(sv shutdown)" sigkill
expect_eq "killed by" "$(sv exit_signal)" 9

# stderr levels, unprefixed lines; stdout: valid, invalid, partial.
run_harness -- bash -c '
	printf "E! e\nW! w\nI! i\nD! d\nT! t\nplain\nW!no space\n" >&2
	printf "m v=1i 1\nnot line protocol\nm v=2i 2\nm v=3"'
expect_eq "errors" "$(sv stderr_error)" 1
expect_eq "warnings" "$(sv stderr_warn)" 1
expect_eq "infos" "$(sv stderr_info)" 1
expect_eq "debugs" "$(sv stderr_debug)" 1
expect_eq "traces" "$(sv stderr_trace)" 1
expect_eq "unprefixed" "$(sv stderr_unprefixed)" 2
expect_eq "metrics" "$(sv metrics)" 3
expect_eq "invalid" "$(sv invalid_lines)" 1
expect_eq "partial" "$(sv partial_lines)" 1

# The environment: Telegraf's plus environment = ["K=V"].
run_harness --env TELEX_T1=hello --save "$TMP/env.out" \
	-- bash -c 'echo "env,v=$TELEX_T1 x=1i"'
expect_eq "env" "$(cat "$TMP/env.out")" "env,v=hello x=1i"

# Output mode: stdout lines are counted as Telegraf logs them (info).
printf 'm v=1i 1\n' >"$TMP/one.lp"
run_harness --output "$TMP/one.lp" -- bash -c 'cat >/dev/null; echo hi'
expect_eq "output stdout lines" "$(sv stdout_lines)" 1
expect_eq "output fed" "$(sv fed_metrics)" 1

echo ok
