#!/usr/bin/env bash
# A host with many threads (issue 21): one process of 20,000 threads each waking every 100 ms.
#  - `virtprof top 1 3 --json` ends on time, every interval at 100 +- 1 % coverage, no drops.
#    Every thread's facts reach the thread table (recorded at its creation, whether it runs or
#    not): before issue 21 a table of 20,000 spun forever.  How many of them run each second
#    depends on the machine (a busy 2-CPU VM serves a few thousand wakeups a second, not 200,000).
#  - a map filled on purpose (--max-threads 128): the loss is in the drops rows, top still ends
#    on time, and SIGINT ends an endless top within one interval.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq
[ -x "$VIRTPROF" ] || skip "$VIRTPROF not built"
TW=$REPO/${VIRTPROF_BUILD:-build}/tests/helpers/threads_wake
[ -x "$TW" ] || skip "$TW not built"
N=${SCALE_THREADS:-20000}
pid_max=$(cat /proc/sys/kernel/pid_max)
threads_max=$(cat /proc/sys/kernel/threads-max)
nthreads=$(ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | wc -l)
[ $((nthreads + N + 2000)) -le "$threads_max" ] || skip "threads-max $threads_max is too low"
# pid_max raised for the test when the threads need it (other work here may hold thousands)
if [ $((nthreads + N + 4096)) -gt "$pid_max" ]; then
	echo $((nthreads + N + 4096)) >/proc/sys/kernel/pid_max || skip "cannot raise pid_max"
	on_exit "echo $pid_max >/proc/sys/kernel/pid_max"
fi
# each thread's stack is two mappings (stack, guard page)
maps=$(cat /proc/sys/vm/max_map_count)
if [ $((2 * N + 4096)) -gt "$maps" ]; then
	echo $((2 * N + 4096)) >/proc/sys/vm/max_map_count || skip "cannot raise vm.max_map_count"
	on_exit "echo $maps >/proc/sys/vm/max_map_count"
fi

tmp=$(mktemp -d)
on_exit "rm -rf $tmp"

# --- bad sizes: one line, exit 2, before any probe ---
for args in "top --max-threads 10" "top --max-threads x" "serve --max-threads 99999999" \
	"run --url http://127.0.0.1:9/ --max-threads 0"; do
	# shellcheck disable=SC2086
	"$VIRTPROF" $args >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "$args: exit $rc, want 2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "max-threads" "$tmp/err" ||
		fail "$args: want one line naming --max-threads: $(cat "$tmp/err")"
done
# lines_within FILE N SECS: FILE has N lines within SECS seconds (by the clock: on a machine this
# busy a poll loop's own steps take long)
lines_within() {
	local end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# jq: per interval, coverage, the helper's threads seen, and the sum of the drops
summary='[.coverage[0].coverage_pct, ([.entities[] | select(.role == "threads_wake") | .threads] | add // 0), ([.drops[].count] | add)]'
# full_and_no_drops FILE WHEN: every interval of FILE at 100 +- 1 % coverage and without drops
full_and_no_drops() {
	local cov seen drops
	jq -c "$summary" "$1"
	while read -r cov seen drops; do
		assert_ge "$cov" 99 "coverage $2"
		assert_le "$cov" 101 "coverage $2"
		assert_eq "$drops" 0 "drops $2"
	done < <(jq -r "$summary | @tsv" "$1")
}

# --- top watching while the threads are made: each one's facts reach the thread table at its
# creation, the 20,000 in one or two 5 s intervals (one batch of thousands: the table that was
# doubled once per batch and spun forever) ---
"$VIRTPROF" top 5 --json >"$tmp/live.json" 2>"$tmp/live.err" &
tp=$!
on_exit "kill -9 $tp"
lines_within "$tmp/live.json" 1 30 || fail "no first interval within 30 s: $(tail -n 2 "$tmp/live.err")"
# The helper is bounded: it ends by itself 90 s after its last thread started, or at our exit.
# In a cpu cgroup of its own: 200,000 wakeups a second would otherwise starve everything else on
# a small machine, virtprof included (it is one task against 20,000).
cpu_cgroup vp-scale-e2e-$$
cg_exec "$CPU_CG" "$TW" "$N" 90 >"$tmp/tw.out" 2>"$tmp/tw.err" &
tw=$!
on_exit "kill $tw; wait $tw"
wait_for 900 grep -q ready "$tmp/tw.out" || fail "threads_wake did not start $N threads: $(cat "$tmp/tw.err")"
n0=$(wc -l <"$tmp/live.json")
lines_within "$tmp/live.json" $((n0 + 2)) 30 ||
	fail "top stalled after $N threads were made: $(wc -l <"$tmp/live.json") intervals"
t0=$(date +%s%N)
kill -INT $tp
wait $tp || fail "top exited $? after SIGINT: $(tail -n 2 "$tmp/live.err")"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "SIGINT -> exit with $N threads: ${ms} ms"
# within one interval (5 s) -- in practice the detach and the last interval
assert_le "$ms" 5000 "SIGINT to exit"
full_and_no_drops "$tmp/live.json" "while threads were made"

# --- every thread, no drops, on time ---
start=$(date +%s)
timeout 60 "$VIRTPROF" top 1 3 --json >"$tmp/top.json" 2>"$tmp/top.err"
rc=$?
secs=$(($(date +%s) - start))
[ $rc -eq 0 ] || fail "top 1 3 exited $rc after ${secs}s (124: it hung): $(tail -n 3 "$tmp/top.err")"
[ "$(wc -l <"$tmp/top.json")" -eq 3 ] || fail "want 3 intervals, got $(wc -l <"$tmp/top.json")"
echo "top 1 3 with $N threads: ${secs}s"
# 3 intervals plus loading the programs and the first sight of 20,000 threads: a crawl shows
# here (a hang is the timeout above).  Not a speed goal (scripts/bench/scale.sh is): with the
# kernel lab beside this suite on 2 CPUs it took 35 s once, so the bound is 50 s.
assert_le "$secs" 50 "top 1 3 took too long"
full_and_no_drops "$tmp/top.json" "with the threads running"
# the helper's threads that ran are attributed to it (how many ran is the machine's business:
# beside the kernel lab its cpu cgroup got no CPU in a whole interval once -- the most in any)
seen=$(jq -s -r "[.[] | $summary | .[1]] | max" "$tmp/top.json")
echo "threads_wake threads that ran, the most in one interval: $seen of $N"
assert_ge "$seen" 1 "threads_wake threads seen in an interval"

# --- a map filled on purpose: drops reported, the session goes on ---
# 600 threads of their own waking every 20 ms: more than 128 run in every interval even on a
# busy host (the 20,000 above, done with now, wake every 100 ms, and a loaded 2-CPU VM ran only 34
# of them in an interval: the map did not fill and there was nothing to drop)
kill $tw
wait $tw
cg_exec "$CPU_CG" "$TW" 600 30 20 >"$tmp/tw600.out" 2>"$tmp/tw600.err" &
tw600=$!
on_exit "kill $tw600; wait $tw600"
wait_for 300 grep -q ready "$tmp/tw600.out" || fail "threads_wake did not start 600 threads: $(cat "$tmp/tw600.err")"
start=$(date +%s)
timeout 60 "$VIRTPROF" top 1 3 --json --max-threads 128 >"$tmp/small.json" 2>"$tmp/small.err"
rc=$?
secs=$(($(date +%s) - start))
[ $rc -eq 0 ] || fail "top --max-threads 128 exited $rc after ${secs}s: $(tail -n 3 "$tmp/small.err")"
[ "$(wc -l <"$tmp/small.json")" -eq 3 ] || fail "--max-threads 128: want 3 intervals"
assert_le "$secs" 20 "top --max-threads 128 took too long"
jq -c "$summary" "$tmp/small.json"
full=$(jq -s '[.[1:][] | .drops[] | select(.reason == "stats_map_full" or .reason == "threads_map_full") | .count] | add' "$tmp/small.json")
assert_ge "$full" 1 "map-full drops with --max-threads 128"
# text mode shows the drops table when something was dropped
timeout 60 "$VIRTPROF" top 1 2 --max-threads 128 >"$tmp/small.txt" 2>&1 || fail "text top exited $?"
grep -q "stats_map_full\|threads_map_full" "$tmp/small.txt" || fail "text output lacks the drops"

# --- SIGINT ends it within one interval, full maps or not ---
"$VIRTPROF" top 1 --json --max-threads 128 >"$tmp/int.json" 2>"$tmp/int.err" &
tp=$!
on_exit "kill -9 $tp"
lines_within "$tmp/int.json" 1 30 || fail "no first interval within 30 s"
t0=$(date +%s%N)
kill -INT $tp
for _ in $(seq 50); do kill -0 $tp 2>/dev/null || break; sleep 0.1; done
kill -0 $tp 2>/dev/null && fail "top still running 5 s after SIGINT"
wait $tp
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "SIGINT -> exit: ${ms} ms"
[ $rc -eq 0 ] || fail "top after SIGINT exited $rc: $(tail -n 3 "$tmp/int.err")"
# one interval (1 s) plus detaching the programs
assert_le "$ms" 2500 "SIGINT to exit"
echo "ok"
