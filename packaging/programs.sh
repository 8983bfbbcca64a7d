# programs.sh: what each binary package holds and how its programs are
# built, sourced by build-deb.sh and build-rpm.sh (one place for both).
#   PROGRAM PLUGIN-DIR CONFIG-NAME | summary
telex_programs() {
	cat <<-'EOF2'
		telex-libvirt libvirt libvirt.conf|VM metrics from libvirt for Telegraf (drop-in for inputs.libvirt)
		telex-kafka-output kafka_output kafka-output.conf|metrics from Telegraf to Kafka (drop-in for outputs.kafka)
		telex-kafka-consumer kafka_consumer kafka-consumer.conf|metrics from Kafka to Telegraf (drop-in for inputs.kafka_consumer)
	EOF2
}

# The maintainer (Debian's Maintainer, RPM's Packager and changelog):
# TELEX_MAINTAINER, else packaging/maintainer, the identity the project's
# commits carry. Set TELEX_MAINTAINER to your own when you build packages
# to hand out.
telex_maintainer() {
	local top=$1
	if [ -n "${TELEX_MAINTAINER:-}" ]; then
		echo "$TELEX_MAINTAINER"
	else
		cat "$top/packaging/maintainer"
	fi
}

# telex_dirs OUT BUILD: OUT and BUILD made; sets out and build to their
# absolute paths and work to a temporary directory removed at exit.
telex_dirs() {
	mkdir -p "$1" "$2"
	out=$(cd "$1" && pwd)
	build=$(cd "$2" && pwd)
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
}

# telex_build TOP BUILD CPPFLAGS CFLAGS LDFLAGS [MAKE-VARIABLE=VALUE...]:
# build the packaged programs and their man pages with a distribution's
# flags into BUILD (kept, so a second call only relinks what changed).
# No -Werror (WERROR=): a new compiler's new warning must not fail a
# distribution's build; the development build keeps it.
telex_build() {
	local top=$1 build=$2 cppflags=$3 cflags=$4 ldflags=$5
	shift 5
	local targets=() prog
	# make does not see a change of flags: start over when they change.
	local stamp="$cppflags|$cflags|$ldflags|$*"
	if [ "$(cat "$build/flags" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "${build:?}/obj" "$build/bin" "$build/man" "$build/lib"
		mkdir -p "$build"
		printf '%s\n' "$stamp" >"$build/flags"
	fi
	for prog in $(telex_programs | cut -d' ' -f1); do
		targets+=("$build/bin/$prog" "$build/man/$prog.1")
	done
	# A make above (make check) must not pass its variables down.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -C "$top" -s -j"$(nproc)" BUILD="$build" WERROR= SAN= \
			CPPFLAGS="$cppflags" CFLAGS="$cflags" LDFLAGS="$ldflags" \
			"$@" "${targets[@]}"
}

# telex_stage TOP BIN MAN STAGE PROGRAM PLUGIN CONF: install one program's
# files under STAGE as the package lays them out: the binary (stripped),
# its man page (gzipped), its README (the plugin's, else the project's),
# the examples (examples/ without the demo, which needs the source tree),
# and its sample config as /etc/telex/CONF, written by the program itself
# (--sample-config: Telegraf's sample values, every other option at its
# default, commented out).
telex_stage() {
	local top=$1 bin=$2 man=$3 stage=$4 prog=$5 plugin=$6 conf=$7 readme
	local doc=$stage/usr/share/doc/$prog
	[ -x "$bin/$prog" ] || { echo "package: $bin/$prog is not built (make)" >&2; return 1; }
	install -d "$stage/usr/bin" "$stage/etc/telex" "$doc"
	install -m 0755 "$bin/$prog" "$stage/usr/bin/$prog"
	strip --strip-unneeded --remove-section=.comment \
		--remove-section=.note "$stage/usr/bin/$prog"
	"$bin/$prog" --sample-config >"$stage/etc/telex/$conf" ||
		{ echo "package: $prog --sample-config failed" >&2; return 1; }
	chmod 0644 "$stage/etc/telex/$conf"
	[ -f "$man/$prog.1" ] ||
		{ echo "package: $man/$prog.1 is not built (make)" >&2; return 1; }
	install -d "$stage/usr/share/man/man1"
	gzip -9n <"$man/$prog.1" >"$stage/usr/share/man/man1/$prog.1.gz"
	chmod 0644 "$stage/usr/share/man/man1/$prog.1.gz"
	readme=$top/plugins/$plugin/README.md
	[ -f "$readme" ] || readme=$top/README.md
	install -m 0644 "$readme" "$doc/README.md"
	install -m 0644 "$top/docs/troubleshooting.md" "$doc/troubleshooting.md"
	(cd "$top/examples" && find . -path ./demo -prune -o -type f -print) |
		while read -r f; do
			install -D -m 0644 "$top/examples/$f" "$doc/examples/$f"
		done
}
