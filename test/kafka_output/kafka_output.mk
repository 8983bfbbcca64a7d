# telex-kafka-output's tests: a cmocka unit test of its pieces, and script
# tests against telex-mock-kafka (read back with kcat), and the benchmark.
KAFKA_OUTPUT_TEST := $(TESTBIN)/kafka/test_kafka_output
KAFKA_SPOOL_TEST := $(TESTBIN)/kafka/test_spool
UNIT_TESTS += $(KAFKA_OUTPUT_TEST) $(KAFKA_SPOOL_TEST)
SCRIPT_TESTS += $(sort $(wildcard test/kafka_output/test-*.sh))
BENCHES += test/kafka_output/bench-kafka-output.sh

# Linked with the program's objects but its main() (KOUT_OBJ).
$(KAFKA_OUTPUT_TEST) $(KAFKA_SPOOL_TEST): $(TESTBIN)/kafka/%: \
		$(OBJ)/test/kafka_output/%.o $(KOUT_OBJ) $(KAFKA_COMMON_OBJ) \
		$(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(RDKAFKA_LIBS) \
		$(JSONC_LIBS) -lm

# The fuzzer of line scanning and header templates links the two files it
# tests (no librdkafka call in them) with the shim's fuzz archive.
$(FUZZ_BUILD)/fuzz_kafka_route: $(FUZZ_BUILD)/obj/test/fuzz/fuzz_kafka_route.o \
		$(FUZZ_BUILD)/obj/plugins/kafka_output/kout_route.o \
		$(FUZZ_BUILD)/obj/plugins/kafka_output/kout_headers.o $(FUZZ_LIB)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $^ $(JSONC_LIBS) -lm

# The fuzzer of spool frames: the decoder and the checksum, nothing else.
$(FUZZ_BUILD)/fuzz_spool_frame: $(FUZZ_BUILD)/obj/test/fuzz/fuzz_spool_frame.o \
		$(FUZZ_BUILD)/obj/plugins/kafka_output/kout_spool_frame.o \
		$(FUZZ_BUILD)/obj/plugins/kafka_output/kout_crc32c.o $(FUZZ_LIB)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $^ -lm
