#!/usr/bin/env bash
# The disk path on the real testbed (TCG here): `testbed up --disk` gives the VM a virtio-blk raw
# image (cache=none) and the container the same files on the host filesystem; `compare --workload
# disk-read|disk-write` loads both.  Asserted: block bytes attributed to the VM's qemu threads and
# to the container within 1 % of the kernel's counters (/proc/<pid>/io; the container's blkio or
# io.stat, ops too), direct reads reach the block layer once per request (ops ~ requests), the
# POST bodies reach the disk, DISK is a figure for both; then a VM without a disk: DISK n/a with
# the reason.  Nothing is left behind (image, state, containers).
set -u
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd qemu-system-x86_64 curl ip jq nsenter mkfs.ext4 debugfs chattr docker
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no guest kernel in /boot (apt-get install linux-image-amd64)"

name=vptbdisk$$
state=${VIRTPROF_TESTBED_DIR:-/var/lib/virtprof/testbed}/run/$name
out=$(mktemp -d)
on_exit rm -rf "$out"
on_exit "\"$VIRTPROF\" testbed down --name $name >/dev/null 2>&1"

# Refusals first: nothing to bring up for them.
"$VIRTPROF" compare --workload disk-read --target a=http://127.0.0.1/@vm:1 >/dev/null 2>&1
assert_eq $? 2 "--workload disk-read without --testbed"
"$VIRTPROF" compare --testbed --workload disk-spin >/dev/null 2>&1
assert_eq $? 2 "--workload disk-spin"
"$VIRTPROF" compare --testbed --workload disk-write --testbed-path /bytes/4096 >/dev/null 2>&1
assert_eq $? 2 "--workload disk-write with a path that is not /disk/N"
"$VIRTPROF" testbed up --name "$name" --disk --disk-sizes "4k" >/dev/null 2>&1
assert_eq $? 2 "--disk-sizes 4k"

"$VIRTPROF" testbed up --name "$name" --disk >/dev/null || fail "testbed up --disk failed"
st=$("$VIRTPROF" testbed status --name "$name" --json) || fail "status after up --disk"
img=$(jq -r '.targets[] | select(.target == "vm") | .disk' <<<"$st")
[[ $img == *"disk.img (virtio-blk, cache=none, aio="* ]] || fail "VM disk in status: '$img'"
img=${img%% *}
[ -f "$img" ] || fail "no disk image $img"
dir=$(jq -r '.targets[] | select(.target == "container") | .disk' <<<"$st")
[ -f "$dir/www/65536" ] || fail "no /disk/65536 on the container's side ($dir)"

abs_le() { # value limit msg: |value| <= limit
	awk -v a="$1" -v l="$2" 'BEGIN { if (a < 0) a = -a; exit !(a <= l) }' || fail "$3: |$1| > $2"
}
# step row of target kind ("vm"/"ctr") in a report: jq prefix
step_of() { echo ".steps[] | select(.target | startswith(\"$1:\"))"; }

check_run() { # json workload
	local j=$1 w=$2 k diff ops
	jq -e ".workload == \"$w\"" "$j" >/dev/null || fail "$w: workload not in the report"
	for k in vm ctr; do
		disk_target_check "$j" "$w" "$k"
		jq -e "$(step_of "$k") | .cpu.disk_check_notes | length > 0" "$j" >/dev/null ||
			fail "$w $k: disk check without its notes"
		if [ "$w" = disk-read ]; then
			diff=$(jq '.read_diff_pct' <<<"$DISK_DC")
			abs_le "$diff" 1 "$w $k: read bytes against the kernel (%)"
			if [ "$k" = ctr ]; then
				ops=$(jq '.kernel_read_ops' <<<"$DISK_DC")
				assert_within "$(jq '.read_ops' <<<"$DISK_DC")" "$ops" 1 "$w $k: read ops against blkio"
			fi
		fi
		# (writes: held to 1 % or the requests in flight by disk_target_check)
	done
	jq -e '[.comparison[] | .disk_us] | all(. != null)' "$j" >/dev/null ||
		fail "$w: disk_us missing in the comparison"
}

for w in disk-read disk-write; do
	# -v: the per-step disk check and disk table are in the text report only with it
	"$VIRTPROF" compare -v --testbed --testbed-name "$name" --workload "$w" --steps 3 \
		--duration 3s --json "$out/$w.json" >"$out/$w.txt" 2>"$out/$w.err" ||
		fail "compare --workload $w failed: $(tail -n 3 "$out/$w.err")"
	grep -q "^Disk I/O against the kernel" "$out/$w.txt" || fail "$w: no disk check in the text report"
	grep -q "^Disk I/O by owner" "$out/$w.txt" || fail "$w: no disk table in the text report"
	check_run "$out/$w.json" "$w"
done
# Request bodies went through the disk and were removed again (client_body_in_file_only clean).
assert_eq "$(find "$dir/body" -type f | wc -l)" 0 "request body files left on the container's side"

# A testbed up without a disk is refused a disk workload (it is the user's: not rebuilt) ...
"$VIRTPROF" testbed down --name "$name" >/dev/null || fail "down after the disk runs"
[ -e "$img" ] && fail "disk image $img left after down"
[ -d "$state" ] && fail "state dir $state left after down"
"$VIRTPROF" testbed up --name "$name" >/dev/null || fail "testbed up (no disk) failed"
"$VIRTPROF" compare --testbed --testbed-name "$name" --workload disk-read --steps 1 \
	--duration 2s >/dev/null 2>"$out/refuse.err"
rc=$?
[ "$rc" -ne 0 ] || fail "a disk workload on a testbed without a disk succeeded"
[ "$rc" -eq 2 ] || fail "a disk workload on a testbed without a disk: exit $rc, not 2"
grep -q "without a disk" "$out/refuse.err" || fail "no reason for the refusal: $(cat "$out/refuse.err")"
# ... and its VM has no DISK figure: n/a with the reason, never 0.
"$VIRTPROF" compare --testbed --testbed-name "$name" --steps 3 --duration 3s \
	--json "$out/nodisk.json" >/dev/null 2>"$out/nodisk.err" ||
	fail "compare without a disk failed: $(tail -n 3 "$out/nodisk.err")"
jq -e '.comparison[] | select(.target | startswith("vm:")) | .disk_us == null' "$out/nodisk.json" \
	>/dev/null || fail "a VM without a disk has a disk_us figure"
jq -e '.comparison_notes | any(test("has no disk"))' "$out/nodisk.json" >/dev/null ||
	fail "no reason for the VM's disk_us n/a: $(jq -c .comparison_notes "$out/nodisk.json")"
jq -e "$(step_of vm) | .cpu.disk_check[] | select(.entity | startswith(\"vm:\")) | .agreement == null" \
	"$out/nodisk.json" >/dev/null || fail "a VM without a disk has a disk check figure"
jq -e '.comparison[] | select(.target | startswith("ctr:")) | .disk_us != null' "$out/nodisk.json" \
	>/dev/null || fail "the container lost its DISK figure"
echo "ok: disk path checked"
