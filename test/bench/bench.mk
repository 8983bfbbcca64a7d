# Benchmarks: each test/bench/bench_NAME.c is a program that prints a table
# of measured numbers (no pass/fail). Components add their own rules and
# scripts here and append them to BENCHES.
BENCH_BUILD := $(BUILD)/bench
