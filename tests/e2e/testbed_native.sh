#!/usr/bin/env bash
# The testbed's native container runtime (used where docker is missing): own netns, pid and mount
# namespaces, chroot into the rootfs, cgroups with the VM's CPU and memory limits.  up -> both
# answer -> limits set (2 CPUs, 256 MiB) -> down leaves no netns, cgroup or process.
set -u
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd qemu-system-x86_64 curl ip jq nsenter unshare
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no guest kernel in /boot (apt-get install linux-image-amd64)"

name=vptb-native
tb() { "$VIRTPROF" testbed "$@" --name "$name"; }
on_exit tb down
tb down >/dev/null 2>&1

# Non-default sizes and subnet too: status must describe what was asked for.
tb up --runtime native --accel tcg --memory 256 --vcpus 2 --subnet 10.214.7.0/24 >/dev/null ||
	fail "up --runtime native failed"
st=$(tb status --json) || fail "status not up: $st"
assert_eq "$(jq -r '.targets[0].url' <<<"$st")" "http://10.214.7.2/" "VM url in the asked subnet"
assert_eq "$(jq -r '.targets[0].cpus' <<<"$st")" 2 "vcpus"
assert_eq "$(jq -r '.targets[] | select(.target == "container") | .kind' <<<"$st")" native "runtime"
cpid=$(jq -r '.targets[] | select(.target == "container") | .pid' <<<"$st")
mapfile -t cgdirs < <(jq -r '.container_cgroups[].dir' <<<"$st")
((${#cgdirs[@]} > 0)) || fail "no cgroup dirs"
for d in "${cgdirs[@]}"; do
	[ -d "$d" ] || fail "cgroup $d missing"
	grep -q nginx < <(xargs -r ps -o comm= -p <"$d/cgroup.procs") || fail "no nginx in $d"
	[ -f "$d/cpu.cfs_quota_us" ] && assert_eq "$(cat "$d/cpu.cfs_quota_us")" 200000 "cpu quota in $d"
	[ -f "$d/cpu.max" ] && assert_eq "$(cut -d' ' -f1 "$d/cpu.max")" 200000 "cpu.max in $d"
	[ -f "$d/memory.limit_in_bytes" ] && assert_eq "$(cat "$d/memory.limit_in_bytes")" $((256 << 20)) "memory limit in $d"
done
[ "$(readlink "/proc/$cpid/ns/net")" != "$(readlink /proc/self/ns/net)" ] || fail "container shares the host netns"
for t in vm container; do
	u=$(jq -r ".targets[] | select(.target == \"$t\") | .url" <<<"$st")
	nsenter --net="/run/netns/$name" curl -sf --max-time 10 "$u" | grep -q "virtprof testbed" || fail "$t: no page at $u"
done
nsenter --net="/run/netns/$name" curl -sf -o /dev/null "$(jq -r '.targets[1].url' <<<"$st")bytes/100"
[ "$(tb logs container | grep -c 'GET /bytes/100')" -ge 1 ] || fail "container access log lacks the request"

tb down || fail "down failed"
ip netns list | grep -qw "$name" && fail "netns $name left"
ip netns list | grep -qw "$name-ctr" && fail "netns $name-ctr left"
for d in "${cgdirs[@]}"; do [ -d "$d" ] && fail "cgroup $d left"; done
pgrep -f -- "-name $name-vm" >/dev/null && fail "qemu left"
for ((i = 0; i < 30; i++)); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
[ -d "/proc/$cpid" ] && ! grep -q '^State:.*Z' "/proc/$cpid/status" && fail "container process $cpid left"
echo ok
