#!/usr/bin/env bash
# Host scale of the target table (issue 21): with no target named, serve and top find every
# container -- far more than the 32 places the table once had -- and serve keeps finding the
# ones that start after it, at its next interval and without SIGHUP; one gone for --grace leaves
# its table.  The containers are podman-layout stand-ins made by hand
# (machine.slice/libpod-<64 hex>.scope on v2 and on the v1 cpu hierarchy), SCALE_CTRS of them
# (default 120, well past the 32 places the table once had and quick on a loaded 2-CPU machine;
# SCALE_CTRS=1000 by hand), each holding one process that sleeps a second at a time (so each is
# charged a little CPU every interval); then, after they are gone, 40 more.  `top 1 2 --json` names all of
# them too, and with `--max-targets 10` tracks 10, counts the rest in the drops table
# (targets_not_tracked) and its targets note, and exits 0.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd curl jq
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$v2" ] || skip "no cgroup v2 hierarchy mounted"
v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { print $2; exit }' /proc/mounts)
N=${SCALE_CTRS:-120}
tmp=$(mktemp -d)
on_exit "rm -rf '$tmp'"
port=$(free_port 1) || fail "no free port"
metrics() { curl -sf --max-time 5 "http://127.0.0.1:$port/metrics"; }

"$VIRTPROF" serve --listen "127.0.0.1:$port" --interval 1s --grace 2s --no-io \
	>"$tmp/agent.out" 2>"$tmp/agent.err" &
agent=$!
on_exit "kill $agent; wait $agent"
wait_for 300 metrics || fail "agent not serving: $(cat "$tmp/agent.err")"

slice=machine.slice
made=()
pids=()
batch() { # tag count: containers, each a process sleeping a second at a time in its own scope
	local i id d
	for i in $(seq -w 1 "$2"); do
		id=$(printf 'e2e%s%s%059d' "$1" "$i" $$ | cut -c1-64)
		sh -c 'while :; do sleep 1; done' &
		pids+=($!)
		for h in "$v2" ${v1:+"$v1"}; do
			d=$h/$slice/libpod-$id.scope
			mkdir -p "$d" || fail "mkdir $d"
			made+=("$d")
			echo $! >"$d/cgroup.procs" || fail "cannot move the process into $d"
		done
		echo "${id:0:12}"
	done
}
stop_all() {
	local p d
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
	# the sleep each loop had running ends within its second
	for d in "${made[@]}"; do wait_for 50 rmdir "$d"; done
	made=()
}
on_exit stop_all
[ -d "$v2/$slice" ] || { mkdir "$v2/$slice"; on_exit "rmdir $v2/$slice"; }
[ -n "$v1" ] && [ ! -d "$v1/$slice" ] && { mkdir "$v1/$slice"; on_exit "rmdir $v1/$slice"; }

# missing METRIC FILE: how many of the 12-hex ids in FILE have no METRIC series of their own
missing() {
	local m
	m=$(metrics) || { wc -l <"$2"; return; }
	grep "^$1{" <<<"$m" | grep -o 'entity="ctr:[0-9a-z]*' | cut -d: -f2 | sort -u >"$tmp/have"
	sort -u "$2" | comm -23 - "$tmp/have" | wc -l
}
found() { [ "$(missing virtprof_target_info "$1")" -eq 0 ] && [ "$(missing virtprof_cpu_seconds_total "$1")" -eq 0 ]; }

batch a "$N" >"$tmp/a"
wait_for 600 found "$tmp/a" ||
	fail "of $N containers, $(missing virtprof_target_info "$tmp/a") not found and $(missing virtprof_cpu_seconds_total "$tmp/a") without CPU, without SIGHUP"
untracked=$(metrics | awk '$1 ~ /^virtprof_targets_untracked[{ ]/ { print $2 }')
assert_eq "$untracked" 0 "serve left containers untracked under the default --max-targets"
echo "serve: all $N found and charged CPU ($(metrics | grep -c '^virtprof_target_info{') targets)"

# top names them all, and with --max-targets 10 tracks 10 and counts the rest
"$VIRTPROF" top 1 2 --json --no-io >"$tmp/top.json" 2>"$tmp/top.err" || fail "top: $(cat "$tmp/top.err")"
jq -r '.targets[].entity' "$tmp/top.json" | grep -o '^ctr:[0-9a-z]*' | cut -d: -f2 |
	sort -u >"$tmp/top.ids"
nmiss=$(sort -u "$tmp/a" | comm -23 - "$tmp/top.ids" | wc -l)
assert_eq "$nmiss" 0 "top 1 2 --json: containers not among its targets"
ntop=$(jq -s '.[-1].targets | length' "$tmp/top.json")
echo "top: all $N named among its $ntop targets"
"$VIRTPROF" top 1 2 --json --no-io --max-targets 10 >"$tmp/top10.json" 2>"$tmp/top10.err"
rc=$?
assert_eq "$rc" 0 "top --max-targets 10 exit code ($(cat "$tmp/top10.err"))"
tracked=$(jq -s '.[-1].targets | length' "$tmp/top10.json")
lost=$(jq -s '.[-1].drops[] | select(.reason == "targets_not_tracked") | .count' "$tmp/top10.json")
assert_eq "$tracked" 10 "top --max-targets 10: targets tracked"
# every container past the tenth target is counted (the host may run VMs and containers of its own)
assert_ge "$lost" $((N - 10)) "top --max-targets 10: targets_not_tracked"
jq -s -e '.[-1].targets_notes | map(select(test("past --max-targets 10"))) | length == 1' \
	"$tmp/top10.json" >/dev/null || fail "top --max-targets 10: no targets note of the loss"
jq -s -e '.[-1].drops_notes | map(select(test("targets_not_tracked"))) | length == 1' \
	"$tmp/top10.json" >/dev/null || fail "top --max-targets 10: no drops note of the loss"
echo "top --max-targets 10: 10 tracked, $lost counted in drops (targets_not_tracked), exit 0"
"$VIRTPROF" top 1 1 --no-io --max-targets 10 >"$tmp/top10.txt" 2>&1 || fail "top text: $(cat "$tmp/top10.txt")"
grep -q "targets_not_tracked  *[1-9]" "$tmp/top10.txt" || fail "text output lacks the targets_not_tracked row"
"$VIRTPROF" top 1 1 --max-targets 0 >/dev/null 2>"$tmp/bad.err"
assert_eq "$?" 2 "--max-targets 0: usage error"
[ "$(wc -l <"$tmp/bad.err")" -eq 1 ] || fail "--max-targets 0: not one error line: $(cat "$tmp/bad.err")"

stop_all
sleep 3.5 # gone for more than --grace
batch b 40 >"$tmp/b"
wait_for 300 found "$tmp/b" ||
	fail "after $N were gone, the next 40 were not all found: $(missing virtprof_cpu_seconds_total "$tmp/b") of 40 missing"
echo "the next 40 found"
m=$(metrics)
grep -q 'entity="ctr:e2ea' <<<"$m" && fail "the gone ones still have series after --grace"
stop_all
kill -0 $agent || fail "agent died: $(cat "$tmp/agent.err")"
echo ok
