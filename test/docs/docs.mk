# The pictures (the architecture diagram, the benchmark chart), the version
# notes, and every plugin's sample.conf, man page and README against its
# option table.
SCRIPT_TESTS += test/docs/test-docs.sh test/docs/test-version-notes.sh \
	test/docs/test-plugin-docs.sh
