#!/usr/bin/env bash
# One RPM per telex program with rpmbuild and packaging/rpm/telex.spec:
# binary, man page, README, sample config as %config(noreplace) under
# /etc/telex/, Requires found by rpm itself, version from VERSION.
#   packaging/build-rpm.sh BINDIR MANDIR OUTDIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/packaging/programs.sh"
bin=$(cd "$1" && pwd) man=$2 out=$3
version=$(cat "$top/VERSION")
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

stage=$work/stage
while IFS='|' read -r spec _; do
	read -r prog plugin conf <<<"$spec"
	telex_stage "$top" "$bin" "$man" "$stage" "$prog" "$plugin" "$conf"
done < <(telex_programs)

# A man page that the spec lists but the tree does not build yet would
# fail rpmbuild: list only what was staged.
cp "$top/packaging/rpm/telex.spec" "$work/telex.spec"
for prog in $(telex_programs | cut -d' ' -f1); do
	[ -f "$stage/usr/share/man/man1/$prog.1.gz" ] ||
		sed -i "\|%{_mandir}/man1/$prog\.1\*|d" "$work/telex.spec"
done

rpmbuild -bb --quiet \
	--define "_topdir $work/rpmbuild" \
	--define "_rpmdir $work/rpms" \
	--define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
	--define "_mandir /usr/share/man" \
	--define "_docdir /usr/share/doc" \
	--define "telex_version $version" \
	--define "telex_stage $stage" \
	"$work/telex.spec" >"$work/rpmbuild.log" 2>&1 ||
	{ cat "$work/rpmbuild.log" >&2; exit 1; }
for f in "$work"/rpms/*.rpm; do
	cp "$f" "$out/"
	echo "$out/$(basename "$f")"
done
