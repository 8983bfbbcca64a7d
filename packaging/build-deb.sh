#!/usr/bin/env bash
# One Debian binary package per telex program, with dpkg-deb (no
# debhelper): binary, man page, README, sample config as a conffile under
# /etc/telex/, Depends computed by dpkg-shlibdeps, version from VERSION.
#   packaging/build-deb.sh BINDIR MANDIR OUTDIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/packaging/programs.sh"
bin=$(cd "$1" && pwd) man=$2 out=$3
version=$(cat "$top/VERSION")
arch=$(dpkg --print-architecture)
maintainer=${TELEX_MAINTAINER:-telex maintainers <telex@localhost>}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

telex_programs | while IFS='|' read -r spec summary; do
	read -r prog plugin conf <<<"$spec"
	# dpkg-shlibdeps wants a source tree: debian/control and the package
	# contents under debian/PACKAGE/.
	root=$work/debian/$prog
	telex_stage "$top" "$bin" "$man" "$root" "$prog" "$plugin" "$conf"
	printf 'Source: telex\n\nPackage: %s\nArchitecture: any\n' "$prog" \
		>"$work/debian/control"
	depends=$(cd "$work" && dpkg-shlibdeps -O -e"debian/$prog/usr/bin/$prog" 2>"$work/shlibdeps.log" |
		sed -n 's/^shlibs:Depends=//p') ||
		{ cat "$work/shlibdeps.log" >&2; exit 1; }
	[ -n "$depends" ] || { echo "deb: no dependencies found for $prog" >&2; exit 1; }
	install -d "$root/DEBIAN"
	echo "/etc/telex/$conf" >"$root/DEBIAN/conffiles"
	(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\n' |
		sort | xargs md5sum) >"$root/DEBIAN/md5sums"
	cat >"$root/DEBIAN/control" <<-CONTROL
		Package: $prog
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
		 plain Unix pipe. See /usr/share/doc/$prog/README.md.
	CONTROL
	dpkg-deb --root-owner-group -Zxz --build "$root" \
		"$out/${prog}_${version}_${arch}.deb" >/dev/null
	echo "$out/${prog}_${version}_${arch}.deb"
done
