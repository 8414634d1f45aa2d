#!/usr/bin/env bash
# virtprof serve with no target named finds containers that start after it, at its next
# interval and without SIGHUP, as top does; one gone for --grace leaves its table, so a host
# that starts and stops containers all day keeps being seen: 20 podman-layout containers
# (machine.slice/libpod-<64 hex>.scope, made by hand on v2 and the v1 cpu hierarchy with a busy
# loop each), then, after they are gone, 20 more -- 40 in all, more than the 32 places of the
# target table -- each found and charged its CPU.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd curl
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$v2" ] || skip "no cgroup v2 hierarchy mounted"
v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { print $2; exit }' /proc/mounts)
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
batch() { # tag: 20 containers, each a busy loop in its own scope
	local i id d
	for i in $(seq -w 1 20); do
		id=$(printf 'e2e%s%s%059d' "$1" "$i" $$ | cut -c1-64)
		sh -c 'while :; do :; done' &
		pids+=($!)
		for h in "$v2" ${v1:+"$v1"}; do
			d=$h/$slice/libpod-$id.scope
			mkdir -p "$d" || fail "mkdir $d"
			made+=("$d")
			echo $! >"$d/cgroup.procs" || fail "cannot move the loop into $d"
		done
		echo "${id:0:12}"
	done
}
stop_all() {
	local p d
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pids=()
	for d in "${made[@]}"; do wait_for 50 rmdir "$d"; done
	made=()
}
on_exit stop_all
[ -d "$v2/$slice" ] || { mkdir "$v2/$slice"; on_exit "rmdir $v2/$slice"; }
[ -n "$v1" ] && [ ! -d "$v1/$slice" ] && { mkdir "$v1/$slice"; on_exit "rmdir $v1/$slice"; }

found() { # file of 12-hex ids: each has a CPU series that moved
	local m id
	m=$(metrics) || return 1
	while read -r id; do
		grep -q "^virtprof_cpu_seconds_total{[^}]*entity=\"ctr:$id[^\"]*\"" <<<"$m" || return 1
	done <"$1"
}
batch a >"$tmp/a"
wait_for 100 found "$tmp/a" || fail "the first 20 were not all found without SIGHUP: $(metrics | grep -c 'entity="ctr:')"
ents() { metrics | grep '^virtprof_cpu_seconds_total{' | grep -o "entity=\"ctr:e2e$1[^\"]*\"" | sort -u | wc -l; }
echo "first 20 found: $(ents a) containers with CPU series"
stop_all
sleep 3.5 # gone for more than --grace
batch b >"$tmp/b"
wait_for 100 found "$tmp/b" ||
	fail "after 20 were gone, the next 20 were not all found: $(ents b) of 20; $(grep -i 'more than\|too many' "$tmp/agent.err" | head -n 2)"
echo "the next 20 found: $(ents b) containers with CPU series"
m=$(metrics)
grep -q 'entity="ctr:e2ea' <<<"$m" && fail "the gone ones still have series after --grace"
stop_all
kill -0 $agent || fail "agent died: $(cat "$tmp/agent.err")"
echo ok
