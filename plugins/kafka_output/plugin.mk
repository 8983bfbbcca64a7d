# telex-kafka-output: the program and its man page (OPTIONS from the option
# table via --man-options). Tests: test/kafka_output/kafka_output.mk.
KAFKA_OUTPUT := $(BIN)/telex-kafka-output
KAFKA_OUTPUT_SRC := $(wildcard plugins/kafka_output/*.c)
KAFKA_OUTPUT_OBJ := $(KAFKA_OUTPUT_SRC:%.c=$(OBJ)/%.o)
KAFKA_OUTPUT_MAN := $(BUILD)/man/telex-kafka-output.1
PROGRAMS += $(KAFKA_OUTPUT)
MANPAGES += $(KAFKA_OUTPUT_MAN)

$(KAFKA_OUTPUT): $(KAFKA_OUTPUT_OBJ) $(KAFKA_COMMON_OBJ) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(RDKAFKA_LIBS) $(JSONC_LIBS) -lm

# The page's text is plugins/kafka_output/telex-kafka-output.1.in; its
# OPTIONS section is whatever the program's option table says.
$(KAFKA_OUTPUT_MAN): plugins/kafka_output/telex-kafka-output.1.in $(KAFKA_OUTPUT)
	@mkdir -p $(@D)
	$(KAFKA_OUTPUT) --man-options > $@.options
	sed -e '/^@OPTIONS@$$/{r $@.options' -e 'd}' \
		$(MAN_SED) $< > $@
	rm -f $@.options
