#!/usr/bin/env bash
# Cost of virtprof's CPU-accounting programs under loopback HTTP load, beside bpftrace's
# per-thread on-CPU script, in the same run (kernel bpf_stats: run_time_ns / run_cnt).
#   scripts/bench/bpf-cost.sh [SECONDS] [CONNECTIONS]
# Prints per-program ns/event, the ratio of our sched_switch handler to bpftrace's (goal <= 0.6),
# and the accounting programs as a share of the machine's CPU time (goal <= 1%; all programs
# together: io-probes.sh).  Programs are
# picked by the prog ids each process holds (/proc/PID/fdinfo), so other virtprof instances on
# the machine do not count.  Traffic: 127.0.0.1 only.
# No -e: tests/lib.sh runs the cleanups from the EXIT trap.
set -uo pipefail
secs=${1:-10}
conns=${2:-100}
port=18190
. "$(dirname "$0")/common.sh"

# the peer: the usual bpftrace per-thread on-CPU sum
write_oncpu_bt "$tmp/oncpu.bt"
bpftrace "$tmp/oncpu.bt" >"$tmp/bt.out" 2>&1 &
btpid=$!
on_exit "kill -INT $btpid"
"$VIRTPROF" top 1 --no-io --json >"$tmp/top.json" 2>"$tmp/top.err" &
vppid=$!
on_exit "kill -INT $vppid"

wait_for 100 bash -c "grep -q '^prog_id:' /proc/$btpid/fdinfo/* 2>/dev/null" || fail "bpftrace did not attach"
wait_for 100 bash -c "grep -q . $tmp/top.json" || fail "virtprof top did not start: $(cat "$tmp/top.err")"
ids=$(prog_ids $vppid)
btids=$(prog_ids $btpid)
before=$(prog_snap)
t0=$(date +%s.%N)
wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/" >"$tmp/wrk.out"
t1=$(date +%s.%N)
after=$(prog_snap)

jq -n --argjson d "$(prog_delta "$before" "$after" "$(jq -nc --argjson a "$ids" --argjson b "$btids" '$a + $b')")" \
	--argjson ids "$ids" --arg wall "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" --arg ncpu "$(nproc)" '
	{wall_s: ($wall|tonumber), ncpu: ($ncpu|tonumber),
	 progs: [$d[] | select(.cnt > 0) |
		.who = (.id as $i | if ($ids | index($i)) then "virtprof" else "bpftrace" end)]}' >"$tmp/delta.json"

echo "load: $(grep -E 'Requests/sec' "$tmp/wrk.out" | tr -s ' ')  (wrk -t1 -c$conns, ${secs}s, 127.0.0.1)"
printf '%-9s %-26s %12s %14s %10s\n' WHO PROGRAM EVENTS RUN-ns ns/event
jq -r '.progs | sort_by(-.ns)[] | [.who, .name, .cnt, .ns, (.ns / .cnt)] | @tsv' "$tmp/delta.json" |
	awk -F'\t' '{printf "%-9s %-26s %12d %14d %10.1f\n", $1, $2, $3, $4, $5}'
sw=$(jq '[.progs[] | select(.who == "virtprof" and (.name | test("sched_switch")))][0] | .ns / .cnt' "$tmp/delta.json")
bt=$(jq '[.progs[] | select(.who == "bpftrace" and (.name | test("sched_switch")))][0] | .ns / .cnt' "$tmp/delta.json")
acc=$(jq '([.progs[] | select(.who == "virtprof") | .ns] | add) / (.wall_s * 1e9 * .ncpu) * 100' "$tmp/delta.json")
ratio=$(awk -v a="$sw" -v b="$bt" 'BEGIN{print a/b}')
ev() { jq --arg n "$1" '[.progs[] | select(.who == "virtprof" and .name == $n)][0] | if . then .ns / .cnt else null end' "$tmp/delta.json"; }
wall=$(jq .wall_s "$tmp/delta.json")
rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.out")
# The share grows with throughput (the programs' cost per request is about constant, the
# request's CPU is what varies with the machine's load): the cost per request says it apart.
acc_req=$(jq --arg r "$rps" '([.progs[] | select(.who == "virtprof") | .ns] | add) / (($r | tonumber) * .wall_s)' "$tmp/delta.json")
echo
printf 'sched_switch: virtprof %.1f ns/event, bpftrace %.1f ns/event, ratio %.2f (goal <= 0.60)\n' \
	"$sw" "$bt" "$ratio"
printf 'virtprof accounting programs: %.3f%% of the machine (%d CPUs x %.1f s; goal <= 1%%), %.0f ns per request at %.0f requests/s\n' \
	"$acc" "$(nproc)" "$wall" "$acc_req" "$rps"
lt() { awk -v a="$1" -v b="$2" 'BEGIN{print (a <= b) ? 1 : 0}'; }
goal "accounting programs alone" "<= 1 %" \
	"$(printf '%.2f %% (%.0f ns/request at %.0fk req/s)' "$acc" "$acc_req" "$(awk -v r="$rps" 'BEGIN{print r/1000}')")" \
	"$(lt "$acc" 1)"
goal "sched_switch handler vs bpftrace on-CPU script" "<= 0.6x" \
	"$(printf '%.2fx (%.0f vs %.0f ns)' "$ratio" "$sw" "$bt")" "$(lt "$ratio" 0.6)"
for p in tp_sched_wakeup tp_softirq_entry tp_softirq_exit; do
	n=$(ev $p)
	if [ "$n" = null ]; then
		# the accounting loads the wakeup programs only where the kernel has no sched_info
		goal "$p handler" "-" "not attached (run-queue delay from sched_info)" 1
	else
		goal "$p handler" "-" "$(printf '%.0f ns/event' "$n")" 1
	fi
done
