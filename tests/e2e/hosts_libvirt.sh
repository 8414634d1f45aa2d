#!/usr/bin/env bash
# Two real qemus (TCG, firmware `jmp $`: the vCPUs spin without an OS) in libvirt's cgroup layout,
# the layout built by hand -- libvirtd itself is not run (it would want a domain XML, a network,
# its daemons); what virtprof reads is the cgroup tree and the qemu command line it leaves:
#  - web-1: -name guest=web-1,debug-threads=on -uuid, a QMP socket; in
#    <root>/machine.slice/machine-qemu\x2d7\x2dweb\x2d1.scope/libvirt/{emulator,vcpu0,vcpu1} on v2
#    (threaded cgroups, as libvirt makes them) and .../{emulator,vcpu0,vcpu1} on v1 cpu.
#  - db-2: as libvirt starts qemu: no -name (the name comes from the scope,
#    machine-qemu\x2d8\x2ddb\x2d2.scope), no debug-threads, its monitor a -chardev/-mon socket
#    that a client of ours holds as libvirtd does (so virtprof's QMP query times out): only the
#    cgroups tell its roles.  On v1 cpu when the host has it (v2 otherwise).
# Asserts: both found with runtime libvirt, uuid and scope; the vCPU role charged to the vcpu
# threads (web-1 by QMP, db-2 by its vcpu0 cgroup) and agreeing with the kernel; --vm by name
# and by uuid prefix; a thread QMP calls a vCPU in the emulator cgroup is noted; a bogus or
# ambiguous --vm is one line and exit 2.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq python3 qemu-system-x86_64
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"

v2= v1=
if [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
	v2=/sys/fs/cgroup/unified
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	v2=/sys/fs/cgroup
fi
[ -f /sys/fs/cgroup/cpu/tasks ] && v1=/sys/fs/cgroup/cpu
[ -n "$v2" ] || skip "no cgroup v2 mount"
root=/vp-e2e-libvirt-$$
web='machine-qemu\x2d7\x2dweb\x2d1.scope'
db='machine-qemu\x2d8\x2ddb\x2d2.scope'
u1=6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b
u2=6f2d9e8f-7a6b-4c5d-9e0f-1a2b3c4d5e6f

# 64 KiB firmware: qemu maps its end at the reset vector (0xfffffff0): `jmp $` there
python3 -c 'import sys
b = bytearray(b"\xf4" * 65536)
b[0xfff0:0xfff2] = b"\xeb\xfe"
open(sys.argv[1], "wb").write(b)' "$tmp/spin.bin"

# cgroups go only after every qemu is gone (cleanups run in reverse order)
for h in $v2 $v1; do
	on_exit "find $h$root -depth -type d -exec rmdir {} \\;"
done

qemu() { # name-args... : the common part of both
	qemu-system-x86_64 -accel tcg -nographic -nodefaults -m 64 -bios "$tmp/spin.bin" \
		-display none -serial none -monitor none "$@" &
	on_exit "kill $!; wait $!"
}
qemu -smp 2 -name guest=web-1,debug-threads=on -uuid $u1 -qmp "unix:$tmp/web.sock,server=on,wait=off"
webpid=$!
qemu -smp 1 -uuid $u2 -chardev "socket,id=charmonitor,path=$tmp/db.sock,server=on,wait=off" \
	-mon chardev=charmonitor,id=monitor,mode=control
dbpid=$!

# libvirtd's hold on db-2's monitor: connected for the whole test; it tells us the vCPU tids
cat >"$tmp/hold.py" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
for _ in range(100):
    try:
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.1)
f = s.makefile("rw")
f.readline()
def cmd(c):
    f.write(json.dumps({"execute": c}) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r:
            return r["return"]
cmd("qmp_capabilities")
print(" ".join(str(c["thread-id"]) for c in cmd("query-cpus-fast")), flush=True)
time.sleep(600)
PY
python3 "$tmp/hold.py" "$tmp/db.sock" >"$tmp/db.vcpus" &
on_exit "kill $!"
wait_for 100 test -s "$tmp/db.vcpus" || fail "db-2's monitor did not answer"
wait_for 100 bash -c "grep -qx 'CPU 1/TCG' /proc/$webpid/task/*/comm" || fail "web-1's vCPU threads did not start"
read -r dbvcpu <"$tmp/db.vcpus"

# libvirt's layout: v2 per-thread cgroups are threaded below scope/libvirt; v1 right below the scope
mk_scope() { # hier scope
	local s=$1$root/machine.slice/$2 d
	if [ "$1" = "$v2" ]; then
		mkdir -p "$s/libvirt"
		for d in emulator vcpu0 vcpu1; do
			mkdir "$s/libvirt/$d"
			echo threaded >"$s/libvirt/$d/cgroup.type" || fail "threaded $s/libvirt/$d"
		done
	else
		for d in emulator vcpu0 vcpu1; do mkdir -p "$s/$d"; done
	fi
}
enter() { # hier scope pid: on v2 the process goes into the threaded domain before its threads move
	[ "$1" = "$v2" ] && { echo "$3" >"$1$root/machine.slice/$2/libvirt/cgroup.procs" || fail "pid $3 into $2"; }
	return 0
}
put() { # hier scope tid subdir
	local s=$1$root/machine.slice/$2
	if [ "$1" = "$v2" ]; then
		echo "$3" >"$s/libvirt/$4/cgroup.threads"
	else
		echo "$3" >"$s/$4/tasks"
	fi || fail "tid $3 into $s $4"
}
for h in $v2 $v1; do
	mk_scope "$h" "$web"
	enter "$h" "$web" $webpid
	for t in /proc/$webpid/task/*; do
		d=emulator
		[[ $(cat "$t/comm") =~ ^CPU\ ([0-9]+)/ ]] && d=vcpu${BASH_REMATCH[1]}
		put "$h" "$web" "${t##*/}" $d
	done
done
dbh=${v1:-$v2}
mk_scope "$dbh" "$db"
enter "$dbh" "$db" $dbpid
for t in /proc/$dbpid/task/*; do
	d=emulator
	[ "${t##*/}" = "$dbvcpu" ] && d=vcpu0
	put "$dbh" "$db" "${t##*/}" $d
done
echo "web-1 pid $webpid, db-2 pid $dbpid (vCPU $dbvcpu, on $dbh)"
sleep 0.5

echo "top at $SECONDS s"
timeout -k 5 60 "$VIRTPROF" top 1 3 --json >"$tmp/all.json" || fail "top exited $?"
last=$(tail -n 1 "$tmp/all.json")
target() { jq -c --arg e "$1" '.targets[] | select(.entity == $e)' <<<"$last"; }
for vm in "web-1 $u1 $web" "db-2 $u2 $db"; do
	read -r name uuid scope <<<"$vm"
	t=$(target "vm:$name")
	echo "vm:$name: $t"
	[ -n "$t" ] || fail "vm:$name not among the targets: $(jq -c '[.targets[].entity]' <<<"$last")"
	assert_eq "$(jq -r .runtime <<<"$t")" libvirt "vm:$name runtime"
	assert_eq "$(jq -r .id <<<"$t")" "$uuid" "vm:$name uuid"
	assert_eq "$(jq -r .cgroup <<<"$t")" "$root/machine.slice/$scope" "vm:$name scope"
	jq -e '.roles | contains("libvirt")' <<<"$t" >/dev/null || fail "vm:$name roles not from libvirt's cgroups"
	roles=$(jq -r --arg e "vm:$name" '[.entities[] | select(.entity == $e) | .role] | unique | join(",")' <<<"$last")
	echo "vm:$name roles: $roles"
	grep -q unknown <<<"$roles" && fail "vm:$name: a thread with no role: $roles"
	check_found "$tmp/all.json" "vm:$name" vcpu 0.01
done
jq -e '.targets_notes | any(contains("disagree")) | not' <<<"$last" >/dev/null ||
	fail "QMP and the cgroups agree, yet: $(jq -c .targets_notes <<<"$last")"

# --vm by domain name; by uuid prefix, after web-1's idle vCPU 1 went to the emulator cgroup
echo "--vm runs at $SECONDS s"
timeout -k 5 60 "$VIRTPROF" top 1 1 --vm web-1 --json >"$tmp/name.json" || fail "--vm web-1 exited $?"
assert_eq "$(tail -n 1 "$tmp/name.json" | jq -r '[.targets[].entity] | join(",")')" vm:web-1 "--vm web-1"
vcpu1=$(grep -lx 'CPU 1/TCG' /proc/$webpid/task/*/comm | cut -d/ -f5)
echo "$vcpu1" >"$v2$root/machine.slice/$web/libvirt/emulator/cgroup.threads" || fail "move vCPU 1"
timeout -k 5 60 "$VIRTPROF" top 1 1 --vm "${u1:0:8}" --json >"$tmp/uuid.json" || fail "--vm ${u1:0:8} exited $?"
last=$(tail -n 1 "$tmp/uuid.json")
assert_eq "$(jq -r '[.targets[].entity] | join(",")' <<<"$last")" vm:web-1 "--vm ${u1:0:8}"
note=$(jq -r '.targets_notes[] | select(contains("disagree"))' <<<"$last")
echo "note: $note"
grep -q "vm:web-1: QMP and libvirt's cgroups disagree on 1 thread(s) (tid $vcpu1: emul by its cgroup)" <<<"$note" ||
	fail "no note of QMP against the cgroups: $(jq -c .targets_notes <<<"$last")"

# a name nothing has, a uuid prefix both have: one line, exit 2, before any probe
for bad in "no-such-vm-$$" 6f; do
	timeout -k 5 60 "$VIRTPROF" top 1 1 --vm "$bad" >/dev/null 2>"$tmp/err"
	rc=$?
	echo "--vm $bad: rc=$rc $(cat "$tmp/err")"
	[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "--vm $bad: exit $rc, $(cat "$tmp/err")"
done
echo "ok after $SECONDS s"
