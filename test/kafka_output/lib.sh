# lib.sh: helpers for telex-kafka-output's script tests (sourced). It
# sources test/mock_kafka/lib.sh, which starts the cluster and reads
# topics back with kcat (every test reads what the program wrote: skipped
# without kcat).
#
#   ko_conf NAME <<EOF ... EOF   $MK_TMP/NAME.conf: [[outputs.kafka]] with
#                                brokers = the cluster, then the given lines
#   ko_run NAME [ARGS] <input    run the program; stderr in $MK_TMP/NAME.log;
#                                returns its exit status
#   ko_start NAME INPUT [ARGS]   the same in the background (KO_PID)
#   ko_lines N [MEASUREMENT]     N realistic lines, deterministic

. "$TELEX_SRC/test/mock_kafka/lib.sh"
mk_need kcat
KO=$TELEX_BIN/telex-kafka-output
[ -x "$KO" ] || mk_fail "$KO not built"

ko_conf() {
	local name=$1
	{
		echo "[[outputs.kafka]]"
		echo "  brokers = [\"${MK_BOOTSTRAP//,/\", \"}\"]"
		cat
	} >"$MK_TMP/$name.conf"
}

# ko_start NAME INPUT [ARGS]: in the background, stdin from INPUT (opened
# by the child: a fifo does not block the test); KO_PID is the program's
# own pid (for /proc), killed at exit if still running.
ko_start() {
	local name=$1 input=$2
	shift 2
	"$KO" -config "$MK_TMP/$name.conf" "$@" <"$input" \
		2>"$MK_TMP/$name.log" &
	KO_PID=$!
	mk_at_exit "kill $KO_PID 2>/dev/null"
}

ko_run() {
	local name=$1
	shift
	"$KO" -config "$MK_TMP/$name.conf" "$@" 2>"$MK_TMP/$name.log"
}

# ko_await FILE REGEXP TENTHS: wait until FILE has a line matching the
# regexp (grep -E), at most TENTHS tenths of a second; whether it has.
ko_await() {
	local i
	for i in $(seq "$3"); do
		grep -qE "$2" "$1" && return 0
		sleep 0.1
	done
	grep -qE "$2" "$1"
}

# Fail unless the run's log has a line matching the regexp.
ko_logged() {
	grep -qE "$2" "$MK_TMP/$1.log" ||
		mk_fail "$1: no log line matching /$2/; log: $(tail -n 20 "$MK_TMP/$1.log")"
}

# Lines like a hypervisor's: a host and a domain tag, a few fields, and a
# timestamp in ns on a whole millisecond (1700000000000 + i ms).
ko_lines() {
	local n=$1 m=${2:-vm_cpu}
	awk -v n="$n" -v m="$m" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "%s,host=hv%d,domain=vm-%04d cpu_time=%d.5,vcpus=%di,state=\"running\" %.0f000000\n",
				m, i % 3, i % 50, i * 7, i % 8 + 1, 1700000000000 + i
	}'
}

# Sarama's default hash partitioner (and librdkafka's fnv1a): FNV-1a of the
# key as a signed 32-bit number, modulo the partition count, absolute.
ko_fnv1a_partition() {
	local key=$1 n=$2 h=2166136261 i c
	for ((i = 0; i < ${#key}; i++)); do
		printf -v c '%d' "'${key:i:1}"
		h=$((((h ^ c) * 16777619) & 0xffffffff))
	done
	((h >= 2147483648)) && h=$((h - 4294967296))
	local p=$((h % n))
	((p < 0)) && p=$((-p))
	echo "$p"
}
