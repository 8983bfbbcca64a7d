#!/usr/bin/env bash
# Version notes against the real Telegraf 1.25 (shared/bin): every option
# of a program's sample that Telegraf 1.25's own plugin rejects says so in
# its help, "(after Telegraf 1.25)" for options later Telegraf versions
# added or "(telex)" for telex's own, and no option says "(after Telegraf
# 1.25)" while 1.25 accepts it. One `telegraf --test` per program, with
# every top-level option of the sample set.
set -u
: "${TELEX_SRC:?}" "${TELEX_BIN:?}"
tg=$(command -v telegraf || echo "$TELEX_SRC/../shared/bin/telegraf")
[ -x "$tg" ] || { echo "skip: telegraf (shared/bin) not found"; exit 77; }
"$tg" --version | grep -q '^Telegraf 1\.25\.' ||
	{ echo "skip: $tg is not Telegraf 1.25"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# PROGRAM SECTION NAME EXTRA-LINE
while read -r prog section name extra; do
	"$TELEX_BIN/$prog" --sample-config >"$tmp/sample" || fail "$prog --sample-config"
	# Top-level options (before the first sub-table), uncommented, with
	# the help text that precedes each.
	awk -v out="$tmp/help" '
		/^  #? *\[/ { exit }
		/^  ## / { h = h " " substr($0, 6); next }
		/^  (# )?[a-z0-9_]+ = / {
			line = $0; sub(/^  (# )?/, "", line)
			key = line; sub(/ = .*/, "", key)
			print "  " line
			print key "\t" h > out
			h = ""; next
		}
		{ h = "" }
	' "$tmp/sample" >"$tmp/options"
	[ "$(wc -l <"$tmp/options")" -gt 10 ] || fail "$prog: too few options in the sample"
	{
		echo "[[$section.$name]]"
		grep -v '^  topics = ' "$tmp/options"
		[ "$extra" = - ] || echo "  $extra"
	} >"$tmp/telegraf.conf"
	"$tg" --config "$tmp/telegraf.conf" --test >"$tmp/tg.out" 2>&1
	rejected=$(grep -o "specified the fields \[[^]]*\]" "$tmp/tg.out" |
		grep -o '"[a-z0-9_]*"' | tr -d '"' | sort -u)
	if [ -z "$rejected" ] && grep -q "E! " "$tmp/tg.out"; then
		grep -q "weren't used" "$tmp/tg.out" ||
			echo "note: telegraf: $(grep 'E! ' "$tmp/tg.out" | head -1)"
	fi
	n=0
	for key in $rejected; do
		help=$(awk -F'\t' -v k="$key" '$1 == k { print $2 }' "$tmp/help")
		[[ $help == *"(after Telegraf 1.25)"* || $help == *"(telex)"* ]] ||
			fail "$prog: $key is not in Telegraf 1.25 but its help has no version note: $help"
		n=$((n + 1))
	done
	while IFS=$'\t' read -r key help; do
		[[ $help == *"(after Telegraf 1.25)"* ]] || continue
		grep -qx "$key" <<<"$rejected" ||
			fail "$prog: $key says (after Telegraf 1.25) but 1.25 accepts it"
	done <"$tmp/help"
	echo "ok: $prog: $n options Telegraf 1.25 does not know, each with its note"
done <<'EOF2'
telex-libvirt inputs libvirt -
telex-kafka-output outputs kafka -
telex-kafka-consumer inputs kafka_consumer topics = ["telegraf"]
EOF2
