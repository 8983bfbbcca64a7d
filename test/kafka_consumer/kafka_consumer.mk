# Tests of telex-kafka-consumer: cmocka unit tests of its modules, a tool
# that reads a group's committed offsets, and script tests against
# telex-mock-kafka (run by test/run-tests).
KC_TESTBIN := $(TESTBIN)/kafka_consumer

# Each test_kc_NAME.c tests kc_NAME.c (with what the Kafka plugins share).
KC_UNITS := $(patsubst test/kafka_consumer/%.c,$(KC_TESTBIN)/%,\
	$(wildcard test/kafka_consumer/test_kc_*.c))
UNIT_TESTS += $(KC_UNITS)

$(KC_UNITS): $(KC_TESTBIN)/test_kc_%: $(OBJ)/test/kafka_consumer/test_kc_%.o \
		$(OBJ)/plugins/kafka_consumer/kc_%.o $(KAFKA_COMMON_OBJ) \
		$(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(RDKAFKA_LIBS) \
		$(JSONC_LIBS) -lm

# kc-committed: a group's committed offsets (the scripts check that
# nothing is committed past what reached stdout).
KC_COMMITTED := $(KC_TESTBIN)/kc-committed

$(KC_COMMITTED): $(OBJ)/test/kafka_consumer/kc_committed.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(RDKAFKA_LIBS)

all: $(KC_COMMITTED)

SCRIPT_TESTS += $(sort $(wildcard test/kafka_consumer/test-*.sh))

# The consumer benchmark (make bench): telex-kafka-consumer against kcat -G.
KC_BENCH_SINK := $(KC_TESTBIN)/kc-bench-sink

$(KC_BENCH_SINK): $(OBJ)/test/kafka_consumer/kc_bench_sink.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

all: $(KC_BENCH_SINK)
BENCHES += test/kafka_consumer/bench-kafka-consumer.sh
test/kafka_consumer/bench-kafka-consumer.sh: $(KC_BENCH_SINK) \
	$(BENCH_BUILD)/lpgen

# The fuzzer of the record-to-lines path (make fuzz) links kc_record.c (no
# librdkafka call in it) with the shim's fuzz archive.
$(FUZZ_BUILD)/fuzz_kc_record: $(FUZZ_BUILD)/obj/test/fuzz/fuzz_kc_record.o \
		$(FUZZ_BUILD)/obj/plugins/kafka_consumer/kc_record.o $(FUZZ_LIB)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $^ $(JSONC_LIBS) -lm

# Catch-up through the real Telegraf into influxd (issue 15): telex with
# delivery feedback and Telegraf's default buffer, the ceiling without
# feedback, the native plugin; ~3.5 min in make bench. Its long mode (make
# bench-long, not in CI): 2,000 points/s for 15 minutes with influxd down
# for 10 of them.
BENCHES += test/kafka_consumer/bench-kafka-consumer-telegraf.sh

.PHONY: bench-long
bench-long: all
	TELEX_BUILD=$(abspath $(BUILD)) TELEX_SRC=$(CURDIR) BENCH_LONG=1 \
		test/kafka_consumer/bench-kafka-consumer-telegraf.sh
