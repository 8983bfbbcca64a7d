# Example plugins on the real shim, for the runner's script tests (not
# installed): a polled input, a service input, an output.
SHIM_EXAMPLES := $(BIN)/telex-example-input $(BIN)/telex-example-service \
	$(BIN)/telex-example-output

$(BIN)/telex-example-%: $(OBJ)/test/shim/example_%.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

all: $(SHIM_EXAMPLES)

SCRIPT_TESTS += $(sort $(wildcard test/shim/test-*.sh))
