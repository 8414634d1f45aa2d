#!/usr/bin/env bash
# A Kata Containers pod: its sandbox is a VM.  Kata is not in Debian, so its pieces stand in --
# this test says so -- in the layouts kata-containers' runtime gives them (sandbox_cgroup_only):
# the cgroupfs driver's sandbox cgroup /kubepods/<qos>/pod<uid>/kata_<sandbox id>, then the
# systemd driver's, where the sandbox keeps the runtime's scope (kubepods-<qos>-pod<uid>.slice/
# cri-containerd-<sandbox id>.scope) and only what runs in it tells Kata from runc:
#  - the VMM is a real qemu-system-x86_64 (TCG, -name guest=sandbox-<id>,debug-threads=on, a
#    QMP socket, Debian's kernel booting in a loop: a busy vCPU), as Kata starts it;
#  - containerd-shim-kata-v2 and virtiofsd are python processes with those names (argv[0] and
#    comm), each spending some CPU;
#  - the sandbox's OCI bundle config.json (where containerd keeps it) carries the Kubernetes
#    annotations the CRI plugin writes.
# Asserted: ONE entity pod:<namespace>/<name> (no vm: of its own), runtime kata, with VM roles
# (vcpu, emul) and its helpers runtime:shim / runtime:virtiofsd; the pod overhead = total -
# vCPU time in every interval; the kernel's figure of the pod's cgroup within 1 %; and (first
# layout) --container ns/pod, --vm NAME, --vm PID and --vm ns/pod all give that one pod, and
# serve's pod overhead counter is the pod's CPU counters less its vCPU threads'.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq python3 qemu-system-x86_64 curl
kernel=$(guest_kernel)
[ -n "$kernel" ] || skip "no Debian guest kernel (linux-image-amd64) for the VMM to boot"
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
hiers=()
for h in /sys/fs/cgroup/unified /sys/fs/cgroup/cpu /sys/fs/cgroup; do
	[ -f "$h/cgroup.procs" ] || continue
	[ "$h" = /sys/fs/cgroup ] && [ ${#hiers[@]} -gt 0 ] && continue
	hiers+=("$h")
done
[ ${#hiers[@]} -gt 0 ] || skip "no cgroup hierarchy to make the pod's cgroup in"
cat >"$tmp/helper.py" <<'PY'
import ctypes, sys, time
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
duty = float(sys.argv[2])
while True:  # busy duty x 10 ms, then rest
    t = time.monotonic() + duty * 0.01
    while time.monotonic() < t: pass
    time.sleep((1 - duty) * 0.01)
PY
# argv[0] as the shim's own (a pyenv shim would exec again and lose it)
py=$(command -v /usr/bin/python3 python3 | head -n 1)
hex() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
ns=vp-kata

# in_pod CG CMD... &: CMD born in cgroup CG of every hierarchy (so are all its threads); it
# execs, so $! is CMD's pid
in_pod() {
	CG=$1 HIERS="${hiers[*]}" exec sh -c 'for h in $HIERS; do echo $$ >"$h$CG/cgroup.procs" || exit 1; done; exec "$@"' sh "${@:2}"
}

one_pod() { # layout(cgroupfs|systemd) pod-name
	local layout=$1 pod=$2 uid sid cg top h bundle qpid e last roles rule spec
	uid=$(cat /proc/sys/kernel/random/uuid)
	sid=$(hex)
	if [ "$layout" = cgroupfs ]; then
		top=/kubepods
		cg=/kubepods/burstable/pod$uid/kata_$sid
		rule=k8s-kata
	else
		top=/kubepods.slice
		cg=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid//-/_}.slice/cri-containerd-$sid.scope
		rule=k8s-systemd
	fi
	for h in "${hiers[@]}"; do
		mkdir -p "$h$cg" || fail "mkdir $h$cg"
		# removable once the stand-ins have exited (the kills do not wait for them)
		on_exit "wait_for 100 rmdir $h$cg; find $h$top -depth -type d -exec rmdir {} + 2>/dev/null"
	done
	bundle=/run/containerd/io.containerd.runtime.v2.task/k8s.io/$sid
	on_exit "rm -rf $bundle"
	# (again before each run: a containerd started meanwhile removes bundles it did not make)
	write_bundle() {
		mkdir -p "$bundle"
		jq -n --arg ns "$ns" --arg pod "$pod" '{ociVersion: "1.0.2", annotations: {
			"io.kubernetes.cri.container-type": "sandbox",
			"io.kubernetes.cri.sandbox-namespace": $ns,
			"io.kubernetes.cri.sandbox-name": $pod,
			"io.katacontainers.pkg.oci.container_type": "pod_sandbox"}}' >"$bundle/config.json"
	}
	write_bundle
	in_pod "$cg" bash -c 'exec -a containerd-shim-kata-v2 "$0" "$@"' "$py" "$tmp/helper.py" \
		containerd-shim-kata-v2 0.05 &
	on_exit "kill $!"
	in_pod "$cg" python3 "$tmp/helper.py" virtiofsd 0.3 &
	on_exit "kill $!"
	in_pod "$cg" qemu-system-x86_64 -accel tcg -display none -nodefaults -m 64 -smp 1 \
		-name "guest=sandbox-$sid,debug-threads=on" -qmp "unix:$tmp/qmp-$sid.sock,server=on,wait=off" \
		-kernel "$kernel" -append "panic=-1" 2>"$tmp/qemu.err" &
	qpid=$!
	on_exit "kill $qpid"
	wait_for 300 bash -c "grep -qx 'CPU 0/TCG' /proc/$qpid/task/*/comm" ||
		fail "qemu's vCPU thread did not start: $(cat "$tmp/qemu.err")"
	wait_for 300 test -S "$tmp/qmp-$sid.sock" || fail "qemu's QMP socket did not appear"
	wait_for 300 bash -c "cat $(printf '%s ' "${hiers[0]}$cg/cgroup.procs") | xargs -I{} cat /proc/{}/comm | grep -qx virtiofsd" ||
		fail "virtiofsd stand-in did not start"
	wait_for 300 bash -c "tr '\0' '\n' </proc/\$(pgrep -f -x 'containerd-shim-kata-v2 .*$tmp/helper.py containerd-shim-kata-v2 .*' | head -n 1)/cmdline | head -n 1 | grep -qx containerd-shim-kata-v2" ||
		fail "the shim stand-in's argv[0] is not containerd-shim-kata-v2"
	sleep 1
	e=pod:$ns/$pod

	write_bundle
	timeout -k 5 90 "$VIRTPROF" top 1 3 --json >"$tmp/all.json" || fail "top exited $?"
	last=$(tail -n 1 "$tmp/all.json")
	jq -e --arg e "$e" '[.targets[] | select(.entity == $e)] | length == 1' <<<"$last" >/dev/null ||
		fail "not one target $e: $(jq -c '[.targets[] | [.entity, .pid, .cgroup]], .targets_notes' <<<"$last")"
	jq -e --arg s "sandbox-$sid" '[.targets[] | select(.entity == "vm:" + $s or .entity == "vm:pid'"$qpid"'")] | length == 0' <<<"$last" >/dev/null ||
		fail "the VMM is a VM of its own: $(jq -c '[.targets[].entity]' <<<"$last")"
	jq -e --arg e "$e" --arg r "$rule" '.targets[] | select(.entity == $e) | .runtime == "kata" and .layout == $r' <<<"$last" >/dev/null ||
		fail "runtime/layout: $(jq -c --arg e "$e" '.targets[] | select(.entity == $e)' <<<"$last")"
	# over intervals 2..: a stand-in that sleeps through one interval has no row in it
	roles=$(jq -rs --arg e "$e" '[.[1:][] | .entities[] | select(.entity == $e) | .role] | unique | join(",")' "$tmp/all.json")
	echo "$layout: $e roles: $roles"
	for r in vcpu emul runtime:shim runtime:virtiofsd; do
		grep -qw -- "$r" <<<"${roles//,/ }" || fail "$e: no role $r: $roles"
	done
	grep -qw unknown <<<"${roles//,/ }" && fail "$e: a thread with no role: $roles"
	# the VMM's threads are checked by the roles above: a qemu that lives less than an interval
	# elsewhere on the host (a version or KVM probe of another suite) is other, rightly
	jq -e '[.[] | .entities[] | select(.entity == "other" and (.role | test("^(virtiofsd|containerd-shim)")))] | length == 0' \
		--slurp "$tmp/all.json" >/dev/null ||
		fail "a piece of the pod left in other: $(jq -c '[.[] | .entities[] | select(.entity == "other" and (.role | test("^(virtiofsd|containerd-shim)")))]' --slurp "$tmp/all.json")"
	check_found "$tmp/all.json" "$e" vcpu 0.01
	check_found "$tmp/all.json" "$e" "" 0.01
	# the pod overhead: every interval, total = the pod's rows, overhead = total - vCPU time
	jq -s -c --arg e "$e" '.[] | {seq, po: (.pod_overhead[]? | select(.entity == $e)),
		busy: ([.entities[] | select(.entity == $e) | .busy_ns] | add),
		vcpu: ([.entities[] | select(.entity == $e and .role == "vcpu") | .busy_ns] | add)}' \
		"$tmp/all.json" >"$tmp/po.json"
	cat "$tmp/po.json"
	[ "$(wc -l <"$tmp/po.json")" -eq 3 ] || fail "not one pod overhead row per interval"
	# (an interval in which the whole pod got no CPU -- starved beside the kernel lab, cpu.stat
	# agreeing -- has overhead 0, measured: at least one interval has some)
	jq -e -s 'all(.po.total_ns == (.busy // 0) and .po.vcpu_ns == (.vcpu // 0) and
		.po.overhead_ns == .po.total_ns - .po.vcpu_ns and (.po.overhead_ns > 0 or .po.total_ns == 0)) and
		any(.po.overhead_ns > 0)' "$tmp/po.json" >/dev/null ||
		fail "pod overhead is not total - vcpu"
	[ "$layout" = cgroupfs ] || return 0

	# one pod, however it is asked for
	for spec in "--container $ns/$pod" "--vm sandbox-$sid" "--vm $qpid" "--vm $ns/$pod"; do
		write_bundle
		# shellcheck disable=SC2086
		timeout -k 5 60 "$VIRTPROF" top 1 1 --json $spec >"$tmp/one.json" 2>"$tmp/err" ||
			fail "$spec exited $?: $(cat "$tmp/err")"
		jq -e --arg e "$e" '[.targets[].entity] == [$e]' "$tmp/one.json" >/dev/null ||
			fail "$spec: $(jq -c '[.targets[].entity]' "$tmp/one.json")"
		echo "$spec -> $e"
	done
	# the text report: the same pod overhead table
	write_bundle
	timeout -k 5 60 "$VIRTPROF" top 1 1 --container "$ns/$pod" >"$tmp/top.txt" 2>&1 || fail "top (text) exited $?"
	grep -A4 "^pod overhead" "$tmp/top.txt"
	grep -A3 "^pod overhead" "$tmp/top.txt" | grep -q "^$e " || fail "no pod overhead row in the text report: $(cat "$tmp/top.txt")"
	jq -e '.targets_notes | any(contains("reported as that pod"))' "$tmp/one.json" >/dev/null ||
		fail "--vm gave the pod without saying so: $(jq -c .targets_notes "$tmp/one.json")"

	# the agent's metrics: the pod overhead counter = the pod's CPU counters less its vCPU's
	local port agent m
	port=$(free_port 1) || fail "no free port"
	write_bundle
	"$VIRTPROF" serve --listen "127.0.0.1:$port" --interval 1s --no-io >/dev/null 2>"$tmp/agent.err" &
	agent=$!
	on_exit "kill $agent; wait $agent"
	wait_for 300 bash -c "curl -sf --max-time 5 http://127.0.0.1:$port/metrics | grep -q 'virtprof_pod_overhead_seconds_total{.*$e'" ||
		fail "no pod overhead series: $(cat "$tmp/agent.err")"
	sleep 2
	curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" >"$tmp/metrics" || fail "scrape"
	m=$(awk -v e="entity=\"$e\"" 'index($0, e) && /^virtprof_cpu_seconds_total/ { all += $2; if ($0 ~ /role="vcpu"/) v += $2 }
		index($0, e) && /^virtprof_pod_overhead_seconds_total/ { o = $2 }
		END { printf "%.6f %.6f %.6f\n", all, v, o }' "$tmp/metrics")
	echo "metrics: pod cpu, vcpu, overhead (s): $m"
	awk -v m="$m" 'BEGIN { split(m, a, " "); d = a[1] - a[2] - a[3]; exit !(a[3] > 0 && d < 0.001 && d > -0.001) }' ||
		fail "pod overhead counter is not the pod's CPU less its vCPU's: $m"
}

one_pod cgroupfs web-$$
one_pod systemd api-$$
echo "ok after $SECONDS s"
