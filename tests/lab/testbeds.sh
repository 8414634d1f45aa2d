# The kernel lab's two testbeds (sourced by inside.sh, the test session, and demo.sh, `make
# demo-lab`): the same names, subnets, options and retries wherever they are brought up.
# Needs VIRTPROF and LAB_OUT.
# Two testbeds, KVM guests both: one with vhost-net, one without; each with a native container.
# Every testbed this session brings down leaves its guest's serial console and qemu's stderr in
# $LAB_OUT/testbed-logs/<name>-<n>-*, numbered, so a guest that died is never overwritten by the
# next one's.
tb_down() { # name
	local f k=1 d=$LAB_OUT/testbed-logs
	"$VIRTPROF" testbed down --name "$1" >>"$LAB_OUT/testbed_$1.log" 2>&1
	# its last status is no longer its state (inside.sh dead_guests)
	[ -z "${LAB_TB_STATE:-}" ] || rm -f "$LAB_TB_STATE/$1.json"
	mkdir -p "$d"
	while [ -e "$d/$1-$k-serial.log" ] || [ -e "$d/$1-$k-qemu.err" ]; do k=$((k + 1)); done
	for f in serial.log qemu.err; do
		[ -f "/var/lib/virtprof/testbed/logs/$1-$f" ] &&
			mv "/var/lib/virtprof/testbed/logs/$1-$f" "$d/$1-$k-$f"
	done
	TB_LAST_LOG=$d/$1-$k-serial.log
}
tb_args() { # name -> vhost subnet [more testbed up options]
	case $1 in
	labon) echo "on 10.213.0.0/24 --disk" ;; # the disk path too (disk_paths)
	laboff) echo "off 10.214.0.0/24" ;;
	esac
}
tb() { # name
	local i vhost subnet more
	read -r vhost subnet more <<<"$(tb_args "$1")"
	# A KVM guest inside the emulated host has been seen to hang or die while booting now and
	# then (nothing on its console; CI: one in three sessions): three tries, all in the log.
	# (Pinning each testbed to one L1 CPU did not help: a pinned guest died mid-check.)
	for i in 1 2 3; do
		"$VIRTPROF" testbed up --name "$1" --accel kvm --vhost "$vhost" --runtime native \
			--subnet "$subnet" $more --kvm-probe "${LAB_KVM_BOOT:-150s}" --boot-timeout 240s \
			>>"$LAB_OUT/testbed_$1.log" 2>&1 && return 0
		tb_down "$1"
		echo "lab: testbed $1 did not come up (try $i; console in $TB_LAST_LOG)" |
			tee -a "$LAB_OUT/testbed_$1.log"
		sleep 2
	done
	return 1
}
