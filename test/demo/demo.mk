# `make demo`: the README's first command. Like `make check`, it installs
# what is missing and builds first; then examples/demo/run-demo.sh runs the
# pipeline on embedded defaults (DEMO_SECONDS, default 10) and exits.
DEMO_SECONDS ?= 10

demo: deps
	$(MAKE) all
	TELEX_BIN=$(abspath $(BIN)) examples/demo/run-demo.sh $(DEMO_SECONDS)

SCRIPT_TESTS += test/demo/test-demo.sh
