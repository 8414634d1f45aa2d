#!/usr/bin/env bash
# virtprof serve as Prometheus sees it: a real Prometheus (started here on loopback, scrape
# interval 1 s) scrapes the agent while a CPU loop runs in a cgroup v2 "container" this test
# makes.  The HTTP API's rate() of the container's CPU seconds agrees with the cgroup's own
# cpu.stat within 3 %; promtool accepts a scrape; the metric names are exactly docs/metrics.md's;
# counters never go back over 30 scrapes while 2,000 short-lived processes with distinct names
# and short-lived threads come and go, and `other` stays within --top-other; bad input exits 2;
# /debug/pprof/profile: `go tool pprof` takes a profile of the container's loop from the live
# agent (labels entity, role, context), one at a time, /metrics answered meanwhile, the
# sampler detached after it, bad seconds 400; SIGHUP keeps serving; SIGTERM answers a profile
# in progress (503) and leaves none of the agent's BPF programs loaded.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd curl jq promtool prometheus bpftool python3

tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"
TOP=20

aport=$(free_port 1) || fail "no free port"
pport=$(free_port 2) || fail "no free port"
[ "$aport" != "$pport" ] || pport=$((pport + 1))
metrics() { curl -sf --max-time 5 "http://127.0.0.1:$aport/metrics"; }

# --- bad input: a clear one-line error and exit 2, before any probe loads ---
bad() { # expected-message-regex args...
	local want=$1 rc
	shift
	"$VIRTPROF" serve "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "serve $*: exit $rc, want 2 ($(cat "$tmp/err"))"
	grep -Eqi "$want" "$tmp/err" || fail "serve $*: message '$(cat "$tmp/err")' lacks /$want/"
}
bad "out of range" --listen 127.0.0.1:70000
bad "out of range" --listen 127.0.0.1:0
bad "ADDR:PORT" --listen nonsense
bad "not a numeric" --listen host.example:9464
bad "unrecognized|unknown" --bogus
bad "interval" --interval 10
bad "top-other" --top-other -1
bad "freq" --freq 0

# --- the "container": a cgroup v2 directory with a CPU loop moved into it ---
v2=/sys/fs/cgroup/unified
[ -f "$v2/cgroup.procs" ] || v2=/sys/fs/cgroup
[ -f "$v2/cgroup.procs" ] && [ -f "$v2/cpu.stat" ] || skip "no cgroup v2 hierarchy with cpu.stat"
cg=$v2/vp-serve-$$
mkdir "$cg" || fail "mkdir $cg"
# a cgroup can be removed only once its last task has exited: wait for the loop first
on_exit "wait_for 50 rmdir '$cg'"
sh -c 'while :; do :; done' &
spin=$!
on_exit "kill $spin; wait $spin"
echo "$spin" >"$cg/cgroup.procs" || fail "cannot move the loop into $cg"
ctr=ctr:vp-serve-$$

# Program ids the agent holds (from its fds), to check none is left after SIGTERM.
prog_ids() { # pid
	local f
	for f in /proc/"$1"/fdinfo/*; do sed -n 's/^prog_id:[[:space:]]*//p' "$f" 2>/dev/null; done | sort -u
}

"$VIRTPROF" serve --listen "127.0.0.1:$aport" --interval 1s --container "$cg" --top-other $TOP \
	--grace 10s --host vp-serve-test >"$tmp/agent.out" 2>"$tmp/agent.err" &
agent=$!
on_exit "kill -9 $agent"
healthy() { kill -0 $agent || return 2; curl -sf "http://127.0.0.1:$aport/healthz"; }
wait_for 300 healthy || fail "agent not healthy: $(cat "$tmp/agent.err")"
wait_for 50 metrics || fail "no /metrics"
[ "$(curl -s "http://127.0.0.1:$aport/healthz")" = ok ] || fail "/healthz not ok"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$aport/nope")" = 404 ] ||
	fail "unknown path not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$aport/metrics")" = 405 ] ||
	fail "POST not 405"

# --- bad input with the agent running: its address is in use ---
bad "in use" --listen "127.0.0.1:$aport"

# --- a real Prometheus, its own storage, loopback only ---
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: virtprof
    static_configs:
      - targets: ['127.0.0.1:$aport']
EOF
prometheus_start "$tmp/prometheus.yml" "$pport" "$tmp"

# --- churn: 2,000 short-lived processes with distinct names, and short-lived threads ---
mkdir "$tmp/bin"
python3 -c 'import os, sys; [os.symlink("/bin/true", "%s/vpc%d" % (sys.argv[1], i)) for i in range(1, 2001)]' "$tmp/bin"
(for i in $(seq 1 2000); do "$tmp/bin/vpc$i"; done) &
churn=$!
on_exit "kill $churn"
python3 -c '
import threading, time
end = time.time() + 12
while time.time() < end:
    ts = [threading.Thread(target=lambda: sum(range(20000))) for _ in range(8)]
    [t.start() for t in ts]; [t.join() for t in ts]
    time.sleep(0.02)
' &
threads=$!
on_exit "kill $threads"

# --- 30 scrapes: counters never go back, series stay bounded ---
for i in $(seq -w 1 30); do
	metrics >"$tmp/scrape.$i" || fail "scrape $i failed"
	sleep 0.4
done
wait $churn || fail "churn loop failed"
wait $threads
promtool check metrics <"$tmp/scrape.30" >"$tmp/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(head -n 5 "$tmp/promtool.out")"
# counters: *_total, *_sum, *_count, *_bucket; a series present in two consecutive scrapes
# must not decrease
awk '
	FNR == 1 { file++ }
	/^#/ { next }
	{
		split($0, a, "} "); key = a[1]; v = a[2] + 0
		if (key !~ /^virtprof_[a-z_]*(_total|_sum|_count|_bucket)\{/) next
		if ((key in last) && seen[key] == file - 1 && v < last[key]) {
			printf "%s went back: %s -> %s (scrape %d)\n", key, last[key], v, file
			bad = 1
		}
		last[key] = v; seen[key] = file
	}
	END { exit bad }
' "$tmp"/scrape.* || fail "a counter went back"
max_other=0 max_cpu=0 vpc=0
for f in "$tmp"/scrape.*; do
	n=$(grep '^virtprof_cpu_seconds_total{' "$f" | grep 'entity="other"' |
		sed 's/.*role="\([^"]*\)".*/\1/' | sort -u | wc -l)
	((n > max_other)) && max_other=$n
	owners=$(grep '^virtprof_cpu_seconds_total{' "$f" | sed 's/,context=.*//' | sort -u | wc -l)
	series=$(grep -Ec '^virtprof_(cpu_seconds_total|runqueue_delay_seconds_(sum|count)|context_switches_total)\{' "$f")
	# docs/metrics.md: at most 16 series per owner
	((series <= 16 * owners)) || fail "$series CPU series for $owners owners"
	((owners > max_cpu)) && max_cpu=$owners
	c=$(grep -c 'role="vpc[0-9]*"' "$f")
	((c > vpc)) && vpc=$c
done
echo "other: at most $max_other process names (bound $((TOP + 1))), $max_cpu owners, $vpc churn series"
((max_other <= TOP + 1)) || fail "other has $max_other names, bound is $((TOP + 1))"
grep -q 'entity="other",role="(rest)"' "$tmp/scrape.30" || fail "no (rest) row of other"

# --- docs/metrics.md names every metric, and nothing else ---
grep -o '^| `virtprof_[a-z_]*`' "$REPO/docs/metrics.md" | tr -d '|` ' | sort -u >"$tmp/doc.names"
[ -s "$tmp/doc.names" ] || fail "no metric names in docs/metrics.md"
sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$tmp/scrape.30" | sort -u >"$tmp/got.names"
extra=$(comm -13 "$tmp/doc.names" "$tmp/got.names")
[ -z "$extra" ] || fail "served but not in docs/metrics.md: $extra"
for name in $(comm -23 "$tmp/doc.names" "$tmp/got.names"); do
	# absent is fine only when docs name its source and the agent says it is not available
	src=$(grep "^| \`$name\`" "$REPO/docs/metrics.md" | awk -F'|' '{print $4}' | tr -d ' `')
	grep -q "^virtprof_source_available{.*source=\"$src\".*} 0" "$tmp/scrape.30" ||
		fail "$name is in docs/metrics.md but not served (source '$src' says available)"
done

# --- the container's CPU: Prometheus' rate() against the cgroup's own cpu.stat ---
# A quiet 10 s window after the churn.  rate() is the increase between the first and the last
# sample in its window over their distance (extrapolated to the window), and samples carry the
# end of their interval as timestamp (docs/metrics.md); so cpu.stat is sampled every 0.1 s and
# its rate taken between the same two instants: both sides then measure the same CPU time even
# while other work on the machine makes the loop's share jump around.
usage() { echo "$(date +%s.%N) $(awk '/^usage_usec/ {print $2}' "$cg/cpu.stat")"; }
sleep 1
for _ in $(seq 1 130); do usage; sleep 0.1; done >"$tmp/usage" &
sampler=$!
sleep 10
t1=$(date +%s.%N)
wait $sampler
q=$(printf 'sum(rate(virtprof_cpu_seconds_total{entity="%s"}[10s]))' "$ctr")
resp=$(curl -sf --get "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$q" \
	--data-urlencode "time=$t1") || fail "query failed"
prom_rate=$(jq -r '.data.result[0].value[1] // empty' <<<"$resp")
[ -n "$prom_rate" ] || fail "no result for $q: $resp"
curl -sf --get "http://127.0.0.1:$pport/api/v1/query" --data-urlencode 'query=virtprof_intervals_total[10s]' \
	--data-urlencode "time=$t1" | jq -r '.data.result[0].values[][0]' >"$tmp/stamps"
[ "$(wc -l <"$tmp/stamps")" -ge 2 ] || fail "fewer than 2 samples of virtprof_intervals_total in 10 s"
# rate() = increase between the first and last sample / their distance, times the share of the
# window Prometheus extrapolates to (to an edge when it is within 1.1 average sample distances,
# else half a distance): with samples stamped at interval ends, a scrape that lands twice in
# one interval leaves a 2 s gap, and a gap at an edge makes rate() read low by design.  The
# reference gets the same factor, so what is compared is the accounting, not the estimator.
read -r ea eb factor < <(awk -v end="$t1" '{ t[NR] = $1 } END {
	n = NR; s = t[n] - t[1]; avg = s / (n - 1); thr = avg * 1.1; x = s
	ds = t[1] - (end - 10); de = end - t[n]
	x += (ds < thr ? ds : avg / 2); x += (de < thr ? de : avg / 2)
	printf "%s %s %.6f", t[1], t[n], x / 10 }' "$tmp/stamps")
cg_rate=$(awk -v a="$ea" -v b="$eb" -v f="$factor" '
	function at(t,  i) { for (i = 2; i <= n; i++) if (T[i] >= t) return U[i-1] + (U[i]-U[i-1]) * (t-T[i-1]) / (T[i]-T[i-1]); return -1 }
	{ n++; T[n] = $1; U[n] = $2 }
	END { ua = at(a); ub = at(b); if (ua < 0 || ub < 0) { print "nan"; exit } printf "%.4f", (ub-ua)/1e6/(b-a) * f }' "$tmp/usage")
echo "container CPU: prometheus rate $prom_rate, cgroup cpu.stat $cg_rate CPUs (samples $ea .. $eb, window factor $factor)"
assert_ge "$cg_rate" 0.05 "the loop barely ran"
assert_within "$prom_rate" "$cg_rate" 3 "rate() of $ctr vs cpu.stat"
up=$(curl -sf --get "http://127.0.0.1:$pport/api/v1/query" --data-urlencode 'query=up{job="virtprof"}' |
	jq -r '.data.result[0].value[1]')
[ "$up" = 1 ] || fail "prometheus says up=$up"

# --- /debug/pprof/profile: a continuous profiler's scrape (go tool pprof, as Parca/Pyroscope ask) ---
purl="http://127.0.0.1:$aport/debug/pprof/profile"
perf_progs() { # the agent's perf_event (stack sampling) programs
	local ids
	ids=$(prog_ids $agent | paste -sd, -)
	bpftool prog show -j 2>/dev/null |
		jq -r --argjson ids "[${ids:-0}]" '.[] | select(.type == "perf_event") | .id | select(. as $i | $ids | index($i))'
}
[ -z "$(perf_progs)" ] || fail "stack sampling attached before any profile was asked for"
[ "$(curl -s -o "$tmp/p400" -w '%{http_code}' "$purl?seconds=abc")" = 400 ] || fail "seconds=abc not 400"
grep -q "1 to 300" "$tmp/p400" || fail "seconds=abc message: $(cat "$tmp/p400")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$purl?seconds=301")" = 400 ] || fail "seconds=301 not 400"
t0=$(date +%s.%N)
curl -sf --max-time 40 -o "$tmp/profile.pb.gz" "$purl?seconds=5" &
pcurl=$!
# the sampler is loaded at the collector's next interval (on a busy host, loading takes seconds)
sampling() { [ -n "$(perf_progs)" ] || { kill -0 $pcurl 2>/dev/null || return 2; return 1; }; }
seen=0
for _ in $(seq 1 300); do
	sampling && { seen=1; break; }
	kill -0 $pcurl 2>/dev/null || break
	sleep 0.1
done
[ $seen = 1 ] || fail "no stack sampling seen while the profile was being taken"
[ "$(curl -s -o "$tmp/p409" -w '%{http_code}' "$purl?seconds=1")" = 409 ] || fail "a second profile at once not 409"
mt=$(curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$aport/metrics") || fail "/metrics failed during a profile"
assert_le "$mt" 1 "/metrics seconds during a profile"
wait $pcurl || fail "profile request failed (curl rc $?)"
took=$(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
gzip -t "$tmp/profile.pb.gz" || fail "the profile is not gzip"
# the collector detaches the sampler as it answers
[ -z "$(perf_progs)" ] || fail "stack sampling still attached after the profile"
if command -v go >/dev/null; then
	timeout 120 go tool pprof -raw "$tmp/profile.pb.gz" >"$tmp/pprof.raw" 2>&1 || fail "go tool pprof -raw: $(tail -n 3 "$tmp/pprof.raw")"
	for l in entity role context; do grep -q "$l:\[" "$tmp/pprof.raw" || fail "pprof: no $l label"; done
	grep -q "entity:\[$ctr\]" "$tmp/pprof.raw" || fail "pprof: no sample of $ctr"
	# straight from the agent, as a user runs it
	timeout 120 go tool pprof -top -tagfocus "entity=$ctr" "$purl?seconds=2" >"$tmp/pprof.top" 2>&1 ||
		fail "go tool pprof -top URL: $(tail -n 3 "$tmp/pprof.top")"
	grep -q "Duration:" "$tmp/pprof.top" || fail "go tool pprof -top: $(head -n 5 "$tmp/pprof.top")"
	echo "pprof (5 s asked, answered after $took s): $(grep -m1 'Duration:' "$tmp/pprof.top")"
else
	echo "go not installed: the profile was checked as gzip only (scripts/deps.sh installs golang-go)"
fi

# --- SIGHUP: targets resolved again, still serving ---
kill -HUP $agent
sleep 1.5
kill -0 $agent || fail "agent died on SIGHUP: $(cat "$tmp/agent.err")"
grep -q "SIGHUP" "$tmp/agent.err" || fail "no SIGHUP line"
metrics | grep -q "entity=\"$ctr\"" || fail "container gone after SIGHUP"

# --- SIGTERM: exit 0, none of the agent's BPF programs left ---
ids=$(prog_ids $agent)
[ -n "$ids" ] || fail "agent holds no BPF programs?"
# a profile in progress is answered, not left hanging
curl -s --max-time 20 -o "$tmp/p503" -w '%{http_code}' "$purl?seconds=60" >"$tmp/p503.code" &
pcurl=$!
sleep 1.5
kill -TERM $agent
wait $agent
rc=$?
wait $pcurl
[ "$(cat "$tmp/p503.code")" = 503 ] || fail "profile in progress at SIGTERM: $(cat "$tmp/p503.code") $(cat "$tmp/p503")"
[ $rc -eq 0 ] || fail "exit $rc after SIGTERM: $(cat "$tmp/agent.err")"
# the kernel frees a program after its last reference goes, not always before exit() returns
for _ in $(seq 1 50); do
	left=$(bpftool prog show -j | jq -r '.[].id' | sort -u | comm -12 - <(echo "$ids"))
	[ -z "$left" ] && break
	sleep 0.1
done
[ -z "$left" ] || fail "BPF programs still loaded 5 s after SIGTERM: $(for id in $left; do
	bpftool prog show id "$id" | head -n 1; done)"
echo "SIGTERM: $(wc -w <<<"$ids") programs detached"
