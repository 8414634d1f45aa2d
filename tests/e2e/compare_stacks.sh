#!/usr/bin/env bash
# virtprof compare --testbed --stacks: the VM's and the container's steps sampled, attributed to
# their owners.  Folded files for the VM's vcpu and emul roles and the container's app; the VM's
# stacks contain tun/tap functions (its tap path), the container's veth functions; a "where"
# table per step and the differential table; the JSON validates; the pprof loads in
# `go tool pprof -top` and its labels select samples.  The KVM exit profile (--exit-folded) under
# TCG: an empty file and "not available" with the reason in every output.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq qemu-system-x86_64 docker /usr/bin/python3
need_jsonschema
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
tb=vpstk$$
on_exit "\"$VIRTPROF\" testbed down --name $tb >/dev/null 2>&1"

# 499 Hz: a 3 s step at 99 Hz has only a handful of samples in the veth functions
# -v: the per-step "where" tables are in the text report only with it (the summary has the diff)
"$VIRTPROF" compare -v --testbed --testbed-name "$tb" --stacks --freq 499 --steps 5 --duration 3s \
	--folded "$tmp/fg" --pprof "$tmp/p.pb.gz" --exit-folded "$tmp/exit.folded" --json "$tmp/c.json" \
	>"$tmp/c.txt" 2>"$tmp/c.err" ||
	{ tail -n 20 "$tmp/c.err"; fail "compare --stacks exited $?"; }
validate_session "$tmp/c.json" "JSON does not validate against docs/session.schema.json"
j=$tmp/c.json
vm=$(jq -r '.steps[0].target' "$j")
ct=$(jq -r '.steps[1].target' "$j")
[[ $vm == vm:* && $ct == ctr:* ]] || fail "steps: $vm, $ct"
fname() { tr -c 'A-Za-z0-9._\n-' _ <<<"$1"; }
for f in "$(fname "$vm").vcpu" "$(fname "$vm").emul" "$(fname "$ct").app"; do
	[ -s "$tmp/fg/$f.folded" ] || { ls "$tmp/fg"; fail "no folded file $f.folded"; }
done
# every folded line: entity;role;context;frames count
bad=$(grep -hvcE '^[^;]+;[^;]+;(task|hardirq|idle|softirq:[a-z_]+);.+ [0-9]+$' "$tmp"/fg/*.folded | awk '{ s += $1 } END { print s }')
assert_eq "$bad" 0 "malformed folded lines"

for i in 0 1; do
	jq -e ".steps[$i].stacks.freq_hz == 499 and .steps[$i].stacks.samples > 0" "$j" >/dev/null ||
		fail "step $i: no stacks"
	jq -e "[.steps[$i].where[] | select(.part == \"OWN\")] | length > 0" "$j" >/dev/null ||
		fail "step $i: no OWN part in the where table"
	jq -e "[.steps[$i].where[] | select(.part == \"PATH\")] | length > 0" "$j" >/dev/null ||
		fail "step $i: no PATH part in the where table"
done
n=$(jq '[.steps[0].stacks.folded[] | select(.stack | test("(^|;)(tun|tap)_[a-z_]*_\\[k\\]"))] | length' "$j")
echo "VM step: $n stacks with tun/tap functions"
assert_ge "$n" 1 "tun/tap functions in the VM step's stacks"
n=$(jq '[.steps[1].stacks.folded[] | select(.stack | test("(^|;)veth_[a-z_]*_\\[k\\]"))] | length' "$j")
echo "container step: $n stacks with veth functions"
assert_ge "$n" 1 "veth functions in the container step's stacks"
jq -e '.where_diff | length > 0' "$j" >/dev/null || fail "no differential rows"
# the KVM exit profile under TCG (no exits, no KVM guest here): written empty, and every output
# says why -- the warning, each step's stacks.exit_reason, the VM step's kvm_exit_profile
[ -f "$tmp/exit.folded" ] && [ ! -s "$tmp/exit.folded" ] || fail "--exit-folded: not an empty file"
grep -q 'warning: the KVM exit profile is empty: ' "$tmp/c.err" || fail "no warning why the exit profile is empty"
jq -e '[.steps[] | .stacks.exit_reason | type == "string" and length > 0] | all' "$j" >/dev/null ||
	fail "no exit_reason: $(jq -c '[.steps[].stacks | {exit_samples, exit_reason}]' "$j")"
jq -e '[.steps[] | .stacks.exit_folded | length == 0] | all' "$j" >/dev/null || fail "exit stacks under TCG"
echo "exit profile: $(jq -r '.steps[0].stacks.exit_reason' "$j")"
jq -e '(.steps[0].io | has("kvm_guest_functions") | not) or (.steps[0].io | has("kvm_exit_profile"))' "$j" >/dev/null ||
	fail "the VM step has no kvm_exit_profile table: $(jq -c '.steps[0].io | keys' "$j")"
grep -q "^Where: top functions" "$tmp/c.txt" || fail "no where table in the text report"
grep -q "^Where the targets differ" "$tmp/c.txt" || fail "no differential table in the text report"

if command -v go >/dev/null; then
	timeout 120 go tool pprof -top "$tmp/p.pb.gz" >"$tmp/top.txt" 2>&1 || { tail "$tmp/top.txt"; fail "go tool pprof -top"; }
	grep -q "flat%" "$tmp/top.txt" || fail "pprof -top printed no table"
	# a bare number is read as a numeric range by pprof: anchor it as a regexp
	for l in "role=vcpu" "entity=$vm" "context=task" "step=^5$" "target=$ct"; do
		timeout 120 go tool pprof -top -tagfocus="$l" "$tmp/p.pb.gz" >"$tmp/f.txt" 2>&1 ||
			fail "pprof -tagfocus=$l"
		grep -q "matched no samples" "$tmp/f.txt" && fail "pprof label $l selects no samples"
	done
else
	echo "go not installed: pprof not loaded (scripts/deps.sh installs golang-go)"
fi
echo ok
