#!/usr/bin/env bash
# telex-kafka-consumer and hostile records (issue 10), against
# telex-mock-kafka with records produced by kcat: header values that line
# protocol cannot carry as a measurement or a tag (a name starting with
# '#', one ending in a backslash, a tag value that is not UTF-8) make the
# record's metrics invalid, counted and logged with the header's name;
# empty and null records are counted and logged; an unclosed quote in a
# record costs its own line only; stdout on /dev/full ends the consumer
# with exit 1.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

mk_start --brokers 1 --topic h:1

# One partition: offsets in this order.
printf 'good v=1i 1\n' | mk_produce h -H name=renamed -H dc=eu # 0
printf 'bad v=2i 2\n' | mk_produce h -H 'name=#x'               # 1
printf 'bad v=3i 3\n' | mk_produce h -H 'name=ab\'              # 2
printf 'bad v=4i 4\n' | mk_produce h -H "dc=$(printf 'eu\xff\xfe')" # 3
printf 'k:\n' | mk_produce h -K:                                # 4: empty
printf 'k:\n' | mk_produce h -K: -Z                             # 5: null
printf 'q f="abc 1\nq v=6i 6\nq s="x" 7' | mk_produce h -D '@@' # 6
printf 'last v=8i 8\n' | mk_produce h                           # 7

kc_conf "$MK_TMP/h.conf" 'topics = ["h"]' 'consumer_group = "hostile"' \
	'msg_header_as_metric_name = "name"' 'msg_headers_as_tags = ["dc"]' \
	'log_level = "info"'
kc_start h "$MK_TMP/h.conf"
kc_wait_lines h 4
kc_eof h
mk_eq "metrics" 'renamed,dc=eu v=1i 1
q v=6i 6
q s="x" 7
last v=8i 8' "$(cat "$(kc_out h)")"
err=$(kc_err h)
grep -q '^W! h\[0\] offset 1: metric skipped: header "name" (msg_header_as_metric_name) = "#x": a line starting with it reads as a comment' \
	"$err" || mk_fail "the '#' name was not logged: $(cat "$err")"
grep -q '^W! 2 more invalid header since the last report (3 in all)' "$err" ||
	mk_fail "the other bad headers were not counted: $(cat "$err")"
grep -q '^W! h\[0\] offset 4: record without a value (empty); skipped' \
	"$err" || mk_fail "the empty record was not logged"
grep -q '^W! 1 more empty record since the last report (2 in all)' "$err" ||
	mk_fail "the null record was not counted: $(cat "$err")"
grep -q ' 2 empty records skipped' "$err" ||
	mk_fail "the summary does not count the empty records"
grep -q '^W! h\[0\] offset 6: invalid metric skipped: expected closing quote for string field value, found end of input at 1:5' \
	"$err" || mk_fail "the unclosed quote was not logged: $(cat "$err")"
grep -q '8 records, 4 metrics written, 0 not written (stdout closed), 4 invalid metrics' "$err" ||
	mk_fail "summary: $(grep records "$err")"
grep -q $'\xff' "$err" && mk_fail "raw bytes from a header in the log"

# stdout on /dev/full: the write fails, the consumer stops, exit 1.
kc_conf "$MK_TMP/full.conf" 'topics = ["h"]' 'consumer_group = "full"'
KC_STDOUT=/dev/full kc_start full "$MK_TMP/full.conf"
for i in $(seq $((MK_TIMEOUT * 10))); do
	kc_alive full || break
	sleep 0.1
done
kc_alive full && mk_fail "the consumer kept running with stdout on /dev/full"
rc=0
wait "${KC_PID[full]}" || rc=$?
mk_eq "exit status with stdout on /dev/full" 1 $rc
grep -q '^E! writing stdout: No space left on device' "$(kc_err full)" ||
	mk_fail "no error for /dev/full: $(cat "$(kc_err full)")"
echo PASS
