#!/usr/bin/env bash
# The study re-run, corrected (issue 22): its load generator, JMeter (Debian's 2.13, non-GUI,
# scripts/jmeter/jmeter), with its plan's shape -- N threads started over a 1 s ramp-up, each
# sending requests in a loop -- at its thread counts, 1,000 / 5,000 / 7,000 / 10,000, against the
# testbed's VM and container.  The study read htop's total CPU, in which JMeter's own CPU was
# mixed; virtprof charges JMeter's whole process tree to LOADGEN and the rest to its owners.
# Then the same steps with virtprof's built-in generator, for JMeter's cost beside it.
#
# Ends with one table: the study's total CPU beside virtprof's host busy %, JMeter's share of the
# host, OWN / VIRT / PATH per request, the latency; then JMeter's CPU per request and peak memory
# beside the built-in generator's.  Reports in $VIRTPROF_DEMO_OUT (default /tmp/virtprof-study).
# STUDY_THREADS (default 1000,5000,7000,10000), STUDY_DURATION (s per step, default 20).
# JMeter took ~3 GB at 10,000 threads: the script checks MemAvailable first.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${VIRTPROF_DEMO_OUT:-/tmp/virtprof-study}
steps=${STUDY_THREADS:-1000,5000,7000,10000}
dur=${STUDY_DURATION:-20}
vp=${VIRTPROF:-./build/virtprof}
tb=vpstudy
[[ $steps =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "demo-study: STUDY_THREADS=$steps: numbers, comma-separated" >&2; exit 2; }
[[ $dur =~ ^[0-9]+$ ]] && [ "$dur" -ge 5 ] || { echo "demo-study: STUDY_DURATION=$dur: seconds, at least 5" >&2; exit 2; }
maxthreads=$(tr , '\n' <<<"$steps" | sort -n | tail -n 1)
avail_mb=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
# ~300 KB per JMeter thread (3.1 GB at 10,000 measured) plus the VM and the rest
need_mb=$((maxthreads * 3 / 10 + 2048))
[ "$avail_mb" -ge "$need_mb" ] ||
	{ echo "demo-study: $maxthreads JMeter threads need ~$need_mb MB, $avail_mb MB available: lower STUDY_THREADS" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/jmeter-*.jtl "$out/memory.log"

poller=""
cleanup() {
	[ -n "$poller" ] && kill "$poller" 2>/dev/null
	"$vp" testbed down --name "$tb" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "demo-study: testbed up (a qemu VM and a docker container, one nginx image)"
"$vp" testbed up --name "$tb" >"$out/testbed.log" 2>&1 || { tail -n 5 "$out/testbed.log"; exit 1; }

# Peak memory (VmHWM) of every JMeter JVM and of virtprof, sampled twice a second; a JVM is
# known by its -Jthreads= and -Jurl= arguments.
(
	while :; do
		for p in $(pgrep -f 'org.apache.jmeter.NewDriver') $(pgrep -x virtprof); do
			hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
			[ -n "$hwm" ] || continue
			args=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
			echo "$p $hwm $args"
		done
		sleep 0.5
	done >"$out/memory.log"
) &
poller=$!

scripts/jmeter/plan.sh http://127.0.0.1/ 1 1 "$dur" >"$out/study.jmx"
echo "demo-study: JMeter, $steps threads, ${dur} s each, VM and container in turn"
"$vp" compare --testbed --testbed-name "$tb" --steps "$steps" \
	--load-cmd "$PWD/scripts/jmeter/jmeter -n -t $out/study.jmx -Jthreads={users} -Jurl={url} -l $out/jmeter-{users}.jtl -j $out/jmeter.log" \
	--json "$out/jmeter.json" --html "$out/jmeter.html" >"$out/jmeter.txt" 2>"$out/jmeter.err" ||
	{ tail -n 5 "$out/jmeter.err"; echo "demo-study: the JMeter comparison failed (its report: $out/jmeter.txt)" >&2; exit 1; }
echo "demo-study: the built-in generator, the same users and duration"
"$vp" compare --testbed --testbed-name "$tb" --steps "$steps" --duration "${dur}s" --ramp-up 1s \
	--json "$out/builtin.json" --html "$out/builtin.html" >"$out/builtin.txt" 2>"$out/builtin.err" ||
	{ tail -n 5 "$out/builtin.err"; echo "demo-study: the built-in comparison failed" >&2; exit 1; }
kill "$poller" 2>/dev/null
poller=""

# peak memory per (threads, target url) for JMeter; virtprof's over the built-in run
jq -r '.steps[] | [.users // .label, .url] | @tsv' "$out/jmeter.json" >"$out/steps.tsv"
mem_of() { # threads url -> MB (max VmHWM of the JVM started with both)
	awk -v t="-Jthreads=$1" -v u="-Jurl=$2" 'index($0, t " ") && index($0, u " ") { if ($2 > m) m = $2 }
		END { if (m) printf "%.0f", m / 1024; else printf "n/a" }' "$out/memory.log"
}
vp_mem=$(awk '$3 ~ /virtprof$/ && / compare / && /--duration/ { if ($2 > m) m = $2 } END { if (m) printf "%.0f", m / 1024; else printf "n/a" }' "$out/memory.log")

{
	echo
	echo "The study (htop, total CPU incl. JMeter) beside virtprof (JMeter on LOADGEN, the rest to its owners)"
	printf "%-7s %-5s %9s %7s %6s %9s %8s %8s %8s %8s %9s %9s %8s\n" THREADS TARGET STUDY-CPU% BUSY% LG% REQ/S OWN-us VIRT-us PATH-us LG-us MEAN-ms SD-ms JVM-MB
	jq -r '.comparison[] | [.users // .step, (.target | sub(":.*"; "")), .req_per_s, .own_us, .virt_us, .path_us, .loadgen_us, .host_busy_pct, .loadgen_pct, .mean_ms, .stddev_ms] | map(if . == null then "n/a" else tostring end) | @tsv' \
		"$out/jmeter.json" | paste - <(cut -f2 "$out/steps.tsv") |
		while IFS=$'\t' read -r users kind rps own virt path lg busy lgp mean sd url; do
			case "$users/$kind" in
			5000/vm) st=45.8 ;; 5000/ctr) st=29.0 ;; 7000/vm) st=77.75 ;; 7000/ctr) st=64.35 ;;
			10000/vm) st=83.1 ;; 10000/ctr) st=80.3 ;; 1000/*) st="~15.9" ;; *) st="-" ;;
			esac
			printf "%-7s %-5s %9s %7.1f %6.1f %9.0f %8.1f %8.1f %8.1f %8.1f %9.2f %9.2f %8s\n" \
				"$users" "$kind" "$st" "$busy" "$lgp" "$rps" "$own" "$virt" "$path" "$lg" "$mean" "$sd" \
				"$(mem_of "$users" "$url")" 2>/dev/null ||
				echo "$users $kind $st $busy $lgp $rps $own $virt $path $lg $mean $sd"
		done
	echo "(study: KVM / Docker total CPU; its response times 7 +- 8 ms vs 2 +- 2 ms. n/a: not measured, see the reports)"
	echo
	echo "Load generators at the same users: CPU per request (us) and host share"
	printf "%-7s %-5s %10s %8s %10s %8s\n" USERS TARGET JMETER-us LG% BUILTIN-us LG%
	paste <(jq -r '.comparison[] | [.users // .step, (.target | sub(":.*"; "")), .loadgen_us, .loadgen_pct] | map(tostring) | @tsv' "$out/jmeter.json") \
		<(jq -r '.comparison[] | [.loadgen_us, .loadgen_pct] | map(tostring) | @tsv' "$out/builtin.json") |
		awk -F'\t' '{ printf "%-7s %-5s %10.1f %8.1f %10.1f %8.1f\n", $1, $2, $3, $4, $5, $6 }'
	echo "peak memory: each JMeter JVM in the JVM-MB column; virtprof (probes + built-in generator, all steps): $vp_mem MB"
} | tee "$out/study.txt"
echo "demo-study: reports in $out (jmeter.json/.html, builtin.json/.html, study.txt)"
