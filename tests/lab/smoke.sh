cd "$REPO"
for m in kvm_amd vhost_net tun bridge veth; do modprobe $m; done
export VIRTPROF_BUILD=build VIRTPROF=$REPO/build/virtprof
./tests/run.sh bpf 2>&1 | tail -40
t0=$(date +%s.%N)
VIRTPROF_TESTBED_DIR=/var/lib/virtprof/testbed ./build/virtprof testbed up --name labon --accel kvm --runtime native 2>&1 | tail -5
echo "testbed up took $(awk -v s=$t0 -v e=$(date +%s.%N) 'BEGIN{print e-s}')s"
./build/virtprof testbed status --name labon 2>&1 | head -30
ps -eLo pid,tid,comm,cls,pcpu | grep -i -E 'qemu|vhost|CPU' | head
./build/virtprof testbed down --name labon 2>&1 | tail -2
echo ok > "$LAB_OUT/smoke"
