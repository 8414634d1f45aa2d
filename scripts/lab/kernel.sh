#!/usr/bin/env bash
# A Debian kernel for the kernel lab, from Debian's archive through apt, unpacked into a cache --
# never installed: the host's /boot, its apt sources and its module tree are left alone.
#
#   kernel.sh SERIES        SERIES: 6.1 (bookworm's linux-image-amd64) or 6.12 (bookworm-security)
#
# Prints the kernel's directory: vmlinux (PVH-bootable) or vmlinuz, lib/modules/<ver> (depmod'ed),
# config, version.  Cached under $VIRTPROF_LAB_CACHE (default /var/cache/virtprof-lab) by package
# name and version, so a newer package is fetched once and an unchanged one never again.
set -euo pipefail

series=${1:?usage: kernel.sh 6.1|6.12}
here=$(cd "$(dirname "$0")" && pwd)
cache=${VIRTPROF_LAB_CACHE:-/var/cache/virtprof-lab}
# shellcheck source=../testbed/kernel-lib.sh
source "$here/../testbed/kernel-lib.sh"

die() { echo "lab: $*" >&2; exit 2; }

# The package: the newest of its series that apt knows.  apt-cache needs fresh lists once.
pick() {
	case $series in
	6.1) apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-6\.1\.0-[0-9]+-amd64$/ { print $2; exit }' ;;
	6.12) apt-cache pkgnames linux-image-6.12. 2>/dev/null |
		grep -E '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' | sort -V | tail -n 1 ;;
	*) die "unknown kernel series '$series' (6.1 or 6.12)" ;;
	esac
}
pkg=$(pick)
if [ -z "$pkg" ]; then
	apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || true
	pkg=$(pick)
fi
[ -n "$pkg" ] || die "no $series kernel package in apt's lists (bookworm-security needed for 6.12)"
ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "$pkg has no candidate version"
out=$cache/${pkg}_$ver
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache"
exec 8>"$cache/.kernel.lock"
flock -w 600 8 || die "kernel cache lock $cache/.kernel.lock held too long"
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi
echo "lab: fetching $pkg $ver" >&2
rm -rf "$out.tmp"
mkdir -p "$out.tmp/dl"
# apt downloads as _apt where it can; a root-owned cache makes it fall back with a warning.
chmod 755 "$out.tmp/dl"
(cd "$out.tmp/dl" && apt-get download "$pkg=$ver" >/dev/null 2>"$out.tmp/apt.err") ||
	die "apt-get download $pkg=$ver failed: $(tail -n 2 "$out.tmp/apt.err")"
dpkg-deb -x "$out.tmp"/dl/*.deb "$out.tmp/root"
kver=$(ls "$out.tmp/root/lib/modules" 2>/dev/null | head -n 1)
[ -n "$kver" ] || kver=$(ls "$out.tmp/root/usr/lib/modules" | head -n 1)
mkdir -p "$out.tmp/lib/modules"
mv "$out.tmp/root/lib/modules/$kver" "$out.tmp/lib/modules/$kver" 2>/dev/null ||
	mv "$out.tmp/root/usr/lib/modules/$kver" "$out.tmp/lib/modules/$kver"
depmod -b "$out.tmp" "$kver"
cp "$out.tmp/root/boot/config-$kver" "$out.tmp/config"
cp "$out.tmp/root/boot/vmlinuz-$kver" "$out.tmp/vmlinuz"
if command -v readelf >/dev/null && extract_vmlinux "$out.tmp/vmlinuz" "$out.tmp/vmlinux"; then
	echo pvh >"$out.tmp/boot"
else
	echo bzimage >"$out.tmp/boot"
fi
echo "$kver" >"$out.tmp/version"
echo "$pkg $ver" >"$out.tmp/package"
rm -rf "$out.tmp/root" "$out.tmp/dl" "$out.tmp/apt.err"
touch "$out.tmp/done"
rm -rf "$out"
mv "$out.tmp" "$out"
# Older versions of the same series are stale: keep only this one.
for d in "$cache"/"${pkg%%[0-9]*}"*; do
	[ -d "$d" ] && [ "$d" != "$out" ] && [ "$(cat "$d/version" 2>/dev/null | cut -d. -f1-2)" = "$(cut -d. -f1-2 <"$out/version")" ] && rm -rf "$d"
done
echo "$out"
