#!/usr/bin/env bash
# virtprof compare --testbed as a user runs it: short steps against the built-in VM (TCG) and
# container; the JSON validates against docs/session.schema.json; the load generator's CPU is
# apart from both targets; vcpu and app CPU > 0; tap and veth paths present; coverage 100 +- 2%;
# requests counted by the generator == requests each nginx logged; a VM killed in the middle of
# a step is marked lost with the earlier steps intact, and the testbed is gone afterwards; the
# text is the comparison first and no step's sections without -v, every step's then the comparison with it.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq qemu-system-x86_64 docker /usr/bin/python3
need_jsonschema
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
# a testbed of the test's own, so a user's (or another test's) default one is never touched
tb=vptb-cmp$$
on_exit "\"$VIRTPROF\" testbed down --name $tb >/dev/null 2>&1"

"$VIRTPROF" testbed up --name "$tb" >"$tmp/up.out" 2>&1 || { cat "$tmp/up.out"; fail "testbed up"; }
log_count() { "$VIRTPROF" testbed logs "$1" --name "$tb" 2>/dev/null | grep -c ' GET /index.html$' || true; }
vm0=$(log_count vm)
ct0=$(log_count container)

# --- part 1: fixed loops, so every request sent is one logged (no cancellation at the end) ---
"$VIRTPROF" compare --testbed --testbed-name "$tb" --testbed-path /index.html --steps 2,4 --loops 40 --ramp-up 0s \
	--json "$tmp/a.json" --csv "$tmp" >"$tmp/a.txt" 2>"$tmp/a.err" ||
	{ cat "$tmp/a.err"; fail "compare exited $?"; }
"$VIRTPROF" testbed status --name "$tb" >/dev/null 2>&1 || fail "a testbed that was up before must stay up"
validate_session --all-named "$tmp/a.json" \
	"JSON does not validate against docs/session.schema.json, or has a member it does not name"
grep -q "^Comparison" "$tmp/a.txt" || fail "no comparison table in the text output"
# without -v the text is the summary: the comparison first, no per-step sections
head -n 1 "$tmp/a.txt" | grep -q "^Comparison" || fail "the text output does not start with the comparison"
grep -q "^== step" "$tmp/a.txt" && fail "per-step sections in compare's text without -v"
grep -q "compare -v" "$tmp/a.txt" || fail "the summary does not say where the per-step detail is"
[ -s "$tmp/summary.csv" ] && [ -s "$tmp/timeline.csv" ] || fail "CSV files missing"
[ "$(wc -l <"$tmp/summary.csv")" -eq 5 ] || fail "summary.csv: want a header and 4 rows"

j="$tmp/a.json"
[ "$(jq '.steps | length' "$j")" -eq 4 ] || fail "want 4 steps (2 sizes x 2 targets)"
for i in 0 1 2 3; do
	st=".steps[$i]"
	ent=$(jq -r "$st.target" "$j")
	lg=$(jq "[$st.cpu.entities[] | select(.entity == \"loadgen\") | .busy_ns] | add // 0" "$j")
	cov=$(jq "$st.cpu.coverage_pct" "$j")
	reqs=$(jq "$st.load.totals.requests" "$j")
	errs=$(jq "$st.load.totals.errors" "$j")
	users=$(jq "$st.users" "$j")
	echo "step $i $ent: $reqs requests, loadgen ${lg} ns, coverage ${cov}%"
	assert_eq "$reqs" $((users * 40)) "step $i requests"
	assert_eq "$errs" 0 "step $i errors"
	assert_ge "$lg" 1 "step $i loadgen CPU"
	assert_ge "$cov" 98 "step $i coverage"
	assert_le "$cov" 102 "step $i coverage"
	# loadgen is its own entity, never inside a target
	jq -e "[$st.cpu.entities[] | select(.entity == \"$ent\" and .role == \"workers\")] | length == 0" \
		"$j" >/dev/null || fail "load threads charged to $ent"
	case $ent in
	vm:*)
		v=$(jq "[$st.cpu.entities[] | select(.entity == \"$ent\" and .role == \"vcpu\") | .busy_ns] | add // 0" "$j")
		assert_ge "$v" 1 "step $i vcpu CPU"
		p=$(jq "[$st.cpu.network_paths[] | select(.owner == \"$ent\") | .softirq_ns + .proc_ns] | add // 0" "$j")
		assert_ge "$p" 1 "step $i tap path time" ;;
	ctr:*)
		a=$(jq "[$st.cpu.entities[] | select(.entity == \"$ent\" and .role == \"app\") | .busy_ns] | add // 0" "$j")
		assert_ge "$a" 1 "step $i container app CPU"
		p=$(jq "[$st.cpu.network_paths[] | select(.owner == \"$ent\") | .softirq_ns + .proc_ns] | add // 0" "$j")
		assert_ge "$p" 1 "step $i veth path time" ;;
	*) fail "step $i has no target" ;;
	esac
done
vm_sent=$(jq '[.steps[] | select(.target | startswith("vm:")) | .load.totals.requests] | add' "$j")
ct_sent=$(jq '[.steps[] | select(.target | startswith("ctr:")) | .load.totals.requests] | add' "$j")
vm_logged=$(($(log_count vm) - vm0))
ct_logged=$(($(log_count container) - ct0))
echo "vm: generator $vm_sent, nginx $vm_logged; container: generator $ct_sent, nginx $ct_logged"
assert_eq "$vm_logged" "$vm_sent" "VM nginx log lines vs generator"
assert_eq "$ct_logged" "$ct_sent" "container nginx log lines vs generator"

# --- part 2: kill the VM in the middle of its second step ---
"$VIRTPROF" testbed down --name "$tb" >/dev/null 2>&1 || fail "testbed down"
# -v: each step's sections too, the comparison last
"$VIRTPROF" compare -v --testbed --testbed-name "$tb" --steps 2,3 --duration 4s --json "$tmp/b.json" >"$tmp/b.txt" \
	2>"$tmp/b.err" &
cmp=$!
wait_for 1800 grep -q "step 3: vm" "$tmp/b.err" || { kill $cmp 2>/dev/null; cat "$tmp/b.err" "$tmp/b.txt" | tail -n 30; fail "second VM step never started"; }
sleep 2
qpid=$(pgrep -f "qemu-system-x86_64 -name $tb-vm" | head -n 1)
[ -n "$qpid" ] || fail "no testbed qemu to kill"
kill -9 "$qpid"
wait $cmp || fail "compare exited $? after its VM was killed"
validate_session "$tmp/b.json" "JSON after the loss does not validate"
jq -e '.steps[0].target_lost == false and .steps[0].load.totals.requests > 0' "$tmp/b.json" >/dev/null ||
	fail "first VM step not intact"
jq -e '.steps[1].target_lost == false and .steps[1].load.totals.requests > 0' "$tmp/b.json" >/dev/null ||
	fail "first container step not intact"
jq -e '.steps[2].target_lost == true and .steps[2].target_lost_at_s > 0' "$tmp/b.json" >/dev/null ||
	fail "VM loss not marked in step 3"
jq -e '.steps[3].skipped == false and .steps[3].load.totals.requests > 0' "$tmp/b.json" >/dev/null ||
	fail "container step after the VM loss did not run"
grep -q "target lost" "$tmp/b.txt" || fail "text report does not mark the loss"
grep -q "^== step 3  target vm:.*" "$tmp/b.txt" && grep -q "^   TARGET LOST at" "$tmp/b.txt" ||
	fail "compare -v: no per-step section marking the loss"
[ "$(grep -n "^Comparison" "$tmp/b.txt" | cut -d: -f1)" -gt "$(grep -n "^== step 3" "$tmp/b.txt" | tail -n 1 | cut -d: -f1)" ] ||
	fail "compare -v: the comparison is not after the steps"
# the testbed compare brought up is gone again
ip netns list | grep -q "^$tb\b" && fail "netns $tb left behind"
pgrep -f "qemu-system-x86_64 -name $tb-vm" >/dev/null && fail "qemu left behind"
docker ps -a --format '{{.Names}}' | grep -q "^$tb-ctr$" && fail "container left behind"
echo ok
