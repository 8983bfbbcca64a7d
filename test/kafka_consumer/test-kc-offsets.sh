#!/usr/bin/env bash
# Where a group starts: offset = "newest" skips what was there before it
# joined, "oldest" (the default) reads everything; a group that exited
# cleanly resumes exactly at its committed offsets (no record twice).
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

mk_start --brokers 1 --topic off:2
kc_produce_ids off old 1 5

# newest: produce markers until one arrives (the consumer has its start
# offsets), then the records it must read.
kc_conf "$MK_TMP/newest.conf" 'topics = ["off"]' \
	'consumer_group = "g-newest"' 'offset = "newest"'
kc_start new "$MK_TMP/newest.conf"
kc_wait_log new 'assigned 2 partition'
marker=1000
until grep -q 'src=marker' "$(kc_out new)"; do
	kc_produce_ids off marker $marker $marker
	marker=$((marker + 1))
	[ $marker -lt 1100 ] || mk_fail "no marker arrived"
	sleep 0.3
done
kc_produce_ids off new 6 8
kc_wait_ids new 6 8
kc_eof new
mk_eq "records before the start, with newest" "" \
	"$(kc_ids "$(kc_out new)" | awk '$1 <= 5')"

# Committed offsets after a clean exit: the end of each partition.
ends=$(mk_consume off '%p %o\n' | awk '{if ($2 + 1 > e[$1]) e[$1] = $2 + 1}
	END {for (p in e) print "off", p, e[p]}' | sort)
mk_eq "committed offsets after EOF" "$ends" "$(kc_committed g-newest off | sort)"

# The same group again resumes there: exactly the records produced since.
kc_produce_ids off later 9 10
kc_start again "$MK_TMP/newest.conf"
kc_wait_ids again 9 10
kc_eof again
mk_eq "records read after resuming" "$(seq 9 10)" "$(kc_ids "$(kc_out again)")"

# newest, a partition that gets nothing while the consumer runs: its end
# at assignment is committed all the same, so what is produced there while
# the group is down is read at the next start, not skipped. (Without that
# commit the next start would be at the end again.)
mk_produce off -p 0 <<<'m,src=idle-old id=20i 20'
kc_conf "$MK_TMP/idle.conf" 'topics = ["off"]' \
	'consumer_group = "g-idle"' 'offset = "newest"'
kc_start idle1 "$MK_TMP/idle.conf"
kc_wait_log idle1 'assigned 2 partition'
marker=2000
until grep -q 'src=idle-marker' "$(kc_out idle1)"; do
	mk_produce off -p 1 <<<"m,src=idle-marker id=${marker}i $marker"
	marker=$((marker + 1))
	[ $marker -lt 2100 ] || mk_fail "no marker arrived"
	sleep 0.3
done
kc_eof idle1
mk_eq "idle partition committed at its end" "off 0 $(mk_consume off '%p %o\n' |
	awk '$1 == 0 {e = $2 + 1} END {print e}')" \
	"$(kc_committed g-idle off | grep '^off 0 ')"
mk_produce off -p 0 <<<'m,src=idle-new id=21i 21'
kc_start idle2 "$MK_TMP/idle.conf"
kc_wait_ids idle2 21 21
kc_eof idle2
mk_eq "read after the restart, from the idle partition" "21" \
	"$(kc_ids "$(kc_out idle2)")"

# oldest (the default): a new group reads everything once.
kc_conf "$MK_TMP/oldest.conf" 'topics = ["off"]' 'consumer_group = "g-oldest"'
kc_start old "$MK_TMP/oldest.conf"
total=$(mk_count off)
kc_wait_lines old "$total"
kc_eof old
mk_eq "records read with oldest" "$(mk_consume off '%s\n' | sed -n \
	's/.* id=\([0-9]*\)i.*/\1/p' | sort -n)" "$(kc_ids "$(kc_out old)")"
echo PASS
