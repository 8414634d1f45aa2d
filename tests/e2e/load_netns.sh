#!/usr/bin/env bash
# --netns NAME: only the load threads join /run/netns/NAME.  A server listens on 127.0.0.1 inside
# a namespace this test creates; the same URL is refused from the host namespace and answered
# with --netns.
source "$(dirname "$0")/../lib.sh"
need_root
need_cmd ip jq
[ -x "$VIRTPROF" ] || skip "$VIRTPROF not built"
SRV=$REPO/${VIRTPROF_BUILD:-build}/tests/helpers/load_testsrv
[ -x "$SRV" ] || skip "$SRV not built"
ns=vp-load-test-$$
ip netns add "$ns" || skip "cannot create a network namespace"
on_exit "ip netns del $ns"
ip -n "$ns" link set lo up
tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"
# a server that never stalls (every 10^9th request)
ip netns exec "$ns" "$SRV" 18094 stall 1000000000 0 &
on_exit "kill $!"
wait_for 50 ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/127.0.0.1/18094" ||
	fail "server in $ns did not start"
url=http://127.0.0.1:18094/
"$VIRTPROF" load "$url" --users 3 --loops 4 --json "$tmp/host.json" >/dev/null 2>&1
assert_eq "$(jq .errors.connect "$tmp/host.json")" 12 "refused from the host namespace"
"$VIRTPROF" load "$url" --users 3 --loops 4 --netns "$ns" --progress --json "$tmp/ns.json" \
	>/dev/null 2>&1 || fail "--netns run failed"
assert_eq "$(jq .totals.requests "$tmp/ns.json")" 12 "answered inside $ns"
assert_eq "$(jq .totals.errors "$tmp/ns.json")" 0 "no errors inside $ns"
echo "PASS: --netns"
