#!/usr/bin/env bash
# `top --light` as a user runs it, against a busy cgroup (a container without a runtime: nginx
# under loopback load plus a busy loop): coverage 100 +- 1 %, the cgroup's CPU within 1 % (or
# 5 ms) of its cpu.stat over intervals 2.. -- the softirq of its loopback traffic now inside the
# interrupted thread's task time, as cpu.stat counts it -- every figure light mode cannot give n/a
# with the reason (softirq and hardirq columns, softirq by vector, network, block, KVM, stacks),
# only the light programs attached while it runs (by the prog ids in virtprof's fds: other
# virtprof instances on the machine do not count), and options that need what light mode leaves
# out refused with one line, exit 2.  Then `run --light`: PATH n/a with the reason.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/nginx/nginx.sh"
need_root
need_cmd jq bpftool
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"

# --- options light mode cannot serve: one line, exit 2, before any probe ---
for args in "--stacks" "--freq 99" "--pprof $tmp/p.pb.gz" "--folded $tmp/fg" "--io" "--softirq"; do
	# shellcheck disable=SC2086
	"$VIRTPROF" top 1 1 --light $args >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "top --light $args: exit $rc, want 2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "top --light $args: want one line: $(cat "$tmp/err")"
	grep -q "light" "$tmp/err" || fail "top --light $args: message does not say light: $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "top --light $args printed a report"
done
"$VIRTPROF" serve --light --freq 99 --listen 127.0.0.1:1 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "serve --light --freq: exit $rc, want 2"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "serve --light --freq: want one line: $(cat "$tmp/err")"

# --- a busy cgroup: nginx under loopback load (softirq on its CPUs) and a busy loop ---
port=18395
nginx_start $port 1 1024
nginx_cgroup vp-light-e2e-$$
timeout 60 sh -c 'while :; do :; done' &
spin=$!
on_exit "kill $spin 2>/dev/null"
echo $spin >"$NGX_CG/cgroup.procs"
"$VIRTPROF" load "http://127.0.0.1:$port/" --users 8 --ramp-up 0s --duration 30s \
	>"$tmp/load.out" 2>&1 &
lp=$!
on_exit "kill -INT $lp 2>/dev/null; wait $lp 2>/dev/null"
sleep 0.5

# check_found's 1 % is tight on a shared 2-CPU machine: a miss is measured once more
for try in 1 2; do
	"$VIRTPROF" top 1 3 --light --json --container "$NGX_CG" >"$tmp/l.json" 2>"$tmp/top.err" &
	tp=$!
	wait_for 100 grep -q . "$tmp/l.json" || fail "top --light printed nothing: $(cat "$tmp/top.err")"
	# while it runs: the programs virtprof holds, by the prog ids in its fds
	ids=$(grep -h '^prog_id:' /proc/$tp/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un | jq -sc .)
	bpftool prog show --json | jq -r --argjson ids "$ids" '.[] | select(.id as $i | $ids | index($i)) | .name' |
		sort >"$tmp/progs"
	wait $tp || fail "top --light exited $?: $(cat "$tmp/top.err")"
	[ "$(wc -l <"$tmp/l.json")" -eq 3 ] || fail "want 3 JSON lines, got $(wc -l <"$tmp/l.json")"
	if (check_found "$tmp/l.json" "$NGX_ENT" app 10); then
		break
	fi
	[ $try = 2 ] && fail "the cgroup's CPU and cpu.stat disagree twice in light mode"
done
echo "programs attached: $(tr '\n' ' ' <"$tmp/progs")"
grep -q 'sched_switch$' "$tmp/progs" || fail "no sched_switch program attached"
# the switch side only; sched_wakeup only where the kernel has no sched_info (run-queue delay)
bad=$(grep -Ev '^((tp|raw)_(sched_switch|sched_process_(fork|exec|exit)|cgroup_attach_task|sched_wakeup(_new)?)|flush)$' "$tmp/progs")
[ -z "$bad" ] || fail "light mode attached more than the switch side: $bad"

for line in 1 2 3; do
	j=$(sed -n "${line}p" "$tmp/l.json")
	cov=$(jq '.coverage[0].coverage_pct' <<<"$j")
	assert_ge "$cov" 99 "coverage, interval $line"
	assert_le "$cov" 101 "coverage, interval $line"
done
last=$(tail -n 1 "$tmp/l.json")
echo "coverage $(jq -c '[.coverage[0].coverage_pct]' <<<"$last"), bpf $(jq '.coverage[0].bpf_pct' <<<"$last") % of the host"
assert_eq "$(jq -r '.accounting_mode[0].accounting' <<<"$last")" light "accounting mode"
jq -e '.accounting_mode_notes | any(startswith("light: softirq and irq time left with the interrupted thread, as the kernel counts it"))' \
	<<<"$last" >/dev/null || fail "accounting mode does not say light: $(jq -c .accounting_mode_notes <<<"$last")"
# softirq / hardirq: n/a (null) in every row, with the reason -- never 0
jq -e '[.entities[] | .softirq_pct, .hardirq_pct, .softirq_ns, .net_softirq_ns, .hardirq_ns] | all(. == null)' \
	<<<"$last" >/dev/null || fail "softirq/hardirq figures not n/a in light mode"
jq -e '.entities_notes | any(startswith("light mode: softirq and irq time"))' <<<"$last" >/dev/null ||
	fail "entities: no reason for the n/a: $(jq -c .entities_notes <<<"$last")"
jq -e --arg e "$NGX_ENT" '[.softirq[] | select(.entity == $e)] | length == 1' <<<"$last" >/dev/null ||
	fail "softirq by vector: no n/a row for $NGX_ENT"
jq -e '[.softirq[] | to_entries[] | select(.key | endswith("_us")) | .value] | all(. == null)' \
	<<<"$last" >/dev/null || fail "softirq by vector: a number in light mode"
jq -e '.softirq_notes | any(startswith("light mode"))' <<<"$last" >/dev/null || fail "softirq: no reason"
for sec in net_devices block kvm; do
	jq -e --arg s "$sec" '.[$s][0].available == null and (.[$s + "_notes"] | any(test("light mode")))' \
		<<<"$last" >/dev/null || fail "$sec: not n/a with the light-mode reason: $(jq -c --arg s "$sec" '[.[$s], .[$s + "_notes"]]' <<<"$last")"
done
jq -e '.top_functions == [] and (.top_functions_notes | any(test("light mode: no stack sampling")))' \
	<<<"$last" >/dev/null || fail "stacks: not n/a with the light-mode reason"

# --- text: the accounting-mode line says light; the columns are n/a ---
"$VIRTPROF" top 1 1 --light --container "$NGX_CG" >"$tmp/l.txt" 2>"$tmp/err" || fail "text top --light exited $?"
grep -q "light: softirq and irq time left with the interrupted thread" "$tmp/l.txt" || fail "text: no light note"
grep -Eq "^$NGX_ENT +app .* n/a +n/a " "$tmp/l.txt" || fail "text: SIRQ%/HIRQ% not n/a: $(grep "$NGX_ENT" "$tmp/l.txt")"

# --- run --light: a step against the same cgroup; PATH n/a with the reason, the JSON valid ---
"$VIRTPROF" run --light --url "http://127.0.0.1:$port/" --stacks --duration 1s 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "run --light --stacks: exit $rc, want 2"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "run --light --stacks: want one line: $(cat "$tmp/err")"
"$VIRTPROF" run --light --url "http://127.0.0.1:$port/" --container "$NGX_CG" --users 4 \
	--duration 2s --ramp-up 0s --json "$tmp/r.json" >"$tmp/r.txt" 2>"$tmp/err" ||
	fail "run --light exited $?: $(cat "$tmp/err")"
assert_eq "$(jq -r '.accounting_mode[0].accounting' "$tmp/r.json")" light "run: accounting mode"
jq -e '.comparison[0].path_us == null and (.comparison_notes | any(test("light mode")))' "$tmp/r.json" \
	>/dev/null || fail "run: PATH not n/a with the light-mode reason: $(jq -c '[.comparison[0].path_us, .comparison_notes]' "$tmp/r.json")"
jq -e '.steps[0].cpu.network_reason | test("^light mode")' "$tmp/r.json" >/dev/null ||
	fail "run: network_reason does not say light mode"
have_jsonschema && validate_session "$tmp/r.json" "run --light: JSON does not validate"
echo "ok"
