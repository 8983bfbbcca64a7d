# telex: build, test, benchmark, fuzz, install.
#
#   make            build the programs into build/bin/
#   make check      install missing Debian packages, build, run every test
#   make check SAN=1  the same with AddressSanitizer + UBSan (build/san/)
#   make demo       run the whole pipeline on embedded defaults
#   make bench      print the benchmark tables, draw the benchmark chart
#   make docs       draw docs/architecture.svg (Graphviz)
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS each
#   make lint       clang-tidy, cppcheck, clang-format --dry-run (test/lint.mk)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deb / rpm  packages built with the distributions' flags (packaging/)
#
# Each component adds its own rules in a fragment beside its sources
# (shim/shim.mk, plugins/*/plugin.mk, test/*.mk); this file holds what they
# share. Fragments append to PROGRAMS, UNIT_TESTS, SCRIPT_TESTS, BENCHES,
# BENCH_TOOLS, FUZZERS, MANPAGES.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/telex
SYSCONFDIR ?= /etc

CC ?= cc
CLANG ?= clang
# Hardened by default (stack protector, _FORTIFY_SOURCE, full RELRO; PIE is
# the compiler's default on Debian and Fedora). A distribution's own flags
# replace these wholesale: `make CPPFLAGS=... CFLAGS=... LDFLAGS=...`, as
# packaging/build-{deb,rpm}.sh do with dpkg-buildflags and Fedora's flags.
CFLAGS ?= -O2 -g -fstack-protector-strong
LDFLAGS ?= -Wl,-z,relro -Wl,-z,now
# -Werror is for development builds; packages and distributions building
# with their own compiler and flags set WERROR= (a new compiler's new
# warning must not fail their build).
WERROR ?= -Werror
FUZZ_SECONDS ?= 60
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# The man pages' date: the last commit's (reproducible), else VERSION's
# modification time (a tree without git).
MAN_DATE := $(shell git log -1 --format=%cs 2>/dev/null || \
	date -u -r VERSION +%Y-%m-%d)
# What the man page rules substitute in plugins/*/*.1.in.
MAN_SED = -e 's/@VERSION@/$(VERSION)/g' -e 's/@DATE@/$(MAN_DATE)/g'

SAN ?=
ifeq ($(SAN),1)
BUILD ?= build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# ASan checks every access itself; glibc's _chk variants would hide some.
CPPFLAGS ?=
else
BUILD ?= build
SAN_FLAGS :=
CPPFLAGS ?= -D_FORTIFY_SOURCE=2
endif

PKGS := libvirt rdkafka json-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBVIRT_LIBS := $(shell pkg-config --libs libvirt 2>/dev/null)
RDKAFKA_LIBS := $(shell pkg-config --libs rdkafka 2>/dev/null)
JSONC_LIBS := $(shell pkg-config --libs json-c 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

TELEX_CFLAGS := -std=gnu11 -Wall -Wextra $(WERROR) -Iinclude -D_GNU_SOURCE \
	-DTELEX_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(SAN_FLAGS) -MMD -MP
ALL_CFLAGS = $(TELEX_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

BIN := $(BUILD)/bin
OBJ := $(BUILD)/obj
TESTBIN := $(BUILD)/test
LIBTELEX := $(BUILD)/lib/libtelex.a

PROGRAMS :=
UNIT_TESTS :=
SCRIPT_TESTS :=
BENCHES :=
BENCH_TOOLS :=
FUZZERS :=
MANPAGES :=

.PHONY: all check deps demo bench fuzz install clean format
all:

# Every object file comes from the source of the same path.
$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# A telex program, made from its plugin folder by one template:
#   $(eval $(call telex_program,VAR,NAME,DIR,PREFIX,OBJECTS,LIBS))
# VAR_OBJ: the objects of DIR/*.c but DIR/PREFIX_main.c (main()), which
# tests and benchmarks link; $(BIN)/NAME: the program, those objects,
# OBJECTS (shared ones) and libtelex, linked with LIBS; its man page
# $(BUILD)/man/NAME.1 from DIR/NAME.1.in, the OPTIONS section from
# `NAME --man-options`; `make NAME-sample` rewrites DIR/sample.conf from
# `NAME --sample-config` (test/docs/test-plugin-docs.sh checks that the
# checked-in sample and the man page agree with the option table).
define telex_program
$(1)_OBJ := $$(patsubst %.c,$$(OBJ)/%.o,$$(filter-out \
	$(3)/$(4)_main.c,$$(wildcard $(3)/*.c)))
PROGRAMS += $$(BIN)/$(2)
MANPAGES += $$(BUILD)/man/$(2).1

$$(BIN)/$(2): $$(OBJ)/$(3)/$(4)_main.o $$($(1)_OBJ) $(5) $$(LIBTELEX)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $(6)

$$(BUILD)/man/$(2).1: $(3)/$(2).1.in $$(BIN)/$(2)
	@mkdir -p $$(@D)
	$$(BIN)/$(2) --man-options > $$@.options
	sed -e '/^@OPTIONS@$$$$/{r $$@.options' -e 'd}' $$(MAN_SED) $$< > $$@
	rm -f $$@.options

.PHONY: $(2)-sample
$(2)-sample: $$(BIN)/$(2)
	$$(BIN)/$(2) --sample-config > $(3)/sample.conf
endef

# shim first: the others link its objects.
include shim/shim.mk
include $(sort $(wildcard plugins/*/*.mk test/*.mk test/*/*.mk packaging/*.mk))

all: $(LIBTELEX) $(PROGRAMS) $(MANPAGES)

# Unit tests (cmocka binaries) and script tests (bash) run through one
# runner that prints a line per test and a summary; T=pattern selects.
check: deps
	$(MAKE) all $(UNIT_TESTS)
	TELEX_BUILD=$(abspath $(BUILD)) TELEX_SRC=$(CURDIR) SAN=$(SAN) \
		test/run-tests $(UNIT_TESTS) $(SCRIPT_TESTS)

deps:
	@test/deps.sh

# Everything is built before the first benchmark starts; a benchmark that
# fails does not hide the tables of the others. Each table is also kept in
# $(BUILD)/bench/results/, and test/bench/chart.sh draws the line-protocol
# chart ($(BUILD)/bench/line-protocol.svg) from those numbers.
BENCH_RESULTS := $(BUILD)/bench/results
bench: all $(BENCH_TOOLS) $(BENCHES)
	@mkdir -p $(BENCH_RESULTS); failed=; for b in $(BENCHES); do \
		out=$(BENCH_RESULTS)/$$(basename $$b .sh).txt; \
		TELEX_BUILD=$(abspath $(BUILD)) TELEX_SRC=$(CURDIR) $$b >$$out; \
		rc=$$?; cat $$out; [ $$rc = 0 ] || failed="$$failed $$b"; \
	done; \
	test/bench/chart.sh $(BENCH_RESULTS) || failed="$$failed chart"; \
	test -z "$$failed" || { echo "benchmarks failed:$$failed"; exit 1; }

# docs/architecture.svg from its Graphviz source (checked in, so that the
# README shows it; test/docs/ checks that it is current).
.PHONY: docs
docs: docs/architecture.svg
docs/architecture.svg: docs/architecture.dot
	dot -Tsvg $< -o $@

fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do TELEX_SRC=$(CURDIR) \
		test/fuzz/run-one $$f $(FUZZ_SECONDS); done

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/telex
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	$(if $(MANPAGES),install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/)
	install -m 0644 README.md LICENSE docs/troubleshooting.md \
		$(DESTDIR)$(DOCDIR)/
	cp -R examples/. $(DESTDIR)$(DOCDIR)/examples/

clean:
	rm -rf build

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
