#!/usr/bin/env bash
# Runs the named suites (unit, bpf, e2e, or all) and ends with "N passed, N failed, N skipped".
#   unit: build/tests/test_* (cmocka binaries; each test case counts)
#   bpf:  build/tests/bpf/* binaries and tests/bpf/*.sh   (root)
#   e2e:  tests/e2e/*.sh                                    (root)
#   lab:  scripts/lab/run.sh: the BPF suite and tests/lab/checks on Debian 6.1 and 6.12 inside
#         emulated hosts with real KVM and vhost-net (root, qemu; docs/lab.md)
# Script/binary convention: exit 0 = pass, 77 = skipped (reason on stdout/stderr), else fail.
# VIRTPROF_BUILD picks the build dir (build-san for the sanitizer run); TEST_FILTER is a regex
# on test names; TEST_LOG_DIR, when set, keeps each root test's whole output there (the lab's
# BPF suite: its per-case times, where only the summary line would be printed).
set -u
cd "$(dirname "$0")/.."
export VIRTPROF_BUILD=${VIRTPROF_BUILD:-build}
export VIRTPROF="$PWD/$VIRTPROF_BUILD/virtprof"
export REPO="$PWD"
filter=${TEST_FILTER:-.}
pass=0 fail=0 skip=0
failed_names=() flaky_names=()

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(all)
[ "${suites[0]}" = all ] && suites=(unit bpf e2e lab)

# A root test (bpf, e2e) that fails is run once more (VIRTPROF_TEST_RETRY=0: never): these
# measure a live 2-core machine that other suites and the lab load, and an accounting check over a
# starved 1 s window has failed now and then where every other run passed (see the closing notes
# of issue 19).  A failure that repeats fails the run; one that does not is FLAKY -- counted as
# passed, its first run's output printed and its name listed at the end, never silent.
run_one() { # name timeout cmd...
	local name=$1 t=$2 rc start log try first=
	shift 2
	[[ $name =~ $filter ]] || return 0
	log=$(mktemp)
	for try in 1 2; do
		start=$(date +%s.%N)
		timeout --kill-after=10 "$t" "$@" >"$log" 2>&1
		rc=$?
		case $rc in 0 | 77) break ;; esac
		[ "$try" = 1 ] && [ "${VIRTPROF_TEST_RETRY:-1}" != 0 ] || break
		first="rc=$rc"$'\n'$(tail -n 40 "$log")
	done
	local secs
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')
	case $rc in
	0) pass=$((pass + 1))
	   if [ -n "$first" ]; then
		flaky_names+=("$name")
		echo "FLAKY $name (${secs}s; passed on its second run, the first failed, ${first%%$'\n'*}):"
		sed -n '2,$p' <<<"$first" | sed 's/^/      | /'
	   else
		echo "PASS  $name (${secs}s)"
	   fi ;;
	77) skip=$((skip + 1)); echo "SKIP  $name: $(grep -m1 -i 'skip' "$log" || tail -n1 "$log")" ;;
	*) fail=$((fail + 1)); failed_names+=("$name")
	   echo "FAIL  $name (rc=$rc, ${secs}s${first:+, twice})"; sed 's/^/      | /' "$log" | tail -n 60 ;;
	esac
	if [ -n "${TEST_LOG_DIR:-}" ]; then
		mkdir -p "$TEST_LOG_DIR" && mv "$log" "$TEST_LOG_DIR/${name//\//_}.log"
	fi
	rm -f "$log"
}

# The lab: its emulated hosts keep about one of two CPUs busy (TCG runs L1's one busy vCPU at a
# time), and the host suites leave the other mostly idle between their loads -- so with other
# suites it starts first and runs beside them (VIRTPROF_LAB_BESIDE=0: after them).  Its lines are
# printed, and counted, when it is done.  Neither side measures the other: L1 is a closed machine
# (its own kernel, no network device), and on the host it is one more process -- the contention
# the host suites' accounting already holds under.
lab_raw= lab_pid= lab_t0= lab_nice=0 lab_group_nice=0
lab_wanted() { [[ lab =~ $filter ]] || [[ $filter == . ]]; }
lab_start() {
	lab_t0=$(date +%s)
	# a session of its own: an interrupted run ends every L1 it started (lab_stop), however deep;
	# at nice 19 beside other suites, whose accounting checks compare virtprof with the kernel
	# over 1 s windows: run beside them at the same priority, the L1s' busy TCG threads put
	# isolated -10 ... -20 % intervals into those (3 of 4 failures of a fresh-clone run).
	# A new session is a new autogroup (sched_autogroup_enabled, on in Debian's kernels), and a
	# task's nice weighs only inside its autogroup: the nice has to be the autogroup's too, or
	# the lab keeps half the machine whatever its tasks' nice (it did: a host e2e test took 45 s
	# on a quiet machine and 53-131 s beside the lab).  The autogroup at nice 5 (a quarter of
	# the machine when both want all of it), not 19: frozen L1s time out inside (their checks
	# keep wall-clock bounds).
	setsid bash -c 'echo "$3" >/proc/self/autogroup 2>/dev/null
		exec nice -n "$2" bash -c '"'"'timeout --kill-after=30 "$1" ./scripts/lab/run.sh 2>&1; echo "rc $?"'"'"' _ "$1"' _ \
		"${LAB_SUITE_TIMEOUT_S:-2400}" "$lab_nice" "$lab_group_nice" >"$lab_raw" &
	lab_pid=$!
	trap lab_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
lab_stop() { [ -n "$lab_pid" ] && kill -0 "$lab_pid" 2>/dev/null && pkill -TERM -s "$lab_pid"; [ -n "$lab_raw" ] && rm -f "$lab_raw"; }
lab_results() {
	while IFS= read -r line; do
		case $line in
		PASS*) pass=$((pass + 1)); echo "PASS  ${line#PASS }"
		       [[ $line == *"passed on its second run"* ]] && flaky_names+=("$(cut -d: -f1 <<<"${line#PASS }" | cut -d' ' -f1)") ;;
		FAIL*) fail=$((fail + 1)); failed_names+=("$(cut -d: -f1 <<<"${line#FAIL }")")
		       echo "FAIL  ${line#FAIL }" ;;
		SKIP*) skip=$((skip + 1)); echo "SKIP  ${line#SKIP }" ;;
		"rc 124" | "rc 137") fail=$((fail + 1)); failed_names+=(lab)
		       echo "FAIL  lab: timed out after ${LAB_SUITE_TIMEOUT_S:-2400} s" ;;
		"rc "*) ;;
		*) echo "      $line" ;;
		esac
	done <"$lab_raw"
	rm -f "$lab_raw"
	echo "      lab: $(($(date +%s) - lab_t0)) s"
}
if [ ${#suites[@]} -gt 1 ] && [[ " ${suites[*]} " == *" lab "* ]] && [ "${VIRTPROF_LAB_BESIDE:-1}" != 0 ] &&
	lab_wanted; then
	lab_raw=$(mktemp)
	lab_nice=19 lab_group_nice=${VIRTPROF_LAB_GROUP_NICE:-5}
	lab_start
	echo "== lab started beside the other suites at nice $lab_nice, its autogroup at $lab_group_nice (pid $lab_pid)"
fi

for suite in "${suites[@]}"; do
	echo "== $suite"
	case $suite in
	unit)
		for b in "$VIRTPROF_BUILD"/tests/test_*; do
			[ -x "$b" ] || continue
			name=unit/$(basename "$b")
			[[ $name =~ $filter ]] || continue
			out=$(timeout 120 "$b" 2>&1); rc=$?
			p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -n1)
			f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -n1)
			pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
			if [ "$rc" -ne 0 ] || [ -z "$p" ]; then
				[ -z "$f" ] && fail=$((fail + 1))
				failed_names+=("$name"); echo "FAIL  $name (rc=$rc)"; sed 's/^/      | /' <<<"$out" | tail -n 40
			else
				echo "PASS  $name (${p} cases)"
			fi
		done ;;
	bpf)
		for b in "$VIRTPROF_BUILD"/tests/bpf/*; do
			[ -x "$b" ] && run_one "bpf/$(basename "$b")" 300 "$b"
		done
		for s in tests/bpf/*.sh; do
			[ -f "$s" ] && run_one "bpf/$(basename "$s" .sh)" 300 bash "$s"
		done ;;
	e2e)
		for s in tests/e2e/*.sh; do
			[ -f "$s" ] && run_one "e2e/$(basename "$s" .sh)" 600 bash "$s"
		done ;;
	lab)
		lab_wanted || continue
		if [ -n "$lab_raw" ]; then
			wait "$lab_pid"
		else
			lab_raw=$(mktemp)
			lab_start
			wait "$lab_pid"
		fi
		lab_results ;;
	*) echo "unknown suite $suite"; exit 2 ;;
	esac
done

[ ${#flaky_names[@]} -gt 0 ] && echo "flaky (failed once, then passed): ${flaky_names[*]}"
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
