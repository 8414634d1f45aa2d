#!/usr/bin/env bash
# The testbed end to end, with the real pieces (qemu, dockerd or the native runtime, a netns):
# up -> both nginx answer from inside the namespace -> status lists both -> the access logs count
# requests -> down leaves nothing (no qemu, netns, links, container, cgroup) -> down again is
# harmless -> up after a simulated crash (qemu killed, netns left) recovers.
set -u
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd qemu-system-x86_64 curl ip jq nsenter
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no guest kernel in /boot (apt-get install linux-image-amd64)"

name=vptb-e2e
tb() { "$VIRTPROF" testbed "$@" --name "$name"; }
on_exit tb down
tb down >/dev/null 2>&1

in_ns() { nsenter --net="/run/netns/$name" "$@"; }

t0=$(date +%s)
tb up --json | jq -e ".type == \"testbed\"" >/dev/null || fail "testbed up (--json) failed"
echo "up took $(($(date +%s) - t0))s"
st=$(tb status --json) || fail "status after up is not 'up': $st"
vm_url=$(jq -r '.targets[] | select(.target == "vm") | .url' <<<"$st")
ctr_url=$(jq -r '.targets[] | select(.target == "container") | .url' <<<"$st")
qpid=$(jq -r '.targets[] | select(.target == "vm") | .pid' <<<"$st")
cid=$(jq -r '.targets[] | select(.target == "container") | .id' <<<"$st")
runtime=$(jq -r '.targets[] | select(.target == "container") | .kind' <<<"$st")
accel=$(jq -r '.targets[] | select(.target == "vm") | .accel' <<<"$st")
vhost=$(jq -r '.targets[] | select(.target == "vm") | .vhost' <<<"$st")
cgroup=$(jq -r '.targets[] | select(.target == "container") | .cgroup' <<<"$st")
mapfile -t cgdirs < <(jq -r '.container_cgroups[].dir' <<<"$st")
echo "vm $vm_url pid $qpid accel $accel vhost $vhost; container $ctr_url $runtime $cid $cgroup"
[ -n "$vm_url" ] && [ -n "$ctr_url" ] && [ "$vm_url" != "$ctr_url" ] || fail "status lacks both URLs: $st"
[[ $accel =~ ^(kvm|tcg)$ ]] || fail "accel '$accel'"
[[ $vhost =~ ^(on|off)$ ]] || fail "vhost '$vhost'"
if [ -c /dev/vhost-net ]; then assert_eq "$vhost" on "vhost with /dev/vhost-net"; else assert_eq "$vhost" off "vhost without /dev/vhost-net"; fi
[[ $runtime =~ ^(docker|native)$ ]] || fail "runtime '$runtime'"
grep -q "virtprof-vm\|$name-vm" "/proc/$qpid/cmdline" 2>/dev/null || fail "pid $qpid is not the testbed's qemu"
tr '\0' ' ' <"/proc/$qpid/cmdline" | grep -q "debug-threads=on" || fail "qemu without debug-threads=on"
((${#cgdirs[@]} > 0)) || fail "no container cgroup dirs"
for d in "${cgdirs[@]}"; do [ -d "$d" ] || fail "cgroup dir $d missing"; done
grep -q "^[0-9]*:[^:]*:$cgroup\$" /proc/"$(jq -r '.targets[] | select(.target == "container") | .pid' <<<"$st")"/cgroup ||
	fail "container pid is not in $cgroup"

# The page and the sized endpoint answer from inside the namespace, from both targets.
for u in "$vm_url" "$ctr_url"; do
	in_ns curl -sf --max-time 10 "$u" | grep -q "virtprof testbed" || fail "$u: no testbed page"
	n=$(in_ns curl -sf --max-time 10 "${u}bytes/4096" | wc -c)
	assert_eq "$n" 4096 "$u/bytes/4096 size"
	n=$(in_ns curl -sf --max-time 10 "${u}size?n=65536" | wc -c)
	assert_eq "$n" 65536 "$u/size?n=65536 size"
done
# The namespace's addresses do not exist on the host side.
prefix=${vm_url#http://}; prefix=${prefix%.*/}
ip -o addr show | grep -q " $prefix\." && fail "host netns has an address in $prefix.0/24"

# Access logs: one line per request, readable from the host.
before_vm=$(tb logs vm | wc -l)
before_ctr=$(tb logs container | wc -l)
for i in $(seq 7); do in_ns curl -sf -o /dev/null "$vm_url"; in_ns curl -sf -o /dev/null "$ctr_url"; done
assert_eq "$(($(tb logs vm | wc -l) - before_vm))" 7 "VM access log lines for 7 requests"
assert_eq "$(($(tb logs container | wc -l) - before_ctr))" 7 "container access log lines for 7 requests"

# up again is a no-op.
tb up >/dev/null || fail "second up failed"
assert_eq "$(tb status --json | jq -r '.targets[] | select(.target == "vm") | .pid')" "$qpid" "qemu pid after idempotent up"

check_gone() { # qemu-pid container-id cgroup-dirs...
	local p=$1 id=$2 i
	shift 2
	for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	[ -r "/proc/$p/cmdline" ] && grep -q "$name-vm" "/proc/$p/cmdline" && fail "qemu $p still runs"
	ip netns list | grep -qw "$name" && fail "netns $name left"
	ip netns list | grep -qw "$name-ctr" && fail "netns $name-ctr left"
	ip -o link show | grep -q "vptb-" && fail "testbed links left in the host netns"
	if [ "$runtime" = docker ] && docker info >/dev/null 2>&1; then
		docker ps -aq --no-trunc | grep -q "$id" && fail "container $id left"
	fi
	for d in "$@"; do [ -d "$d" ] && fail "cgroup $d left"; done
	[ -d "${VIRTPROF_TESTBED_DIR:-/var/lib/virtprof/testbed}/run/$name" ] && fail "state dir left"
	return 0
}

tb down || fail "down failed"
check_gone "$qpid" "$cid" "${cgdirs[@]}"
tb down || fail "second down failed"

# Crash: qemu dies, the netns and the container stay behind; up must recover.
tb up >/dev/null || fail "up after down failed"
st=$(tb status --json)
qpid=$(jq -r '.targets[] | select(.target == "vm") | .pid' <<<"$st")
cid=$(jq -r '.targets[] | select(.target == "container") | .id' <<<"$st")
mapfile -t cgdirs < <(jq -r '.container_cgroups[].dir' <<<"$st")
kill -9 "$qpid"
sleep 0.5
tb status >/dev/null && fail "status says up with qemu killed"
tb up >/dev/null || fail "up after the crash did not recover"
st=$(tb status --json) || fail "status after recovery is not up"
nq=$(jq -r '.targets[] | select(.target == "vm") | .pid' <<<"$st")
[ "$nq" != "$qpid" ] || fail "recovery kept the dead qemu pid"
for u in "$vm_url" "$ctr_url"; do in_ns curl -sf --max-time 10 "$u" >/dev/null || fail "$u after recovery"; done
ncid=$(jq -r '.targets[] | select(.target == "container") | .id' <<<"$st")
mapfile -t ncg < <(jq -r '.container_cgroups[].dir' <<<"$st")
tb down || fail "final down failed"
check_gone "$nq" "$ncid" "${ncg[@]}"
[ "$runtime" = docker ] && docker info >/dev/null 2>&1 && docker ps -aq --no-trunc | grep -q "$cid" &&
	fail "the crashed testbed's container $cid was left"
echo "ok: total $(($(date +%s) - t0))s"
