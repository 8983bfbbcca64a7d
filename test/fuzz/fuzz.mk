# libFuzzer targets: test/fuzz/fuzz_NAME.c -> $(FUZZ_BUILD)/fuzz_NAME, built
# with clang, ASan and UBSan, linked with the shim sources compiled the same
# way. Seeds: test/fuzz/seeds/NAME/ (checked in) plus whatever
# test/fuzz/seed-NAME (optional executable) writes into the directory it is
# given. `make fuzz FUZZ_SECONDS=N` runs each target for N seconds.
FUZZ_BUILD := build/fuzz
FUZZ_SAN := address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -g -O1
FUZZ_FLAGS := -fsanitize=fuzzer,$(FUZZ_SAN)
FUZZ_OBJ_FLAGS := -fsanitize=fuzzer-no-link,$(FUZZ_SAN)
FUZZ_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -Iinclude -D_GNU_SOURCE \
	-DTELEX_VERSION='"$(VERSION)"' $(PKG_CFLAGS) -MMD -MP
FUZZ_SRC := $(wildcard test/fuzz/fuzz_*.c)
FUZZERS += $(FUZZ_SRC:test/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_SHIM_OBJ := $(SHIM_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_OBJ_FLAGS) -c -o $@ $<

# An archive, so a target links only the modules it uses (the runner's
# objects need the config and filters; a parser fuzzer does not).
FUZZ_LIB := $(FUZZ_BUILD)/libtelex-fuzz.a
$(FUZZ_LIB): $(FUZZ_SHIM_OBJ)
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/test/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $^ $(JSONC_LIBS) -lm
