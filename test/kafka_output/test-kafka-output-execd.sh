#!/usr/bin/env bash
# telex-kafka-output under Telegraf's outputs.execd (the execd harness):
# quiet on stdout, every stderr line with a level, stdin EOF is enough to
# finish (well within Telegraf's 5 s), exit codes say whether everything
# was delivered; a raw newline inside a string field stays inside one
# record; SIGTERM flushes like EOF.
set -u
. "$TELEX_SRC/test/kafka_output/lib.sh"
HARNESS=$TELEX_BIN/telex-execd-harness
[ -x "$HARNESS" ] || mk_fail "$HARNESS not built"
SUMMARY=$MK_TMP/summary

harness() { # NAME HARNESS-OPTIONS...: the program's stderr in NAME.log
	local name=$1
	shift
	"$HARNESS" --quiet --summary "$SUMMARY" --stderr "$MK_TMP/$name.log" \
		"$@" -- "$KO" -config "$MK_TMP/$name.conf" ||
		mk_fail "harness: $*"
}
sv() { sed -n "s/^$1=//p" "$SUMMARY"; }
expect_contract() { # NAME: what Telegraf asks of any execd child
	mk_eq "$1: shutdown needed" stdin "$(sv shutdown)"
	mk_eq "$1: lines on stdout" 0 "$(sv stdout_lines)"
	mk_eq "$1: stderr lines without a level" 0 "$(sv stderr_unprefixed)"
	mk_eq "$1: stderr lines over 64 KiB" 0 "$(sv stderr_long)"
}

mk_start --brokers 3 --topic ok:4 --topic nl:1 --topic down:2 --topic term:2

# Telegraf's defaults: batches of 1000, one write per metric.
ko_lines 10000 >"$MK_TMP/ok.lp"
ko_conf ok <<<$'  topic = "ok"\n  routing_tag = "host"'
harness ok --output "$MK_TMP/ok.lp"
expect_contract ok
mk_eq "ok: exit code" 0 "$(sv exit_code)"
mk_eq "ok: fed" 10000 "$(sv fed_metrics)"
mk_eq "ok: records" "$(sort "$MK_TMP/ok.lp")" "$(mk_consume ok '%s' | sort)"

# use_batch_format, and a string field holding a raw newline (Telegraf's
# serializer does not escape it): one metric, one record.
{
	echo 'event,host=a msg="first line'
	echo 'second line",n=1i 1700000000000000000'
	echo 'event,host=b msg="plain",n=2i 1700000000001000000'
} >"$MK_TMP/nl.lp"
ko_conf nl <<<'  topic = "nl"'
harness nl --output "$MK_TMP/nl.lp" --batch-format
expect_contract nl
mk_eq "newline: exit code" 0 "$(sv exit_code)"
mk_eq "newline: records" 2 "$(mk_count nl)"
mk_eq "newline: values" "$(cat "$MK_TMP/nl.lp")" "$(mk_consume nl '%s')"

# No broker: librdkafka's queue fills, stdin stops being read (Telegraf's
# writes find the pipe full); when Telegraf closes stdin the program
# flushes until its deadline (4 s), says what it could not deliver and
# exits 1 before Telegraf would send SIGTERM.
mk_cmd down all >/dev/null
ko_lines 30000 >"$MK_TMP/down.lp"
ko_conf down <<'EOF'
  topic = "down"
  [outputs.kafka.librdkafka]
    "queue.buffering.max.messages" = 2000
EOF
harness down --output "$MK_TMP/down.lp" --duration 2s
expect_contract down
mk_eq "down: exit code" 1 "$(sv exit_code)"
(($(sv stdin_eagain) >= 1)) || mk_fail "down: stdin never filled up"
(($(sv fed_metrics) < 30000)) || mk_fail "down: all 30000 metrics were taken"
grep -qE '^E! kafka output: [0-9]+ metrics taken, 0 delivered in 0 records, [0-9]+ failed \(_PURGE_QUEUE: [0-9]+\)' \
	"$MK_TMP/down.log" || mk_fail "down: no failure count: $(tail -n 5 "$MK_TMP/down.log")"
mk_cmd up all >/dev/null

# A config error: exit 2 at once, the reason on stderr.
ko_conf bad <<<$'  topic = "x"\n  compression_codec = 9'
harness bad --output "$MK_TMP/nl.lp"
mk_eq "bad config: exit code" 2 "$(sv exit_code)"
mk_eq "bad config: starts" 1 "$(sv starts)"
grep -q '^E! .*/bad\.conf:4: bad value for "compression_codec"' "$MK_TMP/bad.log" ||
	mk_fail "bad config: no reason: $(cat "$MK_TMP/bad.log")"

# SIGTERM with stdin still open: deliver what was read, exit 0.
ko_conf term <<<'  topic = "term"'
mkfifo "$MK_TMP/term.in"
ko_start term "$MK_TMP/term.in"
exec {feed}>"$MK_TMP/term.in"
head -n 500 "$MK_TMP/ok.lp" >&$feed
mk_wait_count term 500 >/dev/null
kill -TERM "$KO_PID"
wait "$KO_PID"
mk_eq "SIGTERM: exit status" 0 $?
exec {feed}>&-
mk_eq "SIGTERM: records" 500 "$(mk_count term)"
ko_logged term '500 metrics taken, 500 delivered'
echo PASS
