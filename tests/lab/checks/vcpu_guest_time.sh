#!/usr/bin/env bash
# A vCPU thread's time split into guest time (OWN) and host-side exit handling (VIRT): virtprof's
# guest time (kvm_entry -> kvm_exit, always on-CPU) against the kernel's own guest_time of the
# same threads (/proc/<tgid>/task/<tid>/stat field 43, sampled at the tick) over the same run;
# tolerance 10 % or 5 ticks.  And the report's EXITS part is that split: measured, not n/a.
source "$REPO/tests/lab/lib.sh"
tb_up "$LAB_TB_ON" || skip "lab testbed not up"
st=$(tb_json "$LAB_TB_ON")
pid=$(jq -r '.targets[] | select(.target == "vm") | .pid' <<<"$st")
url=$(jq -r '.targets[] | select(.target == "vm") | .url' <<<"$st")
vm="vm:$(jq -r '.targets[] | select(.target == "vm") | .id' <<<"$st")"
tids=()
for t in /proc/"$pid"/task/*; do
	case $(cat "$t/comm") in "CPU "*/KVM) tids+=("${t##*/}") ;; esac
done
[ ${#tids[@]} -gt 0 ] || fail "no 'CPU n/KVM' thread in qemu $pid (not a KVM guest?)"
guest_ticks() { local s=0 t; for t in "${tids[@]}"; do s=$((s + $(awk '{ print $43 }' "/proc/$pid/task/$t/stat"))); done; echo $s; }
hz=$(getconf CLK_TCK)
g0=$(guest_ticks)
"$VIRTPROF" run --url "$url" --netns "$LAB_TB_ON" --vm "$pid" --users 20 --duration 6s \
	--warmup 0s --json "$LAB_OUT/guest_run.json" >"$LAB_OUT/guest_run.txt" 2>&1 ||
	fail "run failed: $(tail -n 3 "$LAB_OUT/guest_run.txt")"
g1=$(guest_ticks)
kern_ms=$(((g1 - g0) * 1000 / hz))
j=$LAB_OUT/guest_run.json
vp_ms=$(jq --arg e "$vm" '[.steps[0].io.kvm[]? | select(.entity == $e) | .guest_ms // 0] | add // 0 | floor' "$j")
echo "guest time of ${#tids[@]} vCPU thread(s): kernel ${kern_ms} ms, virtprof ${vp_ms} ms"
[ "$kern_ms" -gt 20 ] || fail "the guest hardly ran (${kern_ms} ms)"
tol=$((kern_ms / 10 > 5000 / hz ? kern_ms / 10 : 5000 / hz))
d=$((vp_ms - kern_ms)); d=${d#-}
[ "$d" -le "$tol" ] || fail "guest time: virtprof ${vp_ms} ms vs kernel ${kern_ms} ms (tolerance ${tol} ms)"
jq -e --arg e "$vm" '.steps[0].cpu.overhead[] | select(.target == $e) | .exits_us != null and .own_us != null' "$j" >/dev/null ||
	fail "EXITS/OWN not split: $(jq -c '.steps[0].cpu.overhead, .steps[0].cpu.overhead_notes' "$j")"
echo "ok: $(jq -c --arg e "$vm" '.steps[0].cpu.overhead[] | select(.target == $e) | {own_us, exits_us, overhead_us}' "$j")"
