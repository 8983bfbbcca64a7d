#!/usr/bin/env bash
# The command line every telex program shares: informational options,
# exit code 2 with an E! line for usage and config errors, log_level and
# --debug.
. "$TELEX_SRC/test/shim/lib.sh"

expect_exit() { # WANT COMMAND...: run with stdin from /dev/null
	local want=$1 rc=0
	shift
	"$@" </dev/null >"$TMP/out" 2>"$CHILD_ERR" || rc=$?
	expect_eq "exit of $*" $rc "$want"
}

expect_exit 0 "$EX_IN" --version
grep -q '^telex-example-input [0-9]' "$TMP/out" || fail "--version output"
expect_exit 0 "$EX_IN" -help
grep -q '^Usage: telex-example-input' "$TMP/out" || fail "--help output"
expect_exit 0 "$EX_IN" --sample-config
grep -q '^\[\[inputs.example\]\]' "$TMP/out" || fail "--sample-config"
grep -q 'count' "$TMP/out" || fail "--sample-config lacks an option"
expect_exit 0 "$EX_OUT" --man-options
grep -q 'capacity' "$TMP/out" || fail "--man-options lacks an option"

# Usage errors: exit 2, one E! line naming the problem, nothing else.
expect_exit 2 "$EX_IN" --bogus
grep -q '^E! unknown option "--bogus"' "$CHILD_ERR" || fail "bogus option"
expect_exit 2 "$EX_IN" stray
expect_exit 2 "$EX_IN" -config
expect_exit 2 "$EX_IN" -poll_interval soon
grep -q '^E! option -poll_interval: "soon"' "$CHILD_ERR" ||
	fail "bad duration not named"
expect_exit 2 "$EX_OUT" --once
grep -q '^E! --once applies to polled inputs only' "$CHILD_ERR" ||
	fail "--once on an output"
expect_exit 2 "$EX_IN" -config "$TMP/missing.conf"
grep -q "^E! .*missing.conf" "$CHILD_ERR" || fail "missing file not named"
[ "$(grep -vc '^E! ' "$CHILD_ERR")" -eq 0 ] || fail "lines without E!"

# Config errors name file and line (written as is: config() would add a
# log_level line).
cat >"$TMP/typo.conf" <<'EOF'
[[inputs.example]]
  count = 2
  cuont = 3
EOF
expect_exit 2 "$EX_IN" -config "$TMP/typo.conf"
grep -q "^E! .*typo.conf:3:.*cuont" "$CHILD_ERR" || fail "typo not located"

# The plugin's own init() refusing its config: exit 2.
config "$TMP/neg.conf" <<'EOF'
[[inputs.example]]
  count = -1
EOF
expect_exit 2 "$EX_IN" -config "$TMP/neg.conf" --once

# log_level from the config, --debug from the command line.
# level_conf LEVEL: $TMP/LEVEL.conf, the example input at log_level LEVEL.
level_conf() {
	printf '[[inputs.example]]\n  log_level = "%s"\n' "$1" | config "$TMP/$1.conf"
}
level_conf debug
expect_exit 0 "$EX_IN" --once -config "$TMP/debug.conf"
grep -q '^D! ' "$CHILD_ERR" || fail "log_level = debug shows no D! line"
expect_exit 0 "$EX_IN" --once
grep -q '^D! ' "$CHILD_ERR" && fail "D! lines at the default level"
expect_exit 0 "$EX_IN" --once --debug
grep -q '^D! ' "$CHILD_ERR" || fail "--debug shows no D! line"
level_conf error
expect_exit 0 "$EX_IN" --once -config "$TMP/error.conf"
[ -s "$CHILD_ERR" ] && fail "log_level = error still logs: $(cat "$CHILD_ERR")"
level_conf loud
expect_exit 2 "$EX_IN" --once -config "$TMP/loud.conf"
grep -q '^E! .*log_level.*loud' "$CHILD_ERR" || fail "bad log_level"

# Go shim spellings of an existing execd command array.
expect_exit 0 "$EX_IN" --config="$TMP/debug.conf" -poll_interval=1s \
	-poll_interval_disabled=true --once

echo ok
