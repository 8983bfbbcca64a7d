#!/usr/bin/env bash
# The Kafka files of examples/ agree (test/e2e/kafka-configs-check): the
# three KRaft nodes (unique ids, one voters list, controller listeners that
# match it, durability that required_acks = -1 can rely on), the ZooKeeper
# variant (server.N, myid, broker.id, zookeeper.connect), the telex client
# configs, the topic-creation command, MirrorMaker 2. Then each kind of
# mistake, made in a copy, must be caught: the check can fail.
set -u
. "$TELEX_SRC/test/e2e/lib.sh"
e2e_need python3
CHECK=$TELEX_SRC/test/e2e/kafka-configs-check
T=$E2E_TMP
"$CHECK" "$TELEX_SRC/examples" >"$T/check.out" ||
	e2e_fail "examples/: $(cat "$T/check.out")"

# mistake FILE SED-EXPR EXPECTED: the check fails on a copy of examples/
# with FILE edited so, and says EXPECTED.
n=0
mistake() {
	rm -rf "$T/ex"
	cp -r "$TELEX_SRC/examples" "$T/ex"
	sed -i "$2" "$T/ex/$1"
	cmp -s "$TELEX_SRC/examples/$1" "$T/ex/$1" && e2e_fail "sed '$2' changed nothing in $1"
	if "$CHECK" "$T/ex" >"$T/check.out"; then
		e2e_fail "not caught: $1: $2"
	fi
	grep -q "$3" "$T/check.out" || e2e_fail "$1: $2: expected '$3', got: $(cat "$T/check.out")"
	n=$((n + 1))
}
mistake kafka/kraft/server-2.properties 's/^node.id=2/node.id=1/' 'node.id 1 in the file of node 2'
mistake kafka/kraft/server-3.properties 's/3@kafka-3.example.net:9094/3@kafka-3.example.net:9095/' 'disagree on controller.quorum.voters'
mistake kafka/kraft/server-2.properties 's/CONTROLLER:\/\/:9094/CONTROLLER:\/\/:9095/' 'controller listens on 9095'
mistake kafka/kraft/server-1.properties 's/^min.insync.replicas=2/min.insync.replicas=3/' 'min.insync.replicas 3'
mistake kafka/kraft/server-1.properties 's/^default.replication.factor=3/default.replication.factor=2/' 'default.replication.factor 2 < 3'
mistake kafka/kraft/server-3.properties 's/CLIENTS:SASL_SSL/CLIENTS:SASL_PLAINTEXT/' 'not TLS'
mistake kafka/kraft/server-2.properties 's/^unclean.leader.election.enable=false/unclean.leader.election.enable=true/' 'unclean'
mistake kafka/zookeeper/myid-2 's/2/3/' 'myid-2 holds'
mistake kafka/zookeeper/server-3.properties 's/^broker.id=3/broker.id=1/' 'broker.id 1, want 3'
mistake kafka/zookeeper/zookeeper.properties 's/^server.3=kafka-3/server.3=kafka-4/' 'server.3 is kafka-4'
mistake hypervisor/telex/kafka-output.conf 's/kafka-2.example.net:9093/kafka-2.example.net:9092/' 'brokers'
mistake hypervisor/telex/kafka-output.conf 's/required_acks = -1/required_acks = 1/' 'required_acks 1'
mistake core/telex/kafka-consumer.conf 's/SCRAM-SHA-512/SCRAM-SHA-256/' 'sasl_mechanism'
mistake kafka/README.md 's/--replication-factor 3/--replication-factor 2/' 'replication-factor differs'
mistake multi-dc/core/telex/kafka-consumer-fra2.conf 's/kafka_cluster = "fra2"/kafka_cluster = "par1"/' 'kafka_cluster'
mistake multi-dc/mirrormaker2/mm2.properties 's/kafka-2.fra2.example.net/kafka-5.fra2.example.net/' 'fra2.bootstrap.servers'
mistake multi-dc/mirrormaker2/kafka-consumer-central.conf 's/"fra2.vm-metrics"/"fra2.vm-metric"/' 'MirrorMaker 2 writes'
e2e_note "examples/ Kafka files agree; $n kinds of mistake caught"
echo ok
