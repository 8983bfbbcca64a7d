#!/usr/bin/env bash
# Output runner back-pressure: a slow plugin makes the runner stop reading
# stdin (the harness sees its writes block), and nothing is lost: every
# metric fed arrives, in order, byte for byte.
. "$TELEX_SRC/test/shim/lib.sh"

for i in $(seq 1 20000); do
	printf 'm,host=h%d,dc=a v=%di,s="x y" 1700000000%09d\n' $i $i $i
done >"$TMP/feed.lp"

config "$TMP/slow.conf" <<EOF
[[outputs.example]]
  file = "$TMP/got.lp"
  capacity = 50
  drain_interval = "1ms"
  drain_batch = 200
EOF

# Telegraf's default: one write per metric, batches of 1000. A flush
# timeout far beyond Telegraf's 5 s before SIGTERM: a runner that waited
# for the deadline instead of finishing would show as shutdown=sigterm.
run_harness --output "$TMP/feed.lp" \
	-- "$EX_OUT" -config "$TMP/slow.conf" -flush_timeout 60s
expect_clean_exit
expect_eq "fed" "$(sv fed_metrics)" 20000
expect_ge "writes that found the pipe full" "$(sv stdin_eagain)" 1
cmp -s "$TMP/feed.lp" "$TMP/got.lp" || fail "delivered != fed"
expect_ge "times stdin was paused" "$(grep -o 'stdin paused [0-9]*' "$CHILD_ERR" | grep -o '[0-9]*$')" 1
expect_eq "handed to the plugin" "$(child_count 'handed to the plugin')" 20000

# use_batch_format = true: a whole batch per write, small batches with a
# flush interval between them.
rm -f "$TMP/got.lp"
run_harness --output "$TMP/feed.lp" --batch-format --batch-size 700 \
	--flush-interval 1ms -- "$EX_OUT" -config "$TMP/slow.conf" \
	-flush_timeout 60s
expect_clean_exit
cmp -s "$TMP/feed.lp" "$TMP/got.lp" || fail "batch format: delivered != fed"

# A fast plugin: no pause needed, same result.
config "$TMP/fast.conf" <<EOF
[[outputs.example]]
  file = "$TMP/fast.lp"
EOF
run_harness --output "$TMP/feed.lp" --batch-format \
	-- "$EX_OUT" -config "$TMP/fast.conf"
expect_clean_exit
cmp -s "$TMP/feed.lp" "$TMP/fast.lp" || fail "fast: delivered != fed"
expect_eq "fast: output on stdout" "$(sv stdout_lines)" 0

echo ok
