# Filter benchmark: Telegraf's per-plugin filters on lpgen lines, and the
# glob matcher alone. $(BENCH_BUILD)/bench_filter [METRICS] [PASSES]
$(BENCH_BUILD)/bench_filter: $(OBJ)/test/bench/bench_filter.o $(OBJ)/test/bench/lpgen.o $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

BENCHES += $(BENCH_BUILD)/bench_filter
