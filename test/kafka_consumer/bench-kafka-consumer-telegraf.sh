#!/usr/bin/env bash
# Catch-up through Telegraf (issue 15): a backlog waiting in Kafka, read by
# the real Telegraf into Debian's influxd 1.6, side by side (BENCH_ONLY
# names them):
#  fb        telex-kafka-consumer with delivery feedback, Telegraf's default
#            buffer (metric_buffer_limit 10000, batch 1000);
#  ceil      telex-kafka-consumer without feedback and a buffer larger than
#            the backlog (nothing can be dropped): the ceiling of Telegraf
#            + influxd;
#  native    Telegraf's native inputs.kafka_consumer at its defaults
#            (max_undelivered_messages 1000), on a smaller backlog (it is
#            slow);
#  native1s  the same with the InfluxDB output flushing at the agent's 1 s
#            instead of the example's 100 ms (as issue 15 measured it);
#  native5k  the native plugin with max_undelivered_messages 5000, the
#            window telex keeps in flight, on the full backlog;
#  fbex      (not by default) telex with feedback and the example's own
#            batch and buffer (5000, 200000).
# Telegraf's configuration is examples/core/telegraf.conf (its agent, the
# consumer's inputs.execd, the feedback pieces and the InfluxDB output as
# shipped, through ex-subst), with metric_batch_size and
# metric_buffer_limit left at Telegraf's defaults; the consumer's table is
# examples/core/telex/kafka-consumer.conf (brokers, topic and group
# replaced, TLS, SASL and lag_interval dropped; the feedback lines dropped
# for the ceiling). Each run has its own consumer group and a fresh influxd.
#
# Records: distinct points (series = i % SERIES, a timestamp one second
# further for each round over the series), about 130 bytes each, in a
# 64-partition topic of a 3-broker telex-mock-kafka (the mock keeps about
# 5 MB per partition).
#
# Per run: the points in InfluxDB at the end (SELECT count), lost (must be
# 0), duplicates (what Telegraf's log says the InfluxDB output wrote, less
# the records), seconds from Telegraf's start to the first and to the last
# point (influxd's own pointsWrittenOK, polled every 0.2 s), points/s, and
# CPU seconds and peak RSS of Telegraf, of the consumer and of the relay
# (from /proc, before Telegraf stops). About 4 minutes in all.
#
#   BENCH_RECORDS=N          records for the telex runs and native5k
#                            (default 1000000)
#   BENCH_NATIVE_RECORDS=N   records for native and native1s (default
#                            100000)
#   BENCH_ONLY="fb ..."      the runs to do (default all but fbex)
#   BENCH_LONG=1             the long mode instead (make bench-long): RATE
#                            points/s for SECONDS with influxd down for
#                            OUTAGE seconds in the middle, telex with
#                            feedback and the default buffer; 0 lost,
#                            duplicates and the catch-up time after influxd
#                            returns.
#   BENCH_LONG_RATE=2000 BENCH_LONG_SECONDS=900 BENCH_LONG_OUTAGE=600
set -u
TELEX_BIN=${TELEX_BIN:-${TELEX_BUILD:?run through make bench}/bin}
. "$TELEX_SRC/test/e2e/lib.sh"
e2e_need influxd kcat curl jq openssl python3
TELEGRAF=${TELEGRAF:-$(command -v telegraf || echo "$TELEX_SRC/../shared/bin/telegraf")}
[ -x "$TELEGRAF" ] || {
	echo "skip: no Telegraf (TELEGRAF, PATH or ../shared/bin)"
	exit 77
}
KC=$TELEX_BIN/telex-kafka-consumer
[ -x "$KC" ] || e2e_fail "$KC not built"
EX=$TELEX_SRC/examples
T=$E2E_TMP
N=${BENCH_RECORDS:-1000000}
NN=${BENCH_NATIVE_RECORDS:-100000}
ONLY=" ${BENCH_ONLY:-fb ceil native native1s native5k} "
SERIES=1000
T0=1700000000
TOPIC=kcbench
PARTS=64
CLK_TCK=$(getconf CLK_TCK)
# Telegraf's ${INFLUX_USER} and ${INFLUX_PASSWORD} in the example (influxd
# here has no authentication and ignores them).
export INFLUX_USER=bench INFLUX_PASSWORD=bench
FAILED=

now_us() { echo "${EPOCHREALTIME/./}"; }
secs() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1e6 }'; }

# gen FIRST COUNT [SERIES]: records FIRST .. FIRST+COUNT-1, one line each:
# series i % SERIES, timestamp T0 + i / SERIES seconds, so every point is
# distinct.
gen() {
	awk -v a="$1" -v n="$2" -v s="${3:-$SERIES}" -v t0="$T0" 'BEGIN {
		for (i = a; i < a + n; i++) {
			k = i % s
			printf "kcbench,domain_name=vm-%05d,host=hv-%03d " \
				"cpu_time=%.0fi,user_time=%.0fi,system_time=%.0fi," \
				"vcpus=%di %.0f000000000\n", k, k % 200,
				i * 7919 % 1000000007, i * 131 % 99991,
				i * 17 % 9973, 1 + k % 8, t0 + int(i / s)
		}
	}'
}

# produce TOPIC: stdin to TOPIC, every record at once, spread over the
# partitions.
produce() {
	timeout 600 kcat -P -b "$MK_BOOTSTRAP" -t "$1" \
		-X sticky.partitioning.linger.ms=0 -X linger.ms=50 \
		-X queue.buffering.max.messages=1000000 ||
		e2e_fail "producing to $1 failed"
}

# --- configurations from examples/ ------------------------------------------

# The example's consumer table for a run: brokers, topic, group (and client
# id) replaced,
# TLS, SASL and lag_interval dropped (the mock speaks plain Kafka; lag
# points would count as written); with FEEDBACK=no the feedback lines too.
kc_conf() { # KEY TOPIC FEEDBACK(yes|no)
	local args=(-d '^[ \t]*(enable_tls|tls_[a-z_]*|sasl_[a-z_]*)[ \t]*='
		-d '^[ \t]*lag_interval[ \t]*='
		"\"kafka-1.example.net:9093\", \"kafka-2.example.net:9093\", \"kafka-3.example.net:9093\"=\"${MK_BOOTSTRAP//,/\", \"}\""
		"[\"vm-metrics\"]=[\"$2\"]"
		"\"telex-core\"=\"bench-$1-$$\"")
	if [ "$3" = no ]; then
		args+=(-d '^[ \t]*feedback_[a-z_]*[ \t]*=')
	else
		args+=("/var/lib/telex/kafka-consumer/feedback.sock=$T/$1.sock")
	fi
	ex_subst "$EX/core/telex/kafka-consumer.conf" "$T/$1.kc.conf" "${args[@]}"
}

# The example's telegraf.conf for a run, through ex-subst: paths and the
# InfluxDB URL replaced; metric_batch_size and metric_buffer_limit dropped
# (Telegraf's defaults, 1000 and 10000), and BUFFER, if a number, the
# buffer's limit ("example": the example's batch and buffer kept); with
# FEEDBACK=no the feedback pieces (inputs.internal, the relay) cut out.
tg_conf() { # KEY FEEDBACK(yes|no) [BUFFER]
	local key=$1 out=$T/$1.telegraf.conf drop=() buf=${3:-}
	[ "$buf" = example ] && buf=
	[ "${3:-}" = example ] || drop=(-d '^[ \t]*metric_batch_size[ \t]*='
		-d '^[ \t]*metric_buffer_limit[ \t]*=')
	ex_subst "$EX/core/telegraf.conf" "$out.ex" "${drop[@]}" \
		"/usr/bin/telex-kafka-consumer=$KC" \
		"/etc/telex/kafka-consumer.conf=$T/$key.kc.conf" \
		"https://influxdb-lb.example.net:8086=$INFLUX_URL" \
		"/etc/telegraf/influxdb-ca.pem=$TLS/ca.pem"
	# A table runs from its header to the next blank line (the example's
	# layout); the feedback ones are the inputs.internal and the
	# outputs.execd tables.
	awk -v fb="$2" -v buf="$buf" '
		/^\[\[inputs\.internal\]\]/ || /^\[\[outputs\.execd\]\]/ {
			cut = fb == "no"
		}
		/^[ \t]*$/ { cut = 0 }
		cut { next }
		/^\[agent\]/ && buf != "" {
			print; print "  metric_buffer_limit = " buf; next
		}
		{ print }
	' "$out.ex" >"$out"
	if [ "$2" = no ]; then
		! grep -q '^\[\[inputs.internal\]\]\|--feedback-relay' "$out" ||
			e2e_fail "$out: the feedback tables were not cut out"
	else
		grep -q -- '--feedback-relay' "$out" ||
			e2e_fail "$out: no feedback relay in the example"
	fi
}

# Telegraf's native plugin at its defaults, with the example's agent and
# InfluxDB output (the consumer's inputs.execd and the feedback pieces
# replaced by it). FLUSH: the output's flush_interval ("" as the example);
# UNDELIVERED: max_undelivered_messages ("": the default, 1000).
tg_native_conf() { # KEY TOPIC [FLUSH [UNDELIVERED]]
	local key=$1 out=$T/$1.telegraf.conf
	tg_conf "$key" no
	awk -v b="$MK_BOOTSTRAP" -v topic="$2" -v grp="bench-$key-$$" \
		-v fl="${3:-}" -v und="${4:-}" '
		/^\[\[inputs\.execd\]\]/ {
			gsub(/,/, "\", \"", b)
			print "[[inputs.kafka_consumer]]"
			print "  brokers = [\"" b "\"]"
			print "  topics = [\"" topic "\"]"
			print "  consumer_group = \"" grp "\""
			print "  offset = \"oldest\""
			if (und != "")
				print "  max_undelivered_messages = " und
			print "  data_format = \"influx\""
			cut = 1; next
		}
		/^[ \t]*$/ { cut = 0 }
		cut { next }
		fl != "" && /^[ \t]*flush_interval[ \t]*=/ && out {
			print "  flush_interval = \"" fl "\""; next
		}
		/^\[\[outputs\.influxdb\]\]/ { out = 1 }
		{ print }
	' "$out" >"$out.native" && mv "$out.native" "$out"
	grep -q 'inputs.kafka_consumer' "$out" || e2e_fail "$out: no native input"
}

# --- influxd, Telegraf and what they did --------------------------------------

# influxd's count of points written through /write since it started
# (duplicates included).
points_ok() {
	curl -s --cacert "$TLS/ca.pem" "$INFLUX_URL/debug/vars" |
		grep -o '"pointsWrittenOK":[0-9]*' |
		awk -F: '{ n += $2 } END { print n + 0 }'
}

# count [WHERE]: the points of kcbench in InfluxDB (-1 if the query fails).
count() {
	local out
	out=$(curl -s --cacert "$TLS/ca.pem" -G "$INFLUX_URL/query" \
		--data-urlencode "db=$E2E_DB" \
		--data-urlencode "q=SELECT count(vcpus) FROM kcbench ${1:-}") || {
		echo -1
		return
	}
	jq -r '.results[0].series[0].values[0][1] // 0' <<<"$out" 2>/dev/null || echo -1
}

influx_fresh() {
	influx_stop
	rm -rf "$E2E_TMP/influxdb"
	influx_start
}

# Stop influxd (SIGTERM) and forget its pid.
influx_stop() {
	[ -n "${INFLUX_PID:-}" ] || return 0
	stop_pid "$INFLUX_PID"
	INFLUX_PID=
}

# stop_pid PID: SIGTERM, SIGKILL after 20 s; the pid leaves E2E_PIDS (a
# later kill at exit must not hit a process that took the number over).
stop_pid() {
	local p=$1 i keep=()
	kill "$p" 2>/dev/null
	for i in $(seq 200); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	for i in "${E2E_PIDS[@]}"; do
		[ "$i" = "$p" ] || keep+=("$i")
	done
	E2E_PIDS=("${keep[@]}")
}

# influxd on the port and data it had (the long mode's outage).
influx_restart() {
	e2e_bg "$E2E_TMP/influxd.log" influxd -config "$E2E_TMP/influxdb/influxdb.conf"
	INFLUX_PID=$E2E_LAST_PID
	e2e_wait_http "$INFLUX_URL/ping" 204 || e2e_fail "influxd did not come back"
}

# proc_stats PID: "CPU-seconds peak-RSS-MB" of a live process ("- -" when
# it is gone).
proc_stats() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || {
		echo "- -"
		return
	}
	st=${st##*) }
	awk -v st="$st" -v tck="$CLK_TCK" '
		/^VmHWM:/ { split(st, f, " "); printf "%.1f %.0f\n",
			(f[12] + f[13]) / tck, $2 / 1024 }' "/proc/$1/status"
}

# The consumer and the relay: Telegraf's children.
child_pid() { # TELEGRAF-PID relay|consumer
	ps --ppid "$1" -o pid=,args= | awk -v w="$2" '
		/telex-kafka-consumer/ {
			r = /--feedback-relay/
			if ((w == "relay") == r) { print $1; exit }
		}'
}

# procs_stats KEY TELEGRAF-PID: proc_stats of Telegraf, its consumer and
# its relay into R[KEY,tgcpu], R[KEY,tgrss], kccpu, kcrss, rlcpu, rlrss.
procs_stats() {
	local key=$1 tg=$2 kc rl
	kc=$(child_pid "$tg" consumer)
	rl=$(child_pid "$tg" relay)
	read -r "R[$key,tgcpu]" "R[$key,tgrss]" < <(proc_stats "$tg")
	read -r "R[$key,kccpu]" "R[$key,kcrss]" < <(proc_stats "${kc:-0}")
	read -r "R[$key,rlcpu]" "R[$key,rlrss]" < <(proc_stats "${rl:-0}")
}

# What Telegraf's log says: the InfluxDB output's metrics written (the
# debug line of each batch) and dropped (buffer overflow warnings).
tg_written() {
	grep 'outputs.influxdb' "$1" | sed -n 's/.*Wrote batch of \([0-9]*\) metrics.*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }'
}
# The most metrics the InfluxDB output's buffer held (at a flush).
tg_peak_buffer() {
	grep 'outputs.influxdb' "$1" | sed -n 's/.*Buffer fullness: \([0-9]*\) .*/\1/p' |
		awk '$1 > m { m = $1 } END { print m + 0 }'
}
tg_dropped() {
	grep 'outputs.influxdb' "$1" | sed -n 's/.*buffer overflow; \([0-9]*\) metrics.*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }'
}

# --- one run -------------------------------------------------------------------
declare -A R

# run KEY RECORDS SECONDS: start Telegraf on $T/KEY.telegraf.conf (influxd
# already fresh), wait until InfluxDB holds RECORDS distinct points and
# nothing more is written for 3 s (at most SECONDS, or 60 s without
# progress), then measure and stop. Results in R[KEY,...].
run() {
	local key=$1 n=$2 limit=$3 log=$E2E_TMP/$1.telegraf.log
	local start now pw last_pw=0 first=0 last=0 done=0 lastq=0 c=-1 tg
	start=$(now_us)
	e2e_bg "$log" "$TELEGRAF" --config "$T/$key.telegraf.conf" --debug
	tg=$E2E_LAST_PID
	while :; do
		sleep 0.2
		now=$(now_us)
		kill -0 "$tg" 2>/dev/null || {
			R[$key,note]="Telegraf exited"
			break
		}
		pw=$(points_ok)
		if [ "$pw" -gt "$last_pw" ]; then
			[ $first = 0 ] && first=$now
			last=$now
			last_pw=$pw
		fi
		if [ $done = 0 ] && [ "$pw" -ge "$n" ] && [ $((now - lastq)) -ge 1000000 ]; then
			c=$(count)
			lastq=$(now_us)
			[ "$c" -ge "$n" ] && done=$last
		fi
		[ $done != 0 ] && [ $((now - last)) -ge 3000000 ] && break
		if [ $((now - start)) -ge $((limit * 1000000)) ]; then
			R[$key,note]="not done after $limit s"
			break
		fi
		if [ $((now - (last ? last : start))) -ge 60000000 ]; then
			R[$key,note]="no point written for 60 s"
			break
		fi
	done
	procs_stats "$key" "$tg"
	stop_pid "$tg"
	c=$(count)
	R[$key,records]=$n
	R[$key,db]=$c
	R[$key,lost]=$((n - c))
	R[$key,written]=$(tg_written "$log")
	R[$key,dup]=$((R[$key,written] - c))
	R[$key,dropped]=$(tg_dropped "$log")
	R[$key,peakbuf]=$(tg_peak_buffer "$log")
	R[$key,influxok]=$(points_ok)
	[ $done = 0 ] && done=$last
	R[$key,first]=$(secs $((first ? first - start : 0)))
	R[$key,last]=$(secs $((done - start)))
	R[$key,rate]=$(awk -v n="$c" -v s="${R[$key,last]}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	R[$key,srate]=$(awk -v n="$c" -v a="${R[$key,first]}" -v b="${R[$key,last]}" \
		'BEGIN { printf "%.0f", (b > a ? n / (b - a) : 0) }')
	if [ "${R[$key,lost]}" != 0 ] || [ -n "${R[$key,note]:-}" ]; then
		FAILED+=" $key"
		cp "$log" "$TELEX_BUILD/bench/$key.telegraf.log" 2>/dev/null
	fi
}

# --- the catch-up benchmark -----------------------------------------------------

label() {
	case $1 in
	fb) echo "telex+feedback|buffer 10000" ;;
	ceil) echo "telex, no feedback|buffer $((N + 10000))" ;;
	native) echo "native plugin|defaults" ;;
	native1s) echo "native plugin|output flush 1 s" ;;
	native5k) echo "native plugin|5000 in flight" ;;
	fbex) echo "telex+feedback|example's buffer" ;;
	esac
}

# The flush_interval of a configuration's InfluxDB output.
influx_flush() {
	awk '/^\[\[outputs\.influxdb\]\]/ { o = 1 }
		o && /^[ \t]*flush_interval[ \t]*=/ { gsub(/[^0-9a-z]/, "", $3); print $3; exit }' "$1"
}

report() { # LOAD KEY...
	local load=$1 k row
	shift
	printf '\nCatch-up through Telegraf %s into influxd %s: a backlog in a %d-partition topic of a 3-broker telex-mock-kafka\n' \
		"$("$TELEGRAF" --version | awk '{ print $2 }')" \
		"$(influxd version | awk '{ print $2 }')" "$PARTS"
	printf '(examples/core/telegraf.conf: its InfluxDB output, flush_interval %s, over TLS with gzip; Telegraf'"'"'s default batch of 1000 (fbex: the example'"'"'s 5000, buffer 200000);\n' \
		"$(influx_flush "$T/$1.telegraf.conf")"
	printf ' native1s: that output flushing at the agent'"'"'s 1 s; native5k: max_undelivered_messages 5000, as telex'"'"'s window;\n'
	printf ' load average %s at the start, %s at the end)\n' \
		"$load" "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-30s' ""
	for k; do printf ' %20s' "$(label "$k" | cut -d'|' -f1)"; done
	printf '\n%-30s' ""
	for k; do printf ' %20s' "$(label "$k" | cut -d'|' -f2)"; done
	printf '\n'
	for row in "records:records" "points in InfluxDB:db" "lost:lost" \
		"duplicates:dup" "dropped by Telegraf:dropped" \
		"most in Telegraf's buffer:peakbuf" \
		"s to the first point:first" "s to the last point:last" \
		"points/s (start to last):rate" "points/s (first to last):srate" \
		"Telegraf CPU s:tgcpu" "Telegraf peak RSS MB:tgrss" \
		"consumer CPU s:kccpu" "consumer peak RSS MB:kcrss" \
		"relay CPU s:rlcpu" "relay peak RSS MB:rlrss"; do
		printf '%-30s' "${row%%:*}"
		for k; do printf ' %20s' "${R[$k,${row#*:}]:--}"; done
		printf '\n'
	done
	for k; do
		[ -n "${R[$k,note]:-}" ] && echo "$k: ${R[$k,note]}"
		[ "${R[$k,influxok]:-0}" = "${R[$k,written]:-0}" ] ||
			echo "$k: influxd counted ${R[$k,influxok]} points written, Telegraf's log ${R[$k,written]}"
	done
	ratio() {
		[ -n "${R[$1,rate]:-}" ] && [ -n "${R[$2,rate]:-}" ] && [ "${R[$2,rate]}" != 0 ] &&
			awk -v a="${R[$1,rate]}" -v b="${R[$2,rate]}" -v t="$3" \
				'BEGIN { printf "%s: %.2fx\n", t, a / b }'
	}
	ratio fb ceil "telex+feedback / ceiling (points/s, start to last)"
	ratio fb native "telex+feedback / native"
	ratio fb native1s "telex+feedback / native (output flush 1 s)"
	ratio fb native5k "telex+feedback / native (5000 in flight)"
	ratio fbex ceil "telex+feedback, the example's buffer / ceiling"
}

catchup() {
	local k load cols=()
	for k in $ONLY; do
		case $k in
		fb | ceil | native | native1s | native5k | fbex) cols+=("$k") ;;
		*) e2e_fail "BENCH_ONLY: unknown run $k (fb ceil native native1s native5k fbex)" ;;
		esac
	done
	mk_start --brokers 3 --topic "$TOPIC:$PARTS" --topic "$TOPIC-native:$PARTS"
	gen 0 "$N" | produce "$TOPIC"
	[[ $ONLY == *" native "* || $ONLY == *" native1s "* ]] && gen 0 "$NN" | produce "$TOPIC-native"
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	for k in "${cols[@]}"; do
		# A fresh influxd first: the configuration names its port.
		influx_fresh
		case $k in
		fb) kc_conf fb "$TOPIC" yes && tg_conf fb yes ;;
		ceil) kc_conf ceil "$TOPIC" no && tg_conf ceil no $((N + 10000)) ;;
		native) tg_native_conf native "$TOPIC-native" ;;
		native1s) tg_native_conf native1s "$TOPIC-native" 1s ;;
		native5k) tg_native_conf native5k "$TOPIC" "" 5000 ;;
		fbex) kc_conf fbex "$TOPIC" yes && tg_conf fbex yes example ;;
		esac
		case $k in
		native | native1s) run "$k" "$NN" $((120 + NN / 300)) ;;
		*) run "$k" "$N" $((60 + N / 5000)) ;;
		esac
	done
	report "$load" "${cols[@]}"
}

# --- the long mode ----------------------------------------------------------------

# produce_paced RATE SECONDS FILE: RATE/10 records every 100 ms on stdout
# (series = RATE, so each series gets a point a second), the count so far
# in FILE.
produce_paced() {
	local rate=$1 dur=$2 f=$3 step=$(($1 / 10)) start i t
	start=$(now_us)
	for ((i = 0; i < dur * 10; i++)); do
		gen $((i * step)) $step "$rate"
		echo $(((i + 1) * step)) >"$f"
		t=$((start + (i + 1) * 100000 - $(now_us)))
		[ $t -gt 0 ] && sleep "$(printf '0.%06d' $t)"
	done
}

long() {
	local rate=${BENCH_LONG_RATE:-2000} dur=${BENCH_LONG_SECONDS:-900}
	local outage=${BENCH_LONG_OUTAGE:-600} total start now tg gen_pid kcat_pid
	local down_at up_at t_down=0 t_up=0 caught=0 backlog=0 k=0 c=-1 lastq=0
	local log=$E2E_TMP/long.telegraf.log load fd
	[ $((rate % 10)) = 0 ] || e2e_fail "BENCH_LONG_RATE must be a multiple of 10"
	total=$((rate * dur))
	mk_start --brokers 3 --topic "kclong:$PARTS"
	influx_fresh
	kc_conf long kclong yes
	tg_conf long yes
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	start=$(now_us)
	e2e_bg "$log" "$TELEGRAF" --config "$T/long.telegraf.conf" --debug
	tg=$E2E_LAST_PID
	# The producer: the paced generator into one kcat through a fifo
	# (neither holds the mock's control channel).
	mkfifo "$T/long.fifo"
	# Batches of about 200 records (a partition for 100 ms at a time):
	# the mock scans a partition's record batches one by one on every
	# fetch, and with a batch per record it spent a core serving 2,300
	# records/s after 15 minutes.
	(
		exec {MK_IN}>&- {MK_OUT}<&-
		exec kcat -P -b "$MK_BOOTSTRAP" -t kclong -X linger.ms=100 \
			-X sticky.partitioning.linger.ms=100 <"$T/long.fifo"
	) 2>"$E2E_TMP/kcat.log" &
	kcat_pid=$!
	E2E_PIDS+=("$kcat_pid")
	(
		exec {MK_IN}>&- {MK_OUT}<&-
		produce_paced "$rate" "$dur" "$T/produced" >"$T/long.fifo"
	) &
	gen_pid=$!
	E2E_PIDS+=("$gen_pid")
	down_at=$((start + (dur - outage) / 2 * 1000000))
	up_at=$((down_at + outage * 1000000))
	while :; do
		sleep 1
		now=$(now_us)
		kill -0 "$tg" 2>/dev/null || e2e_fail "Telegraf exited"
		if [ $t_down = 0 ] && [ "$now" -ge "$down_at" ]; then
			influx_stop
			t_down=$(now_us)
			e2e_note "influxd down at $(secs $((t_down - start))) s, $(cat "$T/produced") records produced"
		fi
		if [ $t_down != 0 ] && [ $t_up = 0 ] && [ "$now" -ge "$up_at" ]; then
			influx_restart
			t_up=$(now_us)
			# Every whole second of records produced by now, less what
			# InfluxDB held already.
			k=$(($(cat "$T/produced") / rate))
			backlog=$((k * rate - $(count)))
			e2e_note "influxd back at $(secs $((t_up - start))) s, $backlog records to catch up"
		fi
		if [ $t_up != 0 ] && [ $caught = 0 ] && [ $((now - lastq)) -ge 2000000 ]; then
			c=$(count "WHERE time < $((T0 + k))000000000")
			lastq=$(now_us)
			if [ "$c" -ge $((k * rate)) ]; then
				caught=$lastq
				e2e_note "caught up $(secs $((caught - t_up))) s after influxd's return"
			fi
		fi
		if [ $caught != 0 ] && ! kill -0 "$gen_pid" 2>/dev/null; then
			c=$(count)
			[ "$c" -ge "$total" ] && break
		fi
		[ $((now - start)) -ge $(((dur + 600) * 1000000)) ] && {
			e2e_note "not done $((dur + 600)) s after the start"
			break
		}
	done
	procs_stats long "$tg"
	stop_pid "$tg"
	wait "$kcat_pid" || e2e_note "kcat exited with $?"
	c=$(count)
	R[long,written]=$(tg_written "$log")
	# Records in Kafka: more than produced when the producer retried a
	# request that had gone through (duplicates before telex).
	R[long,kafka]=$(MK_TIMEOUT=120 mk_count kclong)
	printf '\nLong run: %d points/s for %d s into Telegraf %s (default buffer, examples/core/telegraf.conf) and influxd %s,\n' \
		"$rate" "$dur" "$("$TELEGRAF" --version | awk '{ print $2 }')" \
		"$(influxd version | awk '{ print $2 }')"
	printf 'influxd down for %d s from %s s; telex-kafka-consumer with feedback (load average %s at the start, %s at the end)\n' \
		"$outage" "$(secs $((t_down - start)))" "$load" "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-44s %s\n' "records produced" "$(cat "$T/produced")" \
		"points in InfluxDB" "$c" \
		"lost" "$(($(cat "$T/produced") - c))" \
		"duplicates" "$((R[long,written] - c))" \
		"  of which in Kafka (producer retries)" "$((R[long,kafka] - $(cat "$T/produced")))" \
		"dropped by Telegraf" "$(tg_dropped "$log")" \
		"most in Telegraf's buffer" "$(tg_peak_buffer "$log")" \
		"backlog when influxd returned" "$backlog" \
		"catch-up after influxd's return, s" "$([ $caught = 0 ] && echo never || secs $((caught - t_up)))" \
		"catch-up points/s (the backlog / that time)" "$([ $caught = 0 ] && echo - || awk -v b="$backlog" -v s="$(secs $((caught - t_up)))" 'BEGIN { printf "%.0f", b / s }')" \
		"telex re-reads after a drop" "$(grep -c 'read again' "$log")" \
		"Telegraf CPU s, peak RSS MB" "${R[long,tgcpu]} ${R[long,tgrss]}" \
		"consumer CPU s, peak RSS MB" "${R[long,kccpu]} ${R[long,kcrss]}" \
		"relay CPU s, peak RSS MB" "${R[long,rlcpu]} ${R[long,rlrss]}"
	[ "$c" = "$(cat "$T/produced")" ] && [ "$(cat "$T/produced")" = "$total" ] &&
		[ $caught != 0 ] || {
		cp "$log" "$TELEX_BUILD/bench/long.telegraf.log" 2>/dev/null
		echo "FAIL: long run: $c of $total points in InfluxDB"
		exit 1
	}
}

if [ "${BENCH_LONG:-0}" = 1 ]; then
	long
	exit 0
fi
catchup
if [ -n "$FAILED" ]; then
	echo "FAIL:$FAILED (Telegraf's logs in $TELEX_BUILD/bench/)"
	exit 1
fi
