#!/usr/bin/env bash
# telex-kafka-output: every option changes what lands in Kafka as the
# native outputs.kafka would: topics, keys, partitions, headers,
# timestamps, formats, compression, packed records. Read back with kcat.
set -u
. "$TELEX_SRC/test/kafka_output/lib.sh"
mk_need jq

mk_start --brokers 3 --topic plain:4 --topic keyed:8 --topic fixed:8 \
	--topic random:4 --topic hv0:2 --topic hv1:2 --topic hv2:2 \
	--topic tagged:2 --topic tg.hv0:1 --topic tg.hv1:1 --topic tg.hv2:1 \
	--topic sfx_vm_cpu:1 --topic sfx_vm_net:1 --topic hdr:1 --topic now:1 \
	--topic json:1 --topic zip:1 --topic big:1 --topic packed:4 \
	--topic sarama:1 --topic stats:1 --topic ends:1
ko_lines 300 >"$MK_TMP/in.lp"

# Defaults: the line and its '\n' as the value, no key, metric time.
ko_conf plain <<<'  topic = "plain"'
ko_run plain <"$MK_TMP/in.lp" || mk_fail "plain: exit $?: $(cat "$MK_TMP/plain.log")"
mk_eq "plain: values" "$(sort "$MK_TMP/in.lp")" "$(mk_consume plain '%s' | sort)"
mk_eq "plain: key lengths" "-1" "$(mk_consume plain '%K\n' | sort -u)"
mk_eq "plain: timestamps" "$(seq 1700000000001 1700000000300)" \
	"$(mk_consume plain '%T\n' | sort -n)"
ko_logged plain '^I! kafka output: 300 metrics taken, 300 delivered in 300 records, 0 failed'

# Line ends: each value ends in exactly one '\n', whether the line ended
# in "\n" (its own byte is forwarded), "\r\n", or nothing at all.
ko_conf ends <<<'  topic = "ends"'
printf 'e,t=a v=1i 1700000000001000000\r\ne,t=b v=2i 1700000000002000000\ne,t=c v=3i 1700000000003000000' |
	ko_run ends || mk_fail "ends: exit $?: $(cat "$MK_TMP/ends.log")"
mk_eq "ends: values" "$(printf '%s\n|' 'e,t=a v=1i 1700000000001000000' \
	'e,t=b v=2i 1700000000002000000' 'e,t=c v=3i 1700000000003000000' | od -c)" \
	"$(mk_consume ends '%s|' | od -c)"

# routing_tag: the tag's value is the key, on Sarama's partition for it.
ko_conf keyed <<'EOF'
  topic = "keyed"
  routing_tag = "domain"
  routing_key = "fallback"
EOF
{ cat "$MK_TMP/in.lp"; echo 'vm_cpu,host=hv1 cpu_time=1 1700000000999000000'; } |
	ko_run keyed || mk_fail "keyed: exit $?"
mk_consume keyed '%k %p %s' >"$MK_TMP/keyed.out"
mk_eq "keyed: records" 301 "$(wc -l <"$MK_TMP/keyed.out")"
while read -r key part line; do
	want=${line#*domain=}
	want=${want%% *}
	[[ $line == *domain=* ]] || want=fallback
	[ "$key" = "$want" ] || mk_fail "keyed: key $key for $line"
	[ "$part" = "$(ko_fnv1a_partition "$key" 8)" ] ||
		mk_fail "keyed: key $key on partition $part, Sarama's hash says $(ko_fnv1a_partition "$key" 8)"
done < <(sort -u -k1,1 "$MK_TMP/keyed.out")
mk_eq "keyed: partitions used" 8 "$(cut -d' ' -f2 "$MK_TMP/keyed.out" | sort -u | wc -l)"

# A fixed routing_key; "random": a UUIDv4 per record.
ko_conf fixed <<<$'  topic = "fixed"\n  routing_key = "telegraf"'
ko_run fixed <"$MK_TMP/in.lp" || mk_fail "fixed: exit $?"
mk_eq "fixed: key and partition" "telegraf $(ko_fnv1a_partition telegraf 8)" \
	"$(mk_consume fixed '%k %p\n' | sort -u)"
ko_conf random <<<$'  topic = "random"\n  routing_key = "random"'
ko_run random <"$MK_TMP/in.lp" || mk_fail "random: exit $?"
mk_consume random '%k\n' >"$MK_TMP/random.keys"
mk_eq "random: distinct keys" 300 "$(sort -u "$MK_TMP/random.keys" | wc -l)"
mk_eq "random: UUIDv4 keys" 300 "$(grep -cE \
	'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
	"$MK_TMP/random.keys")"

# topic_tag: the tag's value is the topic; exclude_topic_tag removes the
# tag (the record is re-serialised the way Telegraf writes it); metrics
# without the tag go to topic.
ko_conf tagged <<'EOF'
  topic = "tagged"
  topic_tag = "host"
  exclude_topic_tag = true
EOF
{ head -n 30 "$MK_TMP/in.lp"; echo 'vm_cpu,domain=x v=1i 1700000000999000000'; } |
	ko_run tagged || mk_fail "tagged: exit $?"
for h in 0 1 2; do
	mk_eq "tagged: topic hv$h" \
		"$(head -n 30 "$MK_TMP/in.lp" | grep ",host=hv$h," | sed "s/,host=hv$h//" | sort)" \
		"$(mk_consume hv$h '%s' | sort)"
done
mk_eq "tagged: without the tag" 'vm_cpu,domain=x v=1i 1700000000999000000' \
	"$(mk_consume tagged '%s')"

# topic_suffix: measurement, and tags (missing keys skipped).
ko_conf sfx <<'EOF'
  topic = "sfx"
  [outputs.kafka.topic_suffix]
    method = "measurement"
    separator = "_"
EOF
{ head -n 10 "$MK_TMP/in.lp"; ko_lines 5 vm_net; } | ko_run sfx || mk_fail "sfx: exit $?"
mk_eq "suffix measurement: vm_cpu" 10 "$(mk_count sfx_vm_cpu)"
mk_eq "suffix measurement: vm_net" 5 "$(mk_count sfx_vm_net)"
ko_conf tg <<'EOF'
  topic = "tg"
  [outputs.kafka.topic_suffix]
    method = "tags"
    keys = ["host", "missing"]
    separator = "."
EOF
head -n 30 "$MK_TMP/in.lp" | ko_run tg || mk_fail "tg: exit $?"
for h in 0 1 2; do
	mk_eq "suffix tags: tg.hv$h" 10 "$(mk_count tg.hv$h)"
done

# Headers: templates over the metric, metric_name_header, literal text.
ko_conf hdr <<'EOF'
  topic = "hdr"
  metric_name_header = "measurement"
  [outputs.kafka.headers]
    name = "{{ .Name }}"
    who = "host={{ .Tag \"host\" }}!"
    cpu = "{{.Field `cpu_time`}}"
    vcpus = "{{ .Field \"vcpus\" }}/{{ .Field \"state\" }}/{{ .Tag \"nope\" }}"
EOF
sed -n 2p "$MK_TMP/in.lp" | ko_run hdr || mk_fail "hdr: exit $?: $(cat "$MK_TMP/hdr.log")"
mk_eq "headers" 'name=vm_cpu,who=host=hv2!,cpu=14.5,vcpus=3/running/,measurement=vm_cpu' \
	"$(mk_consume hdr '%h\n')"
ko_conf badhdr <<'EOF'
  topic = "hdr"
  [outputs.kafka.headers]
    x = "{{ .Tags }}"
EOF
ko_run badhdr </dev/null
mk_eq "unsupported template: exit status" 2 $?
ko_logged badhdr '^E! .*/badhdr\.conf:5: bad value for "headers" in \[\[outputs\.kafka\]\]: header "x": unsupported template action'

# producer_timestamp = "now": the time of producing, not the metric's.
ko_conf now <<<$'  topic = "now"\n  producer_timestamp = "now"'
t0=$(date +%s%3N)
head -n 20 "$MK_TMP/in.lp" | ko_run now || mk_fail "now: exit $?"
t1=$(date +%s%3N)
while read -r ts; do
	((ts >= t0 && ts <= t1)) || mk_fail "now: timestamp $ts not in [$t0, $t1]"
done < <(mk_consume now '%T\n')

# data_format = "json": Telegraf's JSON serializer, seconds by default.
ko_conf json <<<$'  topic = "json"\n  data_format = "json"\n  json_timestamp_units = "1ms"'
sed -n 7p "$MK_TMP/in.lp" | ko_run json || mk_fail "json: exit $?"
mk_eq "json" '{"fields":{"cpu_time":49.5,"state":"running","vcpus":8},"name":"vm_cpu","tags":{"domain":"vm-0007","host":"hv1"},"timestamp":1700000000007}' \
	"$(mk_consume json '%s' | jq -cS .)"

# compression_codec 0-4: what librdkafka puts on the wire (its own debug
# line names the codec), and the records read back unchanged.
codecs=(uncompressed gzip snappy lz4 zstd)
for c in 0 1 2 3 4; do
	ko_conf zip$c <<EOF
  topic = "zip"
  compression_codec = $c
  [outputs.kafka.librdkafka]
    debug = "msg"
EOF
	head -n 50 "$MK_TMP/in.lp" | ko_run zip$c -debug || mk_fail "zip$c: exit $?"
	ko_logged zip$c "Produce MessageSet with .*${codecs[$c]}\)"
done
mk_eq "compressed records" "$(for c in 0 1 2 3 4; do head -n 50 "$MK_TMP/in.lp"; done | sort)" \
	"$(mk_consume zip '%s' | sort)"

# max_message_bytes: a larger record is dropped with an error naming its
# measurement and size, the rest is delivered, the exit status says so.
ko_conf big <<<$'  topic = "big"\n  max_message_bytes = 150'
{
	head -n 5 "$MK_TMP/in.lp"
	printf 'huge,host=a text="%0400d" 1700000000000000000\n' 0
	sed -n 6,10p "$MK_TMP/in.lp"
} | ko_run big
mk_eq "big: exit status" 1 $?
mk_eq "big: delivered" "$(head -n 10 "$MK_TMP/in.lp" | sort)" "$(mk_consume big '%s' | sort)"
ko_logged big '^E! a record of 440 bytes is larger than max_message_bytes \(150\): dropped \(metric "huge"\)'
ko_logged big '^E! kafka output: 11 metrics taken, 10 delivered in 10 records, 1 failed \(message too large: 1\)'

# metrics_per_record: lines of one key share records, at most N lines and
# max_message_bytes each; every line arrives once.
ko_conf packed <<'EOF'
  topic = "packed"
  routing_tag = "host"
  metrics_per_record = 7
  max_message_bytes = 600
EOF
ko_run packed <"$MK_TMP/in.lp" || mk_fail "packed: exit $?"
timeout 30 kcat -C -b "$MK_BOOTSTRAP" -t packed -o beginning -e -q -J >"$MK_TMP/packed.json"
mk_eq "packed: every line once" "$(sort "$MK_TMP/in.lp")" \
	"$(jq -j .payload "$MK_TMP/packed.json" | sort)"
records=$(wc -l <"$MK_TMP/packed.json")
((records < 300 / 4)) || mk_fail "packed: $records records for 300 lines"
jq -r '[.key, (.payload | length), (.payload | rtrimstr("\n") | split("\n") | length)] | @tsv' \
	"$MK_TMP/packed.json" | while IFS=$'\t' read -r key bytes lines; do
	((lines <= 7 && bytes + ${#key} <= 600)) ||
		mk_fail "packed: a record of $lines lines, $bytes bytes"
done
jq -r '.key as $k | .payload | rtrimstr("\n") | split("\n")[] | select(contains(",host=" + $k + ",") | not)' \
	"$MK_TMP/packed.json" | grep -q . && mk_fail "packed: a line under another host's key"
ko_logged packed '300 metrics taken, 300 delivered in [0-9]+ records'

# Sarama's knobs are accepted and ignored, each with a warning;
# socks5_enabled = false means what it says (no proxy), silently.
ko_conf sarama <<'EOF'
  topic = "sarama"
  version = "2.6.0"
  metadata_full = true
  keep_alive_period = "30s"
  socks5_enabled = false
EOF
head -n 3 "$MK_TMP/in.lp" | ko_run sarama || mk_fail "sarama: exit $?"
for o in version metadata_full keep_alive_period; do
	ko_logged sarama "^W! .*$o"
done
grep -q socks5 "$MK_TMP/sarama.log" && mk_fail "sarama: socks5_enabled = false logged"
mk_eq "sarama: delivered" 3 "$(mk_count sarama)"

# socks5_enabled = true is refused: librdkafka has no SOCKS5 proxy, and
# connecting directly instead would be a silent change.
ko_conf socks5 <<<$'  topic = "socks5"\n  socks5_enabled = true'
head -n 1 "$MK_TMP/in.lp" | ko_run socks5
mk_eq "socks5_enabled = true: exit" 2 "$?"
ko_logged socks5 '^E! .*/socks5\.conf:4: bad value for "socks5_enabled" in \[\[outputs\.kafka\]\]: librdkafka has no SOCKS5'

# stats_interval: a periodic summary from librdkafka's statistics.
ko_conf stats <<<$'  topic = "stats"\n  stats_interval = "200ms"'
mkfifo "$MK_TMP/stats.in"
ko_start stats "$MK_TMP/stats.in"
exec {feed}>"$MK_TMP/stats.in"
head -n 40 "$MK_TMP/in.lp" >&$feed
mk_wait_count stats 40 >/dev/null
ko_await "$MK_TMP/stats.log" ' 40 metrics delivered' 50
exec {feed}>&-
wait "$KO_PID" || mk_fail "stats: exit $?"
ko_logged stats '^I! kafka output: 40 metrics delivered in 40 records, 0 failed, 0 records queued, 0 retries, [1-9][0-9]* bytes sent, 3 brokers \([1-3] up\), rtt avg [0-9.]+ ms p99 [0-9.]+ ms$'

# SASL and TLS reach librdkafka: the mock speaks neither, so the attempt
# is what shows (and nothing is delivered: exit 1). The password comes
# from the environment and appears in no log line.
export KO_SECRET=s3cr3t-passw0rd
ko_conf sasl <<'EOF'
  topic = "sasl"
  sasl_username = "telex"
  sasl_password = "${KO_SECRET}"
EOF
head -n 1 "$MK_TMP/in.lp" | ko_run sasl -flush_timeout 1s
mk_eq "sasl: exit status" 1 $?
ko_logged sasl '^W! librdkafka: .*SASL.*mechanism PLAIN'
grep -q "$KO_SECRET" "$MK_TMP/sasl.log" && mk_fail "sasl: the password was logged"
ko_conf tls <<<$'  topic = "tls"\n  enable_tls = true'
head -n 1 "$MK_TMP/in.lp" | ko_run tls -flush_timeout 1s
mk_eq "tls: exit status" 1 $?
ko_logged tls '^W! librdkafka: .*ssl://.*(SSL|handshake)'

# Config errors: exit 2 with the reason, at the file's line.
ko_conf idem <<<$'  topic = "x"\n  idempotent_writes = true\n  required_acks = 1'
ko_run idem </dev/null
mk_eq "idempotent with acks=1: exit status" 2 $?
ko_logged idem '^E! .*/idem\.conf:4: \[\[outputs\.kafka\]\]: idempotent_writes needs required_acks = -1'
ko_conf badprop <<<$'  topic = "x"\n  [outputs.kafka.librdkafka]\n    "no.such" = "1"'
ko_run badprop </dev/null
mk_eq "unknown librdkafka property: exit status" 2 $?
ko_logged badprop '^E! .*/badprop\.conf:5: bad value for "librdkafka" in \[\[outputs\.kafka\]\]: property "no\.such"'
echo PASS
