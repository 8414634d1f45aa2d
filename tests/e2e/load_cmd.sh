#!/usr/bin/env bash
# virtprof run --load-cmd with the real wrk, h2load, ab and hey from Debian against a real nginx on
# loopback (its one worker in a cgroup of its own, the --container target): each tool's threads
# are charged to loadgen (role command), none left in `other`; the request count taken from the
# tool's report equals nginx's access log (h2load -n / ab -n: exactly; wrk stops at -d with
# requests nginx answered but wrk did not count: at most one per connection more in the log;
# hey -n: exactly, with its latency percentiles); k6 and oha are not in Debian: their JSON is
# read by the unit tests only (tests/unit/test_load_tool.c);
# --requests-from with nginx stub_status equals the log exactly; a command that exits 1, one
# killed by --duration and one not found give a clear error (exit 1 with the report and the
# JSON, or exit 2 before anything runs); every cgroup it made is gone.  JMeter is Debian's 2.13,
# run through scripts/jmeter/jmeter (bookworm's xstream refuses every plan without its shim).
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/nginx/nginx.sh"
need_root
need_cmd jq wrk h2load ab hey java javac /usr/bin/python3
[ -f /usr/share/jmeter/bin/ApacheJMeter.jar ] || skip "jmeter not installed (scripts/deps.sh installs it)"
need_jsonschema
port=18241
url=http://127.0.0.1:$port/
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
nginx_start $port 1 4096
nginx_cgroup vp-loadcmd-e2e-$$
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

check_run() { # name: the JSON of one run with a known tool
	local j=$tmp/$1.json
	validate_session "$j" "$1: JSON does not validate"
	jq -e '.steps[0].cpu.entities[] | select(.entity == "loadgen" and .role == "command" and .busy_ns > 1000000)' \
		"$j" >/dev/null || fail "$1: no loadgen command row with CPU"
	jq -e --arg t "$1" '[.steps[0].cpu.entities[] | select(.entity == "other" and (.role == $t or .role == "wrk" or .role == "h2load" or .role == "ab"))] | length == 0' \
		"$j" >/dev/null || fail "$1: the tool's threads left in other: $(jq -c '[.steps[0].cpu.entities[] | select(.entity == "other")]' "$j")"
	jq -e '.steps[0].cpu.entities[] | select(.entity == $e and .role == "app")' --arg e "$NGX_ENT" \
		"$j" >/dev/null || fail "$1: nginx's CPU is not on its target"
}

log_delta() { echo $(($(nginx_log_lines) - $1)); }

# --- wrk: a fixed duration, its count against the log ---
n0=$(nginx_log_lines)
"$VIRTPROF" run --container "$NGX_CG" --load-cmd "wrk -t2 -c20 -d2s --latency $url" \
	--json "$tmp/wrk.json" >"$tmp/wrk.txt" 2>"$tmp/wrk.err" || fail "wrk run exited $?: $(cat "$tmp/wrk.err")"
nginx_log_settle
check_run wrk
got=$(jq '.steps[0].cpu.requests' "$tmp/wrk.json")
log=$(log_delta "$n0")
echo "wrk: $got requests in its report, $log in nginx's log"
assert_ge "$log" "$got" "nginx logged at least wrk's count"
assert_le "$log" $((got + 20)) "nginx's log beyond wrk's count by at most one per connection"
assert_eq "$(jq -r '.steps[0].cpu.requests_source' "$tmp/wrk.json")" load_cmd "requests source"
jq -e '.steps[0].load_cmd | .tool == "wrk" and .exit_status == 0 and .latency_ms.p99 > 0' \
	"$tmp/wrk.json" >/dev/null || fail "wrk: load_cmd $(jq -c .steps[0].load_cmd "$tmp/wrk.json")"
jq -e '.comparison[0].p99_ms > 0 and .comparison[0].loadgen_us > 0' "$tmp/wrk.json" >/dev/null ||
	fail "wrk: comparison row $(jq -c '.comparison[0]' "$tmp/wrk.json")"
grep -q "wrk's report: $got requests" "$tmp/wrk.txt" || fail "wrk: text report lacks the count"

# --- h2load, ab and hey: a fixed number of requests, and the server's counter beside it ---
for t in h2load ab hey; do
	case $t in
	h2load) cmd="h2load -n 3000 -c 10 -t 1 --h1 $url" ;;
	ab) cmd="ab -q -n 3000 -c 10 -k $url" ;;
	hey) cmd="hey -n 3000 -c 10 $url" ;;
	esac
	n0=$(nginx_log_lines)
	"$VIRTPROF" run --container "$NGX_CG" --load-cmd "$cmd" \
		--requests-from "http://127.0.0.1:$port/status" \
		--json "$tmp/$t.json" >"$tmp/$t.txt" 2>"$tmp/$t.err" ||
		fail "$t run exited $?: $(cat "$tmp/$t.err")"
	nginx_log_settle
	check_run $t
	log=$(log_delta "$n0")
	echo "$t: report $(jq '.steps[0].load_cmd.requests' "$tmp/$t.json"), stub_status $(jq '.steps[0].cpu.requests' "$tmp/$t.json"), log $log"
	assert_eq "$log" 3000 "$t: nginx's log"
	assert_eq "$(jq '.steps[0].load_cmd.requests' "$tmp/$t.json")" 3000 "$t: the tool's count"
	assert_eq "$(jq '.steps[0].cpu.requests' "$tmp/$t.json")" 3000 "$t: stub_status delta"
	assert_eq "$(jq -r '.steps[0].cpu.requests_source' "$tmp/$t.json")" requests_from "$t: source"
	assert_eq "$(jq -r '.steps[0].load_cmd.tool' "$tmp/$t.json")" $t "$t: the tool named"
done
jq -e '.steps[0].load_cmd | .errors == 0 and .latency_ms.p95 != null and .latency_ms.p99 >= .latency_ms.p50' \
	"$tmp/hey.json" >/dev/null || fail "hey: load_cmd $(jq -c .steps[0].load_cmd "$tmp/hey.json")"

# --- JMeter (Debian's 2.13, non-GUI, through scripts/jmeter/jmeter: see NoTypePermission.java):
# 4 threads x 250 loops; its count from the results file equals the log; a second run appending
# to the same results file counts only its own rows ---
jm=$REPO/scripts/jmeter
"$jm/plan.sh" "$url" 4 1 0 250 >"$tmp/plan.jmx" || fail "plan.sh"
for k in 1 2; do
	n0=$(nginx_log_lines)
	"$VIRTPROF" run --container "$NGX_CG" --load-cmd "$jm/jmeter -n -t $tmp/plan.jmx -l $tmp/jm.jtl -j $tmp/jmeter.log" \
		--json "$tmp/jmeter.json" >"$tmp/jmeter.txt" 2>"$tmp/jmeter.err" ||
		fail "jmeter run $k exited $?: $(cat "$tmp/jmeter.err")"
	nginx_log_settle
	check_run jmeter
	jq -e '[.steps[0].cpu.entities[] | select(.entity == "other" and (.role | test("java|jmeter|users")))] | length == 0' \
		"$tmp/jmeter.json" >/dev/null || fail "JMeter's threads left in other"
	log=$(log_delta "$n0")
	echo "jmeter run $k: report $(jq '.steps[0].load_cmd.requests' "$tmp/jmeter.json"), log $log, rows in the file $(($(wc -l <"$tmp/jm.jtl") - 1))"
	assert_eq "$log" 1000 "jmeter run $k: nginx's log"
	assert_eq "$(jq '.steps[0].load_cmd.requests' "$tmp/jmeter.json")" 1000 "jmeter run $k: its count"
	jq -e '.steps[0].load_cmd | .tool == "jmeter" and .exit_status == 0 and .errors == 0 and .latency_ms.p99 >= 0' \
		"$tmp/jmeter.json" >/dev/null || fail "jmeter: load_cmd $(jq -c .steps[0].load_cmd "$tmp/jmeter.json")"
done

# --- compare: one command line for every step and target, {users} and {url} filled in ---
n0=$(nginx_log_lines)
"$VIRTPROF" compare --target "web=$url@container:$NGX_CG" --steps 2,4 \
	--load-cmd 'h2load -n 400 -c {users} -t 1 --h1 {url}' --json "$tmp/cmp.json" \
	--html "$tmp/cmp.html" >"$tmp/cmp.txt" 2>"$tmp/cmp.err" || fail "compare exited $?: $(cat "$tmp/cmp.err")"
nginx_log_settle
validate_session "$tmp/cmp.json" "compare JSON does not validate"
assert_eq "$(log_delta "$n0")" 800 "nginx's log over both steps"
assert_eq "$(jq -r '.steps[1].load_cmd.command' "$tmp/cmp.json")" "h2load -n 400 -c 4 -t 1 --h1 $url" \
	"the second step's command"
assert_eq "$(jq -c '[.comparison[] | .requests]' "$tmp/cmp.json")" "[400,400]" "requests per step"
jq -e '[.comparison[] | .own_us > 0 and .loadgen_us > 0 and .users == null] | all' "$tmp/cmp.json" \
	>/dev/null || fail "comparison rows: $(jq -c .comparison "$tmp/cmp.json")"
[ -s "$tmp/cmp.html" ] || fail "no HTML page"

# --- a command that fails: exit 1, a clear line, the report and the JSON of what was measured ---
rc=0
"$VIRTPROF" run --load-cmd "wrk -t1 -c2 -d1s http://127.0.0.1:1/" --json "$tmp/fail.json" \
	>"$tmp/fail.txt" 2>"$tmp/fail.err" || rc=$?
assert_eq "$rc" 1 "a failing command's exit code"
grep -q "exited with status 1" "$tmp/fail.err" || fail "no clear error: $(cat "$tmp/fail.err")"
grep -q "^== step run" "$tmp/fail.txt" || fail "no report after a failing command"
jq -e '.steps[0].load_cmd.exit_status == 1 and .steps[0].cpu.requests == null and (.steps[0].cpu.requests_reason | test("wrk"))' \
	"$tmp/fail.json" >/dev/null || fail "failing command's JSON: $(jq -c '.steps[0].load_cmd, .steps[0].cpu.requests_reason' "$tmp/fail.json")"

# ... and in compare: the other steps still run, then exit 1 naming the step
rc=0
"$VIRTPROF" compare --target "web=$url@container:$NGX_CG" --steps 1 \
	--load-cmd 'wrk -t1 -c{users} -d1s http://127.0.0.1:1/' --json "$tmp/cfail.json" \
	>"$tmp/cfail.txt" 2>"$tmp/cfail.err" || rc=$?
assert_eq "$rc" 1 "compare with a failing command"
grep -q "step 1: the load command exited with status 1" "$tmp/cfail.err" ||
	fail "compare: no clear error: $(cat "$tmp/cfail.err")"
jq -e '.comparison[0].requests == null' "$tmp/cfail.json" >/dev/null || fail "compare: a count for a failed command"

# --- a command killed by --duration: SIGTERM, exit 1, the report of the 2 s it ran ---
rc=0
start=$(date +%s)
"$VIRTPROF" run --load-cmd "wrk -t1 -c4 -d60s $url" --duration 2s --json "$tmp/kill.json" \
	>"$tmp/kill.txt" 2>"$tmp/kill.err" || rc=$?
assert_eq "$rc" 1 "a killed command's exit code"
assert_le $(($(date +%s) - start)) 30 "the killed run's length"
grep -q "killed after" "$tmp/kill.err" || fail "no clear error: $(cat "$tmp/kill.err")"
jq -e '.steps[0].load_cmd | .killed == true and .killed_by == "--duration" and .elapsed_s < 6' \
	"$tmp/kill.json" >/dev/null || fail "killed command's JSON: $(jq -c '.steps[0].load_cmd' "$tmp/kill.json")"
jq -e '[.steps[0].cpu.entities[] | select(.entity == "loadgen" and .role == "command")] | length == 1' \
	"$tmp/kill.json" >/dev/null || fail "the killed command's CPU is not on loadgen"

# --- bad input: exit 2 before anything runs ---
rc=0
"$VIRTPROF" run --load-cmd "vp-no-such-tool-xyz -n 1" >/dev/null 2>"$tmp/bad.err" || rc=$?
assert_eq "$rc" 2 "unknown command"
grep -q "command not found" "$tmp/bad.err" || fail "unclear: $(cat "$tmp/bad.err")"
rc=0
"$VIRTPROF" run --load-cmd "wrk 'open" >/dev/null 2>"$tmp/bad.err" || rc=$?
assert_eq "$rc" 2 "unbalanced quote"
rc=0
"$VIRTPROF" run --load-cmd "wrk $url" --users 10 >/dev/null 2>"$tmp/bad.err" || rc=$?
assert_eq "$rc" 2 "--users with --load-cmd"
[ "$(wc -l <"$tmp/bad.err")" -eq 1 ] || fail "more than one line: $(cat "$tmp/bad.err")"

# every cgroup the runs made is gone
ls -d "$v2"/virtprof-loadcmd-* 2>/dev/null | grep . && fail "a load command's cgroup was left behind"
echo "ok"
