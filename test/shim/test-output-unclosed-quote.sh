#!/usr/bin/env bash
# An unclosed '"' in an output's input: a string may span physical lines
# only up to 1 MiB, so the first line is the bad one (counted, logged with
# its position) and every line after it is read; memory stays bounded
# with 64 MB of lines after it; lines crafted so that each one closes the
# string before it and opens another are read in linear time.
. "$TELEX_SRC/test/shim/lib.sh"

printf '[[outputs.example]]\n  file = "%s"\n' "$TMP/got.lp" >"$TMP/out.conf"
printf '[[outputs.example]]\n' >"$TMP/null.conf"

# A bad line between good ones, far more than 1 MiB of them after it.
{
	echo 'm v=0i 0'
	echo 'm f="abc 1'
	seq 1 200000 | sed 's/.*/m,t=a v=&i &/'
} >"$TMP/bad.lp"
grep -v 'abc' "$TMP/bad.lp" >"$TMP/want.lp"
run_harness --output "$TMP/bad.lp" -- "$EX_OUT" -config "$TMP/out.conf"
expect_eq "exit code" "$(sv exit_code)" 0
cmp -s "$TMP/want.lp" "$TMP/got.lp" ||
	fail "good lines lost: $(wc -l <"$TMP/got.lp") of 200001 delivered"
expect_eq "invalid lines" "$(child_count 'invalid lines skipped')" 1
grep -q '^W! invalid line protocol skipped: expected closing quote .* at 2:5 (a string opened on this line' \
	"$CHILD_ERR" || fail "the bad line was not logged with its position"

# The next '"' within the bound: the lines up to it are read, and so is
# the line that holds it.
{
	echo 'm f="abc 1'
	for i in $(seq 1 22); do echo "m v=${i}i"; done
	echo 'x s="y" 1'
} >"$TMP/near.lp"
tail -n 23 "$TMP/near.lp" >"$TMP/want.lp"
rm -f "$TMP/got.lp"
run_harness --output "$TMP/near.lp" -- "$EX_OUT" -config "$TMP/out.conf"
cmp -s "$TMP/want.lp" "$TMP/got.lp" ||
	fail "lines before the next quote lost: $(cat "$TMP/got.lp")"
expect_eq "invalid lines (near)" "$(child_count 'invalid lines skipped')" 1

# Memory: 64 MB (900,000 lines) after an unclosed quote, through a pipe; the
# peak is read before the pipe closes.
mkfifo "$TMP/in"
"$EX_OUT" -config "$TMP/null.conf" <"$TMP/in" 2>"$CHILD_ERR" &
pid=$!
exec {feed}>"$TMP/in"
{
	echo 'm f="abc 1'
	yes 'm,host=hv1,domain=vm-0001 cpu_time=7.5,vcpus=2i 1700000000001000000' |
		head -n 900000
} >&$feed
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$pid/status)
exec {feed}>&-
rc=0
wait $pid || rc=$?
expect_eq "exit code (64 MB)" $rc 0
[ -n "$hwm" ] || fail "no VmHWM for pid $pid"
((hwm < 40000)) || fail "peak RSS $hwm kB for 64 MB of input (want < 40000)"
expect_eq "invalid lines (64 MB)" "$(child_count 'invalid lines skipped')" 1
expect_eq "metrics (64 MB)" "$(child_count 'metrics read')" 900000

# Each line closes the string the line before opened and opens another:
# every line is bad, and the work stays linear (no line is walked again
# from each of the lines before it).
yes 'm f=",x",g="' | head -n 200000 >"$TMP/chain.lp"
start=$SECONDS
run_harness --output "$TMP/chain.lp" -- "$EX_OUT" -config "$TMP/null.conf"
expect_eq "chained quotes: invalid" \
	"$(child_count 'invalid lines skipped')" 200000
((SECONDS - start < 20)) || fail "chained quotes took $((SECONDS - start)) s"

echo ok
