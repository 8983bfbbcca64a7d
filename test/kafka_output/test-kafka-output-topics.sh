#!/usr/bin/env bash
# telex-kafka-output and bad topics: a topic the brokers do not know says
# so at exit (it showed only "Local: Purged in queue"), and in spool mode
# its records go to the rejected file once librdkafka gives up on it; a
# 1 MB topic name gives its reason first in a short message (the message
# was cut off before it); topic_tag with 10,000 distinct values stays
# bounded: past max_topics records are refused (librdkafka keeps every
# topic until exit: 777 MB before).
set -u
. "$TELEX_SRC/test/kafka_output/lib.sh"
MK_TIMEOUT=60

mk_start --brokers 3 --topic known:2
mk_cmd topic-error nosuch UNKNOWN_TOPIC_OR_PART >/dev/null
mk_cmd topic-error nosuch2 UNKNOWN_TOPIC_OR_PART >/dev/null
ko_lines 20 >"$MK_TMP/in.lp"

# --- Unknown topic, memory mode: the flush deadline comes before
# librdkafka gives up (topic.metadata.propagation.max.ms, 30 s); the
# exit says what the brokers said about the topic.
ko_conf unknown <<<$'  topic = "nosuch"\n  stats_interval = "0s"'
ko_run unknown -flush_timeout 2s <"$MK_TMP/in.lp"
mk_eq "unknown topic: exit status" 1 $?
ko_logged unknown '^E! kafka output: 20 metrics for topic "nosuch" were not delivered: the brokers say: Broker: Unknown topic or partition'

# --- Unknown topic, spool mode, librdkafka told to give up after 0.5 s:
# not produced again forever, kept in rejected.lp, the spool moves on.
ko_conf unknown2 <<EOF
  topic = "nosuch2"
  stats_interval = "0s"
  spool_dir = "$MK_TMP/unknown2.spool"
  [outputs.kafka.librdkafka]
    "topic.metadata.propagation.max.ms" = 500
EOF
ko_run unknown2 <"$MK_TMP/in.lp"
rc=$?; mk_eq "unknown topic (spool): exit status" 1 $rc
ko_logged unknown2 '20 failed \(UNKNOWN_TOPIC_OR_PART: 20\); 20 of them kept in .*/rejected.lp; spool .*: 0 metrics left'
mk_eq "unknown topic (spool): rejected" 20 \
	"$(grep -c '^# rejected .* reason="UNKNOWN_TOPIC_OR_PART" topic="nosuch2"' "$MK_TMP/unknown2.spool/rejected.lp")"
mk_eq "unknown topic (spool): lines kept" "$(cat "$MK_TMP/in.lp")" \
	"$(grep -v '^#' "$MK_TMP/unknown2.spool/rejected.lp")"

# --- A 1 MB topic name (from topic_tag): refused at once, the reason at
# the front of a short message; the other lines are delivered.
ko_conf huge <<<$'  topic = "known"\n  topic_tag = "kafka_topic"\n  max_message_bytes = 3000000\n  stats_interval = "0s"'
{
	head -n 10 "$MK_TMP/in.lp"
	printf 'm,kafka_topic=%s v=1 1700000000000000000\n' "$(head -c 1048576 /dev/zero | tr '\0' a)"
	tail -n 10 "$MK_TMP/in.lp"
} | ko_run huge
mk_eq "1 MB topic: exit status" 1 $?
ko_logged huge '^E! a topic name of 1048576 bytes is longer than Kafka allows \(249\): "a{64}\.\.\.": dropped \(metric "m"\)$'
long=$(awk 'length > 600' "$MK_TMP/huge.log" | wc -l)
mk_eq "1 MB topic: log lines over 600 bytes" 0 "$long"
mk_eq "1 MB topic: the others delivered" 20 "$(mk_count known)"
ko_logged huge '21 metrics taken, 20 delivered in 20 records, 1 failed \(invalid topic: 1\)'

# --- topic_tag with 10,000 distinct values (the mock creates topics on
# first use): up to max_topics (1000, with the default topic) are
# produced, the rest refused and counted; memory and time stay small.
awk 'BEGIN { for (i = 0; i < 10000; i++)
	printf "m,kafka_topic=t%05d v=%di 1700000000000000000\n", i, i }' \
	>"$MK_TMP/many.lp"
ko_conf many <<<$'  topic = "known"\n  topic_tag = "kafka_topic"\n  stats_interval = "0s"'
/usr/bin/time -f '%M %e' -o "$MK_TMP/many.time" \
	"$KO" -config "$MK_TMP/many.conf" <"$MK_TMP/many.lp" 2>"$MK_TMP/many.log"
mk_eq "many topics: exit status" 1 $?
read -r rss secs < <(tail -n 1 "$MK_TMP/many.time")
echo "10,000 distinct topics: peak RSS $rss KiB, $secs s"
ko_logged many '^E! topic "t00999" would be topic number 1001: max_topics is 1000 \(librdkafka keeps every topic until exit\): dropped'
ko_logged many '10000 metrics taken, 999 delivered in 999 records, 9001 failed \(too many topics: 9001\)'
limit=$((96 * 1024))
[ "${SAN:-}" = 1 ] && limit=$((512 * 1024))
((rss < limit)) || mk_fail "many topics: peak RSS $rss KiB over $limit KiB"
mk_eq "many topics: t00998 delivered" 1 "$(mk_count t00998)"
echo PASS
