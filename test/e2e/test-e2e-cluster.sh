#!/usr/bin/env bash
# The reference deployment end to end, on real parts, configured from
# examples/ (addresses, ports and paths substituted, nothing else edited),
# everything over TLS with a throw-away CA:
#
#   2 datacenters, par1 and fra2, each with its own 3-broker Kafka cluster
#     (telex-mock-kafka behind TLS, examples/kafka/), each with a
#     hypervisor producing through telex-kafka-output
#     (examples/hypervisor/telex/kafka-output.conf)
#   -> the core: the real Telegraf with examples/core/telegraf.conf and
#      examples/multi-dc/core/telegraf.d/ (one telex-kafka-consumer per
#      datacenter's cluster)
#   -> HAProxy (examples/haproxy/haproxy.cfg) over TLS
#   -> influxdb-cluster 1.8.11-c1.2.0: 3 meta + 2 data nodes
#      (examples/influxdb-cluster/, joined by its join.sh; database with
#      replication 2)
#
# While the hypervisors produce, one data node and the meta nodes' Raft
# leader are stopped; the data node comes back, the meta node does not.
# Asserts: every record produced is in its DC's Kafka; every point comes
# back through HAProxy with its dc, kafka_cluster and topic tags, then from
# each data node alone (node_id) once hinted handoff has caught up; Telegraf
# dropped nothing. 0 lost.
set -u
. "$TELEX_SRC/test/e2e/topology.sh"
e2e_need haproxy curl jq python3 openssl kcat ss
topo_need_peers
topo_need_netns
for p in telex-kafka-output telex-kafka-consumer telex-mock-kafka; do
	[ -x "$TELEX_BIN/$p" ] || e2e_fail "$TELEX_BIN/$p not built"
done
T=$E2E_TMP
TOPIC=vm-metrics
# Each hypervisor: BATCHES gathers of LINES domains, PERIOD s apart.
BATCHES=${E2E_BATCHES:-40}
LINES=20
PERIOD=0.5
WANT=$((BATCHES * LINES))
START=$(date +%s)
elapsed() { echo "$(($(date +%s) - START)) s"; }

# --- Kafka: one cluster per datacenter, TLS ----------------------------------
kafka_tls_start par1 3 "$TOPIC:6"
kafka_tls_start fra2 3 "$TOPIC:6"
e2e_note "kafka par1 ${KAFKA_BOOT[par1]}, fra2 ${KAFKA_BOOT[fra2]} (TLS)"

# --- InfluxDB cluster and HAProxy ----------------------------------------------
ic_start
e2e_note "influxdb-cluster: 3 meta, 2 data (ids ${IC_DATA_ID[1]} ${IC_DATA_ID[2]}), joined by join.sh in $(elapsed)"
haproxy_start "${IC_DATA_URL[1]}" "${IC_DATA_URL[2]}"
haproxy_wait_status data-1 UP
haproxy_wait_status data-2 UP
# The stats page wants its password.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$STATS_URL")" = 401 ] ||
	e2e_fail "HAProxy's stats page answers without a password"
e2e_note "haproxy $LB_URL: data-1 and data-2 UP"

# --- the core Telegraf: one consumer per datacenter ------------------------------
# Both consumers and the relay share one feedback socket (delivery
# feedback: a record is committed once the InfluxDB output wrote it).
kafka_subst par1 "$EX/core/telex/kafka-consumer.conf" "$T/kafka-consumer.conf" \
	"/var/lib/telex/kafka-consumer/feedback.sock=$T/feedback.sock"
kafka_subst fra2 "$EX/multi-dc/core/telex/kafka-consumer-fra2.conf" \
	"$T/kafka-consumer-fra2.conf" \
	"/var/lib/telex/kafka-consumer/feedback.sock=$T/feedback.sock"
mkdir -p "$T/telegraf.d"
ex_subst "$EX/multi-dc/core/telegraf.d/kafka-fra2.conf" "$T/telegraf.d/kafka-fra2.conf" \
	"/usr/bin/telex-kafka-consumer=$TELEX_BIN/telex-kafka-consumer" \
	"/etc/telex/kafka-consumer-fra2.conf=$T/kafka-consumer-fra2.conf"
ex_subst "$EX/core/telegraf.conf" "$T/telegraf.conf" \
	"/usr/bin/telex-kafka-consumer=$TELEX_BIN/telex-kafka-consumer" \
	"/etc/telex/kafka-consumer.conf=$T/kafka-consumer.conf" \
	"https://influxdb-lb.example.net:8086=$LB_URL" \
	"/etc/telegraf/influxdb-ca.pem=$TLS/ca.pem"
telegraf_start core "$T/telegraf.conf" "$T/telegraf.d"

# --- two hypervisors, one per datacenter ------------------------------------------
# What Telegraf on a hypervisor hands telex-kafka-output: LINES domains per
# gather, tagged dc, rack (global_tags) and host.
gen() { # HOST DC RACK
	local b j t0
	t0=$(date +%s%N)
	for ((b = 0; b < BATCHES; b++)); do
		for ((j = 0; j < LINES; j++)); do
			printf 'libvirt_state,dc=%s,domain_name=vm-%02d,host=%s,rack=%s state=1i,reason=1i %d\n' \
				"$2" "$j" "$1" "$3" $((t0 + b * 1000000))
		done
		sleep "$PERIOD"
	done
}
for spec in "hv-par1-01 par1 r12" "hv-fra2-07 fra2 r03"; do
	read -r host dc rack <<<"$spec"
	kafka_subst "$dc" "$EX/hypervisor/telex/kafka-output.conf" "$T/kafka-output-$dc.conf" \
		"/var/lib/telex/kafka-output=$T/spool-$dc"
	(
		gen "$host" "$dc" "$rack" |
			"$TELEX_BIN/telex-kafka-output" -config "$T/kafka-output-$dc.conf" \
				2>"$T/$host.log"
		echo $? >"$T/$host.rc"
	) &
	E2E_PIDS+=("$!")
done

# count_host URL HOST [NODE_ID]: points of HOST in InfluxDB.
count_host() {
	ic_count "$1" "SELECT count(state) FROM libvirt_state WHERE host = '$2'" "${3:-}"
}
# wait_for DESCRIPTION SECONDS CMD...: until CMD succeeds, or fail.
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for i in $(seq $((secs * 5))); do
		"$@" && return 0
		sleep 0.2
	done
	e2e_fail "$what: not after $secs s"
}
flowing() {
	[ "$(count_host "$LB_URL" hv-par1-01)" -gt 0 ] &&
		[ "$(count_host "$LB_URL" hv-fra2-07)" -gt 0 ]
}
wait_for "points from both datacenters through HAProxy" 60 flowing
e2e_note "points flowing from par1 and fra2 at $(elapsed)"

# --- failures: data node 2 and the meta leader stop -------------------------------
leader=$(curl -s --cacert "$TLS/ca.pem" "${IC_META_URL[1]}/status" | jq -r .leader)
lm=
for i in 1 2 3; do
	grep -q "bind-address = \"$leader\"" "$T/meta$i/meta.conf" && lm=$i
done
[ -n "$lm" ] || e2e_fail "no meta node is the leader ($leader)"
ic_stop meta "$lm"
ic_stop data 2
before=$(count_host "$LB_URL" hv-par1-01)
e2e_note "stopped data node 2 and meta node $lm (the Raft leader) at $(elapsed), $before par1 points in"
haproxy_wait_status data-2 DOWN
# Writes go on with one data node and two meta nodes: the count grows by
# two gathers at least.
grown() { [ "$(count_host "$LB_URL" hv-par1-01)" -ge $((before + 2 * LINES)) ]; }
wait_for "writes with data node 2 down" 60 grown
# ... and data node 1 queues data node 2's copies (hinted handoff).
hh=$(find "$T/data1/hh/${IC_DATA_ID[2]}" -type f -size +0 2>/dev/null | wc -l)
[ "$hh" -gt 0 ] || e2e_fail "data node 1 queued nothing for data node 2: $(find "$T/data1/hh" | head)"
e2e_note "writes go on with data node 2 and meta node $lm down ($(count_host "$LB_URL" hv-par1-01) par1 points)"
ic_node_start data 2
haproxy_wait_status data-2 UP
e2e_note "data node 2 back at $(elapsed)"

# --- everything produced is in Kafka -------------------------------------------------
done_gen() { [ -s "$T/hv-par1-01.rc" ] && [ -s "$T/hv-fra2-07.rc" ]; }
wait_for "the hypervisors to finish" $((BATCHES + 60)) done_gen
for spec in "hv-par1-01 par1" "hv-fra2-07 fra2"; do
	read -r host dc <<<"$spec"
	[ "$(cat "$T/$host.rc")" = 0 ] ||
		e2e_fail "telex-kafka-output on $host exited $(cat "$T/$host.rc"): $(tail -n 5 "$T/$host.log")"
	n=$(kafka_count "$dc" "$TOPIC")
	[ "$n" = "$WANT" ] || e2e_fail "$dc's Kafka holds $n records, $WANT produced"
done
e2e_note "Kafka: $WANT records in each datacenter's cluster at $(elapsed)"

# --- every point through HAProxy, then from each data node alone ----------------------
all_lb() {
	[ "$(count_host "$LB_URL" hv-par1-01)" = "$WANT" ] &&
		[ "$(count_host "$LB_URL" hv-fra2-07)" = "$WANT" ]
}
wait_for "all $WANT points per hypervisor through HAProxy (par1 $(count_host "$LB_URL" hv-par1-01), fra2 $(count_host "$LB_URL" hv-fra2-07))" 90 all_lb
e2e_note "HAProxy: $WANT + $WANT points at $(elapsed)"
all_node() { # I
	[ "$(count_host "${IC_DATA_URL[$1]}" hv-par1-01 "${IC_DATA_ID[$1]}")" = "$WANT" ] &&
		[ "$(count_host "${IC_DATA_URL[$1]}" hv-fra2-07 "${IC_DATA_ID[$1]}")" = "$WANT" ]
}
for i in 1 2; do
	wait_for "all points on data node $i alone (node_id ${IC_DATA_ID[$i]}: par1 $(count_host "${IC_DATA_URL[$i]}" hv-par1-01 "${IC_DATA_ID[$i]}"), fra2 $(count_host "${IC_DATA_URL[$i]}" hv-fra2-07 "${IC_DATA_ID[$i]}"))" 90 all_node "$i"
done
e2e_note "each data node alone: $WANT + $WANT points (hinted handoff caught up) at $(elapsed)"

# Tags: dc from the hypervisor, kafka_cluster and topic from the consumer
# that read it.
tags=$(curl -s --cacert "$TLS/ca.pem" -u "$IC_ADMIN" -G "$LB_URL/query" \
	--data-urlencode db=telegraf --data-urlencode \
	"q=SELECT count(state) FROM libvirt_state GROUP BY dc, kafka_cluster, topic" |
	jq -r '.results[0].series[] | "\(.tags.dc) \(.tags.kafka_cluster) \(.tags.topic) \(.values[0][1])"' | sort)
[ "$tags" = "fra2 fra2 $TOPIC $WANT
par1 par1 $TOPIC $WANT" ] || e2e_fail "dc/kafka_cluster/topic: $tags"

# --- Telegraf lost nothing ----------------------------------------------------------
kill "$TELEGRAF_PID"
wait "$TELEGRAF_PID"
if grep -i 'dropped' "$T/core.log" >"$T/dropped"; then
	e2e_fail "Telegraf dropped metrics: $(head -n 3 "$T/dropped")"
fi
errs=$(grep -c 'E! \[outputs.influxdb\]' "$T/core.log")
e2e_note "Telegraf: nothing dropped, $errs write errors retried; 0 lost; $(elapsed) in all"
echo ok
