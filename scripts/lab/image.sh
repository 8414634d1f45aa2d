#!/usr/bin/env bash
# The initramfs of a kernel-lab host (L1): static busybox, scripts/lab/init, and the modules that
# reach the host's files over 9p (virtio PCI transport, 9p), decompressed with their dependencies
# in load order (busybox insmod reads plain .ko only).  Everything else comes from the host over
# 9p at boot (see init), so the image is small and builds in a second.
#
#   image.sh KERNEL_DIR     (from scripts/lab/kernel.sh)
#
# Prints the image's path; cached beside the kernel, rebuilt only when an input changes.
set -euo pipefail

kdir=${1:?usage: image.sh KERNEL_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../testbed/kernel-lib.sh
source "$here/../testbed/kernel-lib.sh"
kver=$(cat "$kdir/version")
moddir=$kdir/lib/modules/$kver
busybox_bin=$(static_busybox || true)
[ -n "$busybox_bin" ] || { echo "lab: no static busybox; apt-get install busybox-static" >&2; exit 2; }

# virtio_pci is a module on 6.1 and built in on 6.12; 9p needs netfs on 6.12.
mods_resolve "$moddir" virtio_pci 9pnet_virtio 9p || exit 2
mods=("${MODS[@]+"${MODS[@]}"}")

hash=$( (cat "$0" "$here/init" "$here/../testbed/kernel-lib.sh"; stat -L -c '%n %s %Y' "$busybox_bin"; printf '%s\n' "${mods[@]}") |
	sha256sum | cut -c1-16)
out=$kdir/l1-$hash.cpio
if [ -f "$out" ]; then echo "$out"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
cp "$busybox_bin" "$tmp/bin/busybox"
cp "$here/init" "$tmp/init"
chmod 755 "$tmp/init"
mods_unpack "$moddir" "$tmp/lib/modules/lab"
(cd "$tmp" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet >"$out.tmp")
rm -f "$kdir"/l1-*.cpio
mv "$out.tmp" "$out"
echo "$out"
