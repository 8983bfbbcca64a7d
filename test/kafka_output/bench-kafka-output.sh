#!/usr/bin/env bash
# Benchmark: N realistic lines (default 1,000,000) into a 3-broker
# telex-mock-kafka topic of 64 partitions, telex-kafka-output (routing_tag
# set, topic_tag routing on) side by side with `kcat -P` (one record per
# line) on the same input and a fresh cluster each. Prints records/s, CPU
# seconds and peak RSS, and checks every record arrived.
#
#   BENCH_LINES=N  BENCH_SEED=S  make bench
set -u
: "${TELEX_BUILD:?run through make bench}"
BIN=$TELEX_BUILD/bin
N=${BENCH_LINES:-1000000}
SEED=${BENCH_SEED:-1}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/telex-bench.XXXXXX")
MK_PID=
cleanup() {
	[ -n "$MK_PID" ] && kill "$MK_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
for t in kcat /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "bench-kafka-output: $t missing"; exit 0; }
done

# The core helper's generator of libvirt-like lines.
LPGEN=$TELEX_BUILD/bench/lpgen
[ -x "$LPGEN" ] || { echo "bench-kafka-output: $LPGEN not built"; exit 1; }
"$LPGEN" "$N" "$SEED" >"$TMP/in.lp"
bytes=$(stat -c %s "$TMP/in.lp")

cluster_start() {
	mkfifo "$TMP/mk.in.$1"
	"$BIN/telex-mock-kafka" --brokers 3 --topic bench:64 \
		<"$TMP/mk.in.$1" >"$TMP/mk.out" 2>"$TMP/mk.log" &
	MK_PID=$!
	exec {MK_IN}>"$TMP/mk.in.$1"
	for _ in $(seq 100); do [ -s "$TMP/mk.out" ] && break; sleep 0.05; done
	BOOT=$(head -n 1 "$TMP/mk.out")
}

cluster_stop() {
	exec {MK_IN}>&-
	wait "$MK_PID" 2>/dev/null
	MK_PID=
	rm -f "$TMP/mk.out"
}

# Records appended to the topic: the sum of its partitions' end offsets
# (the mock forgets old records past ~5 MB per partition, not offsets).
records() {
	local args=() p
	for p in $(seq 0 63); do args+=(-t "bench:$p:-1"); done
	timeout 60 kcat -Q -b "$BOOT" "${args[@]}" |
		awk '{n += $NF} END {print n + 0}'
}

# run NAME SETUP: SETUP fills CMD once the cluster is up; stdin is the
# input; one table row.
run() {
	local name=$1
	cluster_start "${name//[^a-z0-9]/_}"
	"$2"
	/usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "${CMD[@]}" \
		<"$TMP/in.lp" >/dev/null 2>"$TMP/err"
	local rc=$? wall user sys rss got want=$N
	read -r wall user sys rss <"$TMP/time"
	got=$(records)
	# Packed: as many records as telex says it delivered.
	[ "${PACK:-1}" = 1 ] || want=$(sed -nE \
		's/.*, ([0-9]+) delivered in ([0-9]+) records.*/\1 \2/p' "$TMP/err" |
		awk -v n="$N" '$1 == n {print $2}')
	cluster_stop
	printf '%-42s %10.0f %8.2f %8.2f %9.1f %5s %s\n' "$name" \
		"$(echo "$N / $wall" | bc -l)" "$wall" \
		"$(echo "$user + $sys" | bc -l)" "$(echo "$rss / 1024" | bc -l)" \
		"$rc" "$([ "$got" = "$want" ] || echo "LOST: $got records of ${want:-?}")"
	[ $rc = 0 ] || sed 's/^/    | /' "$TMP/err" | tail -n 5
}

# telex-kafka-output reading the native table: routing_tag set, topic_tag
# routing on (the tag is absent from these lines, so every metric is
# parsed, looked up and falls back to `topic`: one topic, as for kcat).
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
# kcat's records have no key: librdkafka's sticky partitioner puts a
# whole burst on one partition (fast: few, large batches). telex's have
# keys (routing_tag), spread over the 64 partitions; the second kcat row
# spreads its records too.
kcat_spread_setup() {
	CMD=(kcat -P -b "$BOOT" -t bench -X sticky.partitioning.linger.ms=0)
}
kcat_setup() { CMD=(kcat -P -b "$BOOT" -t bench); }

printf 'kafka output: %d lines of %d bytes on average, 3 mock brokers, 64 partitions\n' \
	"$N" $((bytes / N))
printf '%-42s %10s %8s %8s %9s %5s\n' "" records/s wall_s cpu_s rss_MiB exit
run "kcat -P (one record per line)" kcat_setup
run "kcat -P, sticky.partitioning.linger.ms=0" kcat_spread_setup
run "telex-kafka-output" telex_setup
PACK=100 run "telex-kafka-output metrics_per_record=100" telex_setup
