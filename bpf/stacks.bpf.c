// SPDX-License-Identifier: GPL-2.0
/*
 * Stack sampling: a perf_event CPU-clock program on every CPU (user/stack/sampler.c opens the
 * events) counts samples per (thread, context, kernel stack, user stack, user leaf IP).  Nothing
 * goes through a ring buffer: userspace drains the counts once per interval.
 *
 * The context (task, softirq vector, hardirq, idle) is the accounting's: this object shares
 * account.bpf.c's per-CPU cpu_state (bpf_map__reuse_fd, as net.bpf.c does), so a sample lands in
 * the same bucket the accounting charged that nanosecond to.  preempt_count would say softirq or
 * hardirq but not which vector, and its location moved between kernels (pcpu_hot in 6.2).
 *
 * Two generations, as in the accounting: the programs write counts and stacks of generation
 * `gen`; userspace flips it, drains the old generation's counts and clears its stack map.
 */
#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "virtprof.h"

#define ENOENT 2
#define ENOMEM 12
#define EEXIST 17

char LICENSE[] SEC("license") = "GPL";

__u32 gen = 0;

/*
 * kvm.bpf.c's kvm_pending is shared in (bpf_map__reuse_fd) when the KVM section loaded with
 * kvm_exit/kvm_entry attached; then kvm_on is set and a sample of a thread inside an exit is
 * tagged with it.  Without KVM (no /dev/kvm, a nested PVM host, the section off) the map below is
 * this object's own, never written, and kvm_on is false: the verifier drops the lookup, so the
 * sampler costs what it did before.
 */
const volatile bool kvm_on = false;

struct stack_map {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, VP_STACK_MAX_IDS);
	__type(key, __u32);
	__uint(value_size, VP_STACK_DEPTH * sizeof(__u64));
} stacks0 SEC(".maps"), stacks1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VP_STACK_MAX_KEYS);
	__type(key, struct vp_stack_key);
	__type(value, __u64);
} counts SEC(".maps");

/* account.bpf.c's map, shared by fd before load. */
VP_CPU_STATE_MAP;

VP_DROPS_MAP(drops, VP_STACK_DROP_ALL);

VP_KVM_PENDING_MAP;

/*
 * Processes (by tgid) whose address space userspace has: the value is the mm at that time, so an
 * exec (a new mm) is announced again.  New ones go through the ring buffer once, so userspace
 * reads /proc/PID/maps while the process is alive -- not at the next drain, when a short-lived
 * process may be gone.  This is the only ring buffer traffic, one record per new process.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VP_MAX_THREADS);
	__type(key, __u32);
	__type(value, __u64);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} new_procs SEC(".maps");

static __always_inline void announce(struct task_struct *task, __u32 tgid)
{
	__u64 mm = (__u64)BPF_CORE_READ(task, mm), *seen = bpf_map_lookup_elem(&procs, &tgid);

	if (seen && *seen == mm)
		return;
	bpf_map_update_elem(&procs, &tgid, &mm, BPF_ANY);
	if (bpf_ringbuf_output(&new_procs, &tgid, sizeof(tgid), 0))
		vp_count(&drops, VP_STACK_DROP_ANNOUNCE);
}

/*
 * At the end of every exec, the new image announced whatever the samples announced before: a
 * sample taken inside execve, after the new mm was installed but before the binary was mapped,
 * announces the process with that mm, and userspace then reads maps without the binary -- CI:
 * every frame of a program that ran under 2 s [unknown], its /proc entry gone before the next
 * drain could read the maps again.  sched_process_exec fires once the image is mapped.
 */
static __always_inline int on_exec(struct task_struct *p, bool btf)
{
	__u32 tgid = VP_READ(btf, p, tgid);
	__u64 mm = (__u64)VP_READ(btf, p, mm);

	bpf_map_update_elem(&procs, &tgid, &mm, BPF_ANY);
	if (bpf_ringbuf_output(&new_procs, &tgid, sizeof(tgid), 0))
		vp_count(&drops, VP_STACK_DROP_ANNOUNCE);
	return 0;
}

VP_HOOK(sched_process_exec, on_exec(p, btf), struct task_struct *p)

/* A stack id, or -errno; a full map or a hash collision is a counted loss, "no stack" is not. */
static __always_inline int stack_id(void *ctx, __u32 g, __u64 flags, __u32 why)
{
	long id = g ? bpf_get_stackid(ctx, &stacks1, flags) : bpf_get_stackid(ctx, &stacks0, flags);

	if (id == -ENOMEM || id == -EEXIST)
		vp_count(&drops, why);
	return (int)id;
}

SEC("perf_event")
int sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid(), one = 1, *cnt;
	struct vp_stack_key key = {};
	struct vp_cpu_state *cs;
	__u32 zero = 0, g = gen & 1;
	bool kthread;

	key.tid = (__u32)id;
	key.tgid = id >> 32;
	key.gen = g;
	cs = bpf_map_lookup_elem(&cpu_state, &zero);
	if (cs && cs->hardirq)
		key.ctx = VP_SCTX_HARDIRQ;
	else if (cs && cs->softirq && cs->softirq <= VP_NR_SOFTIRQS)
		key.ctx = cs->softirq;
	else if (!key.tid)
		key.ctx = VP_SCTX_IDLE;
	if (!key.tid)
		key.cpu = bpf_get_smp_processor_id();
	key.kstack = -ENOENT;
	key.ustack = -ENOENT;
	if (key.ctx != VP_SCTX_IDLE) {
		kthread = BPF_CORE_READ(task, flags) & VP_PF_KTHREAD;
		key.kstack = stack_id(ctx, g, 0, VP_STACK_DROP_KSTACK);
		if (key.tid && !kthread) {
			__u64 ip = PT_REGS_IP(&ctx->regs);

			/*
			 * the user registers: the interrupted ones, or the task's saved at kernel
			 * entry.  x86-64 user addresses are the lower half (the context allows only
			 * 8-byte loads, so regs->cs is not read).
			 */
			if ((long)ip >= 0) {
				key.uip = ip;
			} else {
				struct pt_regs *ur = (struct pt_regs *)bpf_task_pt_regs(
					bpf_get_current_task_btf());

				key.uip = BPF_CORE_READ(ur, ip);
			}
			key.ustack = stack_id(ctx, g, BPF_F_USER_STACK, VP_STACK_DROP_USTACK);
			announce(task, key.tgid);
		}
		if (kvm_on && key.tid) {
			/* between kvm_exit and kvm_entry: ts is the exit's time, 0 once re-entered */
			struct vp_kvm_pending *p = bpf_map_lookup_elem(&kvm_pending, &key.tid);

			if (p && p->ts) {
				key.in_exit = 1;
				key.exit_reason = p->reason;
				key.exit_isa = p->isa;
				key.exit_rip = p->rip;
			}
		}
	}
	cnt = bpf_map_lookup_elem(&counts, &key);
	if (cnt) {
		__sync_fetch_and_add(cnt, 1);
		return 0;
	}
	if (bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST)) {
		cnt = bpf_map_lookup_elem(&counts, &key);
		if (cnt)
			__sync_fetch_and_add(cnt, 1);
		else
			vp_count(&drops, VP_STACK_DROP_KEYS_FULL);
	}
	return 0;
}
