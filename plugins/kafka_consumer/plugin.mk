# telex-kafka-consumer, its man page and `make telex-kafka-consumer-sample`
# (the telex_program template in the Makefile). Tests:
# test/kafka_consumer/kafka_consumer.mk.
$(eval $(call telex_program,KC,telex-kafka-consumer,plugins/kafka_consumer,kc,\
	$(KAFKA_COMMON_OBJ),$(RDKAFKA_LIBS) $(JSONC_LIBS) -lm))
