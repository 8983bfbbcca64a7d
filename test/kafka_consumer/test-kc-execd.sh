#!/usr/bin/env bash
# The execd contract, through telex-execd-harness (a stand-in for
# Telegraf's inputs.execd): a service input with signal = "none" writes
# only valid, whole lines and logs only level-prefixed lines; closing
# stdin is enough to stop it (no SIGTERM needed), with exit 0 and every
# written record committed; "STDIN" signals by mistake change nothing;
# SIGTERM alone also ends it cleanly.
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need
HARNESS=$TELEX_BIN/telex-execd-harness
[ -x "$HARNESS" ] || mk_fail "$HARNESS not built"

mk_start --brokers 3 --topic ex:4
kc_produce_ids ex ex 1 3000
ends() {
	mk_consume ex '%p %o\n' | awk '{if ($2 + 1 > e[$1]) e[$1] = $2 + 1}
		END {for (p in e) print "ex", p, e[p]}' | sort
}

sv() { sed -n "s/^$1=//p" "$MK_TMP/summary"; }
harness() {
	"$HARNESS" --quiet --timeout 60s --summary "$MK_TMP/summary" \
		--stderr "$MK_TMP/harness.err" --save "$MK_TMP/harness.out" "$@" ||
		mk_fail "the harness failed: $*"
	mk_eq "exit code" 0 "$(sv exit_code)"
	mk_eq "shutdown needed" stdin "$(sv shutdown)"
	mk_eq "invalid lines" 0 "$(sv invalid_lines)"
	mk_eq "partial lines" 0 "$(sv partial_lines)"
	mk_eq "stderr lines without a level prefix" 0 "$(sv stderr_unprefixed)"
	mk_eq "stderr lines over 64 KiB" 0 "$(sv stderr_long)"
}

kc_conf "$MK_TMP/ex.conf" 'topics = ["ex"]' 'consumer_group = "ex"'
harness --signal none --metrics 3000 -- "$KC" -config "$MK_TMP/ex.conf"
mk_eq "metrics read" 3000 "$(sv metrics)"
echo "EOF to exit: $(sv shutdown_ms) ms"
mk_eq "committed at exit" "$(ends)" "$(kc_committed ex ex | sort)"

# signal = "STDIN" by mistake: the lines are ignored, EOF still ends it.
kc_produce_ids ex more 3001 3100
harness --signal STDIN --interval 100ms --count 300 --metrics 100 \
	-- "$KC" -config "$MK_TMP/ex.conf"
mk_eq "metrics after resuming" 100 "$(sv metrics)"
mk_eq "committed at exit" "$(ends)" "$(kc_committed ex ex | sort)"

# SIGTERM with stdin still open: a clean exit, offsets committed.
kc_produce_ids ex term 3101 3200
kc_start term "$MK_TMP/ex.conf"
kc_wait_lines term 100
kill -TERM "${KC_PID[term]}"
for i in $(seq 100); do kc_alive term || break; sleep 0.1; done
kc_alive term && mk_fail "still running 10 s after SIGTERM"
wait "${KC_PID[term]}"
mk_eq "exit status after SIGTERM" 0 $?
mk_eq "committed after SIGTERM" "$(ends)" "$(kc_committed ex ex | sort)"
echo PASS
