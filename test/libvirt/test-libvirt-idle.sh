#!/usr/bin/env bash
# Under inputs.execd with signal = "none" (Telegraf's default) Telegraf
# never asks telex-libvirt to gather, and without -poll_interval nothing
# would ever be gathered, in silence. request_warning says so: a W! line
# once no request came for that long (then again only after ten times as
# long), none while requests come (stdin lines or the ticker).
# test:///default, no daemon needed.
. "$TELEX_SRC/test/libvirt/lib.sh"

config "$TMP/idle.conf" <<'TOML'
[[inputs.libvirt]]
  libvirt_uri = "test:///default"
  request_warning = "1s"
TOML

# run_for SECONDS OUT ERR ARGS...: the program with stdin open and nothing
# written to it for SECONDS, then EOF; it must exit 0.
run_for() {
	local secs=$1 out=$2 err=$3 pid rc=0
	shift 3
	mkfifo "$TMP/in.$$.$secs"
	"$LV" "$@" <"$TMP/in.$$.$secs" >"$out" 2>"$err" &
	pid=$!
	exec 3>"$TMP/in.$$.$secs"
	sleep "$secs"
	exec 3>&-
	wait $pid || rc=$?
	rm -f "$TMP/in.$$.$secs"
	expect_eq "exit" $rc 0
}

# Nobody asks: one warning, no metrics.
run_for 3 "$TMP/none.out" "$TMP/none.err" -config "$TMP/idle.conf"
expect_eq "metrics without requests" "$(grep -c . "$TMP/none.out")" 0
grep -q '^W! no gather request for [0-9]* s: telex-libvirt gathers when asked .*give -poll_interval$' \
	"$TMP/none.err" || fail "no warning: $(cat "$TMP/none.err")"
expect_eq "warnings in 3 s" "$(grep -c '^W! no gather request' "$TMP/none.err")" 1

# Its own ticker: no warning.
run_for 3 "$TMP/tick.out" "$TMP/tick.err" -config "$TMP/idle.conf" -poll_interval 200ms
expect_ge "ticker: metrics" "$(grep -c . "$TMP/tick.out")" 50
grep -q '^W! ' "$TMP/tick.err" && fail "ticker: $(cat "$TMP/tick.err")"

# request_warning = "0s": never.
sed 's/"1s"/"0s"/' "$TMP/idle.conf" >"$TMP/off.conf"
run_for 2 "$TMP/off.out" "$TMP/off.err" -config "$TMP/off.conf"
grep -q '^W! ' "$TMP/off.err" && fail "request_warning = 0: $(cat "$TMP/off.err")"

# Requests through stdin keep it quiet too (the harness, signal STDIN).
run_harness --signal STDIN --interval 300ms --count 8 --await 10 \
	-- "$LV" -config "$TMP/idle.conf"
expect_clean_exit
expect_eq "STDIN: warnings" "$(sv stderr_warn)" 0
echo ok
