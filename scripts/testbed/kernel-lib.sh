# Sourced by scripts/testbed/rootfs.sh and scripts/lab/kernel.sh: helpers for booting a Debian
# kernel under qemu.

# The guest boots faster from the uncompressed kernel: qemu starts an ELF vmlinux that has a PVH
# entry note directly, skipping SeaBIOS's Linux loader and the decompressor -- under TCG that
# halves the boot (measured 3.7 s against 6.8 s to nginx's first answer).  Same kernel, same
# code; where extraction fails the bzImage is booted.
extract_vmlinux() { # bzImage out
	local magic tool off
	for magic in 'xz:\xfd7zXZ\x00' 'gzip:\x1f\x8b\x08' 'zstd:\x28\xb5\x2f\xfd'; do
		tool=${magic%%:*}
		command -v "$tool" >/dev/null || continue
		# sed, not head: it reads all of grep's output, so no writer sees its pipe closed
		for off in $(LC_ALL=C grep -obUaP "${magic#*:}" "$1" 2>/dev/null | cut -d: -f1 | sed -n 1,5p); do
			# The stream from its offset goes through a file, not a pipe: the decompressor
			# stops at the end of its stream, and a tail still writing the rest of the
			# bzImage into the closed pipe printed "Broken pipe" where SIGPIPE is ignored
			# (make demo under a runner that ignores it).  Its stderr -- trailing data after
			# the stream -- stays hidden: the ELF check below is the verdict.
			tail -c +$((off + 1)) "$1" >"$2.stream" || { rm -f "$2.stream"; break; }
			"$tool" -dc <"$2.stream" 2>/dev/null >"$2"
			rm -f "$2.stream"
			# An ELF with XEN_ELFNOTE_PHYS32_ENTRY (type 18): qemu can boot it by PVH.
			if [ "$(head -c 4 "$2" | od -An -c | tr -d ' ')" = 177ELF ] &&
				readelf -n "$2" 2>/dev/null | grep -q "0x00000012"; then
				return 0
			fi
		done
	done
	rm -f "$2"
	return 1
}

# Modules to load by hand (busybox insmod, no modprobe): MODS gets the module files that give
# the named modules, dependencies first, in load order (from modules.dep); a module built into
# the kernel needs nothing.  Fails naming the first one this kernel has neither way.
mods_resolve() { # moddir name...
	local moddir=$1 want p
	shift
	MODS=()
	for want in "$@"; do
		p=$(awk -F: -v w="$want" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n);
			if (n == w) { print $1; exit } }' "$moddir/modules.dep")
		if [ -z "$p" ]; then
			grep -q "/$want.ko" "$moddir/modules.builtin" 2>/dev/null && continue
			echo "kernel in $moddir has no module $want" >&2
			return 1
		fi
		mods_add "$moddir" "$p"
	done
}
mods_add() { # moddir path-relative-to-moddir
	local moddir=$1 m=$2 dep x
	for x in "${MODS[@]+"${MODS[@]}"}"; do [ "$x" = "$m" ] && return 0; done
	for dep in $(awk -v m="$m:" '$1 == m { for (i = 2; i <= NF; i++) print $i }' "$moddir/modules.dep"); do
		mods_add "$moddir" "$dep"
	done
	MODS+=("$m")
}

# Copy MODS into dir decompressed (busybox insmod reads plain .ko only), with dir/order listing
# them in load order.
mods_unpack() { # moddir dir
	local moddir=$1 dir=$2 m base
	mkdir -p "$dir"
	: >"$dir/order"
	for m in "${MODS[@]}"; do
		base=$(basename "$m")
		case $base in
		*.ko.xz) xz -dc "$moddir/$m" >"$dir/${base%.xz}"; base=${base%.xz} ;;
		*.ko.zst) zstd -qdc "$moddir/$m" >"$dir/${base%.zst}"; base=${base%.zst} ;;
		*.ko.gz) gzip -dc "$moddir/$m" >"$dir/${base%.gz}"; base=${base%.gz} ;;
		*) cp "$moddir/$m" "$dir/$base" ;;
		esac
		echo "$base" >>"$dir/order"
	done
}

# The host's statically linked busybox (an initramfs has no libraries), or nothing.
static_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] || continue
		case $(ldd "$b" 2>&1 || true) in *"not a dynamic"*) echo "$b"; return 0 ;; esac
	done
	return 1
}
