#!/usr/bin/env bash
# The whole pipeline with real components, configured from examples/:
#
#   2 hypervisors: telex-libvirt (test-driver domains, signal STDIN through
#     the execd harness, dc/rack/host tags as Telegraf adds them)
#     -> telex-kafka-output (outputs.execd through the harness)
#   -> telex-mock-kafka, 3 brokers
#   -> 2 telex-kafka-consumer in one group (inputs.execd, signal none)
#   -> batches POSTed to /write through HAProxy (examples/haproxy, TLS on
#      both sides) in front of Debian's influxd 1.6, as Telegraf's influxdb
#      output does
#
# Asserts: every line telex-libvirt emitted reaches the consumers byte for
# byte; /write accepts every batch (204); per measurement, InfluxDB holds as
# many points as were emitted, with the tags and the field types of the
# native schema; every InfluxQL query of the Grafana dashboard and alert
# rules returns data. Telegraf itself cannot be installed here: the harness
# stands in for its execd plugins, and the tags it would add (global_tags
# dc/rack, host) come from each telex config's tags table.
set -u
. "$TELEX_SRC/test/e2e/lib.sh"
e2e_need influxd haproxy curl jq python3 openssl
for p in telex-libvirt telex-kafka-output telex-kafka-consumer \
	telex-execd-harness; do
	[ -x "$TELEX_BIN/$p" ] || e2e_fail "$TELEX_BIN/$p not built"
done
H=$TELEX_BIN/telex-execd-harness
EX=$TELEX_SRC/examples
T=$E2E_TMP
TOPIC=vm-metrics
GATHERS=4
DOMAINS=$EX/demo/domains.xml
# Queries below look at this test's data only: it starts now (less a margin
# for the one-minute buckets of the hypervisor-silent rule).
T0_MS=$(($(date +%s%3N) - 300000))

grep -q "topic = \"$TOPIC\"" "$EX/hypervisor/telex/kafka-output.conf" ||
	e2e_fail "examples' kafka-output.conf does not produce to $TOPIC"

# --- the core: InfluxDB behind HAProxy, health-checked on /ping --------
influx_start
haproxy_start "$INFLUX_URL"
haproxy_wait_status data-1 UP
haproxy_wait_status data-2 DOWN
e2e_note "influxd $INFLUX_URL behind haproxy $LB_URL (a dead node marked DOWN)"

# --- Kafka ---------------------------------------------------------------
mk_start --brokers 3 --topic "$TOPIC:6"
e2e_note "kafka $MK_BOOTSTRAP"

# --- two core consumers in one group -------------------------------------
e2e_kafka_conf "$EX/core/telex/kafka-consumer.conf" "$T/consumer.conf"
sed -i 's/^\([ \t]*lag_interval[ \t]*=\).*/\1 "1s"/' "$T/consumer.conf"
grep -q 'lag_interval = "1s"' "$T/consumer.conf" ||
	e2e_fail "examples' kafka-consumer.conf has no lag_interval"
for c in core-a core-b; do
	[ "$(grep '^[[:space:]]*\[' "$T/consumer.conf" | tail -n 1 | tr -d ' \t')" = \
		"[inputs.kafka_consumer.tags]" ] ||
		e2e_fail "examples' kafka-consumer.conf no longer ends with its tags table"
	sed "s/core-[ab]/$c/" >"$T/$c.conf" <<-EOF
		$(cat "$T/consumer.conf")
		  ## The core Telegraf's host tag, added where a metric has none (into
		  ## the example's tags table, the last one of the file).
		    host = "core-a"
		  ## The mock's coordinator completes a rebalance only after
		  ## session.timeout.ms: keep it short for the test.
		  [inputs.kafka_consumer.librdkafka]
		    "session.timeout.ms" = 6000
		    "heartbeat.interval.ms" = 500
	EOF
	e2e_service "$c" "$TELEX_BIN/telex-kafka-consumer" -config "$T/$c.conf"
done
# Both members joined: each has logged its assignment.
for i in $(seq 300); do
	grep -q assigned "$T/core-a.log" && grep -q assigned "$T/core-b.log" &&
		break
	sleep 0.1
done
grep -q assigned "$T/core-b.log" || e2e_fail "consumer core-b never got partitions"

# --- two hypervisors -------------------------------------------------------
e2e_kafka_conf "$EX/hypervisor/telex/kafka-output.conf" "$T/kafka-output.conf"
hv=0
for spec in "hv-par1-01 par1 r12" "hv-fra2-07 fra2 r03"; do
	read -r host dc rack <<<"$spec"
	hv=$((hv + 1))
	sed "s|^\([ \t]*libvirt_uri[ \t]*=\).*|\1 \"test://$DOMAINS\"|" \
		"$EX/hypervisor/telex/libvirt.conf" >"$T/$host-libvirt.conf"
	cat >>"$T/$host-libvirt.conf" <<-EOF
		  ## What Telegraf adds on this hypervisor: global_tags and host.
		  [inputs.libvirt.tags]
		    dc = "$dc"
		    rack = "$rack"
		    host = "$host"
	EOF
	grep -q "test://$DOMAINS" "$T/$host-libvirt.conf" ||
		e2e_fail "examples' libvirt.conf has no libvirt_uri"
	# inputs.execd, signal STDIN: one gather per interval.
	"$H" --quiet --signal STDIN --interval 300ms --count $GATHERS \
		--save "$T/$host.lp" --summary "$T/$host-in.sum" \
		--stderr "$T/$host-in.log" \
		-- "$TELEX_BIN/telex-libvirt" -config "$T/$host-libvirt.conf" ||
		e2e_fail "harness could not run telex-libvirt"
	grep -qx 'exit_code=0' "$T/$host-in.sum" &&
		grep -qx 'shutdown=stdin' "$T/$host-in.sum" &&
		grep -qx 'invalid_lines=0' "$T/$host-in.sum" &&
		grep -qx 'stderr_error=0' "$T/$host-in.sum" ||
		e2e_fail "telex-libvirt on $host: $(tr '\n' ' ' <"$T/$host-in.sum")"
	# outputs.execd: Telegraf's batches of metric_batch_size.
	"$H" --quiet --output "$T/$host.lp" --batch-size 1000 \
		--summary "$T/$host-out.sum" --stderr "$T/$host-out.log" \
		-- "$TELEX_BIN/telex-kafka-output" -config "$T/kafka-output.conf" ||
		e2e_fail "harness could not run telex-kafka-output"
	grep -qx 'exit_code=0' "$T/$host-out.sum" &&
		grep -qx 'shutdown=stdin' "$T/$host-out.sum" &&
		grep -qx 'stdout_lines=0' "$T/$host-out.sum" &&
		grep -qx 'stderr_error=0' "$T/$host-out.sum" ||
		e2e_fail "telex-kafka-output on $host: $(tr '\n' ' ' <"$T/$host-out.sum")"
	n=$(wc -l <"$T/$host.lp")
	grep -qx "fed_metrics=$n" "$T/$host-out.sum" ||
		e2e_fail "$host: $n metrics emitted, $(grep fed_metrics "$T/$host-out.sum") fed"
	e2e_note "$host ($dc/$rack): $GATHERS gathers, $n metrics produced"
done
cat "$T"/hv-*.lp >"$T/emitted.lp"
emitted=$(wc -l <"$T/emitted.lp")
[ "$(awk '{print $NF}' "$T/emitted.lp" | sort -u | wc -l)" -eq $((2 * GATHERS)) ] ||
	e2e_fail "expected one timestamp per gather"

# --- the consumers deliver everything --------------------------------------
# and report their lag: the lag field appears once the group has committed
# (auto-commit, every 5 s) and a statistics interval has passed.
LAG_RE='^kafka_consumer_lag,.* \(.*,\)\?lag=[0-9]*i'
got=0
for i in $(seq $((E2E_TIMEOUT * 10))); do
	got=$(cat "$T"/core-*.out | grep -v '^kafka_consumer_lag' | sort -u | wc -l)
	[ "$got" -ge "$emitted" ] && grep -q "$LAG_RE" "$T"/core-*.out && break
	sleep 0.1
done
[ "$got" -ge "$emitted" ] || e2e_fail "consumers printed $got of $emitted metrics"
grep -q "$LAG_RE" "$T"/core-*.out ||
	e2e_fail "no kafka_consumer_lag metric with a lag field (lag_interval set)"
for c in core-a core-b; do
	e2e_eof "$c"
	[ "$E2E_RC" = 0 ] || e2e_fail "$c exited $E2E_RC"
	grep -q '^E! ' "$T/$c.log" && e2e_fail "$c logged errors"
done
# The consumers add the topic and the Kafka cluster (topic_tag, tags).
grep -hv '^kafka_consumer_lag' "$T"/core-*.out >"$T/consumed.tagged"
[ "$(grep ',kafka_cluster=par1[, ]' "$T/consumed.tagged" | grep -c ',topic=vm-metrics[, ]')" = \
	"$(wc -l <"$T/consumed.tagged")" ] || e2e_fail "consumed lines without kafka_cluster and topic tags"
sed -e 's/,kafka_cluster=par1//' -e 's/,topic=vm-metrics//' "$T/consumed.tagged" >"$T/consumed.lp"
diff <(sort -u "$T/consumed.lp") <(sort "$T/emitted.lp") >"$T/diff" ||
	e2e_fail "consumed lines differ from emitted ones: $(head -c 600 "$T/diff")"
dups=$(($(wc -l <"$T/consumed.lp") - emitted))
e2e_note "consumers: $emitted metrics byte for byte, $dups duplicates (core-a $(wc -l <"$T/core-a.out") lines, core-b $(wc -l <"$T/core-b.out"))"

# --- the core Telegraf: processors.rename, then its influxdb output --------
# examples/core/telegraf.conf renames the field "time" of libvirt_cpu and
# libvirt_vcpu to cpu_time: InfluxDB 1.x drops a field of that name
# without an error. The sed below is that processor (in these lines the
# first " time=" or ",time=" after the tags is the field).
grep -q 'field = "time"' "$EX/core/telegraf.conf" &&
	grep -q 'dest = "cpu_time"' "$EX/core/telegraf.conf" ||
	e2e_fail "examples/core/telegraf.conf no longer renames time to cpu_time"
for c in core-a core-b; do
	sed '/^libvirt_v\?cpu,/ s/\([ ,]\)time=\(-\?[0-9]*i\)/\1cpu_time=\2/' \
		"$T/$c.out" >"$T/$c.renamed"
	b=$(influx_post_batches "$LB_URL" "$T/$c.renamed" 1000)
	e2e_note "$c: $b batches accepted (204)"
done

# --- what InfluxDB holds -----------------------------------------------------
# Points per measurement (the largest count over its fields) equal the
# lines emitted.
for m in $(awk -F'[, ]' '{print $1}' "$T/emitted.lp" | sort -u); do
	want=$(grep -c "^$m," "$T/emitted.lp")
	have=$(influx_query "$LB_URL" "SELECT count(*) FROM \"$m\"" |
		jq '[.results[0].series[0].values[0][1:][] | numbers] | max')
	[ "$have" = "$want" ] || e2e_fail "$m: $have points in InfluxDB, $want emitted"
done
# Tags intact: every (host, dc, rack, domain_name) of libvirt_state has one
# point per gather.
series=$(influx_query "$LB_URL" 'SELECT count("state") FROM "libvirt_state" GROUP BY "host", "dc", "rack", "domain_name"' |
	jq -r '.results[0].series[] | "\(.tags.host) \(.tags.dc) \(.tags.rack) \(.tags.domain_name) \(.values[0][1])"' | sort)
want=$(for spec in "hv-fra2-07 fra2 r03" "hv-par1-01 par1 r12"; do
	for d in $(sed -n 's|.*<name>\(.*\)</name>.*|\1|p' "$DOMAINS"); do
		echo "$spec $d $GATHERS"
	done
done | sort)
[ "$series" = "$want" ] || e2e_fail "libvirt_state series: got
$series
want
$want"
# Every field emitted is stored (cpu_time under its native name, time)...
influx_query "$LB_URL" 'SHOW FIELD KEYS' |
	jq -r '.results[0].series[] | .name as $m | .values[] | "\($m) \(.[0]) \(.[1])"' |
	sed 's/^\(libvirt_v\?cpu\) cpu_time /\1 time /' >"$T/fields"
awk '{
	split($1, mt, ",")
	n = split($2, f, ",")
	for (i = 1; i <= n; i++) {
		split(f[i], kv, "=")
		print mt[1], kv[1]
	}
}' "$T/emitted.lp" | sort -u >"$T/fields.emitted"
missing=$(cut -d' ' -f1,2 "$T/fields" | sort -u | comm -23 "$T/fields.emitted" -)
[ -z "$missing" ] || e2e_fail "fields emitted but not in InfluxDB: $missing"
# ... with the type of the native schema (test/libvirt/schema.txt: i
# integer, s string, f float); the consumer's lag fields are integers.
awk '
	NR == FNR {
		if ($0 ~ /^#/ || NF < 3) next
		split($0, part, "|")
		gsub(/ /, "", part[1])
		n = split(part[4], f, " ")
		for (i = 1; i <= n; i++) {
			split(f[i], kv, ":")
			t = substr(kv[2], 1, 1)
			type[part[1] " " kv[1]] = t == "i" ? "integer" : t == "s" ? "string" : "float"
		}
		next
	}
	$1 == "kafka_consumer_lag" {
		if ($3 != "integer") { print "kafka_consumer_lag " $2 " is " $3; bad = 1 }
		next
	}
	{
		k = $1 " " $2
		if (!(k in type)) { print k " is not in the schema"; bad = 1 }
		else if (type[k] != $3) { print k " is " $3 ", schema says " type[k]; bad = 1 }
		checked++
	}
	END { if (!checked) { print "no fields"; bad = 1 }; exit bad }
' "$TELEX_SRC/test/libvirt/schema.txt" "$T/fields" >"$T/types" ||
	e2e_fail "field types: $(cat "$T/types")"
e2e_note "InfluxDB: per-measurement counts, tags and $(wc -l <"$T/fields") field types as emitted"

# --- every InfluxQL query of the Grafana dashboard and alert rules ---------
# Grafana's macros and variables as Grafana would expand them for this
# test's time range with every value of each variable selected.
grafana_expand() {
	sed -e "s/\$timeFilter/time >= ${T0_MS}ms and time <= now()/g" \
		-e 's/\$__interval/100ms/g' \
		-e 's/\$\(dc\|rack\|host\|domain\)\b/.*/g'
}
yaml2json() {
	python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'
}
{
	jq -r '.. | objects | select(.rawQuery? == true) | .query' \
		"$EX/grafana/dashboards/telex-vms.json"
	jq -r '.templating.list[] | .query' "$EX/grafana/dashboards/telex-vms.json"
	yaml2json <"$EX/grafana/provisioning/alerting/rules.yaml" |
		jq -r '.groups[].rules[].data[] | select(.datasourceUid == "telex-influxdb") | .model.query'
} | tr '\n' '\0' | while IFS= read -r -d '' q; do
	[ -n "$q" ] || continue
	eq=$(printf '%s' "$q" | grafana_expand)
	out=$(influx_query "$LB_URL" "$eq")
	jq -e '[.results[].series[]?.values[]? | .[1:][] | select(. != null)] | length > 0' \
		<<<"$out" >/dev/null || e2e_fail "no data for Grafana query: $eq"
	echo "$q" >>"$T/queries.ok"
done || exit 1
nq=$(wc -l <"$T/queries.ok" 2>/dev/null || echo 0)
[ "$nq" -ge 20 ] || e2e_fail "only $nq Grafana queries found"
e2e_note "Grafana: $nq InfluxQL queries return data"
echo "ok"
