#!/usr/bin/env bash
# Records to metrics: many lines per record, malformed lines and oversize
# records mixed with good ones, topic_tag, msg_headers_as_tags,
# msg_header_as_metric_name, timestamp_source and data_format = "json",
# against telex-mock-kafka with records produced by kcat.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

mk_start --brokers 1 --topic in:1 --topic js:1 --topic ts:1

# One partition: the records come back in order. '@@' separates records.
printf '%s@@' \
	$'cpu,host=a usage=1 1\ncpu,host=b usage=2 2\n' \
	$'not line protocol\nmem free=3i 3\n# comment\n\n' \
	"big,host=a value=\"$(printf 'x%.0s' $(seq 120))\" 5" \
	$'disk,topic=old used=4i 4' |
	mk_produce in -D '@@' -H dc=eu -H rack=r1 -H name=renamed
printf 'net,host=a bytes=5i 6\n' | mk_produce in -H dc=us
printf 'swap used=7i 7\n' | mk_produce in

kc_conf "$MK_TMP/in.conf" 'topics = ["in"]' 'consumer_group = "records"' \
	'topic_tag = "topic"' 'msg_headers_as_tags = ["dc", "name"]' \
	'msg_header_as_metric_name = "name"' 'max_message_len = 100'
kc_start in "$MK_TMP/in.conf"
kc_wait_lines in 6
kc_eof in
# The header named by msg_header_as_metric_name is not also a tag (as in
# Telegraf); headers not listed (rack) are not tags.
mk_eq "metrics of records with headers" \
	"renamed,dc=eu,host=a,topic=in usage=1 1
renamed,dc=eu,host=b,topic=in usage=2 2
renamed,dc=eu,topic=in free=3i 3
renamed,dc=eu,topic=in used=4i 4
net,dc=us,host=a,topic=in bytes=5i 6
swap,topic=in used=7i 7" "$(cat "$(kc_out in)")"
grep -q 'in\[0\] offset 1: invalid metric skipped' "$(kc_err in)" ||
	mk_fail "the invalid line was not logged with topic, partition, offset"
grep -q 'in\[0\] offset 2: record of 1[0-9][0-9] bytes exceeds max_message_len' \
	"$(kc_err in)" || mk_fail "the oversize record was not logged"
grep -q '6 records, 6 metrics written, 0 not written (stdout closed), 1 invalid metrics, 1 oversize' \
	"$(kc_err in)" || mk_fail "summary: $(grep records "$(kc_err in)")"

# Without options, lines go out byte for byte (extra spaces kept).
printf 'cpu,host=a   usage=1    1\n' | mk_produce ts
kc_conf "$MK_TMP/plain.conf" 'topics = ["ts"]' 'consumer_group = "plain"'
kc_start plain "$MK_TMP/plain.conf"
kc_wait_lines plain 1
kc_eof plain
mk_eq "unchanged line" "cpu,host=a   usage=1    1" "$(cat "$(kc_out plain)")"

# timestamp_source: inner and outer take the record's timestamp (ms).
printf 'cpu usage=2 1\ncpu usage=3\n' | mk_produce ts -D '@@'
rec_ms=$(mk_consume ts '%T\n' | tail -n 1)
for src in inner outer metric; do
	kc_conf "$MK_TMP/$src.conf" 'topics = ["ts"]' \
		"consumer_group = \"ts-$src\"" "timestamp_source = \"$src\""
	kc_start "$src" "$MK_TMP/$src.conf"
	kc_wait_lines "$src" 3
	kc_eof "$src"
	got=$(tail -n 2 "$(kc_out "$src")")
	if [ "$src" = metric ]; then
		mk_eq "timestamps with metric" $'cpu usage=2 1\ncpu usage=3' "$got"
	else
		mk_eq "timestamps with $src" \
			"cpu usage=2 ${rec_ms}000000"$'\n'"cpu usage=3 ${rec_ms}000000" \
			"$got"
	fi
done

# data_format = "telegraf_json": Telegraf's JSON metrics, one or a batch per
# record; bad metrics and records that are not JSON are skipped.
{
	printf '%s\n' '{"fields":{"usage":1.5},"name":"cpu","tags":{"host":"a"},"timestamp":1700000000}'
	printf '%s\n' '{"metrics":[{"fields":{"n":1},"name":"a","tags":{},"timestamp":1},{"fields":{},"name":"b","tags":{},"timestamp":2},{"fields":{"s":"x y"},"name":"c","tags":{"t":"v"},"timestamp":3}]}'
	printf '%s\n' 'cpu usage=1 1'
} | mk_produce js
kc_conf "$MK_TMP/js.conf" 'topics = ["js"]' 'consumer_group = "js"' \
	'data_format = "telegraf_json"' 'json_timestamp_units = "1ms"'
kc_start js "$MK_TMP/js.conf"
kc_wait_lines js 3
kc_eof js
mk_eq "json metrics" 'cpu,host=a usage=1.5 1700000000000000
a n=1i 1000000
c,t=v s="x y" 3000000' "$(cat "$(kc_out js)")"
grep -q '2 invalid metrics' "$(kc_err js)" ||
	mk_fail "json summary: $(grep records "$(kc_err js)")"
echo PASS
