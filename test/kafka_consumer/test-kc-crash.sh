#!/usr/bin/env bash
# Crash: kill -9 in the middle of a stream, then start again in the same
# group. Nothing may be lost, nothing may have been committed that was not
# written, and every record printed twice must be from the uncommitted
# window (at or after the committed offset of its partition at the crash).
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

N=${KC_CRASH_RECORDS:-30000}
mk_start --brokers 3 --topic crash:8

produce_slowly() {
	kc_close_fds
	for ((i = 1; i <= N; i += 200)); do
		seq "$i" $((i + 199 < N ? i + 199 : N)) |
			awk '{print "m,src=crash id=" $1 "i " $1}'
		sleep 0.1
	done | mk_produce crash -X sticky.partitioning.linger.ms=0
}

kc_conf "$MK_TMP/crash.conf" 'topics = ["crash"]' 'consumer_group = "crash"' \
	-- '"auto.commit.interval.ms" = 1000'
kc_start first "$MK_TMP/crash.conf"
kc_wait_log first 'assigned 8 partition'
produce_slowly &
producer=$!
mk_at_exit "kill $producer 2>/dev/null"
kc_wait_lines first $((N / 3))
kc_kill first
kc_committed crash crash | sort >"$MK_TMP/committed"
printed_first=$(kc_lines first)

kc_start second "$MK_TMP/crash.conf"
wait $producer || mk_fail "the producer failed"
all_ids() { cat "$(kc_out first)" "$(kc_out second)" | kc_ids /dev/stdin; }
for i in $(seq $((MK_TIMEOUT * 5))); do
	[ "$(all_ids | sort -un | wc -l)" -eq "$N" ] && break
	sleep 0.2
done
kc_eof second

mk_eq "records lost" "" "$(comm -23 <(seq 1 "$N" | sort) <(all_ids | sort -u))"

# Where each id is: "id partition offset".
mk_consume crash '%p %o %s\n' |
	sed -n 's/^\([0-9]*\) \([0-9]*\) .* id=\([0-9]*\)i.*/\3 \1 \2/p' |
	sort -k1,1 >"$MK_TMP/where"
# Committed at the crash, by partition.
declare -A committed
while read -r _ p off; do committed[$p]=$off; done <"$MK_TMP/committed"

# 1. Nothing committed beyond what the first consumer wrote: every record
# below its partition's committed offset is in its output.
kc_ids "$(kc_out first)" | sort -u >"$MK_TMP/first.ids"
missing=$(join -v1 "$MK_TMP/where" "$MK_TMP/first.ids" |
	while read -r id p off; do
		[ "$off" -lt "${committed[$p]:--1}" ] && echo "$id@$p:$off"
	done | head -5)
mk_eq "committed but never written" "" "$missing"

# 2. Every duplicate is from the uncommitted window.
kc_ids "$(kc_out second)" | sort -u >"$MK_TMP/second.ids"
join "$MK_TMP/first.ids" "$MK_TMP/second.ids" >"$MK_TMP/dups"
outside=$(join "$MK_TMP/where" "$MK_TMP/dups" | while read -r id p off; do
	[ "$off" -lt "${committed[$p]:--1}" ] && echo "$id@$p:$off"
done | head -5)
mk_eq "duplicates below the committed offset" "" "$outside"
window=$(join "$MK_TMP/where" "$MK_TMP/first.ids" | while read -r id p off; do
	[ "$off" -ge "${committed[$p]:--1}" ] && echo "$id"
done | wc -l)
echo "crash after $printed_first lines: $(wc -l <"$MK_TMP/dups") duplicates," \
	"uncommitted window $window records, committed" \
	"$(awk '{s += $3} END {print s}' "$MK_TMP/committed") of $N"
echo PASS
