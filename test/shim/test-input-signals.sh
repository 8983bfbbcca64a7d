#!/usr/bin/env bash
# Polled input under inputs.execd: one gather per request in each signal
# mode, no ticker unless -poll_interval, a ticker without double gathering,
# and a burst of stdin lines coalesced into one gather.
. "$TELEX_SRC/test/shim/lib.sh"

# The gather counts come from the exit summary, an I! line.
config "$TMP/info.conf" <<<'[[inputs.example]]'

for sig in STDIN SIGHUP SIGUSR1 SIGUSR2; do
	run_harness --signal $sig --interval 20ms --count 4 --await 3 \
		-- "$EX_IN" -config "$TMP/info.conf"
	expect_clean_exit
	expect_eq "$sig: metrics" "$(sv metrics)" 12
	expect_eq "$sig: signals" "$(sv signals_sent)" 4
	expect_eq "$sig: await timeouts" "$(sv await_timeouts)" 0
	expect_eq "$sig: gathers" "$(child_count gathers)" 4
done

# signal = "none" and no -poll_interval: nothing is gathered.
run_harness --signal none --duration 300ms -- "$EX_IN" -config "$TMP/info.conf"
expect_clean_exit
expect_eq "none: metrics" "$(sv metrics)" 0
expect_eq "none: gathers" "$(child_count gathers)" 0

# signal = "none" + -poll_interval: the program's own ticker.
run_harness --signal none --metrics 9 -- "$EX_IN" -config "$TMP/info.conf" -poll_interval 20ms
expect_clean_exit
expect_ge "ticker: metrics" "$(sv metrics)" 9
expect_eq "ticker: whole gathers" $(($(sv metrics) % 3)) 0

# STDIN + a long -poll_interval: each line is one gather, the ticker adds
# none of its own (-poll_interval_disabled is accepted, Go shim style).
run_harness --signal STDIN --interval 20ms --count 3 --await 3 \
	-- "$EX_IN" -config "$TMP/info.conf" -poll_interval 1h
expect_clean_exit
expect_eq "stdin+ticker: metrics" "$(sv metrics)" 9
run_harness --signal STDIN --interval 20ms --count 2 --await 3 \
	-- "$EX_IN" -config "$TMP/info.conf" -poll_interval 10ms -poll_interval_disabled
expect_clean_exit
expect_eq "disabled ticker: metrics" "$(sv metrics)" 6

# A burst of lines arriving together is one gather.
run_harness --signal STDIN --burst 50 --interval 20ms --count 3 --await 3 \
	-- "$EX_IN" -config "$TMP/info.conf"
expect_clean_exit
expect_eq "burst: metrics" "$(sv metrics)" 9
expect_eq "burst: gathers" "$(child_count gathers)" 3

# As a plain pipe: three lines, then EOF: one gather, exit 0.
out=$(printf '\n\n\n' | "$EX_IN" 2>"$CHILD_ERR")
expect_eq "pipe: lines" "$(printf '%s\n' "$out" | wc -l)" 3
expect_eq "pipe: gathers" "$(child_count gathers)" 1

echo ok
