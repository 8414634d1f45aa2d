# Sourced inside a kernel-lab host (L1) by tests/lab/inside.sh and tests/lab/demo.sh: keep the
# kernel from live-patching its own hot code once the session's setup is done.
#
# Why: multi-threaded TCG (qemu 7.2) can run a stale translation of a call site that another vCPU
# is rewriting with text_poke_bp -- the temporary int3 executes after the patch completed, the
# kernel finds no patch in progress, and L1 dies ("Oops: int3" in handle_softirqs, __schedule,
# sched_clock_cpu).  Three kinds of site get rewritten while tests attach and detach probes:
#  - a tracepoint's static key (off <-> on) and its static call: with one probe a tracepoint calls
#    it directly, with two or more it calls the tracepoint's iterator, and every crossing of
#    1 <-> 2 rewrites the call at every site of that tracepoint (tracepoint_add_func /
#    tracepoint_remove_func, kernel/tracepoint.c).  lab_hold_tracepoints keeps TWO probes on each
#    hooked tracepoint for the whole session -- the event enabled (recording off) in the top
#    trace array and in an instance of its own, each registering trace_event_raw_event_<tp> with
#    its own trace_event_file as data -- so attaching virtprof moves 2 <-> 3 and patches nothing;
#  - other static keys the session flips: bpf_stats (held on); the memory controller's
#    memcg_sockets_enabled_key and memcg_bpf_enabled_key, flipped in every tcp_* and bpf_*
#    allocation site whenever the first memory cgroup is created or the last one freed -- each
#    test's fresh cgroup did that -- and __cfs_bandwidth_used, flipped by a test's cpu.max (a
#    cgroup of our own, held for the session: lab_hold_cgroup); the network stack's DO_ONCE
#    secrets (taken during setup: lab_hold_once);
#    KVM's preempt_notifier_key and APIC keys (a paused VM held open, lab_hold_kvm);
#    __sched_clock_stable (tsc=reliable);
#  - whatever is left, found by lab_pokes_start: every text_poke_bp/text_poke_queue with its
#    caller, counted after setup and reported.
# All of it is set up while only one L1 CPU is online (boot.sh boots with maxcpus=1): a patch made
# then cannot meet a stale translation on the other vCPU.  lab_online_cpus brings the others up.

LAB_TRACING=/sys/kernel/tracing
LAB_HOLD_INSTANCE=$LAB_TRACING/instances/vp-hold

# Every tracepoint virtprof's BPF objects hook (VP_HOOK and classic tracepoint programs), as
# "system/event" where this kernel has the event: read from the sources, so a new hook is held
# without a list to keep in step.
lab_hooked_events() {
	local n d
	{
		grep -ho 'VP_HOOK([a-z_0-9]*' "$REPO"/bpf/*.bpf.c | cut -d'(' -f2
		grep -ho 'SEC("tracepoint/[a-z_0-9]*/[a-z_0-9]*' "$REPO"/bpf/*.bpf.c | cut -d/ -f3
	} | sort -u | while read -r n; do
		for d in "$LAB_TRACING"/events/*/"$n"; do
			[ -d "$d" ] && echo "${d#"$LAB_TRACING"/events/}"
		done
	done
}

# Two probes on every hooked tracepoint this kernel has now (call again after modprobe: module
# tracepoints appear with their module).  Prints how many events are held.
lab_hold_tracepoints() {
	local e d n=0
	mkdir -p "$LAB_HOLD_INSTANCE"
	echo 0 >"$LAB_TRACING/tracing_on"
	echo 0 >"$LAB_HOLD_INSTANCE/tracing_on"
	for e in $(lab_hooked_events); do
		for d in "$LAB_TRACING" "$LAB_HOLD_INSTANCE"; do
			[ "$(cat "$d/events/$e/enable" 2>/dev/null)" = 1 ] || echo 1 >"$d/events/$e/enable"
		done
		n=$((n + 1))
	done
	sysctl -qw kernel.bpf_stats_enabled=1
	echo "$n"
}

# A cgroup alive for the whole session, holding two keys tests flip with their own cgroups: the
# memory controller's memcg_sockets_enabled_key and memcg_bpf_enabled_key count memory cgroups
# (css alloc/online increment them, css_free decrements them, mm/memcontrol.c), and
# __cfs_bandwidth_used counts cgroups with a cpu.max quota (cfs_bandwidth_usage_inc).  With one of
# each held they never cross zero.  Empty, so its quota limits nothing; L1 goes down with it.
lab_hold_cgroup() {
	local root=/sys/fs/cgroup h=/sys/fs/cgroup/vp-lab-hold
	mkdir -p "$h"
	grep -qw cpu "$root/cgroup.subtree_control" 2>/dev/null && echo "100000 100000" >"$h/cpu.max"
	return 0
}

# Keys the network stack flips once, the first time it needs a secret (DO_ONCE, net_get_random_once:
# the ehash and port-offset secrets of a TCP connect, the IP ID secret of a datagram without DF,
# inetpeer's hash secret) -- a deferred static_key_disable from a worker, seen mid-session: a
# connection attempt and a datagram on each loopback family, and a fragmented one, during setup
# take them.  (inetpeer's was left to bpf/test_net's ICMP errors -- inet_getpeer+0x40 patched in
# 5 of 14 sessions, then in all 5 since its device reads got faster.)
lab_hold_once() {
	local a
	for a in 127.0.0.1 ::1; do
		timeout 5 bash -c "exec 3<>/dev/tcp/$a/9" 2>/dev/null
		timeout 5 bash -c "echo > /dev/udp/$a/9" 2>/dev/null
	done
	# a fragmented datagram: its IP ID secret, and inetpeer's hash secret (Debian 6.1 and 6.12:
	# net_get_random_once in inet_getpeer, asked by the reassembly for the sender's peer) --
	# on a netns's own lo with a small MTU (L1 has no ping)
	ip netns add vp-hold-frag && ip -n vp-hold-frag link set lo mtu 1280 up &&
		ip netns exec vp-hold-frag timeout 5 bash -c 'printf "%2000s" x >/dev/udp/127.0.0.1/9' 2>/dev/null
	ip netns del vp-hold-frag 2>/dev/null
	sleep 1 # the disable is deferred to a worker
	return 0
}

# KVM flips preempt_notifier_key (finish_task_switch) when the first VM is created and the last is
# destroyed, and its APIC keys with each VM's vCPUs: a paused VM (no vCPU ever runs) held for the
# whole session keeps them on.  It is killed with L1.
lab_hold_kvm() {
	local pid i
	[ -c /dev/kvm ] || return 0
	qemu-system-x86_64 -accel kvm -S -m 16 -nodefaults -display none -no-reboot </dev/null \
		>/dev/null 2>&1 &
	pid=$!
	# the keys flip when the VM and its vCPU are created, seconds after qemu starts inside an
	# emulated host: wait for the vCPU's fd (at most 60 s), so it happens during setup
	for i in $(seq 120); do
		ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'kvm-vcpu' && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	echo "lab: the paused KVM VM holding KVM's keys did not start" >&2
}

# The record of every live patch (tests/lab/pokes.bt) in $LAB_OUT/pokes.log.  kprobe optimization
# is turned off first: the optimizer would rewrite the probed functions again later, with every CPU
# online.  Waits (bounded) until the probes are attached; without bpftrace the record says why.
lab_pokes_start() {
	local i
	LAB_POKES_LOG=$LAB_OUT/pokes.log
	if ! command -v bpftrace >/dev/null; then
		echo "not available: bpftrace is not installed" >"$LAB_POKES_LOG"
		return 0
	fi
	sysctl -qw debug.kprobes-optimization=0 2>/dev/null
	# appended to by both bpftrace and lab_pokes_mark: O_APPEND keeps the lines in order
	: >"$LAB_POKES_LOG"
	bpftrace "$REPO/tests/lab/pokes.bt" >>"$LAB_POKES_LOG" 2>&1 &
	LAB_POKES_PID=$!
	for i in $(seq 120); do
		grep -q '^Attaching' "$LAB_POKES_LOG" && sleep 1 && return 0
		kill -0 "$LAB_POKES_PID" 2>/dev/null || break
		sleep 0.5
	done
	echo "lab: bpftrace did not attach its probes ($(tail -n 1 "$LAB_POKES_LOG"))" >&2
}

# Marks the end of setup in the record: pokes after this line happened with every CPU online.
lab_pokes_mark() { [ -n "${LAB_POKES_LOG:-}" ] && echo "=== $1 ===" >>"$LAB_POKES_LOG"; return 0; }

# Every possible CPU online (boot.sh boots L1 with maxcpus=1).
lab_online_cpus() {
	local c
	for c in /sys/devices/system/cpu/cpu[0-9]*/online; do
		[ "$(cat "$c")" = 1 ] || echo 1 >"$c"
	done
	echo "lab: $(nproc) CPUs online"
}

# After setup: the patches made with every CPU online, one line ("N live patches after setup:
# site [kind, task] <- the callers that asked xK; ...").  Each poke line of the record is followed
# by its stack, one frame a line; the first frames are the patching machinery itself.
# The pokes after setup (from the "online" mark), each site named function+offset from this
# boot's /proc/kallsyms: a function's name alone does not say which of its keys flipped
# (inet_getpeer+0x40 was inetpeer's hash secret, inlined).
lab_pokes_after_setup() {
	local line f a s off
	sed -n '/^=== online ===/,$p' "$LAB_POKES_LOG" | while IFS= read -r line; do
		if [[ $line =~ ^poke\ [0-9]+\ [a-z]+\ ([^ ]+)\ .*\ addr\ ([0-9a-f]+)$ ]]; then
			f=${BASH_REMATCH[1]} a=${BASH_REMATCH[2]}
			s=$(awk -v n="$f" '$3 == n { print $1; exit }' /proc/kallsyms 2>/dev/null)
			if [ -n "$s" ]; then
				off=$((16#$a - 16#$s))
				((off >= 0 && off < 1048576)) && line=${line/ $f / $f+$(printf '0x%x' "$off") }
			fi
		fi
		printf '%s\n' "$line"
	done
}
lab_pokes_summary() {
	[ -s "${LAB_POKES_LOG:-}" ] || { echo "live patches: not recorded"; return 0; }
	grep -q '^not available' "$LAB_POKES_LOG" && { echo "live patches: $(head -n 1 "$LAB_POKES_LOG")"; return 0; }
	lab_pokes_after_setup | awk 'function done_poke() { if (cur != "") { s[cur why]++; cur = "" } }
		/^=== online ===/ { done_poke(); on = 1; next }
		/^poke / { done_poke(); if (on) { n++; cur = $4 " [" $3 ", " $5 "]"; why = ""; depth = 0 }; next }
		cur != "" && /^[ \t]+[^ \t]/ {
			f = $NF; sub(/\+.*/, "", f)
			if (f !~ /^(text_poke|__static_call_transform|arch_static_call|__jump_label|arch_jump_label|smp_text_poke)/ && depth < 3) {
				why = why " <- " f; depth++
			}
			next
		}
		END {
			done_poke()
			printf "%d live patches after setup", n
			if (n) { printf ":"; for (k in s) printf " %s x%d;", k, s[k] }
			printf "\n"
		}'
}

# The testbeds' state on a block device: L1's root is a tmpfs, which has no block layer, and the
# disk path (disk_paths) compares the bios of qemu's virtio-blk image with the container's reads
# of the same files.  An ext4 on a loop device over a tmpfs file (during setup, one CPU online).
lab_disk() {
	local img=/var/tmp/lab-disk.img dev run=/var/lib/virtprof/testbed/run
	truncate -s 384M "$img" && dev=$(losetup -f --show "$img") &&
		mkfs.ext4 -q -F "$dev" && mkdir -p "$run" && mount -o noatime "$dev" "$run" &&
		echo "lab: testbed state on $dev (ext4, loop)" ||
		echo "lab: no block device for the testbeds' state (disk_paths will fail)" >&2
}
