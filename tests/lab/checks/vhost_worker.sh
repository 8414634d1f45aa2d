#!/usr/bin/env bash
# The vhost-net worker's CPU as virtprof attributes it (VM entity, role vhost) against the
# kernel's own per-thread figure: /proc/<tgid>/task/<tid>/stat for the user worker (6.4+: a
# thread of qemu's group, whose /proc/<tid>/stat would give whole-process totals), /proc/<pid>/stat
# for the kthread (before 6.4).  Both over the same run; tolerance: 10 % or 3 clock ticks.
source "$REPO/tests/lab/lib.sh"
tb_up "$LAB_TB_ON" || skip "lab testbed not up"
st=$(tb_json "$LAB_TB_ON")
pid=$(jq -r '.targets[] | select(.target == "vm") | .pid' <<<"$st")
url=$(jq -r '.targets[] | select(.target == "vm") | .url' <<<"$st")
vm="vm:$(jq -r '.targets[] | select(.target == "vm") | .id' <<<"$st")"
statf=
for t in /proc/"$pid"/task/*; do
	[ "$(cat "$t/comm")" = "vhost-$pid" ] && statf=$t/stat
done
mode="user worker"
if [ -z "$statf" ]; then
	mode=kthread
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = "vhost-$pid" ] && statf=$p/stat && break
	done
fi
[ -n "$statf" ] || fail "no vhost-$pid worker thread or kthread"
[ "$mode" = "$(expected_vhost_mode)" ] || fail "worker is a $mode, want $(expected_vhost_mode)"
ticks() { awk '{ print $14 + $15 }' "$statf"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
"$VIRTPROF" run --url "$url" --netns "$LAB_TB_ON" --vm "$pid" --users 20 --duration 6s \
	--warmup 0s --json "$LAB_OUT/vhost_run.json" >"$LAB_OUT/vhost_run.txt" 2>&1 ||
	fail "run failed: $(tail -n 3 "$LAB_OUT/vhost_run.txt")"
t1=$(ticks)
kern_ms=$(((t1 - t0) * 1000 / hz))
vp_ms=$(jq --arg e "$vm" '[.steps[0].cpu.entities[] | select(.entity == $e and .role == "vhost") | .busy_ns] | add // 0 | . / 1e6 | floor' "$LAB_OUT/vhost_run.json")
echo "vhost worker ($mode, $statf): kernel ${kern_ms} ms, virtprof ${vp_ms} ms"
[ "$kern_ms" -gt 50 ] || fail "the worker hardly ran (${kern_ms} ms): no vhost traffic?"
tol=$((kern_ms / 10 > 3000 / hz ? kern_ms / 10 : 3000 / hz))
d=$((vp_ms - kern_ms)); d=${d#-}
[ "$d" -le "$tol" ] || fail "virtprof ${vp_ms} ms vs kernel ${kern_ms} ms (tolerance ${tol} ms)"
echo "ok"
