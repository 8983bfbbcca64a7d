#!/usr/bin/env bash
# One RPM per telex program with rpmbuild and packaging/rpm/telex.spec:
# the programs built with Fedora's flags (packaging/rpm/buildflags.sh)
# and without -Werror, then binary, man page, README, troubleshooting
# page, examples, licence, sample config as %config(noreplace) under
# /etc/telex/, the spool directory of telex-kafka-output; Requires found by
# rpm itself plus the librdkafka version; version from VERSION.
#   packaging/build-rpm.sh OUTDIR [BUILDDIR]
# BUILDDIR (default build/pkg-rpm) keeps the objects between calls. With
# TELEX_RPM_SIGN_KEY (a gpg key id in the keyring) the packages are signed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/packaging/programs.sh"
. "$top/packaging/rpm/buildflags.sh"
version=$(cat "$top/VERSION")
packager=$(telex_maintainer "$top")
grep -q "^\* .* - $version-1\$" "$top/packaging/rpm/telex.spec" || {
	echo "rpm: telex.spec's %changelog has no entry for $version-1" >&2
	exit 1
}
telex_dirs "$1" "${2:-$top/build/pkg-rpm}"

# shellcheck disable=SC2086 # RPM_MAKEVARS is a list of words
telex_build "$top" "$build" "$RPM_CPPFLAGS" "$RPM_CFLAGS" "$RPM_LDFLAGS" \
	$RPM_MAKEVARS >&2

stage=$work/stage
while IFS='|' read -r spec _; do
	read -r prog plugin conf <<<"$spec"
	telex_stage "$top" "$build/bin" "$build/man" "$stage" "$prog" "$plugin" "$conf"
	install -D -m 0644 "$top/LICENSE" "$stage/usr/share/licenses/$prog/LICENSE"
done < <(telex_programs)

rpmbuild -bb --quiet \
	--define "_topdir $work/rpmbuild" \
	--define "_rpmdir $work/rpms" \
	--define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
	--define "_mandir /usr/share/man" \
	--define "_docdir /usr/share/doc" \
	--define "_datadir /usr/share" \
	--define "_sharedstatedir /var/lib" \
	--define "telex_version $version" \
	--define "telex_stage $stage" \
	--define "telex_packager $packager" \
	"$top/packaging/rpm/telex.spec" >"$work/rpmbuild.log" 2>&1 ||
	{ cat "$work/rpmbuild.log" >&2; exit 1; }
if [ -n "${TELEX_RPM_SIGN_KEY:-}" ]; then
	rpmsign --addsign --define "_gpg_name $TELEX_RPM_SIGN_KEY" \
		--define "__gpg $(command -v gpg)" \
		"$work"/rpms/*.rpm >"$work/sign.log" 2>&1 ||
		{ cat "$work/sign.log" >&2; exit 1; }
fi
for f in "$work"/rpms/*.rpm; do
	cp "$f" "$out/"
	echo "$out/$(basename "$f")"
done
