#!/usr/bin/env bash
# Cost of stack sampling under loopback HTTP load, beside the peers, interleaved in one run:
#   baseline (nothing attached), virtprof top --stacks at 99 Hz and 999 Hz, perf record -F 99 -a -g,
#   bpftrace profile:hz:99 { @[kstack, ustack] = count(); }
#   scripts/bench/stacks.sh [SECONDS] [ROUNDS] [CONNECTIONS]
# Per configuration (median and min-max of the rounds): wrk req/s; the sampling program's run time
# as % of the machine (kernel bpf_stats; virtprof's `sample`, bpftrace's profile program); the
# tool's own process CPU (utime+stime) as % of the machine; vp0 is virtprof top without
# --stacks, so vp99 - vp0 is what sampling adds in userspace (drain, symbolization).  virtprof's figures are for the
# sampler alone: its accounting programs are attached in both virtprof rows and left out here
# (scripts/bench/bpf-cost.sh measures them).  Then symbolization time and memory for a
# demo-sized session (compare --testbed --stacks, -v prints them; VmHWM with and without).
# Goals: <= 0.2 % of the machine at 99 Hz; symbolization < 1 s and < 100 MB.  127.0.0.1 only.
set -uo pipefail
secs=${1:-8}
rounds=${2:-3}
conns=${3:-100}
port=18191
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/goal.sh"
need_cmd perf
hz=$(getconf CLK_TCK)
ncpu=$(nproc)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# run time (ns) of the programs $3 (json ids) named like $4 between snapshots $1 and $2
prog_ns() { prog_delta "$1" "$2" "$3" | jq --arg re "$4" '[.[] | select(.name | test($re)) | .ns] | add // 0'; }

# one configuration: start the tool, load, measure; prints "req/s prog% proc%"
measure() {
	local what=$1 pid="" re="" ids="[]" t0 t1 b a c0 c1 rps
	case $what in
	baseline) ;;
	vp0 | vp99 | vp999)
		if [ "$what" = vp0 ]; then
			"$VIRTPROF" top 1 --no-io >/dev/null 2>"$tmp/vp.err" &
		else
			"$VIRTPROF" top 1 --no-io --freq "${what#vp}" >/dev/null 2>"$tmp/vp.err" &
		fi
		pid=$!
		re='^sample$'
		wait_for 150 bash -c "grep -q '^prog_id:' /proc/$pid/fdinfo/* 2>/dev/null" || fail "virtprof did not attach: $(cat "$tmp/vp.err")"
		sleep 1 ;;
	perf)
		perf record -F 99 -a -g -o "$tmp/perf.data" >/dev/null 2>&1 &
		pid=$!
		sleep 1 ;;
	bpftrace)
		bpftrace -e 'profile:hz:99 { @[kstack, ustack] = count(); }' >/dev/null 2>&1 &
		pid=$!
		re='.*'
		wait_for 150 bash -c "grep -q '^prog_id:' /proc/$pid/fdinfo/* 2>/dev/null" || fail "bpftrace did not attach" ;;
	esac
	[ -n "$pid" ] && ids=$(prog_ids "$pid")
	b=$(prog_snap)
	c0=$([ -n "$pid" ] && cpu_ticks "$pid" || echo 0)
	t0=$(date +%s.%N)
	rps=$(wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}')
	t1=$(date +%s.%N)
	c1=$([ -n "$pid" ] && cpu_ticks "$pid" || echo 0)
	a=$(prog_snap)
	local ns=0
	[ -n "$re" ] && ns=$(prog_ns "$b" "$a" "$ids" "$re")
	if [ -n "$pid" ]; then
		kill -INT "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -f "$tmp/perf.data"
	awk -v r="$rps" -v ns="$ns" -v c="$((c1 - c0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" -v n="$ncpu" \
		'BEGIN { span = (t1 - t0) * n; printf "%s %.4f %.4f\n", r, 100 * ns / 1e9 / span, 100 * c / hz / span }'
}

configs=(baseline vp0 vp99 vp999 perf bpftrace)
[ "${STACKS_BENCH_LOAD:-1}" = 1 ] || configs=()
for ((r = 1; r <= rounds; r++)); do
	for c in "${configs[@]}"; do
		echo "$c $(measure "$c")" >>"$tmp/results"
		echo "round $r $c: $(tail -n 1 "$tmp/results")" >&2
	done
done

echo "load: wrk -t1 -c$conns, ${secs}s per run, 127.0.0.1, $rounds rounds interleaved; $ncpu CPUs"
printf '%-10s %22s %24s %24s\n' TOOL "req/s med (min-max)" "program % med (min-max)" "process % med (min-max)"
stat() { # config column
	awk -v c="$1" -v k="$2" '$1 == c { print $k }' "$tmp/results" | sort -g |
		awk '{ v[NR] = $1 } END { printf "%.4g (%.4g-%.4g)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
for c in "${configs[@]}"; do
	[ -s "$tmp/results" ] || break
	printf '%-10s %22s %24s %24s\n' "$c" "$(stat "$c" 2)" "$(stat "$c" 3)" "$(stat "$c" 4)"
done
if [ -s "$tmp/results" ]; then
	p99=$(stat vp99 3 | cut -d' ' -f1)
	goal "stack sampling at 99 Hz: its program, % of the machine" "<= 0.2%" \
		"$p99% (bpftrace profile: $(stat bpftrace 3 | cut -d' ' -f1)%)" \
		"$(awk -v a="$p99" 'BEGIN { print (a <= 0.2) }')"
fi
echo "program %: the sampling program's run time (bpf_stats); perf's sampling runs in the kernel's"
echo "perf code, not a BPF program (n/a, 0 here); process %: the tool's own threads"

# symbolization for a demo-sized session (demo.sh's steps, shortened durations unless asked)
if [ "${STACKS_BENCH_DEMO:-1}" = 1 ] && command -v qemu-system-x86_64 >/dev/null; then
	tb=vpstkbench$$
	on_exit "\"$VIRTPROF\" testbed down --name $tb >/dev/null 2>&1"
	for stacks in "" "--stacks"; do
		/usr/bin/time -f '%M' -o "$tmp/rss" "$VIRTPROF" compare -v --testbed --testbed-name "$tb" \
			--keep-testbed --steps light,medium,heavy --duration "${DEMO_DURATION:-10s}" \
			--warmup 2s $stacks >/dev/null 2>"$tmp/demo.err" || true
		rss=$(($(tail -n 1 "$tmp/rss") / 1024))
		echo "demo session ${stacks:-without --stacks}: max RSS $rss MB" \
			"$(grep -o 'stacks: symbolization.*' "$tmp/demo.err")"
		[ -z "$stacks" ] && rss0=$rss
	done
	sy=$(sed -n 's/.*stacks: symbolization \([0-9.]*\) s CPU.*/\1/p' "$tmp/demo.err")
	goal "symbolization of a demo session: CPU time" "< 1 s" "${sy:-n/a} s" \
		"$(awk -v a="${sy:-99}" 'BEGIN { print (a < 1) }')"
	goal "symbolization of a demo session: added memory (max RSS)" "< 100 MB" \
		"$((rss - rss0)) MB" "$( ((rss - rss0 < 100)) && echo 1 || echo 0)"
fi
