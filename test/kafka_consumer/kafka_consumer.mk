# Tests of telex-kafka-consumer: cmocka unit tests of its modules, a tool
# that reads a group's committed offsets, and script tests against
# telex-mock-kafka (run by test/run-tests).
KC_TESTBIN := $(TESTBIN)/kafka_consumer
KC_PLUGIN_OBJ := $(OBJ)/plugins/kafka_consumer

KC_UNIT_OFFSETS := $(KC_TESTBIN)/test_kc_offsets
KC_UNIT_LAG := $(KC_TESTBIN)/test_kc_lag
UNIT_TESTS += $(KC_UNIT_OFFSETS) $(KC_UNIT_LAG)

$(KC_UNIT_OFFSETS): $(OBJ)/test/kafka_consumer/test_kc_offsets.o \
		$(KC_PLUGIN_OBJ)/kc_offsets.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) -lm

$(KC_UNIT_LAG): $(OBJ)/test/kafka_consumer/test_kc_lag.o \
		$(KC_PLUGIN_OBJ)/kc_lag.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(JSONC_LIBS) -lm

KC_UNIT_RECORD := $(KC_TESTBIN)/test_kc_record
KC_UNIT_OPTIONS := $(KC_TESTBIN)/test_kc_options
UNIT_TESTS += $(KC_UNIT_RECORD) $(KC_UNIT_OPTIONS)

$(KC_UNIT_RECORD): $(OBJ)/test/kafka_consumer/test_kc_record.o \
		$(KC_PLUGIN_OBJ)/kc_record.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(JSONC_LIBS) -lm

$(KC_UNIT_OPTIONS): $(OBJ)/test/kafka_consumer/test_kc_options.o \
		$(KC_PLUGIN_OBJ)/kc_options.o $(KAFKA_COMMON_OBJ) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(RDKAFKA_LIBS) \
		$(JSONC_LIBS) -lm

KC_UNIT_PREFETCH := $(KC_TESTBIN)/test_kc_prefetch
UNIT_TESTS += $(KC_UNIT_PREFETCH)

$(KC_UNIT_PREFETCH): $(OBJ)/test/kafka_consumer/test_kc_prefetch.o \
		$(KC_PLUGIN_OBJ)/kc_prefetch.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(RDKAFKA_LIBS) -lm

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

KC_UNIT_FEEDBACK := $(KC_TESTBIN)/test_kc_feedback
UNIT_TESTS += $(KC_UNIT_FEEDBACK)

$(KC_UNIT_FEEDBACK): $(OBJ)/test/kafka_consumer/test_kc_feedback.o \
		$(KC_PLUGIN_OBJ)/kc_feedback.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) -lm

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
