#!/usr/bin/env bash
# topic_regexps: Telegraf's unanchored match (POSIX extended here), next to
# literal topics; a matching topic created while the consumer runs is
# consumed too; a topic that matches nothing is not.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

mk_start --brokers 1 --topic lit:1 --topic app_metrics:2 --topic other:1
for t in lit app_metrics other; do kc_produce_ids $t $t 1 3; done

kc_conf "$MK_TMP/rx.conf" 'topics = ["lit"]' \
	'topic_regexps = ["metrics", "^nothing$"]' 'topic_tag = "topic"' \
	'consumer_group = "rx"' \
	-- '"topic.metadata.refresh.interval.ms" = 1000'
kc_start rx "$MK_TMP/rx.conf"
kc_wait_lines rx 6

mk_cmd topic new_metrics:2 >/dev/null
kc_produce_ids new_metrics new 1 4
kc_produce_ids other other 4 6
kc_wait_lines rx 10
kc_eof rx
mk_eq "topics read" "app_metrics 3
lit 3
new_metrics 4" "$(sed -n 's/.*topic=\([a-z_]*\).*/\1/p' "$(kc_out rx)" |
	sort | uniq -c | awk '{print $2, $1}')"

# A regexp that is not POSIX extended is a config error (exit 2).
kc_conf "$MK_TMP/bad.conf" 'topic_regexps = ["(unclosed"]'
"$KC" -config "$MK_TMP/bad.conf" </dev/null >/dev/null 2>"$MK_TMP/bad.err"
mk_eq "exit status for a bad regexp" 2 $?
grep -q 'bad\.conf:3: bad value for "topic_regexps" in \[\[inputs\.kafka_consumer\]\]: "(unclosed" is not a POSIX extended' \
	"$MK_TMP/bad.err" || mk_fail "message: $(cat "$MK_TMP/bad.err")"
echo PASS
