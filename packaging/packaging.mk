# Binary packages, one per program, into $(BUILD)/pkg/ (build/pkg/):
#   make deb    dpkg-deb, Depends from dpkg-shlibdeps
#   make rpm    rpmbuild with packaging/rpm/telex.spec, automatic Requires
# Version from VERSION; the sample configs are /etc/telex/*.conf, kept on
# upgrade (conffiles, %config(noreplace)). test/packaging/ checks both.
PKG_DIR := $(BUILD)/pkg

.PHONY: deb rpm
deb: all
	packaging/build-deb.sh $(BIN) $(BUILD)/man $(PKG_DIR)

rpm: all
	packaging/build-rpm.sh $(BIN) $(BUILD)/man $(PKG_DIR)
