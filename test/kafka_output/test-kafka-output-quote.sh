#!/usr/bin/env bash
# telex-kafka-output with an unclosed '"' in its input (issue 10): the bad
# line is counted and logged, and every good line after it reaches Kafka
# (read back with kcat): 100,000 lines (11 MB) after one at the top, and
# 22 lines between such a line and the next '"' in a mixed stream.
set -u
. "$TELEX_SRC/test/kafka_output/lib.sh"
MK_TIMEOUT=60

# Keyed records over 8 partitions: the mock keeps 5 MiB or 100,000 records a
# partition (it drops older ones), which sticky unkeyed batches can pass.
mk_start --brokers 1 --topic quote:8 --topic mixed:2

# Exactly the lines of file $2 in topic $1, each once.
expect_topic() {
	mk_consume "$1" '%s' | sort >"$MK_TMP/$1.got"
	mk_eq "$1: records" "$(wc -l <"$2")" "$(wc -l <"$MK_TMP/$1.got")"
	sort "$2" | cmp -s - "$MK_TMP/$1.got" ||
		mk_fail "$1: the records differ from the good lines"
}

printf '  topic = "quote"\n  routing_tag = "domain"\n  stats_interval = "0s"\n  log_level = "info"\n' |
	ko_conf quote
ko_lines 100000 >"$MK_TMP/good.lp"
{
	echo 'vm_cpu,host=hv1 state="running 1'
	cat "$MK_TMP/good.lp"
} >"$MK_TMP/quote.lp"
ko_run quote <"$MK_TMP/quote.lp"
mk_eq "exit status" 0 $?
expect_topic quote "$MK_TMP/good.lp"
ko_logged quote '^W! invalid line protocol skipped: expected closing quote .* at 1:23'
ko_logged quote '100000 metrics read, 100000 handed to the plugin, 0 dropped by filters, 1 invalid lines skipped'

# A mixed stream: a bad line, 22 good ones, then a line with a string.
printf '  topic = "mixed"\n  stats_interval = "0s"\n  log_level = "info"\n' |
	ko_conf mixed
{
	ko_lines 5
	echo 'vm_cpu,host=hv1 state="running 1'
	ko_lines 22 vm_disk
	echo 'vm_net,host=hv1 note="a b" 1700000000000000000'
	ko_lines 5 vm_mem
} >"$MK_TMP/mixed.lp"
grep -v '"running 1$' "$MK_TMP/mixed.lp" >"$MK_TMP/mixed.good"
ko_run mixed <"$MK_TMP/mixed.lp"
mk_eq "mixed: exit status" 0 $?
expect_topic mixed "$MK_TMP/mixed.good"
ko_logged mixed '1 invalid lines skipped'
echo PASS
