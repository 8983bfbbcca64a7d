#!/usr/bin/env bash
# No loss across rebalances: two consumers of one group over 8 partitions
# while records keep coming; the second joins in the middle, then the
# first leaves. Every record must be in the union of their outputs; the
# duplicates (records both printed) are counted and reported. Run with the
# eager "range" strategy and with "sticky" (cooperative, incremental).
# librdkafka's mock coordinator refuses commits while a rebalance is in
# progress (Kafka accepts them until the group completes the rebalance), so
# with the eager protocol the records written since the last periodic
# commit come again: the duplicates reported are mostly that window.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

N=${KC_REBALANCE_RECORDS:-30000}
mk_start --brokers 3 --topic range:8 --topic sticky:8

# To TOPIC, the ids FIRST..LAST in chunks of 200, one chunk every 0.1 s,
# from one producer in the background.
produce_slowly() {
	local topic=$1 first=$2 last=$3
	kc_close_fds
	for ((i = first; i <= last; i += 200)); do
		seq "$i" $((i + 199 < last ? i + 199 : last)) |
			awk '{print "m,src=rb id=" $1 "i " $1}'
		sleep 0.1
	done | mk_produce "$topic" -X sticky.partitioning.linger.ms=0
}

run() {
	local strategy=$1 first=$2 last=$3
	local a=$strategy-a b=$strategy-b
	kc_conf "$MK_TMP/$strategy.conf" "topics = [\"$strategy\"]" \
		"consumer_group = \"rb-$strategy\"" \
		"balance_strategy = \"$strategy\"" \
		-- '"auto.commit.interval.ms" = 1000'
	kc_start "$a" "$MK_TMP/$strategy.conf"
	kc_wait_log "$a" 'assigned 8 partition'
	produce_slowly "$strategy" "$first" "$last" &
	local producer=$!
	mk_at_exit "kill $producer 2>/dev/null"
	kc_wait_lines "$a" 2000
	kc_start "$b" "$MK_TMP/$strategy.conf"
	kc_wait_log "$b" 'assigned [1-8] partition'
	kc_wait_lines "$b" 500
	kc_eof "$a"
	wait $producer || mk_fail "the producer failed"
	local i got=0
	for i in $(seq $((MK_TIMEOUT * 10))); do
		got=$(cat "$(kc_out "$a")" "$(kc_out "$b")" |
			kc_ids /dev/stdin | awk -v a="$first" -v b="$last" \
			'$1 >= a && $1 <= b' | sort -un | wc -l)
		[ "$got" -eq $((last - first + 1)) ] && break
		sleep 0.2
	done
	kc_eof "$b"
	local all dups most
	all=$(cat "$(kc_out "$a")" "$(kc_out "$b")" | kc_ids /dev/stdin |
		awk -v a="$first" -v b="$last" '$1 >= a && $1 <= b')
	mk_eq "$strategy: records lost" "" "$(comm -23 <(seq "$first" "$last" |
		sort) <(sort -u <<<"$all"))"
	dups=$(($(wc -l <<<"$all") - got))
	most=$(uniq -c <<<"$all" | awk '$1 > m {m = $1} END {print m + 0}')
	echo "$strategy: $((last - first + 1)) records, $dups duplicates" \
		"(a printed $(kc_lines "$a"), b $(kc_lines "$b"))"
	# Each of the two rebalances can repeat a record once at most.
	[ "$most" -le 3 ] || mk_fail "$strategy: a record printed $most times"
	grep -h 'commits' "$(kc_err "$a")" "$(kc_err "$b")"
}

run range 1 "$N"
run sticky $((N + 1)) $((2 * N))
echo PASS
