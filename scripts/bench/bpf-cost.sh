#!/usr/bin/env bash
# Cost of virtprof's accounting programs under loopback HTTP load, beside bpftrace's per-thread
# on-CPU script, in the same run (kernel bpf_stats: run_time_ns / run_cnt of every program).
#   scripts/bench/bpf-cost.sh [SECONDS] [CONNECTIONS]
# Prints per-program ns/event, the ratio of our sched_switch handler to bpftrace's, and all of
# virtprof's programs as a share of the machine's CPU time.  Traffic: 127.0.0.1 only.
set -euo pipefail
secs=${1:-10}
conns=${2:-100}
port=18190
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lib.sh"
. "$here/tests/nginx/nginx.sh"
VIRTPROF=${VIRTPROF:-$here/build/virtprof}
need_root
need_cmd wrk bpftrace bpftool jq nginx
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"

nginx_start "$port" 1 4096
sysctl -q kernel.bpf_stats_enabled=1
on_exit "sysctl -q kernel.bpf_stats_enabled=0"

# bpftrace: the usual per-thread on-CPU sum
cat >"$tmp/oncpu.bt" <<'BT'
tracepoint:sched:sched_switch
{
	if (@ts[cpu]) { @oncpu[args->prev_pid] = sum(nsecs - @ts[cpu]); }
	@ts[cpu] = nsecs;
}
END { clear(@ts); clear(@oncpu); }
BT
bpftrace "$tmp/oncpu.bt" >"$tmp/bt.out" 2>&1 &
btpid=$!
on_exit "kill -INT $btpid 2>/dev/null"
"$VIRTPROF" top 1 --json >"$tmp/top.json" 2>"$tmp/top.err" &
vppid=$!
on_exit "kill -INT $vppid 2>/dev/null"
sleep 3 # both attached

snap() { bpftool prog show --json | jq -c '[.[] | select(.run_cnt != null) | {id, name, run_time_ns, run_cnt}]'; }
before=$(snap)
t0=$(date +%s.%N)
wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/" >"$tmp/wrk.out"
t1=$(date +%s.%N)
after=$(snap)
kill -INT $vppid $btpid 2>/dev/null || true
wait $vppid 2>/dev/null || true

ncpu=$(nproc)
vp_ids=$(bpftool prog show --json 2>/dev/null | jq -r --arg p "$vppid" '.[] | select(.pids != null) |
	select(any(.pids[]; .pid == ($p|tonumber))) | .id' || true)
jq -n --argjson b "$before" --argjson a "$after" --arg wall "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" \
	--arg ncpu "$ncpu" --arg vp "$vppid" --arg bt "$btpid" '
	def delta: . as $x | ($b | map(select(.id == $x.id)) | first) as $y |
		{id: $x.id, name: $x.name, ns: ($x.run_time_ns - ($y.run_time_ns // 0)),
		 cnt: ($x.run_cnt - ($y.run_cnt // 0))};
	[$a[] | delta | select(.cnt > 0)] as $d |
	{wall_s: ($wall|tonumber), ncpu: ($ncpu|tonumber), progs: $d}' >"$tmp/delta.json"

echo "load: $(grep -E 'Requests/sec' "$tmp/wrk.out")  (wrk -c$conns, ${secs}s, 127.0.0.1)"
printf '%-28s %12s %14s %10s\n' PROGRAM EVENTS RUN-ns ns/event
jq -r '.progs[] | [.name, .cnt, .ns, (.ns / .cnt | . * 10 | round / 10)] | @tsv' "$tmp/delta.json" |
	sort -k3 -n -r | awk -F'\t' '{printf "%-28s %12d %14d %10.1f\n", $1, $2, $3, $4}'
ours=$(jq '[.progs[] | select(.name | startswith("tp_") or startswith("raw_"))] | {ns: (map(.ns) | add), cnt: (map(.cnt)|add)}' "$tmp/delta.json")
sw=$(jq '[.progs[] | select(.name == "tp_sched_switch" or .name == "raw_sched_switch")][0] | .ns / .cnt' "$tmp/delta.json")
bt=$(jq '[.progs[] | select(.name | test("sched_switch")) | select((.name | startswith("tp_") or startswith("raw_")) | not)][0] | .ns / .cnt' "$tmp/delta.json")
share=$(jq --argjson o "$ours" '$o.ns / (.wall_s * 1e9 * .ncpu) * 100' "$tmp/delta.json")
echo
printf 'sched_switch: virtprof %.1f ns/event, bpftrace %.1f ns/event, ratio %.2f (goal <= 0.60)\n' \
	"$sw" "$bt" "$(awk -v a="$sw" -v b="$bt" 'BEGIN{print a/b}')"
printf 'all virtprof accounting programs: %.3f%% of the machine (%d CPUs x %.1f s) (goal <= 1%%)\n' \
	"$share" "$ncpu" "$(jq .wall_s "$tmp/delta.json")"
