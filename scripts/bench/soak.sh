#!/usr/bin/env bash
# `virtprof serve` for a day, compressed (issue 21): the agent people leave running, on a host that
# starts and stops containers and processes all day, scraped by a real Prometheus every 5 s.
#
#   scripts/bench/soak.sh [MINUTES] [CONTAINERS] [PROCESSES]   (defaults 60, 1000, 100000)
#
# Over MINUTES: CONTAINERS podman-layout containers (machine.slice/libpod-<64 hex>.scope made by
# hand on v2 and the v1 cpu hierarchy, one process each that spins 2 ms a second -- real runtimes are
# too heavy to start 1,000 times here) come and go in waves of 50, each living ~1/20 of the run;
# PROCESSES short-lived processes (/bin/true, distinct names through exec -a) are started at an
# even rate.  Every 30 s it samples the agent: RSS, open fds, BPF programs and maps it holds,
# series in its /metrics and the containers among them (SEEN; MADE: started so far), and
# Prometheus's head series.  Ends with the table and the verdict:
# RSS after the warm-up flat within 10 %, fds flat (a scrape in flight: +4), BPF programs
# and maps constant, series bounded (the maximum is printed).
# Traffic: 127.0.0.1 only.  SIGINT/SIGTERM end it early with the table of what was sampled.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPO=$here
. "$here/tests/lib.sh"
VIRTPROF=${VIRTPROF:-$here/build/virtprof}
need_root
need_cmd curl jq prometheus promtool bpftool
[ -x "$VIRTPROF" ] || fail "$VIRTPROF not built"
mins=${1:-60} nctr=${2:-1000} nproc=${3:-100000}
for n in "$mins" "$nctr" "$nproc"; do [[ $n =~ ^[1-9][0-9]*$ ]] || fail "usage: soak.sh [MINUTES] [CONTAINERS] [PROCESSES]"; done
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$v2" ] || fail "no cgroup v2 hierarchy mounted"
v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { print $2; exit }' /proc/mounts)
tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"
aport=$(free_port 1) || fail "no free port"
pport=$(free_port 2) || fail "no free port"

"$VIRTPROF" serve --listen "127.0.0.1:$aport" --interval 1s --no-io >"$tmp/agent.out" 2>"$tmp/agent.err" &
agent=$!
on_exit "kill $agent 2>/dev/null; wait $agent 2>/dev/null"
wait_for 300 curl -sf --max-time 5 "http://127.0.0.1:$aport/metrics" -o /dev/null ||
	fail "agent not serving: $(cat "$tmp/agent.err")"
cat >"$tmp/prom.yml" <<EOF
global: { scrape_interval: 5s, scrape_timeout: 4s }
scrape_configs:
  - job_name: virtprof
    static_configs: [ { targets: ["127.0.0.1:$aport"] } ]
EOF
prometheus_start "$tmp/prom.yml" "$pport" "$tmp"

slice=machine.slice
[ -d "$v2/$slice" ] || { mkdir "$v2/$slice"; on_exit "rmdir $v2/$slice"; }
[ -n "$v1" ] && [ ! -d "$v1/$slice" ] && { mkdir "$v1/$slice"; on_exit "rmdir $v1/$slice"; }

# waves of 50 containers, each wave living life_s; a container is a cgroup pair + one process
# that spins 2 ms every second (CPU to be found by, 100 alive cost 0.2 CPU) until the wave ends
wave=50
waves=$(((nctr + wave - 1) / wave))
life_s=$((mins * 60 / 20))
[ "$life_s" -ge 5 ] || life_s=5
gap_s=$(awk -v m="$mins" -v w="$waves" -v l="$life_s" 'BEGIN { g = (m * 60 - l) / w; if (g < 1) g = 1; printf "%.2f", g }')
containers() {
	local k i id d p
	for ((k = 0; k < waves; k++)); do
		for ((i = 0; i < wave && k * wave + i < nctr; i++)); do
			# 64 hex, as podman's; distinct in the first 12 (the name a runtime shows): a
			# shared prefix made each wave one entity in /metrics
			id=$(printf '5aa%03x%06x%052x' "$i" "$k" $$ | cut -c1-64)
			timeout "$life_s" python3 -c 'import time
while True:
    t = time.time()
    while time.time() - t < 0.002: pass
    time.sleep(1)' &
			p=$!
			for h in "$v2" ${v1:+"$v1"}; do
				d=$h/$slice/libpod-$id.scope
				mkdir -p "$d" && echo "$p" >"$d/cgroup.procs"
			done
			echo "$id" >>"$tmp/ctr.ids"
		done
		sleep "$gap_s"
		# remove the cgroups of the waves whose processes have ended
		for d in "$v2/$slice"/libpod-5aa*.scope ${v1:+"$v1/$slice"/libpod-5aa*.scope}; do
			[ -d "$d" ] && ! grep -q . "$d/cgroup.procs" 2>/dev/null && rmdir "$d" 2>/dev/null
		done
	done
}
processes() { # nproc short-lived processes at an even rate, in batches of 100
	local per_batch_s i
	per_batch_s=$(awk -v m="$mins" -v n="$nproc" 'BEGIN { printf "%.3f", m * 60 / (n / 100) }')
	for ((i = 0; i < nproc; i += 100)); do
		for ((j = 0; j < 100; j++)); do (exec -a "soakp$((i + j))" /bin/true) & done
		wait
		echo $((i + 100)) >"$tmp/procs.done"
		sleep "$per_batch_s"
	done
}
cleanup_ctrs() {
	pkill -f 'while time.time\(\) - t < 0.002' 2>/dev/null
	for d in "$v2/$slice"/libpod-5aa*.scope ${v1:+"$v1/$slice"/libpod-5aa*.scope}; do
		[ -d "$d" ] && wait_for 50 rmdir "$d"
	done
}
containers &
cpid=$!
processes &
ppid=$!
on_exit "kill $cpid $ppid 2>/dev/null; cleanup_ctrs"

scrape() { # series in one scrape, and the containers among its entities
	curl -sf --max-time 10 "http://127.0.0.1:$aport/metrics" >"$tmp/m" || { echo "n/a n/a"; return; }
	echo "$(grep -vc '^#' "$tmp/m") $(grep -o 'entity="ctr:[^"]*"' "$tmp/m" | sort -u | wc -l)"
}
prom_series() {
	curl -sf --max-time 5 "http://127.0.0.1:$pport/api/v1/status/tsdb" |
		jq -r '.data.headStats.numSeries // "n/a"'
}
bpf_objs() { # programs and maps the agent holds
	local pr mp
	pr=$(grep -l '^prog_id:' /proc/$agent/fdinfo/* 2>/dev/null | wc -l)
	mp=$(grep -l '^map_id:' /proc/$agent/fdinfo/* 2>/dev/null | wc -l)
	echo "$pr $mp"
}
stop=0
trap 'stop=1' INT TERM
end=$((SECONDS + mins * 60))
printf "%6s %8s %5s %6s %5s %8s %9s %6s %6s %8s\n" MIN RSS-MB FDS PROGS MAPS SERIES PROM-HEAD SEEN MADE PROCS | tee "$tmp/table"
while [ $stop = 0 ] && [ $SECONDS -lt $end ]; do
	kill -0 $agent 2>/dev/null || { echo "agent died: $(tail -n 3 "$tmp/agent.err")"; break; }
	rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' /proc/$agent/status)
	fds=$(ls /proc/$agent/fd | wc -l)
	read -r pr mp < <(bpf_objs)
	read -r ns seen < <(scrape)
	printf "%6.1f %8s %5s %6s %5s %8s %9s %6s %6s %8s\n" "$(awk -v s=$SECONDS 'BEGIN { print s / 60 }')" \
		"$rss" "$fds" "$pr" "$mp" "$ns" "$(prom_series)" "$seen" "$(wc -l <"$tmp/ctr.ids" 2>/dev/null || echo 0)" \
		"$(cat "$tmp/procs.done" 2>/dev/null || echo 0)" | tee -a "$tmp/table"
	for ((w = 0; w < 30 && stop == 0; w++)); do sleep 1; done
done
# The verdict over the samples after the warm-up: the first tenth of the run, or until the set of
# containers the agent tracks is at its steady size -- those alive plus those gone less than
# serve's --grace (5 min) ago -- whichever is later.  Before that RSS grows with the set, which
# is not a leak (the first hour-long run: 28.8 MB at the first tenth, 34.4 MB once 315
# containers were tracked at 12 min, then 34.4-34.5 MB to the end).
warm=$(awk -v m="$mins" -v l="$life_s" -v g="$gap_s" 'BEGIN { w = (l + 300 + g) / 60; if (w < m / 10) w = m / 10; print w }')
echo "warm-up: the first $warm min"
awk -v skip="$warm" 'NR > 1 && $1 < skip && $2 > wmax { wmax = $2 } NR > 1 && $1 >= skip {
		n++; if (!r0) { r0 = $2; f0 = $3; p0 = $4; m0 = $5 }
		if ($2 > rmax) rmax = $2; if ($6 > smax) smax = $6
		if ($3 > fmax) fmax = $3; if ($4 != p0 || $5 != m0) bo = 1 }
	END {
		if (!n) { print "verdict: too short (no sample after the warm-up)"; exit 1 }
		printf "warm-up RSS max %.1f MB (not judged)\n", wmax
		g = (rmax - r0) / r0 * 100
		# a scrape in flight holds a socket or two: fds may move by that much
		fd = fmax - f0 > 4
		printf "verdict: RSS %.1f MB -> max %.1f MB (%+.1f %%, goal <= 10 %%); fds %d -> max %d (%s); BPF objects %s; series max %d\n",
			r0, rmax, g, f0, fmax, fd ? "GROWING" : "flat", bo ? "CHANGED" : "constant", smax
		exit !(g <= 10 && !fd && !bo)
	}' "$tmp/table"
