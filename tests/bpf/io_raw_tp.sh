#!/usr/bin/env bash
# The raw_tp fallback of the network, block and KVM programs runs the same tests: forced with
# VIRTPROF_IO_RAW=1, since this kernel would pick tp_btf.
. "$(dirname "$0")/../lib.sh"
need_root
rc=0 ran=0
for t in test_net test_block test_kvm; do
	bin="$REPO/${VIRTPROF_BUILD:-build}/tests/bpf/$t"
	[ -x "$bin" ] || fail "$bin not built"
	out=$(VIRTPROF_IO_RAW=1 "$bin" 2>&1)
	r=$?
	echo "$out" | tail -n 3
	case $r in
	0) ran=$((ran + 1)) ;;
	77) ;;
	*) rc=1; echo "$t (raw_tp) failed:"; echo "$out" | tail -n 20 ;;
	esac
done
[ $rc -eq 0 ] && [ $ran -eq 0 ] && skip "every raw_tp I/O test skipped"
exit $rc
