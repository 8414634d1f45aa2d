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
# The console line carries L1's uptime, so console.log shows where the lab's minutes go.
record() { echo "$1" >>"$results"; echo "lab: [$(cut -d' ' -f1 /proc/uptime)s] $1"; }

# One check: a script of tests/lab/checks/, run like the e2e tests (0 pass, 77 skip, else fail).
# $2, when given, is appended to the result line (what happened to the check's guests).
run_check() { # name -> rc; output in $LAB_OUT/<name>.log
	timeout --kill-after=10 "${LAB_CHECK_TIMEOUT_S:-240}" bash "tests/lab/checks/$1.sh" \
		>"$LAB_OUT/$1.log" 2>&1
}
record_check() { # name rc [note]
	local name=$1 rc=$2 note=${3:+ ($3)} log=$LAB_OUT/$1.log
	case $rc in
	0) record "PASS $name$note" ;;
	77) record "SKIP $name: $(grep -m1 -i 'skip' "$log" | cut -c1-200)$note" ;;
	*) record "FAIL $name: rc=$rc: $(grep -m1 -E 'FAIL|fail|error' "$log" | cut -c1-200)$note" ;;
	esac
}
check() { # name
	local rc
	want "$1" || return 0
	run_check "$1"
	rc=$?
	record_check "$1" "$rc"
}

# Keep the kernel from live-patching hot code once setup is done (tests/lab/hold.sh): two probes on
# every hooked tracepoint, bpf_stats and KVM's keys held, all while only CPU 0 is online
# (boot.sh: maxcpus=1); the patches that still happen are recorded and reported.
source "$REPO/tests/lab/hold.sh"
lab_pokes_start
echo "lab: $(lab_hold_tracepoints) hooked tracepoints held"
lab_hold_cgroup
lab_hold_once

# Before any module is loaded: what virtprof says on a host that runs no VM and no container.
check modules_absent

for m in kvm_amd vhost_net tun bridge veth loop; do
	echo "lab: modprobe $m"
	timeout 60 modprobe "$m" 2>>"$LAB_OUT/modprobe.log" || echo "modprobe $m failed" >>"$LAB_OUT/modprobe.log"
done

lab_disk

echo "lab: $(lab_hold_tracepoints) hooked tracepoints held (modules loaded)"
lab_hold_kvm
lab_online_cpus
# bringing a CPU up enables the IPI shorthand key (_cpu_up): two patches while it starts, before
# it runs any task -- the record counts from here
lab_pokes_mark online

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
	# (each program's whole output in bpf/: the time of every case)
	VIRTPROF_TEST_TOLERANCE_SCALE=2 TEST_FILTER=${LAB_BPF_FILTER:-bpf/test_} TEST_LOG_DIR=$LAB_OUT/bpf \
		./tests/run.sh bpf >"$LAB_OUT/bpf.log" 2>&1
	sed -n 's/^\(PASS\|FAIL\|SKIP\|FLAKY\) \{1,2\}\(bpf\/[^ :]*\).*/\1 \2/p' "$LAB_OUT/bpf.log" | while read -r v n; do
		case $v in
		# the assertions that failed, so CI's summary says why without the log (lab 6.1 once)
		FAIL) record "FAIL $n: $(awk -v n="$n" '$1 == "FAIL" && $2 == n { on = 1; next }
			on && !/^      \|/ { exit } on && /assertion failed|\[ FAIL \]/ { sub(/^ *\| */, ""); print }' \
			"$LAB_OUT/bpf.log" | head -n 4 | paste -sd ';' | cut -c1-600) (bpf.log)" ;;
		SKIP) record "SKIP $n: $(grep -m1 "^SKIP  $n" "$LAB_OUT/bpf.log" | cut -d: -f2- | cut -c1-160)" ;;
		# passed on its second run (tests/run.sh): a pass that says what failed first
		FLAKY) record "PASS $n: passed on its second run; the first: $(awk -v n="$n" '$1 == "FLAKY" && $2 == n { on = 1; next }
			on && !/^      \|/ { exit } on && /assertion failed|\[ FAIL \]|FAIL:/ { sub(/^ *\| */, ""); print }' \
			"$LAB_OUT/bpf.log" | head -n 3 | paste -sd ';' | cut -c1-400) (bpf.log)" ;;
		*) record "PASS $n" ;;
		esac
	done
fi

source "$REPO/tests/lab/testbeds.sh"
# The guests a check runs against that are no longer alive (their qemu gone, the testbed not up).
# Each testbed's status is kept in $LAB_TB_STATE for the next check (tests/lab/lib.sh tb_json): a
# `testbed status` takes 2 s of L1 (two HTTP probes through the guest, a dozen forks), 5 s with the
# host's suites beside it, and it was asked six times per check -- twice here before it, twice
# after, twice in the check -- a fifth of the lab's time in the guest checks.  tb_down drops a
# testbed's file, so a guest brought up again is asked anew.
export LAB_TB_STATE
LAB_TB_STATE=$(mktemp -d /tmp/vp-tbstate.XXXXXX)
dead_guests() {
	local n
	for n in labon laboff; do
		"$VIRTPROF" testbed status --name "$n" --json >"$LAB_TB_STATE/$n.json" 2>/dev/null
		[ "$(jq -r '.testbed[0].state // empty' "$LAB_TB_STATE/$n.json")" = up ] || echo "$n"
	done
}
# The state the last check left, when both testbeds' files are there: the previous check's
# dead_guests took them after it ended, and nothing ran since.
fresh_guests() { [ -s "$LAB_TB_STATE/labon.json" ] && [ -s "$LAB_TB_STATE/laboff.json" ]; }
# The last lines a dead guest printed, on one line.
console_tail() { tail -n "${2:-3}" "$1" 2>/dev/null | tr -s '\r\n ' ' ' | cut -c1-300; }
# A check on the testbeds.  A nested guest that died during it does not decide it: its console is
# kept, the guest re-upped, the check run once more -- and its line says so.  A second death fails
# the check with that guest's last console lines.
guest_check() { # name
	local name=$1 rc dead n note= why=
	want "$name" || return 0
	fresh_guests || for n in $(dead_guests); do # died since the last check: up again before this one runs
		tb_down "$n"
		note+="guest $n was dead before the check (console: $(console_tail "$TB_LAST_LOG")), re-upped; "
		tb "$n" || { record "FAIL $name: guest $n died and did not come up again (${note%; })"; return; }
	done
	run_check "$name"
	rc=$?
	dead=$(dead_guests)
	if [ -n "$dead" ]; then
		for n in $dead; do
			tb_down "$n"
			note+="guest $n died during the first run (console: $(console_tail "$TB_LAST_LOG")), re-upped; "
			why+="$n: $(console_tail "$TB_LAST_LOG" 5); "
			tb "$n" || { record "FAIL $name: guest $n died and did not come up again (${note%; })"; return; }
		done
		mv "$LAB_OUT/$name.log" "$LAB_OUT/$name.first.log"
		run_check "$name"
		rc=$?
		dead=$(dead_guests)
		if [ -n "$dead" ]; then
			for n in $dead; do tb_down "$n"; why="$n: $(console_tail "$TB_LAST_LOG" 5)"; done
			record "FAIL $name: a nested guest died in both runs; last console lines: $why"
			return
		fi
	elif [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "${VIRTPROF_TEST_RETRY:-1}" != 0 ]; then
		# as tests/run.sh does on the host: a failure with its guests alive is run once more (the
		# lab runs at nice 19 beside the host's suites: 14 requests where 100-320 are usual, once)
		# and one that does not repeat is a pass that says what failed first
		mv "$LAB_OUT/$name.log" "$LAB_OUT/$name.first.log"
		why="rc=$rc: $(grep -m1 -E 'FAIL|fail|error' "$LAB_OUT/$name.first.log" | cut -c1-200)"
		run_check "$name"
		rc=$?
		case $rc in
		0) note+="passed on its second run; the first failed, $why; " ;;
		77) ;;
		*) note+="failed twice; the first, $why; " ;;
		esac
		[ -z "$(dead_guests)" ] || note+="a guest died during the second run; "
	fi
	record_check "$name" "$rc" "${note%; }"
}
check vhost_noguest

if [ $kvm_ok = 0 ]; then
	for c in testbed_kvm_vhost testbed_kvm_novhost vhost_worker vcpu_guest_time compare_paths guest_exits disk_paths; do
		want "$c" || want testbed && record "SKIP $c: $kvm_why"
	done
elif want testbed || want compare_paths || want vhost_worker || want vcpu_guest_time || want guest_exits || want disk_paths; then
	# both guests boot at once: L1 has two CPUs and each boot waits mostly on the other's
	tb labon & on=$!
	tb laboff & off=$!
	if wait $on; then record "PASS testbed_kvm_vhost"; else
		record "FAIL testbed_kvm_vhost: $(tail -n 1 "$LAB_OUT/testbed_labon.log" | cut -c1-200)"; fi
	if wait $off; then record "PASS testbed_kvm_novhost"; else
		record "FAIL testbed_kvm_novhost: $(tail -n 1 "$LAB_OUT/testbed_laboff.log" | cut -c1-200)"; fi
	for c in vhost_worker vcpu_guest_time compare_paths guest_exits disk_paths; do
		guest_check "$c"
	done
	# both at once: each down waits mostly on its guest's shutdown
	# (their pids: a bare wait would wait for the pokes recorder too)
	tb_down labon & d1=$!
	tb_down laboff & d2=$!
	wait $d1 $d2
fi
record "note $(lab_pokes_summary)"
exit 0
