#!/usr/bin/env bash
# The comparison users came for, on this kernel: a KVM guest with vhost-net, the same guest
# without vhost, and a veth container, one after the other under the same load.  Every step
# serves requests; the vhost worker is the VM's (role vhost) in this kernel's mode (kthread
# before 6.4, user worker since); the tap path says which vhost mode serves it; KVM exits are
# counted by reason with their handling time, and the EXITS part of VIRT is measured.
source "$REPO/tests/lab/lib.sh"
tb_up "$LAB_TB_ON" && tb_up "$LAB_TB_OFF" || skip "lab testbeds not up (see testbed_*.log)"
on=$(tb_json "$LAB_TB_ON") off=$(tb_json "$LAB_TB_OFF")
field() { jq -r --arg t "$2" --arg f "$3" '.targets[] | select(.target == $t) | .[$f]' <<<"$1"; }
vm_on="vm:$(field "$on" vm id)" vm_off="vm:$(field "$off" vm id)"
out=$LAB_OUT/compare.json
"$VIRTPROF" compare \
	--target "kvm-vhost=$(field "$on" vm url)@vm:$(field "$on" vm pid)@netns:$LAB_TB_ON" \
	--target "kvm-novhost=$(field "$off" vm url)@vm:$(field "$off" vm pid)@netns:$LAB_TB_OFF" \
	--target "veth=$(field "$on" container url)@container:$(field "$on" container cgroup)@netns:$LAB_TB_ON" \
	--steps "${LAB_USERS:-20}" --duration "${LAB_DURATION:-3s}" --warmup 1s \
	--json "$out" >"$LAB_OUT/compare.txt" 2>"$LAB_OUT/compare.err" ||
	fail "compare failed: $(tail -n 3 "$LAB_OUT/compare.err")"
cat "$LAB_OUT/compare.txt"
step() { jq --arg t "$1" '.steps[] | select(.target == $t)' "$out"; }

for t in "$vm_on" "$vm_off"; do
	[ "$(step "$t" | jq '.cpu.requests')" -gt 0 ] || fail "$t served no request"
done
# a step flagged "load-generator bound" measured what it says (inside a 2-CPU emulated host the
# veth container outruns the generator); anything else is a failure
jq -e '[.comparison[] | .status == "ok" or .status == "load-generator bound"] | all' "$out" >/dev/null ||
	fail "a step is not ok: $(jq -c '[.comparison[] | .status]' "$out")"
mode=$(jq -r '.accounting_mode[0].vhost' "$out")
[ "$mode" = "$(expected_vhost_mode)" ] || fail "vhost mode '$mode', want '$(expected_vhost_mode)'"

# the vhost worker belongs to its VM, role vhost, in either mode
w=$(step "$vm_on" | jq --arg e "$vm_on" '[.cpu.entities[] | select(.entity == $e and .role == "vhost") | .busy_ns] | add // 0')
[ "$w" -gt 0 ] || fail "no vhost time attributed to $vm_on: $(step "$vm_on" | jq -c '[.cpu.entities[] | {entity, role, busy_ns}]')"
# the worker's tap writes are on the path and out of VHOST, not in both: VHOST x requests is the
# worker's time less the tap's process-context receive work and the NET_RX softirqs that ran in
# the worker (shown on the path too), within 1 % -- and the worker's other softirq time, of which
# VHOST leaves out the BLOCK part (the JSON has no per-vector split but NET).  Without the
# softirqs it missed by 1.7 % once in a starved lab (6.12, fc18), where more softirq work runs
# in the worker's context.
step "$vm_on" | jq -e --arg e "$vm_on" '
	(.cpu.overhead[] | select(.target == $e) | .vhost_us * 1000) as $vhost_ns_req
	| ([.io.net_paths[]? | select(.kind == "tap" and .owner == $e) | .proc_rx_ms] | add // 0) as $proc_ms
	| [.cpu.entities[] | select(.entity == $e and .role == "vhost")] as $w
	| ($w | map(.busy_ns - .net_softirq_ns) | add // 0) as $worker
	| ($w | map(.softirq_ns - .net_softirq_ns) | add // 0) as $other_sirq
	| ($vhost_ns_req * .cpu.requests) as $vhost
	| ($worker - $proc_ms * 1e6) as $want
	| ($vhost - $want) | fabs <= ($want * 0.01 + $other_sirq + 1e6)' >/dev/null ||
	fail "VHOST is not the worker less its tap writes: $(step "$vm_on" | jq -c --arg e "$vm_on" '{vhost_us: (.cpu.overhead[] | select(.target == $e) | .vhost_us), requests: .cpu.requests, tap: [.io.net_paths[]? | select(.kind == "tap") | .proc_rx_ms], worker: [.cpu.entities[] | select(.entity == $e and .role == "vhost") | {busy_ns, softirq_ns, net_softirq_ns}]}')"
n=$(step "$vm_off" | jq --arg e "$vm_off" '[.cpu.entities[] | select(.entity == $e and .role == "vhost") | .busy_ns] | add // 0')
[ "$n" -eq 0 ] || fail "$vm_off has no vhost worker but $n ns are role vhost"
# the tap path is marked with the vhost mode serving it
step "$vm_on" | jq -e --arg m "$mode" '[.io.net_paths[]? | select(.kind == "tap") | .vhost] | any(. == $m)' >/dev/null ||
	fail "tap path not marked vhost=$mode: $(step "$vm_on" | jq -c '[.io.net_paths[]? | {path, kind, vhost}]')"

# KVM exits by reason with handling time; the EXITS part of VIRT measured, not n/a
step "$vm_on" | jq -e '[.io.kvm_exits[]? | select(.count > 0 and .handle_avg_us != null)] | length > 0' >/dev/null ||
	fail "no KVM exit reason counted: $(step "$vm_on" | jq -c '.io.kvm_exits, .io.kvm_exits_notes')"
step "$vm_on" | jq -e --arg e "$vm_on" '.cpu.overhead[] | select(.target == $e) | .exits_us != null' >/dev/null ||
	fail "EXITS not measured: $(step "$vm_on" | jq -c '.cpu.overhead, .cpu.overhead_notes')"
# pio / mmio per vCPU thread
step "$vm_on" | jq -e --arg e "$vm_on" '[.io.kvm[]? | select(.entity == $e and .role == "vcpu") | (.pio_in + .pio_out + .mmio_read + .mmio_write)] | add > 0' >/dev/null ||
	fail "no pio/mmio per vCPU: $(step "$vm_on" | jq -c '.io.kvm')"
# the container's veth path is measured on the path (taken out of the load generator's threads)
jq -e '[.comparison[] | select(.target | startswith("ctr:")) | .path_us] | length == 1 and .[0] > 0' "$out" >/dev/null ||
	fail "veth path not measured: $(jq -c '[.comparison[] | {target, path_us}]' "$out")"
echo "ok: vhost $mode, worker $((w / 1000)) us; $(jq -c '[.comparison[] | {target, req_per_s, own_us, virt_us, path_us}]' "$out")"
