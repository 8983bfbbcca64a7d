#!/usr/bin/env bash
# make deb / make rpm: builds both kinds with packaging/build-{deb,rpm}.sh
# (distribution flags, no -Werror) into a temporary directory, the RPMs
# signed with a throwaway key, and checks what a distribution's tools
# check: lintian --pedantic and rpmlint report no error, and every
# warning left is one packaging/README.md explains; hardening-check passes
# on every packaged binary; the RPMs need at most GLIBC_2.34 (EL9) and say
# which librdkafka they need. Per program: the files (binary, man page
# clean under mandoc -Tlint, README, troubleshooting page, examples,
# copyright or licence, changelog), the config file marked as such
# (conffiles, %config(noreplace)) and equal to the packaged binary's
# --sample-config, the version from VERSION, the runtime dependencies.
# test-install.sh installs the debs. Under SAN=1 there is nothing to check:
# packages never come from the sanitizer build, and this test already ran
# in the plain `make check`.
set -u
: "${TELEX_SRC:?}" "${TELEX_BIN:?}" "${TELEX_BUILD:?}"
. "$TELEX_SRC/test/packaging/lib.sh"
pkg_need dpkg-deb dpkg-shlibdeps dpkg-buildflags rpmbuild rpm rpmsign gpg \
	lintian rpmlint hardening-check mandoc objdump
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
version=$(cat "$TELEX_SRC/VERSION")
arch=$(dpkg --print-architecture)
readme=$TELEX_SRC/packaging/README.md

# A throwaway signing key: a real build signs with the distributor's.
export GNUPGHOME=$tmp/gnupg
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key \
	'telex test <test@telex.invalid>' ed25519 sign 1d 2>"$tmp/gpg.log" ||
	fail "gpg key: $(cat "$tmp/gpg.log")"
key=$(gpg --list-keys --with-colons | awk -F: '$1 == "fpr" { print $10; exit }')

"$TELEX_SRC/packaging/build-deb.sh" "$tmp/pkg" "$TELEX_BUILD/pkg-deb" \
	>"$tmp/deb.out" 2>&1 || fail "build-deb: $(cat "$tmp/deb.out")"
TELEX_RPM_SIGN_KEY=$key "$TELEX_SRC/packaging/build-rpm.sh" "$tmp/pkg" \
	"$TELEX_BUILD/pkg-rpm" >"$tmp/rpm.out" 2>&1 ||
	fail "build-rpm: $(cat "$tmp/rpm.out")"
[ "$(ls "$tmp"/pkg/*.deb | wc -l)" = 3 ] && [ "$(ls "$tmp"/pkg/*.rpm | wc -l)" = 3 ] ||
	fail "not one deb and one rpm per program: $(ls "$tmp/pkg")"

# The signatures verify against the key, in a private rpm database that
# rpmlint uses too (through $HOME/.rpmmacros).
gpg --armor --export "$key" >"$tmp/key.asc"
rpm --dbpath "$tmp/rpmdb" --initdb && rpm --dbpath "$tmp/rpmdb" --import "$tmp/key.asc" ||
	fail "rpm --import"
for r in "$tmp"/pkg/*.rpm; do
	rpm --dbpath "$tmp/rpmdb" -K "$r" 2>&1 | grep -q 'signatures OK' ||
		fail "$r: $(rpm --dbpath "$tmp/rpmdb" -K "$r" 2>&1)"
done

printf '%%_dbpath %s\n' "$tmp/rpmdb" >"$tmp/.rpmmacros"

# --- what the distributions' linters say ---
# A tag that remains must be named in packaging/README.md, which says why.
explained() { grep -q -- "\`$1\`" "$readme"; }
lintian --pedantic -I "$tmp"/pkg/*.deb >"$tmp/lintian" 2>&1
grep -E '^[EWIPX]: ' "$tmp/lintian" >"$tmp/lintian.tags"
grep -qE 'E: |internal error|^Unknown' "$tmp/lintian" &&
	fail "lintian:"$'\n'"$(cat "$tmp/lintian")"
while read -r _ _ tag _; do
	explained "$tag" || fail "lintian tag $tag is not explained in packaging/README.md"
done < <(grep -E '^[WIPX]: ' "$tmp/lintian.tags")
HOME=$tmp rpmlint -c "$TELEX_SRC/packaging/rpm/rpmlint.toml" "$tmp"/pkg/*.rpm \
	>"$tmp/rpmlint" 2>&1
grep -q ' 0 errors' "$tmp/rpmlint" || fail "rpmlint errors:"$'\n'"$(cat "$tmp/rpmlint")"
while read -r _ _ tag _; do
	explained "$tag" || fail "rpmlint tag $tag is not explained in packaging/README.md"
done < <(grep -E ': W: ' "$tmp/rpmlint")
echo "lintian --pedantic -I: $(grep -c . "$tmp/lintian.tags") tags; rpmlint: $(grep -o '[0-9]* errors, [0-9]* warnings' "$tmp/rpmlint")"

# PROGRAM PLUGIN CONF DEB-DEPENDENCY RPM-REQUIREMENT LIBRDKAFKA SAMPLE-LINE
while read -r prog plugin conf debdep rpmreq rdkafka sample; do
	deb=$tmp/pkg/${prog}_${version}_${arch}.deb
	rpm=$(ls "$tmp/pkg/$prog-$version-1".*.rpm 2>/dev/null)
	[ -f "$deb" ] || fail "no $deb"
	[ -f "$rpm" ] || fail "no rpm for $prog"
	doc=./usr/share/doc/$prog
	want="./usr/bin/$prog ./etc/telex/$conf $doc/README.md
		$doc/troubleshooting.md $doc/examples/README.md
		$doc/examples/hypervisor/telex/kafka-output.conf
		$doc/examples/core/telex/kafka-consumer.conf
		./usr/share/man/man1/$prog.1.gz"

	# --- deb ---
	dpkg-deb -I "$deb" >"$tmp/info" || fail "dpkg-deb -I $deb"
	grep -qx " Package: $prog" "$tmp/info" || fail "$deb: Package"
	grep -qx " Version: $version" "$tmp/info" || fail "$deb: Version"
	grep -qx " Architecture: $arch" "$tmp/info" || fail "$deb: Architecture"
	grep -q "^ Depends: .*\b$debdep\b" "$tmp/info" ||
		fail "$deb: Depends lacks $debdep: $(grep Depends "$tmp/info")"
	grep -q "^ Depends: .*\blibc6 (>= " "$tmp/info" || fail "$deb: Depends lacks libc6"
	dpkg-deb -c "$deb" | awk '{print $1, $2, $NF}' >"$tmp/list"
	for f in $want $doc/copyright $doc/changelog.gz; do
		grep -q " $f\$" "$tmp/list" || fail "$deb lacks $f"
	done
	grep -q ' ./usr/share/doc/[^ ]*/examples/demo/' "$tmp/list" &&
		fail "$deb ships examples/demo (needs the source tree)"
	grep -q "^-rwxr-xr-x root/root ./usr/bin/$prog\$" "$tmp/list" ||
		fail "$deb: /usr/bin/$prog not root-owned 0755"
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$tmp/conffiles"
	[ "$(cat "$tmp/conffiles")" = "/etc/telex/$conf" ] ||
		fail "$deb: conffiles is '$(cat "$tmp/conffiles")'"
	rm -rf "$tmp/x"
	dpkg-deb -x "$deb" "$tmp/x"
	[ "$("$tmp/x/usr/bin/$prog" --version)" = "$prog $version" ] ||
		fail "$prog --version from the deb: $("$tmp/x/usr/bin/$prog" --version 2>&1)"
	"$tmp/x/usr/bin/$prog" --sample-config | cmp -s - "$tmp/x/etc/telex/$conf" ||
		fail "$deb: /etc/telex/$conf is not $prog --sample-config"
	[ "$sample" = - ] || grep -qxF "  $sample" "$tmp/x/etc/telex/$conf" ||
		fail "$deb: /etc/telex/$conf does not set $sample as Telegraf's sample does"
	zcat "$tmp/x/usr/share/man/man1/$prog.1.gz" >"$tmp/page.1"
	lint=$(mandoc -Tlint -W style "$tmp/page.1" 2>&1)
	[ -z "$lint" ] || fail "$deb: mandoc -Tlint: $lint"
	grep -q '^\.SH COPYRIGHT' "$tmp/page.1" && grep -q 'MIT' "$tmp/page.1" ||
		fail "$deb: the man page names no licence"
	zcat "$tmp/x/usr/share/doc/$prog/changelog.gz" | head -1 | grep -q "^telex ($version)" ||
		fail "$deb: changelog.gz is not at $version"

	# --- rpm ---
	[ "$(rpm -qp --qf '%{NAME} %{VERSION} %{LICENSE}' "$rpm" 2>/dev/null)" = "$prog $version MIT" ] ||
		fail "$rpm: name, version or licence: $(rpm -qp --qf '%{NAME} %{VERSION} %{LICENSE}' "$rpm" 2>&1)"
	rpm -qlp "$rpm" 2>/dev/null | sed 's|^|.|' >"$tmp/rlist"
	for f in $want "./usr/share/licenses/$prog/LICENSE"; do
		grep -qx "$f" "$tmp/rlist" || fail "$rpm lacks $f"
	done
	rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$rpm" 2>/dev/null |
		grep -qx "/etc/telex/$conf cn" || fail "$rpm: /etc/telex/$conf is not %config(noreplace)"
	rpm -qRp "$rpm" 2>/dev/null >"$tmp/requires"
	grep -qx "$rpmreq()(64bit)" "$tmp/requires" ||
		fail "$rpm: requires lacks $rpmreq: $(tr '\n' ' ' <"$tmp/requires")"
	grep -q '^libc\.so\.6' "$tmp/requires" || fail "$rpm: requires lacks libc"
	if [ "$rdkafka" != - ]; then
		grep -qF "(librdkafka(x86-64) >= $rdkafka or librdkafka1(x86-64) >= $rdkafka)" \
			"$tmp/requires" || [ "$(uname -m)" != x86_64 ] ||
			fail "$rpm: no librdkafka >= $rdkafka: $(grep rdkafka "$tmp/requires")"
	fi
	rm -rf "$tmp/r" && mkdir "$tmp/r"
	(cd "$tmp/r" && rpm2cpio "$rpm" | cpio -idm --quiet) || fail "rpm2cpio $rpm"

	# --- both: hardened, and runnable on EL9 (glibc 2.34) ---
	# -fcf-protection is compiled in, but Debian 12's glibc start files
	# carry no IBT/SHSTK note, so no Debian 12 program gets one (see
	# packaging/README.md): CFI is checked by its instructions instead.
	for b in "$tmp/x/usr/bin/$prog" "$tmp/r/usr/bin/$prog"; do
		hardening-check --nocfprotection "$b" >"$tmp/hc" 2>&1 ||
			fail "hardening-check $b:"$'\n'"$(cat "$tmp/hc")"
		[ "$(uname -m)" != x86_64 ] || objdump -d "$b" | grep -q endbr64 ||
			fail "$b: no endbr64 (-fcf-protection)"
		glibc=$(objdump -T "$b" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
		[ "$(printf '%s\n2.34\n' "$glibc" | sort -V | tail -1)" = 2.34 ] ||
			fail "$b needs GLIBC_$glibc: newer than EL9's 2.34 (packaging/README.md)"
	done
	echo "ok: $prog $version: $(basename "$deb") ($(grep Depends "$tmp/info" | sed 's/^ *//')), $(basename "$rpm") (GLIBC_$glibc at most)"
done <<'EOF2'
telex-libvirt libvirt libvirt.conf libvirt0 libvirt.so.0 - -
telex-kafka-output kafka_output kafka-output.conf librdkafka1 librdkafka.so.1 1.5.0 routing_tag = "host"
telex-kafka-consumer kafka_consumer kafka-consumer.conf librdkafka1 librdkafka.so.1 1.9.0 topics = ["telegraf"]
EOF2
