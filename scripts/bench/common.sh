# Shared set-up of the BPF benchmarks (source it from scripts/bench/*.sh, after setting `port`):
# the test helpers, a throw-away nginx on 127.0.0.1:$port, kernel bpf_stats on (restored at exit),
# $tmp, and prog_ids PID -- the BPF programs a process holds (bpftool here lists no pids).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPO=$here
. "$here/tests/lib.sh"
. "$here/tests/nginx/nginx.sh"
. "$here/scripts/bench/goal.sh"
VIRTPROF=${VIRTPROF:-$here/build/virtprof}
need_root
need_cmd wrk bpftrace bpftool jq nginx
[ -x "$VIRTPROF" ] || fail "$VIRTPROF not built"
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"

nginx_start "$port" 1 4096
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q kernel.bpf_stats_enabled=1 || fail "cannot enable kernel.bpf_stats_enabled"
on_exit "sysctl -q kernel.bpf_stats_enabled=$old_stats"

prog_ids() { grep -h '^prog_id:' /proc/$1/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un | jq -sc .; }

# Every BPF program's run time and runs so far (kernel bpf_stats), as JSON.
prog_snap() {
	bpftool prog show --json |
		jq -c '[.[] | {id, name, run_time_ns: (.run_time_ns // 0), run_cnt: (.run_cnt // 0)}]'
}
# The programs whose ids are in $3 (a JSON array) between snapshots $1 and $2: [{id, name, ns, cnt}].
prog_delta() {
	jq -nc --argjson b "$1" --argjson a "$2" --argjson ids "$3" '[$a[] |
		select(.id as $i | $ids | index($i)) | . as $x | ($b | map(select(.id == $x.id)) | first) as $y |
		{id, name, ns: (.run_time_ns - ($y.run_time_ns // 0)), cnt: (.run_cnt - ($y.run_cnt // 0))}]'
}

# The peer: the usual bpftrace per-thread on-CPU sum, written to $1.
write_oncpu_bt() {
	cat >"$1" <<'BT'
tracepoint:sched:sched_switch
{
	if (@ts[cpu]) { @oncpu[args->prev_pid] = sum(nsecs - @ts[cpu]); }
	@ts[cpu] = nsecs;
}
END { clear(@ts); clear(@oncpu); }
BT
}
