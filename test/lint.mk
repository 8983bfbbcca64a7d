# make lint: the checks of how the code reads, before any test runs.
#   clang-tidy  .clang-tidy's checks (function size and cognitive
#               complexity, bugprone-*) over every .c file of shim/ and
#               plugins/, with the build's own compile flags;
#   cppcheck    over the same folders;
#   clang-format --dry-run --Werror over every tracked .c and .h file.
# LINT_DIRS=shim (any folders) narrows all three to those folders, for
# checking one part of the tree. Files are checked LINT_JOBS at a time.
LINT_DIRS ?=
LINT_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
LINT_TIDY_SRC = $(sort $(shell git ls-files -- \
	$(addsuffix /*.c,$(or $(LINT_DIRS),shim plugins)) 2>/dev/null))
LINT_FORMAT_SRC = $(shell git ls-files -- $(or $(LINT_DIRS),.) 2>/dev/null | \
	grep -E '\.[ch]$$')
# The flags the objects are built with, but for dependency files and
# sanitizers (clang-tidy only reads the code).
LINT_CFLAGS = $(filter-out -MMD -MP $(SAN_FLAGS),$(ALL_CFLAGS))
# cppcheck's false positives, each named and why:
#  ctuuninitvar in lp_parse.c: cppcheck 2.10 reads the error pointer
#    stored into the parser's context (an out-parameter) as a read of the
#    uninitialised struct it points at.
LINT_CPPCHECK_SUPPRESS = ctuuninitvar:shim/lp_parse.c
LINT_TIDY_TARGETS = $(LINT_TIDY_SRC:%=lint-tidy/%)

.PHONY: lint lint-tidy lint-cppcheck lint-format $(LINT_TIDY_TARGETS)
lint:
	@$(MAKE) --no-print-directory -k -j$(LINT_JOBS) lint-format \
		lint-cppcheck lint-tidy

lint-tidy: $(LINT_TIDY_TARGETS)
	@echo "clang-tidy: $(words $(LINT_TIDY_SRC)) files clean"

$(LINT_TIDY_TARGETS): lint-tidy/%:
	@clang-tidy --quiet $* -- $(LINT_CFLAGS) 2>/dev/null

lint-cppcheck:
	@cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
		--enable=warning,performance,portability \
		--suppress=missingIncludeSystem \
		$(addprefix --suppress=,$(LINT_CPPCHECK_SUPPRESS)) \
		--template='{file}:{line}: {severity} {id}: {message}' \
		-Iinclude -D_GNU_SOURCE $(filter -I%,$(PKG_CFLAGS)) \
		$(or $(LINT_DIRS),shim plugins)
	@echo "cppcheck: clean"

lint-format:
	@clang-format --dry-run --Werror $(LINT_FORMAT_SRC)
	@echo "clang-format: $(words $(LINT_FORMAT_SRC)) files clean"
