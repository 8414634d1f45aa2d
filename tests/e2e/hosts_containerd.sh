#!/usr/bin/env bash
# Real containerd (its daemon started when not running, stopped again), real shims and runc:
#  - two containers in a Kubernetes-shaped pod cgroup (cgroupfs driver:
#    /kubepods/burstable/pod<uid>/<id>) with the annotations the CRI plugin writes: found as
#    pod:<namespace>/<name>, a row per container (the sandbox included), each within 1 % of its
#    cgroup's cpu.stat;
#  - a plain `ctr run` container in /<namespace>/<id>, found only because a containerd-shim
#    parents it, named by its id;
#  - each one's containerd-shim-runc-v2 (its -id) charged to it as runtime, none in other.
# No kubelet here (Debian has none): ctr stands in for the CRI plugin, the annotations and the
# cgroup path are the ones the CRI plugin would set.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq containerd ctr runc
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
sock=/run/containerd/containerd.sock
if ! timeout 5 ctr --address "$sock" version 2>/dev/null | grep -q Server; then
	setsid containerd >"$tmp/containerd.log" 2>&1 </dev/null &
	cpid=$!
	on_exit "kill $cpid; wait_for 100 bash -c '! kill -0 $cpid'"
	wait_for 100 bash -c "ctr --address $sock version 2>/dev/null | grep -q Server" ||
		fail "containerd did not start: $(tail -n 5 "$tmp/containerd.log")"
fi
busybox_rootfs "$tmp/rootfs"
cp -a "$tmp/rootfs" "$tmp/rootfs2"
cp -a "$tmp/rootfs" "$tmp/rootfs3"
hex() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
uid=$(cat /proc/sys/kernel/random/uuid)
pod=web-$$
sandbox=$(hex) app=$(hex) plain=vp-hosts-ctr-$$
cg=/kubepods/burstable/pod$uid
ann=(--annotation io.kubernetes.cri.sandbox-namespace=vp-hosts
	--annotation io.kubernetes.cri.sandbox-name="$pod")
cleanup_ctr() { # ns id: rm -f kills the task (SIGKILL) and waits for it
	timeout 20 ctr -n "$1" task rm -f "$2" >/dev/null 2>&1
	timeout 20 ctr -n "$1" container rm "$2" >/dev/null 2>&1
}
on_exit "for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do rmdir \$h$cg \$h/kubepods/burstable \$h/kubepods 2>/dev/null; done"
ctr -n k8s.io run -d --rootfs --cgroup "$cg/$sandbox" "${ann[@]}" \
	--annotation io.kubernetes.cri.container-type=sandbox "$tmp/rootfs" "$sandbox" \
	/bin/sleep 3600 >/dev/null || fail "ctr run sandbox"
on_exit "cleanup_ctr k8s.io $sandbox"
ctr -n k8s.io run -d --rootfs --cgroup "$cg/$app" "${ann[@]}" \
	--annotation io.kubernetes.cri.container-type=container \
	--annotation io.kubernetes.cri.container-name=spin "$tmp/rootfs2" "$app" \
	/bin/sh -c 'while :; do :; done' >/dev/null || fail "ctr run app"
on_exit "cleanup_ctr k8s.io $app"
ctr -n default run -d --rootfs "$tmp/rootfs3" "$plain" \
	/bin/sh -c 'while :; do :; done' >/dev/null || fail "ctr run plain"
on_exit "cleanup_ctr default $plain"
echo "containers started after $SECONDS s"
sleep 1
grep -q "/default/$plain" /proc/"$(ctr -n default task ls | awk -v c="$plain" '$1 == c {print $2}')"/cgroup ||
	fail "plain ctr container is not in /default/$plain"

timeout -k 5 60 "$VIRTPROF" top 1 3 --json >"$tmp/all.json" || fail "top exited $?"
echo "top done after $SECONDS s"
check_found "$tmp/all.json" "pod:vp-hosts/$pod" app:spin 0.01 "pod:vp-hosts/$pod/spin"
last=$(tail -n 1 "$tmp/all.json")
jq -e --arg e "pod:vp-hosts/$pod/" '[.targets[].entity | select(startswith($e))] | length == 2' <<<"$last" >/dev/null ||
	fail "pod's two containers are not its targets: $(jq -c '[.targets[].entity]' <<<"$last")"
jq -e --arg e "pod:vp-hosts/$pod/sandbox" '.kernel_check[] | select(.entity == $e)' <<<"$last" >/dev/null ||
	fail "no row for the sandbox container: $(jq -c '[.kernel_check[].entity]' <<<"$last")"
check_found "$tmp/all.json" "ctr:$plain" "" 0.01
# the shims: their -id names the container they serve
jq -e '[.[] | .entities[] | select(.entity == "other" and (.role | startswith("containerd-shim")))] | length == 0' \
	--slurp "$tmp/all.json" >/dev/null || fail "a containerd-shim left in other: $(jq -c '[.[] | .entities[] | select(.role | startswith("containerd-shim"))]' --slurp "$tmp/all.json")"

# --container: namespace/pod (all its containers), namespace/pod/container
timeout -k 5 60 "$VIRTPROF" top 1 1 --json --container "vp-hosts/$pod" >"$tmp/pod.json" || fail "--container pod exited $?"
jq -e '[.targets[].entity] | length == 2 and all(startswith("pod:vp-hosts/'"$pod"'/"))' "$tmp/pod.json" >/dev/null ||
	fail "--container vp-hosts/$pod: $(jq -c '[.targets[].entity]' "$tmp/pod.json")"
timeout -k 5 60 "$VIRTPROF" top 1 1 --json --container "vp-hosts/$pod/spin" >"$tmp/one.json" || fail "--container pod/ctr exited $?"
jq -e '[.targets[].entity] == ["pod:vp-hosts/'"$pod"'/spin"]' "$tmp/one.json" >/dev/null ||
	fail "--container vp-hosts/$pod/spin: $(jq -c '[.targets[].entity]' "$tmp/one.json")"
timeout -k 5 60 "$VIRTPROF" top 1 1 --container "vp-hosts/no-such-pod-$$" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "no such pod: exit $rc, $(cat "$tmp/err")"
echo "ok after $SECONDS s"
