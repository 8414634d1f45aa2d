/* SPDX-License-Identifier: GPL-2.0 */
/* Map helpers every virtprof BPF object uses. */
#ifndef VP_MAPS_BPF_H
#define VP_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

/*
 * Count one event in a per-CPU array of u64 counters (drop reasons): per-CPU, so a plain add.
 * `map` is a compile-time constant in every caller (always_inline).
 */
static __always_inline void vp_count(void *map, __u32 key)
{
	__u64 *v = bpf_map_lookup_elem(map, &key);

	if (v)
		(*v)++;
}

/*
 * account.bpf.c's per-CPU accounting state (struct vp_cpu_state).  Defined by the accounting;
 * net.bpf.c and stacks.bpf.c declare the same map and share it by fd (bpf_map__reuse_fd) before
 * load, so the softirq/hardirq context is known without a second program on those tracepoints.
 */
#define VP_CPU_STATE_MAP                                 \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, 1);                  \
		__type(key, __u32);                      \
		__type(value, struct vp_cpu_state);      \
	} cpu_state SEC(".maps")

/*
 * kvm.bpf.c's per-vCPU-thread exit state (struct vp_kvm_pending): the exit a vCPU thread is
 * handling, between kvm_exit and kvm_entry.  stacks.bpf.c declares the same map and takes
 * kvm.bpf.c's by fd (bpf_map__reuse_fd) before load, so a sample in an exit is tagged with it.
 */
#define VP_KVM_PENDING_MAP                               \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);     \
		__uint(max_entries, VP_KVM_MAX_THREADS); \
		__type(key, __u32);                      \
		__type(value, struct vp_kvm_pending);    \
	} kvm_pending SEC(".maps")

/* Per-CPU u64 counters by reason (vp_count), n reasons. */
#define VP_DROPS_MAP(name, n)                            \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, n);                  \
		__type(key, __u32);                      \
		__type(value, __u64);                    \
	} name SEC(".maps")

#endif
