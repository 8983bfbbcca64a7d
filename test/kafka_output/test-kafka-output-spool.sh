#!/usr/bin/env bash
# telex-kafka-output's spool (spool_dir) and its retries, against
# telex-mock-kafka, every count checked with kcat: all brokers down for
# longer than message.timeout.ms (both modes: nothing expires); SIGTERM
# and kill -9 during an outage, then a restart; a full spool; a torn tail
# after kill -9; an unwritable spool_dir; records Kafka refuses for good
# (the rejected file). Every line taken reaches Kafka exactly as read,
# once, in order per key.
set -u
. "$TELEX_SRC/test/kafka_output/lib.sh"
MK_TIMEOUT=60

mk_start --brokers 3 --topic expiry:8 --topic mexpiry:8 --topic term:4 \
	--topic full:4 --topic torn:4 --topic rej:2

# A spool table for topic $1: keys by domain (50 of them), outages short
# (message.timeout.ms 1.5 s), reconnects quick.
spool_conf() {
	cat <<EOF
  topic = "$1"
  routing_tag = "domain"
  stats_interval = "0s"
  log_level = "info"
  spool_dir = "$MK_TMP/$1.spool"
  [outputs.kafka.librdkafka]
    "message.timeout.ms" = 1500
    "reconnect.backoff.max.ms" = 200
EOF
}

# A value of telex-kafka-output --spool-status DIR.
status() { "$KO" --spool-status "$1" | sed -n "s/^$2: //p"; }

# Wait (up to 30 s) until the spool in $1 holds $2 records.
wait_spooled() {
	local i n=
	for i in $(seq 300); do
		n=$(status "$1" records)
		[ "$n" = "$2" ] && return 0
		sleep 0.1
	done
	mk_fail "$1: the spool holds [$n] records, not $2"
}

# Topic $1 holds exactly the lines of file $2, each once, and each key's
# lines in the order of the file (partition, then offset order).
expect_exact() {
	mk_consume "$1" '%p %o %s' | sort -k1,1n -k2,2n | cut -d' ' -f3- \
		>"$MK_TMP/$1.got"
	mk_eq "$1: records" "$(wc -l <"$2")" "$(wc -l <"$MK_TMP/$1.got")"
	sort "$2" | cmp -s - <(sort "$MK_TMP/$1.got") ||
		mk_fail "$1: the records differ from the lines read"
	local d
	for d in $(sed -n 's/.*domain=\(vm-[0-9]*\).*/\1/p' "$2" | sort -u); do
		cmp -s <(grep "domain=$d " "$2") \
			<(grep "domain=$d " "$MK_TMP/$1.got") ||
			mk_fail "$1: the lines of key $d are out of order"
	done
}

# --- All brokers down for longer than message.timeout.ms, in both modes:
# records that expire in librdkafka are produced again, nothing is lost.
ko_lines 4000 >"$MK_TMP/expiry.lp"
ko_lines 4000 mem_cpu >"$MK_TMP/mexpiry.lp"
spool_conf expiry | sed 's/stats_interval = "0s"/stats_interval = "1s"/' |
	ko_conf expiry
spool_conf mexpiry | grep -v spool_dir | ko_conf mexpiry
mkfifo "$MK_TMP/expiry.in" "$MK_TMP/mexpiry.in"
mk_cmd down all >/dev/null
ko_start expiry "$MK_TMP/expiry.in"
spid=$KO_PID
ko_start mexpiry "$MK_TMP/mexpiry.in"
mpid=$KO_PID
exec {sfeed}>"$MK_TMP/expiry.in" {mfeed}>"$MK_TMP/mexpiry.in"
head -n 3000 "$MK_TMP/expiry.lp" >&$sfeed
head -n 3000 "$MK_TMP/mexpiry.lp" >&$mfeed
wait_spooled "$MK_TMP/expiry.spool" 3000
# Two expiries at least (1.5 s each) before the brokers come back.
for _ in $(seq 100); do
	[ "$(grep -c 'failed with _MSG_TIMED_OUT.*producing them again' \
		"$MK_TMP/expiry.log")" -ge 1 ] &&
		[ "$(grep -c 'failed with _MSG_TIMED_OUT.*producing them again' \
			"$MK_TMP/mexpiry.log")" -ge 1 ] && break
	sleep 0.1
done
sleep 2
ko_logged expiry 'failed with _MSG_TIMED_OUT \(Local: Message timed out\); producing them again'
ko_logged mexpiry 'failed with _MSG_TIMED_OUT \(Local: Message timed out\); producing them again'
ko_logged expiry 'spool: 3000 records, [0-9.]+ KiB, oldest [0-9]+ s old'
mk_cmd up all >/dev/null
tail -n 1000 "$MK_TMP/expiry.lp" >&$sfeed
tail -n 1000 "$MK_TMP/mexpiry.lp" >&$mfeed
exec {sfeed}>&- {mfeed}>&-
wait $spid
mk_eq "expiry (spool): exit status" 0 $?
wait $mpid
mk_eq "expiry (memory): exit status" 0 $?
expect_exact expiry "$MK_TMP/expiry.lp"
expect_exact mexpiry "$MK_TMP/mexpiry.lp"
ko_logged expiry '4000 metrics taken, 4000 delivered in 4000 records, 0 failed'
ko_logged mexpiry '4000 metrics taken, 4000 delivered in 4000 records, 0 failed'
mk_eq "expiry: spool left" 0 "$(status "$MK_TMP/expiry.spool" records)"

# --- SIGTERM during an outage: the spool keeps everything and the
# program exits soon (well within Telegraf's 5 s), and so does the end
# of input; kill -9 during the same outage loses nothing either; the
# restart delivers it all.
ko_lines 3500 >"$MK_TMP/term.lp"
spool_conf term | ko_conf term
mkfifo "$MK_TMP/term.in"
mk_cmd down all >/dev/null
ko_start term "$MK_TMP/term.in"
exec {feed}>"$MK_TMP/term.in"
head -n 2000 "$MK_TMP/term.lp" >&$feed
wait_spooled "$MK_TMP/term.spool" 2000
start=$(date +%s%N)
kill -TERM "$KO_PID"
wait "$KO_PID"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
exec {feed}>&-
echo "SIGTERM with the brokers down: exit $rc after $ms ms"
mk_eq "SIGTERM: exit status" 0 $rc
((ms < 5000)) || mk_fail "SIGTERM: exit took $ms ms"
ko_logged term '2000 metrics stay in the spool .* and are delivered at the next start'
mk_eq "SIGTERM: spooled" 2000 "$(status "$MK_TMP/term.spool" records)"
mk_eq "SIGTERM: spool not in use" "not in use" \
	"$(status "$MK_TMP/term.spool" state)"
# End of input, brokers still down: 500 more, kept, exit 0 in time.
start=$(date +%s%N)
sed -n 2001,2500p "$MK_TMP/term.lp" | ko_run term
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
echo "EOF with the brokers down: exit $rc after $ms ms"
mk_eq "EOF: exit status" 0 $rc
((ms < 5000)) || mk_fail "EOF: exit took $ms ms"
ko_logged term '2500 metrics stay in the spool'
# Again, brokers still down: 500 more, then kill -9.
ko_start term "$MK_TMP/term.in"
exec {feed}>"$MK_TMP/term.in"
sed -n 2501,3000p "$MK_TMP/term.lp" >&$feed
wait_spooled "$MK_TMP/term.spool" 3000
mk_eq "kill -9: spool in use" "in use by pid $KO_PID" \
	"$(status "$MK_TMP/term.spool" state)"
kill -KILL "$KO_PID"
wait "$KO_PID" 2>/dev/null
exec {feed}>&-
mk_eq "kill -9: spooled" 3000 "$(status "$MK_TMP/term.spool" records)"
mk_cmd up all >/dev/null
mk_eq "kill -9: nothing delivered before the restart" 0 "$(mk_count term)"
tail -n 500 "$MK_TMP/term.lp" | ko_run term ||
	mk_fail "restart: exit $?: $(tail "$MK_TMP/term.log")"
ko_logged term 'holds 3000 metrics .* from an earlier run'
ko_logged term '500 metrics taken, 3500 delivered in 3500 records, 0 failed; 3000 metrics came from an earlier run; spool .*: 0 metrics left'
expect_exact term "$MK_TMP/term.lp"

# --- A full spool stops reading stdin (the writer blocks, as Telegraf's
# flush would), says so, drops nothing; once the brokers are back the
# spool drains and the rest is read.
ko_lines 15000 >"$MK_TMP/full.lp"
spool_conf full | sed 's/^  spool_dir/  spool_max_bytes = "1MiB"\n  spool_dir/' |
	ko_conf full
mkfifo "$MK_TMP/full.in"
mk_cmd down all >/dev/null
ko_start full "$MK_TMP/full.in"
cat "$MK_TMP/full.lp" >"$MK_TMP/full.in" &
writer=$!
mk_at_exit "kill $writer 2>/dev/null"
ko_await "$MK_TMP/full.log" 'is full' 300
ko_logged full '^W! spool .* is full \(.*\): stdin paused until Kafka confirms records; nothing is dropped'
sleep 1
kill -0 $writer 2>/dev/null || mk_fail "full: the writer was not held up"
bytes=$(status "$MK_TMP/full.spool" bytes)
held=$(status "$MK_TMP/full.spool" records)
echo "full spool: $held records in $bytes bytes"
# What the shim had read when it filled up goes in too (a chunk of
# stdin, 256 KiB): a line it held would be lost to a kill -9.
((bytes <= 1048576 + 300 * 1024)) || mk_fail "full: $bytes bytes in a 1 MiB spool"
((held < 15000)) || mk_fail "full: all 15000 lines were taken"
mk_cmd up all >/dev/null
wait $writer
wait "$KO_PID"
mk_eq "full: exit status" 0 $?
expect_exact full "$MK_TMP/full.lp"

# --- A torn tail (kill -9 while a frame was being written, or a power
# loss): detected, counted, cut off; every whole line before it is
# delivered.
ko_lines 1000 >"$MK_TMP/torn.lp"
spool_conf torn | ko_conf torn
mkfifo "$MK_TMP/torn.in"
mk_cmd down all >/dev/null
ko_start torn "$MK_TMP/torn.in"
exec {feed}>"$MK_TMP/torn.in"
cat "$MK_TMP/torn.lp" >&$feed
wait_spooled "$MK_TMP/torn.spool" 1000
kill -KILL "$KO_PID"
wait "$KO_PID" 2>/dev/null
exec {feed}>&-
seg=$(ls "$MK_TMP/torn.spool"/*.seg | tail -n 1)
# Half a frame: its header says 100 bytes follow, 7 do.
printf 'TXSL\x64\x00\x00\x00garbage' >>"$seg"
mk_eq "torn: status sees the tail" 15 "$(status "$MK_TMP/torn.spool" torn_bytes)"
mk_cmd up all >/dev/null
ko_run torn </dev/null || mk_fail "torn: exit $?: $(tail "$MK_TMP/torn.log")"
ko_logged torn "^W! spool: .*/$(basename "$seg"): a torn tail of 15 bytes \(a frame cut short by a crash or power loss\) was cut off; the 1000 whole lines before it are kept"
ko_logged torn '1000 delivered in 1000 records, 0 failed; 1000 metrics came from an earlier run; 15 damaged bytes of the spool skipped'
expect_exact torn "$MK_TMP/torn.lp"

# --- An unusable spool_dir is a config error: exit 2 at start, saying
# where in the file, which option and why.
spool_conf x | sed "s|spool_dir = .*|spool_dir = \"$MK_TMP/torn.lp/spool\"|" |
	ko_conf notdir
ko_run notdir </dev/null
mk_eq "spool_dir under a file: exit status" 2 $?
ko_logged notdir "^E! $MK_TMP/notdir\.conf:[0-9]+: bad value for \"spool_dir\" in \[\[outputs\.kafka\]\]: \"$MK_TMP/torn.lp/spool\": cannot create it: Not a directory"
# Not writable for the user running it (root writes anywhere: run the
# program as nobody, from a copy it can read).
ro=$(mktemp -d /tmp/telex-ko-ro.XXXXXX)
mk_at_exit "rm -rf $ro"
chmod 0755 "$ro"
cp "$KO" "$ro/ko"
mkdir "$ro/spool"
chmod 0555 "$ro/spool"
spool_conf x | sed "s|spool_dir = .*|spool_dir = \"$ro/spool\"|" |
	ko_conf ro
cp "$MK_TMP/ro.conf" "$ro/ro.conf"
chmod 0644 "$ro/ro.conf"
as_user=()
[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${as_user[@]}" "$ro/ko" -config "$ro/ro.conf" </dev/null 2>"$MK_TMP/ro.log"
mk_eq "unwritable spool_dir: exit status" 2 $?
ko_logged ro "^E! $ro/ro\.conf:[0-9]+: bad value for \"spool_dir\" in \[\[outputs\.kafka\]\]: \"$ro/spool\": cannot create files in it: Permission denied \(the user running telex-kafka-output needs write access\)"

# --- Records Kafka refuses for good are not retried forever: counted,
# logged, kept in spool_dir/rejected.lp after a comment saying why (the
# lines exactly as read), and the spool moves on; exit 1, without a word
# about a flush deadline.
ko_lines 1000 >"$MK_TMP/rej.ok"
awk '{print} NR % 100 == 0 {printf "oversize,host=x,domain=vm-x blob=\"%0600d\" %d\n", 0, NR}' \
	"$MK_TMP/rej.ok" >"$MK_TMP/rej.lp"
spool_conf rej | sed 's/^  topic/  max_message_bytes = 400\n  topic/' | ko_conf rej
ko_run rej <"$MK_TMP/rej.lp"
mk_eq "rejected: exit status" 1 $?
expect_exact rej "$MK_TMP/rej.ok"
ko_logged rej '^E! kafka output: 1010 metrics taken, 1000 delivered in 1000 records, 10 failed \(message too large: 10\); 10 of them kept in .*/rejected.lp'
grep -q 'did not deliver everything before the flush deadline' "$MK_TMP/rej.log" &&
	mk_fail "rejected: the flush deadline was blamed: $(cat "$MK_TMP/rej.log")"
rejected=$MK_TMP/rej.spool/rejected.lp
mk_eq "rejected: comments" 10 "$(grep -c '^# rejected [0-9TZ:-]* reason="message too large" topic="rej" key="vm-x"$' "$rejected")"
mk_eq "rejected: lines exactly as read" "$(grep '^oversize' "$MK_TMP/rej.lp")" \
	"$(grep -v '^#' "$rejected")"
mk_eq "rejected: status" 10 "$(status "$MK_TMP/rej.spool" rejected_records)"
echo PASS
