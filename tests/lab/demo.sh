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
for m in kvm_amd vhost_net tun bridge veth loop; do modprobe "$m"; done
lab_disk
lab_hold_tracepoints >/dev/null
lab_hold_kvm
lab_online_cpus >/dev/null
# the lab session's testbeds (tests/lab/testbeds.sh): labon with vhost-net and a disk, laboff
# without vhost; a guest that does not boot is tried again, as in the test session
source "$REPO/tests/lab/testbeds.sh"
for n in labon laboff; do
	tb "$n" || { echo "demo-lab: testbed $n did not come up: $(tail -n 2 "$LAB_OUT/testbed_$n.log")"; exit 1; }
done
field() { "$VIRTPROF" testbed status --name "$1" --json |
	jq -r --arg t "$2" --arg f "$3" '.targets[] | select(.target == $t) | .[$f]'; }
"$VIRTPROF" compare \
	--target "kvm-vhost=$(field labon vm url)@vm:$(field labon vm pid)@netns:labon" \
	--target "kvm-novhost=$(field laboff vm url)@vm:$(field laboff vm pid)@netns:laboff" \
	--target "veth=$(field labon container url)@container:$(field labon container cgroup)@netns:labon" \
	--steps "${LAB_ARGS:-light,medium,heavy}" --duration 10s --warmup 2s \
	--json "$LAB_OUT/compare.json" --csv "$LAB_OUT" >"$LAB_OUT/compare.txt" 2>"$LAB_OUT/compare.err"
rc=$?
# End with why the KVM guest (vhost-net) exits in the last step: its top guest functions, the
# devices its port / MMIO exits hit, and its halt polling (issue 24).
vm_exits() { # table [columns...]
	local t=$1
	shift
	jq -r --arg t "$t" --arg e "vm:$(field labon vm id)" '
		[.steps[] | select(.target == $e)] | last | .io[$t] // [] |
		map(select(.entity == $e)) | .[:10][] |
		[.[$ARGS.positional[]] | if type == "number" then (. * 100 | round) / 100 elif . == null then "n/a" else . end | tostring] | @tsv' \
		--args "$@" <"$LAB_OUT/compare.json"
}
if [ $rc = 0 ] && [ -s "$LAB_OUT/compare.json" ]; then
	{
		echo
		echo "Why the KVM guest exits (kvm-vhost, last step; per request):"
		{ printf 'GUEST-FUNCTION\tEXITS\tPER_REQ\tAVG_US\tUS_PER_REQ\tREASONS\n'
		  vm_exits kvm_guest_functions function exits exits_per_req handle_avg_us handle_us_per_req reasons; } |
			column -t -s $'\t'
		echo
		{ printf 'KIND\tDIR\tADDRESS\tDEVICE\tEXITS\tPER_REQ\tAVG_US\n'
		  vm_exits kvm_devices kind dir address device exits exits_per_req handle_avg_us; } | column -t -s $'\t'
		echo
		{ printf 'HALT-POLL_MS\tOK_MS\tFAIL_MS\tWAIT_MS\tPOLL_US_PER_REQ\n'
		  vm_exits kvm_halt_poll poll_ms poll_ok_ms poll_fail_ms wait_ms poll_us_per_req; } | column -t -s $'\t'
		jq -r '[.steps[] | .io.kvm_guest_functions_notes // [] | .[]] | unique | .[] | "  note: " + .' \
			"$LAB_OUT/compare.json"
	} >>"$LAB_OUT/compare.txt"
fi
# The disk path under KVM (issue 25): the vhost-net guest's virtio-blk reads against the container's
# reads of the same files, per request
if [ $rc = 0 ]; then
	"$VIRTPROF" compare --testbed --testbed-name labon --workload disk-read --steps light \
		--duration 10s --json "$LAB_OUT/disk-read.json" >"$LAB_OUT/disk-read.txt" 2>"$LAB_OUT/disk-read.err" || rc=$?
	{
		echo
		echo "The disk path (compare --workload disk-read, KVM guest on virtio-blk against the container):"
		sed -n '/^Comparison/,$p' "$LAB_OUT/disk-read.txt"
	} >>"$LAB_OUT/compare.txt"
fi
for n in labon laboff; do "$VIRTPROF" testbed down --name "$n" >/dev/null 2>&1; done
exit $rc
