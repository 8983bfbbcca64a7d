# lib.sh: bash helpers for tests that need a Kafka cluster. Source it from a
# test script run by test/run-tests (TELEX_BIN set); it starts
# telex-mock-kafka, talks to its control channel and reads topics back with
# kcat.
#
#   . "$TELEX_SRC/test/mock_kafka/lib.sh"
#   mk_start --brokers 3 --topic metrics:8     # sets MK_BOOTSTRAP
#   mk_cmd down 2                               # fails the test on "error:"
#   mk_consume metrics '%k %s\n'                # every record, kcat format
#   mk_count metrics                            # number of records
#   (the EXIT trap stops the cluster and removes $MK_TMP)
#
# Functions fail the test (exit 1, message on stderr) when something is
# wrong, so a test reads as a list of steps. mk_need exits 77 (skip) when a
# tool is missing.

MK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/telex-kafka.XXXXXX")
MK_PID=
MK_BOOTSTRAP=
MK_TIMEOUT=${MK_TIMEOUT:-30}
mk_cleanups=()

mk_on_exit() {
	local rc=$?
	local c
	for c in "${mk_cleanups[@]}"; do eval "$c"; done
	mk_stop
	rm -rf "$MK_TMP"
	return $rc
}
trap mk_on_exit EXIT

mk_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Skip the test (exit 77) unless every named command exists.
mk_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || {
			echo "skip: $t not installed"
			exit 77
		}
	done
	[ -x "$TELEX_BIN/telex-mock-kafka" ] ||
		mk_fail "$TELEX_BIN/telex-mock-kafka not built"
}

# Run a command at exit (before the cluster stops), e.g. killing a program
# the test started.
mk_at_exit() { mk_cleanups+=("$1"); }

# Start the cluster with telex-mock-kafka's arguments. Its stdout and stdin
# are fifos kept open on MK_OUT and MK_IN; its stderr is $MK_TMP/mock.log.
mk_start() {
	mkfifo "$MK_TMP/mk.in" "$MK_TMP/mk.out"
	"$TELEX_BIN/telex-mock-kafka" "$@" <"$MK_TMP/mk.in" \
		>"$MK_TMP/mk.out" 2>"$MK_TMP/mock.log" &
	MK_PID=$!
	exec {MK_IN}>"$MK_TMP/mk.in" {MK_OUT}<"$MK_TMP/mk.out"
	read -r -t "$MK_TIMEOUT" -u "$MK_OUT" MK_BOOTSTRAP ||
		mk_fail "telex-mock-kafka did not start: $(cat "$MK_TMP/mock.log")"
	[[ $MK_BOOTSTRAP == *:* ]] || mk_fail "bad bootstrap list: $MK_BOOTSTRAP"
	export MK_BOOTSTRAP
}

# Stop the cluster (closing its stdin ends it) and wait for it.
mk_stop() {
	[ -n "$MK_PID" ] || return 0
	exec {MK_IN}>&- {MK_OUT}<&-
	local i
	for i in $(seq 50); do
		kill -0 "$MK_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$MK_PID" 2>/dev/null
	wait "$MK_PID" 2>/dev/null
	MK_PID=
}

# Send one control command; print the reply's value ("ok VALUE"), fail the
# test on "error: ..." or no answer.
mk_cmd() {
	local reply
	echo "$*" >&"$MK_IN"
	read -r -t "$MK_TIMEOUT" -u "$MK_OUT" reply ||
		mk_fail "telex-mock-kafka did not answer \"$*\""
	case $reply in
	ok) ;;
	"ok "*) echo "${reply#ok }" ;;
	*) mk_fail "telex-mock-kafka: \"$*\": $reply" ;;
	esac
}

# Print every record of TOPIC from the beginning, formatted with kcat's -f
# (default: the value, then a newline), then return. Extra kcat arguments
# may follow the format.
mk_consume() {
	local topic=$1 fmt=${2:-'%s\n'}
	shift 2 2>/dev/null || shift $#
	timeout "$MK_TIMEOUT" kcat -C -b "$MK_BOOTSTRAP" -t "$topic" \
		-o beginning -e -q -f "$fmt" "$@" ||
		mk_fail "kcat could not read topic $topic"
}

# Number of records in TOPIC.
mk_count() {
	mk_consume "$1" 'x\n' | wc -l
}

# Print the number of records in TOPIC once it holds at least N, or fail
# after MK_TIMEOUT seconds.
mk_wait_count() {
	local topic=$1 want=$2 n=0 i
	for i in $(seq $((MK_TIMEOUT * 5))); do
		n=$(mk_count "$topic")
		[ "$n" -ge "$want" ] && break
		sleep 0.2
	done
	echo "$n"
}

# Produce stdin to TOPIC with kcat, one record per line.
mk_produce() {
	local topic=$1
	shift
	timeout "$MK_TIMEOUT" kcat -P -b "$MK_BOOTSTRAP" -t "$topic" "$@" ||
		mk_fail "kcat could not produce to $topic"
}

# Assert two values are equal: mk_eq WHAT EXPECTED ACTUAL.
mk_eq() {
	[ "$2" == "$3" ] || mk_fail "$1: expected [$2], got [$3]"
}

# Resident set size of a process in KiB (VmRSS), 0 if it is gone.
mk_rss_kib() {
	awk '/^VmRSS:/ {print $2; f=1} END {if (!f) print 0}' \
		"/proc/$1/status" 2>/dev/null || echo 0
}
