# telex-execd-harness: Telegraf's execd plugins, simulated, for contract
# tests (README.md beside this file). Built with `all` into $(BIN) so
# script tests find it, but not in PROGRAMS: never installed.
HARNESS := $(BIN)/telex-execd-harness
HARNESS_OBJ := $(patsubst %.c,$(OBJ)/%.o,$(wildcard test/harness/*.c))

$(HARNESS): $(HARNESS_OBJ) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

all: $(HARNESS)
