#!/usr/bin/env bash
# The benchmark chart: `make bench` saves each benchmark's table in
# RESULTS/NAME.txt, then this draws RESULTS/../line-protocol.svg with
# gnuplot from bench_lp's own numbers (MB/s per operation, one core) next
# to the targets the README states. Prints the chart's path.
#   test/bench/chart.sh RESULTS-DIR
set -euo pipefail
results=$1
table=$results/bench_lp.txt
out=$(dirname "$results")/line-protocol.svg
command -v gnuplot >/dev/null || { echo "chart: gnuplot not installed (make deps)" >&2; exit 1; }
[ -s "$table" ] || { echo "chart: no $table (bench_lp did not run)" >&2; exit 1; }
data=$(dirname "$results")/line-protocol.dat
# operation, measured MB/s, target MB/s (README: 1 GB/s split+validate,
# 400 MB/s full parse and write; none for the others).
awk '
	$1 == "split+validate" { print "\"split +\\nvalidate\"", $2, 1000 }
	$1 == "parse"          { print "\"full parse\"", $2, 400 }
	$1 == "write" && NF == 5 { print "\"write\"", $2, 400 }
	$1 == "write" && $2 == "json" { print "\"write JSON\"", $3, "NaN" }
' "$table" >"$data"
[ "$(wc -l <"$data")" -ge 3 ] || { echo "chart: $table has no MB/s rows" >&2; exit 1; }
title=$(head -n 1 "$table" | sed -e 's/"/\\"/g' -e 's/~/about /g')
gnuplot <<GP
set terminal svg size 720,420 dynamic font "Helvetica,12" background "white"
set output "$out"
set title "Line protocol throughput: telex vs target\n{/*0.8 $title}"
set ylabel "MB/s"
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set bmargin 4
set key top right
set grid ytics
plot "$data" using 2:xtic(1) title "telex (make bench)" linecolor rgb "#3b7dd8", \
     "" using 3 title "target" linecolor rgb "#bbbbbb", \
     "" using 0:2:(sprintf("%.0f", \$2)) with labels offset -1.6,0.7 notitle
GP
rm -f "$data"
echo "$out"
