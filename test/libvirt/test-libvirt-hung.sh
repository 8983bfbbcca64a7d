#!/usr/bin/env bash
# telex-libvirt against a libvirtd that accepts qemu+tcp:// connections and
# never answers (a listener on loopback; no daemon needed):
#  1. the pending connection is said, with a W! line, rate-limited (one for
#     a run of 20 failed gathers), not one line per gather and not silence;
#  2. gathers after the first do not wait for the open again;
#  3. EOF ends the program within the contract's 5 s, whether it comes
#     between gathers or while a gather waits for the open;
#  4. the URI's password never shows: not in telex's lines, not in
#     libvirt's messages quoting the URI, not in a config error.
. "$TELEX_SRC/test/libvirt/lib.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }

# A daemon that accepts and never answers.
python3 -u - >"$TMP/port" <<'PY' &
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept())
PY
listener=$!
hung_cleanup() {
	kill $listener 2>/dev/null
	lv_cleanup
}
trap hung_cleanup EXIT
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
port=$(cat "$TMP/port")
[ -n "$port" ] || fail "the listener did not start"
secret=S3cretPW
lv_conf "$TMP/hung.conf" "qemu+tcp://alice:$secret@127.0.0.1:$port/system" \
	'keepalive_interval = "1s"' 'keepalive_count = 1' 'gather_stats = true'

# stop_within PID SECONDS: EOF was just given; PID must exit 0 within
# SECONDS. Prints how long it took.
stop_within() {
	local pid=$1 max=$2 t0 rc=0
	t0=$(date +%s%N)
	for _ in $(seq $((max * 20))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && fail "still running $max s after EOF"
	wait "$pid" || rc=$?
	expect_eq "exit after EOF" $rc 0
	echo "exited $((($(date +%s%N) - t0) / 1000000)) ms after EOF"
}

# lv_start NAME CONF: the program with CONF in the background ($pid),
# stdout in $TMP/NAME.out, stderr in NAME.err, stdin a fifo held on fd 3.
lv_start() {
	mkfifo "$TMP/$1.in"
	"$LV" -config "$2" <"$TMP/$1.in" >"$TMP/$1.out" 2>"$TMP/$1.err" &
	pid=$!
	exec 3>"$TMP/$1.in"
}

# eof_in_gather NAME CONF SECONDS: one gather asked for, EOF SECONDS
# later (the gather still waiting for the open); the program must exit 0
# within 5 s.
eof_in_gather() {
	lv_start "$1" "$2"
	echo >&3
	sleep "$3"
	exec 3>&-
	stop_within $pid 5
}

# 1, 2 and 3a: 20 gathers every 250 ms against the silent daemon.
lv_start a "$TMP/hung.conf"
for n in $(seq 20); do
	lv_gather 3 "$TMP/a.out" $n
	expect_eq "gather $n: domains" "$domains" 0
	# The first waits keepalive * (count + 1) = 2 s for the open.
	if [ $n -eq 1 ]; then
		[ "$took" -ge 1500 ] && [ "$took" -le 4000 ] ||
			fail "the first gather took $took ms (2 s expected)"
	else
		[ "$took" -lt 1000 ] || fail "gather $n waited $took ms for the pending open"
	fi
	sleep 0.25
done
exec 3>&-
stop_within $pid 5
grep -q "^W! no answer from qemu+tcp://alice:\*\*\*@127.0.0.1:$port/system for [0-9]* s: the connection is still pending" \
	"$TMP/a.err" || fail "no warning about the pending connection"
expect_eq "pending warnings in 20 gathers" "$(grep -c '^W! no answer from' "$TMP/a.err")" 1
# Besides it, the exit summary (W!: every gather failed) only.
expect_eq "log lines" "$(grep -c . "$TMP/a.err")" 2
grep -q "^W! telex-libvirt: 20 gathers (20 failed" "$TMP/a.err" ||
	fail "summary: $(tail -n 1 "$TMP/a.err")"

# 3b. EOF while the first gather waits for the open.
eof_in_gather b "$TMP/hung.conf" 0.5

# 3c. The same with a keepalive longer than the contract's 5 s.
sed 's/keepalive_interval = "1s"/keepalive_interval = "10s"/' "$TMP/hung.conf" >"$TMP/long.conf"
eof_in_gather c "$TMP/long.conf" 1
grep -q "^W! a gather from qemu+tcp://alice:\*\*\*@127.0.0.1:$port/system was still running" "$TMP/c.err" ||
	fail "no warning about the gather left behind: $(cat "$TMP/c.err")"

# 4. The password, in libvirt's own message (it cannot parse a URI with an
# empty port and quotes it) and in a config error.
lv_conf "$TMP/bad.conf" "qemu+tcp://alice:$secret@127.0.0.1:/system"
"$LV" --once --debug -config "$TMP/bad.conf" </dev/null >/dev/null 2>"$TMP/d.err" &&
	fail "--once without a connection succeeded"
grep -q "alice:\*\*\*@127.0.0.1:/system" "$TMP/d.err" ||
	fail "libvirt's message is not there: $(cat "$TMP/d.err")"
lv_conf "$TMP/nouri.conf" "not a uri://alice:$secret@host/"
rc=0
"$LV" --once -config "$TMP/nouri.conf" </dev/null >/dev/null 2>"$TMP/e.err" || rc=$?
expect_eq "config error: exit" $rc 2
grep -q 'alice:\*\*\*@host' "$TMP/e.err" || fail "config error: $(cat "$TMP/e.err")"
for f in a b c d e; do
	grep -q "$secret" "$TMP/$f.err" && fail "the password is in $f's log: $(grep "$secret" "$TMP/$f.err")"
done
echo ok
