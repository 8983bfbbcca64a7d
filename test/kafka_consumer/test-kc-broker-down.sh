#!/usr/bin/env bash
# Brokers down and up: a running consumer rides out an outage (logging it
# rate-limited) and reads what comes after; a consumer started while every
# broker is down starts reading once they are back. Nothing is lost.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

mk_start --brokers 3 --topic bd:4
kc_produce_ids bd before 1 1000
kc_conf "$MK_TMP/bd.conf" 'topics = ["bd"]' 'consumer_group = "bd"'
kc_start run "$MK_TMP/bd.conf"
kc_wait_lines run 1000

mk_cmd down all >/dev/null
sleep 6
mk_cmd up all >/dev/null
kc_produce_ids bd after 1001 2000
kc_wait_ids run 1 2000
kc_eof run
mk_eq "records read across the outage" "$(seq 1 2000)" \
	"$(kc_ids "$(kc_out run)" | sort -un)"
warnings=$(grep -c '^[WE]! ' "$(kc_err run)")
echo "$warnings warning lines for a 6 s outage of 3 brokers"
[ "$warnings" -lt 40 ] || mk_fail "outage logs are not rate-limited:" \
	"$(head -20 "$(kc_err run)")"

# Started during an outage.
mk_cmd down all >/dev/null
kc_conf "$MK_TMP/late.conf" 'topics = ["bd"]' 'consumer_group = "late"'
kc_start late "$MK_TMP/late.conf"
sleep 3
kc_alive late || mk_fail "the consumer gave up while the brokers were down"
mk_cmd up all >/dev/null
kc_wait_ids late 1 2000
kc_eof late
mk_eq "records read after starting in an outage" "$(seq 1 2000)" \
	"$(kc_ids "$(kc_out late)" | sort -un)"
echo PASS
