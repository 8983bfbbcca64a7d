# telex-kafka-output, its man page and `make telex-kafka-output-sample`
# (the telex_program template in the Makefile). Tests:
# test/kafka_output/kafka_output.mk.
$(eval $(call telex_program,KOUT,telex-kafka-output,plugins/kafka_output,kout,\
	$(KAFKA_COMMON_OBJ),$(RDKAFKA_LIBS) $(JSONC_LIBS) -lm))
