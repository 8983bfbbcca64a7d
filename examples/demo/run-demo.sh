#!/usr/bin/env bash
# The telex pipeline on embedded defaults, nothing to configure (`make demo`
# runs it after installing what is missing and building):
#
#   telex-libvirt (test driver: examples/demo/domains.xml, a gather every
#   second, dc/rack tags from [inputs.libvirt.tags])
#     | telex-kafka-output            -> telex-mock-kafka (3 brokers)
#   telex-kafka-consumer (group telex-demo) | format.awk -> this terminal
#
# As plain Unix pipes: Telegraf is not needed to try it. Prints what
# arrives, then a summary; exits 0 when every metric made it through and
# every program exited cleanly, and leaves no process behind.
#
#   examples/demo/run-demo.sh [SECONDS]    (default 10; TELEX_BIN: programs)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${TELEX_BIN:-$top/build/bin}
seconds=${1:-${DEMO_SECONDS:-10}}
topic=vm-metrics
partitions=6
started=$(date +%s.%N)

for p in telex-libvirt telex-kafka-output telex-kafka-consumer telex-mock-kafka; do
	[ -x "$bin/$p" ] || { echo "demo: $bin/$p is missing: run make" >&2; exit 1; }
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "demo: SECONDS must be a number" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/telex-demo.XXXXXX")
pids=()
fds=()

# Whatever happens, every process started here is stopped and waited for,
# and the temporary directory goes. The programs first (end of input, then
# SIGTERM, then SIGKILL), the Kafka cluster last: a consumer must be able
# to leave its group.
stop_pids() { # PID...: wait up to 5 s, SIGTERM, 2 s, SIGKILL
	local p i alive sig
	for sig in TERM KILL; do
		for i in $(seq 50); do
			alive=0
			for p in "$@"; do
				kill -0 "$p" 2>/dev/null && alive=1
			done
			[ $alive = 0 ] && break
			sleep 0.1
		done
		[ $alive = 0 ] && break
		for p in "$@"; do
			kill -s $sig "$p" 2>/dev/null
		done
	done
	for p in "$@"; do
		wait "$p" 2>/dev/null
	done
}
cleanup() {
	local rc=$? fd mock_fd=${fd_mock:-} mock_pid=${pid_mock:-} p others=()
	trap - EXIT INT TERM
	if [ -n "${sleep_pid:-}" ]; then
		kill "$sleep_pid" 2>/dev/null
		wait "$sleep_pid" 2>/dev/null
	fi
	for fd in "${fds[@]}"; do
		[ "$fd" = "$mock_fd" ] || eval "exec $fd>&-" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		[ "$p" = "$mock_pid" ] || others+=("$p")
	done
	stop_pids "${others[@]}"
	if [ -n "$mock_fd" ]; then
		eval "exec $mock_fd>&-" 2>/dev/null
		stop_pids "$mock_pid"
	fi
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

# spawn NAME STDIN-FIFO CMD...: start CMD in the background reading a fifo
# this script holds open (closing it is the program's end of input, as
# Telegraf does it); the child keeps none of the script's other fifos.
spawn() {
	local name=$1 in=$2 fd
	shift 2
	mkfifo "$in"
	(
		for fd in "${fds[@]}"; do
			eval "exec $fd>&-"
		done
		exec "$@" <"$in"
	) &
	pids+=("$!")
	eval "pid_$name=$!"
	exec {fd}>"$in"
	fds+=("$fd")
	eval "fd_$name=$fd"
}

# close_input NAME: end of input for NAME.
close_input() {
	local fd
	eval "fd=\$fd_$1"
	eval "exec $fd>&-"
}

# wait_exit NAME: its exit status (SIGTERM after 5 s, as Telegraf would).
wait_exit() {
	local pid i
	eval "pid=\$pid_$1"
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null && echo "demo: $1 needed SIGTERM" >&2
	wait "$pid"
}

if [ -t 1 ]; then
	step() { printf '\033[1m%s\033[0m\n' "$*"; }
else
	step() { printf '%s\n' "$*"; }
fi

# --- 1. a 3-broker Kafka cluster on loopback -------------------------------
spawn mock "$tmp/mock.in" sh -c "exec '$bin/telex-mock-kafka' --brokers 3 \
	--topic $topic:$partitions >'$tmp/mock.out' 2>'$tmp/mock.log'"
for i in $(seq 100); do
	bootstrap=$(head -n 1 "$tmp/mock.out" 2>/dev/null)
	[ -n "$bootstrap" ] && break
	sleep 0.1
done
[ -n "$bootstrap" ] || { echo "demo: telex-mock-kafka did not start" >&2; cat "$tmp/mock.log" >&2; exit 1; }
brokers="\"${bootstrap//,/\", \"}\""

# --- 2. the three programs' configs: native Telegraf tables ------------------
cat >"$tmp/libvirt.conf" <<EOF
[[inputs.libvirt]]
  libvirt_uri = "test://$here/domains.xml"
  [inputs.libvirt.tags]
    dc = "par1"
    rack = "r12"
EOF
cat >"$tmp/kafka-output.conf" <<EOF
[[outputs.kafka]]
  brokers = [$brokers]
  topic = "$topic"
  routing_tag = "domain_name"
  required_acks = -1
  idempotent_writes = true
  compression_codec = 4
EOF
cat >"$tmp/kafka-consumer.conf" <<EOF
[[inputs.kafka_consumer]]
  brokers = [$brokers]
  topics = ["$topic"]
  consumer_group = "telex-demo"
  offset = "oldest"
  lag_interval = "3s"
EOF

step "telex demo: VM metrics from libvirt through Kafka and back, for $seconds s"
cat <<EOF
  Kafka     telex-mock-kafka, 3 brokers on $bootstrap, topic $topic ($partitions partitions)
  produce   telex-libvirt (test driver, 5 domains, a gather every second, dc=par1 rack=r12)
              | telex-kafka-output (acks=all, idempotent, zstd, key = domain_name)
  consume   telex-kafka-consumer (group telex-demo, lag every 3 s) | this screen
  configs   $tmp/*.conf

EOF

# --- 3. the consumer first, so that it is in its group before data comes -----
mkfifo "$tmp/consumed.fifo"
spawn consumer "$tmp/consumer.in" sh -c "exec '$bin/telex-kafka-consumer' \
	-config '$tmp/kafka-consumer.conf' >'$tmp/consumed.fifo' 2>'$tmp/consumer.log'"
(
	for fd in "${fds[@]}"; do eval "exec $fd>&-"; done
	tee "$tmp/consumed.lp" | awk -f "$here/format.awk"
) <"$tmp/consumed.fifo" &
pids+=("$!")
pid_show=$!
for i in $(seq 300); do
	grep -q assigned "$tmp/consumer.log" && break
	sleep 0.1
done

# --- 4. the producing pipe ----------------------------------------------------
spawn producer "$tmp/libvirt.in" bash -c "
	'$bin/telex-libvirt' -config '$tmp/libvirt.conf' -poll_interval 1s \
		2>'$tmp/libvirt.log' | tee '$tmp/produced.lp' |
	'$bin/telex-kafka-output' -config '$tmp/kafka-output.conf' \
		2>'$tmp/kafka-output.log'
	echo \"\${PIPESTATUS[0]} \${PIPESTATUS[2]}\" >'$tmp/producer.rc'"
# In the background, so that a signal ends the wait at once.
sleep "$seconds" &
sleep_pid=$!
wait "$sleep_pid"
sleep_pid=

# --- 5. end of input: everything drains, every program exits -----------------
close_input producer
wait_exit producer
produced=$(wc -l <"$tmp/produced.lp")
for i in $(seq 150); do
	consumed=$(grep -c '^libvirt_' "$tmp/consumed.lp")
	[ "$consumed" -ge "$produced" ] && break
	sleep 0.1
done
close_input consumer
wait_exit consumer
consumer_rc=$?
wait "$pid_show"
close_input mock
wait_exit mock

# --- 6. summary ------------------------------------------------------------------
gathers=$(awk '{print $NF}' "$tmp/produced.lp" | sort -u | wc -l)
domains=$(awk -F'[, ]' '/^libvirt_state,/ { for (i = 2; i <= NF; i++) if ($i ~ /^domain_name=/) print $i }' \
	"$tmp/produced.lp" | sort -u | wc -l)
delivered=$(sed -n 's/.* \([0-9]*\) delivered in \([0-9]*\) records, \([0-9]*\) failed.*/\1 \2 \3/p' \
	"$tmp/kafka-output.log" | tail -n 1)
read -r delivered records failed <<<"${delivered:-? ? ?}"
grep '^libvirt_' "$tmp/consumed.lp" | sort >"$tmp/consumed.sorted"
sort "$tmp/produced.lp" >"$tmp/produced.sorted"
consumed=$(wc -l <"$tmp/consumed.sorted")
sort -u "$tmp/consumed.sorted" >"$tmp/consumed.unique"
missing=$(comm -23 "$tmp/produced.sorted" "$tmp/consumed.unique" | wc -l)
dups=$((consumed - $(wc -l <"$tmp/consumed.unique")))
lags=$(grep -c '^kafka_consumer_lag' "$tmp/consumed.lp")
read -r libvirt_rc output_rc <"$tmp/producer.rc" 2>/dev/null
elapsed=$(printf '%.1f' "$(echo "$(date +%s.%N) - $started" | bc)")

echo
step "summary ($elapsed s)"
printf '  %-18s %6s   %s\n' \
	gathers "$gathers" "telex-libvirt, one per second" \
	metrics "$produced" "from $domains domains, tagged dc=par1 rack=r12" \
	"records delivered" "$delivered" "to Kafka in $records records by telex-kafka-output, $failed failed" \
	"lines consumed" "$consumed" "from Kafka by telex-kafka-consumer: $missing missing, $dups duplicates" \
	"lag reports" "$lags" "kafka_consumer_lag metrics (lag_interval = 3s)"
ok=1
[ "${libvirt_rc:-?}" = 0 ] || { echo "  telex-libvirt exited ${libvirt_rc:-?}"; ok=0; }
[ "${output_rc:-?}" = 0 ] || { echo "  telex-kafka-output exited ${output_rc:-?}"; ok=0; }
[ "$consumer_rc" = 0 ] || { echo "  telex-kafka-consumer exited $consumer_rc"; ok=0; }
[ "$delivered" = "$produced" ] && [ "$failed" = 0 ] || { echo "  not every metric was delivered"; ok=0; }
[ "$missing" = 0 ] && [ "$produced" -gt 0 ] || { echo "  metrics missing at the consumer"; ok=0; }
grep -h '^E! ' "$tmp"/*.log | sed 's/^/  /'
if [ $ok = 1 ]; then
	echo "  every metric went through; all programs exited 0"
	exit 0
fi
echo "  logs:"
tail -n 5 "$tmp"/*.log | sed 's/^/    /'
exit 1
