#!/usr/bin/env bash
# Flow control while catching up: half a million records arrive faster
# than they are handled, so the prefetch FIFO fills and the partitions are
# paused and resumed (with a seek) many times. Every record must come out
# exactly once, and each partition's records in offset order.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

N=500000
mk_start --brokers 3 --topic flow:16
kc_produce_ids flow flow 1 $N
kc_conf "$MK_TMP/flow.conf" 'topics = ["flow"]' 'consumer_group = "flow"' \
	'topic_tag = "topic"'
kc_start flow "$MK_TMP/flow.conf"
kc_wait_lines flow $N
kc_eof flow
twice=$(kc_ids "$(kc_out flow)" | uniq -d | head -3)
if [ -n "$twice" ]; then
	# What the consumer did (rebalances, pauses, errors) and where the
	# copies stand in its output, for whoever reads a failure.
	for id in $twice; do grep -n " id=${id}i" "$(kc_out flow)"; done
	grep -v '^D!' "$(kc_err flow)" | tail -n 40
fi
mk_eq "records read twice" "" "$twice"
mk_eq "records lost" "" "$(comm -23 <(seq 1 $N | sort) \
	<(kc_ids "$(kc_out flow)" | sort -u))"
pauses=$(grep -o '[0-9]* pauses' "$(kc_err flow)" | cut -d' ' -f1)
refetched=$(grep -o '[0-9]* records fetched again' "$(kc_err flow)" |
	cut -d' ' -f1)
echo "$N records, $pauses pauses, $refetched fetched again and skipped"
[ "${pauses:-0}" -ge 3 ] || mk_fail "the FIFO never filled ($pauses pauses)"
# Where each id is ("id partition offset"), then the output in that light.
mk_consume flow '%p %o %s\n' |
	sed -n 's/^\([0-9]*\) \([0-9]*\) .* id=\([0-9]*\)i.*/\3 \1 \2/p' \
	>"$MK_TMP/where"
sed -n 's/.* id=\([0-9]*\)i.*/\1/p' "$(kc_out flow)" |
	awk 'NR == FNR {p[$1] = $2; o[$1] = $3; next}
	{if ((p[$1] in last) && o[$1] <= last[p[$1]]) bad++; last[p[$1]] = o[$1]}
	END {print bad + 0}' "$MK_TMP/where" - >"$MK_TMP/bad"
mk_eq "records out of partition order" 0 "$(cat "$MK_TMP/bad")"
echo PASS
