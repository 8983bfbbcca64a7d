#!/usr/bin/env bash
# Complete rows when another client holds a domain (real QEMU domains on
# the system libvirtd; 77 without root or libvirtd):
#  1. a concurrent `virsh domstats` loop holds each domain's job for a few
#     milliseconds at a time: every gather is complete anyway (the domains
#     NOWAIT found busy are asked again within the deadline), and the time
#     this adds is printed;
#  2. a domain whose job stays held (its QEMU stopped while another
#     client's call is inside its monitor) is reported without what needs
#     the job, counted in skipped_locked and logged once; the gather ends
#     within `timeout`, the next ones do not wait, and it is complete again
#     once its QEMU answers;
#  3. the same domain as the only one of a program that starts while it is
#     stuck: its very first gather is counted too (skipped_locked used to
#     stay 0 for the life of the process when the first record was
#     partial).
. "$TELEX_SRC/test/libvirt/lib.sh"
qemu_up 4
run=$LV_PREFIX-run pause=$LV_PREFIX-pause run3=$LV_PREFIX-run3
uri=qemu:///system
loop_pids=
holder=
stopped=
contention_cleanup() {
	[ -n "$loop_pids" ] && kill $loop_pids 2>/dev/null
	[ -n "$stopped" ] && kill -CONT "$stopped" 2>/dev/null
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	lv_cleanup
}
trap contention_cleanup EXIT

# 1. Contention: two `virsh domstats` loops over the same domains.
watched="domains = [\"$run\", \"$pause\", \"$run3\"]"
lv_conf "$TMP/busy.conf" "$uri" "$watched" 'gather_stats = true' 'log_level = "debug"'
for _ in 1 2; do
	(while :; do virsh -q -c $uri domstats $run $pause $run3 >/dev/null 2>&1; done) 9>&- &
	loop_pids="$loop_pids $!"
done
mkfifo "$TMP/busy.in"
"$LV" -config "$TMP/busy.conf" <"$TMP/busy.in" >"$TMP/busy.out" 2>"$TMP/busy.err" &
busy_pid=$!
exec 3>"$TMP/busy.in"
n=0 asked=0
while [ $n -lt 60 ]; do
	n=$((n + 1))
	lv_gather 3 "$TMP/busy.out" $n
	expect_eq "busy gather $n: domains" "$domains" 3
	expect_eq "busy gather $n: skipped_locked" "$skipped" 0
	for d in $run $pause $run3; do lv_complete "$TMP/busy.out" "$ts" $d; done
	asked=$(grep -c '^D! asked again' "$TMP/busy.err" || true)
	[ $n -ge 15 ] && [ "$asked" -ge 3 ] && break
	sleep 0.1
done
kill $loop_pids
loop_pids=
exec 3>&-
wait $busy_pid || fail "busy: exit $?"
echo "$n gathers under contention, all complete; $asked of them asked domains again"
[ "$asked" -ge 1 ] || fail "no gather met a busy domain in $n gathers: the test proved nothing"
grep '^D! asked again' "$TMP/busy.err" | sed 's/.* after \([0-9.]*\) ms/\1/' | sort -n |
	awk '{a[NR]=$1} END{printf "asking again added %s ms (median), %s ms (max)\n", a[int((NR+1)/2)], a[NR]}'
grep '^D! asked again' "$TMP/busy.err" | grep -v ': 0 still partial' &&
	fail "a busy domain was still partial at the deadline"
grep -q '^[EW]! ' "$TMP/busy.err" && fail "warnings: $(grep '^[EW]! ' "$TMP/busy.err")"

# 2 and 3. A domain whose job stays held: its QEMU stopped while a virsh
# call waits inside its monitor.
lv_conf "$TMP/stuck.conf" "$uri" "$watched" 'gather_stats = true' 'timeout = "2s"' \
	'log_level = "info"'
sed "s/^  domains = .*/  domains = [\"$run3\"]/" "$TMP/stuck.conf" >"$TMP/first.conf"
stopped=$(qemu_pid $run3)
[ -n "$stopped" ] || fail "no QEMU process for $run3"
kill -STOP "$stopped"
virsh -q -c $uri domstats $run3 >/dev/null 2>&1 9>&- &
holder=$!
for _ in $(seq 100); do
	virsh -q -r -c $uri domcontrol $run3 | grep -q occupied && break
	sleep 0.1
done
virsh -q -r -c $uri domcontrol $run3 | grep -q occupied ||
	fail "the job of $run3 is not held"

mkfifo "$TMP/stuck.in" "$TMP/first.in"
"$LV" -config "$TMP/stuck.conf" <"$TMP/stuck.in" >"$TMP/stuck.out" 2>"$TMP/stuck.err" &
stuck_pid=$!
exec 4>"$TMP/stuck.in"
"$LV" -config "$TMP/first.conf" <"$TMP/first.in" >"$TMP/first.out" 2>"$TMP/first.err" &
first_pid=$!
exec 5>"$TMP/first.in"

lv_gather 4 "$TMP/stuck.out" 1
echo "gather with $run3 stuck took $took ms"
expect_eq "stuck: domains" "$domains" 3
expect_eq "stuck: skipped_locked" "$skipped" 1
[ "$took" -ge 1500 ] && [ "$took" -le 4500 ] ||
	fail "the gather took $took ms (timeout 2 s)"
lv_complete "$TMP/stuck.out" "$ts" $run
lv_complete "$TMP/stuck.out" "$ts" $pause
grep " $ts\$" "$TMP/stuck.out" | grep -q "^libvirt_state,domain_name=$run3 state=1i" ||
	fail "the stuck domain has no state"
lv_gather 4 "$TMP/stuck.out" 2
expect_eq "stuck again: skipped_locked" "$skipped" 1
[ "$took" -lt 1500 ] || fail "the next gather waited again ($took ms)"

lv_gather 5 "$TMP/first.out" 1
expect_eq "first gather: skipped_locked" "$skipped" 1
lv_gather 5 "$TMP/first.out" 2
expect_eq "second gather: skipped_locked" "$skipped" 1
[ "$took" -lt 1500 ] || fail "the second gather waited again ($took ms)"

kill -CONT "$stopped"
stopped=
wait "$holder" 2>/dev/null
holder=
for fd in 4 5; do
	out=$TMP/stuck.out n=3
	[ $fd = 5 ] && out=$TMP/first.out
	lv_gather $fd "$out" $n
	if [ "$skipped" -ne 0 ]; then
		lv_gather $fd "$out" $((n + 1))
		expect_eq "after SIGCONT: skipped_locked" "$skipped" 0
	fi
	lv_complete "$out" "$ts" $run3
done
exec 4>&- 5>&-
wait $stuck_pid || fail "stuck: exit $?"
wait $first_pid || fail "first: exit $?"
for f in stuck first; do
	expect_eq "$f: busy warnings" \
		"$(grep -c "^W! domain $run3 reported without the statistics that need its job" "$TMP/$f.err")" 1
	expect_eq "$f: other warnings" "$(grep '^[EW]! ' "$TMP/$f.err" | grep -vc 'reported without')" 0
	grep -q "^I! domain $run3 complete again" "$TMP/$f.err" ||
		fail "$f: no 'complete again' line"
done
check "$TMP/stuck.out" --options
echo ok
