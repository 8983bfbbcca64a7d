#!/usr/bin/env bash
# job_stats on the system libvirtd with a real job: a live memory dump of
# the running domain into a FIFO that is held open and never read, so the
# dump stalls with its job held for as long as the test wants.
# telex-libvirt must print libvirt_job for that domain (the dump's
# operation, libvirt's own statistics under their names), nothing for the
# paused domain without a job, and no libvirt_job once the job has ended.
# Exits 77 without root or libvirtd.
. "$TELEX_SRC/test/libvirt/lib.sh"
qemu_up 3
run=$LV_PREFIX-run pause=$LV_PREFIX-pause
uri=qemu:///system
VIR_DOMAIN_JOB_OPERATION_DUMP=8

config "$TMP/job.conf" <<TOML
[[inputs.libvirt]]
  libvirt_uri = "$uri"
  domains = ["$run", "$pause"]
  job_stats = true
TOML
gather() { # FILE: one gather, checked against the schema
	"$LV" --once -config "$TMP/job.conf" </dev/null >"$1" 2>"$CHILD_ERR" ||
		fail "--once: exit $?"
	check "$1" --options # job_stats is an option
}
jobs_of() { grep "^libvirt_job,\(.*,\)\?domain_name=$1[, ]" "$2"; }

gather "$TMP/before"
expect_eq "libvirt_job lines without a job" "$(grep -c '^libvirt_job,' "$TMP/before")" 0

# Held open read-write by this shell only: libvirtd's open does not wait
# for a reader, the dump stops once the pipe is full, and closing it ends
# the dump (EPIPE). virsh inherits neither the FIFO nor the libvirtd lock.
mkfifo "$TMP/dump"
chmod 0666 "$TMP/dump"
exec 4<>"$TMP/dump"
virsh -q -c "$uri" dump --live "$run" "$TMP/dump" >"$TMP/dump.out" 2>&1 \
	4<&- 9>&- &
dump_pid=$!
job_cleanup() {
	[ -z "$dump_pid" ] || kill "$dump_pid" 2>/dev/null
	lv_cleanup
}
trap job_cleanup EXIT
for _ in $(seq 100); do
	virsh -q -c "$uri" domjobinfo "$run" 2>/dev/null |
		grep -q '^Job type: *\(Bounded\|Unbounded\)' && break
	sleep 0.1
done
virsh -q -c "$uri" domjobinfo "$run" | grep -q '^Operation: *Dump' ||
	fail "the dump job did not start: $(cat "$TMP/dump.out")"

gather "$TMP/during"
line=$(jobs_of "$run" "$TMP/during")
[ -n "$line" ] || fail "no libvirt_job for $run during the dump"
echo "$line"
expect_eq "libvirt_job lines of $run" "$(printf '%s\n' "$line" | wc -l)" 1
grep -q "[ ,]operation=${VIR_DOMAIN_JOB_OPERATION_DUMP}i" <<<"$line" ||
	fail "not the dump's operation: $line"
grep -q '[ ,]type_name="\(bounded\|unbounded\|completed\)"' <<<"$line" ||
	fail "type_name: $line"
total=$(grep -o '[ ,]memory_total=[0-9]*i' <<<"$line" | tr -dc 0-9)
[ "${total:-0}" -ge $((64 * 1024 * 1024)) ] ||
	fail "memory_total ${total:-none} for a 64 MiB domain: $line"
grep -q '[ ,]time_elapsed=[0-9]*i' <<<"$line" || fail "time_elapsed: $line"
expect_eq "libvirt_job lines of $pause" "$(jobs_of "$pause" "$TMP/during" | wc -l)" 0
# The job holds the domain: its other statistics are still gathered.
grep -q "^libvirt_state,domain_name=$run " "$TMP/during" ||
	fail "no libvirt_state for $run during the dump"
grep -q '^[EW]! ' "$CHILD_ERR" && fail "warnings or errors: $(cat "$CHILD_ERR")"

# Abort; once QEMU has sent all memory the job waits for its writer and
# cannot be aborted any more: closing the FIFO then fails the write.
virsh -q -c "$uri" domjobabort "$run" >/dev/null 2>&1
exec 4<&-
for _ in $(seq 300); do
	kill -0 $dump_pid 2>/dev/null || break
	sleep 0.1
done
kill -0 $dump_pid 2>/dev/null && fail "the dump did not end in 30 s"
wait $dump_pid && fail "the interrupted dump succeeded"
dump_pid=
gone=
for _ in $(seq 50); do
	gather "$TMP/after"
	[ -z "$(jobs_of "$run" "$TMP/after")" ] && { gone=1; break; }
	sleep 0.2
done
[ -n "$gone" ] || fail "libvirt_job still printed after the abort: $(jobs_of "$run" "$TMP/after")"

echo ok
