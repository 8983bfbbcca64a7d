# End-to-end tests: the whole pipeline with real components (telex programs,
# telex-mock-kafka, influxd, HAProxy) and the examples/ configuration held
# honest (test/e2e/).
SCRIPT_TESTS += test/e2e/test-examples.sh test/e2e/test-e2e-pipeline.sh
SCRIPT_TESTS += test/e2e/test-e2e-cluster.sh
SCRIPT_TESTS += test/e2e/test-keepalived-failover.sh
SCRIPT_TESTS += test/e2e/test-kafka-configs.sh
