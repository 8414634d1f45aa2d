#!/usr/bin/env bash
# The HTML report as a reader opens it: a real `compare --testbed --html` session (make demo's
# script, cut short: it must print where the page is) loaded in headless Chromium from file://
# -- the page's script finishes with no error and makes no request (Chromium's net log), a
# desktop-width screenshot is a real picture, three bars carry exactly the JSON's figures, the
# comparison table's numbers are rounded as the text rounds each column; `report` on the saved JSON makes the same page; a session with stacks gets a
# working flame graph, one without says why; `report` refuses other schemas (exit 2); `diff` of a
# session with itself finds nothing (exit 0) and rejects bad gates and mismatched sessions (2).
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq qemu-system-x86_64 docker /usr/bin/python3
command -v chromium >/dev/null || skip "chromium not installed (scripts/deps.sh installs it)"
CHECK=$REPO/tests/helpers/html_check.py
# kept after the run, for a look at the screenshot: build/test-out/html/cmp.png
out=${VIRTPROF_TEST_OUT:-$REPO/${VIRTPROF_BUILD:-build}/test-out/html}
rm -rf "$out" && mkdir -p "$out" || fail "mkdir $out"
echo "output in $out"
tb=vphtml$$
on_exit "\"$VIRTPROF\" testbed down --name $tb >/dev/null 2>&1"

# Chromium as the tests run it: nothing leaves the host (every name resolves to nothing), a
# fresh profile, and a net log of every request it made.
chrome() { # NAME URL ARGS...
	local name=$1 url=$2
	shift 2
	rm -rf "$out/$name.profile"
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir="$out/$name.profile" \
		--enable-logging=stderr --v=0 --log-net-log="$out/$name.netlog.json" \
		--virtual-time-budget=5000 "$@" "$url" 2>"$out/$name.chromium.log"
	local rc=$?
	rm -rf "$out/$name.profile"
	return $rc
}

# --- a real session: `make demo`'s script, cut short; its page written by --html ---
VIRTPROF_DEMO_OUT=$out "$REPO/scripts/demo.sh" --testbed-name "$tb" --steps 5 --duration 3s \
	--warmup 0s >"$out/cmp.txt" 2>"$out/cmp.err" || { cat "$out/cmp.err"; fail "demo.sh exited $?"; }
grep -qx "demo: report $out/compare.html (JSON $out/compare.json)" "$out/cmp.txt" ||
	fail "demo.sh does not print where the page is"
mv "$out/compare.json" "$out/cmp.json" && mv "$out/compare.html" "$out/cmp.html"
[ -s "$out/cmp.html" ] || fail "no page written"
grep -Eq '(src|href)="(https?:)?//' "$out/cmp.html" && fail "the page references another host"
# table numbers read like the text report's: each column's decimals (out/table.h, the JSON's
# "<table>_decimals"; no column has more than 4), the JSON's exact value on hover.  A number no
# table column describes (a step's t_start_s) is shown as the JSON has it, with no title.
bad=$(grep -oE '<td title=[^>]*>-?[0-9]+\.[0-9]{5,}' "$out/cmp.html" | head -n 3)
[ -z "$bad" ] || fail "unrounded numbers in the page's tables: $bad"
grep -qE '<td title="[-0-9.e+]+">[-0-9.e+]+' "$out/cmp.html" || fail "no rounded number with its exact value"

chrome dom "file://$out/cmp.html" --dump-dom >"$out/cmp.dom.html" || fail "chromium --dump-dom failed"
grep -E 'CONSOLE|Uncaught|Refused to' "$out/dom.chromium.log" &&
	fail "console messages from the page (see $out/dom.chromium.log)"
/usr/bin/python3 "$CHECK" netlog "$out/dom.netlog.json" || fail "the page made a request"
vm=$(jq -r '.steps[] | select(.target | startswith("vm:")) | .target' "$out/cmp.json" | head -n 1)
ct=$(jq -r '.steps[] | select(.target | startswith("ctr:")) | .target' "$out/cmp.json" | head -n 1)
/usr/bin/python3 "$CHECK" bars "$out/cmp.dom.html" "$out/cmp.json" 5 "$vm" own_us emul_us ||
	fail "VM bars differ from the JSON"
/usr/bin/python3 "$CHECK" bars "$out/cmp.dom.html" "$out/cmp.json" 5 "$ct" loadgen_us ||
	fail "container bar differs from the JSON"
/usr/bin/python3 "$CHECK" rounded "$out/cmp.dom.html" "$out/cmp.json" ||
	fail "the comparison table is not rounded as the text's columns"
grep -q 'not available: session recorded without --stacks' "$out/cmp.dom.html" ||
	fail "no 'not available' for the flame graphs of a session without stacks"

chrome shot "file://$out/cmp.html" --hide-scrollbars --window-size=1366,3000 \
	--screenshot="$out/cmp.png" >/dev/null || fail "chromium --screenshot failed"
/usr/bin/python3 "$CHECK" png "$out/cmp.png" 1366 || fail "screenshot"

# --- report: the saved JSON makes the same page (only the source line differs) ---
"$VIRTPROF" report "$out/cmp.json" -o "$out/report.html" || fail "report exited $?"
diff <(sed "s|$out/cmp.json|SRC|g" "$out/report.html") <(sed "s|live session|SRC|g" "$out/cmp.html") \
	>/dev/null || fail "report of the saved JSON differs from the --html page"

# --- stacks (the contract of steps[].stacks): a flame graph with owners and frames ---
jq '.steps[0].stacks = {freq_hz: 99, samples: 60, lost: 0, folded: [
	{entity: "vm:x", role: "vcpu", context: "task", stack: "main;serve;parse<hdr>", count: 30},
	{entity: "vm:x", role: "vcpu", context: "task", stack: "main;serve;write", count: 20},
	{entity: "vm:x", role: "vcpu", context: "softirq:NET_RX", stack: "net_rx_action;napi_poll", count: 10},
	{entity: "loadgen", role: "workers", context: "task", stack: "curl_multi_perform;send", count: 5}],
	exit_samples: 12, exit_reason: null, exit_folded: [
	{entity: "vm:x", role: "vcpu", stack: "[guest] write_port;[exit] IO_INSTRUCTION;kvm_cpu_exec;ioctl", count: 12}]}
	| .steps[1].stacks = {freq_hz: 99, samples: 10, lost: 0, folded: [
	{entity: "ctr:y", role: "app", context: "task", stack: "main;serve", count: 10}],
	exit_samples: 0, exit_reason: "no KVM exit profile: KVM programs not loaded (unit reason)", exit_folded: []}' \
	"$out/cmp.json" >"$out/stacks.json"
"$VIRTPROF" report "$out/stacks.json" -o "$out/stacks.html" || fail "report with stacks exited $?"
chrome flame "file://$out/stacks.html" --dump-dom >"$out/stacks.dom.html" || fail "chromium (stacks)"
/usr/bin/python3 "$CHECK" flame "$out/stacks.dom.html" || fail "flame graph"
grep -q 'parse&lt;hdr&gt;' "$out/stacks.dom.html" || fail "a frame's name is not on the page"
# the KVM exit profile: one more owner of the same flame graph, rooted at the guest function
# (synthetic rows: this host has no KVM; the lab's guest_exits check makes real ones); a step
# without one says why
grep -Eq 'KVM exit profile \(vm:[^)]*\): vm:x / vcpu' "$out/stacks.dom.html" || fail "no exit profile in the flame graph's owners"
grep -q 'KVM exit profile not available: no KVM exit profile: KVM programs not loaded (unit reason)' \
	"$out/stacks.dom.html" || fail "no 'not available' with the reason for a step without an exit profile"
grep -q 'data-vp-errors="0"' "$out/stacks.dom.html" || fail "the flame page recorded errors"
/usr/bin/python3 "$CHECK" netlog "$out/flame.netlog.json" || fail "the flame page made a request"

# --- report refuses what it cannot read, naming the schema it needs ---
jq '.schema = "virtprof-session/0"' "$out/cmp.json" >"$out/old.json"
"$VIRTPROF" report "$out/old.json" -o "$out/old.html" 2>"$out/old.err"
rc=$?
assert_eq "$rc" 2 "report of an older schema"
grep -q 'virtprof-session/1' "$out/old.err" || fail "the error does not name the schema needed: $(cat "$out/old.err")"
[ -e "$out/old.html" ] && fail "a page was written for a file that was refused"
echo '{"schema": "virtprof-session/1", "steps": [' >"$out/trunc.json"
"$VIRTPROF" report "$out/trunc.json" -o "$out/t.html" 2>"$out/trunc.err"
assert_eq "$?" 2 "report of a truncated file"

# --- diff of a session with itself: nothing changed, every gate passes ---
"$VIRTPROF" diff "$out/cmp.json" "$out/cmp.json" --fail-if 'virt_us>+10%' --fail-if 'p99_ms>+1' \
	--json "$out/self.diff.json" --html "$out/self.diff.html" >"$out/self.diff.txt" ||
	fail "diff of a session with itself exited $?"
assert_eq "$(jq '[.changes[] | select(.change != "within")] | length' "$out/self.diff.json")" 0 \
	"changes beyond uncertainty in a self-diff"
assert_eq "$(jq -r .verdict "$out/self.diff.json")" pass "self-diff verdict"
chrome diff "file://$out/self.diff.html" --dump-dom >"$out/self.diff.dom.html" || fail "chromium (diff)"
grep -q 'data-vp-errors="0"' "$out/self.diff.dom.html" || fail "the diff page recorded errors"

# --- bad gates and mismatched sessions: exit 2 with a message ---
for bad in 'virt_us' 'virt>+10%' 'virt_us>=10%' 'virt_us>ten' 'virt_us>+10%%' ''; do
		"$VIRTPROF" diff "$out/cmp.json" "$out/cmp.json" --fail-if "$bad" >/dev/null 2>"$out/bad.err"
	rc=$?
	assert_eq "$rc" 2 "--fail-if '$bad'"
	grep -q 'fail-if' "$out/bad.err" || fail "no message for --fail-if '$bad'"
done
jq '.steps |= map(.target |= sub("^ctr:"; "ctr:other-")) | .comparison |= map(.target |= sub("^ctr:"; "ctr:other-"))' \
	"$out/cmp.json" >"$out/other.json"
jq 'del(.steps[1]) | del(.comparison[1])' "$out/cmp.json" >"$out/fewer.json"
for b in other fewer; do
		"$VIRTPROF" diff "$out/cmp.json" "$out/$b.json" >/dev/null 2>"$out/mm.err"
	rc=$?
	assert_eq "$rc" 2 "diff against $b.json"
	grep -q 'do not match' "$out/mm.err" || fail "no clear message: $(cat "$out/mm.err")"
done
echo "ok: page, report, flame graph, schema check, self-diff, bad input"
