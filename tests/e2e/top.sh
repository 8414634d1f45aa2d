#!/usr/bin/env bash
# virtprof top as a user runs it: a busy loop in a real docker container and a real TCG qemu VM
# are attributed to ctr:<name> (agreeing with its cgroup's own figure) and vm:<name> role vcpu;
# bad input exits 2; SIGINT prints the interval and exits 0; a VM killed while watched is
# reported gone.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq qemu-system-x86_64 docker

ensure_dockerd
img=virtprof-e2e-busybox:latest
busybox_image "$img"
ctr=vp-e2e-spin-$$
# A run killed before its cleanup (SIGKILL, a reboot) leaves its container behind, and a testbed
# then keeps the dockerd it started running for it: remove those whose test is gone.
for old in $(docker ps -a --filter name=vp-e2e-spin- --format '{{.Names}}'); do
	kill -0 "${old##*-}" 2>/dev/null || docker rm -f "$old" >/dev/null
done
vm=vp-e2e-vm-$$
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"

docker run -d --name "$ctr" --network none "$img" /bin/sh -c 'while :; do :; done' >/dev/null ||
	fail "docker run"
on_exit "docker rm -f $ctr"

# A guest kernel with no root fs panics and reboots (panic=1): the vCPU stays busy under TCG.
start_vm() {
	local k args=()
	k=$(guest_kernel)
	[ -n "$k" ] && args=(-kernel "$k" -append "console=ttyS0 panic=1")
	qemu-system-x86_64 -name "$vm,debug-threads=on" -accel tcg -m 128 -nodefaults -display none \
		-serial null "${args[@]}" </dev/null >/dev/null 2>&1 &
	vmpid=$!
	on_exit "kill -9 $vmpid"
}
start_vm
wait_for 50 pgrep -f "$vm,debug-threads" || fail "qemu did not start"
sleep 1

# --- discovery: every qemu and every container found ---
"$VIRTPROF" top 1 2 --json >"$tmp/all.json" || fail "top exited $?"
[ "$(wc -l <"$tmp/all.json")" -eq 2 ] || fail "expected 2 JSON lines, got $(wc -l <"$tmp/all.json")"
last=$(tail -n 1 "$tmp/all.json")
jq -e . <<<"$last" >/dev/null || fail "not JSON"
ctr_cpu=$(jq --arg e "ctr:$ctr" '[.entities[] | select(.entity == $e and .role == "app") | .cpu_pct] | add // 0' <<<"$last")
vcpu=$(jq --arg e "vm:$vm" '[.entities[] | select(.entity == $e and .role == "vcpu") | .cpu_pct] | add // 0' <<<"$last")
cov=$(jq '.coverage[0].coverage_pct' <<<"$last")
echo "container busy loop ${ctr_cpu}% of host, vm vcpu ${vcpu}%, coverage ${cov}%"
# A busy loop owns one of the host's CPUs (50 % on 2) when nothing else runs, but beside the TCG
# vCPU and the kernel lab it once got 19.9 % (fc21): the share is the contention's.  What this
# holds is the owner (a wrong one gives ~0) and the kernel's cgroup figure beside virtprof's.
check_found "$tmp/all.json" "ctr:$ctr" app 5
assert_ge "$vcpu" 0.5 "vm vcpu CPU"
assert_ge "$cov" 99 "coverage"
assert_le "$cov" 101 "coverage"
jq -e --arg e "ctr:$ctr" '.targets | map(.entity) | index($e)' <<<"$last" >/dev/null ||
	fail "container not among the targets"

# --- explicit targets by name; text output ---
"$VIRTPROF" top 1 1 --vm "$vm" --container "$ctr" >"$tmp/text.out" || fail "top by name exited $?"
grep -q "ctr:$ctr .*app" "$tmp/text.out" || fail "text table lacks the container row"
grep -q "vm:$vm .*vcpu" "$tmp/text.out" || fail "text table lacks the vcpu row"
grep -q "coverage" "$tmp/text.out" || fail "no coverage line"

# --- bad input: exit 2 with a message, no traceback ---
for args in "--container no-such-ctr-$$" "--vm no-such-vm-$$" "-p 999999999" "0" "1 x" "--bogus"; do
	# shellcheck disable=SC2086
	"$VIRTPROF" top $args >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "top $args: exit $rc, want 2"
	grep -q "virtprof" "$tmp/err" || fail "top $args: no message: $(cat "$tmp/err")"
done
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$VIRTPROF" top 1 1 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "unprivileged top: exit $rc, want 2"
	grep -q "root" "$tmp/err" || fail "unprivileged top: message does not say root: $(cat "$tmp/err")"
fi

# --- SIGINT ends cleanly with the current interval printed ---
"$VIRTPROF" top 5 --json >"$tmp/int.json" 2>"$tmp/int.err" &
tp=$!
sleep 2
kill -INT $tp
wait $tp
rc=$?
[ $rc -eq 0 ] || fail "top after SIGINT exited $rc: $(cat "$tmp/int.err")"
[ "$(wc -l <"$tmp/int.json")" -eq 1 ] || fail "SIGINT: want the partial interval printed"

# --- a reader that goes away (| head) ends an endless top cleanly, probes detached ---
timeout 30 "$VIRTPROF" top 1 --json 2>"$tmp/pipe.err" | head -n 1 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || fail "top | head: exited $rc (124: it ran on): $(tail -n 2 "$tmp/pipe.err")"

# --- a VM killed while watched is reported gone, not an error ---
"$VIRTPROF" top 1 3 --json --vm "$vm" >"$tmp/gone.json" &
tp=$!
sleep 1.3
kill -9 "$vmpid"
wait $tp || fail "top exited $? after its target died"
jq -e --arg e "vm:$vm" '.targets[] | select(.entity == $e) | .status == "gone"' \
	<<<"$(tail -n 1 "$tmp/gone.json")" >/dev/null || fail "dead VM not reported gone"
echo "ok"
