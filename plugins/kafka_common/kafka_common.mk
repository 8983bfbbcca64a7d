# What the Kafka plugins share (kafka_common.h): compiled once, linked into
# telex-kafka-output and telex-kafka-consumer.
KAFKA_COMMON_SRC := $(wildcard plugins/kafka_common/*.c)
KAFKA_COMMON_OBJ := $(KAFKA_COMMON_SRC:%.c=$(OBJ)/%.o)
