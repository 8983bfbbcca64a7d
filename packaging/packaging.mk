# Binary packages, one per program, into $(BUILD)/pkg/ (build/pkg/), each
# format building the programs itself with its distribution's flags and
# without -Werror (packaging/README.md):
#   make deb    dpkg-buildflags, dpkg-deb, Depends from dpkg-shlibdeps
#   make rpm    Fedora's flags, rpmbuild with packaging/rpm/telex.spec
# Version from VERSION; the sample configs are /etc/telex/*.conf, kept on
# upgrade (conffiles, %config(noreplace)). test/packaging/ checks both.
PKG_DIR := $(BUILD)/pkg

.PHONY: deb rpm
deb:
	packaging/build-deb.sh $(PKG_DIR) $(BUILD)/pkg-deb

rpm:
	packaging/build-rpm.sh $(PKG_DIR) $(BUILD)/pkg-rpm
