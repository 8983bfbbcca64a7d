#!/usr/bin/env bash
# Benchmark: N realistic lines (lpgen, default 1,000,000) into a 3-broker
# telex-mock-kafka topic of 64 partitions: telex-kafka-output reading the
# native table (routing_tag set, topic_tag routing on) side by side with
# `kcat -P` (one record per line), same input, a fresh cluster per run.
# Each row is the median of BENCH_RUNS runs (default 3) by records/s:
# records/s (wall clock, start to exit, everything delivered), the tool's
# CPU seconds and peak RSS, the mock cluster's CPU seconds, and a check
# that every record arrived.
#
#   make bench [BENCH_LINES=N] [BENCH_SEED=S] [BENCH_RUNS=R]
set -u
: "${TELEX_BUILD:?run through make bench}"
BIN=$TELEX_BUILD/bin
N=${BENCH_LINES:-1000000}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/telex-bench.XXXXXX")
MK_PID=
cleanup() {
	[ -n "$MK_PID" ] && kill "$MK_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
for t in kcat /usr/bin/time bc; do
	command -v "$t" >/dev/null || {
		echo "bench-kafka-output: $t missing, skipped"
		exit 0
	}
done

# The core helper's generator of libvirt-like lines.
LPGEN=$TELEX_BUILD/bench/lpgen
[ -x "$LPGEN" ] || { echo "bench-kafka-output: $LPGEN not built"; exit 1; }
"$LPGEN" "$N" "$SEED" >"$TMP/in.lp"
bytes=$(stat -c %s "$TMP/in.lp")

cluster_start() {
	rm -f "$TMP/mk.in" "$TMP/mk.out"
	mkfifo "$TMP/mk.in"
	"$BIN/telex-mock-kafka" --brokers 3 --topic bench:64 \
		<"$TMP/mk.in" >"$TMP/mk.out" 2>"$TMP/mk.log" &
	MK_PID=$!
	exec {MK_IN}>"$TMP/mk.in"
	for _ in $(seq 100); do [ -s "$TMP/mk.out" ] && break; sleep 0.05; done
	BOOT=$(head -n 1 "$TMP/mk.out")
}

# CPU seconds the cluster used so far (utime + stime).
cluster_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' \
		"/proc/$MK_PID/stat"
}

cluster_stop() {
	exec {MK_IN}>&-
	wait "$MK_PID" 2>/dev/null
	MK_PID=
}

# Records appended to the topic: the sum of its partitions' end offsets
# (the mock forgets old records past ~5 MB per partition, not offsets).
records() {
	local args=() p
	for p in $(seq 0 63); do args+=(-t "bench:$p:-1"); done
	timeout 60 kcat -Q -b "$BOOT" "${args[@]}" |
		awk '{n += $NF} END {print n + 0}'
}

# once NAME SETUP: one run; prints "records/s wall cpu rss_MiB mock_cpu
# exit note". SETUP fills CMD (and WANT, the records expected) once the
# cluster is up.
once() {
	cluster_start
	WANT=$N
	"$2"
	/usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "${CMD[@]}" \
		<"$TMP/in.lp" >/dev/null 2>"$TMP/err"
	local rc=$? wall user sys rss got mock note=
	read -r wall user sys rss <"$TMP/time"
	mock=$(cluster_cpu)
	[ -n "${PACKED:-}" ] && WANT=$(sed -nE \
		's/.*: ([0-9]+) metrics taken, ([0-9]+) delivered in ([0-9]+) records.*/\1 \2 \3/p' \
		"$TMP/err" | awk -v n="$N" '$1 == n && $2 == n {print $3}')
	got=$(records)
	cluster_stop
	[ "$got" = "$WANT" ] || note="LOST: $got records of ${WANT:-?}"
	[ $rc = 0 ] || note="$note exit $rc: $(tail -n 1 "$TMP/err")"
	printf '%.0f %.2f %.2f %.1f %s %s\n' "$(echo "$N / $wall" | bc -l)" \
		"$wall" "$(echo "$user + $sys" | bc -l)" \
		"$(echo "$rss / 1024" | bc -l)" "$mock" "$note"
}

# run NAME SETUP: the median of RUNS runs, one table row.
run() {
	local i
	for i in $(seq "$RUNS"); do once "$1" "$2"; done | sort -n >"$TMP/runs"
	local mid
	mid=$(sed -n "$(((RUNS + 1) / 2))p" "$TMP/runs")
	# shellcheck disable=SC2086
	set -- "$1" $mid
	printf '%-44s %10s %7s %7s %8s %8s  %s\n' "$1" "$2" "$3" "$4" "$5" \
		"$6" "${*:7}"
}

# telex-kafka-output reading the native table: routing_tag set, topic_tag
# routing on (the tag is absent from these lines: every metric is looked
# up and falls back to `topic`, one topic as for kcat).
telex_setup() {
	cat >"$TMP/telex.conf" <<EOF
[[outputs.kafka]]
  brokers = ["${BOOT//,/\", \"}"]
  topic = "bench"
  routing_tag = "host"
  topic_tag = "kafka_topic"
  stats_interval = "0s"
  metrics_per_record = ${PACK:-1}
EOF
	CMD=("$BIN/telex-kafka-output" -config "$TMP/telex.conf")
}
telex_packed_setup() { PACK=100 telex_setup; }
# kcat's records have no key: librdkafka's sticky partitioner puts a
# whole burst on one partition (few, large batches). telex's have keys
# (routing_tag), spread over the 64 partitions; the second kcat row
# spreads its records the same way.
kcat_setup() { CMD=(kcat -P -b "$BOOT" -t bench); }
kcat_spread_setup() {
	CMD=(kcat -P -b "$BOOT" -t bench -X sticky.partitioning.linger.ms=0)
}

printf 'kafka output: %d lines of %d bytes on average into 3 mock brokers, 64 partitions; median of %d runs\n' \
	"$N" $((bytes / N)) "$RUNS"
printf '%-44s %10s %7s %7s %8s %8s\n' "" records/s wall_s cpu_s rss_MiB mock_cpu
run "kcat -P (one record per line)" kcat_setup
run "kcat -P, sticky.partitioning.linger.ms=0" kcat_spread_setup
run "telex-kafka-output" telex_setup
PACKED=1 run "telex-kafka-output, metrics_per_record=100" telex_packed_setup
