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

# kc_record needs the JSON metric reader.
ifneq ($(wildcard shim/lp_json.c),)
KC_UNIT_RECORD := $(KC_TESTBIN)/test_kc_record
UNIT_TESTS += $(KC_UNIT_RECORD)

$(KC_UNIT_RECORD): $(OBJ)/test/kafka_consumer/test_kc_record.o \
		$(KC_PLUGIN_OBJ)/kc_record.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(JSONC_LIBS) -lm
endif
