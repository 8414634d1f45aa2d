# Sourced by tests/lab/checks/*.sh (inside a kernel-lab host): the e2e helpers plus the lab's
# two testbeds, brought up once by tests/lab/inside.sh -- a KVM guest with vhost-net and one
# without, each with a native container (veth) on its bridge.
source "$REPO/tests/lib.sh"
LAB_TB_ON=labon
LAB_TB_OFF=laboff
need_cmd jq

tb_json() { "$VIRTPROF" testbed status --name "$1" --json; }
tb_up() { [ "$(tb_json "$1" 2>/dev/null | jq -r '.testbed[0].state // empty')" = up ]; }
# vhost mode this kernel runs: kthread before 6.4, user worker since (vhost_task)
expected_vhost_mode() {
	local maj min
	IFS=. read -r maj min _ <<<"$(uname -r)"
	if ((maj > 6 || (maj == 6 && min >= 4))); then echo "user-worker"; else echo kthread; fi
}

# The lab's VM with vhost-net: its qemu pid, URL and entity.
lab_vm() {
	local st
	st=$(tb_json "$LAB_TB_ON")
	VM_PID=$(jq -r '.targets[] | select(.target == "vm") | .pid' <<<"$st")
	VM_URL=$(jq -r '.targets[] | select(.target == "vm") | .url' <<<"$st")
	VM_ENTITY="vm:$(jq -r '.targets[] | select(.target == "vm") | .id' <<<"$st")"
}

# `virtprof run` against the lab VM, bracketed by a kernel counter: KERN_MS is what the counter
# (a command printing clock ticks) gained over the run, RUN_JSON the report.
run_bracketed() { # name ticks-command...
	local name=$1 t0 t1
	shift
	RUN_JSON=$LAB_OUT/$name.json
	t0=$("$@")
	"$VIRTPROF" run --url "$VM_URL" --netns "$LAB_TB_ON" --vm "$VM_PID" --users 20 \
		--duration 4s --warmup 0s --json "$RUN_JSON" >"$LAB_OUT/$name.txt" 2>&1 ||
		fail "run failed: $(tail -n 3 "$LAB_OUT/$name.txt")"
	t1=$("$@")
	KERN_MS=$(((t1 - t0) * 1000 / $(getconf CLK_TCK)))
}

# virtprof's figure against the kernel's: within pct % or min_ticks clock ticks.
agree() { # what virtprof_ms kernel_ms pct min_ticks
	local what=$1 vp=$2 kern=$3 pct=$4 ticks=$5 tol d
	tol=$((kern * pct / 100))
	((tol < ticks * 1000 / $(getconf CLK_TCK))) && tol=$((ticks * 1000 / $(getconf CLK_TCK)))
	d=$((vp - kern))
	echo "$what: kernel ${kern} ms, virtprof ${vp} ms (tolerance ${tol} ms)"
	[ "${d#-}" -le "$tol" ] || fail "$what: virtprof ${vp} ms vs kernel ${kern} ms (tolerance ${tol} ms)"
}
