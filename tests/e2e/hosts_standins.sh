#!/usr/bin/env bash
# What Debian cannot run here, stood in for -- this test says so:
#  - Firecracker and cloud-hypervisor are not in Debian: a C process named as each VMM names
#    its process and threads (prctl PR_SET_NAME: "fc_vcpu 0", "fc_api"; "vcpu0", "http-server")
#    stands in; top finds it with no option and gives each thread its role from the VMM's table.
#  - An unknown runtime layout (a busy process in /vp-hosts-garden-<pid>/runc-<64 hex>) stays
#    other, with a note that names the cgroup.
#  - --vm / --container that match two (two stand-ins with one --id; two docker-shaped cgroups
#    whose ids share a prefix, stand-ins too: no docker container behind them): one line, exit 2.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
# The stand-ins in C, not Python: a spinning Python thread gives up the GIL whenever another
# thread asks for it and waits to get it back, so on a starved host the "vCPU" once ran not at all
# for a whole interval (fc12: its roles in the last interval were emul alone).
need_cmd gcc
cat >"$tmp/vmm.c" <<'C'
#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>
static void *spin(void *n) { prctl(PR_SET_NAME, n); for (volatile unsigned long i = 0;; i++) ; return 0; }
static void *rest(void *n) { prctl(PR_SET_NAME, n); for (;;) sleep(1); return 0; }
int main(int argc, char **argv)
{
	pthread_t a, b;

	if (argc < 4)
		return 2;
	pthread_create(&a, 0, spin, argv[1]);
	pthread_create(&b, 0, rest, argv[2]);
	sleep(600);
	return 0;
}
C
for v in firecracker cloud-hypervisor; do
	gcc -O1 -pthread -o "$tmp/$v" "$tmp/vmm.c" || fail "gcc: the $v stand-in"
done
start() { # proc busy idle id: the binary is named for the VMM, as its comm is
	"$tmp/$1" "$2" "$3" --id "$4" &
	on_exit "kill $!"
}
fc=vp-hosts-fc-$$ ch=vp-hosts-ch-$$
start firecracker "fc_vcpu 0" fc_api "$fc"
start cloud-hypervisor vcpu0 http-server "$ch"
# the unknown layout
garden=/vp-hosts-garden-$$
hexid=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
for h in /sys/fs/cgroup/unified /sys/fs/cgroup/cpu; do
	[ -d "$h" ] || continue
	mkdir -p "$h$garden/runc-$hexid"
	# removable only once the stand-in has exited (the kill below does not wait for it)
	on_exit "wait_for 50 rmdir $h$garden/runc-$hexid; rmdir $h$garden"
done
sh -c 'while :; do :; done' &
upid=$!
on_exit "kill $upid"
for h in /sys/fs/cgroup/unified /sys/fs/cgroup/cpu; do
	[ -d "$h" ] && echo "$upid" >"$h$garden/runc-$hexid/cgroup.procs"
done
# every thread of both named (a thread that starts inside top's interval leaves that interval's
# kernel figure n/a: on a busy host a new thread may take a while)
for t in "fc_vcpu 0" fc_api vcpu0 http-server; do
	wait_for 300 bash -c "grep -qx '$t' /proc/*/task/*/comm 2>/dev/null" || fail "stand-in thread '$t' did not start"
done
sleep 1

timeout -k 5 60 "$VIRTPROF" top 1 2 --json >"$tmp/all.json" || fail "top exited $?"
last=$(tail -n 1 "$tmp/all.json")
for e in "vm:$fc" "vm:$ch"; do
	roles=$(jq -r --arg e "$e" '[.entities[] | select(.entity == $e) | .role] | sort | join(",")' <<<"$last")
	echo "$e roles: $roles"
	grep -q vcpu <<<"$roles" || fail "$e: no vcpu role: $roles; its rows in each interval: $(jq -c --arg e "$e" '[.seq, [.entities[] | select(.entity == $e) | [.role, .cpu_pct]]]' "$tmp/all.json" | paste -sd' ')"
	grep -q unknown <<<"$roles" && fail "$e: a thread with no role: $roles"
	check_found "$tmp/all.json" "$e" vcpu 0.01
done
jq -e --arg c "$garden/runc-$hexid" '.targets_notes | any(contains($c))' <<<"$last" >/dev/null ||
	fail "no note for the unknown layout: $(jq -c .targets_notes <<<"$last")"
jq -e --arg p "$upid" '[.targets[] | select(.pid == ($p | tonumber))] | length == 0' <<<"$last" >/dev/null ||
	fail "the unknown layout became a target"
echo "unknown layout: $(jq -r --arg c "$garden" '.targets_notes[] | select(contains($c))' <<<"$last")"

# ambiguity: one line, exit 2, before any probe
start firecracker "fc_vcpu 0" fc_api "$fc"
wait_for 300 bash -c "[ \$(pgrep -c -x firecracker) -ge 2 ]" || fail "second stand-in did not start"
sleep 0.5
timeout -k 5 60 "$VIRTPROF" top 1 1 --vm "$fc" >/dev/null 2>"$tmp/err"
rc=$?
echo "--vm $fc (two): rc=$rc $(cat "$tmp/err")"
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "--vm matching two: exit $rc, $(cat "$tmp/err")"
pre=ab$(printf %08x $$)
for k in 1 2; do
	id=$pre$(head -c 27 /dev/urandom | od -An -tx1 | tr -d ' \n')
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup/cpu; do
		[ -d "$h" ] || continue
		mkdir -p "$h/docker/$id"
		on_exit "wait_for 50 rmdir $h/docker/$id"
	done
	sleep 600 &
	on_exit "kill $!"
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup/cpu; do
		[ -d "$h" ] && echo "$!" >"$h/docker/$id/cgroup.procs"
	done
done
timeout -k 5 60 "$VIRTPROF" top 1 1 --container "$pre" >/dev/null 2>"$tmp/err"
rc=$?
echo "--container $pre (two): rc=$rc $(cat "$tmp/err")"
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "--container matching two: exit $rc, $(cat "$tmp/err")"
echo "ok after $SECONDS s"
