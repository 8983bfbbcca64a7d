#!/usr/bin/env bash
# Benchmark: N realistic lines (lpgen, default 1,000,000) into a 3-broker
# telex-mock-kafka topic of 64 partitions: telex-kafka-output reading the
# native table (routing_tag set, topic_tag routing on), in memory mode and
# with a spool (spool_dir, the default spool_fsync), side by side with
# `kcat -P` (one record per line), same input, a fresh cluster per run.
# Then the spool's replay: REPLAY_MB (default 1024) of lines spooled with
# the brokers down, then delivered by a fresh start once they are up.
# Each row is the median of BENCH_RUNS runs (default 3) by records/s,
# the rows' runs interleaved:
# records/s (wall clock, start to exit, everything delivered), the tool's
# CPU seconds and peak RSS, the mock cluster's CPU seconds, and a check
# that every record arrived.
#
#   make bench [BENCH_LINES=N] [BENCH_SEED=S] [BENCH_RUNS=R]
#   KOUT_BENCH_BASELINE=PATH  also the telex rows of another build (e.g.
#                             the last release), marked "baseline", in the
#                             same run (the same interleaving)
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
# The same lines for `kcat -K`: each one after its key, telex's key (the
# value of the routing tag "host", the last one of the series key; the
# generator writes no escapes) and a tab.
awk '{
	s = $0; sub(/ .*/, "", s); k = ""
	n = split(s, a, ",")
	for (i = n; i > 1; i--) if (substr(a[i], 1, 5) == "host=") { k = substr(a[i], 6); break }
	print k "\t" $0
}' "$TMP/in.lp" >"$TMP/keyed.lp"

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
		<"$TMP/$INPUT" >/dev/null 2>"$TMP/err"
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

# row ID NAME SETUP [INPUT [PACKED]]: a table row, run by rows(); INPUT
# (default in.lp) is the file on stdin, PACKED set for packed records.
ROWS=()
declare -A ROW_NAME ROW_SETUP ROW_INPUT ROW_PACKED RATE
row() {
	ROWS+=("$1")
	ROW_NAME[$1]=$2
	ROW_SETUP[$1]=$3
	ROW_INPUT[$1]=${4:-in.lp}
	ROW_PACKED[$1]=${5:-}
}

# The rows' runs interleaved (run i of every row, then run i + 1), so
# that load from elsewhere on the machine falls on all rows alike; each
# row is the median of its RUNS runs by records/s, kept as RATE[ID].
rows() {
	local i id mid
	for i in $(seq "$RUNS"); do
		for id in "${ROWS[@]}"; do
			INPUT=${ROW_INPUT[$id]} PACKED=${ROW_PACKED[$id]} \
				once "$id" "${ROW_SETUP[$id]}" >>"$TMP/runs.$id"
		done
	done
	for id in "${ROWS[@]}"; do
		mid=$(sort -n "$TMP/runs.$id" | sed -n "$(((RUNS + 1) / 2))p")
		RATE[$id]=${mid%% *}
		# shellcheck disable=SC2086
		set -- "${ROW_NAME[$id]}" $mid
		printf '%-44s %10s %7s %7s %8s %8s  %s\n' "$1" "$2" "$3" \
			"$4" "$5" "$6" "${*:7}"
	done
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
	[ -n "${SPOOL:-}" ] && rm -rf "$TMP/spool" &&
		echo "  spool_dir = \"$TMP/spool\"" >>"$TMP/telex.conf"
	CMD=("${KO_BIN:-$BIN/telex-kafka-output}" -config "$TMP/telex.conf")
}
telex_packed_setup() { PACK=100 telex_setup; }
telex_spool_setup() { SPOOL=1 telex_setup; }
base_setup() { KO_BIN=$KOUT_BENCH_BASELINE telex_setup; }
base_spool_setup() { KO_BIN=$KOUT_BENCH_BASELINE SPOOL=1 telex_setup; }
base_packed_setup() { KO_BIN=$KOUT_BENCH_BASELINE PACK=100 telex_setup; }
# kcat's records have no key: librdkafka's sticky partitioner puts a
# whole burst on one partition (few, large batches). telex's have keys
# (routing_tag), spread over the 64 partitions by fnv1a_random. The
# second kcat row spreads keyless records one by one; the third sends
# telex's own keys with telex's partitioner: like for like.
kcat_setup() { CMD=(kcat -P -b "$BOOT" -t bench); }
kcat_spread_setup() {
	CMD=(kcat -P -b "$BOOT" -t bench -X sticky.partitioning.linger.ms=0)
}
kcat_keyed_setup() {
	CMD=(kcat -P -b "$BOOT" -t bench -K '\t' -X partitioner=fnv1a_random)
}

printf 'kafka output: %d lines of %d bytes on average into 3 mock brokers, 64 partitions; median of %d runs\n' \
	"$N" $((bytes / N)) "$RUNS"
printf '%-44s %10s %7s %7s %8s %8s\n' "" records/s wall_s cpu_s rss_MiB mock_cpu
row kcat "kcat -P (one record per line)" kcat_setup
row kcat_spread "kcat -P, sticky.partitioning.linger.ms=0" kcat_spread_setup
row kcat_keyed "kcat -P -K, telex's keys, fnv1a_random" kcat_keyed_setup \
	keyed.lp
row telex "telex-kafka-output" telex_setup
row telex_spool "telex-kafka-output, spool_dir" telex_spool_setup
row telex_packed "telex-kafka-output, metrics_per_record=100" \
	telex_packed_setup in.lp 1
if [ -n "${KOUT_BENCH_BASELINE:-}" ]; then
	[ -x "$KOUT_BENCH_BASELINE" ] || {
		echo "bench-kafka-output: $KOUT_BENCH_BASELINE not executable"
		exit 1
	}
	row base "baseline telex-kafka-output" base_setup
	row base_spool "baseline telex-kafka-output, spool_dir" \
		base_spool_setup
	row base_packed "baseline, metrics_per_record=100" \
		base_packed_setup in.lp 1
fi
rows
ratio() { echo "scale=2; ${RATE[$1]:-0} / ${RATE[$2]:-1}" | bc -l; }
printf 'records/s ratios of this run: telex / kcat -P %s, telex / kcat -P -K (same keys) %s, telex metrics_per_record=100 / kcat -P %s, telex spool / memory %s\n' \
	"$(ratio telex kcat)" "$(ratio telex kcat_keyed)" \
	"$(ratio telex_packed kcat)" "$(ratio telex_spool telex)"
[ -n "${KOUT_BENCH_BASELINE:-}" ] &&
	printf 'records/s ratios to the baseline: telex-kafka-output %s, spool_dir %s, metrics_per_record=100 %s\n' \
		"$(ratio telex base)" "$(ratio telex_spool base_spool)" \
		"$(ratio telex_packed base_packed)"

# The spool's replay: lines spooled while every broker is down (the fill:
# stdin to disk), then a fresh start with the brokers up delivers them
# all (the replay), stdin at its end at once.
REPLAY_MB=${REPLAY_MB:-1024}
[ "$REPLAY_MB" -gt 0 ] || exit 0
rlines=$((REPLAY_MB * 1024 * 1024 / (bytes / N)))
"$LPGEN" "$rlines" "$((SEED + 1))" >"$TMP/replay.lp"
rm -f "$TMP/in.lp" "$TMP/keyed.lp"
cluster_start
echo "down all" >&$MK_IN
rm -rf "$TMP/spool"
SPOOL=1 telex_setup
echo '  spool_max_bytes = "4GiB"' >>"$TMP/telex.conf"
spooled() {
	"$BIN/telex-kafka-output" --spool-status "$TMP/spool" 2>/dev/null |
		sed -n 's/^records: //p'
}
start=$(date +%s.%N)
/usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "${CMD[@]}" \
	<"$TMP/replay.lp" >/dev/null 2>"$TMP/err" &
filler=$!
# Filled once every line is in the spool (the exit comes 2 s later: it
# waits that long for a delivery before it keeps the rest).
while kill -0 $filler 2>/dev/null && [ "$(spooled)" != "$rlines" ]; do
	sleep 0.05
done
fwall=$(echo "$(date +%s.%N) - $start" | bc -l)
wait $filler
read -r _ fuser fsys frss <"$TMP/time"
spooled=$(spooled)
sbytes=$(du -sb "$TMP/spool" | cut -f1)
rm -f "$TMP/replay.lp"
echo "up all" >&$MK_IN
/usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "${CMD[@]}" -flush_timeout 600s \
	</dev/null >/dev/null 2>"$TMP/err"
rc=$?
read -r wall user sys rss <"$TMP/time"
got=$(records)
mock=$(cluster_cpu)
cluster_stop
note=
[ "$got" = "$rlines" ] && [ "$spooled" = "$rlines" ] ||
	note="LOST: $spooled spooled, $got delivered of $rlines"
[ $rc = 0 ] || note="$note exit $rc: $(tail -n 1 "$TMP/err")"
printf '\nspool replay: %d lines (%d MB of lines, %d MB of spool), brokers down while spooled, then up\n' \
	"$rlines" "$REPLAY_MB" $((sbytes / 1000000))
printf '%-44s %10s %7s %7s %8s %8s\n' "" records/s wall_s cpu_s rss_MiB mock_cpu
printf '%-44s %10.0f %7.2f %7.2f %8.1f %8s  (lines/s into the spool)\n' \
	"fill: stdin to the spool, brokers down" "$(echo "$rlines / $fwall" | bc -l)" \
	"$fwall" "$(echo "$fuser + $fsys" | bc -l)" "$(echo "$frss / 1024" | bc -l)" -
printf '%-44s %10.0f %7.2f %7.2f %8.1f %8s  %s\n' \
	"replay: the spool to Kafka, a fresh start" "$(echo "$rlines / $wall" | bc -l)" \
	"$wall" "$(echo "$user + $sys" | bc -l)" "$(echo "$rss / 1024" | bc -l)" \
	"$mock" "$note"
