#!/usr/bin/env bash
# End-to-end cost of the probes, as a user sees it: wrk's requests/s against the same loopback
# nginx with nothing attached, with `virtprof top` (every probe, kernel bpf_stats off) and with
# bpftrace's per-thread on-CPU script, the three modes interleaved ROUNDS times so that drift on a
# shared machine hits them alike.  Per mode: median, min and max requests/s and the spread
# ((max - min) / median); then each mode's median against the unattached one.  The cost is
# resolvable only when it is larger than the spread -- the script says which.
#   scripts/bench/overhead.sh [SECONDS] [ROUNDS] [CONNECTIONS]   (default 5 s, 5 rounds, 100)
# Goal: virtprof keeps >= 99 % of the unattached throughput, and more than bpftrace does.
# kernel.bpf_stats_enabled is 0 during the runs (it adds two clock reads to every program run)
# and restored at exit.  Traffic: 127.0.0.1 only.
set -uo pipefail
secs=${1:-5}
rounds=${2:-5}
conns=${3:-100}
port=18192
. "$(dirname "$0")/common.sh"
sysctl -q kernel.bpf_stats_enabled=0
write_oncpu_bt "$tmp/oncpu.bt"

attached() { grep -q '^prog_id:' /proc/$1/fdinfo/* 2>/dev/null; }
run() { # mode -> requests/s of one wrk run
	local pid=
	case $1 in
	virtprof)
		VIRTPROF_BPF_STATS=0 "$VIRTPROF" top 1 --json >"$tmp/top.json" 2>"$tmp/top.err" &
		pid=$!
		wait_for 100 bash -c "grep -q . $tmp/top.json" ||
			fail "virtprof top did not start: $(cat "$tmp/top.err")"
		;;
	bpftrace)
		bpftrace "$tmp/oncpu.bt" >"$tmp/bt.out" 2>&1 &
		pid=$!
		wait_for 100 attached $pid || fail "bpftrace did not attach: $(cat "$tmp/bt.out")"
		;;
	esac
	wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/" | awk '/^Requests\/sec:/ {print $2}'
	if [ -n "$pid" ]; then
		kill -INT $pid
		wait $pid 2>/dev/null
	fi
}

modes=(none virtprof bpftrace)
for r in $(seq "$rounds"); do
	for m in "${modes[@]}"; do
		echo "$m $(run $m)" >>"$tmp/rps"
	done
done

stats() { # mode -> "median min max"
	awk -v m="$1" '$1 == m {print $2}' "$tmp/rps" | sort -g |
		awk '{v[NR] = $1} END {med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
			print med, v[1], v[NR]}'
}
read -r base bmin bmax < <(stats none)
echo "wrk -t1 -c$conns, ${secs}s per run, $rounds interleaved rounds, 127.0.0.1 (requests/s)"
printf '%-9s %10s %10s %10s %8s %10s\n' MODE MEDIAN MIN MAX SPREAD VS-NONE
for m in "${modes[@]}"; do
	read -r med lo hi < <(stats $m)
	awk -v m="$m" -v med="$med" -v lo="$lo" -v hi="$hi" -v b="$base" 'BEGIN {
		printf "%-9s %10.0f %10.0f %10.0f %7.1f%% %9.1f%%\n", m, med, lo, hi,
			(hi - lo) / med * 100, med / b * 100 }'
done
read -r vmed vmin vmax < <(stats virtprof)
read -r tmed _ _ < <(stats bpftrace)
# the noise: the wider of the two modes' spreads
spread=$(awk -v lo="$bmin" -v hi="$bmax" -v b="$base" -v vlo="$vmin" -v vhi="$vmax" -v v="$vmed" \
	'BEGIN {s = (hi - lo) / b; t = (vhi - vlo) / v; printf "%.1f", (s > t ? s : t) * 100}')
pct=$(awk -v v="$vmed" -v b="$base" 'BEGIN {printf "%.1f", v / b * 100}')
tpct=$(awk -v v="$tmed" -v b="$base" 'BEGIN {printf "%.1f", v / b * 100}')
note=$(awk -v p="$pct" -v s="$spread" 'BEGIN {d = 100 - p; if (d < 0) d = -d;
	print (d > s) ? "resolved" : "not resolvable: within the runs'"'"' spread of " s "%"}')
echo "virtprof top keeps $pct% of the unattached throughput ($note); bpftrace $tpct%"
goal "wrk throughput with virtprof top attached (all probes), vs none" ">= 99 %" \
	"$pct % (bpftrace $tpct %; spread $spread %)" \
	"$(awk -v p="$pct" -v s="$spread" 'BEGIN {print (p - s >= 99 ? 1 : (p + s < 99 ? 0 : "?"))}')"
goal "virtprof top vs bpftrace on-CPU script, throughput kept" "more than bpftrace" \
	"$pct % vs $tpct %" "$(awk -v p="$pct" -v t="$tpct" 'BEGIN {print (p >= t) ? 1 : 0}')"
