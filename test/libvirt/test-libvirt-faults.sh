#!/usr/bin/env bash
# telex-libvirt when the system libvirtd fails under it (real QEMU domains;
# 77 without root or libvirtd):
#  1. libvirtd killed and restarted during a run: no crash, metrics resume
#     within two gathers of the daemon answering again, exactly one warning
#     (lost) and one info line (back), nothing per gather in between;
#  2. libvirtd stopped (SIGSTOP): the gather fails within the keepalive
#     time instead of hanging, the next ones do not wait again, the
#     connection comes back after SIGCONT, and EOF still ends the program
#     promptly while the daemon is stopped;
#  3. one domain's QEMU stopped (its monitor does not answer, the call that
#     holds its job hangs in libvirtd): the gather ends after `timeout`
#     with every domain, the stuck one partially (skipped_locked), the next
#     gathers do not wait at all, and all is complete after SIGCONT.
# Gathers are driven through stdin (signal = "STDIN"), one at a time, each
# ending with its telex_libvirt line (gather_stats), so the checks count
# gathers, not seconds, except where the keepalive time is the point.
. "$TELEX_SRC/test/libvirt/lib.sh"
qemu_up 3
SERVICES=$TELEX_SRC/test/services.sh

libvirtd_pid() { pgrep -x libvirtd | head -n 1; }
stopped_pid=
stopped_qemu=
# Never leave the shared daemon (or a QEMU) stopped or dead.
fault_cleanup() {
	[ -n "$stopped_pid" ] && kill -CONT "$stopped_pid" 2>/dev/null
	[ -n "$stopped_qemu" ] && kill -CONT "$stopped_qemu" 2>/dev/null
	"$SERVICES" start 3>&- >/dev/null 2>&1
	lv_cleanup
}
trap fault_cleanup EXIT

lv_conf "$TMP/fault.conf" qemu:///system \
	"domains = [\"$LV_PREFIX-run\", \"$LV_PREFIX-pause\", \"$LV_PREFIX-off\"]" \
	'gather_stats = true' 'keepalive_interval = "1s"' 'keepalive_count = 2'

OUT=$TMP/fault.out
start_program() {
	: >"$OUT"
	mkfifo "$TMP/in.$1"
	"$LV" -config "$TMP/fault.conf" <"$TMP/in.$1" >"$OUT" \
		2>"$CHILD_ERR" &
	pid=$!
	exec 3>"$TMP/in.$1"
	gathers=0
}

# gather: ask for one and wait for its telex_libvirt line (30 s at most);
# sets $domains and $skipped to what it reported and $took to its duration
# in ms.
gather() {
	echo >&3
	gathers=$((gathers + 1))
	for _ in $(seq 600); do
		[ "$(grep -c '^telex_libvirt ' "$OUT")" -ge $gathers ] && break
		kill -0 $pid 2>/dev/null || fail "the program died (gather $gathers)"
		sleep 0.05
	done
	local line
	line=$(grep '^telex_libvirt ' "$OUT" | sed -n "${gathers}p")
	[ -n "$line" ] || fail "gather $gathers did not finish"
	domains=$(echo "$line" | sed 's/.*domains=\([0-9]*\)i.*/\1/')
	skipped=$(echo "$line" | sed 's/.*skipped_locked=\([0-9]*\)i.*/\1/')
	took=$(($(echo "$line" | sed 's/.*duration_ns=\([0-9]*\)i.*/\1/') / 1000000))
}

# stop_program: EOF; it must exit 0 within $1 seconds.
stop_program() {
	exec 3>&-
	local t0=$SECONDS
	for _ in $(seq $(($1 * 20))); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	kill -0 $pid 2>/dev/null && fail "still running $1 s after EOF"
	local rc=0
	wait $pid || rc=$?
	expect_eq "exit after EOF" $rc 0
	echo "exited $((SECONDS - t0)) s after EOF"
}

# 1. Killed and restarted.
start_program kill
gather
expect_eq "before: domains" "$domains" 3
kill -KILL "$(libvirtd_pid)"
while pgrep -x libvirtd >/dev/null; do sleep 0.05; done
gather
expect_eq "daemon dead: domains" "$domains" 0
gather
expect_eq "daemon dead: domains" "$domains" 0
# fd 3 closed: the daemon would inherit our end of the program's stdin.
"$SERVICES" start 3>&- >/dev/null || fail "cannot restart libvirtd"
gather
if [ "$domains" -ne 3 ]; then
	gather
	expect_eq "second gather after the restart: domains" "$domains" 3
fi
gather
expect_eq "after: domains" "$domains" 3
stop_program 5
check "$OUT"
expect_eq "W! lines" "$(grep '^W! ' "$CHILD_ERR" | grep -vc ' gathers (')" 1
grep -q '^W! connection to qemu:///system lost (.*); reconnecting$' \
	"$CHILD_ERR" || fail "no 'lost' warning"
expect_eq "I! back lines" "$(grep -c '^I! connection to qemu:///system is back after' "$CHILD_ERR")" 1
expect_eq "E! lines" "$(grep -c '^E! ' "$CHILD_ERR")" 0
# Besides those two, only the exit summary.
expect_eq "log lines" "$(grep -c . "$CHILD_ERR")" 3

# 2. Stopped: keepalive (1 s, 2 probes) fails a hung call in ~3 s.
start_program stop
gather
expect_eq "before: domains" "$domains" 3
stopped_pid=$(libvirtd_pid)
kill -STOP "$stopped_pid"
gather
expect_eq "daemon stopped: domains" "$domains" 0
echo "gather against the stopped daemon took $took ms"
[ "$took" -le 6000 ] || fail "the gather took $took ms (keepalive: ~3 s)"
gather # starts a reopen, which hangs: waits the keepalive time once
gather # the reopen still hangs: this one does not wait for it
expect_eq "daemon stopped: domains" "$domains" 0
[ "$took" -le 1000 ] || fail "a gather waited $took ms for a pending open"
kill -CONT "$stopped_pid"
stopped_pid=
gather
if [ "$domains" -ne 3 ]; then
	gather
	expect_eq "second gather after SIGCONT: domains" "$domains" 3
fi
stop_program 5
expect_eq "W! lines" "$(grep '^W! ' "$CHILD_ERR" | grep -vc ' gathers (')" 1
expect_eq "I! back lines" "$(grep -c '^I! connection to qemu:///system is back after' "$CHILD_ERR")" 1

# EOF while the daemon is stopped: the program still ends within the
# contract's 5 s (the gather is left behind after 2 s if need be).
start_program eof
gather
stopped_pid=$(libvirtd_pid)
kill -STOP "$stopped_pid"
echo >&3 # a gather that blocks on the stopped daemon
sleep 0.2
stop_program 5
kill -CONT "$stopped_pid"
stopped_pid=
"$SERVICES" status >/dev/null || fail "libvirtd did not come back"

# 3. A QEMU that does not answer its monitor.
sed -i 's/^  keepalive_count = 2$/&\n  timeout = "2s"/' "$TMP/fault.conf"
grep -q 'timeout = "2s"' "$TMP/fault.conf" || fail "config edit"
start_program qemu
gather
expect_eq "before: skipped" "$skipped" 0
stopped_qemu=$(pgrep -f "guest=$LV_PREFIX-run," | head -n 1)
[ -n "$stopped_qemu" ] || fail "no QEMU process for $LV_PREFIX-run"
kill -STOP "$stopped_qemu"
gather
echo "gather with a stopped QEMU took $took ms"
expect_eq "stopped QEMU: domains" "$domains" 3
expect_eq "stopped QEMU: skipped_locked" "$skipped" 1
# One timeout, then the NOWAIT call (milliseconds).
[ "$took" -le 6000 ] || fail "the gather took $took ms (timeout 2 s)"
gather
expect_eq "stopped QEMU, again: domains" "$domains" 3
[ "$took" -lt 2000 ] || fail "the next gather waited for the timeout ($took ms)"
# The others are complete; the stuck one has what needs no job.
tail -n 60 "$OUT" | grep -q "^libvirt_block,.*domain_name=$LV_PREFIX-pause .*rd_reqs=" ||
	fail "the paused domain is not complete"
tail -n 60 "$OUT" | grep -q "^libvirt_state,domain_name=$LV_PREFIX-run state=1i" ||
	fail "the stuck domain has no state"
kill -CONT "$stopped_qemu"
stopped_qemu=
gather
if [ "$skipped" -ne 0 ]; then
	gather
	expect_eq "after SIGCONT: skipped_locked" "$skipped" 0
fi
# EOF with a call still hanging: the program ends all the same.
stopped_qemu=$(pgrep -f "guest=$LV_PREFIX-run," | head -n 1)
kill -STOP "$stopped_qemu"
gather
stop_program 5
kill -CONT "$stopped_qemu"
stopped_qemu=
# Timeouts are logged rate-limited (the exit summary counts the rest).
grep -q '^W! the statistics call to qemu:///system did not return within 2.0 s' \
	"$CHILD_ERR" || fail "no timeout warning"
# The stuck domain is named once (counted in skipped_locked until free).
grep -q "^W! domain $LV_PREFIX-run reported without the statistics that need its job" \
	"$CHILD_ERR" || fail "the stuck domain is not named"
expect_eq "other W! lines" "$(grep '^W! ' "$CHILD_ERR" |
	grep -v 'statistics call' | grep -v 'reported without the statistics' |
	grep -vc 'domain busy since the last report')" 0

echo ok
