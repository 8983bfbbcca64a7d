# lib.sh: bash helpers for the end-to-end tests (sourced by scripts that
# test/run-tests runs, TELEX_BIN and TELEX_SRC set). It brings up the
# pieces of the core that are not telex, on ephemeral loopback ports with
# temporary directories: a throw-away CA (openssl), Debian's influxd 1.6
# over TLS, and HAProxy configured from examples/haproxy/haproxy.cfg with
# ex-subst (addresses and paths substituted, nothing else edited). Kafka
# comes from test/mock_kafka/lib.sh,
# which this file sources: its EXIT trap also stops everything started
# here (e2e_bg registers each process), and removes $E2E_TMP.
#
#   . "$TELEX_SRC/test/e2e/lib.sh"
#   e2e_need influxd haproxy curl jq openssl
#   influx_start                 # sets INFLUX_URL (direct, https)
#   haproxy_start "$INFLUX_URL"  # sets LB_URL (through HAProxy, https)
#   influx_write "$LB_URL" FILE  # POST /write, fails the test unless 204
#   influx_query "$LB_URL" 'SELECT ...'   # JSON on stdout

. "$TELEX_SRC/test/mock_kafka/lib.sh"

E2E_TMP=$MK_TMP/e2e
mkdir -p "$E2E_TMP"
E2E_DB=telegraf
E2E_PIDS=()
E2E_TIMEOUT=${E2E_TIMEOUT:-30}
# The throw-away CA and certificates (tls_init), and the password of
# HAProxy's stats page (examples/haproxy/haproxy.cfg reads it).
TLS=$E2E_TMP/tls
export HAPROXY_STATS_PASSWORD=stats-$RANDOM$RANDOM
# InfluxDB reads INFLUXDB_* as config overrides: none from outside.
for v in $(env | sed -n 's/^\(INFLUXDB_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

# A signal ends the test through its EXIT trap, which cleans up.
trap 'exit 143' TERM
trap 'exit 130' INT
mk_at_exit e2e_stop_all

e2e_fail() {
	echo "FAIL: $*" >&2
	local f
	for f in "$E2E_TMP"/*.log; do
		[ -s "$f" ] || continue
		echo "--- tail of $f" >&2
		tail -n 8 "$f" >&2
	done
	# E2E_DEBUG=SECONDS: keep everything up that long to look around.
	if [ -n "${E2E_DEBUG:-}" ]; then
		echo "debug: $E2E_TMP, influxdb ${LB_URL:-}" >&2
		sleep "$E2E_DEBUG"
	fi
	exit 1
}

e2e_note() { echo "e2e: $*"; }

# Skip (77) unless every named command is installed.
e2e_need() {
	mk_need "$@"
}

# ex_subst SRC DST [-d REGEX]... [-k REGEX]... FROM=TO...: an examples/ file
# with its addresses (and paths) substituted, nothing else (test/e2e/ex-subst).
ex_subst() {
	"$TELEX_SRC/test/e2e/ex-subst" "$@" || e2e_fail "ex-subst ${1#$TELEX_SRC/}"
}

# tls_init: a throw-away CA in $TLS (ca.pem, ca.key), made with openssl for
# this test only, and a certificate per role (tls_cert).
tls_init() {
	mkdir -p "$TLS"
	[ -s "$TLS/ca.pem" ] && return 0
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 2 -subj "/CN=telex test CA $$" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign \
		-keyout "$TLS/ca.key" -out "$TLS/ca.pem" 2>"$TLS/openssl.log" ||
		e2e_fail "openssl could not make a CA: $(cat "$TLS/openssl.log")"
}

# tls_cert NAME SAN...: $TLS/NAME.pem (certificate), NAME.key, NAME.full.pem
# (certificate then key, as HAProxy wants it), signed by the CA, for the
# names and addresses given (DNS:host, IP:addr); localhost and 127.0.0.1
# are always in. Made once per test.
tls_cert() {
	local name=$1 san="DNS:localhost,IP:127.0.0.1" a
	shift
	for a; do san+=",$a"; done
	tls_init
	[ -s "$TLS/$name.full.pem" ] && return 0
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=$name" -keyout "$TLS/$name.key" -out "$TLS/$name.csr" \
		2>>"$TLS/openssl.log" &&
		printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' \
			"$san" >"$TLS/$name.ext" &&
		openssl x509 -req -in "$TLS/$name.csr" -CA "$TLS/ca.pem" \
			-CAkey "$TLS/ca.key" -CAcreateserial -days 2 \
			-extfile "$TLS/$name.ext" -out "$TLS/$name.pem" 2>>"$TLS/openssl.log" ||
		e2e_fail "openssl could not make the certificate $name: $(cat "$TLS/openssl.log")"
	cat "$TLS/$name.pem" "$TLS/$name.key" >"$TLS/$name.full.pem"
	chmod 600 "$TLS/$name.key" "$TLS/$name.full.pem"
}

# e2e_bg LOG CMD...: start CMD in the background with stdout and stderr to
# LOG; its pid is in E2E_LAST_PID and is stopped at exit.
e2e_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	E2E_LAST_PID=$!
	E2E_PIDS+=("$E2E_LAST_PID")
}

# Stop every process e2e_bg started: SIGTERM, then SIGKILL after 5 s.
e2e_stop_all() {
	local p i alive
	for p in "${E2E_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for i in $(seq 50); do
		alive=0
		for p in "${E2E_PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${E2E_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	E2E_PIDS=()
}

# e2e_service NAME CMD...: start a long-running program as inputs.execd
# does for a service input: stdin is a fifo the test holds open (fd in
# E2E_IN[NAME]), stdout to $E2E_TMP/NAME.out, stderr to NAME.log.
# e2e_eof NAME closes that stdin: Telegraf's shutdown.
declare -A E2E_IN E2E_SVC_PID
e2e_service() {
	local name=$1 fd
	shift
	mkfifo "$E2E_TMP/$name.in"
	# The child must not hold the write end of another fifo of the test
	# (it would never see EOF) nor the cluster's control channel.
	(
		for fd in "${E2E_IN[@]}" "$MK_IN" "$MK_OUT"; do
			eval "exec $fd>&-"
		done
		exec "$@" <"$E2E_TMP/$name.in" >"$E2E_TMP/$name.out" \
			2>"$E2E_TMP/$name.log"
	) &
	E2E_SVC_PID[$name]=$!
	E2E_PIDS+=("$!")
	exec {fd}>"$E2E_TMP/$name.in"
	E2E_IN[$name]=$fd
}

# e2e_eof NAME: close NAME's stdin, wait for it (SIGTERM after 5 s, as
# Telegraf), set E2E_RC to its exit status; fails the test if it needed
# SIGTERM. (Not in $(...): the fd must close in this shell.)
e2e_eof() {
	local name=$1 pid=${E2E_SVC_PID[$1]} i
	eval "exec ${E2E_IN[$name]}>&-"
	unset "E2E_IN[$name]"
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid"
		e2e_fail "$name did not exit within 5 s of stdin EOF"
	fi
	wait "$pid"
	E2E_RC=$?
}

# A TCP port on 127.0.0.1 that nothing listens on now and that this test
# has not handed out before (two servers asked for ports before either
# listens must not get the same one). Below the kernel's ephemeral range
# (32768-60999), where the local ends of connections and the servers that
# bind port 0 (the mock brokers) take theirs. The caller checks that its
# server came up (another process may take the port meanwhile).
e2e_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % 22000))
		grep -qsx "$p" "$E2E_TMP/ports" && continue
		ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || break
	done
	echo "$p" >>"$E2E_TMP/ports"
	echo "$p"
}

# e2e_wait_http URL CODE: until GET URL answers CODE (https checked against
# the test's CA), or fail.
e2e_wait_http() {
	local i code
	for i in $(seq $((E2E_TIMEOUT * 10))); do
		code=$(curl -s --cacert "$TLS/ca.pem" -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)
		[ "$code" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# influx_conf DIR RPC HTTP CERT: DIR/influxdb.conf for Debian's influxd
# 1.6, data in DIR, the RPC service on RPC and HTTPS on HTTP (host:port)
# with $TLS/CERT.pem, no reporting, no self-monitoring, no query log.
influx_conf() {
	local dir=$1
	mkdir -p "$dir"
	cat >"$dir/influxdb.conf" <<-EOF
		reporting-disabled = true
		bind-address = "$2"
		[meta]
		  dir = "$dir/meta"
		[data]
		  dir = "$dir/data"
		  wal-dir = "$dir/wal"
		  query-log-enabled = false
		[monitor]
		  store-enabled = false
		[http]
		  bind-address = "$3"
		  log-enabled = false
		  https-enabled = true
		  https-certificate = "$TLS/$4.pem"
		  https-private-key = "$TLS/$4.key"
		[continuous_queries]
		  enabled = false
	EOF
}

# e2e_bg_http URL CODE LOG CMD...: e2e_bg LOG CMD, then until GET URL
# answers CODE; if it does not, stop CMD and return 1 (the caller tries
# other ports: another process may have taken one).
e2e_bg_http() {
	local url=$1 code=$2
	shift 2
	e2e_bg "$@"
	e2e_wait_http "$url" "$code" && return 0
	kill "$E2E_LAST_PID" 2>/dev/null
	wait "$E2E_LAST_PID" 2>/dev/null
	return 1
}

# Start influxd with its data in $E2E_TMP/influxdb, HTTPS on an ephemeral
# port (a certificate of the test's CA: HAProxy checks it), nothing else
# listening (the RPC port too is ephemeral), no reporting, no
# self-monitoring. Sets INFLUX_URL and creates $E2E_DB.
influx_start() {
	local dir=$E2E_TMP/influxdb try http
	tls_cert influxd
	for try in 1 2 3; do
		http=$(e2e_port)
		influx_conf "$dir" "127.0.0.1:$(e2e_port)" "127.0.0.1:$http" influxd
		INFLUX_URL=https://localhost:$http
		if e2e_bg_http "$INFLUX_URL/ping" 204 "$E2E_TMP/influxd.log" \
			influxd -config "$dir/influxdb.conf"; then
			INFLUX_PID=$E2E_LAST_PID
			influx_query "$INFLUX_URL" "CREATE DATABASE $E2E_DB" >/dev/null
			return 0
		fi
	done
	e2e_fail "influxd did not answer /ping"
}

# haproxy_start URL...: HAProxy from examples/haproxy/haproxy.cfg, its
# data nodes replaced, in order, by the given InfluxDB URLs
# (https://host:port; a missing one points at a closed port, so its /ping
# check fails); TLS on both sides with the test's CA; frontend and stats
# on ephemeral ports; the admin socket in $E2E_TMP. Runs in the foreground
# (-db); chroot, user and syslog as in the file (root: CI and the dev
# machines). Sets LB_URL and STATS_URL (stats, needs the password).
haproxy_start() {
	local cfg=$E2E_TMP/haproxy.cfg try fe st i a subst=()
	tls_cert lb DNS:influxdb-lb.example.net
	for try in 1 2 3; do
		fe=$(e2e_port)
		st=$(e2e_port)
		subst=("bind :8086=bind 127.0.0.1:$fe" "127.0.0.1:8404=127.0.0.1:$st"
			"/etc/haproxy/tls/influxdb-lb.pem=$TLS/lb.full.pem"
			"/etc/haproxy/tls/ca.pem=$TLS/ca.pem"
			"/run/haproxy/admin.sock=$E2E_TMP/haproxy-admin.sock")
		for i in 1 2; do
			a=${@:i:1}
			a=${a#https://}
			[ -n "$a" ] || a=127.0.0.1:$(e2e_port)
			subst+=("10.20.0.2$i:8086=$a" "data-$i.example.net=${a%:*}")
		done
		ex_subst "$TELEX_SRC/examples/haproxy/haproxy.cfg" "$cfg" "${subst[@]}"
		haproxy -c -q -f "$cfg" || e2e_fail "haproxy -c $cfg"
		LB_URL=https://localhost:$fe
		STATS_URL=http://127.0.0.1:$st/stats
		# Up once the stats page asks for its password.
		if e2e_bg_http "$STATS_URL" 401 "$E2E_TMP/haproxy.log" haproxy -db -f "$cfg"; then
			HAPROXY_PID=$E2E_LAST_PID
			return 0
		fi
	done
	e2e_fail "haproxy did not start"
}

# haproxy_server_status NAME: the status of server NAME in the stats CSV
# (UP, DOWN, "UP 1/2", ...).
haproxy_server_status() {
	curl -s -u "admin:$HAPROXY_STATS_PASSWORD" "$STATS_URL;csv" | awk -F, -v s="$1" '$2 == s { print $18 }'
}

# haproxy_wait_status NAME STATUS: until the health checks put server NAME
# in STATUS, or fail.
haproxy_wait_status() {
	local i st
	for i in $(seq $((E2E_TIMEOUT * 10))); do
		st=$(haproxy_server_status "$1")
		[ "$st" = "$2" ] && return 0
		sleep 0.1
	done
	e2e_fail "haproxy server $1 is '$st', want $2"
}

# influx_query URL QUERY: the JSON answer of /query on $E2E_DB (fails the
# test on an HTTP error or an "error" in the answer).
influx_query() {
	local out code
	out=$(curl -s --cacert "$TLS/ca.pem" ${INFLUX_AUTH:+-u "$INFLUX_AUTH"} \
		-w '\n%{http_code}' -G "$1/query" \
		--data-urlencode "db=$E2E_DB" --data-urlencode "epoch=ns" \
		--data-urlencode "q=$2") || e2e_fail "query failed: $2"
	code=${out##*$'\n'}
	out=${out%$'\n'*}
	[ "$code" = 200 ] || e2e_fail "query answered $code: $2: $out"
	if jq -e '[.. | objects | .error? // empty] | length > 0' \
		<<<"$out" >/dev/null; then
		e2e_fail "query error: $2: $out"
	fi
	printf '%s\n' "$out"
}

# influx_write URL FILE: POST FILE (line protocol, ns) to /write on
# $E2E_DB; the test fails unless InfluxDB answers 204 (a partial write is
# a 400 with "partial write" in the body).
influx_write() {
	local code
	code=$(curl -s --cacert "$TLS/ca.pem" ${INFLUX_AUTH:+-u "$INFLUX_AUTH"} \
		-o "$E2E_TMP/write.out" -w '%{http_code}' \
		-H 'Content-Type: text/plain; charset=utf-8' \
		--data-binary @"$2" "$1/write?db=$E2E_DB&precision=ns") ||
		e2e_fail "POST /write failed"
	[ "$code" = 204 ] ||
		e2e_fail "/write answered $code: $(head -c 500 "$E2E_TMP/write.out")"
}

# influx_post_batches URL FILE BATCH: what Telegraf's influxdb output does
# with the metrics an input produced: batches of BATCH lines (its
# metric_batch_size), each POSTed to /write. Prints the number of batches.
influx_post_batches() {
	local url=$1 file=$2 batch=$3 n=0 part
	rm -f "$E2E_TMP"/batch.*
	split -l "$batch" -a 4 "$file" "$E2E_TMP/batch."
	for part in "$E2E_TMP"/batch.*; do
		[ -e "$part" ] || continue
		influx_write "$url" "$part"
		n=$((n + 1))
	done
	rm -f "$E2E_TMP"/batch.*
	echo "$n"
}

# e2e_kafka_conf SRC DST: an examples/ Kafka config made runnable here:
# brokers replaced by the mock cluster's, TLS and SASL lines dropped (the
# mock speaks plain Kafka), the consumer's feedback_* lines too (these
# tests run it as a plain pipe, without Telegraf and its feedback relay;
# test-e2e-cluster runs them as shipped), the output's spool_dir moved to
# DST.spool; every other line as in the example.
e2e_kafka_conf() {
	awk -v b="$MK_BOOTSTRAP" '
		/^[ \t]*brokers[ \t]*=/ {
			gsub(/,/, "\", \"", b)
			print "  brokers = [\"" b "\"]"
			next
		}
		/^[ \t]*(enable_tls|tls_[a-z_]*|insecure_skip_verify|sasl_[a-z_]*)[ \t]*=/ { next }
		/^[ \t]*feedback_[a-z_]*[ \t]*=/ { next }
		/^[ \t]*spool_dir[ \t]*=/ {
			print "  spool_dir = \"" spool "\""
			next
		}
		{ print }
	' spool="$2.spool" "$1" >"$2"
}
