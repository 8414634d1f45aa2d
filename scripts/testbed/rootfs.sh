#!/usr/bin/env bash
# Builds the testbed's one rootfs from the host's Debian packages (nginx, busybox-static and the
# libraries nginx links) and packs it twice: rootfs.tar for `docker import` / the native container,
# initramfs.cpio (the same tree plus the guest kernel's virtio-net modules) for the VM.
#
#   rootfs.sh CACHE_DIR KERNEL_IMAGE SIZES
#
# The result lives in CACHE_DIR/<hash>/, where hash covers every input (this script, files/, the
# host files copied, the kernel and its modules, the size list), so a package upgrade or an edit
# rebuilds it and an unchanged host reuses it.  Prints the result directory on stdout.
set -euo pipefail

cache=$1 kernel=$2 sizes=$3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=kernel-lib.sh
source "$here/kernel-lib.sh"
kver=${kernel##*/vmlinuz-}
moddir=/lib/modules/$kver
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
busybox_bin=$(static_busybox || true)
[ -n "$busybox_bin" ] || { echo "testbed: no static busybox; install it: apt-get install busybox-static" >&2; exit 2; }
[ -x "$nginx_bin" ] || { echo "testbed: no nginx; install it: apt-get install nginx-light" >&2; exit 2; }
[ -f "$moddir/modules.dep" ] || { echo "testbed: no modules for guest kernel $kver ($moddir); reinstall linux-image-$kver" >&2; exit 2; }

# The guest needs virtio_pci (the PCI transport) and virtio_net; modules.dep gives their
# dependencies (virtio, virtio_ring, failover, net_failover ...), in load order.
mods_resolve "$moddir" virtio_pci virtio_net || { echo "testbed: guest kernel $kver lacks a module" >&2; exit 2; }
mods=("${MODS[@]+"${MODS[@]}"}")
# --disk: virtio_blk and ext4 (jbd2, mbcache, crc16; crc32c, which ext4 asks the crypto API for
# at mount, not in modules.dep), loaded only when the VM has a disk; a
# kernel without them boots without the disk (the init says so on the console).
dmods=()
if mods_resolve "$moddir" virtio_pci virtio_blk crc32c_generic ext4 2>/dev/null; then dmods=("${MODS[@]+"${MODS[@]}"}"); fi

libs=$(ldd "$nginx_bin" | awk '/=>/ { print $3 } /^\s*\/lib/ { print $1 }' | sort -u)
inputs() {
	cat "$0" "$here/kernel-lib.sh" "$here"/files/*
	echo "sizes=$sizes kver=$kver"
	stat -L -c '%n %s %Y' "$kernel" "$nginx_bin" "$busybox_bin" $libs /etc/nginx/mime.types 2>/dev/null
	for m in "${mods[@]+"${mods[@]}"}" "${dmods[@]+"${dmods[@]}"}"; do stat -L -c '%n %s %Y' "$moddir/$m"; done
}
hash=$(inputs | sha256sum | cut -c1-16)
out=$cache/$hash
# A hit marks the build as in use (its done file's time), so a concurrent user of another build
# does not prune it below.
if [ -f "$out/done" ]; then touch "$out/done"; echo "$out"; exit 0; fi

mkdir -p "$cache"
exec 8>"$cache/.build.lock"
flock -w 300 8 || { echo "testbed: rootfs build lock $cache/.build.lock held too long" >&2; exit 1; }
# A hit marks the build as in use (its done file's time), so a concurrent user of another build
# does not prune it below.
if [ -f "$out/done" ]; then touch "$out/done"; echo "$out"; exit 0; fi
echo "testbed: building rootfs $hash (nginx, busybox, ${#mods[@]} guest modules)" >&2
rm -rf "$out.tmp"
mkdir -p "$out.tmp/root"
r=$out.tmp/root
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc/nginx,etc/virtprof,proc,sys,dev,run,tmp,root} \
	"$r"/{var/log/nginx,var/lib/nginx,srv/www/bytes,srv/cgi/cgi-bin,lib/modules/testbed}
chmod 1777 "$r/tmp"
cp "$busybox_bin" "$r/bin/busybox"
for a in $("$busybox_bin" --list); do
	[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
done
cp "$nginx_bin" "$r/usr/sbin/nginx"
for l in $libs; do
	mkdir -p "$r$(dirname "$l")"
	cp -L "$l" "$r$l"
done
# The dynamic loader is looked up by its absolute path; usr-merged hosts reach /lib64 via a link.
[ -e "$r/lib64/ld-linux-x86-64.so.2" ] || { mkdir -p "$r/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$r/lib64/"; }
cp "$here/files/nginx.conf.in" "$r/etc/nginx/nginx.conf.in"
cp "$here/files/nginx-start" "$r/etc/virtprof/nginx-start"
cp "$here/files/init" "$r/init"
cp "$here/files/index.html" "$r/srv/www/index.html"
cp "$here/files/cgi-kallsyms" "$r/srv/cgi/cgi-bin/kallsyms"
cp "$here/files/cgi-pio" "$r/srv/cgi/cgi-bin/pio"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
echo "127.0.0.1 localhost" >"$r/etc/hosts"
for n in $sizes; do
	head -c "$n" /dev/zero | tr '\0' 'x' >"$r/srv/www/bytes/$n"
done
MODS=("${mods[@]+"${mods[@]}"}")
mods_unpack "$moddir" "$r/lib/modules/testbed"
if [ ${#dmods[@]} -gt 0 ]; then MODS=("${dmods[@]}"); mods_unpack "$moddir" "$r/lib/modules/testbed-disk"; fi
mkdir -p "$r/srv/disk"
(cd "$r" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet >"$out.tmp/initramfs.cpio")
tar -C "$r" --numeric-owner -cf "$out.tmp/rootfs.tar" .
echo "$kernel" >"$out.tmp/kernel"
# The guest boots faster from the uncompressed kernel by PVH (scripts/testbed/kernel-lib.sh).
if command -v readelf >/dev/null && extract_vmlinux "$kernel" "$out.tmp/vmlinux"; then
	echo pvh >"$out.tmp/boot"
else
	echo bzimage >"$out.tmp/boot"
fi
touch "$out.tmp/done"
rm -rf "$out"
mv "$out.tmp" "$out"
# Older builds are stale inputs: keep this one and those used within the hour (another checkout's
# test run or lab session may be booting from one right now).
for d in "$cache"/*/; do
	d=${d%/}
	[ "$d" = "$out" ] && continue
	[ -n "$(find "$d/done" -mmin -60 2>/dev/null)" ] && continue
	rm -rf "$d"
done
echo "$out"
