#!/usr/bin/env bash
# telex-mock-kafka: real clients (kcat) produce to and consume from it over
# TCP, its control commands change what they see, and it ends on stdin EOF
# and on SIGTERM.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
mk_need kcat jq

mk_start --brokers 3 --topic t:4 --topic single:1
mk_eq "brokers in the bootstrap list" 3 "$(tr , '\n' <<<"$MK_BOOTSTRAP" | wc -l)"
mk_eq "bootstraps command" "$MK_BOOTSTRAP" "$(mk_cmd bootstraps)"

# Metadata: the topics with their partition counts and replication.
meta=$(timeout 20 kcat -L -J -b "$MK_BOOTSTRAP")
mk_eq "brokers in metadata" 3 "$(jq '.brokers | length' <<<"$meta")"
mk_eq "partitions of t" 4 \
	"$(jq '.topics[] | select(.topic == "t") | .partitions | length' <<<"$meta")"
mk_eq "partitions of single" 1 \
	"$(jq '.topics[] | select(.topic == "single") | .partitions | length' <<<"$meta")"

# Produce keyed records, read them back: same keys and values, each key on
# one partition.
for i in $(seq 1 200); do echo "k$((i % 7)):value $i"; done |
	mk_produce t -K:
got=$(mk_consume t '%k:%s\n' | sort)
want=$(for i in $(seq 1 200); do echo "k$((i % 7)):value $i"; done | sort)
mk_eq "records read back" "$want" "$got"
mk_eq "partitions per key" 7 "$(mk_consume t '%k %p\n' | sort -u | wc -l)"

# Control commands: a new topic, a leader move, bad input.
mk_cmd topic fresh:6 >/dev/null
mk_eq "partitions of fresh" 6 "$(timeout 20 kcat -L -J -b "$MK_BOOTSTRAP" -t fresh |
	jq '.topics[0].partitions | length')"
mk_cmd leader fresh 0 2 >/dev/null
mk_eq "leader of fresh/0" 2 "$(timeout 20 kcat -L -J -b "$MK_BOOTSTRAP" -t fresh |
	jq '.topics[0].partitions[] | select(.partition == 0) | .leader')"
for bad in "nonsense" "down 9" "rtt 1 x" "error produce NO_SUCH_ERROR" \
	"topic :3" "error nosuchapi 6"; do
	echo "$bad" >&"$MK_IN"
	read -r -t 10 -u "$MK_OUT" reply || mk_fail "no answer to \"$bad\""
	[[ $reply == "error: "* ]] || mk_fail "\"$bad\" answered \"$reply\""
done
mk_cmd rtt all 0 >/dev/null

# Every broker down: a client cannot read metadata; up again: it can.
mk_cmd down all >/dev/null
if timeout 20 kcat -L -b "$MK_BOOTSTRAP" -m 2 >/dev/null 2>&1; then
	mk_fail "metadata read while every broker was down"
fi
mk_cmd up all >/dev/null
timeout 20 kcat -L -b "$MK_BOOTSTRAP" -m 5 >/dev/null ||
	mk_fail "no metadata after the brokers came back"

# A pushed produce error reaches the client: one record fails with the
# error kcat reports, with retries off.
mk_cmd error produce MSG_SIZE_TOO_LARGE 1 >/dev/null
out=$(echo one | timeout 20 kcat -P -b "$MK_BOOTSTRAP" -t single \
	-X retries=0 2>&1)
[[ $out == *"too large"* ]] || mk_fail "pushed error not seen: $out"
echo two | mk_produce single
mk_eq "records in single" "two" "$(mk_consume single)"

# stdin EOF ends the cluster.
pid=$MK_PID
mk_stop
kill -0 "$pid" 2>/dev/null && mk_fail "still running after stdin EOF"

# SIGTERM ends it with status 0 even while stdin stays open.
mkfifo "$MK_TMP/hold"
"$TELEX_BIN/telex-mock-kafka" --brokers 1 <"$MK_TMP/hold" \
	>"$MK_TMP/out2" 2>&1 &
pid=$!
exec {hold}>"$MK_TMP/hold"
for i in $(seq 100); do [ -s "$MK_TMP/out2" ] && break; sleep 0.1; done
[ -s "$MK_TMP/out2" ] || mk_fail "second cluster did not start"
kill -TERM "$pid"
wait "$pid"
mk_eq "exit status after SIGTERM" 0 $?
exec {hold}>&-

# Usage errors.
"$TELEX_BIN/telex-mock-kafka" --brokers 0 </dev/null >/dev/null 2>&1
mk_eq "status for --brokers 0" 2 $?
"$TELEX_BIN/telex-mock-kafka" --topic x:0 </dev/null >/dev/null 2>&1
mk_eq "status for a topic of 0 partitions" 2 $?
echo "PASS"
