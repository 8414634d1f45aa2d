#!/usr/bin/env bash
# Coordinated omission: a server that stalls 1 s every 200 requests, driven at 500 req/s with
# one request in flight.  Latency from the intended send time (corrected) must show the stall
# (p99 >= 1 s); latency from the actual send (uncorrected) hides it (p99 far lower).
source "$(dirname "$0")/../lib.sh"
need_testsrv
"$SRV" 18090 stall 200 1000 &
on_exit "kill $!"
wait_for 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/18090" || fail "test server did not start"
"$VIRTPROF" load http://127.0.0.1:18090/ --rate 500 --max-inflight 1 --workers 1 \
	--duration 3s --json "$tmp/s.json" >"$tmp/s.txt" 2>&1 || fail "run failed: $(cat "$tmp/s.txt")"
corr=$(jq .latency.corrected.p99_us "$tmp/s.json")
unc=$(jq .latency.uncorrected.p99_us "$tmp/s.json")
echo "corrected p99 ${corr} us, uncorrected p99 ${unc} us"
assert_ge "$corr" 1000000 "corrected p99 must include the 1 s stall"
assert_le "$unc" 200000 "uncorrected p99 should hide the stall"
# the stalls happened: the max of the uncorrected latency is the stall itself
assert_ge "$(jq .latency.uncorrected.max_us "$tmp/s.json")" 1000000 "uncorrected max"
# sends that could not go out on time are counted late; what never went out, dropped
assert_ge "$(jq .totals.late "$tmp/s.json")" 1 "late sends"
assert_ge "$(jq .totals.dropped "$tmp/s.json")" 1 "dropped sends"
echo "PASS: coordinated omission corrected"
