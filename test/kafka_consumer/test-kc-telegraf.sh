#!/usr/bin/env bash
# Delivery through the real Telegraf (../shared/bin/telegraf) into influxd
# with delivery feedback, at Telegraf's default buffer (10,000 metrics,
# batches of 1,000): nothing read from Kafka may be lost on the way to
# InfluxDB, whatever happens to InfluxDB, the consumer or Telegraf.
#   backlog  records waiting in Kafka, more produced while it catches up
#   outage   influxd down for a while in the middle of a stream
#   crash    influxd down, the consumer killed with -9 (Telegraf restarts
#            it), then Telegraf itself restarted, then influxd back
#   drops    another input fills the output's buffer while influxd is
#            down: Telegraf drops metrics, the consumer reads again
# Each point is distinct (its own timestamp), so InfluxDB's count is the
# number of points that arrived; duplicates (allowed) are reported.
# (The shipped examples' feedback setup runs in test-e2e-cluster.)
set -u
. "$TELEX_SRC/test/e2e/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
e2e_need influxd curl jq kcat
command -v telegraf >/dev/null || {
	echo "skip: telegraf not found (../shared/bin on PATH)"
	exit 77
}
kc_need

S=${KC_TG_SCALE:-1} # the CI sizes times S
mk_start --brokers 3 --topic backlog:8 --topic outage:8 --topic crash:8 \
	--topic drops:8
influx_start
INFLUX_CONF=$E2E_TMP/influxdb/influxdb.conf

influx_stop() {
	kill "$INFLUX_PID" 2>/dev/null
	wait "$INFLUX_PID" 2>/dev/null
	e2e_note "influxd stopped"
}
influx_restart() {
	e2e_bg "$E2E_TMP/influxd.log" influxd -config "$INFLUX_CONF"
	INFLUX_PID=$E2E_LAST_PID
	e2e_wait_http "$INFLUX_URL/ping" 204 || e2e_fail "influxd did not restart"
	e2e_note "influxd back"
}

# produce TOPIC FIRST LAST: points seq=FIRST..LAST, one record each, each
# at its own second.
produce() {
	seq "$2" "$3" | awk -v s="$1" \
		'{ printf "m,s=%s seq=%di %d000000000\n", s, $1, 1600000000 + $1 }' |
		mk_produce "$1" -X sticky.partitioning.linger.ms=0
}

# produce_rate TOPIC FIRST LAST PER_SECOND: in the background.
produce_rate() {
	local topic=$1 first=$2 last=$3 rate=$4 i
	(
		kc_close_fds
		exec {MK_IN}>&- {MK_OUT}<&-
		for ((i = first; i <= last; i += rate)); do
			produce "$topic" "$i" $((i + rate - 1 < last ? i + rate - 1 : last))
			sleep 1
		done
	) &
	PRODUCER=$!
	E2E_PIDS+=("$PRODUCER")
}

# points NAME: points in database NAME.
points() {
	curl -s --cacert "$TLS/ca.pem" -G "$INFLUX_URL/query" \
		--data-urlencode "db=$1" \
		--data-urlencode "q=SELECT count(seq) FROM m" |
		jq '.results[0].series[0].values[0][1] // 0'
}

# wait_points NAME N SECONDS: until database NAME holds N points.
wait_points() {
	local i n=0
	for i in $(seq $(($3 * 5))); do
		n=$(points "$1")
		n=${n:-0}
		[ "$n" -ge "$2" ] && break
		sleep 0.2
	done
	[ "$n" -eq "$2" ] || e2e_fail "$1: $n of $2 points in InfluxDB after $3 s"
}

# tg_conf NAME BUFFER [TOML...]: Telegraf with the consumer reading topic
# NAME into database NAME with feedback; more inputs after it.
tg_conf() {
	local name=$1 buffer=$2
	shift 2
	kc_conf "$E2E_TMP/$name.kc.conf" "topics = [\"$name\"]" \
		"consumer_group = \"$name\"" 'log_level = "info"' \
		"feedback_socket = \"$E2E_TMP/$name.sock\"" \
		'feedback_outputs = ["influxdb"]'
	cat >"$E2E_TMP/$name.tg.conf" <<-EOF
		[agent]
		  interval = "1s"
		  flush_interval = "1s"
		  metric_batch_size = 1000
		  metric_buffer_limit = $buffer
		  omit_hostname = true
		[[inputs.execd]]
		  command = ["$KC", "-config", "$E2E_TMP/$name.kc.conf"]
		  signal = "none"
		  restart_delay = "1s"
		[[inputs.internal]]
		  alias = "telex_feedback"
		  interval = "50ms"
		  collect_memstats = false
		  namepass = ["internal_write"]
		  name_prefix = "telex_"
		[[outputs.execd]]
		  alias = "telex_feedback"
		  command = ["$KC", "-config", "$E2E_TMP/$name.kc.conf", "--feedback-relay"]
		  namepass = ["telex_*"]
		  flush_interval = "50ms"
		  data_format = "influx"
		[[outputs.influxdb]]
		  alias = "influxdb"
		  urls = ["$INFLUX_URL"]
		  tls_ca = "$TLS/ca.pem"
		  database = "$name"
		  namedrop = ["telex_*"]
		  flush_interval = "100ms"
		  timeout = "2s"
	EOF
	printf '%s\n' "$@" >>"$E2E_TMP/$name.tg.conf"
}

tg_start() {
	e2e_bg "$E2E_TMP/$1.tg.log" telegraf --config "$E2E_TMP/$1.tg.conf"
	TG_PID=$E2E_LAST_PID
}
tg_stop() {
	kill "$TG_PID" 2>/dev/null
	local i
	for i in $(seq 150); do
		kill -0 "$TG_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$TG_PID" 2>/dev/null && e2e_fail "Telegraf did not stop in 15 s"
	wait "$TG_PID" 2>/dev/null
}

# The consumer's pid (not the relay's), once Telegraf has started it.
consumer_pid() {
	local i p
	for i in $(seq 100); do
		p=$(pgrep -f -- "-config $E2E_TMP/$1.kc.conf\$" | head -n 1)
		[ -n "$p" ] && {
			echo "$p"
			return
		}
		sleep 0.1
	done
	e2e_fail "$1: Telegraf did not start the consumer"
}

# After a scenario: Telegraf dropped nothing of its own accord, the
# consumers' summaries say how many records they read (duplicates are
# what they read beyond N).
check_log() {
	local name=$1 n=$2 log=$E2E_TMP/$1.tg.log
	if [ "${3:-}" != drops ] && grep -q 'buffer overflow' "$log"; then
		e2e_fail "$name: Telegraf dropped metrics: $(grep 'buffer overflow' "$log" | head -n 3)"
	fi
	read=$(sed -n 's/.*kafka_consumer: \([0-9]*\) records,.*/\1/p' "$log" |
		awk '{ s += $1 } END { print s + 0 }')
	e2e_note "$name: $n of $n points in InfluxDB, $read records read ($((read - n)) duplicates)"
}

# --- backlog: waiting in Kafka, then more while catching up ---------------
N1=$((20000 * S))
produce backlog 1 "$N1"
tg_conf backlog 10000
t0=$(date +%s.%N)
tg_start backlog
produce_rate backlog $((N1 + 1)) $((N1 + 5000 * S)) 500
wait_points backlog $((N1 + 5000 * S)) $((60 * S))
# Only Telegraf's user may talk to the relay: it decides what is committed.
[ "$(stat -c %a "$E2E_TMP/backlog.sock")" = 600 ] ||
	e2e_fail "the feedback socket is mode $(stat -c %a "$E2E_TMP/backlog.sock")"
e2e_note "backlog: caught up in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"
tg_stop
check_log backlog $((N1 + 5000 * S))

# --- outage: influxd down for 8 s in the middle of a stream ---------------
N2=$((8000 * S))
tg_conf outage 10000
tg_start outage
produce_rate outage 1 "$N2" 400
sleep 5
influx_stop
sleep 8
influx_restart
wait "$PRODUCER"
wait_points outage "$N2" $((60 * S))
tg_stop
check_log outage "$N2"

# --- crash: influxd down; kill -9 of the consumer, then Telegraf restarted --
N3=$((4000 * S))
produce crash 1 "$N3"
tg_conf crash 10000
tg_start crash
for i in $(seq 300); do
	[ "$(points crash)" -gt 0 ] && break
	sleep 0.1
done
influx_stop
produce crash $((N3 + 1)) $((2 * N3))
sleep 3
pid=$(consumer_pid crash)
kill -9 "$pid"
e2e_note "crash: consumer $pid killed"
for i in $(seq 100); do
	p=$(consumer_pid crash)
	[ "$p" != "$pid" ] && break
	sleep 0.1
done
[ "$p" != "$pid" ] || e2e_fail "crash: Telegraf did not restart the consumer"
sleep 2
tg_stop
e2e_note "crash: Telegraf stopped with influxd down"
tg_start crash
sleep 2
influx_restart
wait_points crash $((2 * N3)) $((60 * S))
tg_stop
check_log crash $((2 * N3))

# --- drops: another input fills the shared buffer while influxd is down ----
# The consumer's window (half of 3,000) is in the buffer first; 4 s later
# the flood starts and pushes it out (Telegraf drops the oldest).
N4=$((3000 * S))
produce drops 1 "$N4"
influx_stop
tg_conf drops 3000 \
	'[[inputs.execd]]' \
	'  command = ["bash", "-c", "sleep 4; while :; do for i in $(seq 200); do echo flood,i=$i v=1i; done; sleep 0.1; done"]' \
	'  signal = "none"'
tg_start drops
for i in $(seq 300); do
	grep -q 'dropped metrics' "$E2E_TMP/drops.tg.log" && break
	sleep 0.1
done
grep -q 'dropped metrics' "$E2E_TMP/drops.tg.log" ||
	e2e_fail "drops: the consumer did not see Telegraf drop metrics"
sleep 2
influx_restart
wait_points drops "$N4" $((60 * S))
tg_stop
grep -q 'not yet confirmed are read again' "$E2E_TMP/drops.tg.log" ||
	e2e_fail "drops: the consumer did not read unconfirmed records again"
check_log drops "$N4" drops
# Records whose metrics were dropped were read (and written) twice.
[ "$read" -gt "$N4" ] || e2e_fail "drops: no record was read again ($read)"

echo ok
