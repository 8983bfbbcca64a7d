#!/usr/bin/env bash
# Telegraf's per-plugin options inside the program: inputs get
# name_override, [inputs.X.tags] and field filters applied in telex_emit();
# outputs drop and trim what namedrop/fieldexclude say before write().
# Metrics nothing changed keep their original bytes.
. "$TELEX_SRC/test/shim/lib.sh"

config "$TMP/in.conf" <<'EOF'
[[inputs.example]]
  count = 2
  name_override = "renamed"
  fieldexclude = ["value"]
  [inputs.example.tags]
    dc = "x"
EOF
"$EX_IN" --once -config "$TMP/in.conf" >"$TMP/in.lp" 2>"$CHILD_ERR" ||
	fail "input with filters: exit $?"
sed 's/ [0-9]*$//' "$TMP/in.lp" >"$TMP/in.notime"
printf '%s\n' 'renamed,dc=x,gather=1,i=0 seq=0i' \
	'renamed,dc=x,gather=1,i=1 seq=1i' | cmp -s - "$TMP/in.notime" ||
	fail "input filters: got $(cat "$TMP/in.lp")"

# namepass drops whole gathers' metrics: counted, not written.
config "$TMP/pass.conf" <<'EOF'
[[inputs.example]]
  namepass = ["other"]
EOF
"$EX_IN" --once -config "$TMP/pass.conf" >"$TMP/pass.lp" 2>"$CHILD_ERR"
expect_eq "namepass: lines" "$(wc -l <"$TMP/pass.lp")" 0
expect_eq "namepass: dropped" "$(child_count 'dropped by filters')" 3

# Parsed metrics go out as they came unless a filter changed them.
config "$TMP/parsed.conf" <<'EOF'
[[inputs.example]]
  count = 1
  parsed = true
EOF
"$EX_IN" --once -config "$TMP/parsed.conf" >"$TMP/parsed.lp" 2>"$CHILD_ERR"
grep -q '^example,gather=1,i=0 seq=0i,value=0.5 [0-9]*$' "$TMP/parsed.lp" ||
	fail "parsed: $(cat "$TMP/parsed.lp")"

config "$TMP/out.conf" <<EOF
[[outputs.example]]
  file = "$TMP/out.lp"
  namedrop = ["drop*"]
  fieldexclude = ["secret"]
EOF
printf '%s\n' 'keep v=1i,secret=2i 1' 'drop_me v=1i 2' 'keep2  v=3i 3' \
	'only secret=1i 4' >"$TMP/feed.lp"
run_harness --output "$TMP/feed.lp" -- "$EX_OUT" -config "$TMP/out.conf"
expect_clean_exit
printf '%s\n' 'keep v=1i 1' 'keep2  v=3i 3' | cmp -s - "$TMP/out.lp" ||
	fail "output filters: got $(cat "$TMP/out.lp")"
expect_eq "output: dropped" "$(child_count 'dropped by filters')" 2
expect_eq "output: taken" "$(child_count 'handed to the plugin')" 2

echo ok
