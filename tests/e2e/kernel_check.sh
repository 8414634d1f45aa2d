#!/usr/bin/env bash
# Every report checks itself against the kernel: virtprof's CPU of each target beside the
# kernel's own figure (cgroup cpu.stat usage / the qemu process CPU clock), within 2 % over a
# step (flagged in the report above 1 %), for a container made by hand whose cgroup has children, a docker container and a qemu
# VM -- each once on a quiet host and once with a busy loop per CPU outside the target competing
# for the CPUs (before account.bpf.c took the kernel's boundary, kernel_handoff: -4 ... -9 %).  Both BPF flavours.
# Then qemu roles from evidence: a qemu without debug-threads with a QMP socket has its vCPU
# from QMP; without QMP (TCG) its threads are 'unknown', never 'emul'.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/nginx/nginx.sh"
need_root
need_cmd jq /usr/bin/python3
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$v2" ] || skip "no cgroup v2 hierarchy mounted"
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
ncpu=$(nproc)

# busy loops outside every target, in a cgroup of their own (bounded: 60 s at most), one per
# CPU: always runnable, so every wakeup of the target preempts one and every sleep hands the CPU
# back.  At nice 10: at nice 0 a docker container (one v1 cpu group of 1,024 shares against each
# loop's own) got 36 ms of a 2 s step in a CI run with the kernel lab beside it -- too little to
# measure against the kernel, twice in a row.
hogcg=$v2/vptrust-hog-$$
mkdir "$hogcg" || fail "mkdir $hogcg"
on_exit "rmdir $hogcg"
hogs_start() {
	for _ in $(seq "$ncpu"); do
		timeout 60 nice -n 10 sh -c 'while :; do :; done' &
		echo $! >"$hogcg/cgroup.procs"
	done
}
hogs_stop() {
	for p in $(cat "$hogcg/cgroup.procs"); do kill "$p" 2>/dev/null; done
	wait_for 50 bash -c "! grep -q . $hogcg/cgroup.procs"
}
on_exit hogs_stop

# check NAME JSON ENTITY: the step's agreement line exists, has both figures, within the bound
# (returns 1 when only the bound fails, so the caller may measure once more).  The report flags
# above 1 %; steps here agree within 0.7 % as a rule, but on the shared, 5x-overloaded 2-CPU
# development machines a 2 s step came out at +2.1 % now and then: the test holds 2 %.
bound=2
check() {
	local what=$1 j=$2 ent=$3 row d
	row=$(jq -c --arg e "$ent" '.steps[0].cpu.kernel_check[] | select(.entity | startswith($e))' "$j")
	[ -n "$row" ] || fail "$what: no kernel_check row for $ent"
	echo "$what: $row steal_ns=$(jq .steps[0].cpu.steal_ns "$j") span_ns=$(jq .steps[0].cpu.span_ns "$j")"
	d=$(jq -r '.diff_pct' <<<"$row")
	[ "$d" != null ] || fail "$what: no kernel figure: $(jq -c '.steps[0].cpu.kernel_check_notes' "$j")"
	jq -e '[.steps[0].timeline[] | has("kernel_check")] | all' "$j" >/dev/null ||
		fail "$what: timeline points without kernel_check"
	# too little of the target's CPU to hold it to 2 % (a VM starved by the busy loops and
	# whatever else this host runs): measured once more, like a difference above the bound
	[ "$(jq -r '.kernel_ns' <<<"$row")" -ge 100000000 ] ||
		{ echo "$what: the target's CPU in the step is under 100 ms"; return 1; }
	awk -v d="${d#-}" -v b="$bound" 'BEGIN { exit !(d <= b) }'
}

# run_both NAME ENTITY ARGS...: quiet and with hogs, in the flavour $flavour
run_both() {
	local name=$1 ent=$2
	shift 2
	for mode in quiet hogs; do
		# the shared 2-CPU machines this runs on are noisy (other suites, steal): a
		# difference above the bound is measured once more, and fails when it stays
		for try in 1 2; do
			[ $mode = hogs ] && hogs_start
			VIRTPROF_BPF_FLAVOUR=$flavour "$VIRTPROF" run "$@" --duration 2s \
				--ramp-up 0s --json "$tmp/$name-$mode.json" >"$tmp/$name-$mode.txt" \
				2>"$tmp/err" || fail "$name $mode: run exited $?: $(cat "$tmp/err")"
			[ $mode = hogs ] && hogs_stop
			grep -q "^Agreement with the kernel" "$tmp/$name-$mode.txt" ||
				fail "$name $mode: text report lacks the agreement lines"
			check "$name $mode ($flavour)" "$tmp/$name-$mode.json" "$ent" && break
			[ $try = 2 ] && fail "$name $mode ($flavour): |virtprof - kernel| > $bound %, or under 100 ms of the target's CPU, twice"
		done
	done
}

# --- a container made by hand: nginx in a cgroup tree (master and workers in two children) ---
port=18393
nginx_start $port 2 4096
cg=$v2/vptrust-kc-$$
mkdir -p "$cg/master" "$cg/workers" || fail "mkdir $cg"
on_exit "rmdir $cg/master $cg/workers $cg"
on_exit "for p in \$(cat $cg/*/cgroup.procs); do echo \$p > $v2/cgroup.procs; done"
echo "$NGX_PID" >"$cg/master/cgroup.procs"
for p in $(pgrep -P "$NGX_PID"); do echo "$p" >"$cg/workers/cgroup.procs"; done
for flavour in tp_btf raw_tp; do
	run_both "cgroup-tree" "ctr:$(basename "$cg")" --url "http://127.0.0.1:$port/" \
		--container "$cg" --users 20
done
have_jsonschema && validate_session "$tmp/cgroup-tree-hogs.json" "JSON does not validate"

# --- --loadgen-cpus: the load threads run only there; competing with a busy loop pinned to the
# same CPU, the generator waits for it and the step is flagged load-generator bound ---
lcpu=$((ncpu - 1))
taskset -c "$lcpu" timeout 30 sh -c 'while :; do :; done' &
pinhog=$!
echo $pinhog >"$hogcg/cgroup.procs"
"$VIRTPROF" run --url "http://127.0.0.1:$port/" --container "$cg" --users 20 --workers 1 \
	--loadgen-cpus "$lcpu" --duration 3s --ramp-up 0s --json "$tmp/lg.json" >"$tmp/lg.txt" \
	2>"$tmp/err" &
rp=$!
pinned() { grep -lsq "^Cpus_allowed_list:[[:space:]]*$lcpu\$" /proc/$rp/task/*/status; }
# the load threads exist once the probes are loaded and the step began: seconds on a busy host
wait_for 300 pinned || { kill -0 $rp 2>/dev/null && fail "no thread of virtprof pinned to CPU $lcpu after 30 s"; }
sleep 0.5
allowed=""
for t in /proc/$rp/task/*; do
	grep -q "^Cpus_allowed_list:[[:space:]]*$lcpu\$" "$t/status" 2>/dev/null || continue
	allowed="$allowed $(basename "$t")"
	assert_eq "$(awk '{print $39}' "$t/stat")" "$lcpu" "CPU a pinned load thread last ran on"
done
wait $rp || fail "run --loadgen-cpus exited $?: $(cat "$tmp/err")"
kill $pinhog 2>/dev/null
[ -n "$allowed" ] || fail "no thread of virtprof was pinned to CPU $lcpu"
jq -c '.comparison[0] | [.status, .loadgen_busy_pct, .loadgen_rq_pct, .loadgen_bound]' "$tmp/lg.json"
assert_eq "$(jq -r '.comparison[0].loadgen_bound' "$tmp/lg.json")" yes "generator sharing its CPU flagged"
grep -q "LOAD-GENERATOR BOUND" "$tmp/lg.txt" || fail "text report does not flag the generator"

# --- qemu roles from evidence: no debug-threads; with a QMP socket, then without ---
if command -v qemu-system-x86_64 >/dev/null; then
	qmp=$tmp/qmp.sock
	# no boot device: the guest's BIOS runs and halts; TCG, one vCPU thread
	qemu-system-x86_64 -accel tcg -display none -nodefaults -m 64 -smp 1 \
		-name vptrust-qmp$$ -qmp "unix:$qmp,server=on,wait=off" 2>/dev/null &
	q1=$!
	on_exit "kill $q1 2>/dev/null"
	qemu-system-x86_64 -accel tcg -display none -nodefaults -m 64 -smp 1 -name vptrust-noqmp$$ 2>/dev/null &
	q2=$!
	on_exit "kill $q2 2>/dev/null"
	wait_for 50 test -S "$qmp" || fail "qemu's QMP socket did not appear"
	sleep 1
	"$VIRTPROF" top 1 2 --json --no-io --vm $q1 --vm $q2 >"$tmp/top.json" 2>"$tmp/err" ||
		fail "top exited $?: $(cat "$tmp/err")"
	roles1=$(jq -r --arg e "vm:vptrust-qmp$$" '[.entities[] | select(.entity == $e) | .role] | unique | join(",")' "$tmp/top.json" | sort -u | paste -sd,)
	roles2=$(jq -r --arg e "vm:vptrust-noqmp$$" '[.entities[] | select(.entity == $e) | .role] | unique | join(",")' "$tmp/top.json" | sort -u | paste -sd,)
	echo "roles with QMP: $roles1; without: $roles2"
	grep -q vcpu <<<"$roles1" || fail "QMP's vCPU thread not labelled vcpu ($roles1)"
	grep -q emul <<<"$roles1$roles2" && fail "a thread labelled emul without evidence"
	assert_eq "$(tr , '\n' <<<"$roles2" | grep -v '^$' | sort -u | paste -sd,)" unknown \
		"roles of a qemu without debug-threads or QMP"
	jq -e --arg e "vm:vptrust-noqmp$$" '.targets[] | select(.entity == $e) | .roles | test("debug-threads=on")' \
		"$tmp/top.json" | head -1 | grep -q true || fail "no note on how to get roles"
	kill $q1 $q2; wait $q1 $q2 2>/dev/null
fi

# --- the testbed: a docker container and a qemu VM (TCG) under load ---
if [ -z "${VP_SKIP_TESTBED:-}" ] && command -v docker >/dev/null &&
	command -v qemu-system-x86_64 >/dev/null; then
	tb=vptrkc$$
	on_exit "\"$VIRTPROF\" testbed down --name $tb >/dev/null 2>&1"
	"$VIRTPROF" testbed up --name "$tb" >"$tmp/up.out" 2>&1 || { cat "$tmp/up.out"; fail "testbed up"; }
	"$VIRTPROF" testbed status --name "$tb" --json >"$tmp/tb.json" 2>/dev/null ||
		fail "testbed status"
	vmurl=$(jq -r '.targets[] | select(.target == "vm") | .url' "$tmp/tb.json")
	cturl=$(jq -r '.targets[] | select(.target == "container") | .url' "$tmp/tb.json")
	vmid=$(jq -r '.targets[] | select(.target == "vm") | .id' "$tmp/tb.json")
	ctid=$(jq -r '.targets[] | select(.target == "container") | .id' "$tmp/tb.json")
	flavour=tp_btf
	run_both docker "ctr:" --url "$cturl" \
		--netns "$tb" --container "$ctid" --users 20
	run_both qemu "vm:$vmid" --url "$vmurl" --netns "$tb" --vm "$vmid" --users 10

	# --- steps isolated: a heavy first step, then light ones; baselines and settle shown ---
	"$VIRTPROF" compare --testbed --testbed-name "$tb" --steps 2000,10 --duration 2s \
		--ramp-up 0s --json "$tmp/cmp.json" >"$tmp/cmp.txt" 2>"$tmp/err" ||
		fail "compare exited $?: $(cat "$tmp/err")"
	grep -q "^Idle baselines" "$tmp/cmp.txt" || fail "no baselines in the text report"
	jq -e '.baselines | length == 2 and all(.idle_pct != null)' "$tmp/cmp.json" >/dev/null ||
		fail "baselines missing in JSON"
	jq -e '.steps[0].settle_s == null and ([.steps[1:][] | .settle_s != null] | all)' \
		"$tmp/cmp.json" >/dev/null || fail "settle time not reported per step"
	jq -c '[.steps[] | [.label, .target, .settle_s, .settled, [.isolation[] | [.entity, .loaded, .baseline_pct, .step_pct]]]]' "$tmp/cmp.json"
	# the target not loaded stays within its baseline + 2 % of the host during the other's step
	jq -e '[.steps[].isolation[] | select(.loaded == "no") | .step_pct <= .baseline_pct + 2] | all' \
		"$tmp/cmp.json" >/dev/null || fail "an idle target above its baseline + 2 % during a step"
	have_jsonschema && validate_session "$tmp/cmp.json" "compare JSON does not validate"
fi
