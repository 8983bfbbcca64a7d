#!/usr/bin/env bash
# The [[inputs.kafka_consumer]] table: a native table with every option of
# Telegraf's plugin loads unchanged (Sarama-only ones ignored with a
# warning), and bad values are config errors (exit 2) that name the file,
# the line and the option. (sample.conf and the man page against the
# table: test/docs/test-plugin-docs.sh.)
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need

# sample.conf and the man page against the table: test-plugin-docs.
"$KC" --man-options | grep -q consumer_fetch_max_wait ||
	mk_fail "--man-options lacks consumer_fetch_max_wait"

mk_start --brokers 1 --topic telegraf:1
# Telegraf's own sample, every option set (TLS and SASL left empty).
cat >"$MK_TMP/native.conf" <<CONF
[[inputs.kafka_consumer]]
  brokers = ["$MK_BOOTSTRAP"]
  kafka_version = "2.6.0"
  topics = ["telegraf"]
  topic_regexps = [ ]
  topic_tag = ""
  msg_headers_as_tags = []
  msg_header_as_metric_name = ""
  timestamp_source = "metric"
  client_id = "Telegraf"
  enable_tls = false
  insecure_skip_verify = false
  keep_alive_period = "15s"
  sasl_username = ""
  sasl_password = ""
  sasl_mechanism = ""
  sasl_gssapi_service_name = ""
  sasl_gssapi_auth_type = "KRB5_USER_AUTH"
  sasl_gssapi_kerberos_config_path = "/"
  sasl_gssapi_realm = "realm"
  sasl_gssapi_key_tab_path = ""
  sasl_gssapi_disable_pafxfast = false
  sasl_access_token = ""
  sasl_version = 1
  metadata_full = false
  consumer_group = "telegraf_metrics_consumers"
  compression_codec = 0
  offset = "oldest"
  balance_strategy = "range"
  metadata_retry_max = 0
  metadata_retry_type = "constant"
  metadata_retry_backoff = 0
  metadata_retry_max_duration = 0
  resolve_canonical_bootstrap_servers_only = false
  connection_strategy = "startup"
  max_message_len = 1000000
  max_undelivered_messages = 1000
  max_processing_time = "100ms"
  consumer_fetch_default = "1MB"
  data_format = "influx"
  name_override = "renamed"
  [inputs.kafka_consumer.tags]
    source = "kafka"
CONF
echo 'cpu,host=a usage=1 1' | mk_produce telegraf
kc_start native "$MK_TMP/native.conf"
kc_wait_lines native 1
kc_eof native
mk_eq "a native table's metric" "renamed,host=a,source=kafka usage=1 1" \
	"$(cat "$(kc_out native)")"
grep -q '^E! ' "$(kc_err native)" && mk_fail "errors: $(cat "$(kc_err native)")"
grep -q '^W! .*max_processing_time' "$(kc_err native)" ||
	mk_fail "ignored options are not named: $(cat "$(kc_err native)")"

bad() { # WHAT LINE EXPECTED-MESSAGE TOML-LINE...: refused at bad.conf:LINE
	local what=$1 line=$2 want=$3
	shift 3
	kc_conf "$MK_TMP/bad.conf" "$@"
	"$KC" -config "$MK_TMP/bad.conf" </dev/null >/dev/null 2>"$MK_TMP/bad.err"
	mk_eq "$what: exit status" 2 $?
	grep -q -- "^E! $MK_TMP/bad\.conf:$line: .*$want" "$MK_TMP/bad.err" ||
		mk_fail "$what: no \"bad.conf:$line: ...$want\" in: $(cat "$MK_TMP/bad.err")"
}
bad "no topic" 1 "no topic to consume" 'consumer_group = "g"'
bad "unknown option" 4 'brokerz' 'topics = ["t"]' 'brokerz = ["x"]'
bad "offset" 4 'offset' 'topics = ["t"]' 'offset = "latest"'
bad "balance_strategy" 4 'balance_strategy' 'topics = ["t"]' \
	'balance_strategy = "cooperative"'
bad "timestamp_source" 4 'timestamp_source' 'topics = ["t"]' \
	'timestamp_source = "now"'
bad "data_format" 4 'data_format' 'topics = ["t"]' 'data_format = "xml"'
# The native "json" parser makes kafka_consumer metrics: refused, naming
# the telex format that reads Telegraf's JSON metrics.
bad "data_format json" 4 'data_format = "telegraf_json"' 'topics = ["t"]' \
	'data_format = "json"'
bad "socks5" 4 'librdkafka has no SOCKS5' 'topics = ["t"]' \
	'socks5_enabled = true'
bad "tls_min_version TLS13" 4 'require TLS 1.3 on the brokers' \
	'topics = ["t"]' 'tls_min_version = "TLS13"'
bad "tls_min_version bad" 4 'tls_min_version' 'topics = ["t"]' \
	'tls_min_version = "1.2"'
bad "librdkafka property" 7 'no.such.property' 'topics = ["t"]' \
	-- '"no.such.property" = 1'
# Delivery feedback needs both options, at the line of the one given.
bad "feedback_socket alone" 4 'needs both feedback_socket and feedback_outputs' \
	'topics = ["t"]' "feedback_socket = \"$MK_TMP/fb.sock\""
bad "tls_ca unreadable" 4 'tls_ca.*cannot read "/nonexistent/ca.pem"' \
	'topics = ["t"]' 'tls_ca = "/nonexistent/ca.pem"'
echo PASS
