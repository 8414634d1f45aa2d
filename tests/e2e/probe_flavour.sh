#!/usr/bin/env bash
# Every BPF program virtprof attaches on a kernel with BTF is the tp_btf flavour.  A program the
# verifier refuses as tp_btf falls back to raw_tp and still works, only slower, and nothing else
# would notice: a change that did so once cost the network handlers 2.5 times their time per
# packet (scripts/bench/floor.sh).  Lists what `virtprof top --stacks` attached (bpftool).
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd bpftool jq
[ -r /sys/kernel/btf/vmlinux ] || skip "no kernel BTF (/sys/kernel/btf/vmlinux): raw_tp is expected"
unset VIRTPROF_BPF_FLAVOUR VIRTPROF_IO_RAW
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"

"$VIRTPROF" top 1 --stacks --json >"$tmp/top.json" 2>"$tmp/top.err" &
pid=$!
on_exit "kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null"
wait_for 150 grep -q . "$tmp/top.json" || fail "virtprof top did not start: $(cat "$tmp/top.err")"
bpftool -j prog show >"$tmp/progs.json" || fail "bpftool prog show"
# the programs virtprof's process holds: the prog_id of each of its BPF fds
ids=$(grep -h '^prog_id:' /proc/$pid/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un | jq -sc .)
jq --argjson ids "$ids" '[.[] | select(.id as $i | $ids | index($i))]' "$tmp/progs.json" >"$tmp/ours.json"
n=$(jq length "$tmp/ours.json")
tp=$(jq '[.[] | select(.type == "tracing")] | length' "$tmp/ours.json")
raw=$(jq -r '[.[] | select(.type == "raw_tracepoint") | .name] | join(" ")' "$tmp/ours.json")
echo "virtprof holds $n programs: $tp tp_btf; raw_tp: ${raw:-none}"
assert_ge "$tp" 10 "tp_btf programs attached"
# net_flush is a raw_tp on purpose (run on each CPU by BPF_PROG_TEST_RUN, never attached)
for name in $raw; do
	[[ "$name" == *flush* ]] ||
		fail "$name loaded as raw_tp: its tp_btf flavour was refused (virtprof -v says why)"
done
