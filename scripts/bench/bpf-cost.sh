#!/usr/bin/env bash
# Cost of virtprof's CPU-accounting programs under loopback HTTP load, beside bpftrace's
# per-thread on-CPU script, in the same run (kernel bpf_stats: run_time_ns / run_cnt).
#   scripts/bench/bpf-cost.sh [SECONDS] [CONNECTIONS]
# Prints per-program ns/event, the ratio of our sched_switch handler to bpftrace's (goal <= 0.6),
# and the accounting programs as a share of the machine's CPU time (goal <= 1%; all programs
# together: io-probes.sh).
#   scripts/bench/bpf-cost.sh [SECONDS] [CONNECTIONS] light [ROUNDS]
# The light mode (`top --light`) beside the full mode (`top`, every program), one wrk run each,
# interleaved (the order alternates per round), ROUNDS rounds (default 3): per mode the programs'
# ns per request and share of the machine (bpf_stats over /proc/stat's CPU time), the agent's own
# process (/proc/PID/stat) and the sum, median [min..max]; goal for light: <= 0.3 % (issue 21).
# Programs are picked by the prog ids each process holds (/proc/PID/fdinfo), so other virtprof
# instances on the machine do not count.  Traffic: 127.0.0.1 only.
# No -e: tests/lib.sh runs the cleanups from the EXIT trap.
set -uo pipefail
secs=${1:-10}
conns=${2:-100}
port=18190
. "$(dirname "$0")/common.sh"

# /proc/stat's CPU time of every CPU (all columns, steal included), in clock ticks
machine_ticks() { awk '$1 == "cpu" { s = 0; for (i = 2; i <= NF; i++) s += $i; print s; exit }' /proc/stat; }
# a process's own user + system CPU time, in clock ticks (fields 14 and 15 after the comm)
proc_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# One wrk run with `virtprof top 1 --json $2` attached: a JSON line {mode, rps, wall_s,
# bpf_ns, machine_ns, agent_ns, nprogs} appended to $tmp/light.jsonl.
light_round() { # round mode-args
	local r=$1 args=$2 vp ids before after t0 t1 m0 m1 a0 a1 hz rps mode=full
	[ -n "$args" ] && mode=light
	# shellcheck disable=SC2086
	"$VIRTPROF" top 1 --json $args >"$tmp/lt.json" 2>"$tmp/lt.err" &
	vp=$!
	wait_for 100 grep -q . "$tmp/lt.json" || fail "virtprof top $args did not start: $(cat "$tmp/lt.err")"
	ids=$(prog_ids $vp)
	hz=$(getconf CLK_TCK)
	before=$(prog_snap); m0=$(machine_ticks); a0=$(proc_ticks $vp); t0=$(date +%s.%N)
	wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/" >"$tmp/wrk.out" || fail "wrk failed"
	after=$(prog_snap); m1=$(machine_ticks); a1=$(proc_ticks $vp); t1=$(date +%s.%N)
	kill -INT $vp; wait $vp 2>/dev/null
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.out")
	jq -nc --argjson d "$(prog_delta "$before" "$after" "$ids")" --arg r "$r" --arg mode "$mode" \
		--arg rps "$rps" --arg wall "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" \
		--arg m "$(( (m1 - m0) ))" --arg a "$(( (a1 - a0) ))" --arg hz "$hz" '
		{round: ($r | tonumber), mode: $mode, rps: ($rps | tonumber), wall_s: ($wall | tonumber),
		 bpf_ns: ([$d[].ns] | add), nprogs: ([$d[] | select(.cnt > 0)] | length),
		 progs: [$d[] | select(.cnt > 0) | {name, ns, cnt}],
		 machine_ns: (($m | tonumber) / ($hz | tonumber) * 1e9),
		 agent_ns: (($a | tonumber) / ($hz | tonumber) * 1e9)} |
		.requests = .rps * .wall_s |
		.bpf_ns_req = .bpf_ns / .requests | .bpf_pct = .bpf_ns / .machine_ns * 100 |
		.agent_pct = .agent_ns / .machine_ns * 100 | .total_pct = .bpf_pct + .agent_pct |
		.total_ns_req = (.bpf_ns + .agent_ns) / .requests' >>"$tmp/light.jsonl"
}

if [ "${3:-}" = light ]; then
	rounds=${4:-3}
	: >"$tmp/light.jsonl"
	for r in $(seq "$rounds"); do
		# interleaved, the order alternating: a drift of the machine's load hits both modes
		if ((r % 2)); then order="full light"; else order="light full"; fi
		for m in $order; do
			if [ $m = light ]; then light_round "$r" --light; else light_round "$r" ""; fi
		done
	done
	echo "load: wrk -t1 -c$conns, ${secs}s per run, 127.0.0.1; $rounds rounds, full and light interleaved"
	printf '%-5s %-6s %9s %6s %12s %9s %9s %9s %12s\n' ROUND MODE REQ/S PROGS BPF-ns/REQ BPF% AGENT% TOTAL% TOTAL-ns/REQ
	jq -r '[.round, .mode, .rps, .nprogs, .bpf_ns_req, .bpf_pct, .agent_pct, .total_pct, .total_ns_req] | @tsv' \
		"$tmp/light.jsonl" |
		awk -F'\t' '{printf "%-5d %-6s %9.0f %6d %12.0f %9.3f %9.3f %9.3f %12.0f\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}'
	echo "(BPF: kernel bpf_stats of the programs virtprof holds; AGENT: its process' own CPU,"
	echo " /proc/PID/stat; % of the machine: over /proc/stat's CPU time of all CPUs in the run)"
	echo
	echo "per program, median of the rounds: events per request, ns/event"
	jq -rs '[.[] | .mode as $m | .requests as $q | .progs[] | {mode: $m, name, per_req: (.cnt / $q),
		ns_ev: (.ns / .cnt)}] | group_by([.mode, .name])[] |
		(map(.per_req) | sort | .[length / 2 | floor]) as $pr | (map(.ns_ev) | sort | .[length / 2 | floor]) as $ne |
		[.[0].mode, .[0].name, $pr, $ne] | @tsv' "$tmp/light.jsonl" |
		awk -F'\t' '{printf "  %-6s %-26s %8.3f /req %8.0f ns/event\n", $1, $2, $3, $4}'
	# median [min..max] per mode of a field
	summ() { jq -rs --arg m "$1" --arg k "$2" '[.[] | select(.mode == $m) | .[$k]] | sort |
		"\(.[length / 2 | floor] | . * 1000 | round / 1000) [\(.[0] | . * 1000 | round / 1000)..\(.[-1] | . * 1000 | round / 1000)]"' \
		"$tmp/light.jsonl"; }
	echo
	for m in full light; do
		printf '%-6s programs %s ns/request, %s %% of the machine; agent %s %%; total %s %% (median [min..max])\n' \
			$m "$(summ $m bpf_ns_req)" "$(summ $m bpf_pct)" "$(summ $m agent_pct)" "$(summ $m total_pct)"
	done
	lt() { awk -v a="$1" -v b="$2" 'BEGIN{print (a <= b) ? 1 : 0}'; }
	# the goal is the programs' share, as issue 21 measured the full mode's: at goal when every
	# round is, not at goal when none is, else the rounds' spread is larger than the gap
	lo=$(jq -s '[.[] | select(.mode == "light") | .bpf_pct] | min' "$tmp/light.jsonl")
	hi=$(jq -s '[.[] | select(.mode == "light") | .bpf_pct] | max' "$tmp/light.jsonl")
	st="?"
	[ "$(lt "$hi" 0.3)" = 1 ] && st=1
	[ "$(lt "$lo" 0.3)" = 0 ] && st=0
	goal "light mode: its programs, share of the machine at full loopback load" "<= 0.3 %" \
		"$(printf '%s %% (%s ns/request; full mode %s %%, %s ns/request)' "$(summ light bpf_pct)" \
			"$(summ light bpf_ns_req)" "$(summ full bpf_pct)" "$(summ full bpf_ns_req)")" "$st"
	goal "light mode: programs + the agent's process, share of the machine" - \
		"$(printf '%s %% (full mode %s %%)' "$(summ light total_pct)" "$(summ full total_pct)")" 1
	exit 0
fi

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
