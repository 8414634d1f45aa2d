#!/usr/bin/env bash
# A real rootful podman container (runc, the image imported from a busybox rootfs: no pulls) is
# found from the cgroup tree with no option, named as podman names it, its CPU within 1 % of its
# cgroup's cpu.stat, and its conmon (found by its -c <id>) charged to it as runtime; --container
# takes its name and an id prefix.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq podman runc conmon
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
# This hybrid-cgroup host: crun refuses hybrid mode, podman's default rlimits exceed the hard
# ones (docs: MEASURED.md); its containers then sit in /libpod_parent/libpod-<id>.
cat >"$tmp/containers.conf" <<'CONF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF=$tmp/containers.conf
busybox_rootfs "$tmp/rootfs"
img=localhost/vp-hosts-bb-$$:latest
# a name of digits alone, no pid on this host: --container takes it as a name, not a pid (an
# id prefix can be all digits too: "62602106" once, refused as "no such process")
ctr=$((900000000 + $$))
tar -C "$tmp/rootfs" -c . | timeout 60 podman import - "$img" >/dev/null || fail "podman import"
on_exit "podman rmi -f $img >/dev/null 2>&1"
prun() { # name command: a detached container with no network, removed at exit
	timeout 60 podman run -d --name "$1" --network none "$img" /bin/sh -c "$2" >/dev/null ||
		fail "podman run $1"
	on_exit "podman rm -f -t 0 $1 >/dev/null 2>&1"
}
# the loop prints a line every few ms: conmon, which carries its output, has work to do
prun "$ctr" 'while :; do i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo tick; done'
id=$(podman inspect -f '{{.Id}}' "$ctr")
sleep 1

timeout -k 5 60 "$VIRTPROF" top 1 3 --json >"$tmp/all.json" || fail "top exited $?"
check_found "$tmp/all.json" "ctr:$ctr" app 0.01
last=$(tail -n 1 "$tmp/all.json")
jq -e --arg e "ctr:$ctr" --arg id "${id:0:12}" '.targets[] | select(.entity == $e) | .id == $id' \
	<<<"$last" >/dev/null || fail "target's id is not ${id:0:12}"
# conmon: the container's runtime helper, not other
rt=$(jq --arg e "ctr:$ctr" '[.[] | .entities[] | select(.entity == $e and .role == "runtime") | .cpu_pct] | add // 0' --slurp "$tmp/all.json")
echo "conmon as ctr:$ctr runtime: ${rt}% of host (sum of 3 intervals)"
awk -v a="$rt" 'BEGIN{exit !(a > 0)}' || fail "conmon not charged to ctr:$ctr"
jq -e '[.[] | .entities[] | select(.entity == "other" and .role == "conmon")] | length == 0' \
	--slurp "$tmp/all.json" >/dev/null || fail "a conmon left in other"

# slirp4netns (rootless podman's network helper, here attached by hand to a rootful container
# with no network) serves the container's namespace: its CPU is the container's runtime.  Traffic:
# the container fetches from a busybox httpd on the host's loopback (10.0.2.2 in slirp's network).
if command -v slirp4netns >/dev/null; then
	net=vp-hosts-podnet-$$
	port=$((20000 + $$ % 20000))
	mkdir -p "$tmp/www" && head -c 65536 /dev/zero >"$tmp/www/f"
	busybox httpd -f -p "127.0.0.1:$port" -h "$tmp/www" &
	hpid=$!
	on_exit "kill $hpid"
	prun "$net" "while :; do busybox wget -q -O /dev/null http://10.0.2.2:$port/f; done"
	npid=$(podman inspect -f '{{.State.Pid}}' "$net")
	slirp4netns --configure --mtu=65520 "$npid" tap0 >"$tmp/slirp.log" 2>&1 &
	spid=$!
	on_exit "kill $spid"
	sleep 2
	timeout -k 5 60 "$VIRTPROF" top 1 2 --json --container "$net" >"$tmp/net.json" || fail "top --container $net exited $?"
	srt=$(jq --arg e "ctr:$net" '[.[] | .entities[] | select(.entity == $e and .role == "runtime") | .cpu_pct] | add // 0' --slurp "$tmp/net.json")
	echo "slirp4netns (pid $spid) as ctr:$net runtime: ${srt}% of host (2 intervals)"
	awk -v a="$srt" 'BEGIN{exit !(a > 0)}' || fail "slirp4netns not charged to ctr:$net: $(tail -n 3 "$tmp/slirp.log")"
	jq -e '[.[] | .entities[] | select(.entity == "other" and .role == "slirp4netns")] | length == 0' \
		--slurp "$tmp/net.json" >/dev/null || fail "slirp4netns left in other"
else
	echo "slirp4netns not installed: its charge not tested here"
fi

# --container by name and by id prefix; a prefix of nothing is one line, exit 2
for spec in "$ctr" "${id:0:8}"; do
	timeout -k 5 60 "$VIRTPROF" top 1 1 --json --container "$spec" >"$tmp/one.json" || fail "--container $spec exited $?"
	jq -e --arg e "ctr:$ctr" '[.targets[].entity] == [$e]' "$tmp/one.json" >/dev/null ||
		fail "--container $spec: targets $(jq -c '[.targets[].entity]' "$tmp/one.json")"
done
timeout -k 5 60 "$VIRTPROF" top 1 1 --container ffffffff0000 >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "no-match prefix: exit $rc, $(cat "$tmp/err")"
echo ok
