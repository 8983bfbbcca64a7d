#!/usr/bin/env bash
# telex-libvirt and the native inputs.libvirt side by side in one real
# Telegraf 1.25 (../shared/bin/telegraf), on the same real QEMU domains
# (running, paused, shut off; vcpu_mapping on): telex runs with the
# [[inputs.execd]] entry of examples/hypervisor/telegraf.conf as shipped.
# Every gather of both must give the same metrics as sets: measurement,
# tags, field names and types, and the same timestamps, for every domain
# (the shut-off one included). And no E! line in Telegraf's log, which
# 1.25 writes for every line a child prints on stderr.
# 77 without root, libvirtd or the Telegraf binary.
. "$TELEX_SRC/test/libvirt/lib.sh"
TELEGRAF=${TELEGRAF:-$(command -v telegraf || true)}
[ -z "$TELEGRAF" ] && [ -x "$TELEX_SRC/../shared/bin/telegraf" ] &&
	TELEGRAF=$TELEX_SRC/../shared/bin/telegraf
[ -n "$TELEGRAF" ] || { echo "telegraf not found (PATH or ../shared/bin)"; exit 77; }
"$TELEGRAF" --version | grep -q '^Telegraf 1\.25\.' ||
	fail "not Telegraf 1.25: $("$TELEGRAF" --version)"
qemu_up 3
run=$LV_PREFIX-run pause=$LV_PREFIX-pause off=$LV_PREFIX-off

table="libvirt_uri = \"qemu:///system\"
  domains = [\"$run\", \"$pause\", \"$off\"]
  additional_statistics = [\"vcpu_mapping\"]"
# Written as is (not with config, which sets log_level = "info"): the
# default level is the point, and Telegraf knows no log_level.
cat >"$TMP/libvirt.conf" <<TOML
[[inputs.libvirt]]
  $table
TOML

# The shipped [[inputs.execd]] entry of telex-libvirt, our paths in it.
python3 - "$TELEX_SRC/examples/hypervisor/telegraf.conf" "$LV" \
	"$TMP/libvirt.conf" >"$TMP/execd.toml" <<'PY' || fail "examples/hypervisor/telegraf.conf"
import sys, tomllib
conf = tomllib.load(open(sys.argv[1], "rb"))
entry = [e for e in conf["inputs"]["execd"]
         if e["command"][0].endswith("/telex-libvirt")][0]
entry["command"] = [sys.argv[2], "-config", sys.argv[3]]
def value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(v)
print("[[inputs.execd]]")
for k, v in entry.items():
    print(f"  {k} = {value(v)}")
print("  [inputs.execd.tags]")
print('    src = "telex"')
PY
grep -q '^  precision = "1s"$' "$TMP/execd.toml" ||
	fail "the shipped execd entry has no precision = \"1s\": $(cat "$TMP/execd.toml")"

cat >"$TMP/telegraf.conf" <<TOML
[agent]
  interval = "1s"
  round_interval = true
  flush_interval = "1s"
  omit_hostname = true

[[inputs.libvirt]]
  $table
  [inputs.libvirt.tags]
    src = "native"

$(cat "$TMP/execd.toml")

[[outputs.file]]
  files = ["$TMP/metrics"]
  data_format = "influx"
TOML

# Both plugins gather at every tick: at least 6 ticks, then a clean stop.
"$TELEGRAF" --config "$TMP/telegraf.conf" >"$TMP/telegraf.log" 2>&1 9>&- &
tg=$!
tg_cleanup() {
	[ -n "$tg" ] && kill "$tg" 2>/dev/null
	lv_cleanup
}
trap tg_cleanup EXIT
ticks() { # SRC: distinct timestamps written so far
	grep ",src=$1[, ]" "$TMP/metrics" 2>/dev/null | awk '{print $NF}' | sort -u | wc -l
}
for _ in $(seq 600); do
	[ "$(ticks native)" -ge 6 ] && [ "$(ticks telex)" -ge 6 ] && break
	kill -0 $tg 2>/dev/null || fail "telegraf exited: $(tail -n 5 "$TMP/telegraf.log")"
	sleep 0.05
done
kill -TERM $tg
rc=0
wait $tg || rc=$?
tg=
expect_eq "telegraf exit" $rc 0

python3 - "$TMP/metrics" "$off" <<'PY' || fail "native and telex differ (above)"
import collections, sys

def parse(line):
    """measurement, tags, {field: type}, timestamp of one influx line."""
    i, n = 0, len(line)
    def until(stops):
        nonlocal i
        s = i
        while i < n and line[i] not in stops:
            i += 2 if line[i] == "\\" else 1
        return line[s:i]
    key = until(" ")
    i += 1
    fields = {}
    while True:
        k = until("=")
        i += 1
        if line[i] == '"':
            i += 1
            while line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
            t = "string"
        else:
            v = until(", ")
            t = ("int" if v.endswith("i") else "uint" if v.endswith("u")
                 else "bool" if v in ("t", "f", "true", "false") else "float")
        fields[k] = t
        if i >= n or line[i] == " ":
            break
        i += 1
    ts = int(line[i + 1:])
    parts = key.split(",")
    tags = dict(p.split("=", 1) for p in parts[1:])
    return parts[0], tags, fields, ts

off = sys.argv[2]
by = {"native": collections.defaultdict(set), "telex": collections.defaultdict(set)}
off_seen = set()
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line:
        continue
    m, tags, fields, ts = parse(line)
    src = tags.pop("src")
    if src == "telex" and tags.get("domain_name") == off:
        off_seen.add(m)
    by[src][ts].add((m, tuple(sorted(tags.items())), tuple(sorted(fields.items()))))

native, telex = by["native"], by["telex"]
common = sorted(set(native) & set(telex))
only_telex = sorted(set(telex) - set(native))
print(f"native: {len(native)} gathers, telex: {len(telex)}, same timestamp: {len(common)}")
print(f"the shut-off domain, as telex writes it: {sorted(off_seen)}")
bad = False
if any(ts % 1000000000 for ts in telex):
    print("telex timestamps not rounded to the second:", sorted(telex)[:3])
    bad = True
# The first and the last tick may be one-sided (start, stop).
if len(common) < 4 or len(only_telex) > 2:
    print("timestamps: native", sorted(native), "telex", sorted(telex))
    bad = True
for ts in common:
    a, b = native[ts], telex[ts]
    for e in sorted(a - b):
        print(ts, "native only:", e)
        bad = True
    for e in sorted(b - a):
        print(ts, "telex only:", e)
        bad = True
    if len(a) < 30:
        print(ts, f"only {len(a)} series: the domains are not all there")
        bad = True
sys.exit(1 if bad else 0)
PY

# No E! line, but Telegraf's own shutdown race (see ../shared/bin/README.md).
if grep 'E! ' "$TMP/telegraf.log" | grep -v 'Error in plugin: .*read |0: file already closed'; then
	fail "E! lines in Telegraf's log"
fi
grep -q 'Starting process: .*telex-libvirt' "$TMP/telegraf.log" ||
	fail "telex-libvirt was not started: $(cat "$TMP/telegraf.log")"
echo ok
