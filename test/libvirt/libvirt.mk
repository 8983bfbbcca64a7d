# telex-libvirt tests: test/libvirt/test_lv_*.c are cmocka binaries linked
# with the plugin's library (some need libvirt's test driver, some the
# system libvirtd: those exit 77 when it is truly unavailable);
# test/libvirt/test-*.sh are script tests of the program.
LV_TEST_SRC := $(wildcard test/libvirt/test_lv_*.c)
LV_TESTS := $(LV_TEST_SRC:test/libvirt/%.c=$(TESTBIN)/libvirt/%)
LV_TEST_COMMON := $(OBJ)/test/libvirt/lv_testlib.o
UNIT_TESTS += $(LV_TESTS)
SCRIPT_TESTS += $(sort $(wildcard test/libvirt/test-*.sh))
# lv-check: the script tests' schema checker of the program's output.
LV_CHECK := $(TESTBIN)/libvirt/lv-check
all: $(LV_CHECK)
$(LV_CHECK): $(OBJ)/test/libvirt/lv_check.o $(LV_TEST_COMMON) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

$(TESTBIN)/libvirt/test_lv_%: $(OBJ)/test/libvirt/test_lv_%.o \
		$(LV_TEST_COMMON) $(LV_LIB) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LV_LIBS)

# The tests include the plugin's private headers.
$(OBJ)/test/libvirt/%.o: ALL_CFLAGS += -Iplugins/libvirt -Itest/libvirt

# make bench: bench_lv prints the per-gather table; the script the
# program's resident memory next to any libvirt client's.
BENCHES += $(BENCH_BUILD)/bench_lv test/libvirt/bench-libvirt-rss.sh
$(BENCH_BUILD)/bench_lv: $(OBJ)/test/libvirt/bench_lv.o $(LV_TEST_COMMON) \
		$(LV_LIB) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LV_LIBS)
