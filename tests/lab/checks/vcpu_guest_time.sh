#!/usr/bin/env bash
# A vCPU thread's time split into guest time (OWN) and host-side exit handling (VIRT): virtprof's
# guest time (kvm_entry -> kvm_exit, always on-CPU) against the kernel's own guest_time of the
# same threads (/proc/<tgid>/task/<tid>/stat field 43, sampled at the tick) over the same run;
# tolerance 10 % or 5 ticks.  And the report's EXITS part is that split: measured, not n/a.
source "$REPO/tests/lab/lib.sh"
tb_up "$LAB_TB_ON" || skip "lab testbed not up"
lab_vm
tids=()
for t in /proc/"$VM_PID"/task/*; do
	case $(cat "$t/comm") in "CPU "*/KVM) tids+=("${t##*/}") ;; esac
done
[ ${#tids[@]} -gt 0 ] || fail "no 'CPU n/KVM' thread in qemu $VM_PID (not a KVM guest?)"
guest_ticks() {
	local s=0 t
	# field 43; the name "CPU 0/KVM" has a space: count from the last ')'
	for t in "${tids[@]}"; do
		s=$((s + $(sed 's/.*) //' "/proc/$VM_PID/task/$t/stat" | awk '{ print $41 }')))
	done
	echo $s
}
run_bracketed guest_run guest_ticks
vp_ms=$(jq --arg e "$VM_ENTITY" '[.steps[0].io.kvm[]? | select(.entity == $e) | .guest_ms // 0] | add // 0 | floor' "$RUN_JSON")
[ "$KERN_MS" -gt 20 ] || fail "the guest hardly ran (${KERN_MS} ms)"
agree "guest time of ${#tids[@]} vCPU thread(s)" "$vp_ms" "$KERN_MS" 10 5
jq -e --arg e "$VM_ENTITY" '.steps[0].cpu.overhead[] | select(.target == $e) | .exits_us != null and .own_us != null' "$RUN_JSON" >/dev/null ||
	fail "EXITS/OWN not split: $(jq -c '.steps[0].cpu.overhead, .steps[0].cpu.overhead_notes' "$RUN_JSON")"
echo "ok: $(jq -c --arg e "$VM_ENTITY" '.steps[0].cpu.overhead[] | select(.target == $e) | {own_us, exits_us, overhead_us}' "$RUN_JSON")"
