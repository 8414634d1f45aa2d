#!/usr/bin/env bash
# The raw_tp fallback (for kernels where tp_btf cannot load) runs the same accounting tests:
# forced here with VIRTPROF_BPF_FLAVOUR=raw_tp, since this kernel would pick tp_btf.
. "$(dirname "$0")/../lib.sh"
need_root
bin="$REPO/${VIRTPROF_BUILD:-build}/tests/bpf/test_account"
[ -x "$bin" ] || fail "$bin not built"
out=$(VIRTPROF_BPF_FLAVOUR=raw_tp "$bin" 2>&1)
rc=$?
echo "$out"
grep -q "^flavour raw_tp" <<<"$out" || fail "the raw_tp flavour was not the one loaded"
exit $rc
