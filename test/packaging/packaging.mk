# Checks `make deb` and `make rpm` (packaging/); test-install installs the
# debs on this machine and purges them.
SCRIPT_TESTS += test/packaging/test-packages.sh test/packaging/test-install.sh \
	test/packaging/test-clean-root.sh
