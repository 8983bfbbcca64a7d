# lib.sh: helpers for telex-kafka-consumer's script tests. Source after
# test/mock_kafka/lib.sh (which starts the cluster and cleans up).
#
#   kc_conf FILE 'topics = ["t"]' ...     # a [[inputs.kafka_consumer]] table
#   kc_start NAME FILE                    # run it: NAME.out, NAME.err
#   kc_wait_log NAME 'assigned'           # until stderr matches
#   kc_wait_lines NAME 100                # until stdout has 100 lines
#   kc_eof NAME                           # close stdin, wait, check exit 0
#   kc_committed GROUP TOPIC...           # "topic partition offset" lines
#
# Each consumer's stdin is a fifo the test holds open, as Telegraf holds
# the pipe: closing it is Telegraf's shutdown.

KC=$TELEX_BIN/telex-kafka-consumer
KC_COMMITTED_BIN=$TELEX_BUILD/test/kafka_consumer/kc-committed
declare -A KC_PID KC_IN

kc_need() {
	[ -x "$KC" ] || mk_fail "$KC not built"
	[ -x "$KC_COMMITTED_BIN" ] || mk_fail "$KC_COMMITTED_BIN not built"
}

# kc_conf FILE LINE... [-- PROPERTY...]: the table with brokers set to the
# cluster; each LINE is a TOML line, each PROPERTY after "--" a line of
# [inputs.kafka_consumer.librdkafka]. The mock's group coordinator waits
# for session.timeout.ms before a rebalance completes when a member left
# or rejoins (librdkafka 2.0), so tests use a short session.
kc_conf() {
	local f=$1 line rdk=0
	shift
	{
		echo '[[inputs.kafka_consumer]]'
		echo "  brokers = [\"${MK_BOOTSTRAP//,/\", \"}\"]"
		for line in "$@"; do
			if [ "$line" = -- ]; then
				rdk=1
				echo '  [inputs.kafka_consumer.librdkafka]'
				echo '    "session.timeout.ms" = 6000'
				echo '    "heartbeat.interval.ms" = 500'
			elif [ $rdk = 1 ]; then
				echo "    $line"
			else
				echo "  $line"
			fi
		done
		if [ $rdk = 0 ]; then
			echo '  [inputs.kafka_consumer.librdkafka]'
			echo '    "session.timeout.ms" = 6000'
			echo '    "heartbeat.interval.ms" = 500'
		fi
	} >"$f"
}

# kc_start NAME CONF [ARG...]: start a consumer in the background; its
# stdout goes to $MK_TMP/NAME.out unless KC_STDOUT names another file;
# KC_WRAP is a command to run it under (valgrind ...).
kc_start() {
	local name=$1 conf=$2 fd
	shift 2
	rm -f "$MK_TMP/$name.in"
	mkfifo "$MK_TMP/$name.in"
	# The other consumers' stdin and the cluster's control fifos stay
	# with the test: a copy held here would keep them from seeing EOF.
	(
		for fd in "${KC_IN[@]}" "$MK_IN" "$MK_OUT"; do
			eval "exec $fd>&-"
		done
		exec ${KC_WRAP:-} "$KC" -config "$conf" "$@" <"$MK_TMP/$name.in" \
			>"${KC_STDOUT:-$MK_TMP/$name.out}" 2>"$MK_TMP/$name.err"
	) &
	KC_PID[$name]=$!
	exec {fd}>"$MK_TMP/$name.in"
	KC_IN[$name]=$fd
	mk_at_exit "kill -9 ${KC_PID[$name]} 2>/dev/null"
}

# Call first in a background subshell (cmd &): it must not hold a copy of
# a consumer's stdin, or closing it would not be an EOF.
kc_close_fds() {
	local fd
	for fd in "${KC_IN[@]}"; do eval "exec $fd>&-"; done
}

kc_out() { echo "$MK_TMP/$1.out"; }
kc_err() { echo "$MK_TMP/$1.err"; }

kc_alive() { kill -0 "${KC_PID[$1]}" 2>/dev/null; }

# Wait until NAME's stderr matches the extended regexp RE.
kc_wait_log() {
	local name=$1 re=$2 i
	for i in $(seq $((MK_TIMEOUT * 10))); do
		grep -Eq "$re" "$MK_TMP/$name.err" && return 0
		kc_alive "$name" || mk_fail "$name exited while waiting for" \
			"\"$re\": $(tail -5 "$MK_TMP/$name.err")"
		sleep 0.1
	done
	mk_fail "$name: no \"$re\" in its log after ${MK_TIMEOUT}s:" \
		"$(tail -5 "$MK_TMP/$name.err")"
}

# Lines NAME (or the file KC_STDOUT) has written so far.
kc_lines() {
	local f=${2:-$MK_TMP/$1.out}
	[ -f "$f" ] || {
		echo 0
		return
	}
	wc -l <"$f"
}

# Wait until NAME's stdout has at least N lines.
kc_wait_lines() {
	local name=$1 want=$2 file=${3:-$MK_TMP/$1.out} i n=0
	for i in $(seq $((MK_TIMEOUT * 10))); do
		n=$(kc_lines "$name" "$file")
		[ "$n" -ge "$want" ] && return 0
		kc_alive "$name" || mk_fail "$name exited with $n of $want" \
			"lines: $(tail -5 "$MK_TMP/$name.err")"
		sleep 0.1
	done
	mk_fail "$name: $n of $want lines after ${MK_TIMEOUT}s"
}

# Wait until NAME has printed every id in FIRST..LAST (ids of
# kc_produce_ids lines; duplicates, which at-least-once allows after an
# outage or a rebalance, do not count twice).
kc_wait_ids() {
	local name=$1 first=$2 last=$3 i n=0
	for i in $(seq $((MK_TIMEOUT * 10))); do
		n=$(kc_ids "$(kc_out "$name")" |
			awk -v a="$first" -v b="$last" '$1 >= a && $1 <= b' |
			sort -un | wc -l)
		[ "$n" -eq $((last - first + 1)) ] && return 0
		kc_alive "$name" || mk_fail "$name exited with $n ids of" \
			"$first..$last: $(tail -5 "$MK_TMP/$name.err")"
		sleep 0.1
	done
	mk_fail "$name: $n ids of $first..$last after ${MK_TIMEOUT}s"
}

# Close NAME's stdin (Telegraf's shutdown) and wait for it; the exit
# status must be 0. (Telegraf would send SIGTERM after 5 s; the contract
# test checks that EOF is enough.)
kc_eof() {
	local name=$1 rc i
	eval "exec ${KC_IN[$name]}>&-"
	for i in $(seq $((MK_TIMEOUT * 10))); do
		kc_alive "$name" || break
		sleep 0.1
	done
	kc_alive "$name" && mk_fail "$name still running ${MK_TIMEOUT}s after EOF"
	wait "${KC_PID[$name]}"
	rc=$?
	[ $rc -eq 0 ] || mk_fail "$name exited with status $rc:" \
		"$(tail -5 "$MK_TMP/$name.err")"
}

# kill -9 NAME and reap it.
kc_kill() {
	local name=$1
	kill -9 "${KC_PID[$name]}" 2>/dev/null
	wait "${KC_PID[$name]}" 2>/dev/null
	eval "exec ${KC_IN[$name]}>&-"
}

kc_committed() {
	timeout "$MK_TIMEOUT" "$KC_COMMITTED_BIN" "$MK_BOOTSTRAP" "$@" ||
		mk_fail "kc-committed $* failed"
}

# Produce lines "m,src=TAG id=Ni N" for N in FIRST..LAST to TOPIC, one
# record each, spread over the partitions.
kc_produce_ids() {
	local topic=$1 tag=$2 first=$3 last=$4
	seq "$first" "$last" | awk -v t="$tag" '{print "m,src=" t " id=" $1 "i " $1}' |
		mk_produce "$topic" -X sticky.partitioning.linger.ms=0
}

# The ids of the "id=Ni" fields in FILE, one per line, sorted numerically.
kc_ids() {
	sed -n 's/.* id=\([0-9]*\)i.*/\1/p' "$1" | sort -n
}
