# Benchmarks: each test/bench/bench_NAME.c is a program that prints a table
# of measured numbers (no pass/fail). Components add their own rules and
# scripts here and append them to BENCHES; what a benchmark script runs
# besides `all` (the line generator, sinks) goes into BENCH_TOOLS, which
# `make bench` builds before it runs any benchmark.
BENCH_BUILD := $(BUILD)/bench
