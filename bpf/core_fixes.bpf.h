/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-version differences, all in one place, resolved with CO-RE. */
#ifndef VP_CORE_FIXES_BPF_H
#define VP_CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

/* task_struct::state became __state in v5.14 (commit 2f064a59a11f). */
struct task_struct___o {
	volatile long int state;
} __attribute__((preserve_access_index));

/*
 * tp_btf programs get trusted BTF pointers and may load fields directly (still CO-RE relocated);
 * raw_tp programs must go through bpf_probe_read_kernel.  On the scheduler hot path that is the
 * difference between a load and a helper call per field.  `btf` is a compile-time constant in
 * every caller (always_inline), so the other branch is never emitted.
 */
#define VP_READ(btf, p, field) ((btf) ? (p)->field : BPF_CORE_READ(p, field))

/*
 * Every hook twice: tp_btf (trusted BTF pointers, direct loads) and raw_tp (probe reads), both
 * one-line stubs around the shared handler; `btf` tells the handler which it is.
 */
#define VP_HOOK(tp, call, ...)                \
	SEC("tp_btf/" #tp)                    \
	int BPF_PROG(tp_##tp, ##__VA_ARGS__)  \
	{                                     \
		const bool btf = true;        \
		return call;                  \
	}                                     \
	SEC("raw_tp/" #tp)                    \
	int BPF_PROG(raw_##tp, ##__VA_ARGS__) \
	{                                     \
		const bool btf = false;       \
		return call;                  \
	}

static __always_inline long vp_task_state(struct task_struct *t, bool btf)
{
	if (bpf_core_field_exists(t->__state))
		return VP_READ(btf, t, __state);
	return VP_READ(btf, (struct task_struct___o *)t, state);
}

/*
 * The cgroup id on the hierarchy that has the cpu controller (cgroup v1).  The subsystem index is
 * an enum whose value depends on the kernel config, so it is looked up with CO-RE.
 */
static __always_inline __u64 vp_task_cgid_v1_cpu(struct task_struct *t)
{
	int idx = 0;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id))
		return 0;
	idx = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
	if (idx < 0 || idx >= 16)
		return 0;
	return BPF_CORE_READ(t, cgroups, subsys[idx], cgroup, kn, id);
}

/* The cgroup id on the default (v2) hierarchy, valid also in a hybrid layout. */
static __always_inline __u64 vp_task_cgid_v2(struct task_struct *t)
{
	return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

/* The CPU a task is queued on: thread_info.cpu with THREAD_INFO_IN_TASK (x86), else task->cpu. */
struct task_struct___cpu {
	unsigned int cpu;
} __attribute__((preserve_access_index));

static __always_inline __u32 vp_task_cpu(struct task_struct *t)
{
	if (bpf_core_field_exists(t->thread_info.cpu))
		return BPF_CORE_READ(t, thread_info.cpu);
	return BPF_CORE_READ((struct task_struct___cpu *)t, cpu);
}

/*
 * The run queue a task is queued on, without the `runqueues` per-CPU symbol (typed ksyms need
 * KALLSYMS_ALL for data symbols, which distribution and VM kernels often lack): the task's
 * cfs_rq points back to its rq with FAIR_GROUP_SCHED, and is embedded in it without.
 */
struct cfs_rq___grp {
	struct rq *rq;
} __attribute__((preserve_access_index));

/*
 * Whether the rq's fields can be loaded directly: in tp_btf, next->se.cfs_rq->rq is a BTF
 * pointer (FAIR_GROUP_SCHED); computed back from an embedded cfs_rq it is not, and is read with
 * probe reads.  A load-time constant: the other branch is never verified.
 */
static __always_inline bool vp_rq_direct(bool btf)
{
	struct cfs_rq___grp *g = 0;

	return btf && bpf_core_field_exists(g->rq);
}

#define VP_RQ_READ(btf, rq, field) VP_READ(vp_rq_direct(btf), rq, field)

static __always_inline struct rq *vp_task_rq(struct task_struct *t, bool btf)
{
	struct cfs_rq *cfs = VP_READ(btf, t, se.cfs_rq);

	if (!cfs)
		return NULL;
	if (bpf_core_field_exists(((struct cfs_rq___grp *)cfs)->rq))
		return VP_READ(btf, (struct cfs_rq___grp *)cfs, rq);
	return (struct rq *)((char *)cfs - bpf_core_field_offset(struct rq, cfs));
}

#endif
