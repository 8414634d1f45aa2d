try() {
	rmmod kvm_amd 2>/dev/null; rmmod kvm 2>/dev/null
	modprobe kvm_amd "$@" || { echo "modprobe $* failed"; return; }
	rm -f /lab-out/guest.log
	timeout 25 qemu-system-x86_64 -accel kvm -m 64 -nodefaults -display none -serial file:/lab-out/guest.log -no-reboot
	echo "params [$*]: guest output $(wc -c </lab-out/guest.log) bytes: $(head -c 80 /lab-out/guest.log | tr -d '\r\n')"
}
try vgif=0 vls=0
try npt=0
try avic=0 vgif=0 vls=0 nrips=0
try
