#!/usr/bin/env bash
# A real LXC container (lxc-execute from a local busybox rootfs, no template download) is found
# from its cgroup (lxc.payload.<name>) with no option, named by LXC's name, its CPU within 1 % of
# its cgroup's cpu.stat; its monitor's cgroup (lxc.monitor.<name>) is the helper charged to it.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq lxc-execute lxc-stop
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
name=vp-hosts-lxc-$$
busybox_rootfs "$tmp/rootfs"
mkdir -p "$tmp/lxc"
# LXC leaves an empty lxc.pivot cgroup behind the first time it runs: remove it if we made it
ls -d /sys/fs/cgroup/*/lxc.pivot >/dev/null 2>&1 || on_exit "rmdir /sys/fs/cgroup/*/lxc.pivot"
cat >"$tmp/config" <<CONF
lxc.uts.name = $name
lxc.rootfs.path = dir:$tmp/rootfs
lxc.net.0.type = empty
lxc.mount.auto = proc:mixed sys:ro
lxc.apparmor.profile = unconfined
CONF
setsid timeout 120 lxc-execute -n "$name" -P "$tmp/lxc" -f "$tmp/config" -o "$tmp/lxc.log" \
	-- /bin/sh -c 'while :; do :; done' >"$tmp/out" 2>&1 </dev/null &
lpid=$!
on_exit "lxc-stop -n $name -P $tmp/lxc -k; kill $lpid; wait_for 50 bash -c '! kill -0 $lpid'"
wait_for 100 bash -c "cat /sys/fs/cgroup/*/lxc.payload.$name/cgroup.procs 2>/dev/null | grep -q ." ||
	fail "lxc-execute did not start: $(tail -n 3 "$tmp/lxc.log" "$tmp/out")"
sleep 1

timeout -k 5 60 "$VIRTPROF" top 1 3 --json >"$tmp/all.json" || fail "top exited $?"
check_found "$tmp/all.json" "ctr:$name" app 0.01
last=$(tail -n 1 "$tmp/all.json")
jq -e --arg e "ctr:$name" --arg h "/lxc.monitor.$name" \
	'.targets[] | select(.entity == $e) | .runtime == "lxc" and .helper_cgroup == $h' \
	<<<"$last" >/dev/null || fail "lxc target or its monitor: $(jq -c '.targets' <<<"$last")"
timeout -k 5 60 "$VIRTPROF" top 1 1 --json --container "$name" >"$tmp/one.json" || fail "--container $name exited $?"
jq -e --arg e "ctr:$name" '[.targets[].entity] == [$e]' "$tmp/one.json" >/dev/null ||
	fail "--container $name: $(jq -c '[.targets[].entity]' "$tmp/one.json")"
echo "ok after $SECONDS s"
