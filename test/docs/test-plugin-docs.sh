#!/usr/bin/env bash
# Every plugin's documentation agrees with its option table, the one
# declaration behind parsing, --sample-config and the man page (the
# Makefile's telex_program template builds each man page; `make
# NAME-sample` rewrites a sample): plugins/P/sample.conf is exactly
# `NAME --sample-config`, the man page holds `NAME --man-options` verbatim
# with no placeholder left and nothing for groff to warn about, and
# README.md names every option of the sample (or a `family_*` of them). Each plugin folder (one with
# a plugin.mk) has its man page source, so none is left out.
set -u
fail() {
	echo "FAIL: $*"
	exit 1
}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/telex-docs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

n=0
for mk in "$TELEX_SRC"/plugins/*/plugin.mk; do
	dir=$(dirname "$mk")
	rel=${dir#"$TELEX_SRC"/}
	set -- "$dir"/telex-*.1.in
	[ $# = 1 ] && [ -f "$1" ] || fail "$rel: no telex-NAME.1.in"
	name=$(basename "$1" .1.in)
	bin=$TELEX_BIN/$name
	man=$TELEX_BUILD/man/$name.1
	[ -x "$bin" ] || fail "$bin not built"
	[ -s "$man" ] || fail "$man not built"

	"$bin" --sample-config >"$TMP/sample" 2>"$TMP/err" ||
		fail "$name --sample-config: exit $?: $(cat "$TMP/err")"
	diff -u "$dir/sample.conf" "$TMP/sample" ||
		fail "$rel/sample.conf is not $name --sample-config: make $name-sample"

	"$bin" --man-options >"$TMP/options" 2>"$TMP/err" ||
		fail "$name --man-options: exit $?: $(cat "$TMP/err")"
	grep -q '^\.SH OPTIONS' "$TMP/options" || fail "$name: no OPTIONS section"
	awk -v opts="$TMP/options" '
		BEGIN { while ((getline l < opts) > 0) want = want l "\n" }
		{ page = page $0 "\n" }
		END { exit index(page, want) ? 0 : 1 }' "$man" ||
		fail "$man: its OPTIONS are not $name --man-options"
	grep -q '@[A-Z]*@' "$man" && fail "$man: a placeholder is left"
	if command -v groff >/dev/null; then
		warn=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
		[ -z "$warn" ] || fail "$man: groff: $warn"
	fi

	names=$(sed -nE 's/^ *#? *([a-z0-9_]+) = .*/\1/p' "$dir/sample.conf" |
		sort -u)
	[ -n "$names" ] || fail "$rel/sample.conf: no option"
	# `name`, or a family `prefix_*` that covers it.
	stems=$(grep -o '`[a-z0-9_]*_\*`' "$dir/README.md" | tr -d '`*')
	for o in $names; do
		grep -q "\`$o\`\|$o\`" "$dir/README.md" && continue
		for s in $stems; do
			[[ $o == "$s"* ]] && continue 2
		done
		fail "$rel/README.md: no option $o"
	done
	n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "$n plugins found, want telex-libvirt, telex-kafka-output and telex-kafka-consumer"
echo PASS
