#!/usr/bin/env bash
# virtprof run as a user runs it: a real nginx on loopback placed in a fresh cgroup given as the
# --container target; the JSON validates against docs/session.schema.json, which names each of its
# members; requests counted by the generator == nginx's log; the server's CPU lands on
# ctr:<cgroup> app and the generator's on loadgen; coverage 100 +- 2%; SIGINT mid-run still writes
# the report; bad input exits 2 before any traffic.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/nginx/nginx.sh"
need_root
need_cmd jq /usr/bin/python3
need_jsonschema
port=18189
url=http://127.0.0.1:$port/
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
nginx_start $port 1 4096

# the server in a cgroup of its own: a container without a container runtime
nginx_cgroup vp-run-e2e-$$
cg=$NGX_CG
ent=$NGX_ENT

# --- a fixed number of requests ---
"$VIRTPROF" run --url "$url" --container "$cg" --users 8 --loops 200 --ramp-up 0s \
	--json "$tmp/a.json" --csv "$tmp" >"$tmp/a.txt" 2>"$tmp/a.err" ||
	fail "run exited $?: $(cat "$tmp/a.err")"
nginx_log_settle
# --all-named: every member the writer put there is named by the schema (report/schema.h's scope)
validate_session --all-named "$tmp/a.json" \
	"JSON does not validate, or has a member the schema does not name"
j="$tmp/a.json"
assert_eq "$(jq '.steps[0].load.totals.requests' "$j")" 1600 "generator's request count"
assert_eq "$(nginx_log_lines)" 1600 "nginx access-log lines"
assert_eq "$(jq -r '.steps[0].target' "$j")" "$ent" "the step's target"
app=$(jq --arg e "$ent" '[.steps[0].cpu.entities[] | select(.entity == $e and .role == "app") | .busy_ns] | add // 0' "$j")
lg=$(jq '[.steps[0].cpu.entities[] | select(.entity == "loadgen") | .busy_ns] | add // 0' "$j")
cov=$(jq '.steps[0].cpu.coverage_pct' "$j")
own=$(jq --arg e "$ent" '.steps[0].cpu.overhead[] | select(.target == $e) | .own_us' "$j")
echo "nginx (cgroup) ${app} ns, loadgen ${lg} ns, own ${own} us/req, coverage ${cov}%"
assert_ge "$app" 1000000 "nginx CPU on $ent app"
assert_ge "$lg" 1000000 "load generator CPU"
assert_ge "$cov" 98 "coverage"
assert_le "$cov" 102 "coverage"
# nginx's threads are nowhere else: no 'other nginx' row
jq -e '[.steps[0].cpu.entities[] | select(.entity == "other" and .role == "nginx")] | length == 0' \
	"$j" >/dev/null || fail "nginx threads left outside the target"
grep -q "^Where the host's CPU went" "$tmp/a.txt" || fail "text report lacks the breakdown"
# the step's network section: every request and response crossed lo (plus handshakes)
lo=$(jq '[.steps[0].io.net_devices[] | select(.dev == "lo") | .rx_pkts] | add // 0' "$j")
assert_ge "$lo" 3200 "lo packets during the step"
grep -q "^I/O during the step" "$tmp/a.txt" || fail "text report lacks the I/O section"
[ -s "$tmp/summary.csv" ] || fail "no summary.csv"

# --- SIGINT mid-run: the report of what was collected, exit 0 ---
"$VIRTPROF" run --url "$url" --users 4 --duration 60s --json "$tmp/b.json" >"$tmp/b.txt" \
	2>"$tmp/b.err" &
pid=$!
sleep 3
kill -INT $pid
wait $pid || fail "run after SIGINT exited $?: $(cat "$tmp/b.err")"
jq -e '.steps[0].interrupted == true and .steps[0].load.totals.requests > 0' "$tmp/b.json" \
	>/dev/null || fail "interrupted run: report incomplete"
validate_session "$tmp/b.json" "interrupted run's JSON does not validate"

# --- bad input: exit 2, one line, no traffic and no file ---
before=$(nginx_log_lines)
for args in "" "--url ftp://127.0.0.1/" "--url $url --users 0" "--url $url --duration 5" \
	"--url $url --interval 1ms" "--url $url --json /nonexistent-dir/x.json" \
	"--url $url --container no-such-ctr-$$" "--url $url --rate 10 --users 5"; do
	# shellcheck disable=SC2086
	"$VIRTPROF" run $args >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "run $args: exit $rc, want 2"
	[ "$(wc -l <"$tmp/err")" -ge 1 ] || fail "run $args: no message"
done
assert_eq "$(nginx_log_lines)" "$before" "requests sent by refused runs"
echo ok
