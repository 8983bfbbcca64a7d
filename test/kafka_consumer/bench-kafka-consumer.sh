#!/usr/bin/env bash
# Consumer benchmark: 1,000,000 libvirt-like lines (lpgen) in a 64-partition
# topic of a 3-broker telex-mock-kafka; each run is a new consumer group
# reading all of it into a sink that counts lines. Side by side:
#  - kcat -G with librdkafka's defaults, and with telex's fetch and malloc
#    settings;
#  - telex-kafka-consumer validating every line with topic_tag on (every
#    line re-serialised), and without options (original bytes).
# Columns: time to the first line (mostly the group join, 3 s in the mock),
# stream time and rate from first to last line, CPU seconds (user+sys) and
# peak RSS of the consumer process.
#   KC_BENCH_RECORDS=N      records (default 1000000)
#   KC_BENCH_RDKAFKA="p=v ..."  extra librdkafka properties for telex
#   KC_BENCH_ONLY=telex     only the telex rows (when tuning)
#   KC_BENCH_BASELINE=PATH  also the telex rows of another build (e.g. the
#                           last release), marked "baseline", in the same run
set -u
TELEX_BIN=${TELEX_BIN:-$TELEX_BUILD/bin}
. "$TELEX_SRC/test/mock_kafka/lib.sh"
mk_need kcat
N=${KC_BENCH_RECORDS:-1000000}
LPGEN=$TELEX_BUILD/bench/lpgen
SINK=$TELEX_BUILD/test/kafka_consumer/kc-bench-sink
KC=$TELEX_BIN/telex-kafka-consumer
for f in "$LPGEN" "$SINK" "$KC"; do
	[ -x "$f" ] || mk_fail "$f not built"
done
[ -x /usr/bin/time ] || mk_fail "/usr/bin/time is missing (Debian: time)"

mk_start --brokers 3 --topic bench:64 --topic idle:64
"$LPGEN" "$N" 42 | timeout 300 kcat -P -b "$MK_BOOTSTRAP" -t bench \
	-X sticky.partitioning.linger.ms=0 -X linger.ms=50 \
	-X queue.buffering.max.messages=1000000 ||
	mk_fail "producing the benchmark records failed"
bytes=$("$LPGEN" "$N" 42 | wc -c)

# The fetch and malloc settings telex uses (kc_options.c, main() in
# kc_main.c), for the second kcat run.
TELEX_FETCH=(-X queued.min.messages=16384 -X queued.max.messages.kbytes=8192
	-X fetch.max.bytes=1048576)

row() { # NAME TIMEFILE SINKFILE
	local name=$1 lines first last el user sys rss
	read -r lines first last <"$3"
	read -r el user sys rss <"$2"
	awk -v n="$name" -v l="$lines" -v f="$first" -v t="$last" \
		-v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
		st = t - f; if (st <= 0) st = 0.001
		printf "%-34s %8d %6.2f %6.2f %10.0f %6.2f %7.1f\n",
			n, l, f, st, l / st, u + s, r / 1024 }'
	echo "$(awk -v l="$lines" -v f="$first" -v t="$last" \
		'BEGIN {st = t - f; if (st <= 0) st = 0.001; print l / st}')" \
		>"$MK_TMP/rate.$4"
}

run_kcat() { # NAME KEY [kcat -X options]
	local name=$1 key=$2
	shift 2
	env ${KC_KCAT_ENV:-} /usr/bin/time -o "$MK_TMP/time.$key" -f "%e %U %S %M" \
		kcat -b "$MK_BOOTSTRAP" -G "bench-$key-$$" -X auto.offset.reset=earliest \
		"$@" -e -q -f '%s\n' bench 2>/dev/null |
		"$SINK" "$N" >"$MK_TMP/sink.$key"
	row "$name" "$MK_TMP/time.$key" "$MK_TMP/sink.$key" "$key"
}

run_telex() { # NAME KEY [TOML line]
	local name=$1 key=$2 extra=${3:-} p fd
	{
		echo '[[inputs.kafka_consumer]]'
		echo "  brokers = [\"${MK_BOOTSTRAP//,/\", \"}\"]"
		echo '  topics = ["bench"]'
		echo "  consumer_group = \"bench-$key-$$\""
		[ -n "$extra" ] && echo "  $extra"
		echo '  [inputs.kafka_consumer.librdkafka]'
		for p in ${KC_BENCH_RDKAFKA:-}; do
			echo "    \"${p%%=*}\" = \"${p#*=}\""
		done
	} >"$MK_TMP/$key.conf"
	mkfifo "$MK_TMP/$key.in"
	/usr/bin/time -o "$MK_TMP/time.$key" -f "%e %U %S %M" \
		"${KC_RUN:-$KC}" -config "$MK_TMP/$key.conf" <"$MK_TMP/$key.in" \
		2>"$MK_TMP/$key.err" | "$SINK" "$N" >"$MK_TMP/sink.$key" &
	local job=$!
	exec {fd}>"$MK_TMP/$key.in"
	while [ ! -s "$MK_TMP/sink.$key" ] && kill -0 $job 2>/dev/null; do
		sleep 0.2
	done
	exec {fd}>&-
	wait $job
	row "$name" "$MK_TMP/time.$key" "$MK_TMP/sink.$key" "$key"
}

printf '\ntelex-kafka-consumer vs kcat -G: %d records (%d MB), 64 partitions, 3 brokers (telex-mock-kafka)\n' \
	"$N" $((bytes / 1000000))
printf '%-34s %8s %6s %6s %10s %6s %7s\n' consumer lines first stream \
	'lines/s' 'cpu s' 'RSS MB'
if [ "${KC_BENCH_ONLY:-}" != telex ]; then
	run_kcat "kcat -G (librdkafka defaults)" kcat
	KC_KCAT_ENV="MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=262144" \
		run_kcat "kcat -G (telex settings)" kcatt "${TELEX_FETCH[@]}"
fi
run_telex "telex (topic_tag, validating)" telex 'topic_tag = "topic"'
run_telex "telex (validating, bytes as is)" plain
if [ -n "${KC_BENCH_BASELINE:-}" ]; then
	[ -x "$KC_BENCH_BASELINE" ] || mk_fail "$KC_BENCH_BASELINE not executable"
	KC_RUN=$KC_BENCH_BASELINE run_telex "baseline (topic_tag, validating)" \
		btelex 'topic_tag = "topic"'
	KC_RUN=$KC_BENCH_BASELINE run_telex "baseline (bytes as is)" bplain
fi
# What telex holds without any record: the process and librdkafka with 64
# partitions assigned; the rest of the peak is the prefetch and fetch
# buffers.
idle_rss() {
	local fd pid i rss=0
	{
		echo '[[inputs.kafka_consumer]]'
		echo "  brokers = [\"${MK_BOOTSTRAP//,/\", \"}\"]"
		echo '  topics = ["idle"]'
		echo "  consumer_group = \"idle-$$\""
	} >"$MK_TMP/idle.conf"
	mkfifo "$MK_TMP/idle.in"
	"$KC" -config "$MK_TMP/idle.conf" <"$MK_TMP/idle.in" >/dev/null \
		2>"$MK_TMP/idle.err" &
	pid=$!
	exec {fd}>"$MK_TMP/idle.in"
	for i in $(seq 300); do
		grep -q 'assigned 64' "$MK_TMP/idle.err" && break
		sleep 0.1
	done
	sleep 1
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
	exec {fd}>&-
	wait $pid
	echo $((rss / 1024))
}
echo "telex idle, 64 partitions assigned: $(idle_rss) MB RSS"
[ "${KC_BENCH_ONLY:-}" != telex ] && awk 'BEGIN {
	getline k < ARGV[1]; getline kt < ARGV[2]; getline t < ARGV[3]
	printf "telex/kcat: %.2fx (kcat defaults), %.2fx (same fetch settings)\n",
		t / k, t / kt; exit }' "$MK_TMP/rate.kcat" "$MK_TMP/rate.kcatt" \
	"$MK_TMP/rate.telex"
grep -h 'records,' "$MK_TMP/telex.err" | sed 's/^I! /telex: /'
