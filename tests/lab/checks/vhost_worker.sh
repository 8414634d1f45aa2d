#!/usr/bin/env bash
# The vhost-net worker's CPU as virtprof attributes it (VM entity, role vhost) against the
# kernel's own per-thread figure: /proc/<tgid>/task/<tid>/stat for the user worker (6.4+: a
# thread of qemu's group, whose /proc/<tid>/stat would give whole-process totals), /proc/<pid>/stat
# for the kthread (before 6.4).  Both over the same run; tolerance 15 % or 3 clock ticks: the
# worker switches thousands of times a second, and inside an emulated host each switch's
# scheduler work (charged by the kernel to the incoming task from pick_next_task, by virtprof
# from the sched_switch tracepoint) costs microseconds (docs/lab.md).
source "$REPO/tests/lab/lib.sh"
tb_up "$LAB_TB_ON" || skip "lab testbed not up"
lab_vm
statf= mode="user-worker"
for t in /proc/"$VM_PID"/task/*; do
	[ "$(cat "$t/comm")" = "vhost-$VM_PID" ] && statf=$t/stat
done
if [ -z "$statf" ]; then
	mode=kthread
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = "vhost-$VM_PID" ] && statf=$p/stat && break
	done
fi
[ -n "$statf" ] || fail "no vhost-$VM_PID worker thread or kthread"
[ "$mode" = "$(expected_vhost_mode)" ] || fail "worker is a $mode, want $(expected_vhost_mode)"
echo "vhost worker: $mode ($statf)"
worker_ticks() { sed 's/.*) //' "$statf" | awk '{ print $12 + $13 }'; }
run_bracketed vhost_run worker_ticks
vp_ms=$(jq --arg e "$VM_ENTITY" '[.steps[0].cpu.entities[] | select(.entity == $e and .role == "vhost") | .busy_ns] | add // 0 | . / 1e6 | floor' "$RUN_JSON")
[ "$KERN_MS" -gt 50 ] || fail "the worker hardly ran (${KERN_MS} ms): no vhost traffic?"
agree "vhost worker CPU" "$vp_ms" "$KERN_MS" 15 3
echo ok
