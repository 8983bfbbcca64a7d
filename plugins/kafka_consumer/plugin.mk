# telex-kafka-consumer: the program, its man page (OPTIONS from the option
# table via --man-options) and its sample config. Built once the shim's
# runner, the line-protocol parser, the JSON metric reader and the config
# reader it links against are in the tree.
ifneq ($(and $(wildcard shim/telex_main.c),$(wildcard shim/lp_parse.c),$(wildcard shim/lp_json.c),$(wildcard shim/config_toml.c)),)
KAFKA_CONSUMER := $(BIN)/telex-kafka-consumer
KAFKA_CONSUMER_SRC := $(wildcard plugins/kafka_consumer/*.c)
KAFKA_CONSUMER_OBJ := $(KAFKA_CONSUMER_SRC:%.c=$(OBJ)/%.o)
KAFKA_CONSUMER_MAN := $(BUILD)/man/telex-kafka-consumer.1
PROGRAMS += $(KAFKA_CONSUMER)
MANPAGES += $(KAFKA_CONSUMER_MAN)

$(KAFKA_CONSUMER): $(KAFKA_CONSUMER_OBJ) $(KAFKA_COMMON_OBJ) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(RDKAFKA_LIBS) $(JSONC_LIBS) -lm

# The page's text is plugins/kafka_consumer/telex-kafka-consumer.1.in; its
# OPTIONS section is whatever the program's option table says.
$(KAFKA_CONSUMER_MAN): plugins/kafka_consumer/telex-kafka-consumer.1.in \
		$(KAFKA_CONSUMER)
	@mkdir -p $(@D)
	$(KAFKA_CONSUMER) --man-options > $@.options
	sed -e '/^@OPTIONS@$$/{r $@.options' -e 'd}' \
		$(MAN_SED) $< > $@
	rm -f $@.options

# plugins/kafka_consumer/sample.conf is the program's --sample-config,
# checked in for readers; `make kafka-consumer-sample` rewrites it and a
# test checks that the two agree.
.PHONY: kafka-consumer-sample
kafka-consumer-sample: $(KAFKA_CONSUMER)
	$(KAFKA_CONSUMER) --sample-config > plugins/kafka_consumer/sample.conf
endif
