#!/usr/bin/env bash
# Boot one kernel-lab host (L1) under qemu TCG and run a script of the repository inside it.
#
#   boot.sh KERNEL_DIR SCRIPT OUT_DIR [ARG,ARG...]
#
# L1: -accel tcg,thread=multi -cpu max (an emulated AMD CPU with SVM and NPT, so KVM works inside
# it), 2 vCPUs, no network device at all (its tests use loopback and namespaces of their own).
# The host's /usr, /boot and /etc and the repository are shared read-only over 9p; OUT_DIR is
# shared read-write and receives what the script writes to $LAB_OUT, the console log, and
# exit-code.  Exit status: the script's, 3 when L1 never got to run it.
#
# L1 boots with maxcpus=1: multi-threaded TCG does not survive the kernel live-patching its own
# hot code (a stale translation of a site being rewritten runs its temporary int3 after the patch
# completed), so the script inside does its setup -- the holds of tests/lab/hold.sh that keep
# attaching probes and starting guests from patching anything -- with one CPU online, then brings
# the others up.  tsc=reliable keeps the clocksource watchdog from flipping __sched_clock_stable
# (TCG's TSC follows the host's monotonic clock: it is synchronized across vCPUs, but lags on a
# busy host); no_timer_check skips the boot-time IO-APIC timer check, which panics when a busy
# host delivers too few TCG timer ticks during its busy-wait.  A crash or hang: the session does not finish, and scripts/lab/run.sh boots it once
# more (one retry mechanism for crashes and hangs alike).
set -euo pipefail

kdir=${1:?usage: boot.sh KERNEL_DIR SCRIPT OUT_DIR [ARGS]} script=${2:?} out=${3:?} args=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
qemu=${LAB_QEMU:-qemu-system-x86_64}
timeout_s=${LAB_TIMEOUT_S:-1200}
mem=${LAB_MEM:-3072}
command -v "$qemu" >/dev/null || { echo "lab: $qemu not found (apt-get install qemu-system-x86)" >&2; exit 77; }
image=$("$here/image.sh" "$kdir")
kernel=$kdir/vmlinux
[ "$(cat "$kdir/boot")" = pvh ] || kernel=$kdir/vmlinuz
mkdir -p "$out"
# The testbed's rootfs (built from the host's /usr, which L1 shares) is the same for every kernel:
# built once, in a cache beside the kernels, shared read-write.
# Built here on the host, where writing is fast (inside L1 it takes minutes).
tbcache=${VIRTPROF_LAB_CACHE:-/var/cache/virtprof-lab}/testbed
mkdir -p "$tbcache/cache"
TB_STATE_DIR=$tbcache TB_NAME=lab "$repo/scripts/testbed/testbed.sh" rootfs >/dev/null ||
	{ echo "lab: the testbed rootfs did not build" >&2; exit 3; }

# The newest change of anything in OUT_DIR (console, logs, results): L1 is making progress.
progress() { find "$out" -maxdepth 1 -type f -printf '%T@\n' 2>/dev/null | sort -n | tail -n 1 | cut -d. -f1; }

boot_once() {
	local qpid last now
	rm -f "$out/exit-code"
	# SIGTERM/SIGINT to us end qemu too (timeout's own signal reaches it first).
	timeout --kill-after=10 "$timeout_s" "$qemu" -machine pc -accel "tcg,thread=${LAB_TCG:-multi}" -cpu max \
		-smp 2 -m "$mem" -nodefaults -display none -no-reboot -serial "file:$out/console.log" \
		-kernel "$kernel" -initrd "$image" \
		-append "console=ttyS0 tsc=reliable no_timer_check maxcpus=1 panic=-1 oops=panic quiet loglevel=4 vp.repo=$repo vp.script=$script vp.args=$args" \
		-virtfs "local,path=/usr,mount_tag=usr,security_model=none,readonly=on,id=usr" \
		-virtfs "local,path=/boot,mount_tag=boot,security_model=none,readonly=on,id=boot" \
		-virtfs "local,path=/etc,mount_tag=etc,security_model=none,readonly=on,id=etc" \
		-virtfs "local,path=$kdir/lib/modules,mount_tag=kmods,security_model=none,readonly=on,id=kmods" \
		-virtfs "local,path=$repo,mount_tag=repo,security_model=none,readonly=on,id=repo" \
		-virtfs "local,path=$out,mount_tag=out,security_model=none,id=out" \
		-virtfs "local,path=$tbcache/cache,mount_tag=tbcache,security_model=none,id=tbcache" \
		</dev/null >"$out/qemu.log" 2>&1 &
	qpid=$!
	# A hung L1 (no file of OUT_DIR changed for LAB_STALL_S) is stopped early, not at the timeout.
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 5
		last=$(progress) now=$(date +%s)
		if [ -n "$last" ] && ((now - last > ${LAB_STALL_S:-300})); then
			echo "lab: L1 made no progress for ${LAB_STALL_S:-300}s; stopping it" | tee -a "$out/retries.log" >&2
			pkill -TERM -P "$qpid" 2>/dev/null
			kill "$qpid" 2>/dev/null
			break
		fi
	done
	wait "$qpid" 2>/dev/null || true
}

boot_once
rc=$(cat "$out/exit-code" 2>/dev/null)
[[ $rc =~ ^[0-9]+$ ]] || {
	echo "lab: L1 $(cat "$kdir/version") did not finish (timeout ${timeout_s}s, or it crashed); console: $out/console.log" >&2
	tail -n 20 "$out/console.log" >&2 || true
	exit 3
}
exit "$rc"
