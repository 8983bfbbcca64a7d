#!/usr/bin/env bash
# Slow reader: stdout is a pipe whose reader does not read for 20 s while
# 75 MB of records wait in Kafka. The consumer must stop fetching
# (partitions paused) instead of buffering: its peak RSS stays far below
# the data, nothing is committed beyond what the pipe took (64 KiB), and
# once the reader reads, everything arrives, once.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

N=300000
mk_start --brokers 1 --topic slow:20
pad=$(printf 'x%.0s' $(seq 200))
seq 1 $N | awk -v p="$pad" '{print "m,src=slow id=" $1 "i,pad=\"" p "\" " $1}' |
	mk_produce slow -X sticky.partitioning.linger.ms=0 -X linger.ms=50 \
		-X queue.buffering.max.messages=1000000
min_len=$(echo "m,src=slow id=1i,pad=\"$pad\" 1" | wc -c)

kc_conf "$MK_TMP/slow.conf" 'topics = ["slow"]' 'consumer_group = "slow"'
mkfifo "$MK_TMP/pipe"
(
	kc_close_fds
	sleep 20
	exec cat
) <"$MK_TMP/pipe" >"$MK_TMP/read" &
reader=$!
mk_at_exit "kill $reader 2>/dev/null"
KC_STDOUT=$MK_TMP/pipe kc_start slow "$MK_TMP/slow.conf"
kc_wait_log slow 'assigned 20 partition'
sleep 12

# Still blocked: the peak so far, and what the group has committed.
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/${KC_PID[slow]}/status")
committed=$(kc_committed slow slow | awk '$3 > 0 {s += $3} END {print s + 0}')
[ "$(kc_lines x "$MK_TMP/read")" -eq 0 ] || mk_fail "the reader read early"
fits=$((65536 / min_len))
echo "blocked: peak RSS $((hwm / 1024)) MB, $committed records committed" \
	"(the pipe holds at most $fits)"
[ "$committed" -le "$fits" ] ||
	mk_fail "$committed records committed, only $fits fit in the pipe"
if [ "${SAN:-}" != 1 ]; then # ASan's shadow memory and quarantine
	[ "$hwm" -lt $((24 * 1024)) ] ||
		mk_fail "peak RSS $((hwm / 1024)) MB while blocked (75 MB waiting)"
fi

# The reader reads: everything arrives, once or more, none lost.
for i in $(seq $((MK_TIMEOUT * 5))); do
	[ "$(kc_lines x "$MK_TMP/read")" -ge $N ] && break
	sleep 0.2
done
kc_eof slow
mk_eq "records lost" "" "$(comm -23 <(seq 1 $N | sort) \
	<(kc_ids "$MK_TMP/read" | sort -u))"
# No rebalance, no crash: pausing and resuming repeats nothing either.
mk_eq "records read twice" "" "$(kc_ids "$MK_TMP/read" | uniq -d | head -3)"
grep -Eq '[1-9][0-9]* pauses' "$(kc_err slow)" ||
	mk_fail "no pause counted: $(grep records "$(kc_err slow)")"
echo PASS
