#!/usr/bin/env bash
# virtprof load against a real nginx on loopback: exact request counts (sent == nginx log ==
# summary), keep-alive = one connection per user, --new-conn = one per request, JSON schema.
source "$(dirname "$0")/../lib.sh"
source "$REPO/tests/nginx/nginx.sh"
need_root
need_cmd jq
[ -x "$VIRTPROF" ] || skip "$VIRTPROF not built"
port=18080
nginx_start $port 1 4096
tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"
url=http://127.0.0.1:$port/

# 1. fixed loops, keep-alive: 12 users x 25 loops over 2 workers with a ramp-up
"$VIRTPROF" load "$url" --users 12 --loops 25 --ramp-up 200ms --workers 2 --json "$tmp/a.json" \
	>"$tmp/a.txt" || fail "load run failed: $(cat "$tmp/a.txt")"
nginx_log_settle
assert_eq "$(jq .totals.requests "$tmp/a.json")" 300 "summary JSON request count"
assert_eq "$(jq .totals.sent "$tmp/a.json")" 300 "requests sent"
assert_eq "$(nginx_log_lines)" 300 "nginx access-log lines"
grep -q "^  300 requests in" "$tmp/a.txt" || fail "text summary lacks '300 requests in': $(head -3 "$tmp/a.txt")"
assert_eq "$(jq '.totals.responses."2xx"' "$tmp/a.json")" 300 "2xx responses"
assert_eq "$(jq .totals.errors "$tmp/a.json")" 0 "transport errors"
assert_eq "$(nginx_log_conns)" 12 "distinct nginx connections with keep-alive (one per user)"
assert_eq "$(jq .connections.established "$tmp/a.json")" 12 "established connections"
assert_eq "$(jq .connections.requested "$tmp/a.json")" 12 "requested connections"
# schema: every documented top-level member is there
for k in schema config start elapsed_s measured_s totals connections latency histogram errors timeline; do
	assert_eq "$(jq "has(\"$k\")" "$tmp/a.json")" true "JSON member $k"
done
assert_eq "$(jq -r .schema "$tmp/a.json")" virtprof-load/1 "schema name"
# the histogram's buckets add up to the latency count
assert_eq "$(jq '[.histogram.buckets[][2]] | add' "$tmp/a.json")" 300 "histogram total"
# the timeline's requests add up to the total, with monotonic and wall stamps 1 s apart
assert_eq "$(jq '[.timeline[].requests] | add' "$tmp/a.json")" 300 "timeline request sum"
assert_eq "$(jq '[.timeline[] | .real_ns - .mono_ns] | unique | length' "$tmp/a.json")" 1 \
	"timeline wall and monotonic stamps move together"

# 2. --new-conn: one connection per request
: >"$NGX_DIR/access.log"
"$VIRTPROF" load "$url" --users 5 --loops 20 --new-conn --workers 2 --json "$tmp/b.json" \
	>"$tmp/b.txt" || fail "new-conn run failed: $(cat "$tmp/b.txt")"
nginx_log_settle
assert_eq "$(jq .totals.requests "$tmp/b.json")" 100 "new-conn request count"
assert_eq "$(nginx_log_lines)" 100 "new-conn nginx log lines"
assert_eq "$(nginx_log_conns)" 100 "distinct nginx connections with --new-conn"
assert_eq "$(jq .connections.established "$tmp/b.json")" 100 "new-conn established"

# 3. open model, fixed rate for 2 s: 200 intended sends, each logged once
: >"$NGX_DIR/access.log"
"$VIRTPROF" load "$url" --rate 100 --duration 2s --workers 2 --json "$tmp/c.json" \
	>"$tmp/c.txt" || fail "open-model run failed: $(cat "$tmp/c.txt")"
nginx_log_settle
sent=$(jq '.totals.sent + .totals.dropped' "$tmp/c.json")
assert_eq "$sent" 200 "open model: sent + dropped == rate x duration"
assert_eq "$(nginx_log_lines)" "$(jq .totals.sent "$tmp/c.json")" "open model: nginx lines == sent"
echo "PASS: counts, connections, schema"
