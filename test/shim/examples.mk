# The runner's own tests: example plugins on the real shim (a polled input,
# a service input, an output; built into $(BIN), not installed), the
# in-process runner unit test, and the script tests that drive the examples
# through the execd harness.
SHIM_EXAMPLES := $(BIN)/telex-example-input $(BIN)/telex-example-service \
	$(BIN)/telex-example-output

$(BIN)/telex-example-%: $(OBJ)/test/shim/example_%.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

all: $(SHIM_EXAMPLES)

UNIT_TESTS += $(TESTBIN)/test_runner
$(TESTBIN)/test_runner: $(OBJ)/test/shim/test_runner.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(JSONC_LIBS) -lm

SCRIPT_TESTS += $(sort $(wildcard test/shim/test-*.sh))
BENCHES += test/shim/bench-shim.sh
