# Unit tests: test/unit/test_NAME.c -> $(TESTBIN)/test_NAME, one cmocka
# binary each, linked with libtelex.
UNIT_SRC := $(wildcard test/unit/test_*.c)
UNIT_TESTS += $(UNIT_SRC:test/unit/%.c=$(TESTBIN)/%)

# test_glob makes allocations fail on purpose: its malloc, calloc and
# realloc wrap those of the code it tests.
$(TESTBIN)/test_glob: ALL_LDFLAGS += \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

# logcap.c: the log read back through a pipe, for any test that wants it.
$(TESTBIN)/test_%: $(OBJ)/test/unit/test_%.o $(OBJ)/test/unit/logcap.o \
		$(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(JSONC_LIBS) -lm
