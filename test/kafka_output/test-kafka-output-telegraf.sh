#!/usr/bin/env bash
# telex-kafka-output with a spool under the real Telegraf 1.25: an
# inputs.execd generator makes 300 distinct points/s for 20 s and
# outputs.execd runs telex-kafka-output. All brokers go down for longer
# than message.timeout.ms; during the outage telex-kafka-output gets
# SIGTERM once and kill -9 once (Telegraf restarts it), the kill -9
# leaves a torn tail in its spool, and then the spool fills up (stdin
# blocks, Telegraf buffers). Then the brokers come back: every point
# arrives, 0 lost. A spool_dir Telegraf's user cannot write is reported
# at start.
#
# The kill -9 comes before the spool is full: once it is, stdin is not
# read, and what Telegraf wrote into the pipe (up to 64 KiB, a batch it
# counts as delivered) dies with the process, as it would with any execd
# output.
set -u
. "$TELEX_SRC/test/kafka_output/lib.sh"
MK_TIMEOUT=60
TELEGRAF=${TELEGRAF:-$(command -v telegraf ||
	echo "$TELEX_SRC/../shared/bin/telegraf")}
[ -x "$TELEGRAF" ] || {
	echo "skip: telegraf not found (PATH, or ../shared/bin)"
	exit 77
}
N=6000

mk_start --brokers 3 --topic tg:4

# 30 points every 100 ms, each distinct (seq) and ~450 bytes as Telegraf
# writes it; then it waits for Telegraf to close its stdin.
cat >"$MK_TMP/gen.sh" <<'EOF'
#!/usr/bin/env bash
pad=$(printf '%0400d' 0)
i=0
while ((i < $1)); do
	for ((j = 0; j < 30 && i < $1; j++)); do
		i=$((i + 1))
		echo "gen,src=tg seq=${i}i,pad=\"$pad\""
	done
	sleep 0.1
done
while read -r _; do :; done
EOF
ko_conf tg <<EOF
  topic = "tg"
  routing_tag = "src"
  stats_interval = "0s"
  spool_dir = "$MK_TMP/tg.spool"
  spool_max_bytes = "1536KiB"
  [outputs.kafka.librdkafka]
    "message.timeout.ms" = 2000
    "reconnect.backoff.max.ms" = 200
EOF
cat >"$MK_TMP/telegraf.conf" <<EOF
[agent]
  interval = "1s"
  flush_interval = "1s"
  omit_hostname = true
[[inputs.execd]]
  command = ["bash", "$MK_TMP/gen.sh", "$N"]
  signal = "none"
  data_format = "influx"
[[outputs.execd]]
  command = ["$KO", "-config", "$MK_TMP/tg.conf"]
  data_format = "influx"
  restart_delay = "1s"
EOF

"$TELEGRAF" --config "$MK_TMP/telegraf.conf" >"$MK_TMP/telegraf.log" 2>&1 &
TPID=$!
mk_at_exit "kill $TPID 2>/dev/null"

# The telex-kafka-output Telegraf runs now (its pid), or nothing.
ko_child() {
	local p exe
	exe=$(readlink -f "$KO")
	for p in $(ps -o pid= --ppid "$TPID"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] && echo "$p"
	done
}
wait_child() { # a child other than $1
	local i p
	for i in $(seq 200); do
		p=$(ko_child)
		[ -n "$p" ] && [ "$p" != "${1:-}" ] && { echo "$p"; return; }
		sleep 0.1
	done
	mk_fail "Telegraf did not (re)start telex-kafka-output: $(tail "$MK_TMP/telegraf.log")"
}
wait_gone() {
	local i
	for i in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	mk_fail "telex-kafka-output $1 did not exit"
}
tlogged() {
	grep -qE "$1" "$MK_TMP/telegraf.log" ||
		mk_fail "no Telegraf log line matching /$1/: $(tail -n 20 "$MK_TMP/telegraf.log")"
}
seqs() { mk_consume tg '%s' | sed -n 's/.*seq=\([0-9]*\)i.*/\1/p'; }
# Records in the topic, from its partitions' end offsets (cheap).
records() {
	timeout 10 kcat -Q -b "$MK_BOOTSTRAP" -t tg:0:-1 -t tg:1:-1 \
		-t tg:2:-1 -t tg:3:-1 2>/dev/null | awk '{n += $NF} END {print n + 0}'
}

pid=$(wait_child)
mk_wait_count tg 300 >/dev/null
mk_cmd down all >/dev/null
sleep 2.5 # longer than message.timeout.ms: records expire, are kept
kill -TERM "$pid"
wait_gone "$pid"
pid=$(wait_child "$pid")
sleep 1
kill -KILL "$pid"
wait_gone "$pid"
# A frame cut short, as if the kill had come in the middle of a write.
seg=$(ls "$MK_TMP/tg.spool"/*.seg | tail -n 1)
printf 'TXSL\x64\x00\x00\x00garbage' >>"$seg"
pid=$(wait_child "$pid")
ko_await "$MK_TMP/telegraf.log" 'is full' 150
tlogged 'spool .* is full .*: stdin paused until Kafka confirms records'
mk_cmd up all >/dev/null
for _ in $(seq 600); do
	[ "$(records)" -ge "$N" ] && break
	sleep 0.1
done
kill -TERM "$TPID"
wait "$TPID"
seqs | sort -n >"$MK_TMP/tg.seqs"
distinct=$(sort -un "$MK_TMP/tg.seqs" | wc -l)
total=$(wc -l <"$MK_TMP/tg.seqs")
echo "under Telegraf: $distinct of $N points in Kafka ($((total - distinct)) sent twice)"
missing=$(comm -23 <(seq "$N" | sort) <(sort -u "$MK_TMP/tg.seqs") | head -n 5)
[ -z "$missing" ] || mk_fail "under Telegraf: lost points, seq $missing ..."
mk_eq "under Telegraf: points" "$N" "$distinct"
tlogged 'failed with _MSG_TIMED_OUT .*producing them again'
tlogged 'a torn tail of 15 bytes .* was cut off'
mk_eq "under Telegraf: spool left" 0 \
	"$("$KO" --spool-status "$MK_TMP/tg.spool" | sed -n 's/^records: //p')"

# A spool_dir Telegraf's user cannot write: the reason reaches Telegraf's
# log at start (exit 2, restarted every restart_delay).
chmod 0555 "$MK_TMP/tg.spool"
as_user=()
if [ "$(id -u)" = 0 ]; then
	chmod 0755 "$MK_TMP"
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	ro=$(mktemp -d /tmp/telex-ko-tg.XXXXXX)
	mk_at_exit "rm -rf $ro"
	chmod 0755 "$ro"
	cp "$KO" "$ro/ko"
	sed -i "s|\"$KO\"|\"$ro/ko\"|" "$MK_TMP/telegraf.conf"
	chmod 0644 "$MK_TMP/telegraf.conf" "$MK_TMP/tg.conf" "$MK_TMP/gen.sh"
fi
: >"$MK_TMP/telegraf.log"
"${as_user[@]}" "$TELEGRAF" --config "$MK_TMP/telegraf.conf" \
	>"$MK_TMP/telegraf.log" 2>&1 &
TPID=$!
ko_await "$MK_TMP/telegraf.log" 'cannot create files' 100
kill -TERM "$TPID"
wait "$TPID"
tlogged 'tg\.conf:[0-9]+: bad value for "spool_dir" in \[\[outputs\.kafka\]\]: ".*": cannot create files in it: Permission denied \(the user running telex-kafka-output needs write access\)'
echo PASS
