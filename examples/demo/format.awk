# format.awk: shows what telex-kafka-consumer prints (line protocol read
# back from Kafka) the way a person wants to see it during `make demo`: a
# few raw lines first, then one table per gather with a line per domain
# (state, vCPUs, memory, disk and network rates between gathers), and the
# consumer's lag reports. It only parses what telex-libvirt emits for the
# demo's domains (no spaces or commas inside values); any other line is
# counted, not shown.

function human(b,    u, i) {
	split("B KiB MiB GiB TiB PiB", u, " ")
	for (i = 1; b >= 1024 && i < 6; i++)
		b /= 1024
	return sprintf(i == 1 ? "%.0f %s" : "%.1f %s", b, u[i])
}

function rate(d, key, dt) {
	if (!(d SUBSEP key in prev) || dt <= 0)
		return "-"
	return human((cur[d, key] - prev[d, key]) / dt) "/s"
}

function state_name(s) {
	return s == 1 ? "running" : s == 2 ? "blocked" : s == 3 ? "paused" : \
	    s == 4 ? "shutdown" : s == 5 ? "shut off" : s == 6 ? "crashed" : \
	    s == 7 ? "suspended" : "state " s
}

# Print the table of the gather at timestamp ts, then keep its counters for
# the next one's rates.
function flush_gather(    d, i, dt, n, k) {
	if (gts == "")
		return
	gathers++
	dt = pts == "" ? 0 : (gts - pts) / 1e9
	printf "\ngather %d at %s.%03d  %s  %d metrics from %d domains\n", \
	    gathers, strftime("%H:%M:%S", int(gts / 1e9)), \
	    int(gts / 1e6) % 1000, where, gmetrics, ndom
	for (i = 2; i <= ndom; i++)	# by name, whatever the arrival order
		for (k = i; k > 1 && dom[k - 1] > dom[k]; k--) {
			d = dom[k]; dom[k] = dom[k - 1]; dom[k - 1] = d
		}
	printf "  %-12s %-9s %5s %10s %12s %12s %12s %12s\n", "domain", \
	    "state", "vCPUs", "memory", "disk read", "disk write", "net rx", \
	    "net tx"
	for (i = 1; i <= ndom; i++) {
		d = dom[i]
		if (cur[d, "state"] != 1) {
			printf "  %-12s %-9s\n", d, state_name(cur[d, "state"])
			continue
		}
		printf "  %-12s %-9s %5s %10s %12s %12s %12s %12s\n", d, \
		    state_name(cur[d, "state"]), cur[d, "vcpus"], \
		    human(cur[d, "mem"] * 1024), rate(d, "rd", dt), \
		    rate(d, "wr", dt), rate(d, "rx", dt), rate(d, "tx", dt)
	}
	delete prev
	for (k in cur)
		prev[k] = cur[k]
	delete cur
	delete seen
	ndom = 0
	gmetrics = 0
	pts = gts
	gts = ""
	fflush()
}

BEGIN {
	raw_wanted["libvirt_state"] = raw_wanted["libvirt_cpu"] = 1
	raw_wanted["libvirt_net"] = 1
}

{
	if (NF != 3) { other++; next }
	nt = split($1, tag, ",")
	m = tag[1]
	delete t
	for (i = 2; i <= nt; i++) {
		split(tag[i], kv, "=")
		t[kv[1]] = kv[2]
	}
	nf = split($2, field, ",")
	delete f
	for (i = 1; i <= nf; i++) {
		split(field[i], kv, "=")
		v = kv[2]
		sub(/i$/, "", v)
		f[kv[1]] = v
	}
	ts = $3

	if (m == "kafka_consumer_lag") {
		if (ts != lag_ts) {
			if (lag_ts != "")
				print_lag()
			lag_ts = ts
			lag_sum = lag_parts = lag_known = 0
		}
		lag_parts++
		if ("lag" in f) { lag_sum += f["lag"]; lag_known++ }
		next
	}
	if (m !~ /^libvirt_/) { other++; next }
	if (lag_ts != "") {	# the lag report before this line is complete
		print_lag()
		lag_ts = ""
	}

	if (!raw_done && t["domain_name"] != "" && (m in raw_wanted)) {
		if (!raw_started) {
			print "First lines of " t["domain_name"] " as read back from Kafka (line protocol):"
			raw_dom = t["domain_name"]
			raw_started = 1
		}
		if (t["domain_name"] == raw_dom) {
			print "  " $0
			delete raw_wanted[m]
			if (length(raw_wanted) == 0)
				raw_done = 1
		}
	}

	if (gts != "" && ts > gts)
		flush_gather()
	if (gts == "")
		gts = ts
	if (ts < gts) { late++; next }
	gmetrics++
	metrics++
	where = "dc=" t["dc"] " rack=" t["rack"]
	d = t["domain_name"]
	if (!(d in seen)) { seen[d] = 1; dom[++ndom] = d }
	if (m == "libvirt_state") cur[d, "state"] = f["state"]
	else if (m == "libvirt_vcpu_total") cur[d, "vcpus"] = f["current"]
	else if (m == "libvirt_balloon") cur[d, "mem"] = f["current"]
	else if (m == "libvirt_block") {
		cur[d, "rd"] += f["rd_bytes"]
		cur[d, "wr"] += f["wr_bytes"]
	} else if (m == "libvirt_net") {
		cur[d, "rx"] += f["rx_bytes"]
		cur[d, "tx"] += f["tx_bytes"]
	}
}

function print_lag() {
	if (lag_known)
		printf "  kafka consumer lag: %d records behind on %d partitions\n", \
		    lag_sum, lag_parts
	else
		printf "  kafka consumer lag: %d partitions, no committed offset yet\n", \
		    lag_parts
	fflush()
}

END {
	flush_gather()
	if (lag_ts != "")
		print_lag()
	if (late)
		printf "(%d lines arrived after their gather was shown)\n", late
	if (other)
		printf "(%d other lines)\n", other
}
