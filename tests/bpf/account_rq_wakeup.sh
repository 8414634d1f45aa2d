#!/usr/bin/env bash
# The run-queue delay's fallback for kernels without sched_info (CONFIG_SCHED_INFO off: a program
# on sched_wakeup times wakeup -> switch) against schedstat, forced with VIRTPROF_RQ_DELAY=wakeup
# since this kernel has sched_info.  The rest of the accounting does not depend on it.
. "$(dirname "$0")/../lib.sh"
need_root
bin="$REPO/${VIRTPROF_BUILD:-build}/tests/bpf/test_account"
[ -x "$bin" ] || fail "$bin not built"
VIRTPROF_RQ_DELAY=wakeup "$bin" rq_delay
