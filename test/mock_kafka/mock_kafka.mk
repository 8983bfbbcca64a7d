# telex-mock-kafka: the embedded Kafka cluster the Kafka tests, benchmarks
# and the demo run against. Built with `all` so tests find it in
# $(BIN), but it is not in PROGRAMS: never installed or packaged.
MOCK_KAFKA := $(BIN)/telex-mock-kafka

$(MOCK_KAFKA): $(OBJ)/test/mock_kafka/mock_kafka.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(RDKAFKA_LIBS)

all: $(MOCK_KAFKA)

SCRIPT_TESTS += test/mock_kafka/test-mock-kafka.sh
