#!/usr/bin/env bash
# Testbed faults: a missing qemu, guest kernel or docker, a name clash, a VM that never gets ready,
# SIGTERM in the middle of `up`, and bad options.  Each must name the missing piece and how to get
# it, exit non-zero, and leave nothing behind.  Missing components are simulated by pointing the
# script's TB_QEMU / TB_KERNEL / TB_DOCKER hooks at a path that does not exist (they are installed
# here, and uninstalling them would disturb the other tests).
set -u
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd qemu-system-x86_64 curl ip nsenter
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no guest kernel in /boot (apt-get install linux-image-amd64)"

name=vptb-fault
tb() { "$VIRTPROF" testbed "$@" --name "$name"; }
on_exit tb down
on_exit ip netns del "$name"
tb down >/dev/null 2>&1

nothing_left() { # what
	local i
	ip netns list | grep -qw "$name" && fail "$1: netns $name left"
	ip netns list | grep -qw "$name-ctr" && fail "$1: netns $name-ctr left"
	for ((i = 0; i < 50; i++)); do pgrep -f -- "-name $name-vm" >/dev/null || break; sleep 0.1; done
	pgrep -f -- "-name $name-vm" >/dev/null && fail "$1: qemu left"
	if docker info >/dev/null 2>&1; then
		[ -n "$(docker ps -aq --filter "name=^/$name-ctr\$")" ] && fail "$1: container left"
	fi
	ls -d /sys/fs/cgroup/*/virtprof/"$name" >/dev/null 2>&1 && fail "$1: cgroup left"
	[ -d "${VIRTPROF_TESTBED_DIR:-/var/lib/virtprof/testbed}/run/$name" ] && fail "$1: state left"
	return 0
}

expect() { # rc-want pattern what -- command...
	local want=$1 pat=$2 what=$3 out rc
	shift 4
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want" ] || fail "$what: exit $rc, want $want: $out"
	grep -qi -- "$pat" <<<"$out" || fail "$what: message lacks '$pat': $out"
	echo "ok: $what: $(grep -i -m1 -- "$pat" <<<"$out")"
}

expect 2 "apt-get install qemu-system-x86" "no qemu" -- env TB_QEMU=/nonexistent/qemu-system-x86_64 "$VIRTPROF" testbed up --name "$name"
nothing_left "no qemu"
expect 2 "apt-get install linux-image-amd64" "no kernel" -- env TB_KERNEL=/nonexistent/vmlinuz "$VIRTPROF" testbed up --name "$name"
nothing_left "no kernel"
expect 2 "apt-get install docker.io" "no docker" -- env TB_DOCKER=/nonexistent/docker "$VIRTPROF" testbed up --name "$name" --runtime docker
nothing_left "no docker"
expect 2 "usage\|want" "bad --vcpus" -- "$VIRTPROF" testbed up --name "$name" --vcpus 0
expect 2 "A.B.C.0/24" "bad --subnet" -- "$VIRTPROF" testbed up --name "$name" --subnet 10.1.0.0/16
expect 2 "bad name" "bad --name" -- "$VIRTPROF" testbed up --name "a/b"

ip netns add "$name"
expect 2 "exists and is not a virtprof testbed" "name clash" -- "$VIRTPROF" testbed up --name "$name"
ip netns list | grep -qw "$name" || fail "name clash: the foreign netns was removed"
ip netns del "$name"
nothing_left "name clash"

# A VM that never gets ready: the guest boots but takes an address off the bridge's subnet (the
# last vp.ip= on the kernel command line wins), so nginx never answers; the container that was
# already started goes too.
expect 1 "did not answer" "VM never ready" -- env TB_KCMDLINE="vp.ip=10.213.99.9/32" \
	"$VIRTPROF" testbed up --name "$name" --boot-timeout 8s
nothing_left "VM never ready"

# SIGTERM while up is under way removes what was made so far.
"$VIRTPROF" testbed up --name "$name" --accel tcg >/dev/null 2>&1 &
pid=$!
for ((i = 0; i < 100; i++)); do pgrep -f -- "-name $name-vm" >/dev/null && break; sleep 0.1; done
pgrep -f -- "-name $name-vm" >/dev/null || fail "SIGTERM: qemu never started"
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -ne 0 ] || fail "SIGTERM: up exited 0"
echo "ok: SIGTERM during up: exit $rc"
nothing_left "SIGTERM during up"
