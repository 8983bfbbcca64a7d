#!/usr/bin/env bash
# Throughput of the shim's runners, measured with the example plugins
# (prints a table; no pass/fail):
#  - output runner: line protocol piped into telex-example-output (split,
#    validated, handed to write(), appended to /dev/null), with and without
#    a filter-free config, as one stream (a plain pipe) and through the
#    harness as Telegraf writes it (one write per metric, batches of 1000);
#  - input runner: metrics emitted per second by telex-example-input and
#    the write(2) calls per gather (strace, when installed).
set -eu
TELEX_BIN=${TELEX_BIN:-${TELEX_BUILD:?run through make bench}/bin}
EX_IN=$TELEX_BIN/telex-example-input
EX_OUT=$TELEX_BIN/telex-example-output
HARNESS=$TELEX_BIN/telex-execd-harness
N=${BENCH_METRICS:-500000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# libvirt-like lines, ~230 bytes each.
awk -v n="$N" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "libvirt_domain_block,host=hv%02d,domain=vm-%05d,uuid=6f1c%08x-0c1e-4e6b-9a4e-%012d,disk=vd%c rd_bytes=%di,wr_bytes=%di,rd_reqs=%di,wr_reqs=%di,fl_reqs=%di,name=\"vm %d\" %d\n", i % 16, i % 5000, i, i, 97 + i % 4, i * 4096, i * 512, i, i / 2, i % 7, i, 1700000000000000000 + i
}' >"$TMP/feed.lp"
bytes=$(stat -c %s "$TMP/feed.lp")

now() { date +%s.%N; }
rate() { # COUNT SECONDS
	awk -v c="$1" -v s="$2" 'BEGIN { printf "%12.0f", c / s }'
}

printf '%-44s %12s %10s %8s\n' "case" "metrics/s" "MB/s" "seconds"
row() { # NAME COUNT BYTES SECONDS
	printf '%-44s %s %10.1f %8.2f\n' "$1" "$(rate "$2" "$4")" \
		"$(awk -v b="$3" -v s="$4" 'BEGIN { print b / s / 1e6 }')" "$4"
}

printf '[[outputs.example]]\n  file = "/dev/null"\n' >"$TMP/out.conf"
t0=$(now)
"$EX_OUT" -config "$TMP/out.conf" <"$TMP/feed.lp" 2>/dev/null
t1=$(now)
row "output: file on stdin" "$N" "$bytes" "$(echo "$t1 - $t0" | bc)"

t0=$(now)
cat "$TMP/feed.lp" | "$EX_OUT" -config "$TMP/out.conf" 2>/dev/null
t1=$(now)
row "output: pipe (cat |)" "$N" "$bytes" "$(echo "$t1 - $t0" | bc)"

t0=$(now)
"$HARNESS" --quiet --summary /dev/null --stderr /dev/null \
	--output "$TMP/feed.lp" -- "$EX_OUT" -config "$TMP/out.conf"
t1=$(now)
row "output: harness, 1 write/metric, batch 1000" "$N" "$bytes" \
	"$(echo "$t1 - $t0" | bc)"

printf '[[outputs.example]]\n  file = "/dev/null"\n  namedrop = ["nothing*"]\n' \
	>"$TMP/filter.conf"
if "$EX_OUT" -config "$TMP/filter.conf" </dev/null 2>/dev/null; then
	t0=$(now)
	"$EX_OUT" -config "$TMP/filter.conf" <"$TMP/feed.lp" 2>/dev/null
	t1=$(now)
	row "output: with a filter (parse each metric)" "$N" "$bytes" \
		"$(echo "$t1 - $t0" | bc)"
fi

G=$((N / 2))
printf '[[inputs.example]]\n  count = %d\n' "$G" >"$TMP/in.conf"
t0=$(now)
"$EX_IN" --once -config "$TMP/in.conf" >"$TMP/in.lp" 2>/dev/null
t1=$(now)
row "input: --once, $G metrics to a file" "$G" \
	"$(stat -c %s "$TMP/in.lp")" "$(echo "$t1 - $t0" | bc)"
t0=$(now)
"$EX_IN" --once -config "$TMP/in.conf" 2>/dev/null | cat >/dev/null
t1=$(now)
row "input: --once, $G metrics to a pipe" "$G" \
	"$(stat -c %s "$TMP/in.lp")" "$(echo "$t1 - $t0" | bc)"

if command -v strace >/dev/null; then
	printf '[[inputs.example]]\n  count = 1000\n' >"$TMP/k.conf"
	printf '\n\n\n\n\n' >"$TMP/5lines"
	for lines in 1 5; do
		head -c $lines "$TMP/5lines" | strace -f -e trace=write -o \
			"$TMP/strace" "$EX_IN" -config "$TMP/k.conf" \
			>/dev/null 2>/dev/null
		printf '%-44s %12s\n' \
			"input: write(2) to stdout, $lines line(s) of stdin" \
			"$(grep -c '^[0-9]* *write(1,' "$TMP/strace")"
	done
	echo "(1000 metrics per gather; a burst of lines is one gather)"
fi
