#!/usr/bin/env bash
# The kernel lab: virtprof's BPF suite and the lab checks (KVM guests, vhost-net in this
# kernel's mode, exits, the module matrix) on the kernels users run, each inside an emulated
# host (L1) booted by scripts/lab/boot.sh -- both at once (LAB_SERIAL=1: one after the other).
#
#   run.sh [SERIES ...]      default: 6.1 6.12 (or $LAB_KERNELS)
#
# Prints one line per kernel and result, "PASS|FAIL|SKIP lab/<series>/<name>[: why]", and exits 1
# when any failed.  Logs: $LAB_OUT_DIR (default build/lab)/<series>/.  Skips (exit 77) where this
# machine cannot run the lab (no qemu, no virtprof build).  LAB_ONLY="check ..." narrows the set.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${VIRTPROF_BUILD:-build}
outdir=${LAB_OUT_DIR:-$repo/$build/lab}
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || read -r -a kernels <<<"${LAB_KERNELS:-6.1 6.12}"

skip() { echo "SKIP lab: $*"; exit 77; }
command -v "${LAB_QEMU:-qemu-system-x86_64}" >/dev/null || skip "qemu-system-x86_64 not installed"
[ -x "$repo/$build/virtprof" ] || skip "$repo/$build/virtprof not built"
[ "$(id -u)" -eq 0 ] || skip "needs root (tracefs, 9p exports of /usr and /etc)"

# Why an L1 did not finish, from its console: the kernel's own fault line and where it hit
# (an Oops, a panic, a BUG), or that it printed none (a hang, or the timeout).
l1_fault() { # console.log
	local oops rip
	oops=$(grep -a -m1 -E 'Oops:|BUG:|general protection fault|Kernel panic' "$1" 2>/dev/null | tr -d '\r' | sed 's/^\[[^]]*\] *//' | cut -c1-160)
	rip=$(grep -a -m1 -E 'RIP: [0-9]+:' "$1" 2>/dev/null | tr -d '\r' | sed 's/.*RIP: //' | cut -c1-80)
	if [ -n "$oops" ]; then
		echo "emulated host crashed: $oops${rip:+ at $rip}"
	else
		echo "no fault on its console (hung, or timed out; last line: $(tail -n 1 "$1" 2>/dev/null | tr -d '\r' | cut -c1-100))"
	fi
}

# One kernel's session: its lines on stdout, exit 1 when anything failed.
session() { # series
	local k=$1 o=$outdir/$1 t0 kdir rc fail=0
	rm -rf "$o"
	mkdir -p "$o"
	t0=$(date +%s)
	if ! kdir=$("$here/kernel.sh" "$k" 2>"$o/kernel.log"); then
		echo "FAIL lab/$k/kernel: $(tail -n 1 "$o/kernel.log")"
		return 1
	fi
	VIRTPROF_BUILD=$build "$here/boot.sh" "$kdir" tests/lab/inside.sh "$o" "$(tr ' ' , <<<"${LAB_ONLY:-}")" \
		>"$o/boot.log" 2>&1
	rc=$?
	# An emulated host that crashed or hung gets one more boot; the first attempt's results are
	# discarded (a check that ran on a crashing host proves nothing) and its files kept in first/.
	if [ "$rc" = 3 ]; then
		mkdir -p "$o/first"
		mv "$o"/*.log "$o"/results "$o"/testbed-logs "$o/first/" 2>/dev/null
		echo "note lab/$k: L1 did not finish: $(l1_fault "$o/first/console.log"); booting it once more (first attempt in $o/first)"
		VIRTPROF_BUILD=$build "$here/boot.sh" "$kdir" tests/lab/inside.sh "$o" \
			"$(tr ' ' , <<<"${LAB_ONLY:-}")" >"$o/boot.log" 2>&1
		rc=$?
	fi
	if [ ! -s "$o/results" ]; then
		echo "FAIL lab/$k/boot: L1 did not run the checks (rc $rc): $(tail -n 1 "$o/boot.log")"
		return 1
	fi
	while read -r verdict rest; do
		echo "$verdict lab/$k/$rest"
		[ "$verdict" = FAIL ] && fail=1
	done <"$o/results"
	if [ "$rc" = 3 ]; then
		echo "FAIL lab/$k/session: L1 did not finish: $(l1_fault "$o/console.log")"
		fail=1
	fi
	[ -s "$o/retries.log" ] && echo "note lab/$k: $(cat "$o/retries.log")"
	echo "note lab/$k: $(cat "$kdir/package"), L1 session $(($(date +%s) - t0)) s, logs in $o"
	return $fail
}

# The kernels' sessions run at once (LAB_SERIAL=1: one after the other): an L1 keeps about one
# CPU busy, and each session's checks hold under a busy host (their tolerances are for that).
# Their lines come out kernel by kernel.
fail=0
if [ "${LAB_SERIAL:-0}" = 1 ] || [ ${#kernels[@]} -lt 2 ]; then
	for k in "${kernels[@]}"; do session "$k" || fail=1; done
	exit "$fail"
fi
declare -A pids
for k in "${kernels[@]}"; do
	mkdir -p "$outdir"
	session "$k" >"$outdir/.$k.lines" 2>&1 &
	pids[$k]=$!
done
for k in "${kernels[@]}"; do
	wait "${pids[$k]}" || fail=1
	cat "$outdir/.$k.lines"
	rm -f "$outdir/.$k.lines"
done
exit "$fail"
