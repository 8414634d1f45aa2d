#!/usr/bin/env bash
# virtprof's own cost against the size of the host (issue 21): its userspace CPU per 1 s interval
# (% of one CPU) and its RSS, with `virtprof top 1 --json` running, for
#   - a process of N threads each waking every SCALE_PERIOD_MS (default 100: ten times a second),
#     N in SCALE_THREADS (default "1000 10000 100000");
#   - N cgroups each holding one sleeping process, N in SCALE_CGROUPS (default "10 100 1000"):
#     plain cgroups, not docker containers (starting 1,000 containers is too heavy for a small
#     machine); they are not targets (discovery finds docker's), so this measures a host with
#     that many cgroups and processes, attributed as other.
# Per size: SCALE_SECS seconds (default 10) measured after the first two intervals (loading the
# programs and the first sight of every thread are not in the figure).  pid_max is raised for
# the run when the threads need it, and restored.
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
PERIOD=${SCALE_PERIOD_MS:-100}
SECS=${SCALE_SECS:-10}
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
hz=$(getconf CLK_TCK)

host_threads() { ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | wc -l; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# measure LABEL: top running SECS seconds after its first two intervals; prints one table row
measure() {
	local label=$1 tp t0 c0 c1 t1 rss hwm cov drops rows
	"$VIRTPROF" top 1 --json --max-threads "${SCALE_MAX_THREADS:-131072}" >"$tmp/top.json" 2>"$tmp/top.err" &
	tp=$!
	if ! wait_for 1200 bash -c "[ \$(wc -l <'$tmp/top.json') -ge 2 ]"; then
		kill -INT $tp; wait $tp
		echo "| $label | top did not print two intervals in 120 s: $(tail -n 1 "$tmp/top.err") |"
		return
	fi
	t0=$(date +%s%N)
	c0=$(cpu_ticks $tp)
	sleep "$SECS"
	c1=$(cpu_ticks $tp)
	t1=$(date +%s%N)
	rss=$(status_kb $tp VmRSS)
	hwm=$(status_kb $tp VmHWM)
	kill -INT $tp
	wait $tp
	# the intervals inside the window: coverage range, drops, rows (threads that ran) per interval
	cov=$(jq -s -r '.[2:] | [.[].coverage[0].coverage_pct] | "\(min | floor)-\(max | ceil)"' "$tmp/top.json")
	drops=$(jq -s '[.[2:][] | .drops[].count] | add // 0' "$tmp/top.json")
	rows=$(jq -s '[.[2:][] | [.entities[].threads] | add] | max' "$tmp/top.json")
	awk -v l="$label" -v ht="$(host_threads)" -v c="$((c1 - c0))" -v hz="$hz" \
		-v w="$(((t1 - t0) / 1000000))" -v rss="$rss" -v hwm="$hwm" -v cov="$cov" \
		-v d="$drops" -v rows="$rows" 'BEGIN {
		printf "| %s | %d | %d | %.1f | %.0f | %.0f | %s | %d |\n", l, ht, rows,
			100 * c / hz / (w / 1000), rss / 1024, hwm / 1024, cov, d }'
}

echo "virtprof $(git -C "$here" rev-parse --short HEAD 2>/dev/null), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), ${SECS}s per size, threads waking every ${PERIOD} ms"
echo
echo "| host | threads on the host | rows per interval (max) | virtprof CPU, % of one CPU | RSS MB | peak RSS MB | coverage % | drops |"
echo "|---|---|---|---|---|---|---|---|"

old_pid_max=$(cat /proc/sys/kernel/pid_max)
on_exit "echo $old_pid_max >/proc/sys/kernel/pid_max"
cg=$(cpu_cgroup vp-scale-bench-tw-$$)
measure "idle (no helper)"
for n in $THREADS; do
	need=$(($(host_threads) + n + 4096))
	if [ "$need" -gt "$(cat /proc/sys/kernel/threads-max)" ]; then
		echo "| $n threads | skipped: threads-max $(cat /proc/sys/kernel/threads-max) < $need |"
		continue
	fi
	[ "$need" -gt "$(cat /proc/sys/kernel/pid_max)" ] && echo "$need" >/proc/sys/kernel/pid_max
	# in a cpu cgroup of its own, so that the storm competes as one group (virtprof is one task)
	cg_exec "$cg" "$TW" "$n" $((SECS + 600)) "$PERIOD" >"$tmp/tw.out" 2>"$tmp/tw.err" &
	tw=$!
	if ! wait_for 3000 grep -q ready "$tmp/tw.out"; then
		echo "| $n threads | skipped: the helper did not start them in 300 s: $(cat "$tmp/tw.err") |"
		kill $tw; wait $tw
		continue
	fi
	measure "$n threads"
	kill $tw
	wait $tw
	echo "$old_pid_max" >/proc/sys/kernel/pid_max
done

cg2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
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
	measure "$n cgroups, a sleeping process in each"
done
