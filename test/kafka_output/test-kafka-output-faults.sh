#!/usr/bin/env bash
# telex-kafka-output under faults, each checked count in == count out:
# one broker down for 10 s; every broker down for 30 s while input keeps
# coming (stdin stops being read, memory stays bounded, nothing is lost);
# oversize records and garbage lines among good ones; stdin closed with
# records in flight, and with no broker to deliver them to.
set -u
. "$TELEX_SRC/test/kafka_output/lib.sh"
MK_TIMEOUT=60

mk_start --brokers 3 --topic one:6 --topic all:8 --topic mixed:4 \
	--topic garbage:4 --topic slow:4 --topic none:2 --topic packs:4

# Retried requests must not duplicate records: idempotent writes. A short
# reconnect backoff keeps the test short once brokers come back.
common_conf() {
	cat <<EOF
  topic = "$1"
  routing_tag = "domain"
  idempotent_writes = true
  stats_interval = "0s"
  [outputs.kafka.librdkafka]
    "reconnect.backoff.max.ms" = 500
EOF
}

# Exactly the lines of file $2 in topic $1, each once.
expect_topic() {
	mk_consume "$1" '%s' | sort >"$MK_TMP/$1.got"
	mk_eq "$1: records" "$(wc -l <"$2")" "$(wc -l <"$MK_TMP/$1.got")"
	sort "$2" | cmp -s - "$MK_TMP/$1.got" ||
		mk_fail "$1: the records differ from the input"
}

# --- One broker of three down for 10 s while lines come in.
ko_lines 6000 >"$MK_TMP/one.lp"
common_conf one | ko_conf one
mkfifo "$MK_TMP/one.in"
ko_start one "$MK_TMP/one.in"
pid=$KO_PID
exec {feed}>"$MK_TMP/one.in"
split -l 500 "$MK_TMP/one.lp" "$MK_TMP/one.part."
n=0
for part in "$MK_TMP"/one.part.*; do
	cat "$part" >&$feed
	n=$((n + 1))
	[ $n = 2 ] && mk_cmd down 2 >/dev/null && down_at=$SECONDS
	sleep 1
done
while ((SECONDS - down_at < 10)); do sleep 0.2; done
mk_cmd up 2 >/dev/null
mk_wait_count one 6000 >/dev/null
exec {feed}>&-
wait $pid
mk_eq "one broker down: exit status" 0 $?
expect_topic one "$MK_TMP/one.lp"

# --- Every broker down for 30 s while input keeps coming. librdkafka's
# queue fills, stdin stops being read (the writer blocks: Telegraf would
# buffer), memory stays bounded; then everything is delivered.
ko_lines 200000 >"$MK_TMP/all.lp"
{
	common_conf all
	echo '    "queue.buffering.max.messages" = 20000'
} | ko_conf all
mkfifo "$MK_TMP/all.in"
mk_cmd down all >/dev/null
ko_start all "$MK_TMP/all.in"
pid=$KO_PID
cat "$MK_TMP/all.lp" >"$MK_TMP/all.in" &
writer=$!
mk_at_exit "kill $writer 2>/dev/null"
sleep 10
written1=$(awk '/^wchar/ {print $2}' /proc/$writer/io)
rss1=$(mk_rss_kib $pid)
sleep 15
written2=$(awk '/^wchar/ {print $2}' /proc/$writer/io)
rss2=$(mk_rss_kib $pid)
total=$(stat -c %s "$MK_TMP/all.lp")
echo "all down: writer wrote $written1 then $written2 of $total bytes; rss $rss1 then $rss2 KiB"
mk_eq "all down: stdin paused (bytes taken 10 s and 25 s in)" "$written1" "$written2"
((written2 < total / 2)) || mk_fail "all down: $written2 of $total bytes taken"
# 16 MB for telex plus librdkafka's queue (20,000 records of ~95 bytes
# and their bookkeeping), with room for the sanitizers' own memory.
limit=$((32 * 1024))
[ "${SAN:-}" = 1 ] && limit=$((256 * 1024))
((rss2 < limit)) || mk_fail "all down: rss $rss2 KiB over $limit KiB"
sleep 5 # 30 s down in all
mk_cmd up all >/dev/null
wait $writer
wait $pid
mk_eq "all down: exit status" 0 $?
expect_topic all "$MK_TMP/all.lp"

# --- Packed records with the brokers down: packs that find the queue
# full wait in telex (their lines were taken), are produced first once
# there is room, and every line arrives once.
ko_lines 20000 >"$MK_TMP/packs.lp"
{
	common_conf packs
	echo '    "queue.buffering.max.messages" = 50'
} | sed 's/^  topic/  metrics_per_record = 10\n  topic/' | ko_conf packs
mkfifo "$MK_TMP/packs.in"
mk_cmd down all >/dev/null
ko_start packs "$MK_TMP/packs.in" -debug
cat "$MK_TMP/packs.lp" >"$MK_TMP/packs.in" &
writer=$!
mk_at_exit "kill $writer 2>/dev/null"
ko_await "$MK_TMP/packs.log" 'stdin paused' 100
ko_logged packs 'stdin paused'
mk_cmd up all >/dev/null
wait $writer
wait "$KO_PID"
mk_eq "packs: exit status" 0 $?
timeout 60 kcat -C -b "$MK_BOOTSTRAP" -t packs -o beginning -e -q -f '%s' |
	sort >"$MK_TMP/packs.got"
sort "$MK_TMP/packs.lp" | cmp -s - "$MK_TMP/packs.got" ||
	mk_fail "packs: $(wc -l <"$MK_TMP/packs.got") lines arrived, not the 20000 sent once each"
ko_logged packs '20000 metrics taken, 20000 delivered in [0-9]+ records, 0 failed'

# --- Oversize records among normal ones: dropped, counted, named; the
# rest is delivered; exit 1 (memory mode has no rejected file: counted
# and logged only).
ko_lines 1000 >"$MK_TMP/ok.lp"
awk '{print} NR % 100 == 0 {printf "oversize,host=x blob=\"%0600d\" %d\n", 0, NR}' \
	"$MK_TMP/ok.lp" >"$MK_TMP/mixed.lp"
{
	common_conf mixed
	echo '    "linger.ms" = 5'
} | sed 's/^  topic/  max_message_bytes = 400\n  topic/' | ko_conf mixed
ko_run mixed <"$MK_TMP/mixed.lp"
mk_eq "oversize: exit status" 1 $?
expect_topic mixed "$MK_TMP/ok.lp"
ko_logged mixed '^E! a record of [0-9]+ bytes is larger than max_message_bytes \(400\): dropped \(metric "oversize"\)'
ko_logged mixed '1010 metrics taken, 1000 delivered in 1000 records, 10 failed \(message too large: 10\)'
# Failures that happened at once are not a missed deadline.
grep -q 'did not deliver everything before the flush deadline' "$MK_TMP/mixed.log" &&
	mk_fail "oversize: the flush deadline was blamed: $(cat "$MK_TMP/mixed.log")"

# --- Garbage lines among valid ones: skipped and counted (by the shim),
# the rest delivered, exit 0.
awk '{print} NR % 10 == 0 {print "this is not line protocol"; print "m,t= v=1"}' \
	"$MK_TMP/ok.lp" >"$MK_TMP/garbage.lp"
common_conf garbage | ko_conf garbage
ko_run garbage <"$MK_TMP/garbage.lp" || mk_fail "garbage: exit $?"
expect_topic garbage "$MK_TMP/ok.lp"
ko_logged garbage '^W! invalid line protocol skipped'
ko_logged garbage '200 invalid lines skipped'
ko_logged garbage '1000 metrics taken, 1000 delivered'

# --- stdin closed while records are in flight (slow brokers): the flush
# delivers them before exiting 0.
mk_cmd rtt all 300 >/dev/null
ko_lines 5000 >"$MK_TMP/slow.lp"
common_conf slow | ko_conf slow
ko_run slow <"$MK_TMP/slow.lp" || mk_fail "slow: exit $?: $(tail "$MK_TMP/slow.log")"
mk_cmd rtt all 0 >/dev/null
expect_topic slow "$MK_TMP/slow.lp"

# --- stdin closed with no broker up: after the flush deadline the
# records are purged, counted as failed, exit 1.
mk_cmd down all >/dev/null
common_conf none | ko_conf none
head -n 100 "$MK_TMP/ok.lp" | ko_run none -flush_timeout 1s
mk_eq "no broker: exit status" 1 $?
ko_logged none 'records still undelivered at the flush deadline: purged'
ko_logged none '^E! kafka output: 100 metrics taken, 0 delivered in 0 records, 100 failed \(_PURGE_QUEUE: 100\)'
mk_cmd up all >/dev/null
echo PASS
