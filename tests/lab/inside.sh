#!/usr/bin/env bash
# Runs inside a kernel-lab host (L1, scripts/lab/boot.sh): the module matrix, the BPF suite and
# the lab checks, on this kernel.  Each result is one line in $LAB_OUT/results:
#   PASS name | FAIL name: why | SKIP name: why
# and each check's output is kept in $LAB_OUT/<name>.log.
set -u
cd "$REPO"
export VIRTPROF_BUILD=${VIRTPROF_BUILD:-build}
export VIRTPROF=$REPO/$VIRTPROF_BUILD/virtprof
export LAB=1
results=$LAB_OUT/results
: >"$results"
only=${LAB_ARGS:-}

want() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }
record() { echo "$1" >>"$results"; echo "lab: $1"; }

# One check: a script of tests/lab/checks/, run like the e2e tests (0 pass, 77 skip, else fail).
check() { # name
	local name=$1 rc log=$LAB_OUT/$1.log
	want "$name" || return 0
	timeout --kill-after=10 "${LAB_CHECK_TIMEOUT_S:-240}" bash "tests/lab/checks/$name.sh" >"$log" 2>&1
	rc=$?
	case $rc in
	0) record "PASS $name" ;;
	77) record "SKIP $name: $(grep -m1 -i 'skip' "$log" | cut -c1-200)" ;;
	*) record "FAIL $name: rc=$rc: $(grep -m1 -E 'FAIL|fail|error' "$log" | cut -c1-200)" ;;
	esac
}

# Hold on the static keys virtprof's probes would otherwise flip each time a test attaches or
# detaches them: the tracepoints it hooks (enabled in tracefs with recording off, so the kernel's
# own event handler returns at once) and bpf_stats.  Multi-threaded TCG does not survive live
# patches of hot kernel code reliably (scripts/lab/boot.sh); with the keys held, attaching only
# adds a probe function.  Called again once the modules are loaded, for their tracepoints.
hold_keys() {
	local t=/sys/kernel/tracing e
	echo 0 >"$t/tracing_on"
	for e in sched/sched_switch sched/sched_wakeup sched/sched_wakeup_new sched/sched_process_fork \
		sched/sched_process_exec sched/sched_process_exit irq/softirq_entry irq/softirq_exit \
		irq/irq_handler_entry irq/irq_handler_exit cgroup/cgroup_attach_task block/block_bio_queue \
		block/block_bio_complete block/block_rq_complete net/netif_receive_skb net/net_dev_xmit \
		net/netif_receive_skb_entry net/netif_receive_skb_list_entry net/netif_receive_skb_exit \
		net/netif_receive_skb_list_exit napi/napi_poll kvm/kvm_entry kvm/kvm_exit kvm/kvm_pio \
		kvm/kvm_mmio; do
		[ -e "$t/events/$e/enable" ] && echo 1 >"$t/events/$e/enable"
	done
	sysctl -qw kernel.bpf_stats_enabled=1
}
hold_keys

# Before any module is loaded: what virtprof says on a host that runs no VM and no container.
check modules_absent

for m in kvm_amd vhost_net tun bridge veth loop; do
	echo "lab: modprobe $m"
	timeout 60 modprobe "$m" 2>>"$LAB_OUT/modprobe.log" || echo "modprobe $m failed" >>"$LAB_OUT/modprobe.log"
done

hold_keys
# KVM flips preempt_notifier_key (finish_task_switch) when the first VM is created and the last
# destroyed: a paused VM (no vCPU ever runs) held for the whole session keeps it on.
if [ -c /dev/kvm ]; then
	qemu-system-x86_64 -accel kvm -S -m 16 -nodefaults -display none -no-reboot </dev/null \
		>/dev/null 2>&1 &
fi

# Does a KVM guest run here?  SeaBIOS under -accel kvm logs to its debug port (0x402) within
# seconds where it does.
kvm_ok=1 kvm_why=
if ! [ -c /dev/kvm ]; then
	kvm_ok=0 kvm_why="no /dev/kvm (kvm_amd did not load: $(tail -n 1 "$LAB_OUT/modprobe.log" 2>/dev/null))"
else
	rm -f "$LAB_OUT/kvm-probe.serial"
	timeout 40 qemu-system-x86_64 -accel kvm -m 64 -nodefaults -display none -no-reboot \
		-debugcon "file:$LAB_OUT/kvm-probe.serial" -global isa-debugcon.iobase=0x402 \
		>/dev/null 2>&1 &
	p=$!
	for _ in $(seq 80); do [ -s "$LAB_OUT/kvm-probe.serial" ] && break; sleep 0.5; done
	kill $p 2>/dev/null; wait $p 2>/dev/null
	if ! [ -s "$LAB_OUT/kvm-probe.serial" ]; then
		kvm_ok=0
		kvm_why="a KVM guest does not run inside this emulated host (SeaBIOS logged nothing in 40 s under nested SVM of kernel $(uname -r) on qemu TCG)"
	fi
fi
if [ $kvm_ok = 0 ]; then
	record "SKIP kvm_guest: $kvm_why"
	LAB_BPF_FILTER=${LAB_BPF_FILTER:-bpf/test_(account|block|net)}
fi

# The BPF suite of tests/bpf, as on the host, in the flavour these kernels load (tp_btf; the raw_tp
# re-runs stay on the host, where they take a minute instead of five); its lines become results.
# LAB_ONLY may name single programs of the suite (bpf/test_account) as well as all of it (bpf)
bpf_only=$(tr ' ' '\n' <<<"$only" | grep '^bpf/' | paste -sd '|')
[ -n "$bpf_only" ] && LAB_BPF_FILTER="($bpf_only)"
if want bpf || [ -n "$bpf_only" ]; then
	echo "lab: BPF suite"
	# emulated context switches are ~100x dearer: percentage tolerances doubled (harness.h)
	VIRTPROF_TEST_TOLERANCE_SCALE=2 TEST_FILTER=${LAB_BPF_FILTER:-bpf/test_} \
		./tests/run.sh bpf >"$LAB_OUT/bpf.log" 2>&1
	sed -n 's/^\(PASS\|FAIL\|SKIP\)  \(bpf\/[^ :]*\).*/\1 \2/p' "$LAB_OUT/bpf.log" | while read -r v n; do
		case $v in
		FAIL) record "FAIL $n: see bpf.log" ;;
		SKIP) record "SKIP $n: $(grep -m1 "^SKIP  $n" "$LAB_OUT/bpf.log" | cut -d: -f2- | cut -c1-160)" ;;
		*) record "PASS $n" ;;
		esac
	done
fi

# Two testbeds, KVM guests both: one with vhost-net, one without; each with a native container.
tb() { # name vhost subnet
	local i
	# A KVM guest inside the emulated host has been seen to hang or die while booting now and
	# then (nothing on its console; CI: one in three sessions): three tries, all in the log.
	# (Pinning each testbed to one L1 CPU did not help: a pinned guest died mid-check.)
	for i in 1 2 3; do
		"$VIRTPROF" testbed up --name "$1" --accel kvm --vhost "$2" --runtime native \
			--subnet "$3" --kvm-probe "${LAB_KVM_BOOT:-150s}" --boot-timeout 240s \
			>>"$LAB_OUT/testbed_$1.log" 2>&1 && return 0
		"$VIRTPROF" testbed down --name "$1" >>"$LAB_OUT/testbed_$1.log" 2>&1
		echo "lab: testbed $1 did not come up (try $i)" | tee -a "$LAB_OUT/testbed_$1.log"
		sleep 2
	done
	return 1
}
check vhost_noguest

if [ $kvm_ok = 0 ]; then
	for c in testbed_kvm_vhost testbed_kvm_novhost vhost_worker vcpu_guest_time compare_paths; do
		want "$c" || want testbed && record "SKIP $c: $kvm_why"
	done
elif want testbed || want compare_paths || want vhost_worker || want vcpu_guest_time; then
	# both guests boot at once: L1 has two CPUs and each boot waits mostly on the other's
	tb labon on 10.213.0.0/24 & on=$!
	tb laboff off 10.214.0.0/24 & off=$!
	if wait $on; then record "PASS testbed_kvm_vhost"; else
		record "FAIL testbed_kvm_vhost: $(tail -n 1 "$LAB_OUT/testbed_labon.log" | cut -c1-200)"; fi
	if wait $off; then record "PASS testbed_kvm_novhost"; else
		record "FAIL testbed_kvm_novhost: $(tail -n 1 "$LAB_OUT/testbed_laboff.log" | cut -c1-200)"; fi
	for c in vhost_worker vcpu_guest_time compare_paths; do
		check "$c"
	done
	# the guests' consoles and the testbeds' logs live in L1's tmpfs: keep them
	cp -r /var/lib/virtprof/testbed/logs "$LAB_OUT/testbed-logs" 2>/dev/null
	for n in labon laboff; do "$VIRTPROF" testbed down --name "$n" >>"$LAB_OUT/testbed_$n.log" 2>&1; done
fi
exit 0
