#!/usr/bin/env bash
# End-to-end cost of the probes, as a user sees it: wrk's requests/s against the same loopback
# nginx with nothing attached, with `virtprof top` (every probe, kernel bpf_stats off) and with
# bpftrace's per-thread on-CPU script, the three modes interleaved ROUNDS times (the order rotating)
# so that drift on a shared machine hits them alike.  Per mode: median, min and max requests/s and
# the spread ((max - min) / median); then the throughput kept, paired by round, with its 95 %
# interval: a 1 % effect is resolved only when the interval excludes it -- the script says which.
#   scripts/bench/overhead.sh [SECONDS] [ROUNDS] [CONNECTIONS]   (default 5 s, 9 rounds, 100)
# Goal: virtprof keeps >= 99 % of the unattached throughput, and more than bpftrace does.
# kernel.bpf_stats_enabled is 0 during the runs (it adds two clock reads to every program run)
# and restored at exit.  Traffic: 127.0.0.1 only.
set -uo pipefail
secs=${1:-5}
rounds=${2:-9}
conns=${3:-100}
port=18192
. "$(dirname "$0")/common.sh"
sysctl -q kernel.bpf_stats_enabled=0
write_oncpu_bt "$tmp/oncpu.bt"

attached() { grep -q '^prog_id:' /proc/$1/fdinfo/* 2>/dev/null; }
run() { # mode -> requests/s of one wrk run
	local pid=
	case $1 in
	virtprof | virtprof-noio)
		local extra=(); [ $1 = virtprof-noio ] && extra=(--no-io)
		: >"$tmp/top.json"
		VIRTPROF_BPF_STATS=0 "$VIRTPROF" top 1 --json "${extra[@]}" >"$tmp/top.json" 2>"$tmp/top.err" &
		pid=$!
		wait_for 100 bash -c "grep -q . $tmp/top.json" ||
			fail "virtprof top did not start: $(cat "$tmp/top.err")"
		;;
	bpftrace)
		bpftrace "$tmp/oncpu.bt" >"$tmp/bt.out" 2>&1 &
		pid=$!
		wait_for 100 attached $pid || fail "bpftrace did not attach: $(cat "$tmp/bt.out")"
		;;
	floor)
		"$here/build/tests/helpers/probe_floor" 600 >"$tmp/floor.out" 2>&1 &
		pid=$!
		wait_for 100 grep -q attached "$tmp/floor.out" || fail "probe_floor: $(cat "$tmp/floor.out")"
		;;
	esac
	wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/" | awk '/^Requests\/sec:/ {print $2}'
	if [ -n "$pid" ]; then
		# bpftrace 0.17 has been seen to ignore a SIGINT that came right after it attached
		kill -INT $pid
		(sleep 10 && kill -TERM $pid 2>/dev/null) &
		wait $pid 2>/dev/null
		kill $! 2>/dev/null
	fi
}

# OVERHEAD_MODES adds the breakdown: virtprof-noio (the accounting programs alone, top --no-io)
# and floor (bpf/floor.bpf.c's empty and one-timestamp programs, no virtprof).
read -ra modes <<<"${OVERHEAD_MODES:-none virtprof bpftrace}"
[ "${modes[0]}" = none ] || fail "OVERHEAD_MODES must start with none"
n=${#modes[@]}
# The order rotates each round, so a drift of the machine's load does not favour one mode.
for r in $(seq "$rounds"); do
	for i in $(seq 0 $((n - 1))); do
		m=${modes[$(((i + r) % n))]}
		echo "$r $m $(run $m)" >>"$tmp/rps"
	done
done

stats() { # mode -> "median min max" of its requests/s
	awk -v m="$1" '$2 == m {print $3}' "$tmp/rps" | sort -g |
		awk '{v[NR] = $1} END {med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
			print med, v[1], v[NR]}'
}
# Paired: each round's attached run against the same round's unattached one.  The median of
# those ratios, and its 95 % interval by the notch rule (median +- 1.57 IQR / sqrt(n), McGill et
# al. 1978): a goal outside the interval is resolved, one inside it is not.
paired() { # mode -> "median lo hi" of the per-round ratios, in %
	awk -v m="$1" '$2 == "none" {b[$1] = $3} $2 == m {a[$1] = $3}
		END {for (r in a) if (b[r] > 0) print a[r] / b[r] * 100}' "$tmp/rps" | sort -g |
		awk 'function q(p,  x, i) {x = 1 + (NR - 1) * p; i = int(x); return v[i] + (x - i) * (v[i + 1] - v[i])}
			{v[NR] = $1} END {v[NR + 1] = v[NR]; med = q(0.5); h = 1.57 * (q(0.75) - q(0.25)) / sqrt(NR);
			printf "%.1f %.1f %.1f\n", med, med - h, med + h}'
}
read -r base _ _ < <(stats none)
echo "wrk -t1 -c$conns, ${secs}s per run, $rounds interleaved rounds, 127.0.0.1 (requests/s)"
printf '%-14s %10s %10s %10s %8s %22s\n' MODE MEDIAN MIN MAX SPREAD "KEPT (paired, 95% CI)"
for m in "${modes[@]}"; do
	read -r med lo hi < <(stats $m)
	kept=-
	[ $m != none ] && kept=$(paired $m | awk '{printf "%.1f%% (%.1f-%.1f)", $1, $2, $3}')
	awk -v m="$m" -v med="$med" -v lo="$lo" -v hi="$hi" -v k="$kept" 'BEGIN {
		printf "%-14s %10.0f %10.0f %10.0f %7.1f%% %22s\n", m, med, lo, hi, (hi - lo) / med * 100, k }'
done
# the goal rows need both of their modes
[[ " ${modes[*]} " == *" virtprof "* && " ${modes[*]} " == *" bpftrace "* ]] || exit 0
read -r pct plo phi < <(paired virtprof)
read -r tpct tlo thi < <(paired bpftrace)
st=$(awk -v lo="$plo" -v hi="$phi" 'BEGIN {print (lo >= 99 ? 1 : (hi < 99 ? 0 : "?"))}')
note="resolved"; [ "$st" = "?" ] && note="not resolvable: 99 % is inside the interval"
echo "virtprof top keeps $pct% of the unattached throughput (95% CI $plo-$phi%, $note); bpftrace $tpct% ($tlo-$thi%)"
goal "wrk throughput with virtprof top attached (all probes), vs none" ">= 99 %" \
	"$pct % (95% CI $plo-$phi; bpftrace $tpct %)" "$st"
# resolved only when the two intervals do not overlap, whichever median is higher
goal "virtprof top vs bpftrace on-CPU script, throughput kept" "more than bpftrace" \
	"$pct % vs $tpct %" "$(awk -v a="$plo" -v b="$phi" -v c="$tlo" -v d="$thi" \
		'BEGIN {print (a > d) ? 1 : (b < c ? 0 : "?")}')"
