#!/bin/sh
# examples/influxdb-cluster/join.sh: makes a cluster of the three meta nodes
# and two data nodes once they run (meta.conf, data.conf), then creates the
# database and its users. Run it once, from a host that reaches the meta
# nodes' API (e.g. meta-1), with influxd-ctl and curl installed. Running it
# again changes nothing: nodes already in the cluster are left alone.
#
# Environment (nothing secret is in this file): INFLUX_ADMIN_PASSWORD (the
# cluster's admin), INFLUX_USER/INFLUX_PASSWORD (the core Telegrafs: write),
# INFLUX_READ_USER/INFLUX_READ_PASSWORD (Grafana: read). Passwords must not
# contain a single quote.
#
#   INFLUX_ADMIN_PASSWORD=... INFLUX_USER=telegraf INFLUX_PASSWORD=... \
#   INFLUX_READ_USER=grafana INFLUX_READ_PASSWORD=... sh join.sh
set -eu

# Meta nodes: HTTP API (8091); data nodes: cluster port (8088), HTTP (8086).
META="meta-1.example.net:8091 meta-2.example.net:8091 meta-3.example.net:8091"
DATA="data-1.example.net:8088 data-2.example.net:8088"
DATA_HTTP="https://data-1.example.net:8086"
# The CA that signed the nodes' certificates.
CA=/etc/influxdb/tls/ca.pem
# Points are kept 90 days, in one shard group per day, two copies of each.
DATABASE=telegraf
RETENTION="WITH DURATION 90d REPLICATION 2 SHARD DURATION 1d NAME ninety_days"

first_meta=${META%% *}
ctl() {
	influxd-ctl -bind-tls -bind "$first_meta" "$@"
}

# influxd-ctl show: each meta and data node address once it is a member.
# During a leader election it can answer with empty lists (and success).
members() {
	ctl show 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { print $2 }'
}

# is_member ADDR: the cluster lists ADDR (by name, or by address).
is_member() {
	members | grep -qx -e "$1" -e "$(resolve "$1")"
}

# The cluster may list nodes by address: a host name resolved.
resolve() {
	addr=$(getent ahostsv4 "${1%:*}" | awk 'NR == 1 { print $1 }')
	echo "${addr:-${1%:*}}:${1##*:}"
}

# wait_member ADDR: until the cluster lists ADDR (30 s at most).
wait_member() {
	i=0
	until is_member "$1"; do
		i=$((i + 1))
		if [ $i -gt 60 ]; then
			echo "join.sh: $1 did not join the cluster" >&2
			return 1
		fi
		sleep 0.5
	done
}

# The meta nodes first (the first one makes the cluster), then the data
# nodes: a data node needs the meta nodes to join.
for m in $META; do
	is_member "$m" || ctl add-meta "$m"
	wait_member "$m"
done
for d in $DATA; do
	is_member "$d" || ctl add-data "$d"
	wait_member "$d"
done
ctl show

# InfluxQL on a data node, as the admin; the answer on stdout.
query() {
	curl -fsS --cacert "$CA" -u "admin:$INFLUX_ADMIN_PASSWORD" \
		"$DATA_HTTP/query" --data-urlencode "q=$1"
}
# user_exists NAME
user_exists() {
	query "SHOW USERS" | grep -q "\[\"$1\","
}

# The first user must be the admin: InfluxDB takes that one statement
# without a password while no user exists.
if ! query "SHOW USERS" >/dev/null 2>&1; then
	curl -fsS --cacert "$CA" "$DATA_HTTP/query" --data-urlencode \
		"q=CREATE USER admin WITH PASSWORD '$INFLUX_ADMIN_PASSWORD' WITH ALL PRIVILEGES" >/dev/null
fi
query "CREATE DATABASE $DATABASE $RETENTION" >/dev/null
# ensure_user NAME PASSWORD RIGHT: NAME exists and has RIGHT on the database.
ensure_user() {
	user_exists "$1" ||
		query "CREATE USER \"$1\" WITH PASSWORD '$2'" >/dev/null
	query "GRANT $3 ON \"$DATABASE\" TO \"$1\"" >/dev/null
}
ensure_user "$INFLUX_USER" "$INFLUX_PASSWORD" WRITE
ensure_user "$INFLUX_READ_USER" "$INFLUX_READ_PASSWORD" READ
echo "join.sh: $(members | wc -l) nodes; database $DATABASE $RETENTION; users $INFLUX_USER (write), $INFLUX_READ_USER (read)"
