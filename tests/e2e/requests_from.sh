#!/usr/bin/env bash
# virtprof run --requests-from: CPU per request of a server under load that is not virtprof's.
# A real nginx (stub_status) in a cgroup of its own; ab runs outside virtprof inside the step's
# window: the count read from stub_status equals nginx's access log exactly (the status reads
# are not logged, and the second of them is left out of the difference), and the run's cost
# per request uses it.  An unknown tool run by --load-cmd has no count of its own (n/a, with the
# reason) until --requests-from gives one.  A page with no counter, or a server that is gone, is
# n/a with the reason, not 0.  A Prometheus text page (python3's http.server with a file) is
# read by series.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/nginx/nginx.sh"
need_root
need_cmd jq ab curl /usr/bin/python3
need_jsonschema
port=18243
status=http://127.0.0.1:$port/status
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
nginx_start $port 1 4096
nginx_cgroup vp-reqfrom-e2e-$$
validate() { validate_session "$1" "$1 does not validate"; }

# --- no load of virtprof's: the window is the step (--duration), the count is the server's ---
n0=$(nginx_log_lines)
"$VIRTPROF" run --container "$NGX_CG" --requests-from "$status" --duration 6s \
	--json "$tmp/a.json" >"$tmp/a.txt" 2>"$tmp/a.err" &
pid=$!
on_exit "kill $pid"
# the window opens after the probes are up (and the first status read): it says so
wait_for 600 grep -q "measuring for" "$tmp/a.err" || fail "the window never opened: $(cat "$tmp/a.err")"
ab -q -n 2000 -c 4 -k "http://127.0.0.1:$port/" >/dev/null || fail "ab failed"
wait $pid || fail "run exited $?: $(cat "$tmp/a.err")"
nginx_log_settle
validate "$tmp/a.json"
log=$(($(nginx_log_lines) - n0))
got=$(jq '.steps[0].cpu.requests' "$tmp/a.json")
echo "stub_status: $got requests in the window, nginx's log: $log"
assert_eq "$log" 2000 "nginx's log"
assert_eq "$got" 2000 "requests from stub_status"
jq -e '.steps[0].cpu.requests_source == "requests_from" and .steps[0].load == null and .steps[0].users == null and .comparison[0].own_us > 0 and .steps[0].requests_from.kind == "nginx stub_status" and .steps[0].requests_from.after.read_ms > 0' \
	"$tmp/a.json" >/dev/null || fail "JSON: $(jq -c '.steps[0].requests_from, .comparison[0]' "$tmp/a.json")"
grep -q "requests from $status: 2000" "$tmp/a.txt" || fail "text report lacks the count"

# --- an unknown tool: no count of its own; with --requests-from, the server's ---
cmd="curl -s -o /dev/null -o /dev/null -o /dev/null http://127.0.0.1:$port/ http://127.0.0.1:$port/ http://127.0.0.1:$port/"
"$VIRTPROF" run --load-cmd "$cmd" --json "$tmp/u.json" >"$tmp/u.txt" 2>"$tmp/u.err" ||
	fail "unknown tool run exited $?: $(cat "$tmp/u.err")"
validate "$tmp/u.json"
jq -e '.steps[0].cpu.requests == null and (.steps[0].cpu.requests_reason | test("does not know")) and .comparison[0].loadgen_us == null and .steps[0].load_cmd.tool == "unknown"' \
	"$tmp/u.json" >/dev/null || fail "unknown tool: $(jq -c '.steps[0].cpu | {requests, requests_reason}' "$tmp/u.json")"
"$VIRTPROF" run --load-cmd "$cmd" --requests-from "$status" --json "$tmp/u2.json" >/dev/null \
	2>"$tmp/u2.err" || fail "unknown tool + requests-from exited $?: $(cat "$tmp/u2.err")"
assert_eq "$(jq '.steps[0].cpu.requests' "$tmp/u2.json")" 3 "curl's 3 requests from stub_status"

# --- a page without a counter, a server that is gone: n/a with the reason, never 0 ---
"$VIRTPROF" run --requests-from "http://127.0.0.1:$port/" --duration 1s --json "$tmp/n.json" \
	>/dev/null 2>"$tmp/n.err" || fail "run exited $?"
grep -q "neither nginx stub_status" "$tmp/n.err" || fail "no clear line: $(cat "$tmp/n.err")"
jq -e '.steps[0].cpu.requests == null and (.steps[0].cpu.requests_reason | test("stub_status"))' \
	"$tmp/n.json" >/dev/null || fail "no-counter page: $(jq -c '.steps[0].cpu' "$tmp/n.json" | head -c 300)"
"$VIRTPROF" run --requests-from "http://127.0.0.1:1/status" --duration 1s --json "$tmp/g.json" \
	>/dev/null 2>"$tmp/g.err" || fail "run exited $?"
jq -e '.steps[0].cpu.requests == null and (.steps[0].requests_from.before.error | test("onnect"))' \
	"$tmp/g.json" >/dev/null || fail "gone server: $(jq -c '.steps[0].requests_from' "$tmp/g.json")"

# --- a Prometheus text page, by series ---
mkdir "$tmp/www"
printf '# TYPE vp_requests_total counter\nvp_requests_total{code="200"} 1234\nvp_requests_total{code="500"} 5\n' \
	>"$tmp/www/metrics"
pport=18244
(cd "$tmp/www" && exec /usr/bin/python3 -m http.server $pport --bind 127.0.0.1 >/dev/null 2>&1) &
ppid=$!
on_exit "kill $ppid"
wait_for 50 curl -sf "http://127.0.0.1:$pport/metrics" || fail "http.server did not start"
"$VIRTPROF" run --requests-from "http://127.0.0.1:$pport/metrics#vp_requests_total{code=\"500\"}" \
	--duration 1s --json "$tmp/p.json" >/dev/null 2>"$tmp/p.err" || fail "run exited $?: $(cat "$tmp/p.err")"
validate "$tmp/p.json"
jq -e '.steps[0].requests_from.kind == "prometheus" and .steps[0].requests_from.before.value == 5 and .steps[0].cpu.requests == 0' \
	"$tmp/p.json" >/dev/null || fail "prometheus: $(jq -c '.steps[0].requests_from' "$tmp/p.json")"

# --- bad input: exit 2, one line ---
rc=0
"$VIRTPROF" run --requests-from "ftp://x/" >/dev/null 2>"$tmp/bad.err" || rc=$?
assert_eq "$rc" 2 "ftp URL"
rc=0
"$VIRTPROF" run --requests-from "$status" --users 5 >/dev/null 2>"$tmp/bad.err" || rc=$?
assert_eq "$rc" 2 "--users without a load of virtprof's"
[ "$(wc -l <"$tmp/bad.err")" -eq 1 ] || fail "more than one line: $(cat "$tmp/bad.err")"
echo ok
