#!/usr/bin/env bash
# make deb / make rpm: builds both kinds with packaging/build-{deb,rpm}.sh
# into a temporary directory and checks, per program: the files (binary,
# man page when the plugin has one, README, /etc/telex/NAME.conf), the
# config file marked as such (conffiles, %config(noreplace)), the version
# from VERSION, the runtime dependencies found from the binary's libraries;
# then extracts the deb and runs the packaged binary's --version and checks
# that its packaged config is the program's own --sample-config.
set -u
: "${TELEX_SRC:?}" "${TELEX_BIN:?}" "${TELEX_BUILD:?}"
for t in dpkg-deb dpkg-shlibdeps rpmbuild rpm; do
	command -v "$t" >/dev/null || { echo "skip: $t not installed"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
version=$(cat "$TELEX_SRC/VERSION")
arch=$(dpkg --print-architecture)

"$TELEX_SRC/packaging/build-deb.sh" "$TELEX_BIN" "$TELEX_BUILD/man" "$tmp/pkg" \
	>"$tmp/deb.out" 2>&1 || fail "build-deb: $(cat "$tmp/deb.out")"
"$TELEX_SRC/packaging/build-rpm.sh" "$TELEX_BIN" "$TELEX_BUILD/man" "$tmp/pkg" \
	>"$tmp/rpm.out" 2>&1 || fail "build-rpm: $(cat "$tmp/rpm.out")"

# PROGRAM PLUGIN CONF DEB-DEPENDENCY RPM-REQUIREMENT
while read -r prog plugin conf debdep rpmreq; do
	deb=$tmp/pkg/${prog}_${version}_${arch}.deb
	rpm=$(ls "$tmp/pkg/$prog-$version-1".*.rpm 2>/dev/null)
	[ -f "$deb" ] || fail "no $deb"
	[ -f "$rpm" ] || fail "no rpm for $prog"
	want="./usr/bin/$prog ./etc/telex/$conf ./usr/share/doc/$prog/README.md"
	if compgen -G "$TELEX_SRC/plugins/$plugin/*.1.in" >/dev/null; then
		want="$want ./usr/share/man/man1/$prog.1.gz"
	fi

	# --- deb ---
	dpkg-deb -I "$deb" >"$tmp/info" || fail "dpkg-deb -I $deb"
	grep -qx " Package: $prog" "$tmp/info" || fail "$deb: Package"
	grep -qx " Version: $version" "$tmp/info" || fail "$deb: Version"
	grep -qx " Architecture: $arch" "$tmp/info" || fail "$deb: Architecture"
	grep -q "^ Depends: .*\b$debdep\b" "$tmp/info" ||
		fail "$deb: Depends lacks $debdep: $(grep Depends "$tmp/info")"
	grep -q "^ Depends: .*\blibc6 (>= " "$tmp/info" || fail "$deb: Depends lacks libc6"
	dpkg-deb -c "$deb" | awk '{print $1, $2, $NF}' >"$tmp/list"
	for f in $want; do
		grep -q " $f\$" "$tmp/list" || fail "$deb lacks $f"
	done
	grep -q "^-rwxr-xr-x root/root ./usr/bin/$prog\$" "$tmp/list" ||
		fail "$deb: /usr/bin/$prog not root-owned 0755"
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$tmp/conffiles"
	[ "$(cat "$tmp/conffiles")" = "/etc/telex/$conf" ] ||
		fail "$deb: conffiles is '$(cat "$tmp/conffiles")'"
	rm -rf "$tmp/x"
	dpkg-deb -x "$deb" "$tmp/x"
	[ "$("$tmp/x/usr/bin/$prog" --version)" = "$prog $version" ] ||
		fail "$prog --version from the deb: $("$tmp/x/usr/bin/$prog" --version 2>&1)"
	"$TELEX_BIN/$prog" --sample-config | cmp -s - "$tmp/x/etc/telex/$conf" ||
		fail "$deb: /etc/telex/$conf is not $prog --sample-config"
	if [ -f "$tmp/x/usr/share/man/man1/$prog.1.gz" ]; then
		zcat "$tmp/x/usr/share/man/man1/$prog.1.gz" | grep -q '^\.TH ' ||
			fail "$deb: the man page is not a man page"
	fi

	# --- rpm ---
	[ "$(rpm -qp --qf '%{NAME} %{VERSION}' "$rpm" 2>/dev/null)" = "$prog $version" ] ||
		fail "$rpm: name or version"
	rpm -qlp "$rpm" 2>/dev/null | sed 's|^|.|' >"$tmp/rlist"
	for f in $want; do
		grep -qx "$f" "$tmp/rlist" || fail "$rpm lacks $f"
	done
	rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$rpm" 2>/dev/null |
		grep -qx "/etc/telex/$conf cn" || fail "$rpm: /etc/telex/$conf is not %config(noreplace)"
	rpm -qRp "$rpm" 2>/dev/null >"$tmp/requires"
	grep -qx "$rpmreq()(64bit)" "$tmp/requires" ||
		fail "$rpm: requires lacks $rpmreq: $(tr '\n' ' ' <"$tmp/requires")"
	grep -q '^libc\.so\.6' "$tmp/requires" || fail "$rpm: requires lacks libc"
	echo "ok: $prog $version: $(basename "$deb") ($(grep Depends "$tmp/info" | sed 's/^ *//')), $(basename "$rpm")"
done <<'EOF2'
telex-libvirt libvirt libvirt.conf libvirt0 libvirt.so.0
telex-kafka-output kafka_output kafka-output.conf librdkafka1 librdkafka.so.1
telex-kafka-consumer kafka_consumer kafka-consumer.conf librdkafka1 librdkafka.so.1
EOF2
[ "$(ls "$tmp"/pkg/*.deb | wc -l)" = 3 ] && [ "$(ls "$tmp"/pkg/*.rpm | wc -l)" = 3 ] ||
	fail "not one deb and one rpm per program: $(ls "$tmp/pkg")"
