#!/usr/bin/env bash
# The documentation cannot drift from the option table: sample.conf is
# what --sample-config prints, the man page's OPTIONS come from
# --man-options, and the README names every option.
set -u
KO=$TELEX_BIN/telex-kafka-output
DIR=$TELEX_SRC/plugins/kafka_output
fail() { echo "FAIL: $*"; exit 1; }

"$KO" --sample-config >/tmp/ko-sample.$$ || fail "--sample-config: exit $?"
trap 'rm -f /tmp/ko-sample.$$' EXIT
diff -u "$DIR/sample.conf" /tmp/ko-sample.$$ ||
	fail "sample.conf differs from --sample-config; regenerate it with:
  $KO --sample-config > plugins/kafka_output/sample.conf"

names=$(sed -nE 's/^ *#? *([a-z0-9_]+) = .*/\1/p' "$DIR/sample.conf" | sort -u)
[ "$(wc -l <<<"$names")" -gt 30 ] || fail "too few options in sample.conf"
man=$TELEX_BUILD/man/telex-kafka-output.1
[ -s "$man" ] || fail "$man not built"
for n in $names; do
	grep -qF -- "$n" "$man" || fail "man page: no option $n"
	grep -q "\`$n\`\|$n\`" "$DIR/README.md" || fail "README.md: no option $n"
done
grep -q '^\.SH OPTIONS' "$man" || fail "man page: no OPTIONS section"
grep -q '@OPTIONS@\|@VERSION@' "$man" && fail "man page: a placeholder is left"
echo PASS
