#!/usr/bin/env bash
# lag_interval: kafka_consumer_lag for each assigned partition, from
# librdkafka's statistics: high_watermark is the partition's end, and once
# the group has committed everything, lag is 0 and committed_offset the end.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

mk_start --brokers 1 --topic lag:2 --topic other:1
kc_produce_ids lag lag 1 100
kc_produce_ids other other 1 10
ends=$(mk_consume lag '%p %o\n' | awk '{if ($2 + 1 > e[$1]) e[$1] = $2 + 1}
	END {for (p in e) print p, e[p]}' | sort)

kc_conf "$MK_TMP/lag.conf" 'topics = ["lag"]' 'consumer_group = "lagging"' \
	'lag_interval = "1s"' -- '"auto.commit.interval.ms" = 500'
kc_start lag "$MK_TMP/lag.conf"
kc_wait_lines lag 100
caught_up() {
	grep '^kafka_consumer_lag,' "$(kc_out lag)" | grep -c \
		' lag=0i,committed_offset=[0-9]*i,high_watermark='
}
for i in $(seq $((MK_TIMEOUT * 5))); do
	[ "$(caught_up)" -ge 2 ] && break
	sleep 0.2
done
kc_eof lag

lags=$(grep '^kafka_consumer_lag,' "$(kc_out lag)")
[ -n "$lags" ] || mk_fail "no kafka_consumer_lag metric"
# Tags and fields as documented; only the assigned topic.
bad=$(grep -Ev '^kafka_consumer_lag,consumer_group=lagging,partition=[01],topic=lag( lag=[0-9]+i,| )(committed_offset=[0-9]+i,)?high_watermark=[0-9]+i [0-9]{19}$' \
	<<<"$lags")
mk_eq "malformed lag lines" "" "$bad"
mk_eq "lag 0 at the end, committed = high watermark = end" "$ends" \
	"$(grep ' lag=0i,' <<<"$lags" | sed -n \
	's/.*partition=\([01]\).*committed_offset=\([0-9]*\)i,high_watermark=\([0-9]*\)i.*/\1 \2 \3/p' |
	awk '$2 == $3 {print $1, $2}' | sort -u)"
echo PASS
