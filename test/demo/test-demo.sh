#!/usr/bin/env bash
# `make demo` in a short run (2 s of gathers): it exits 0, its summary adds
# up (every metric delivered and consumed, none missing), and it leaves no
# process running and no temporary directory behind. The demo runs in its
# own session, so that anything it left would be found by session id.
set -u
: "${TELEX_SRC:?}" "${TELEX_BIN:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; sed 's/^/  demo: /' "$tmp/out"; exit 1; }

setsid bash -c 'ps -o sid= -p $$ >"$0/sid"; exec "$1/examples/demo/run-demo.sh" 2' \
	"$tmp" "$TELEX_SRC" >"$tmp/out" 2>&1
rc=$?
sid=$(tr -d ' ' <"$tmp/sid")
[ -n "$sid" ] || fail "no session id"
left=$(pgrep -s "$sid" -a)
if [ -n "$left" ]; then
	pkill -9 -s "$sid"
	fail "processes left running: $left"
fi
[ $rc = 0 ] || fail "exit $rc"

num() { sed -n "s/^  $1 *\([0-9][0-9]*\) .*/\1/p" "$tmp/out"; }
gathers=$(num gathers)
metrics=$(num metrics)
delivered=$(num 'records delivered')
consumed=$(num 'lines consumed')
[ -n "$gathers" ] && [ "$gathers" -ge 1 ] || fail "gathers: '$gathers'"
[ -n "$metrics" ] && [ "$metrics" -ge $((gathers * 30)) ] || fail "metrics: '$metrics'"
[ "$delivered" = "$metrics" ] || fail "delivered $delivered of $metrics"
[ "$consumed" = "$metrics" ] || fail "consumed $consumed of $metrics"
grep -q ': 0 missing, 0 duplicates$' "$tmp/out" || fail "missing or duplicated lines"
grep -q 'every metric went through; all programs exited 0' "$tmp/out" || fail "no final verdict"
# What arrived was shown: a table per gather with the demo's domains.
[ "$(grep -c '^gather [0-9]* at ' "$tmp/out")" = "$gathers" ] || fail "not one table per gather"
grep -q '^  db-01  *running  *8 ' "$tmp/out" || fail "no row for db-01"
grep -q '^  batch-01  *paused' "$tmp/out" || fail "no row for the paused domain"
# Its temporary directory is gone.
dir=$(sed -n 's|^  configs   \(.*\)/\*\.conf$|\1|p' "$tmp/out")
[ -n "$dir" ] || fail "no configs line"
[ ! -e "$dir" ] || fail "$dir left behind"
echo "ok: $gathers gathers, $metrics metrics through the demo"
