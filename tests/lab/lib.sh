# Sourced by tests/lab/checks/*.sh (inside a kernel-lab host): the e2e helpers plus the lab's
# two testbeds, brought up once by tests/lab/inside.sh -- a KVM guest with vhost-net and one
# without, each with a native container (veth) on its bridge.
source "$REPO/tests/lib.sh"
LAB_TB_ON=labon
LAB_TB_OFF=laboff
need_cmd jq

# A testbed's status: the one inside.sh took just before this check (LAB_TB_STATE: it is 2-5 s of
# L1 per call), or asked now when there is none.
tb_json() {
	if [ -n "${LAB_TB_STATE:-}" ] && [ -s "$LAB_TB_STATE/$1.json" ]; then
		cat "$LAB_TB_STATE/$1.json"
	else
		"$VIRTPROF" testbed status --name "$1" --json
	fi
}
tb_up() { [ "$(tb_json "$1" 2>/dev/null | jq -r '.testbed[0].state // empty')" = up ]; }
# vhost mode this kernel runs: kthread before 6.4, user worker since (vhost_task)
expected_vhost_mode() {
	local maj min
	IFS=. read -r maj min _ <<<"$(uname -r)"
	if ((maj > 6 || (maj == 6 && min >= 4))); then echo "user-worker"; else echo kthread; fi
}

# COMM: a task's name (its /proc directory), with builtins only -- a fork is 50-100 ms of L1, and
# the search for a kthread reads every process's.
task_comm() { COMM=; read -r COMM 2>/dev/null <"$1/comm"; }

# The lab's VM with vhost-net: its qemu pid, URL and entity.
lab_vm() { # (one jq: each is 0.4-1 s of L1)
	local id
	read -r VM_PID VM_URL id <<<"$(tb_json "$LAB_TB_ON" |
		jq -r '.targets[] | select(.target == "vm") | "\(.pid) \(.url) \(.id)"')"
	VM_ENTITY="vm:$id"
}

# `virtprof run` against the lab VM beside a kernel counter: KERN_MS is what the counter gained
# over virtprof's measured window, RUN_JSON the report.  The counter ($2: a function that sets
# TICKS, in clock ticks, with builtins only -- a fork per sample would take L1's CPU from the
# guest) is sampled every 100 ms with the wall clock, and the window's ends are its timeline's
# (real_ns): read around the whole `virtprof run` instead, its start-up counted too, seconds in a
# starved L1 while the guest still ran (6.12, fc18: 4000 ms of guest ticks against 2694 ms).
run_bracketed() { # name counter-function
	local name=$1 counter=$2 samples sampler ws we t0 t1 fd fifo
	RUN_JSON=$LAB_OUT/$name.json
	samples=$LAB_OUT/$name.ticks
	# the 100 ms pause: read -t on a FIFO no one writes (L1 has no /dev/fd for <(:), sleep is a
	# fork, and $LAB_OUT, a 9p share, takes no FIFO)
	fifo=$(mktemp -u /tmp/vp-ticks.XXXXXX)
	mkfifo "$fifo" || fail "mkfifo $fifo"
	on_exit "rm -f '$fifo'"
	(
		exec {fd}<>"$fifo"
		while :; do
			"$counter" || exit 1
			echo "${EPOCHREALTIME/./} $TICKS"
			read -r -t 0.1 -u "$fd" _
		done
	) >"$samples" &
	sampler=$!
	"$VIRTPROF" run --url "$VM_URL" --netns "$LAB_TB_ON" --vm "$VM_PID" --users 20 \
		--duration 4s --warmup 0s --json "$RUN_JSON" >"$LAB_OUT/$name.txt" 2>&1 ||
		{ kill "$sampler"; fail "run failed: $(tail -n 3 "$LAB_OUT/$name.txt")"; }
	kill "$sampler"
	wait "$sampler" 2>/dev/null
	ws=$(jq '.steps[0].timeline[0] | (.real_ns - .interval_s * 1e9) / 1000 | floor' "$RUN_JSON")
	we=$(jq '.steps[0].timeline[-1].real_ns / 1000 | floor' "$RUN_JSON")
	# the last sample at or before the window's start, the first at or after its end (us)
	t0=$(awk -v w="$ws" '$1 <= w { t = $2 } END { print t }' "$samples")
	t1=$(awk -v w="$we" '$1 >= w { print $2; exit }' "$samples")
	[ -n "$t0" ] && [ -n "$t1" ] ||
		fail "no counter sample around the window ($ws..$we us): $(head -n 2 "$samples"; tail -n 2 "$samples")"
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
