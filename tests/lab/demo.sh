#!/usr/bin/env bash
# Inside a kernel-lab host (scripts/lab/demo.sh): the comparison users came for -- a KVM guest
# with vhost-net, the same guest without vhost, and a veth container -- at light, medium and
# heavy load, ending with the comparison table.  Reports land in $LAB_OUT.
set -u
cd "$REPO"
VIRTPROF=$REPO/${VIRTPROF_BUILD:-build}/virtprof
# the same holds as the test session (hold.sh): set up with one CPU online, then the others
source "$REPO/tests/lab/hold.sh"
lab_hold_tracepoints >/dev/null
lab_hold_cgroup
lab_hold_once
for m in kvm_amd vhost_net tun bridge veth; do modprobe "$m"; done
lab_hold_tracepoints >/dev/null
lab_hold_kvm
lab_online_cpus >/dev/null
up() { "$VIRTPROF" testbed up --name "$1" --accel kvm --vhost "$2" --runtime native --subnet "$3" \
	--kvm-probe 60s --boot-timeout 180s >"$LAB_OUT/testbed_$1.log" 2>&1 ||
	{ echo "demo-lab: testbed $1 did not come up: $(tail -n 2 "$LAB_OUT/testbed_$1.log")"; exit 1; }; }
up labon on 10.213.0.0/24
up laboff off 10.214.0.0/24
field() { "$VIRTPROF" testbed status --name "$1" --json |
	jq -r --arg t "$2" --arg f "$3" '.targets[] | select(.target == $t) | .[$f]'; }
"$VIRTPROF" compare \
	--target "kvm-vhost=$(field labon vm url)@vm:$(field labon vm pid)@netns:labon" \
	--target "kvm-novhost=$(field laboff vm url)@vm:$(field laboff vm pid)@netns:laboff" \
	--target "veth=$(field labon container url)@container:$(field labon container cgroup)@netns:labon" \
	--steps "${LAB_ARGS:-light,medium,heavy}" --duration 10s --warmup 2s \
	--json "$LAB_OUT/compare.json" --csv "$LAB_OUT" >"$LAB_OUT/compare.txt" 2>"$LAB_OUT/compare.err"
rc=$?
for n in labon laboff; do "$VIRTPROF" testbed down --name "$n" >/dev/null 2>&1; done
exit $rc
