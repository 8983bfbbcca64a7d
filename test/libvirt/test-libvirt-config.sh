#!/usr/bin/env bash
# telex-libvirt's options: the native plugin's defaults and validation
# errors (exit 2, one E! line naming file:line and the problem).
# (sample.conf and the man page against the table: test-plugin-docs.)
. "$TELEX_SRC/test/libvirt/lib.sh"

"$LV" --sample-config >"$TMP/sample" 2>"$CHILD_ERR" || fail "--sample-config"
for o in libvirt_uri domains statistics_groups additional_statistics \
	keepalive_interval keepalive_count device_name_tags domain_uuid_tag \
	kvm_vcpu_stats disk_errors job_stats lifecycle_events gather_stats; do
	grep -q "^  # $o = " "$TMP/sample" || fail "sample lacks $o"
done
# Defaults as native: qemu:///system, all ten groups, nothing extra.
grep -qF '# libvirt_uri = "qemu:///system"' "$TMP/sample" || fail "uri default"
grep -qF '# statistics_groups = ["state", "cpu_total", "balloon", "vcpu", "interface", "block", "perf", "iothread", "memory", "dirtyrate"]' \
	"$TMP/sample" || fail "groups default"
grep -qF '# additional_statistics = []' "$TMP/sample" || fail "additional"

expect_config_error() { # NAME PATTERN LINE, the table on stdin
	config "$TMP/$1.conf"
	local rc=0
	"$LV" --once -config "$TMP/$1.conf" </dev/null >"$TMP/out" \
		2>"$CHILD_ERR" || rc=$?
	expect_eq "$1: exit" $rc 2
	# Where in the file (config() adds log_level as line 2), then what.
	grep -q "^E! .*/$1\.conf:$3: .*$2" "$CHILD_ERR" ||
		fail "$1: no E! line matching '$1.conf:$3: .*$2': $(cat "$CHILD_ERR")"
	[ ! -s "$TMP/out" ] || fail "$1: wrote metrics"
}
expect_config_error unknown-group '"bogus" is not one of' 3 <<'TOML'
[[inputs.libvirt]]
  statistics_groups = ["state", "bogus"]
TOML
expect_config_error duplicate-group \
	'duplicated statistics group in config: "vcpu"' 4 <<'TOML'
[[inputs.libvirt]]
  statistics_groups = ["vcpu",
    "state", "vcpu"]
TOML
expect_config_error unknown-additional '"cpu_magic" is not one of' 3 <<'TOML'
[[inputs.libvirt]]
  additional_statistics = ["cpu_magic"]
TOML
expect_config_error duplicate-additional \
	'duplicated additional statistic in config: "vcpu_mapping"' 3 <<'TOML'
[[inputs.libvirt]]
  additional_statistics = ["vcpu_mapping", "vcpu_mapping"]
TOML
expect_config_error nothing 'Did not find anything to gather' 3 <<'TOML'
[[inputs.libvirt]]
  statistics_groups = []
TOML
expect_config_error bad-uri \
	'libvirt_uri "/var/run/libvirt" is not a libvirt URI' 3 <<'TOML'
[[inputs.libvirt]]
  libvirt_uri = "/var/run/libvirt"
TOML
expect_config_error typo 'statistic_groups' 3 <<'TOML'
[[inputs.libvirt]]
  statistic_groups = ["state"]
TOML

# An explicit empty list of groups with vcpu_mapping is something to do.
config "$TMP/mapping.conf" <<'TOML'
[[inputs.libvirt]]
  libvirt_uri = "test:///default"
  statistics_groups = []
  additional_statistics = ["vcpu_mapping"]
TOML
"$LV" --once -config "$TMP/mapping.conf" </dev/null >"$TMP/out" \
	2>"$CHILD_ERR" || fail "vcpu_mapping only: exit $?"
check "$TMP/out" --options
expect_eq "vcpu_mapping only: metrics" "$(cv metrics)" 2
expect_eq "vcpu_mapping only: affinity" "$(cv m.libvirt_cpu_affinity)" 2

echo ok
