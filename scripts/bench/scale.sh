#!/usr/bin/env bash
# virtprof's own cost against the size of the host (issue 21): its userspace CPU per 1 s interval
# (% of one CPU) and its RSS, with `virtprof top 1 --json` running, for
#   - a process of N threads each waking every SCALE_PERIOD_MS (default 100: ten times a second),
#     N in SCALE_THREADS (default "1000 10000 100000");
#   - N cgroups each holding one sleeping process, N in SCALE_CGROUPS (default "10 100 1000"):
#     plain cgroups, not docker containers (starting 1,000 containers is too heavy for a small
#     machine); they are not targets (discovery finds docker's), so this measures a host with
#     that many cgroups and processes, attributed as other;
#   - N containers each holding one sleeping process, N in SCALE_CTRS (default "10 100 1000"),
#     made by hand in the layouts discovery knows (half podman's machine.slice/libpod-<id>.scope,
#     half Kubernetes' cgroupfs kubepods/burstable/pod<uid>/<id>, on v2 and the v1 cpu
#     hierarchy, as tests/e2e/serve_discover.sh does): every one is a target, found, re-checked
#     and given the kernel's figure every interval.  The "targets" column says how many top had.
# Per size: SCALE_SECS seconds (default 10) measured after the first two intervals (loading the
# programs and the first sight of every thread are not in the figure).  pid_max and
# vm.max_map_count are raised for the run when the threads need it, and restored.  The helper
# runs in a cpu cgroup of its own: how many of its threads run each second is what that group
# gets of the machine (the "rows per interval" column says how many ran).
# The peer, on the same host right after virtprof: procps `top -b -H -d 1`, the per-thread view
# of the same host (it reads every thread's /proc stat each second), its CPU over SECS seconds
# after its first two refreshes.
# Goals: <= 2 % of one CPU at 10,000 threads, <= 10 % at 100,000; RSS <= 200 MB at 100,000.
# Usage: scripts/bench/scale.sh   (root; build first)
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPO=$here
. "$here/tests/lib.sh"
VIRTPROF=${VIRTPROF:-$here/build/virtprof}
TW=$here/${VIRTPROF_BUILD:-build}/tests/helpers/threads_wake
need_root
need_cmd jq
[ -x "$VIRTPROF" ] || fail "$VIRTPROF not built"
[ -x "$TW" ] || fail "$TW not built (make tests-build)"
THREADS=${SCALE_THREADS:-1000 10000 100000}
CGROUPS=${SCALE_CGROUPS:-10 100 1000}
CTRS=${SCALE_CTRS:-10 100 1000}
PERIOD=${SCALE_PERIOD_MS:-100}
SECS=${SCALE_SECS:-10}
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
hz=$(getconf CLK_TCK)

host_threads() { cut -d' ' -f4 /proc/loadavg | cut -d/ -f2; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# start_top: `virtprof top 1 --json` in the background ($tp), its output in $tmp/top.json
start_top() {
	"$VIRTPROF" top 1 --json --max-threads "${SCALE_MAX_THREADS:-131072}" >"$tmp/top.json" 2>"$tmp/top.err" &
	tp=$!
}
# measure LABEL: $tp measured for SECS seconds from its third interval on; one table row
measure() {
	local label=$1 t0 c0 c1 t1 rss hwm cov drops rows ht skip ntg peer
	if ! wait_for 1200 bash -c "[ \$(wc -l <'$tmp/top.json') -ge 2 ]"; then
		kill -INT $tp; wait $tp
		echo "| $label | top did not print two intervals in 120 s: $(tail -n 1 "$tmp/top.err") |"
		return
	fi
	skip=$(wc -l <"$tmp/top.json")
	t0=$(date +%s%N)
	c0=$(cpu_ticks $tp)
	sleep "$SECS"
	c1=$(cpu_ticks $tp)
	t1=$(date +%s%N)
	ht=$(cut -d' ' -f4 /proc/loadavg | cut -d/ -f2) # threads on the host
	rss=$(status_kb $tp VmRSS)
	hwm=$(status_kb $tp VmHWM)
	kill -INT $tp
	wait $tp
	peer=$(peer_cpu)
	# the intervals inside the window: coverage range, drops, rows (threads that ran) per interval
	# an interval without a boundary has coverage n/a (null): counted, not a number
	cov=$(jq -s -r --argjson k "$skip" '.[$k:] | [.[].coverage[0].coverage_pct] as $c |
		($c | map(select(. != null))) as $v | (($c | length) - ($v | length)) as $na |
		(if ($v | length) > 0 then "\($v | min | floor)-\($v | max | ceil)" else "n/a" end) +
		(if $na > 0 then " (\($na) n/a)" else "" end)' "$tmp/top.json")
	drops=$(jq -s --argjson k "$skip" '[.[$k:][] | .drops[].count] | add // 0' "$tmp/top.json")
	rows=$(jq -s --argjson k "$skip" '[.[$k:][] | [(.entities // [])[].threads] | add] | max' "$tmp/top.json")
	ntg=$(jq -s --argjson k "$skip" '[.[$k:][] | (.targets // []) | length] | min' "$tmp/top.json")
	awk -v l="$label" -v ht="$ht" -v c="$((c1 - c0))" -v hz="$hz" \
		-v w="$(((t1 - t0) / 1000000))" -v rss="$rss" -v hwm="$hwm" -v cov="$cov" \
		-v d="$drops" -v rows="$rows" -v ntg="$ntg" -v peer="$peer" 'BEGIN {
		printf "| %s | %d | %d | %d | %.1f | %.0f | %.0f | %s | %d | %s |\n", l, ht, rows, ntg,
			100 * c / hz / (w / 1000), rss / 1024, hwm / 1024, cov, d, peer }'
}
# The peer's CPU (% of one CPU) over SECS seconds on the host as it is now.
peer_cpu() {
	local p c0 c1 t0 t1
	command -v top >/dev/null || { echo "n/a (no procps top)"; return; }
	top -b -H -d 1 -w 512 >/dev/null 2>&1 &
	p=$!
	sleep 2.5 # its first two refreshes
	c0=$(cpu_ticks $p) t0=$(date +%s%N)
	sleep "$SECS"
	c1=$(cpu_ticks $p) t1=$(date +%s%N)
	kill $p
	wait $p 2>/dev/null
	awk -v c="$((c1 - c0))" -v hz="$hz" -v w="$(((t1 - t0) / 1000000))" \
		'BEGIN { printf "%.1f", 100 * c / hz / (w / 1000) }'
}

echo "virtprof $(git -C "$here" rev-parse --short HEAD 2>/dev/null), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), ${SECS}s per size, threads waking every ${PERIOD} ms"
echo
echo "| host | threads on the host | rows per interval (max) | targets (min) | virtprof CPU, % of one CPU | RSS MB | peak RSS MB | coverage % | drops | peer: top -b -H -d 1, % of one CPU |"
echo "|---|---|---|---|---|---|---|---|---|---|"

old_pid_max=$(cat /proc/sys/kernel/pid_max)
old_maps=$(cat /proc/sys/vm/max_map_count)
on_exit "echo $old_pid_max >/proc/sys/kernel/pid_max; echo $old_maps >/proc/sys/vm/max_map_count"
cpu_cgroup vp-scale-bench-tw-$$
start_top
measure "idle (no helper)"
for n in $THREADS; do
	need=$(($(host_threads) + n + 4096))
	if [ "$need" -gt "$(cat /proc/sys/kernel/threads-max)" ]; then
		echo "| $n threads | skipped: threads-max $(cat /proc/sys/kernel/threads-max) < $need |"
		continue
	fi
	[ "$need" -gt "$(cat /proc/sys/kernel/pid_max)" ] && echo "$need" >/proc/sys/kernel/pid_max
	# every thread's stack is two mappings (stack and guard page)
	[ $((2 * n + 4096)) -gt "$(cat /proc/sys/vm/max_map_count)" ] &&
		echo $((2 * n + 4096)) >/proc/sys/vm/max_map_count
	rm -f "$tmp/tw.out" # no "ready" of the previous size
	# top first: every thread's facts then come from its creation (the thread table holds all
	# of them), whether or not the machine gets to run it in the window
	start_top
	wait_for 1200 bash -c "[ \$(wc -l <'$tmp/top.json') -ge 1 ]"
	# in a cpu cgroup of its own, so that the storm competes as one group (virtprof is one task)
	cg_exec "$CPU_CG" "$TW" "$n" $((SECS + 600)) "$PERIOD" >"$tmp/tw.out" 2>"$tmp/tw.err" &
	tw=$!
	if ! wait_for 3000 grep -q ready "$tmp/tw.out"; then
		echo "| $n threads | skipped: the helper did not start them in 300 s: $(cat "$tmp/tw.err") |"
		kill $tw; wait $tw
		kill -INT $tp; wait $tp
		continue
	fi
	measure "$n threads"
	kill $tw
	wait $tw
	echo "$old_pid_max" >/proc/sys/kernel/pid_max
	echo "$old_maps" >/proc/sys/vm/max_map_count
done

cg2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
cg1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ {print $2; exit}' /proc/mounts)
if [ -z "$cg2" ]; then
	echo "| cgroups | skipped: no cgroup2 mount |"
	exit 0
fi
base=$cg2/vp-scale-bench-$$
mkdir "$base" || fail "mkdir $base"
pids=()
cleanup_cgroups() {
	local p d
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for d in "$base"/cg-*; do [ -d "$d" ] && rmdir "$d"; done
	rmdir "$base"
}
on_exit cleanup_cgroups
made=0
for n in $CGROUPS; do
	while [ "$made" -lt "$n" ]; do
		mkdir "$base/cg-$made" || fail "mkdir $base/cg-$made"
		sleep 100000 &
		pids+=($!)
		echo $! >"$base/cg-$made/cgroup.procs" || fail "move into $base/cg-$made"
		made=$((made + 1))
	done
	start_top
	measure "$n cgroups, a sleeping process in each"
done
cleanup_cgroups
pids=()

# containers discovery finds: podman's and Kubernetes' cgroup layouts, made by hand
ctr_dirs=()
cleanup_ctrs() {
	local p d
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for ((d = ${#ctr_dirs[@]} - 1; d >= 0; d--)); do rmdir "${ctr_dirs[d]}" 2>/dev/null; done
}
on_exit cleanup_ctrs
# mkdir_once DIR: made here, removed at exit (parents before they are made, so after children)
mkdir_once() { [ -d "$1" ] || { mkdir "$1" && ctr_dirs+=("$1"); }; }
for h in "$cg2" ${cg1:+"$cg1"}; do
	for d in machine.slice kubepods kubepods/burstable; do mkdir_once "$h/$d" || fail "mkdir $h/$d"; done
done
made=0
for n in $CTRS; do
	while [ "$made" -lt "$n" ]; do
		id=$(printf 'bec%08d%053d' "$made" $$ | cut -c1-64) # 64 hex digits
		uid=$(printf '%08x-0000-4000-8000-%012d' $$ "$made")
		sleep 100000 &
		pids+=($!)
		for h in "$cg2" ${cg1:+"$cg1"}; do
			if ((made % 2)); then
				mkdir_once "$h/kubepods/burstable/pod$uid" || fail "mkdir pod$uid"
				d=$h/kubepods/burstable/pod$uid/$id
			else
				d=$h/machine.slice/libpod-$id.scope
			fi
			mkdir_once "$d" || fail "mkdir $d"
			echo $! >"$d/cgroup.procs" || fail "move into $d"
		done
		made=$((made + 1))
	done
	start_top
	measure "$n containers (podman + kubepods layouts), a sleeping process in each"
done
