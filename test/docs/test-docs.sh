#!/usr/bin/env bash
# The pictures are made from sources in the tree: docs/architecture.svg is
# what Graphviz draws from docs/architecture.dot (every label of the source
# is in the checked-in SVG: `make docs` after editing the source), and
# test/bench/chart.sh draws the line-protocol chart from a bench_lp table,
# with the table's numbers in it and nothing when the table is missing.
set -u
: "${TELEX_SRC:?}"
for t in dot gnuplot; do
	command -v "$t" >/dev/null || { echo "skip: $t not installed"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

dot -Tsvg "$TELEX_SRC/docs/architecture.dot" -o "$tmp/arch.svg" ||
	fail "dot cannot draw docs/architecture.dot"
grep -o 'label="[^"]*"' "$TELEX_SRC/docs/architecture.dot" |
	sed 's/^label="//; s/"$//; s/\\n/\n/g' | grep -v '^$' >"$tmp/labels"
[ "$(wc -l <"$tmp/labels")" -gt 10 ] || fail "too few labels in architecture.dot"
while read -r l; do
	x=$(printf '%s' "$l" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/-/\&#45;/g')
	grep -qF ">$x</text>" "$tmp/arch.svg" || fail "dot output lacks \"$l\""
	grep -qF ">$x</text>" "$TELEX_SRC/docs/architecture.svg" ||
		fail "docs/architecture.svg lacks \"$l\" (run make docs)"
done <"$tmp/labels"

mkdir -p "$tmp/bench/results"
cat >"$tmp/bench/results/bench_lp.txt" <<'TABLE'
line protocol, one core, 299561 lines of ~224 bytes (lpgen seed 42), best of 7
operation              MB/s        lines/s      bytes        lines
split+validate       1234.6        4800401   67108897       299561
parse                 987.6        4459791   67108897       299561
write                 654.3        3031869   67108897       299561
write json            498.6        1691042   88317214       299561
write 20 fields       891.5        1763087  151467625       299561
TABLE
out=$("$TELEX_SRC/test/bench/chart.sh" "$tmp/bench/results") || fail "chart.sh failed"
[ "$out" = "$tmp/bench/line-protocol.svg" ] || fail "chart at $out"
for n in 1235 988 654 499 'split +' 'full parse' target; do
	grep -qF ">$n<" "$out" || grep -qF "$n" "$out" || fail "chart lacks $n"
done
rm "$tmp/bench/results/bench_lp.txt"
"$TELEX_SRC/test/bench/chart.sh" "$tmp/bench/results" 2>/dev/null &&
	fail "chart.sh drew a chart without bench_lp's table"
echo PASS
