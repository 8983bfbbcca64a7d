#!/usr/bin/env bash
# What the output runner does with its input: invalid lines skipped,
# counted and logged (rate-limited, with the line number); blank and
# comment lines ignored; a 10 MB metric and strings holding raw newlines
# delivered intact; a last line without '\n' still delivered.
. "$TELEX_SRC/test/shim/lib.sh"

config "$TMP/out.conf" <<EOF
[[outputs.example]]
  file = "$TMP/got.lp"
EOF

# Invalid lines among valid ones.
{
	echo 'm v=1i 1'
	echo 'this line has no fields'
	echo ''
	echo '# a comment'
	echo 'm v=2i 2'
	echo ',bad v=1'
	echo 'm v=3i 3'
	for i in $(seq 1 50); do echo "no fields here $i"; done
	echo 'm v=4i 4'
} >"$TMP/mixed.lp"
grep '^m v=' "$TMP/mixed.lp" >"$TMP/want.lp"
run_harness --output "$TMP/mixed.lp" -- "$EX_OUT" -config "$TMP/out.conf"
expect_clean_exit
cmp -s "$TMP/want.lp" "$TMP/got.lp" || fail "valid lines not delivered as fed"
expect_eq "invalid lines counted" "$(child_count 'invalid lines skipped')" 52
expect_eq "metrics read" "$(child_count 'metrics read')" 4
# Rate-limited: the first one with its position, then one line with the
# count of the suppressed ones at exit.
grep -q '^W! invalid line protocol skipped: .* 2:' "$CHILD_ERR" ||
	fail "first invalid line not reported with its line number"
# (and the exit summary, a warning since lines were skipped)
expect_eq "W! lines" "$(sv stderr_warn)" 3
grep -q '^W! 51 more invalid line' "$CHILD_ERR" || fail "no suppressed count"

# A 10 MB metric and strings with raw newlines, as Telegraf writes them.
big=$(head -c 7500000 /dev/urandom | base64 -w 0)
{
	echo 'small v=1i 1'
	printf 'big,k=v s="%s" 2\n' "$big"
	printf 'nl s="first\nsecond\n\nfourth",v=1i 3\n'
	printf 'esc s="a \\"quoted\\"\nline \\\\",v=2i 4\n'
	printf 'crlf v=5i 5\r\n'
	printf 'last v=6i 6'
} >"$TMP/big.lp"
rm -f "$TMP/got.lp"
run_harness --output "$TMP/big.lp" --batch-size 2 \
	-- "$EX_OUT" -config "$TMP/out.conf" -flush_timeout 60s
expect_clean_exit
expect_eq "metrics read" "$(child_count 'metrics read')" 6
expect_eq "invalid" "$(child_count 'invalid lines skipped')" 0
# Delivered byte for byte; CRLF becomes LF and the unterminated last line
# gets its '\n' (the plugin sees metric texts, not terminators).
{ sed 's/\r$//' "$TMP/big.lp"; echo; } | cmp -s - "$TMP/got.lp" ||
	fail "big metric or newline strings changed"

# The same through the input side: a huge field and a raw newline reach
# stdout whole, counted as one metric each.
config "$TMP/in.conf" <<'EOF'
[[inputs.example]]
  count = 2
  newline_string = true
  big_field = 10485760
EOF
run_harness --signal STDIN --interval 10ms --count 1 --await 2 \
	--save "$TMP/in.lp" -- "$EX_IN" -config "$TMP/in.conf"
expect_clean_exit
expect_eq "input metrics" "$(sv metrics)" 2
expect_ge "input bytes" "$(sv stdout_bytes)" 20971520

echo ok
