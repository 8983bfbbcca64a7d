#!/usr/bin/env bash
# Records that write nothing (filtered by namepass, invalid, over
# max_message_len, empty) are done as soon as they are handled: they never
# count against max_undelivered_messages, so a long run of them cannot stall
# the consumer, and they are committed. (Before, 1,000 of them in a row
# stopped it for good.) Also: without feedback, one W! at start says that
# delivery is acknowledged at the pipe only.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need
mk_start --brokers 1 --topic filtered:2 --topic invalid:2 --topic oversize:1 \
	--topic head:1

# committed_total GROUP TOPIC: the sum of the group's committed offsets.
committed_total() {
	kc_committed "$1" "$2" | awk '$3 > 0 { s += $3 } END { print s + 0 }'
}

# run NAME TOPIC WANT_LINES LINE...: consume TOPIC until WANT_LINES lines
# are out, then EOF; the group (NAME) must have committed every record.
run() {
	local name=$1 topic=$2 want=$3 records
	shift 3
	kc_conf "$MK_TMP/$name.conf" "topics = [\"$topic\"]" \
		"consumer_group = \"$name\"" 'log_level = "info"' "$@"
	kc_start "$name" "$MK_TMP/$name.conf"
	kc_wait_lines "$name" "$want"
	kc_eof "$name"
	records=$(mk_count "$topic")
	mk_eq "$name: lines" "$want" "$(kc_lines "$name")"
	mk_eq "$name: committed" "$records" "$(committed_total "$name" "$topic")"
}

# 1,500 records namepass drops, then 10 it keeps.
{
	seq 1 1500 | awk '{ print "other,i=" $1 " v=1i " $1 }'
	seq 1 10 | awk '{ print "seq,i=" $1 " v=1i " $1 }'
} | mk_produce filtered
run filtered filtered 10 'namepass = ["seq"]'
grep -q '1500 dropped by filters' "$(kc_err filtered)" ||
	mk_fail "filtered: summary: $(tail -n 2 "$(kc_err filtered)")"
grep -q '^W! delivery is acknowledged at the pipe only' \
	"$(kc_err filtered)" || mk_fail "no W! about delivery at the pipe only"

# 1,500 invalid records, then 10 good ones.
{
	seq 1 1500 | awk '{ print "bad line " $1 }'
	seq 1 10 | awk '{ print "good,i=" $1 " v=1i " $1 }'
} | mk_produce invalid
run invalid invalid 10
grep -q '1500 invalid metrics' "$(kc_err invalid)" ||
	mk_fail "invalid: summary: $(tail -n 2 "$(kc_err invalid)")"

# One record in flight at most, most of them over max_message_len.
for i in $(seq 1 10); do
	if [ $((i % 3)) = 0 ]; then
		echo "ok,i=$i v=1i $i"
	else
		echo "too_long_for_the_limit,i=$i,pad=xxxxxxxxxxxxxxxxxxxx v=1i $i"
	fi
done | mk_produce oversize
run oversize oversize 3 'max_message_len = 40' 'max_undelivered_messages = 1'
grep -q '7 oversize and 0 empty records' "$(kc_err oversize)" ||
	mk_fail "oversize: summary: $(tail -n 2 "$(kc_err oversize)")"
# A reader that leaves ("| head -1"): the summary counts as written only
# what the pipe took, and exactly that is committed.
seq 1 5000 | awk '{ print "m,i=" $1 " v=1i " $1 }' | mk_produce head
kc_conf "$MK_TMP/head.conf" 'topics = ["head"]' 'consumer_group = "head"'
(
	exec {MK_IN}>&- {MK_OUT}<&-
	timeout 30 "$KC" -config "$MK_TMP/head.conf" 2>"$MK_TMP/head.err" \
		< <(sleep 60) | head -n 1 >/dev/null
)
summary=$(grep 'kafka_consumer: ' "$MK_TMP/head.err") ||
	mk_fail "head: no summary: $(tail -n 3 "$MK_TMP/head.err")"
read -r records written unwritten < <(sed -n \
	's/.*: \([0-9]*\) records, \([0-9]*\) metrics written, \([0-9]*\) not written.*/\1 \2 \3/p' \
	<<<"$summary")
[ -n "$records" ] && [ "$unwritten" -gt 0 ] ||
	mk_fail "head: summary: $summary"
mk_eq "head: written + not written" "$records" $((written + unwritten))
mk_eq "head: committed" "$written" "$(committed_total head head)"
echo ok
