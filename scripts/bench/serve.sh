#!/usr/bin/env bash
# What `virtprof serve` costs, beside `virtprof top` (the same probes, printing instead of
# exporting) in the same run, interleaved, ROUNDS rounds, median and range:
#   scripts/bench/serve.sh [SECONDS] [ROUNDS]
#  1. idle host, 1 s interval: the process's CPU (utime + stime) and its BPF programs' run time
#     (bpf_stats) as % of the machine, RSS;
#  2. the same under loopback HTTP load (wrk -t1 -c100 against a throw-away nginx);
#  3. scrape latency (curl, 50 scrapes) with ~5,000 series: 1,000 short-lived processes with
#     distinct names, --top-other 1000, so each keeps its series for the grace period.
# Traffic: 127.0.0.1 only.
set -uo pipefail
secs=${1:-10}
rounds=${2:-3}
port=18191
aport=18192
. "$(dirname "$0")/common.sh"

ticks=$(getconf CLK_TCK)
ncpu=$(nproc)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
bpf_ns() { # total run time of the programs PID holds
	local ids
	ids=$(prog_ids "$1")
	bpftool prog show --json | jq --argjson ids "$ids" '[.[] | select(.id as $i | $ids | index($i)) | (.run_time_ns // 0)] | add // 0'
}

# measure WHO PID: after a 3 s settle, CPU% and BPF% of the machine over $secs, and RSS
measure() {
	local who=$1 pid=$2 c0 c1 b0 b1 t0 t1
	sleep 3
	c0=$(cpu_ticks "$pid") b0=$(bpf_ns "$pid") t0=$(date +%s.%N)
	sleep "$secs"
	c1=$(cpu_ticks "$pid") b1=$(bpf_ns "$pid") t1=$(date +%s.%N)
	awk -v w="$who" -v c="$((c1 - c0))" -v hz="$ticks" -v b="$((b1 - b0))" -v a="$t0" -v e="$t1" \
		-v n="$ncpu" -v rss="$(rss_kb "$pid")" \
		'BEGIN { printf "%s %.3f %.3f %d\n", w, c / hz / (e - a) / n * 100, b / 1e9 / (e - a) / n * 100, rss }'
}

run_serve() {
	"$VIRTPROF" serve --listen "127.0.0.1:$aport" --interval 1s "$@" >/dev/null 2>"$tmp/serve.err" &
	spid=$!
	wait_for 300 curl -sf "http://127.0.0.1:$aport/healthz" || fail "serve: $(cat "$tmp/serve.err")"
}
stop() { kill -TERM "$1"; wait "$1" 2>/dev/null; }

phase() { # NAME: ROUNDS x (serve, top) interleaved
	local name=$1 r
	for ((r = 0; r < rounds; r++)); do
		run_serve
		# a scraper as Prometheus would be: every second
		(while kill -0 $spid 2>/dev/null; do curl -s "http://127.0.0.1:$aport/metrics" >/dev/null; sleep 1; done) &
		local scraper=$!
		measure serve $spid >>"$tmp/$name"
		kill $scraper 2>/dev/null
		stop $spid
		"$VIRTPROF" top 1 --json >/dev/null 2>&1 &
		local tpid=$!
		measure top $tpid >>"$tmp/$name"
		stop $tpid
	done
	summarize "$tmp/$name" "$name"
}

summarize() { # FILE NAME
	echo "$2: median [min..max] over $rounds rounds of ${secs}s (% of $ncpu CPUs)"
	printf '  %-6s %-22s %-22s %s\n' WHO PROCESS-CPU% BPF% RSS-MB
	for who in serve top; do
		awk -v w="$who" 'BEGIN {n = 0} $1 == w {c[n] = $2; b[n] = $3; r[n] = $4 / 1024; n++}
			function med(a, n,  i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
				return sprintf("%.3f [%.3f..%.3f]", a[int(n / 2)], a[0], a[n - 1]) }
			END { printf "  %-6s %-22s %-22s %s\n", w, med(c, n), med(b, n), med(r, n) }' "$1"
	done
}

echo "== idle host"
phase idle

echo "== loopback load (wrk -t1 -c100 on 127.0.0.1:$port)"
wrk -t1 -c100 -d"$((rounds * (2 * secs + 12) + 10))s" "http://127.0.0.1:$port/" >"$tmp/wrk.out" &
wrkpid=$!
on_exit "kill $wrkpid"
phase load
kill $wrkpid 2>/dev/null
wait $wrkpid 2>/dev/null

echo "== scrape latency with many series"
mkdir -p "$tmp/bin"
python3 -c 'import os, sys; [os.symlink("/bin/true", "%s/vpb%d" % (sys.argv[1], i)) for i in range(1000)]' "$tmp/bin"
run_serve --top-other 1000
for _ in 1 2; do for i in $(seq 0 999); do "$tmp/bin/vpb$i"; done; done
sleep 2
for _ in $(seq 1 50); do
	curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$aport/metrics"
	sleep 0.1
done >"$tmp/lat"
series=$(curl -s "http://127.0.0.1:$aport/metrics" | grep -vc '^#')
c0=$(cpu_ticks $spid) t0=$(date +%s.%N)
sleep "$secs"
c1=$(cpu_ticks $spid) t1=$(date +%s.%N)
stop $spid
sort -n "$tmp/lat" | awk -v s="$series" -v c="$((c1 - c0))" -v hz="$ticks" -v a="$t0" -v e="$t1" \
	'{ t[NR] = $1 * 1000; b = $2 } END {
	printf "  %d series, %.0f KB per scrape: latency median %.2f ms, p90 %.2f ms, max %.2f ms (50 scrapes)\n",
		s, b / 1024, t[int(NR / 2)], t[int(NR * 0.9)], t[NR]
	printf "  agent process CPU at that size: %.2f%% of one CPU (render every second + the scrapes)\n",
		c / hz / (e - a) * 100 }'
