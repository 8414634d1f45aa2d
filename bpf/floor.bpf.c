// SPDX-License-Identifier: GPL-2.0
/*
 * The cost floor of a program on the tracepoints virtprof's hottest handlers use, for
 * scripts/bench/floor.sh (through tests/helpers/probe_floor): not part of the tool.
 *
 * Two programs per tracepoint, attached beside virtprof's own in the same run:
 *   empty_*  returns at once: the tracepoint's dispatch into BPF (recursion check, RCU, the
 *            indirect call) plus what kernel bpf_stats adds around every run;
 *   clock_*  the same plus one bpf_ktime_get_ns(), stored per CPU so it is not optimized away:
 *            the least an accounting handler can do, since a boundary needs a timestamp.
 * A handler's ns/event above clock_* is what its own work costs; clock_* times the events per
 * request is what any timing program on these tracepoints costs, whatever it does.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last SEC(".maps");

static __always_inline int stamp(void)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&last, &zero);

	if (v)
		*v = bpf_ktime_get_ns();
	return 0;
}

/* Short names: the kernel keeps 15 characters of a program's name, and the bench tells them apart. */
#define FLOOR(tp, name)                  \
	SEC("tp_btf/" #tp)               \
	int BPF_PROG(empty_##name)       \
	{                                \
		return 0;                \
	}                                \
	SEC("tp_btf/" #tp)               \
	int BPF_PROG(clock_##name)       \
	{                                \
		return stamp();          \
	}

FLOOR(sched_switch, switch)
FLOOR(softirq_entry, sirq_in)
FLOOR(softirq_exit, sirq_out)
FLOOR(net_dev_xmit, xmit)
FLOOR(netif_receive_skb, rcv)
