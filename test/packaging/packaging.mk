# Checks `make deb` and `make rpm` (packaging/).
SCRIPT_TESTS += test/packaging/test-packages.sh
