#!/usr/bin/env bash
# The kernel lab, N sessions per kernel back to back, counting what went wrong -- the proof that
# `make test` passes every time, not every second time.
#
#   soak.sh N [SERIES ...]      default series: 6.1 6.12 (or $LAB_KERNELS)
#
# Sessions go round by round, one of each kernel per round, at once.  Each session is one L1 boot running tests/lab/inside.sh (as `make test` does, but without
# run.sh's second boot, so a crash is counted, not hidden).  Per session it counts: an L1 crash
# (a fault on L1's console: Oops, BUG, panic), an L1 that hung or timed out, nested guests that
# died (a check re-run because its guest died, a testbed that needed another try to come up),
# failed checks, and live patches of kernel text after setup (tests/lab/hold.sh).  Every failed
# session keeps all its files (console, each check's log, the guests' consoles) in
# $SOAK_DIR/<series>/<n>/; a clean one keeps its results and pokes record only.  Ends with one
# table and exits 1 when any session crashed, hung or failed a check.  LAB_ONLY narrows the checks
# as for run.sh.  Runs by hand (about 4 minutes per session on 2 idle cores).
set -uo pipefail

n=${1:?usage: soak.sh N [SERIES ...]}
shift
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: N must be a positive whole number, not '$n'" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${VIRTPROF_BUILD:-build}
soak=${SOAK_DIR:-$repo/$build/lab-soak}
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || read -r -a kernels <<<"${LAB_KERNELS:-6.1 6.12}"
[ "$(id -u)" -eq 0 ] || { echo "soak.sh: needs root" >&2; exit 2; }
[ -x "$repo/$build/virtprof" ] || { echo "soak.sh: build virtprof first (make tests-build)" >&2; exit 2; }

stop=0
trap 'stop=1' INT TERM
summary=$soak/summary.txt
mkdir -p "$soak"
: >"$summary"

# One session's counts: "crash hang deaths failed pokes seconds", and the first fault line.
tally() { # dir rc seconds
	local d=$1 rc=$2 secs=$3 crash=0 hang=0 deaths failed pokes
	if grep -a -q -E 'Oops:|BUG:|general protection fault|Kernel panic' "$d/console.log" 2>/dev/null; then
		crash=1
	elif [ "$rc" = 3 ]; then
		hang=1
	fi
	deaths=$(($(grep -c 'died' "$d/results" 2>/dev/null) + $(cat "$d"/testbed_*.log 2>/dev/null | grep -c 'did not come up (try')))
	# a check that passed only on its second run (inside.sh re-runs a failure once) counts here
	# too: the soak counts what went wrong, it does not forgive it
	failed=$(grep -c -E '^FAIL|passed on its second run' "$d/results" 2>/dev/null)
	pokes=$(sed -n 's/^note \([0-9]*\) live patches after setup.*/\1/p' "$d/results" 2>/dev/null)
	echo "$crash $hang $deaths $failed ${pokes:-?} $secs"
}

declare -A kdirs
for k in "${kernels[@]}"; do
	kdirs[$k]=$("$here/kernel.sh" "$k") || { echo "soak: no $k kernel" >&2; exit 1; }
done
# One session of one kernel: its line in the summary (and on stdout).
one() { # series round
	local k=$1 i=$2 kdir=${kdirs[$1]} d=$soak/$1/$2 t0 rc why crash hang deaths failed pokes secs
	rm -rf "$d"
	mkdir -p "$d"
	t0=$(date +%s)
	VIRTPROF_BUILD=$build "$here/boot.sh" "$kdir" tests/lab/inside.sh "$d" \
		"$(tr ' ' , <<<"${LAB_ONLY:-}")" >"$d/boot.log" 2>&1
	rc=$?
	read -r crash hang deaths failed pokes secs <<<"$(tally "$d" "$rc" $(($(date +%s) - t0)))"
	why=
	# killed from outside (rc 128+N, not the lab's 3): neither a crash nor a hang of L1
	((rc > 128)) && why="interrupted (boot.sh rc $rc: killed from outside the lab) "
	((crash)) && why="crash: $(grep -a -m1 -E 'Oops:|BUG:|general protection fault|Kernel panic' "$d/console.log" | tr -d '\r' | sed 's/^\[[^]]*\] *//')"
	((hang)) && why+="L1 did not finish (no fault on its console)"
	((failed)) && why+=" failed: $(grep -E '^FAIL|passed on its second run' "$d/results" | cut -c1-160 | paste -sd'|')"
	printf '%s %s crash=%d hang=%d guest_deaths=%d failed=%d pokes=%s %ss %s\n' \
		"$k" "$i" "$crash" "$hang" "$deaths" "$failed" "$pokes" "$secs" "$why" | tee -a "$summary"
	if ((crash + hang + failed + deaths == 0)); then # clean: keep what proves it, not the bulk
		find "$d" -mindepth 1 ! -name results ! -name pokes.log ! -name boot.log -exec rm -rf {} + 2>/dev/null
	fi
}
# Round by round; in a round the kernels' sessions run at once, as `make test` runs them
# (LAB_SERIAL=1: in turn).  A soak stopped early has as many sessions of each kernel.
for i in $(seq "$n"); do
	((stop)) && break
	pids=()
	for k in "${kernels[@]}"; do
		if [ "${LAB_SERIAL:-0}" = 1 ]; then
			((stop)) || one "$k" "$i"
		else
			one "$k" "$i" &
			pids+=($!)
		fi
	done
	# a signal (stop=1) ends the wait early: the round's sessions still finish and count
	for p in "${pids[@]+"${pids[@]}"}"; do
		while kill -0 "$p" 2>/dev/null; do wait "$p"; done
	done
done

echo
printf '%-6s %8s %11s %6s %13s %14s %16s %10s\n' kernel sessions "L1 crashes" hangs "guest deaths" "failed checks" "patches/session" "mean s"
bad=0
for k in "${kernels[@]}"; do
	awk -v k="$k" '$1 == k {
			s++; for (i = 3; i <= 8; i++) { split($i, kv, "="); v[kv[1]] += kv[2] }
			secs += $8 + 0
			if ($7 != "pokes=?") { p += substr($7, 7); pn++ }
		}
		END {
			if (!s) exit
			printf "%-6s %8d %11d %6d %13d %14d %16s %10d\n", k, s, v["crash"], v["hang"],
				v["guest_deaths"], v["failed"], pn ? sprintf("%.1f", p / pn) : "n/a", secs / s
			exit (v["crash"] + v["hang"] + v["failed"] > 0)
		}' "$summary" || bad=1
done
echo "sessions and the files of every failed one: $soak"
exit $bad
