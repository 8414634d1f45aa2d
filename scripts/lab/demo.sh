#!/usr/bin/env bash
# `make demo-lab`: the comparison users came for, measured for real -- a KVM guest with vhost-net,
# the same guest without vhost, and a veth container, at light / medium / heavy load -- inside an
# emulated host (L1) running Debian's 6.12 kernel, where KVM and vhost-net exist even when this
# machine has neither.  It shows who pays which part per request on each path (attribution);
# figures inside an emulated host are not a real host's, and neither are their ratios (every
# instruction of L1 is emulated: vhost-net does not win there as it does on hardware).
#
#   demo.sh [STEPS]     default light,medium,heavy; reports in build/lab/demo (LAB_OUT_DIR)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${LAB_OUT_DIR:-$repo/${VIRTPROF_BUILD:-build}/lab}/demo
series=${LAB_DEMO_KERNEL:-6.12}
rm -rf "$out"
mkdir -p "$out"
kdir=$("$here/kernel.sh" "$series")
echo "demo-lab: booting an emulated host with $(cat "$kdir/package") (L1, qemu TCG); KVM guests inside it" >&2
rc=0
LAB_TIMEOUT_S=${LAB_TIMEOUT_S:-1500} "$here/boot.sh" "$kdir" tests/lab/demo.sh "$out" "${1:-}" || rc=$?
if [ -s "$out/compare.txt" ]; then
	cat "$out/compare.txt"
	echo
	echo "demo-lab: inside an emulated host on $(cat "$kdir/version"): the split shows who pays what;"
	echo "          its figures and their ratios are not a real host's (docs/lab.md)."
	echo "demo-lab: reports in $out (compare.json, summary.csv, timeline.csv)"
else
	echo "demo-lab: no comparison (rc $rc); console: $out/console.log" >&2
	tail -n 20 "$out/console.log" >&2 || true
fi
exit "$rc"
