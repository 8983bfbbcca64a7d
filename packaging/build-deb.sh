#!/usr/bin/env bash
# One Debian binary package per telex program, with dpkg-deb (no
# debhelper, no source package): the programs built with Debian's
# hardening flags (dpkg-buildflags, hardening=+all) and without -Werror,
# then per package: binary, man page, README, troubleshooting page,
# examples, copyright (MIT), changelog, sample config as a conffile under
# /etc/telex/, Depends from dpkg-shlibdeps, version from VERSION.
# telex-kafka-output also gets the maintainer scripts that make and purge
# its spool directory (packaging/debian/).
#   packaging/build-deb.sh OUTDIR [BUILDDIR]
# BUILDDIR (default build/pkg-deb) keeps the objects between calls.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/packaging/programs.sh"
version=$(cat "$top/VERSION")
arch=$(dpkg --print-architecture)
maintainer=$(telex_maintainer "$top")
changelog_version=$(sed -n '1s/^telex (\([^)]*\)).*/\1/p' "$top/packaging/debian/changelog")
[ "$changelog_version" = "$version" ] || {
	echo "deb: packaging/debian/changelog is at $changelog_version, VERSION at $version" >&2
	exit 1
}
telex_dirs "$1" "${2:-$top/build/pkg-deb}"

# Debian 12's hardening=+all, plus what dpkg 1.22 (Debian 13) adds to it:
# stack clash protection and control-flow protection, which
# hardening-check asks for.
case $arch in
amd64 | i386) cfi=-fcf-protection ;;
arm64) cfi=-mbranch-protection=standard ;;
*) cfi= ;;
esac
flags() {
	(cd "$top" && DEB_BUILD_MAINT_OPTIONS=hardening=+all \
		DEB_CFLAGS_MAINT_APPEND="-fstack-clash-protection $cfi" \
		dpkg-buildflags --get "$1")
}
telex_build "$top" "$build" "$(flags CPPFLAGS)" "$(flags CFLAGS)" "$(flags LDFLAGS)" >&2

telex_programs | while IFS='|' read -r spec summary; do
	read -r prog plugin conf <<<"$spec"
	# dpkg-shlibdeps wants a source tree: debian/control and the package
	# contents under debian/PACKAGE/.
	root=$work/debian/$prog
	telex_stage "$top" "$build/bin" "$build/man" "$root" "$prog" "$plugin" "$conf"
	doc=$root/usr/share/doc/$prog
	install -m 0644 "$top/packaging/debian/copyright" "$doc/copyright"
	gzip -9n <"$top/packaging/debian/changelog" >"$doc/changelog.gz"
	chmod 0644 "$doc/changelog.gz"
	printf 'Source: telex\n\nPackage: %s\nArchitecture: any\n' "$prog" \
		>"$work/debian/control"
	depends=$(cd "$work" && dpkg-shlibdeps -O -e"debian/$prog/usr/bin/$prog" 2>"$work/shlibdeps.log" |
		sed -n 's/^shlibs:Depends=//p') ||
		{ cat "$work/shlibdeps.log" >&2; exit 1; }
	[ -n "$depends" ] || { echo "deb: no dependencies found for $prog" >&2; exit 1; }
	install -d "$root/DEBIAN"
	echo "/etc/telex/$conf" >"$root/DEBIAN/conffiles"
	for script in postinst postrm; do
		if [ -f "$top/packaging/debian/$prog.$script" ]; then
			install -m 0755 "$top/packaging/debian/$prog.$script" "$root/DEBIAN/$script"
		fi
	done
	(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\n' |
		sort | xargs md5sum) >"$root/DEBIAN/md5sums"
	cat >"$root/DEBIAN/control" <<-CONTROL
		Package: $prog
		Source: telex
		Version: $version
		Architecture: $arch
		Maintainer: $maintainer
		Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
		Depends: $depends
		Suggests: telegraf
		Section: net
		Priority: optional
		Description: $summary
		 Part of telex: small C programs that plug into stock Telegraf through
		 its execd plugins and carry VM metrics from KVM hypervisors through
		 Kafka into InfluxDB. Reads the native plugin's config table
		 (/etc/telex/$conf) and emits the native metrics; also works as a
		 plain Unix pipe. See /usr/share/doc/$prog/README.md and the
		 examples beside it.
	CONTROL
	dpkg-deb --root-owner-group -Zxz --build "$root" \
		"$out/${prog}_${version}_${arch}.deb" >/dev/null
	echo "$out/${prog}_${version}_${arch}.deb"
done
