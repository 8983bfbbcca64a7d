# Unit tests of plugins/kafka_common (cmocka, linked with librdkafka).
KAFKA_COMMON_TEST := $(TESTBIN)/kafka/test_kafka_common
UNIT_TESTS += $(KAFKA_COMMON_TEST)

$(KAFKA_COMMON_TEST): $(OBJ)/test/kafka_common/test_kafka_common.o \
		$(KAFKA_COMMON_OBJ) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(RDKAFKA_LIBS) \
		$(JSONC_LIBS) -lm
