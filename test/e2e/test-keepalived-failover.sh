#!/usr/bin/env bash
# The HAProxy pair of examples/ with keepalived, on Debian's keepalived and
# haproxy, in network namespaces this test makes (root; skipped otherwise):
#
#   lb-1 (10.20.0.2) ── eth0 ┐                  ┌ 10.20.0.1 the client
#                            ├─ br0 (switch) ───┤
#   lb-2 (10.20.0.3) ── eth0 ┘                  └ 10.20.0.21 data-1 (influxd, TLS)
#
# Each lb runs examples/haproxy/haproxy.cfg and its keepalived-lbN.conf as
# shipped (only the certificate paths, the admin socket and the include
# path substituted: the addresses are the examples' own, on links that
# exist only inside these namespaces). Asserts: the virtual IP 10.20.0.10
# is on lb-1; HAProxy's stats page is on lb's loopback only and asks for a
# password; the client writes through the VIP over TLS; killing lb-1's
# haproxy moves the VIP to lb-2 within the time the config sets (2 checks
# 1 s apart, 1 s each, 3 adverts), writes go on and none is lost; lb-1's
# haproxy back takes the VIP back.
set -u
. "$TELEX_SRC/test/e2e/topology.sh"
e2e_need haproxy keepalived influxd curl jq openssl python3
topo_need_netns
T=$E2E_TMP
VIP=10.20.0.10
SW=telex-sw-$$
LB=(x "telex-lb1-$$" "telex-lb2-$$")

# --- the network: a switch namespace, two lb namespaces -------------------------------
topo_netns "$SW"
ip -n "$SW" link add br0 type bridge || e2e_fail "no bridge"
ip -n "$SW" link set br0 up
ip -n "$SW" addr add 10.20.0.1/24 dev br0
ip -n "$SW" addr add 10.20.0.21/24 dev br0
for i in 1 2; do
	topo_netns "${LB[$i]}"
	ip -n "$SW" link add "p$i" type veth peer name eth0 netns "${LB[$i]}" ||
		e2e_fail "no veth pair for lb-$i"
	ip -n "$SW" link set "p$i" master br0 up
	ip -n "${LB[$i]}" addr add "10.20.0.$((i + 1))/24" dev eth0
	ip -n "${LB[$i]}" link set eth0 up
done

# --- data-1: influxd 1.6 over TLS in the switch namespace ---------------------------------
tls_cert data-1 DNS:data-1.example.net IP:10.20.0.21
tls_cert lb DNS:influxdb-lb.example.net IP:$VIP
influx_conf "$T/influxdb" 127.0.0.1:8088 10.20.0.21:8086 data-1
e2e_bg "$T/influxd.log" ip netns exec "$SW" influxd -config "$T/influxdb/influxdb.conf"
# in_sw CMD...: CMD in the switch namespace (the client's side).
in_sw() { ip netns exec "$SW" "$@"; }
# lb_curl ARGS...: curl to the VIP by name, checked against the test's CA.
lb_curl() {
	in_sw curl -s --cacert "$TLS/ca.pem" --resolve "influxdb-lb.example.net:8086:$VIP" \
		--max-time 2 "$@"
}
for i in $(seq 100); do
	[ "$(in_sw curl -s --cacert "$TLS/ca.pem" --resolve data-1.example.net:8086:10.20.0.21 \
		-o /dev/null -w '%{http_code}' https://data-1.example.net:8086/ping)" = 204 ] && break
	sleep 0.2
done
in_sw curl -sf --cacert "$TLS/ca.pem" --resolve data-1.example.net:8086:10.20.0.21 \
	https://data-1.example.net:8086/query --data-urlencode "q=CREATE DATABASE telegraf" >/dev/null ||
	e2e_fail "influxd on data-1 did not start: $(tail -n 5 "$T/influxd.log")"

# --- HAProxy and keepalived on each lb, from the examples --------------------------------
ex_subst "$EX/keepalived/vrrp-auth.conf" "$T/vrrp-auth.conf"
declare -A HAP
hap_start() { # I
	e2e_bg "$T/haproxy-$1.log" ip netns exec "${LB[$1]}" haproxy -db -f "$T/haproxy-$1.cfg"
	HAP[$1]=$E2E_LAST_PID
}
for i in 1 2; do
	ex_subst "$EX/haproxy/haproxy.cfg" "$T/haproxy-$i.cfg" \
		-k '^10\.20\.0\.2[12]$' -k '^data-[12]\.example\.net$' \
		"/etc/haproxy/tls/influxdb-lb.pem=$TLS/lb.full.pem" \
		"/etc/haproxy/tls/ca.pem=$TLS/ca.pem" \
		"/run/haproxy/admin.sock=$T/haproxy-$i.sock"
	haproxy -c -q -f "$T/haproxy-$i.cfg" || e2e_fail "haproxy -c (lb-$i)"
	ex_subst "$EX/keepalived/keepalived-lb$i.conf" "$T/keepalived-$i.conf" \
		-k '^10\.20\.0\.([23]|10)$' \
		"/etc/keepalived/vrrp-auth.conf=$T/vrrp-auth.conf"
	keepalived -t -f "$T/keepalived-$i.conf" >"$T/keepalived-t-$i.log" 2>&1 ||
		e2e_fail "keepalived -t (lb-$i): $(cat "$T/keepalived-t-$i.log")"
	hap_start "$i"
	e2e_bg "$T/keepalived-$i.log" ip netns exec "${LB[$i]}" keepalived -n -l -P \
		-f "$T/keepalived-$i.conf" -p "$T/keepalived-$i.pid" \
		-r "$T/keepalived-vrrp-$i.pid" -c "$T/keepalived-chk-$i.pid"
done

has_vip() { ip -n "${LB[$1]}" -4 addr show dev eth0 | grep -q "inet $VIP/"; }
# vip_on I SECONDS: until the VIP is on lb-I and only there; prints the
# time it took in ms.
vip_on() {
	local t0 i o=$((3 - $1))
	t0=$(date +%s%3N)
	for i in $(seq $(($2 * 20))); do
		if has_vip "$1" && ! has_vip "$o"; then
			echo $(($(date +%s%3N) - t0))
			return 0
		fi
		sleep 0.05
	done
	return 1
}
vip_on 1 30 >/dev/null || e2e_fail "the VIP is not on lb-1 (lb-1: $(tail -n 3 "$T/keepalived-1.log"))"
e2e_note "VIP $VIP on lb-1"

# --- the stats page: loopback only, with a password --------------------------------------
code() { "$@" -o /dev/null -w '%{http_code}' 2>/dev/null; }
[ "$(code ip netns exec "${LB[2]}" curl -s http://127.0.0.1:8404/stats)" = 401 ] ||
	e2e_fail "lb-2's stats page answers without a password"
[ "$(code ip netns exec "${LB[2]}" curl -s -u "admin:$HAPROXY_STATS_PASSWORD" http://127.0.0.1:8404/stats)" = 200 ] ||
	e2e_fail "lb-2's stats page refuses its password"
[ "$(code in_sw curl -s --max-time 2 http://10.20.0.3:8404/stats)" = 000 ] ||
	e2e_fail "lb-2's stats page is reachable from the network"
[ "$(code lb_curl https://influxdb-lb.example.net:8086/ping)" = 204 ] ||
	e2e_fail "no /ping through the VIP"

# --- writes through the VIP while lb-1's haproxy dies --------------------------------------
# As Telegraf's output: a write that fails is sent again until it is
# accepted. One point a write; the longest time without an accepted write
# is the outage a client sees.
: >"$T/writes"
writer() {
	local i=0 ts
	while [ ! -e "$T/stop-writing" ]; do
		i=$((i + 1))
		ts=$(date +%s%N)
		until [ "$(code lb_curl -X POST --data-binary "vip_write,lb=x seq=${i}i $ts" \
			"https://influxdb-lb.example.net:8086/write?db=telegraf")" = 204 ]; do
			echo "fail $(date +%s%3N)" >>"$T/writes"
			sleep 0.1
		done
		echo "ok $(date +%s%3N) $i" >>"$T/writes"
		sleep 0.1
	done
}
# oks: the writes accepted so far; wait_oks N: until N are, for 10 s at
# the most (returns 1 if not).
oks() { grep -c '^ok' "$T/writes"; }
wait_oks() {
	local i
	for i in $(seq 100); do
		[ "$(oks)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
writer &
WRITER=$!
E2E_PIDS+=("$WRITER")
wait_oks 5
# The time the config allows: fall checks, interval apart, each allowed
# timeout, then up to 3 advertisements.
cfg=$EX/keepalived/keepalived-lb1.conf
kv() { awk -v k="$1" '$1 == k { print $2; exit }' "$cfg"; }
allowed=$(($(kv fall) * ($(kv interval) + $(kv timeout)) + 3 * $(kv advert_int)))
kill -9 "${HAP[1]}"
wait "${HAP[1]}" 2>/dev/null
took=$(vip_on 2 $((allowed + 10))) ||
	e2e_fail "the VIP did not move to lb-2 (lb-2: $(tail -n 3 "$T/keepalived-2.log"))"
[ "$took" -le $((allowed * 1000 + 3000)) ] ||
	e2e_fail "the VIP took $took ms to move, the config allows $allowed s"
e2e_note "lb-1's haproxy killed: the VIP on lb-2 after $took ms (config: within $allowed s)"
wait_oks $(($(oks) + 10)) || e2e_fail "writes through the VIP stopped on lb-2"

# lb-1's haproxy back: lb-1 takes the VIP back (its priority is higher).
hap_start 1
back=$(vip_on 1 $((allowed + 10))) || e2e_fail "the VIP did not go back to lb-1"
e2e_note "lb-1's haproxy back: the VIP on lb-1 after $back ms"
wait_oks $(($(oks) + 5))
touch "$T/stop-writing"
wait "$WRITER"

# --- every write is in InfluxDB; the longest gap -------------------------------------------
ok=$(oks)
fails=$(grep -c '^fail' "$T/writes")
gap=$(awk '$1 == "ok" { if (p) { d = $2 - p; if (d > m) m = d } p = $2 } END { print m + 0 }' "$T/writes")
have=$(lb_curl -G https://influxdb-lb.example.net:8086/query --data-urlencode db=telegraf \
	--data-urlencode 'q=SELECT count(seq) FROM vip_write' | jq -r '.results[0].series[0].values[0][1]')
[ "$have" = "$ok" ] || e2e_fail "$ok writes accepted, $have points in InfluxDB"
[ "$gap" -le $((allowed * 1000 + 3000)) ] ||
	e2e_fail "writes stopped for $gap ms, the config allows $allowed s"
e2e_note "$ok writes through the VIP, all in InfluxDB; $fails refused and sent again; longest gap $gap ms"
echo ok
