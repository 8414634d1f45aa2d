#!/usr/bin/env bash
# Per-event cost of the network, block and KVM programs (kernel bpf_stats: run_time_ns / run_cnt)
# at full loopback HTTP load (nginx on 127.0.0.1 + wrk) with every virtprof program attached
# (`virtprof top`); with a third argument `block`, also 4 KiB O_DIRECT writes to a throw-away loop
# device meanwhile, so the block programs' per-event cost is measured under load too.
#   scripts/bench/io-probes.sh [SECONDS] [CONNECTIONS] [block]
# Prints each program's events, ns/event and events/s, the totals per group (account, net,
# block, kvm) and all virtprof programs as a share of the machine's CPU time (goal <= 1.5%).
# The peer: bpftrace's per-device packet/byte count on the same two tracepoints, same run.
# No -e: tests/lib.sh runs the cleanups from the EXIT trap, and one failing step (a kill of a
# process already gone) must not stop the others.
set -uo pipefail
secs=${1:-10}
conns=${2:-100}
mode=${3:-http}
port=18191
. "$(dirname "$0")/common.sh"
need_cmd losetup dd

# Block traffic (mode block): 4 KiB O_DIRECT writes to a loop device on a file in /tmp.
if [ "$mode" = block ]; then
	truncate -s 64M "$tmp/blk.img"
	loopdev=$(losetup -f --show "$tmp/blk.img") || fail "losetup"
	on_exit "losetup -d $loopdev"
fi

# The peer: what one would write in bpftrace for per-device packets and bytes.
cat >"$tmp/net.bt" <<'BT'
tracepoint:net:netif_receive_skb { @rx[args->name] = count(); @rxb[args->name] = sum(args->len); }
tracepoint:net:net_dev_xmit /args->rc == 0/ { @tx[args->name] = count(); @txb[args->name] = sum(args->len); }
BT
bpftrace "$tmp/net.bt" >"$tmp/bt.out" 2>&1 &
btpid=$!
on_exit "kill -INT $btpid 2>/dev/null; wait $btpid 2>/dev/null"
"$VIRTPROF" top 1 --json >"$tmp/top.json" 2>"$tmp/top.err" &
vppid=$!
on_exit "kill -INT $vppid 2>/dev/null; wait $vppid 2>/dev/null"
wait_for 100 grep -q . "$tmp/top.json" || { cat "$tmp/top.err" >&2; fail "virtprof top did not start"; }

wait_for 100 bash -c "grep -q '^prog_id:' /proc/$btpid/fdinfo/* 2>/dev/null" || fail "bpftrace did not attach"
ids=$(prog_ids $vppid)
btids=$(prog_ids $btpid)
[ "$ids" != "[]" ] || fail "no BPF programs found in virtprof's fds"
before=$(prog_snap)
t0=$(date +%s.%N)
ddpid=
if [ "$mode" = block ]; then
	( end=$((SECONDS + secs)); while ((SECONDS < end)); do
		dd if=/dev/zero of="$loopdev" bs=4k count=2000 oflag=direct status=none || break
	done ) &
	ddpid=$!
fi
[ -n "$ddpid" ] && on_exit "kill $ddpid 2>/dev/null"
wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/" >"$tmp/wrk.out" || fail "wrk failed"
[ -n "$ddpid" ] && { wait $ddpid 2>/dev/null || true; }
t1=$(date +%s.%N)
after=$(prog_snap)

ncpu=$(nproc)
jq -n --argjson d "$(prog_delta "$before" "$after" "$(jq -nc --argjson a "$ids" --argjson b "$btids" '$a + $b')")" \
	--argjson bt "$btids" --arg wall "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" --arg ncpu "$ncpu" '
	def group: if test("netif|net_dev|napi|net_flush") then "net"
		elif test("block") then "block" elif test("kvm") then "kvm" else "account" end;
	{wall_s: ($wall|tonumber), ncpu: ($ncpu|tonumber),
	 progs: [$d[] | {name, ns, cnt, group: (.id as $i | if ($bt | index($i)) then "bpftrace" else (.name | group) end)}]}' \
	>"$tmp/delta.json"

extra=; [ "$mode" = block ] && extra=" + O_DIRECT 4k writes to $loopdev"
echo "load: $(grep -E 'Requests/sec' "$tmp/wrk.out" | tr -s ' ')  (wrk -c$conns, ${secs}s, 127.0.0.1)$extra"
printf '%-34s %-8s %12s %10s %12s\n' PROGRAM GROUP EVENTS ns/event events/s
jq -r '.wall_s as $w | .progs[] | select(.cnt > 0) |
	[.name, .group, .cnt, (.ns / .cnt), (.cnt / $w)] | @tsv' "$tmp/delta.json" |
	sort -t$'\t' -k2,2 -k3,3nr | awk -F'\t' '{printf "%-34s %-8s %12d %10.1f %12.0f\n", $1, $2, $3, $4, $5}'
echo
jq -r '.wall_s as $w | .ncpu as $n | .progs | group_by(.group)[] |
	{g: .[0].group, ns: (map(.ns) | add), cnt: (map(.cnt) | add)} |
	"\(.g): \(.cnt) events, \(if .cnt > 0 then (.ns / .cnt * 10 | round / 10 | tostring) + " ns/event" else "ns/event n/a (no events)" end), " +
	"\(.ns / ($w * 1e9 * $n) * 1e5 | round / 1e3)% of the machine"' "$tmp/delta.json"
share=$(jq '(.progs | map(select(.group != "bpftrace") | .ns) | add) / (.wall_s * 1e9 * .ncpu) * 100' "$tmp/delta.json")
per() { jq -r --arg g "$1" --arg n "$2" '[.progs[] | select(.group == $g and (.name | test($n)))] |
	if length > 0 and .[0].cnt > 0 then .[0].ns / .[0].cnt else 0 end' "$tmp/delta.json"; }
for tp in net_dev_xmit netif_receive_s; do
	ours=$(per net "^tp_${tp}|^raw_${tp}")
	peer=$(per bpftrace "^${tp}")
	printf '%s: virtprof %.1f ns/event, bpftrace (per-device count+sum) %.1f ns/event, ratio %.2f\n' \
		"$tp" "$ours" "$peer" "$(awk -v a="$ours" -v b="$peer" 'BEGIN{print (b > 0 ? a / b : 0)}')"
done
# per request: the share grows with throughput, the cost per request much less
rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.out")
per_req=$(jq --arg r "$rps" '(.progs | map(select(.group != "bpftrace") | .ns) | add) / (($r | tonumber) * .wall_s)' "$tmp/delta.json")
printf 'all virtprof programs (bpftrace excluded): %.3f%% of the machine (%d CPUs x %.1f s) (goal <= 1.5%%), %.0f ns per request at %.0f requests/s\n' \
	"$share" "$ncpu" "$(jq .wall_s "$tmp/delta.json")" "$per_req" "$rps"
goal "all BPF programs at full loopback load (virtprof top), bpf_stats" "<= 1.5 % of the machine" \
	"$(printf '%.2f %% (%.0f ns/request at %.0fk req/s)' "$share" "$per_req" "$(awk -v r="$rps" 'BEGIN{print r/1000}')")" \
	"$(awk -v a="$share" 'BEGIN{print (a <= 1.5) ? 1 : 0}')"
