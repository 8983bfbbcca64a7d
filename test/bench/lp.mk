# Line-protocol benchmark and the realistic-line generator.
#   $(BENCH_BUILD)/lpgen N [SEED]  prints N libvirt-style lines (other
#                                  benchmarks depend on it by that path)
#   $(BENCH_BUILD)/bench_lp        prints split/parse/write throughput
LPGEN_OBJ := $(OBJ)/test/bench/lpgen.o

$(BENCH_BUILD)/lpgen: $(OBJ)/test/bench/lpgen_main.o $(LPGEN_OBJ) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

$(BENCH_BUILD)/bench_lp: $(OBJ)/test/bench/bench_lp.o $(LPGEN_OBJ) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(JSONC_LIBS) -lm

BENCHES += $(BENCH_BUILD)/bench_lp
BENCH_TOOLS += $(BENCH_BUILD)/lpgen
