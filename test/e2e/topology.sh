# topology.sh: bash helpers for the tests of the reference deployment
# (examples/): Kafka clusters behind TLS, the influxdb-cluster of 3 meta and
# 2 data nodes, the real Telegraf, network namespaces. Sources lib.sh (its
# EXIT trap stops everything started here and removes $E2E_TMP); every
# example file goes through ex_subst: addresses, ports and paths replaced,
# nothing else edited.
#
#   . "$TELEX_SRC/test/e2e/topology.sh"
#   topo_need_netns                       # skip (77) unless root can make namespaces
#   kafka_tls_start par1 3 vm-metrics:6   # KAFKA_BOOT[par1]: TLS brokers
#   ic_start                              # IC_DATA_URL[1..2], IC_META_URL[1..3]
#   telegraf_start core CONF [DIR]        # the real Telegraf
. "$TELEX_SRC/test/e2e/lib.sh"

EX=$TELEX_SRC/examples
# The real peers (/work/shared/bin, CI's copy of shared/ beside the clone).
SHARED_BIN=${TELEX_SHARED_BIN:-$TELEX_SRC/../shared/bin}
IC_BIN=$SHARED_BIN/influxdb-cluster
TOPO_NETNS=()
declare -A KAFKA_BOOT KAFKA_FD IC_PID IC_META_URL IC_DATA_URL IC_DATA_TCP IC_DATA_ID
mk_at_exit topo_cleanup

# Skip (77) unless the real Telegraf and influxdb-cluster are there.
topo_need_peers() {
	[ -x "$SHARED_BIN/telegraf" ] || {
		echo "skip: no Telegraf in $SHARED_BIN"
		exit 77
	}
	local b
	for b in influxd-meta influxd influxd-ctl; do
		[ -x "$IC_BIN/$b" ] || {
			echo "skip: no influxdb-cluster $b in $IC_BIN"
			exit 77
		}
	done
}

# Skip (77) unless this user can make network namespaces (root; CI is).
topo_need_netns() {
	mk_need ip
	if [ "$(id -u)" != 0 ]; then
		echo "skip: network namespaces need root"
		exit 77
	fi
	if ! ip netns add "telex-probe-$$" 2>/dev/null; then
		echo "skip: cannot create a network namespace"
		exit 77
	fi
	ip netns del "telex-probe-$$"
}

# topo_netns NAME: a new network namespace with its loopback up, deleted
# at exit.
topo_netns() {
	ip netns add "$1" || e2e_fail "ip netns add $1"
	TOPO_NETNS+=("$1")
	ip -n "$1" link set lo up || e2e_fail "no loopback in $1"
}

# At exit, after e2e_stop_all: the mock clusters' stdin closed, then the
# namespaces deleted (their processes are gone by then).
topo_cleanup() {
	local n
	for n in "${KAFKA_FD[@]}"; do
		eval "exec $n>&-" 2>/dev/null
	done
	for n in "${TOPO_NETNS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
}

# kafka_tls_start NAME BROKERS TOPIC:PARTITIONS...: a Kafka cluster that
# speaks TLS on its client port, as examples/kafka/ configures it:
# telex-mock-kafka runs in a network namespace of its own, and each of its
# brokers is reached through an HAProxy that ends TLS (the test's CA) at
# the same address in ours, so the addresses the brokers advertise work.
# (The mock speaks neither TLS nor SASL itself.) Sets KAFKA_BOOT[NAME].
kafka_tls_start() {
	local name=$1 brokers=$2 ns=telex-k$1-$$ dir=$E2E_TMP/kafka-$1 t fd boot
	local args=() i=0 a
	shift 2
	for t; do args+=(--topic "$t"); done
	mkdir -p "$dir"
	mkfifo "$dir/in" "$dir/out"
	topo_netns "$ns"
	tls_cert kafka
	(
		for fd in "${KAFKA_FD[@]}" "${E2E_IN[@]}"; do
			eval "exec $fd>&-"
		done
		exec ip netns exec "$ns" "$TELEX_BIN/telex-mock-kafka" \
			--brokers "$brokers" "${args[@]}" <"$dir/in" >"$dir/out" \
			2>"$dir/mock.log"
	) &
	E2E_PIDS+=("$!")
	exec {fd}>"$dir/in"
	KAFKA_FD[$name]=$fd
	exec {t}<"$dir/out"
	read -r -t "$E2E_TIMEOUT" -u "$t" boot ||
		e2e_fail "telex-mock-kafka ($name) did not start: $(cat "$dir/mock.log")"
	exec {t}<&-
	{
		printf 'global\n\tmaxconn 2000\ndefaults\n\tmode tcp\n'
		printf '\ttimeout connect 3s\n\ttimeout client 1h\n\ttimeout server 1h\n'
		for a in ${boot//,/ }; do
			i=$((i + 1))
			printf 'listen broker%d\n\tbind %s ssl crt %s\n\tserver b %s namespace %s\n' \
				$i "$a" "$TLS/kafka.full.pem" "$a" "$ns"
		done
	} >"$dir/proxy.cfg"
	e2e_bg "$dir/proxy.log" haproxy -db -f "$dir/proxy.cfg"
	for a in ${boot//,/ }; do
		for i in $(seq $((E2E_TIMEOUT * 10))); do
			ss -Hltn "sport = :${a##*:}" 2>/dev/null | grep -q . && break
			sleep 0.1
		done
		ss -Hltn "sport = :${a##*:}" | grep -q . ||
			e2e_fail "TLS proxy for $a ($name) not listening: $(cat "$dir/proxy.log")"
	done
	KAFKA_BOOT[$name]=$boot
}

# kafka_count NAME TOPIC: records in TOPIC of cluster NAME, read over TLS.
kafka_count() {
	timeout "$E2E_TIMEOUT" kcat -C -b "${KAFKA_BOOT[$1]}" -t "$2" \
		-X security.protocol=ssl -X ssl.ca.location="$TLS/ca.pem" \
		-o beginning -e -q -f 'x\n' | wc -l
}

# kafka_subst NAME SRC DST [FROM=TO...]: a telex Kafka config of examples/
# for cluster NAME: the three brokers (kafka-N.<anything>example.net:9093)
# replaced by the cluster's, the CA by the test's. The sasl_ lines are the
# only lines dropped: the mock cluster (librdkafka 2.0's) has no SASL;
# test-kafka-configs.sh checks them against the brokers' listeners instead.
kafka_subst() {
	local name=$1 src=$2 dst=$3 i=0 a h subst=()
	shift 3
	for a in ${KAFKA_BOOT[$name]//,/ }; do
		i=$((i + 1))
		h=$(grep -o "kafka-$i\.[a-z0-9.]*example\.net:9093" "$src" | head -n 1)
		[ -n "$h" ] || e2e_fail "${src#$TELEX_SRC/}: no broker kafka-$i"
		subst+=("$h=$a")
	done
	ex_subst "$src" "$dst" -d '^[ \t]*sasl_' \
		"/etc/telex/kafka-ca.pem=$TLS/ca.pem" "${subst[@]}" "$@"
}

# --- influxdb-cluster: 3 meta nodes, 2 data nodes ----------------------------
# The real binaries, from examples/influxdb-cluster/ (meta.conf for each
# meta node, data.conf for each data node, join.sh), on loopback; the
# nodes' API and cluster ports over TLS with a certificate of the test's CA,
# which Go reads from SSL_CERT_FILE (the system trust store in production).

IC_ADMIN=admin:admin-$RANDOM$RANDOM
export INFLUX_USER=telegraf INFLUX_PASSWORD=write-$RANDOM$RANDOM
export INFLUX_READ_USER=grafana INFLUX_READ_PASSWORD=read-$RANDOM$RANDOM

# ic_node_start KIND I: start node I of KIND (meta: 1-3, data: 1-2), on the
# ports it had if any. The examples' KIND.conf with node 1's name made
# localhost and its two ports (meta: raft 8089, API 8091; data: cluster
# TCP 8088, API 8086) made ephemeral on loopback.
ic_node_start() {
	local kind=$1 i=$2 dir=$E2E_TMP/$1$2 bin=influxd peer=8088 api=8086
	[ "$kind" = meta ] && bin=influxd-meta peer=8089 api=8091
	if [ ! -f "$dir/$kind.conf" ]; then
		mkdir -p "$dir"
		local peer_port http
		peer_port=$(e2e_port)
		http=$(e2e_port)
		ex_subst "$EX/influxdb-cluster/$kind.conf" "$dir/$kind.conf" \
			"$kind-1.example.net=localhost" \
			"\":$peer\"=\"127.0.0.1:$peer_port\"" "\":$api\"=\"127.0.0.1:$http\"" \
			"/var/lib/influxdb=$dir" \
			"/etc/influxdb/tls/node.pem=$TLS/node.pem" \
			"/etc/influxdb/tls/node.key=$TLS/node.key"
		if [ "$kind" = meta ]; then
			IC_META_URL[$i]=https://localhost:$http
		else
			IC_DATA_URL[$i]=https://localhost:$http
			IC_DATA_TCP[$i]=localhost:$peer_port
		fi
	fi
	e2e_bg "$dir/$kind.log" env SSL_CERT_FILE="$TLS/ca.pem" \
		"$IC_BIN/$bin" -config "$dir/$kind.conf"
	IC_PID[$kind$i]=$E2E_LAST_PID
}

# ic_stop KIND I: SIGTERM node KIND (meta, data) I and wait for it.
ic_stop() {
	local p=${IC_PID[$1$2]}
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}

# ic_ctl ARG...: influxd-ctl against meta node I=${IC_CTL_META:-1}.
ic_ctl() {
	SSL_CERT_FILE=$TLS/ca.pem "$IC_BIN/influxd-ctl" -bind-tls \
		-bind "${IC_META_URL[${IC_CTL_META:-1}]#https://}" "$@"
}

# ic_start: the five nodes, joined by examples/influxdb-cluster/join.sh
# (which also creates the database, replication 2, and the users); sets
# IC_DATA_ID[1..2] (the data nodes' ids, for node_id queries).
ic_start() {
	local i out
	tls_cert node
	for i in 1 2 3; do ic_node_start meta $i; done
	for i in 1 2; do ic_node_start data $i; done
	for i in 1 2 3; do
		e2e_wait_http "${IC_META_URL[$i]}/ping" 200 ||
			e2e_fail "meta node $i did not answer /ping: $(tail -n 5 "$E2E_TMP/meta$i/meta.log")"
	done
	for i in 1 2; do
		e2e_wait_http "${IC_DATA_URL[$i]}/ping" 204 ||
			e2e_fail "data node $i did not answer /ping: $(tail -n 5 "$E2E_TMP/data$i/data.log")"
	done
	ex_subst "$EX/influxdb-cluster/join.sh" "$E2E_TMP/join.sh" \
		"meta-1.example.net:8091=${IC_META_URL[1]#https://}" \
		"meta-2.example.net:8091=${IC_META_URL[2]#https://}" \
		"meta-3.example.net:8091=${IC_META_URL[3]#https://}" \
		"data-1.example.net:8088=${IC_DATA_TCP[1]}" \
		"data-2.example.net:8088=${IC_DATA_TCP[2]}" \
		"data-1.example.net:8086=${IC_DATA_URL[1]#https://}" \
		"/etc/influxdb/tls/ca.pem=$TLS/ca.pem"
	out=$(PATH=$IC_BIN:$PATH SSL_CERT_FILE=$TLS/ca.pem \
		INFLUX_ADMIN_PASSWORD=${IC_ADMIN#admin:} sh "$E2E_TMP/join.sh" 2>&1) ||
		e2e_fail "join.sh failed: $out"
	printf '%s\n' "$out" >"$E2E_TMP/join.log"
	for i in 1 2; do
		IC_DATA_ID[$i]=$(ic_ctl show | awk -v a="${IC_DATA_TCP[$i]#localhost}" \
			'$1 ~ /^[0-9]+$/ && $2 ~ a"$" { print $1; exit }')
		[ -n "${IC_DATA_ID[$i]}" ] || e2e_fail "no id for data node $i: $(ic_ctl show)"
	done
}

# ic_count URL QUERY [node_id]: the number in the first value of QUERY's
# answer (0 for no series), as the admin; with node_id, only that data
# node's own shards answer.
ic_count() {
	local out
	out=$(curl -s --cacert "$TLS/ca.pem" -u "$IC_ADMIN" -G "$1/query" \
		--data-urlencode "db=telegraf" --data-urlencode "q=$2" \
		${3:+--data-urlencode "node_id=$3"}) || {
		echo -1
		return
	}
	jq -r '.results[0].series[0].values[0][1] // 0' <<<"$out" 2>/dev/null || echo -1
}

# telegraf_start NAME CONF [CONFDIR]: the real Telegraf in the background,
# log in $E2E_TMP/NAME.log. Sets TELEGRAF_PID.
telegraf_start() {
	local name=$1 conf=$2 dir=${3:-}
	e2e_bg "$E2E_TMP/$name.log" "$SHARED_BIN/telegraf" --config "$conf" \
		${dir:+--config-directory "$dir"}
	TELEGRAF_PID=$E2E_LAST_PID
}
