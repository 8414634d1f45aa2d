#!/usr/bin/env bash
# vhost-net's worker in this kernel's mode -- a kthread "vhost-<pid>" before 6.4, a user worker
# thread of the owner since -- attributed to its owner as role vhost, with no guest at all: a
# test helper (tests/helpers/vhost_drv.c) drives vhost-net from its own memory into a tap.  It
# runs under a qemu-system-* name so virtprof takes it for a VMM (no KVM needed: this works on
# every lab kernel).
source "$REPO/tests/lab/lib.sh"
[ -c /dev/vhost-net ] || skip "no /dev/vhost-net (modprobe vhost_net)"
drv=$REPO/${VIRTPROF_BUILD:-build}/tests/helpers/vhost_drv
[ -x "$drv" ] || skip "$drv not built"
tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"
ln -s "$drv" "$tmp/qemu-system-vhostdrv"
ns=vplab-vh
ip netns add $ns || fail "netns"
on_exit "ip netns del $ns"
# 50,000 frames: 1-2 s of the worker's time, thousands of its wakeups (400,000 took 22 s of a
# busy lab for the same verdicts)
ip netns exec $ns "$tmp/qemu-system-vhostdrv" vplabtap 50000 "$tmp/go" 20000 >"$tmp/drv.log" 2>&1 &
drvpid=$!
on_exit "kill $drvpid 2>/dev/null"
wait_for 100 ip -n $ns link show vplabtap || fail "tap not created: $(cat "$tmp/drv.log")"
ip -n $ns link set vplabtap up
sleep 1
# the worker, as the kernel knows it
mode="user-worker"
worker=
for t in /proc/$drvpid/task/*; do task_comm "$t" && [ "$COMM" = "vhost-$drvpid" ] && worker=${t##*/}; done
if [ -z "$worker" ]; then
	mode=kthread
	for p in /proc/[0-9]*; do task_comm "$p" && [ "$COMM" = "vhost-$drvpid" ] && worker=${p##*/} && break; done
fi
[ -n "$worker" ] || fail "no vhost-$drvpid worker"
[ "$mode" = "$(expected_vhost_mode)" ] || fail "worker is a $mode, want $(expected_vhost_mode)"
# top runs until the frames are through (an emulated host is slow by varying amounts; a fixed
# number of intervals once ended before the driver started) and then one interval more.  Its
# output goes to L1's own tmpfs: the 9p-shared LAB_OUT once showed a size before any complete
# line could be read, and the frames went before the probes were attached.
out=$tmp/top.json
"$VIRTPROF" top 1 --vm "$drvpid" --json >"$out" 2>"$tmp/top.err" &
top=$!
on_exit "kill -INT $top 2>/dev/null"
# the frames go once the probes are attached: a complete interval is out
wait_for 600 jq -e -s 'length >= 1' "$out" || fail "top produced no interval: $(tail -n 2 "$tmp/top.err")"
touch "$tmp/go"
echo "$(date +%T.%N): go, after $(jq -s length "$out") interval(s)"
wait_for 1200 grep -q "frames through" "$tmp/drv.log" || fail "the driver did not finish in 120 s: $(cat "$tmp/drv.log")"
sleep 1.5
kill -INT $top
wait $top || fail "top failed: $(tail -n 2 "$tmp/top.err")"
cp "$out" "$LAB_OUT/vhost_noguest.json"
echo "$(date +%T.%N): top done, $(jq -s length "$out") interval(s)"
cat "$tmp/drv.log"
e="vm:pid$drvpid"
busy=$(jq -s --arg e "$e" '[.[].entities[] | select(.entity == $e and .role == "vhost") | .busy_ns // ((.task_ns // 0) + (.softirq_ns // 0) + (.hardirq_ns // 0))] | add // 0' "$out")
other=$(jq -s --arg r "vhost" '[.[].entities[] | select(.entity == "other" and (.role | startswith("vhost"))) | .task_ns // 0] | add // 0' "$out")
mode_rep=$(jq -rs '.[-1].accounting_mode[0].vhost' "$out")
echo "vhost worker $worker ($mode): $((busy / 1000000)) ms as $e/vhost, $((other / 1000000)) ms as other/vhost*; report says vhost $mode_rep"
[ "$busy" -gt 1000000 ] || fail "the worker's time is not $e/vhost: $(jq -sc '[.[].entities[] | {entity, role, task_ns}]' "$LAB_OUT/vhost_noguest.json" | cut -c1-400)"
[ "$other" -eq 0 ] || fail "worker time left in other"
[ "$mode_rep" = "$mode" ] || fail "report says vhost $mode_rep, the kernel runs $mode"
echo ok
