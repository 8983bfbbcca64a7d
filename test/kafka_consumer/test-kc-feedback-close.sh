#!/usr/bin/env bash
# With delivery feedback, leaving commits what Telegraf's outputs confirmed
# and nothing more: records whose lines are only in the pipe (no relay, so
# nothing is ever confirmed here) stay uncommitted at exit, for the next
# run to read again. (Before, exit and revoke committed what the pipe had
# taken, which loses the records an output then fails to write.)
set -u
. "$TELEX_SRC/test/mock_kafka/lib.sh"
. "$TELEX_SRC/test/kafka_consumer/lib.sh"
mk_need kcat
kc_need
mk_start --brokers 1 --topic fbc:2

seq 1 200 | awk '{ print "m,i=" $1 " v=1i " $1 }' | mk_produce fbc
kc_conf "$MK_TMP/fbc.conf" 'topics = ["fbc"]' 'consumer_group = "fbc"' \
	"feedback_socket = \"$MK_TMP/feedback.sock\"" \
	'feedback_outputs = ["influxdb"]' 'feedback_window = 1000'
kc_start fbc "$MK_TMP/fbc.conf"
kc_wait_lines fbc 200 # and telex_mark lines
kc_eof fbc
mk_eq "metrics out" 200 "$(grep -c '^m,' "$(kc_out fbc)")"
committed=$(kc_committed fbc fbc | awk '$3 > 0 { s += $3 } END { print s + 0 }')
mk_eq "committed without any confirmation" 0 "$committed"

# The next run reads them all again.
kc_start again "$MK_TMP/fbc.conf"
kc_wait_lines again 200
kc_eof again
mk_eq "read again" 200 "$(grep -c '^m,' "$(kc_out again)")"
echo PASS
