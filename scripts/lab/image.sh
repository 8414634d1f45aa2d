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
kver=$(cat "$kdir/version")
moddir=$kdir/lib/modules/$kver
busybox_bin=
for b in /bin/busybox /usr/bin/busybox; do
	[ -x "$b" ] || continue
	case $(ldd "$b" 2>&1 || true) in *"not a dynamic"*) busybox_bin=$b; break ;; esac
done
[ -n "$busybox_bin" ] || { echo "lab: no static busybox; apt-get install busybox-static" >&2; exit 2; }

mods=()
add_mod() { # path relative to moddir, dependencies first
	local m=$1 dep x
	for x in "${mods[@]+"${mods[@]}"}"; do [ "$x" = "$m" ] && return 0; done
	for dep in $(awk -v m="$m:" '$1 == m { for (i = 2; i <= NF; i++) print $i }' "$moddir/modules.dep"); do
		add_mod "$dep"
	done
	mods+=("$m")
}
# virtio_pci is a module on 6.1 and built in on 6.12; 9p needs netfs on 6.12.
for want in virtio_pci 9pnet_virtio 9p; do
	p=$(awk -F: -v w="$want" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n);
		if (n == w) { print $1; exit } }' "$moddir/modules.dep")
	if [ -z "$p" ]; then
		grep -q "/$want.ko" "$moddir/modules.builtin" && continue
		echo "lab: kernel $kver has no $want" >&2
		exit 2
	fi
	add_mod "$p"
done

hash=$( (cat "$0" "$here/init"; stat -L -c '%n %s %Y' "$busybox_bin"; printf '%s\n' "${mods[@]}") |
	sha256sum | cut -c1-16)
out=$kdir/l1-$hash.cpio
if [ -f "$out" ]; then echo "$out"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/lib/modules/lab"
cp "$busybox_bin" "$tmp/bin/busybox"
cp "$here/init" "$tmp/init"
chmod 755 "$tmp/init"
: >"$tmp/lib/modules/lab/order"
for m in "${mods[@]}"; do
	base=$(basename "$m")
	case $base in
	*.ko.xz) xz -dc "$moddir/$m" >"$tmp/lib/modules/lab/${base%.xz}"; base=${base%.xz} ;;
	*.ko.zst) zstd -qdc "$moddir/$m" >"$tmp/lib/modules/lab/${base%.zst}"; base=${base%.zst} ;;
	*.ko.gz) gzip -dc "$moddir/$m" >"$tmp/lib/modules/lab/${base%.gz}"; base=${base%.gz} ;;
	*) cp "$moddir/$m" "$tmp/lib/modules/lab/$base" ;;
	esac
	echo "$base" >>"$tmp/lib/modules/lab/order"
done
(cd "$tmp" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet >"$out.tmp")
rm -f "$kdir"/l1-*.cpio
mv "$out.tmp" "$out"
echo "$out"
