#!/usr/bin/env bash
# The vhost-net worker's CPU as virtprof attributes it (VM entity, role vhost) against the
# kernel's own per-thread figure: /proc/<tgid>/task/<tid>/stat for the user worker (6.4+: a
# thread of qemu's group, whose /proc/<tid>/stat would give whole-process totals), /proc/<pid>/stat
# for the kthread (before 6.4).  Both over the same work; tolerance 15 % or 3 clock ticks: the
# worker switches thousands of times a second, and inside an emulated host each switch's
# scheduler work (charged by the kernel to the incoming task from pick_next_task, by virtprof
# from the sched_switch tracepoint) costs microseconds (docs/lab.md).
source "$REPO/tests/lab/lib.sh"
tb_up "$LAB_TB_ON" || skip "lab testbed not up"
lab_vm
statf= mode="user-worker"
for t in /proc/"$VM_PID"/task/*; do
	task_comm "$t" && [ "$COMM" = "vhost-$VM_PID" ] && statf=$t/stat
done
if [ -z "$statf" ]; then
	mode=kthread
	for p in /proc/[0-9]*; do
		task_comm "$p" && [ "$COMM" = "vhost-$VM_PID" ] && statf=$p/stat && break
	done
fi
[ -n "$statf" ] || fail "no vhost-$VM_PID worker thread or kthread"
[ "$mode" = "$(expected_vhost_mode)" ] || fail "worker is a $mode, want $(expected_vhost_mode)"
echo "vhost worker: $mode ($statf)"
worker_ticks() { sed 's/.*) //' "$statf" | awk '{ print $12 + $13 }'; }

# Both figures over the same work, with the worker idle at both ends: `virtprof top` captures
# every interval from before the load starts until the worker has drained what the load left
# (inside a busy emulated host the guest answers for seconds after a load ends), and the kernel's
# figure is read before top starts and after it ends.  (Bracketing a `virtprof run`, whose
# measured window closes with the load, lost the worker's drain: up to a quarter of its time.)
idle_for() { # seconds: the worker's ticks did not move for that long (at most 30 s of trying)
	local a b i
	for i in $(seq 30); do
		a=$(worker_ticks)
		sleep "$1"
		b=$(worker_ticks)
		[ "$a" = "$b" ] && return 0
	done
	return 1
}
idle_for 1 || fail "the vhost worker never went idle before the run"
top_json=$LAB_OUT/vhost_top.json
k0=$(worker_ticks)
"$VIRTPROF" top 1 120 --vm "$VM_PID" --json >"$top_json" 2>"$LAB_OUT/vhost_top.err" &
top=$!
wait_for 600 test -s "$top_json" || { kill -INT $top; fail "top printed no interval: $(tail -n 2 "$LAB_OUT/vhost_top.err")"; }
"$VIRTPROF" load "$VM_URL" --netns "$LAB_TB_ON" --users 20 --duration 4s >"$LAB_OUT/vhost_load.txt" 2>&1 ||
	{ kill -INT $top; fail "load failed: $(tail -n 2 "$LAB_OUT/vhost_load.txt")"; }
# the drain: the worker idle for two full intervals, then top's last interval is over too
idle_for 2 || { kill -INT $top; fail "the vhost worker did not go idle after the load"; }
n=$(wc -l <"$top_json")
wait_for 100 bash -c "[ \$(wc -l <'$top_json') -ge $((n + 1)) ]"
kill -0 $top 2>/dev/null || fail "top ended before the worker drained (raise its count)"
kill -INT $top
wait $top
k1=$(worker_ticks)
KERN_MS=$(((k1 - k0) * 1000 / $(getconf CLK_TCK)))
vp_ms=$(jq -s --arg e "$VM_ENTITY" '[.[] | .entities[]? | select(.entity == $e and .role == "vhost") | .busy_ns] | add // 0 | . / 1e6 | floor' "$top_json")
[ "$KERN_MS" -gt 50 ] || fail "the worker hardly ran (${KERN_MS} ms): no vhost traffic?"
echo "over $(wc -l <"$top_json") intervals of top: $(grep -m1 -o 'Requests/s[^,]*\|[0-9.]* req/s' "$LAB_OUT/vhost_load.txt" | head -n 1)"
agree "vhost worker CPU" "$vp_ms" "$KERN_MS" 15 3
echo ok
