# The pictures: the architecture diagram and the benchmark chart.
SCRIPT_TESTS += test/docs/test-docs.sh test/docs/test-version-notes.sh
