# programs.sh: what each binary package holds, sourced by build-deb.sh and
# build-rpm.sh (one place for both formats).
#   PROGRAM PLUGIN-DIR CONFIG-NAME | summary
telex_programs() {
	cat <<-'EOF2'
		telex-libvirt libvirt libvirt.conf|VM metrics from libvirt for Telegraf (drop-in for inputs.libvirt)
		telex-kafka-output kafka_output kafka-output.conf|metrics from Telegraf to Kafka (drop-in for outputs.kafka)
		telex-kafka-consumer kafka_consumer kafka-consumer.conf|metrics from Kafka to Telegraf (drop-in for inputs.kafka_consumer)
	EOF2
}

# telex_stage TOP BIN MAN STAGE PROGRAM PLUGIN CONF: install one program's
# files under STAGE as the package lays them out: the binary (stripped),
# its man page (gzipped) when the plugin has one, its README (the plugin's,
# else the project's), and its sample config as /etc/telex/CONF, written by
# the program itself (--sample-config: every option at its default).
telex_stage() {
	local top=$1 bin=$2 man=$3 stage=$4 prog=$5 plugin=$6 conf=$7 readme
	[ -x "$bin/$prog" ] || { echo "package: $bin/$prog is not built (make)" >&2; return 1; }
	install -d "$stage/usr/bin" "$stage/etc/telex" "$stage/usr/share/doc/$prog"
	install -m 0755 "$bin/$prog" "$stage/usr/bin/$prog"
	strip --strip-unneeded "$stage/usr/bin/$prog"
	"$bin/$prog" --sample-config >"$stage/etc/telex/$conf" ||
		{ echo "package: $prog --sample-config failed" >&2; return 1; }
	chmod 0644 "$stage/etc/telex/$conf"
	if compgen -G "$top/plugins/$plugin/*.1.in" >/dev/null; then
		[ -f "$man/$prog.1" ] ||
			{ echo "package: $man/$prog.1 is not built (make)" >&2; return 1; }
		install -d "$stage/usr/share/man/man1"
		gzip -9n <"$man/$prog.1" >"$stage/usr/share/man/man1/$prog.1.gz"
		chmod 0644 "$stage/usr/share/man/man1/$prog.1.gz"
	fi
	readme=$top/plugins/$plugin/README.md
	[ -f "$readme" ] || readme=$top/README.md
	install -m 0644 "$readme" "$stage/usr/share/doc/$prog/README.md"
}
