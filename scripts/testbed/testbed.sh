#!/usr/bin/env bash
# The heavy lifting behind `virtprof testbed up|status|down`: one nginx rootfs, served by a qemu VM
# (tap) and by a container (veth, docker or a native namespace container), both on a bridge inside
# a network namespace of their own.  The binary (user/testbed.c) passes its options as TB_*
# variables and reads `status` output (key=value lines).  Run as root.
#
#   testbed.sh up | status | down [--purge] | logs vm|container
#
# Everything made is first written to $run/state (an intent log), so `down` removes exactly that,
# also after a crash, and is harmless to repeat.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${TB_NAME:-virtprof-tb}
state_dir=${TB_STATE_DIR:-/var/lib/virtprof/testbed}
vcpus=${TB_VCPUS:-1}
# CPUs the VM and the container run on ("1", "0,2-3"; empty: anywhere): keep them apart from
# the load generator's (virtprof --loadgen-cpus) so neither starves the other unseen
tcpus=${TB_TARGET_CPUS:-}
mem=${TB_MEM_MIB:-512}
accel_pref=${TB_ACCEL:-auto}       # auto | kvm | tcg
runtime_pref=${TB_RUNTIME:-auto}   # auto | docker | native
vhost_pref=${TB_VHOST:-auto}       # auto | on | off
subnet=${TB_SUBNET:-10.213.0}      # first three octets of a /24 that exists only inside the netns
kvm_probe=${TB_KVM_PROBE_S:-6}     # seconds for a KVM guest to reach init before TCG is used
boot_timeout=${TB_BOOT_TIMEOUT_S:-90}
sizes=${TB_SIZES:-0 1 10 100 512 1000 1024 2048 4096 8192 10000 16384 32768 65536 100000 131072 262144 524288 1048576}
# --disk: a virtio-blk disk for the VM and the same files bind-mounted into the container
disk=${TB_DISK:-0}
disk_sizes=${TB_DISK_SIZES:-4096 16384 65536 262144 1048576}
qemu=${TB_QEMU:-qemu-system-x86_64}
docker=${TB_DOCKER:-docker}
dockerd=${TB_DOCKERD:-dockerd}

run=$state_dir/run/$name
cache=$state_dir/cache
st=$run/state
ns=$name
br=vptb-br0 tap=vptb-tap0 veth=vptb-veth0
vm_ip=$subnet.2 ctr_ip=$subnet.3 br_ip=$subnet.1
if [ "$name" = virtprof-tb ]; then vm_name=virtprof-vm ctr_name=virtprof-ctr
else vm_name=$name-vm ctr_name=$name-ctr; fi
ctr_ns=$name-ctr   # native runtime only
disk_args=() ctr_disk=

die() { # code message...
	local c=$1
	shift
	echo "virtprof: testbed: $*" >&2
	exit "$c"
}
note() { echo "virtprof: testbed: $*" >&2; }
rec() { echo "$1=$2" >>"$st"; }              # append to the intent log / state
get() { [ -f "$st" ] && sed -n "s/^$1=//p" "$st" | tail -n1; }
in_ns() { nsenter --net="/run/netns/$ns" "$@"; }
now() { date +%s.%N; }
elapsed_lt() { awk -v s="$1" -v n="$(now)" -v l="$2" 'BEGIN { exit !(n - s < l) }'; }

# Alive and not a zombie: orphans here are reaped late (pid 1 is no init), and a zombie's
# cmdline is empty.
alive() { [ -n "$1" ] && [ -n "$(tr -d '\0' <"/proc/$1/cmdline" 2>/dev/null | head -c1)" ]; }

qemu_pid() { # the qemu of this testbed, verified by its pidfile argument
	local pf=$run/qemu.pid p
	[ -f "$pf" ] || return 1
	p=$(cat "$pf" 2>/dev/null)
	[ -n "$p" ] && [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$pf" &&
		echo "$p"
}

http_code() { # url -> status code or 000 (probe URLs are not in the access log)
	in_ns curl -s -o /dev/null -w '%{http_code}' --connect-timeout 1 --max-time 2 "$1" 2>/dev/null ||
		true
}

docker_ok() { timeout 10 "$docker" info >/dev/null 2>&1; }

# ---------------------------------------------------------------- down
stop_qemu() {
	local p i
	p=$(qemu_pid) || return 0
	kill -TERM "$p" 2>/dev/null
	for ((i = 0; i < 50; i++)); do alive "$p" || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	for ((i = 0; i < 50; i++)); do alive "$p" || return 0; sleep 0.1; done
}

native_cgroups() { get ctr_cgroup_dirs | tr ':' '\n' | sed '/^$/d'; }

stop_native() {
	local d p i
	p=$(get native_pid)
	# After a reboot the recorded pid may be someone else's: only our unshare is killed.
	alive "$p" && grep -q unshare "/proc/$p/cmdline" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	for d in $(native_cgroups); do
		[ -d "$d" ] || continue
		for ((i = 0; i < 50; i++)); do
			[ -s "$d/cgroup.procs" ] || break
			xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null
			sleep 0.1
		done
	done
	for d in $(native_cgroups); do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	for d in $(native_cgroups); do
		d=$(dirname "$d")
		[ "$(basename "$d")" = virtprof ] && rmdir "$d" 2>/dev/null
	done
	[ -e "/run/netns/$ctr_ns" ] && [ "$(get ctr_netns)" = "$ctr_ns" ] && ip netns del "$ctr_ns"
	rm -rf "$run/native-root"
}

other_docker_users() { # testbeds other than this one whose runtime is docker
	local f
	for f in "$state_dir"/run/*/state; do
		[ -f "$f" ] && [ "$f" != "$st" ] && grep -q '^runtime=docker' "$f" && return 0
	done
	return 1
}

stop_dockerd_if_ours() {
	local own=$state_dir/dockerd.owner p i
	[ -f "$own" ] || return 0
	other_docker_users && return 0
	p=$(cat "$own")
	if [ -n "$(timeout 10 "$docker" ps -aq 2>/dev/null)" ]; then
		note "leaving dockerd ($p), which the testbed started, running: it holds other containers"
		return 0
	fi
	if [ -n "$p" ] && { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q dockerd; then
		kill -TERM "$p"
		for ((i = 0; i < 150; i++)); do alive "$p" || break; sleep 0.1; done
		alive "$p" && kill -KILL "$p"
	fi
	[ -f "$state_dir/dockerd.cgroups" ] && xargs -r rmdir <"$state_dir/dockerd.cgroups" 2>/dev/null
	rm -f "$own" "$state_dir/dockerd.cgroups"
}

do_down() { # remove everything the intent log names; every step tolerates absence
	local id
	[ -f "$st" ] || { [ -d "$run" ] && rm -rf "$run"; return 0; }
	stop_qemu
	case $(get runtime) in
	docker)
		id=$(get ctr_id)
		[ -z "$id" ] && id=$(timeout 10 "$docker" ps -aq --filter "label=virtprof.testbed=$name" 2>/dev/null)
		[ -n "$id" ] && timeout 30 "$docker" rm -f $id >/dev/null 2>&1
		;;
	native) stop_native ;;
	esac
	if [ "$(get netns)" = "$ns" ] && [ -e "/run/netns/$ns" ]; then
		for l in $tap $veth $br; do ip -n "$ns" link del "$l" 2>/dev/null; done
		ip netns del "$ns"
	fi
	# Whichever testbed started dockerd, the last one down stops it.
	stop_dockerd_if_ours
	mkdir -p "$state_dir/logs"
	[ -f "$run/serial.log" ] && mv "$run/serial.log" "$state_dir/logs/$name-serial.log"
	[ -f "$run/qemu.err" ] && mv "$run/qemu.err" "$state_dir/logs/$name-qemu.err"
	rm -rf "$run"
}

# ---------------------------------------------------------------- status
healthy() { # exit 0 when every piece the state names is alive
	[ "$(get phase)" = up ] || return 1
	[ -e "/run/netns/$ns" ] || return 1
	qemu_pid >/dev/null || return 1
	case $(get runtime) in
	docker) [ "$(timeout 10 "$docker" inspect -f '{{.State.Running}}' "$(get ctr_id)" 2>/dev/null)" = true ] || return 1 ;;
	native) alive "$(get native_pid)" || return 1 ;;
	esac
}

do_status() {
	[ -f "$st" ] || { echo "present=0"; return 0; }
	echo "present=1"
	cat "$st"
	local p
	p=$(qemu_pid) && echo "qemu_alive=1" || echo "qemu_alive=0"
	[ -e "/run/netns/$ns" ] && echo "netns_alive=1" || echo "netns_alive=0"
	case $(get runtime) in
	docker) [ "$(timeout 10 "$docker" inspect -f '{{.State.Running}}' "$(get ctr_id)" 2>/dev/null)" = true ] &&
		echo "ctr_alive=1" || echo "ctr_alive=0" ;;
	native) alive "$(get native_pid)" && echo "ctr_alive=1" || echo "ctr_alive=0" ;;
	*) echo "ctr_alive=0" ;;
	esac
	if [ -e "/run/netns/$ns" ]; then
		echo "vm_http=$(http_code "http://$vm_ip/_testbed/stub_status")"
		echo "ctr_http=$(http_code "http://$ctr_ip/_testbed/stub_status")"
	fi
}

# ---------------------------------------------------------------- up
pick_kernel() {
	local k v best=
	if [ -n "${TB_KERNEL:-}" ]; then
		[ -f "$TB_KERNEL" ] || die 2 "guest kernel $TB_KERNEL does not exist; install one: apt-get install linux-image-amd64"
		echo "$TB_KERNEL"
		return
	fi
	for k in /boot/vmlinuz-*; do
		[ -f "$k" ] || continue
		v=${k#/boot/vmlinuz-}
		[ -f "/lib/modules/$v/modules.dep" ] && best=$k
	done
	[ -n "$best" ] || die 2 "no guest kernel: /boot holds no vmlinuz-* with modules in /lib/modules; install one: apt-get install linux-image-amd64"
	echo "$best"
}

preflight() { # every check that needs no side effect, so a refusal leaves nothing behind
	command -v "$qemu" >/dev/null ||
		die 2 "$qemu not found: the VM needs it; install it: apt-get install qemu-system-x86"
	[ -c /dev/net/tun ] || die 2 "/dev/net/tun missing: the VM's tap needs it (modprobe tun)"
	command -v nsenter >/dev/null || die 2 "nsenter not found; install it: apt-get install util-linux"
	command -v curl >/dev/null || die 2 "curl not found (readiness checks); install it: apt-get install curl"
	kernel=$(pick_kernel) || exit $?
	case $runtime_pref in
	docker)
		command -v "$docker" >/dev/null ||
			die 2 "docker not found (--runtime docker); install it: apt-get install docker.io, or use --runtime native"
		docker_ok || command -v "$dockerd" >/dev/null ||
			die 2 "dockerd not running and not installed; install it: apt-get install docker.io"
		runtime=docker ;;
	native) runtime=native ;;
	auto)
		if command -v "$docker" >/dev/null && { docker_ok || command -v "$dockerd" >/dev/null; }; then
			runtime=docker
		else
			runtime=native
			runtime_note="docker unavailable ($docker / $dockerd not found): native container"
		fi ;;
	*) die 2 "unknown runtime '$runtime_pref' (auto, docker, native)" ;;
	esac
	if [ "$runtime" = native ]; then
		command -v unshare >/dev/null || die 2 "unshare not found; install it: apt-get install util-linux"
		[ -e "/run/netns/$ctr_ns" ] &&
			die 2 "network namespace $ctr_ns exists and is not this testbed's; remove it (ip netns del $ctr_ns) or pick another --name"
	fi
	# A name clash: something of that name that no testbed state accounts for.
	[ -e "/run/netns/$ns" ] &&
		die 2 "network namespace $ns exists and is not a virtprof testbed; remove it (ip netns del $ns) or pick another --name"
	# (A container of that name with this testbed's label is a leftover of ours, e.g. from before
	# a reboot, when dockerd was not there to remove it: start_docker_ctr removes it.)
	if [ "$runtime" = docker ] && docker_ok &&
		[ -n "$(timeout 10 "$docker" ps -aq --filter "name=^/$ctr_name\$" 2>/dev/null)" ] &&
		[ "$(timeout 10 "$docker" inspect -f '{{index .Config.Labels "virtprof.testbed"}}' "$ctr_name" 2>/dev/null)" != "$name" ]; then
		die 2 "a docker container named $ctr_name exists and is not this testbed's; remove it (docker rm -f $ctr_name) or pick another --name"
	fi
	if [ "$disk" = 1 ]; then
		command -v mkfs.ext4 >/dev/null ||
			die 2 "mkfs.ext4 not found (the VM's disk image); install it: apt-get install e2fsprogs"
		command -v chattr >/dev/null && command -v debugfs >/dev/null ||
			die 2 "chattr/debugfs not found; install them: apt-get install e2fsprogs"
	fi
	case $accel_pref in auto | kvm | tcg) ;; *) die 2 "unknown accelerator '$accel_pref' (auto, kvm, tcg)" ;; esac
	if [ "$accel_pref" = kvm ] && [ ! -w /dev/kvm ]; then
		die 2 "--accel kvm but /dev/kvm is missing; load kvm_intel/kvm_amd or use --accel tcg"
	fi
}

start_dockerd() {
	docker_ok && return 0
	mkdir -p "$state_dir"
	note "starting dockerd (log: $state_dir/dockerd.log)"
	rec dockerd started
	# No docker0 bridge, no iptables rules, no ip_forward change: the testbed wires its own
	# network and must leave the host's alone.
	# dockerd (cgroupfs driver) makes a "docker" parent cgroup per hierarchy; remember the ones
	# that are new so stopping it leaves the hierarchies as they were.
	awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 "/docker" }' /proc/mounts |
		while read -r d; do [ -d "$d" ] || echo "$d"; done >"$state_dir/dockerd.cgroups"
	setsid "$dockerd" --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
		>>"$state_dir/dockerd.log" 2>&1 </dev/null 9>&- &
	echo $! >"$state_dir/dockerd.owner"
	local i
	for ((i = 0; i < 300; i++)); do
		docker_ok && return 0
		alive "$(cat "$state_dir/dockerd.owner")" || break
		sleep 0.1
	done
	die 1 "dockerd did not come up within 30s; see $state_dir/dockerd.log"
}

start_docker_ctr() {
	local tag=virtprof-testbed:${rootfs##*/} id pid
	start_dockerd
	if ! timeout 10 "$docker" image inspect "$tag" >/dev/null 2>&1; then
		note "importing rootfs as $tag"
		timeout 120 "$docker" import "$rootfs/rootfs.tar" "$tag" >/dev/null ||
			die 1 "docker import $rootfs/rootfs.tar failed"
	fi
	rec image "$tag"
	local stale
	stale=$(timeout 10 "$docker" ps -aq --filter "label=virtprof.testbed=$name" 2>/dev/null)
	if [ -n "$stale" ]; then
		note "removing a leftover testbed container ($stale)"
		timeout 30 "$docker" rm -f $stale >/dev/null 2>&1
	fi
	mkdir -p "$run/ctr-log"
	rec ctr_log "$run/ctr-log/access.log"
	# --rm: should it stop without us (dockerd restart, reboot), docker removes it itself.
	id=$(timeout 60 "$docker" run -d --rm --name "$ctr_name" --label "virtprof.testbed=$name" \
		--network none --cpus "$vcpus" ${tcpus:+--cpuset-cpus "$tcpus"} \
		--memory "${mem}m" --memory-swap "${mem}m" \
		--ulimit nofile=20000:20000 -e WORKERS="$vcpus" -v "$run/ctr-log:/var/log/nginx" \
		${ctr_disk:+-v "$ctr_disk:/srv/disk"} \
		"$tag" /etc/virtprof/nginx-start 2>"$run/docker.err") ||
		die 1 "docker run failed: $(head -c 300 "$run/docker.err")"
	rec ctr_id "$id"
	pid=$(timeout 10 "$docker" inspect -f '{{.State.Pid}}' "$id")
	[ -n "$pid" ] && [ "$pid" != 0 ] || die 1 "container $id is not running; docker logs $id"
	rec ctr_pid "$pid"
	rec cgroup_driver "$(timeout 10 "$docker" info -f '{{.CgroupDriver}}' 2>/dev/null)"
	wire_ctr "/proc/$pid/ns/net" "$pid"
	record_cgroups "$pid"
	[ -n "$ctr_disk" ] && blkio_stats_on
}

# cgroup v1 blkio counts a cgroup's bios (blkio.throttle.io_service_bytes / io_serviced) only on
# a queue where some cgroup has a throttle rule: since Linux 6.10 blk-throttle is set up on a
# queue at its first rule.  A rule no disk reaches (1 TB/s reads on the disk under the bind
# mount) turns the container's counters on -- the cross-check reads them.  It goes with the
# container's cgroup.
blkio_stats_on() {
	local d dev
	d=$(get ctr_cgroup_dirs | tr ':' '\n' | grep '/blkio/' | head -n1)
	[ -n "$d" ] && [ -f "$d/blkio.throttle.read_bps_device" ] || return 0
	dev=$(findmnt -no MAJ:MIN -T "$ctr_disk" 2>/dev/null | tr -d ' ')
	# a rule names a whole disk, not a partition
	[ -e "/sys/dev/block/$dev/partition" ] && dev=$(cat "/sys/dev/block/$dev/../dev")
	[ -n "$dev" ] && echo "$dev 1000000000000" >"$d/blkio.throttle.read_bps_device" 2>/dev/null &&
		rec blkio_stats_rule "$dev" ||
		note "no blkio rule on $dev for the container: its blkio counters may stay 0 (the cross-check says so)"
}

cg_mount() { # v1 controller -> its mount point (exact option match: "cpu" is not "cpuset")
	awk -v c="$1" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++)
		if (o[i] == c || o[i] == "name=" c) { print $2; exit } }' /proc/mounts
}

record_cgroups() { # pid: the container's cgroup path(s) as the host sees them
	local line dirs='' v2='' ctrl path mnt c
	while IFS= read -r line; do
		ctrl=${line#*:}; ctrl=${ctrl%%:*}; path=${line#*:*:}
		if [ -z "$ctrl" ]; then
			v2=$path
			mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
		else
			mnt=$(cg_mount "${ctrl%%,*}")
			mnt=${mnt:-$(cg_mount "${ctrl#name=}")}
		fi
		[ -n "$mnt" ] && [ -d "$mnt$path" ] && dirs=$dirs${dirs:+:}$mnt$path
	done <"/proc/$1/cgroup"
	rec ctr_cgroup "${v2:-$path}"
	rec ctr_cgroup_dirs "$dirs"
}

wire_ctr() { # netns-path pid-or-empty: veth between the testbed bridge and the container
	ip -n "$ns" link add "$veth" type veth peer name eth0 netns "$1" ||
		die 1 "cannot create veth $veth into the container's netns"
	ip -n "$ns" link set "$veth" master "$br" up
	nsenter --net="$1" ip addr add "$ctr_ip/24" dev eth0
	nsenter --net="$1" ip link set eth0 up
	nsenter --net="$1" ip link set lo up
	rec ctr_netns_ino "$(stat -L -c %i "$1")"
	rec ctr_ifindex "$(nsenter --net="$1" cat /sys/class/net/eth0/ifindex 2>/dev/null ||
		nsenter --net="$1" ip -o link show eth0 | cut -d: -f1)"
	rec veth_ifindex "$(ip -n "$ns" -o link show "$veth" | cut -d: -f1)"
}

start_native_ctr() {
	local cgdirs='' d c mnt pid i v2mnt
	rec ctr_netns "$ctr_ns"
	ip netns add "$ctr_ns" || die 1 "cannot create network namespace $ctr_ns"
	# loopback up before nginx starts: with a disk it listens on 127.0.0.1:8081 too, and a bind
	# there before wire_ctr brought lo up failed and took the container down (lab, 6.1, 3 tries)
	ip -n "$ctr_ns" link set lo up || die 1 "cannot bring up lo in $ctr_ns"
	cp -a "$rootfs/root" "$run/native-root"
	rec ctr_log "$run/native-root/var/log/nginx/access.log"
	# cgroup v2 where it has the cpu and memory controllers; else the v1 hierarchies (hybrid).
	v2mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [ -n "$v2mnt" ] && grep -qw cpu "$v2mnt/cgroup.controllers" 2>/dev/null &&
		grep -qw memory "$v2mnt/cgroup.controllers"; then
		d=$v2mnt/virtprof
		mkdir -p "$d" && echo "+cpu +memory" >"$v2mnt/cgroup.subtree_control" 2>/dev/null
		echo "+cpu +memory" >"$d/cgroup.subtree_control" 2>/dev/null
		# the io controller, where the host has it: the container's bios then carry its blkcg
		# (else the root's) and its io.stat counts them -- the disk path's owner and cross-check
		[ -n "$ctr_disk" ] && echo "+io" >"$v2mnt/cgroup.subtree_control" 2>/dev/null &&
			echo "+io" >"$d/cgroup.subtree_control" 2>/dev/null
		d=$d/$name
		cgdirs=$d
		rec ctr_cgroup_dirs "$cgdirs"
		mkdir "$d" || die 1 "cannot create cgroup $d"
		echo "$((vcpus * 100000)) 100000" >"$d/cpu.max"
		echo "$((mem * 1024 * 1024))" >"$d/memory.max"
		rec ctr_cgroup "/virtprof/$name"
	else
		for c in cpu cpuacct memory ${ctr_disk:+blkio}; do
			mnt=$(cg_mount "$c")
			[ -n "$mnt" ] || continue
			case ":$cgdirs:" in *":$mnt/virtprof/$name:"*) continue ;; esac
			cgdirs=$cgdirs${cgdirs:+:}$mnt/virtprof/$name
		done
		[ -n "$v2mnt" ] && cgdirs=$cgdirs${cgdirs:+:}$v2mnt/virtprof/$name
		rec ctr_cgroup_dirs "$cgdirs"
		for d in $(echo "$cgdirs" | tr ':' ' '); do mkdir -p "$d" || die 1 "cannot create cgroup $d"; done
		for d in $(echo "$cgdirs" | tr ':' ' '); do
			[ -f "$d/cpu.cfs_quota_us" ] && echo 100000 >"$d/cpu.cfs_period_us" &&
				echo "$((vcpus * 100000))" >"$d/cpu.cfs_quota_us"
			[ -f "$d/memory.limit_in_bytes" ] && echo "$((mem * 1024 * 1024))" >"$d/memory.limit_in_bytes"
		done
		rec ctr_cgroup "/virtprof/$name"
	fi
	# The wrapper joins the cgroups, then becomes the container: own net (the named one), pid,
	# mount, uts and ipc namespaces, the rootfs as its root, nginx as its pid 1.  With a disk, the
	# disk's files bound at /srv/disk in its own mount namespace (as docker's -v does).
	[ -n "$ctr_disk" ] && mkdir -p "$run/native-root/srv/disk"
	# shellcheck disable=SC2016 # expanded by the container's shell
	inner='if [ -n "$3" ]; then mount --bind "$3" "$1/srv/disk" || exit 1; fi
exec chroot "$1" /bin/sh -c "mount -t proc proc /proc; ulimit -n 20000; WORKERS=$2 exec /etc/virtprof/nginx-start"'
	setsid bash -c '
		for d in $(echo "$1" | tr ":" " "); do echo $$ >"$d/cgroup.procs"; done
		exec ${5:+taskset -c "$5"} nsenter --net="/run/netns/$2" unshare --pid --mount --uts --ipc --fork --kill-child \
			/bin/sh -c "$7" native-ctr "$3" "$4" "$6"
	' native "$cgdirs" "$ctr_ns" "$run/native-root" "$vcpus" "$tcpus" "$ctr_disk" "$inner" >"$run/native.log" 2>&1 </dev/null 9>&- &
	pid=$!
	rec native_pid "$pid"
	rec ctr_id "native:$name"
	rec ctr_pid "$pid"
	sleep 0.2
	alive "$pid" || die 1 "native container did not start: $(head -c 300 "$run/native.log")"
	wire_ctr "/run/netns/$ctr_ns" ""
	[ -n "$ctr_disk" ] && blkio_stats_on
}

start_qemu() { # accel cpu-model -> 0 when qemu runs
	local a=$1 cpu=$2 tsc=
	# Under TCG the guest's TSC follows the host's clock (synchronized across vCPUs) but lags
	# when the host is busy; the guest's clocksource watchdog would then mark it unstable and
	# live-patch sched_clock, which multi-threaded TCG does not survive reliably (see
	# scripts/lab/boot.sh): a guest that never answered.
	# And the boot-time IO-APIC timer check counts timer ticks over a busy-wait: on a busy host
	# TCG delivers too few of them and the guest panics ("IO-APIC + timer doesn't work!",
	# seen on a fresh-clone make test with the kernel lab beside it); no_timer_check skips it.
	[ "$a" = tcg ] && tsc="tsc=reliable no_timer_check"
	rm -f "$run/qemu.pid"
	: >"$run/serial.log"
	in_ns ${tcpus:+taskset -c "$tcpus"} "$qemu" -name "$vm_name,debug-threads=on" -machine pc -accel "$a" -cpu "$cpu" \
		-smp "$vcpus" -m "$mem" -nodefaults -no-user-config -display none -vga none \
		-kernel "$boot_image" -initrd "$rootfs/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 quiet $tsc vp.ip=$vm_ip/24 vp.workers=$vcpus${disk_args[*]:+ vp.disk=1} ${TB_KCMDLINE:-}" \
		-serial "file:$run/serial.log" -no-reboot \
		${disk_args[@]+"${disk_args[@]}"} \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=$vhost" \
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:d5:00:02" \
		-qmp "unix:$run/qmp.sock,server=on,wait=off" \
		-pidfile "$run/qemu.pid" -daemonize 2>"$run/qemu.err" 9>&- && vm_cpu=$cpu
}

# --disk: the same files twice -- a directory on the host filesystem (the container's bind mount)
# and a raw ext4 image of it (the VM's virtio-blk disk, cache=none: qemu reads and writes it with
# O_DIRECT, so every guest request reaches the host's block layer).  www/N: N bytes; body/: where
# nginx writes request bodies, synchronously (chattr +S here, mount -o sync in the guest), so a
# POST's write reaches the disk inside the request.  Both are in $run: `down` removes them.
make_disk() {
	local d=$run/disk n img=$run/disk.img mib=64 aio
	rec disk_dir "$d"
	rec disk_image "$img"
	mkdir -p "$d/www" "$d/body"
	for n in $disk_sizes; do
		case $n in *[!0-9]*) die 2 "disk size '$n' is not a byte count" ;; esac
		head -c "$n" /dev/zero | tr '\0' 'x' >"$d/www/$n"
		mib=$((mib + (n + 1048575) / 1048576))
	done
	chmod 1777 "$d/body"
	# Fully written (zeros), not sparse, and mkfs told not to punch it again (nodiscard): a
	# guest write lands on allocated blocks, so qemu's O_DIRECT writes are only the guest's --
	# into a hole, the host's ext4 would zero out around them in qemu's thread, writes that
	# neither the guest nor /proc/<pid>/io knows of (+33 % measured).
	head -c "$((mib * 1048576))" /dev/zero >"$img" || die 1 "cannot write the VM's disk image $img"
	mkfs.ext4 -q -F -O ^metadata_csum -b 4096 -E root_owner=0:0,nodiscard -d "$d" "$img" \
		>"$run/mkfs.log" 2>&1 || die 1 "mkfs.ext4 of the VM's disk failed: $(head -c 200 "$run/mkfs.log")"
	# Body writes synchronous on both sides, and only there: EXT4_SYNC_FL (0x8, inherited by new
	# files) on body/ -- chattr here, debugfs in the image (the guest has no chattr).
	chattr +S "$d/body" 2>/dev/null || note "chattr +S $d/body failed: the container's body writes are buffered"
	local fl
	fl=$(debugfs -R "stat /body" "$img" 2>/dev/null | sed -n 's/.*Flags: \(0x[0-9a-f]*\).*/\1/p')
	[ -n "$fl" ] && debugfs -w -R "set_inode_field /body flags $((fl | 8))" "$img" >/dev/null 2>&1 ||
		note "could not mark the VM's body/ synchronous: its body writes are buffered"
	# On disk before qemu and nginx open them: an O_DIRECT write over dirty page-cache pages
	# first writes those back in the writer's thread -- bytes /proc/<pid>/io charged to head
	# and mkfs, not to qemu (+24 % of a write run's bytes, measured before this sync).
	sync "$img" "$d"/www/* || die 1 "sync of the disk files failed"
	ctr_disk=$d
	# io_uring where this qemu was built with it, else its thread pool
	if echo '{"execute":"qmp_capabilities"}{"execute":"quit"}' |
		timeout 20 "$qemu" -machine none -nodefaults -display none -qmp stdio \
			-drive "file=$img,if=none,id=p0,format=raw,cache=none,aio=io_uring" >/dev/null 2>&1; then
		aio=io_uring
	else
		aio=threads
	fi
	rec disk_aio "$aio"
	rec disk_sizes "$disk_sizes"
	disk_args=(-object iothread,id=vpdisk
		-drive "file=$img,if=none,id=d0,format=raw,cache=none,aio=$aio"
		-device "virtio-blk-pci,drive=d0,iothread=vpdisk,serial=vpdisk")
}

start_vm() { # accel -> 0 when qemu runs; TCG: "max"; KVM: "host", else the default model,
	# because "host" trips MSR writes on some nested hosts ("failed to set MSR 0x10a").
	if [ "$1" = tcg ]; then
		start_qemu tcg max && return 0
	else
		start_qemu kvm host && return 0
		note "qemu -cpu host failed under KVM ($(head -n1 "$run/qemu.err" | head -c 100)): trying qemu64"
		start_qemu kvm qemu64 && return 0
	fi
	if [ "$vhost" = on ] && grep -qi vhost "$run/qemu.err"; then
		note "qemu refused vhost=on ($(head -n1 "$run/qemu.err")): using vhost=off"
		vhost=off
		start_vm "$1"
		return
	fi
	return 1
}

# A failed KVM probe costs its whole timeout at every `up`; remember it for a day, keyed by what
# decides it (host kernel, qemu, guest kernel).  `down --purge` forgets it.
probe_key() { { uname -r; "$qemu" --version | head -n1; echo "$kernel $boot_image"; } | sha256sum | cut -c1-16; }
probe_cached_fail() { # -> 0 and the note on stdout when a recent probe failed
	local f=$cache/kvm-probe k v t
	[ -f "$f" ] || return 1
	read -r k v t <"$f" || return 1
	[ "$k" = "$(probe_key)" ] && [ "$v" = fail ] && [ $(($(date +%s) - t)) -lt 86400 ] || return 1
	echo "a KVM guest did not reach init within ${kvm_probe}s at $(date -u -d "@$t" +%H:%MZ) (remembered a day; 'virtprof testbed down --purge' re-probes)"
}
probe_remember() { mkdir -p "$cache" && echo "$(probe_key) $1 $(date +%s)" >"$cache/kvm-probe"; }

wait_marker() { # seconds pattern
	local t0
	t0=$(now)
	while elapsed_lt "$t0" "$1"; do
		grep -q "$2" "$run/serial.log" 2>/dev/null && return 0
		qemu_pid >/dev/null || return 1
		sleep 0.1
	done
	return 1
}

wait_http() { # url seconds what
	local t0 c
	t0=$(now)
	while elapsed_lt "$t0" "$2"; do
		c=$(http_code "$1")
		[ "$c" = 200 ] && return 0
		[ "$3" = vm ] && ! qemu_pid >/dev/null && return 1
		sleep 0.2
	done
	return 1
}

do_up() {
	local accel vm_t0 kvm_note='' vm_cpu=''
	if [ -f "$st" ]; then
		if healthy; then
			[ "$disk" = 1 ] && [ -z "$(get disk_image)" ] &&
				die 2 "$name is up without a disk: take it down first (virtprof testbed down --name $name), or pick another --name"
			note "$name is already up"
			return 0
		fi
		note "$name is partly up (an earlier crash?): removing what is left, then starting again"
		do_down
	fi
	preflight
	mkdir -p "$run"
	: >"$st"
	rec name "$name"
	rec phase starting
	rec runtime "$runtime"
	[ -n "${runtime_note:-}" ] && rec runtime_note "$runtime_note"
	rec kernel "$kernel"
	rootfs=$("$here/rootfs.sh" "$cache" "$kernel" "$sizes") || die 2 "rootfs build failed"
	rec rootfs "$rootfs"
	# PVH boot of the extracted vmlinux where rootfs.sh made one (see there), else the bzImage.
	if [ "$(cat "$rootfs/boot" 2>/dev/null)" = pvh ] && [ -f "$rootfs/vmlinux" ]; then
		boot_image=$rootfs/vmlinux
		rec kernel_boot pvh
	else
		boot_image=$kernel
		rec kernel_boot bzimage
	fi

	rec netns "$ns"
	ip netns add "$ns" || die 1 "cannot create network namespace $ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link add "$br" type bridge || die 1 "cannot create bridge $br in $ns"
	# Forwarding delay 0: ports forward at once, so the servers answer as soon as they boot.
	ip -n "$ns" link set "$br" type bridge forward_delay 0 stp_state 0
	ip -n "$ns" addr add "$br_ip/24" dev "$br"
	ip -n "$ns" link set "$br" up
	ip -n "$ns" tuntap add dev "$tap" mode tap || die 1 "cannot create tap $tap in $ns"
	ip -n "$ns" link set "$tap" master "$br" up
	rec netns_ino "$(stat -L -c %i "/run/netns/$ns")"
	rec bridge "$br"
	rec bridge_ifindex "$(ip -n "$ns" -o link show "$br" | cut -d: -f1)"
	rec tap "$tap"
	rec tap_ifindex "$(ip -n "$ns" -o link show "$tap" | cut -d: -f1)"
	rec veth "$veth"
	rec ctr_dev eth0
	rec subnet "$subnet.0/24"
	rec vm_ip "$vm_ip"
	rec ctr_ip "$ctr_ip"
	rec vm_url "http://$vm_ip/"
	rec ctr_url "http://$ctr_ip/"
	rec vm_name "$vm_name"
	rec ctr_name "$ctr_name"
	rec vcpus "$vcpus"
	rec mem_mib "$mem"
	rec serial_log "$run/serial.log"
	rec vm_log_url "http://$vm_ip/_testbed/access.log"
	rec ctr_log_url "http://$ctr_ip/_testbed/access.log"

	case $vhost_pref in
	on) [ -c /dev/vhost-net ] || die 2 "--vhost on: no /dev/vhost-net (modprobe vhost_net)"
		vhost=on ;;
	off) vhost=off ;;
	*) if [ -c /dev/vhost-net ]; then vhost=on; else vhost=off; fi ;;
	esac
	rec kvm_probe_s "$kvm_probe"
	accel=$accel_pref
	if [ "$accel" = auto ]; then
		if [ -w /dev/kvm ]; then accel=kvm; else accel=tcg kvm_note="no /dev/kvm"; fi
	fi
	if [ "$accel" = kvm ] && [ "$accel_pref" = auto ] && kvm_note=$(probe_cached_fail); then
		accel=tcg
		note "$kvm_note: using TCG"
	fi
	[ "$disk" = 1 ] && make_disk
	rec qemu_pidfile "$run/qemu.pid"
	vm_t0=$(now)
	if ! start_vm "$accel"; then
		[ "$accel" = kvm ] && [ "$accel_pref" = auto ] ||
			die 1 "qemu ($accel) failed: $(head -c 300 "$run/qemu.err")"
		kvm_note="qemu failed under KVM: $(head -n1 "$run/qemu.err" | head -c 120)"
		note "$kvm_note: using TCG"
		accel=tcg
		start_vm tcg || die 1 "qemu (tcg) failed: $(head -c 300 "$run/qemu.err")"
	fi
	# While the guest boots (and KVM is being probed), bring up the container.
	if [ "$runtime" = docker ]; then start_docker_ctr; else start_native_ctr; fi

	if [ "$accel" = kvm ]; then
		local left
		left=$(awk -v s="$vm_t0" -v n="$(now)" -v l="$kvm_probe" 'BEGIN { d = l - (n - s); print (d > 0 ? d : 0.1) }')
		if wait_marker "$left" "virtprof-testbed: init"; then
			probe_remember ok
		else
			if [ "$accel_pref" = kvm ]; then
				die 1 "the VM did not reach init under KVM within ${kvm_probe}s (console: $state_dir/logs/$name-serial.log); try --accel tcg"
			fi
			probe_remember fail
			kvm_note="a KVM guest did not reach init within ${kvm_probe}s"
			note "$kvm_note: using TCG"
			stop_qemu
			accel=tcg
			vm_t0=$(now)
			start_vm tcg || die 1 "qemu failed: $(head -c 300 "$run/qemu.err")"
		fi
	fi
	rec accel "$accel"
	[ -n "$kvm_note" ] && rec accel_note "$kvm_note"
	rec vhost "$vhost"
	rec vm_cpu "$vm_cpu"
	rec qemu_pid "$(qemu_pid)"

	wait_http "http://$ctr_ip/_testbed/stub_status" 30 ctr ||
		die 1 "the container's nginx did not answer at http://$ctr_ip/ within 30s"
	local left
	left=$(awk -v s="$vm_t0" -v n="$(now)" -v l="$boot_timeout" 'BEGIN { d = l - (n - s); print (d > 0 ? d : 0.1) }')
	if ! wait_http "http://$vm_ip/_testbed/stub_status" "$left" vm; then
		if ! qemu_pid >/dev/null; then
			die 1 "the VM stopped while booting ($accel); its console: $(tail -n 3 "$run/serial.log" | tr '\n' ' ')"
		fi
		die 1 "the VM did not answer at http://$vm_ip/ within ${boot_timeout}s ($accel); its console log: $state_dir/logs/$name-serial.log"
	fi
	if [ "$disk" = 1 ]; then
		# the disk is served from both sides, or `up` fails: a comparison without it is not one
		local first=${disk_sizes%% *}
		[ "$(http_code "http://$vm_ip/disk/$first")" = 200 ] ||
			die 1 "the VM does not serve /disk/$first (its disk did not mount?); its console: $(grep virtprof-testbed "$run/serial.log" | tail -n 2 | tr '\n' ' ')"
		[ "$(http_code "http://$ctr_ip/disk/$first")" = 200 ] ||
			die 1 "the container does not serve /disk/$first from its bind mount $ctr_disk"
	fi
	rec vm_boot_s "$(awk -v s="$vm_t0" -v n="$(now)" 'BEGIN { printf "%.1f", n - s }')"
	# The guest kernel's symbols of this boot, beside the QMP socket: virtprof names the guest
	# functions that make the VM exit with them (user/session/exits.c).  Not fatal: without
	# them those functions are addresses, with a note.
	if in_ns curl -sf --max-time 60 -o "$run/guest-kallsyms.tmp" "http://$vm_ip:8080/cgi-bin/kallsyms" &&
		grep -qm1 ' [tT] ' "$run/guest-kallsyms.tmp"; then
		mv "$run/guest-kallsyms.tmp" "$run/guest-kallsyms"
	else
		rm -f "$run/guest-kallsyms.tmp"
		note "the guest's /proc/kallsyms could not be fetched: its exits by guest function stay addresses"
	fi
	rec phase up
}

cmd=${1:-}
shift || true
# status, logs and down describe a testbed that exists: its addresses come from its state.
if [ "$cmd" != up ] && [ -f "$st" ]; then
	v=$(get vm_ip) && [ -n "$v" ] && vm_ip=$v
	v=$(get ctr_ip) && [ -n "$v" ] && ctr_ip=$v
fi
[ "$(id -u)" -eq 0 ] || die 2 "the testbed needs root (netns, tap, qemu, docker)"
mkdir -p "$state_dir/run"
# up and down change things: one at a time per testbed.  status and logs only read.
if [ "$cmd" = up ] || [ "$cmd" = down ]; then
	exec 9>"$state_dir/run/.$name.lock"
	flock -w 300 9 || die 1 "another testbed command holds $state_dir/run/.$name.lock"
fi
case $cmd in
up)
	# Any failure or signal before "phase=up" removes what was made so far.
	trap 'rc=$?; if [ "$rc" -ne 0 ] && [ "$(get phase)" != up ]; then do_down; fi; exit $rc' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	do_up
	;;
down)
	do_down
	if [ "${1:-}" = --purge ]; then
		docker_ok && timeout 30 "$docker" images --format '{{.Repository}}:{{.Tag}}' |
			grep '^virtprof-testbed:' | xargs -r timeout 30 "$docker" rmi -f >/dev/null 2>&1
		rm -rf "$cache"
	fi
	;;
status) do_status ;;
rootfs)
	# Build (or find) the rootfs `up` would boot, and print its directory: the kernel lab builds
	# it on the host, where writing is fast, into the cache its emulated hosts share.
	"$here/rootfs.sh" "$cache" "$(pick_kernel)" "$sizes" ;;
logs)
	case ${1:-} in
	vm) in_ns curl -sf --max-time 30 "http://$vm_ip/_testbed/access.log" ||
		die 1 "cannot fetch the VM's access log (is $name up?)" ;;
	container) f=$(get ctr_log)
		[ -n "$f" ] && [ -f "$f" ] && cat "$f" || die 1 "no container access log (is $name up?)" ;;
	*) die 2 "logs: say vm or container" ;;
	esac ;;
*) die 2 "usage: testbed.sh up | status | down [--purge] | logs vm|container | rootfs" ;;
esac
