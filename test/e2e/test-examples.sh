#!/usr/bin/env bash
# Keeps examples/ honest without the whole pipeline (test-e2e-pipeline.sh
# runs that on the same files):
#  - every TOML file parses; the telegraf.conf execd entries are the ones of
#    spec/execd.md and name configs that exist in examples/;
#  - each telex config loads in its program and runs (libvirt on the test
#    driver, the Kafka ones against telex-mock-kafka), and a wrong key in a
#    copy of it is refused with exit 2 (so the check can fail);
#  - secrets are environment references, never literal;
#  - haproxy.cfg passes haproxy -c, the keepalived configs keepalived -t
#    (certificate and include paths substituted), and no example has
#    insecure_skip_verify or a plain-http InfluxDB URL;
#  - Grafana provisioning parses and hangs together (datasource uid,
#    dashboard and panel ids, rule conditions, contact point).
set -u
. "$TELEX_SRC/test/e2e/lib.sh"
e2e_need haproxy keepalived jq python3 openssl
EX=$TELEX_SRC/examples
T=$E2E_TMP
export KAFKA_USER=telex KAFKA_PASSWORD=not-a-secret

yaml2json() {
	python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)' <"$1" ||
		e2e_fail "$1 is not YAML"
}

# --- TOML -----------------------------------------------------------------
for f in "$EX"/*/telegraf.conf "$EX"/*/telex/*.conf "$EX"/multi-dc/core/telegraf.d/*.conf \
	"$EX"/multi-dc/*/telex/*.conf "$EX"/multi-dc/mirrormaker2/*.conf; do
	python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$f" ||
		e2e_fail "$f is not valid TOML"
done

# execd entries: program, config path, signal as spec/execd.md has them.
# execd_entries FILE: "inputs|outputs PROGRAM CONFIG SIGNAL" per entry.
execd_entries() {
	python3 - "$1" <<-'EOF'
		import sys, tomllib
		c = tomllib.load(open(sys.argv[1], "rb"))
		for kind in ("inputs", "outputs"):
		    for e in c.get(kind, {}).get("execd", []):
		        cmd = e["command"]
		        cfg = cmd[cmd.index("-config") + 1] if "-config" in cmd else "-"
		        print(kind, cmd[0], cfg, e.get("signal", "-"), e.get("data_format", "influx"))
	EOF
}
execd_entries "$EX/hypervisor/telegraf.conf" >"$T/hv.execd"
execd_entries "$EX/core/telegraf.conf" >"$T/core.execd"
execd_entries "$EX/multi-dc/core/telegraf.d/kafka-fra2.conf" >"$T/fra2.execd"
[ "$(cat "$T/fra2.execd")" = "inputs /usr/bin/telex-kafka-consumer /etc/telex/kafka-consumer-fra2.conf none influx" ] &&
	[ -f "$EX/multi-dc/core/telex/kafka-consumer-fra2.conf" ] ||
	e2e_fail "multi-dc execd entry: $(cat "$T/fra2.execd")"
want_hv="inputs /usr/bin/telex-libvirt /etc/telex/libvirt.conf STDIN influx
outputs /usr/bin/telex-kafka-output /etc/telex/kafka-output.conf - influx"
want_core="inputs /usr/bin/telex-kafka-consumer /etc/telex/kafka-consumer.conf none influx
outputs /usr/bin/telex-kafka-consumer /etc/telex/kafka-consumer.conf - influx"
[ "$(cat "$T/hv.execd")" = "$want_hv" ] ||
	e2e_fail "hypervisor execd entries: $(cat "$T/hv.execd")"
[ "$(cat "$T/core.execd")" = "$want_core" ] ||
	e2e_fail "core execd entries: $(cat "$T/core.execd")"
for side in hypervisor:hv core:core; do
	while read -r _ prog cfg _; do
		[ -f "$EX/${side%:*}/telex/${cfg#/etc/telex/}" ] ||
			e2e_fail "${side%:*}: $cfg is not in examples/${side%:*}/telex/"
		[ -x "$TELEX_BIN/${prog#/usr/bin/}" ] ||
			e2e_fail "${side%:*}: ${prog#/usr/bin/} is not a telex program"
	done <"$T/${side#*:}.execd"
done
python3 - "$EX/hypervisor/telegraf.conf" <<-'EOF' || e2e_fail "hypervisor global_tags"
	import sys, tomllib
	t = tomllib.load(open(sys.argv[1], "rb"))["global_tags"]
	sys.exit(0 if {"dc", "rack"} <= set(t) else 1)
EOF

# --- secrets only from the environment ---------------------------------------
if grep -nE '^[^#]*(password|sasl_access_token|tls_key_pwd|webhook|url: https?://discord)[^=:]*[=:] *[^ ]' \
	"$EX"/*/telegraf.conf "$EX"/*/telex/*.conf "$EX"/multi-dc/*/telex/*.conf \
	"$EX"/grafana/provisioning/*/*.yaml |
	grep -v '\${[A-Z_]*}' >"$T/secrets"; then
	e2e_fail "literal secrets: $(cat "$T/secrets")"
fi
grep -q 'url: ${DISCORD_WEBHOOK_URL}' "$EX/grafana/provisioning/alerting/contact-points.yaml" ||
	e2e_fail "the Discord webhook is not \${DISCORD_WEBHOOK_URL}"

# --- each telex config runs in its program -----------------------------------
# A config that the program refuses exits 2; append a wrong key to a copy
# and expect exactly that, so that a silent acceptance cannot pass.
expect_refused() { # PROGRAM CONFIG [ARG...]
	local rc prog=$1 conf=$2
	shift 2
	# Right under the plugin's [[...]] header: the table's options, before
	# any sub-table (tags) the example ends with.
	awk '{ print } !done && /^\[\[/ { print "  no_such_option_in_examples = 1"; done = 1 }' \
		"$conf" >"$T/bad.conf"
	"$TELEX_BIN/$prog" -config "$T/bad.conf" "$@" </dev/null >/dev/null 2>"$T/bad.log"
	rc=$?
	[ $rc = 2 ] && grep -q no_such_option_in_examples "$T/bad.log" ||
		e2e_fail "$prog accepted an unknown key (exit $rc): $(cat "$T/bad.log")"
}

# telex-libvirt: the example, on the test driver instead of qemu:///system.
sed 's|^\([ \t]*libvirt_uri[ \t]*=\).*|\1 "test:///default"|' \
	"$EX/hypervisor/telex/libvirt.conf" >"$T/libvirt.conf"
grep -q '"test:///default"' "$T/libvirt.conf" || e2e_fail "no libvirt_uri in libvirt.conf"
"$TELEX_BIN/telex-libvirt" -config "$T/libvirt.conf" --once \
	>"$T/libvirt.out" 2>"$T/libvirt.log" </dev/null ||
	e2e_fail "telex-libvirt -config examples/hypervisor/telex/libvirt.conf --once failed"
grep -q '^libvirt_state,domain_name=test ' "$T/libvirt.out" ||
	e2e_fail "telex-libvirt printed no libvirt_state"
grep -q '^telex_libvirt ' "$T/libvirt.out" ||
	e2e_fail "gather_stats is on in the example, but no telex_libvirt"
grep -q '^E! ' "$T/libvirt.log" && e2e_fail "telex-libvirt logged errors"
expect_refused telex-libvirt "$T/libvirt.conf" --once

# telex-kafka-output: the example as it is (TLS, SASL from the environment)
# with nothing to send exits 0; rewritten for the mock cluster it delivers.
# (The CA file must exist: the test's stands in for the cluster's.)
tls_init
ex_subst "$EX/hypervisor/telex/kafka-output.conf" "$T/kafka-output-as-is.conf" -k . \
	"/etc/telex/kafka-ca.pem=$TLS/ca.pem" \
	"/var/lib/telex/kafka-output=$T/spool-as-is"
"$TELEX_BIN/telex-kafka-output" -config "$T/kafka-output-as-is.conf" \
	</dev/null >"$T/out0.out" 2>"$T/out0.log" ||
	e2e_fail "telex-kafka-output refused examples/hypervisor/telex/kafka-output.conf: $(cat "$T/out0.log")"
grep -q '^E! ' "$T/out0.log" && e2e_fail "telex-kafka-output logged errors: $(cat "$T/out0.log")"
expect_refused telex-kafka-output "$EX/hypervisor/telex/kafka-output.conf"

mk_start --brokers 3 --topic vm-metrics:3
e2e_kafka_conf "$EX/hypervisor/telex/kafka-output.conf" "$T/kafka-output.conf"
"$TELEX_BIN/telex-kafka-output" -config "$T/kafka-output.conf" \
	<"$T/libvirt.out" >/dev/null 2>"$T/out1.log" ||
	e2e_fail "telex-kafka-output (example on the mock cluster) failed: $(cat "$T/out1.log")"
n=$(wc -l <"$T/libvirt.out")
[ "$(mk_wait_count vm-metrics "$n")" = "$n" ] || e2e_fail "not $n records in vm-metrics"

# telex-kafka-consumer: the example on the mock cluster reads them back and
# ends on stdin EOF.
e2e_kafka_conf "$EX/core/telex/kafka-consumer.conf" "$T/kafka-consumer.conf"
expect_refused telex-kafka-consumer "$T/kafka-consumer.conf"
e2e_service consumer "$TELEX_BIN/telex-kafka-consumer" -config "$T/kafka-consumer.conf"
for i in $(seq $((E2E_TIMEOUT * 10))); do
	[ "$(grep -c '^libvirt_' "$T/consumer.out")" -ge "$((n - 1))" ] && break
	sleep 0.1
done
e2e_eof consumer
[ "$E2E_RC" = 0 ] || e2e_fail "telex-kafka-consumer exited $E2E_RC"
# The consumer adds the topic and the cluster it read (topic_tag, tags).
grep -v '^kafka_consumer_lag' "$T/consumer.out" >"$T/consumed"
[ "$(grep ',kafka_cluster=par1[, ]' "$T/consumed" | grep -c ',topic=vm-metrics[, ]')" = "$(wc -l <"$T/consumed")" ] ||
	e2e_fail "consumed lines without kafka_cluster=par1 and topic=vm-metrics: $(head -n 2 "$T/consumed")"
diff <(sed -e 's/,kafka_cluster=par1//' -e 's/,topic=vm-metrics//' "$T/consumed" | sort) \
	<(sort "$T/libvirt.out") >/dev/null ||
	e2e_fail "the consumer did not read back what the output produced"
grep -q '^E! ' "$T/consumer.log" && e2e_fail "telex-kafka-consumer logged errors"

# --- HAProxy, keepalived, TLS --------------------------------------------------------
# As shipped but for the certificate files, which must exist for the checks.
tls_cert lb DNS:influxdb-lb.example.net
ex_subst "$EX/haproxy/haproxy.cfg" "$T/haproxy.cfg" -k . \
	"/etc/haproxy/tls/influxdb-lb.pem=$TLS/lb.full.pem" "/etc/haproxy/tls/ca.pem=$TLS/ca.pem"
haproxy -c -q -f "$T/haproxy.cfg" || e2e_fail "haproxy -c examples/haproxy/haproxy.cfg"
grep -q 'http-check send meth GET uri /ping' "$EX/haproxy/haproxy.cfg" &&
	grep -q 'http-check expect status 204' "$EX/haproxy/haproxy.cfg" ||
	e2e_fail "haproxy.cfg does not check /ping for 204"
# The stats page: on loopback, behind a password.
awk '/^listen stats/ { s = 1; next } /^[a-z]/ { s = 0 } s && $1 == "bind" && $2 !~ /^127\.0\.0\.1:/ { exit 1 }' \
	"$EX/haproxy/haproxy.cfg" && grep -q '^[[:space:]]*stats auth ' "$EX/haproxy/haproxy.cfg" ||
	e2e_fail "haproxy.cfg: the stats page is open"
# TLS to the data nodes, checked.
grep -q '^[[:space:]]*default-server .* ssl verify required ca-file ' "$EX/haproxy/haproxy.cfg" ||
	e2e_fail "haproxy.cfg: the data nodes are not reached over verified TLS"
for i in 1 2; do
	ex_subst "$EX/keepalived/keepalived-lb$i.conf" "$T/keepalived-$i.conf" -k . \
		"/etc/keepalived/vrrp-auth.conf=$EX/keepalived/vrrp-auth.conf"
	keepalived -t -f "$T/keepalived-$i.conf" >"$T/keepalived-t.log" 2>&1 ||
		e2e_fail "keepalived -t examples/keepalived/keepalived-lb$i.conf: $(cat "$T/keepalived-t.log")"
	{ echo "vrrp_instance x {"; echo "    advert_intx 1"; echo "}"; } >"$T/bad-keepalived.conf"
done
keepalived -t -f "$T/bad-keepalived.conf" >/dev/null 2>&1 &&
	e2e_fail "keepalived -t accepts an unknown keyword: the check cannot fail"
# No example turns certificate checks off or talks to InfluxDB in clear.
# (Configuration files only: the READMEs may name the option.)
if grep -rn --exclude='*.md' 'insecure_skip_verify\|insecure-tls *= *true\|tlsSkipVerify\|http://[a-z0-9.-]*:8086' \
	"$EX" >"$T/insecure"; then
	e2e_fail "insecure TLS or plain HTTP in examples/: $(cat "$T/insecure")"
fi

# --- Grafana provisioning ----------------------------------------------------------
G=$EX/grafana
dash=$G/dashboards/telex-vms.json
jq empty "$dash" || e2e_fail "$dash is not JSON"
yaml2json "$G/provisioning/datasources/influxdb.yaml" >"$T/ds.json"
yaml2json "$G/provisioning/dashboards/telex.yaml" >"$T/provider.json"
yaml2json "$G/provisioning/alerting/rules.yaml" >"$T/rules.json"
yaml2json "$G/provisioning/alerting/contact-points.yaml" >"$T/cp.json"
yaml2json "$G/provisioning/alerting/policies.yaml" >"$T/pol.json"
for f in ds provider rules cp pol; do
	[ "$(jq .apiVersion "$T/$f.json")" = 1 ] || e2e_fail "$f: apiVersion is not 1"
done
ds_uid=$(jq -r '.datasources[0].uid' "$T/ds.json")
[ "$(jq -r '.datasources[0].type' "$T/ds.json")" = influxdb ] || e2e_fail "datasource type"
[ "$(jq -r '.datasources[0].jsonData.dbName' "$T/ds.json")" = telegraf ] &&
	grep -q 'database = "telegraf"' "$EX/core/telegraf.conf" ||
	e2e_fail "the datasource does not read the database Telegraf writes"
# Every panel and target of the dashboard uses that datasource.
bad=$(jq -r --arg u "$ds_uid" '[.. | objects | select(has("datasource")) | .datasource |
	select(type == "object" and .type != "grafana" and .uid != $u)] | length' "$dash")
[ "$bad" = 0 ] || e2e_fail "$bad dashboard datasources are not $ds_uid"
[ "$(jq '[.panels[] | select(.type != "row") | .targets | length] | min' "$dash")" -ge 1 ] ||
	e2e_fail "a panel without a query"
dash_uid=$(jq -r .uid "$dash")
# Rules: known datasources, a condition among their refIds, links to
# existing panels.
jq -r --arg u "$ds_uid" --arg d "$dash_uid" --slurpfile dash "$dash" '
	.groups[].rules[] |
	(.title) as $t | ([.data[].refId]) as $refs | (.panelId) as $p |
	(if (.condition | IN($refs[])) then empty else "\($t): condition \(.condition) is not a query" end),
	(.data[] | select(.datasourceUid != $u and .datasourceUid != "__expr__") |
		"\($t): datasource \(.datasourceUid)"),
	(if .dashboardUid == null then empty
	 elif .dashboardUid != $d then "\($t): dashboard \(.dashboardUid)"
	 elif ([$dash[0].panels[].id] | index($p)) == null then "\($t): no panel \($p)"
	 else empty end)
' "$T/rules.json" >"$T/rules.bad" || e2e_fail "jq could not check the rules"
[ ! -s "$T/rules.bad" ] || e2e_fail "alert rules: $(cat "$T/rules.bad")"
[ "$(jq '[.groups[].rules[]] | length' "$T/rules.json")" -ge 3 ] || e2e_fail "fewer than 3 alert rules"
# Notifications: the policy's receiver is the Discord contact point.
[ "$(jq -r '.contactPoints[0].receivers[0].type' "$T/cp.json")" = discord ] ||
	e2e_fail "the contact point is not Discord"
[ "$(jq -r '.policies[0].receiver' "$T/pol.json")" = "$(jq -r '.contactPoints[0].name' "$T/cp.json")" ] ||
	e2e_fail "the notification policy does not send to the contact point"
echo ok
