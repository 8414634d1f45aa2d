// SPDX-License-Identifier: GPL-2.0
/*
 * KVM: kvm_exit (by reason) -> kvm_entry on the same thread (exit handling time), kvm_entry ->
 * kvm_exit (guest time), kvm_pio and kvm_mmio, per (VM process, vCPU thread).  The tracepoints
 * fire in the vCPU thread, so the current task is the vCPU.  Guest time is exact where exit
 * handling is not: a vCPU in guest mode is on its CPU (any host interrupt exits first), while
 * exit -> entry also spans the time a halted vCPU sleeps.  The vCPU thread's CPU time minus its
 * guest time is what the host spent for it (the EXITS part of VIRT).
 *
 * kvm_exit's arguments changed around v5.12: the reason is no longer an argument (the prototype
 * is now (vcpu, isa)) but computed in TP_fast_assign by the vendor module.  The formatted record (trace_event_raw_kvm_exit) has carried exit_reason and
 * isa in every version, so kvm_exit/kvm_entry are read from the record with CO-RE field checks
 * (vcpu_id appeared later).  kvm_pio/kvm_mmio's leading arguments have not changed: tp_btf first,
 * raw_tp fallback.  Userspace turns off whatever this kernel lacks.
 *
 * Counters are per-CPU and cumulative: userspace takes deltas.
 */
#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "virtprof.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, VP_KVM_MAX_THREADS);
	__type(key, struct vp_kvm_key);
	__type(value, struct vp_kvm_stats);
} kvm_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, VP_KVM_MAX_REASONS);
	__type(key, struct vp_kvm_reason_key);
	__type(value, struct vp_kvm_reason_stats);
} kvm_reasons SEC(".maps");

/*
 * Exit seen, entry not yet: per vCPU thread (LRU: a vCPU thread may exit in between).  The stack
 * sampler reads it too (stacks.bpf.c shares it by fd): a sample between kvm_exit and kvm_entry is
 * tagged with the exit's reason and guest RIP.
 */
VP_KVM_PENDING_MAP;

/* Exits per guest instruction pointer, and PIO/MMIO exits per port / address (virtprof.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VP_KVM_MAX_RIPS);
	__type(key, struct vp_kvm_rip_key);
	__type(value, struct vp_kvm_reason_stats);
} kvm_rips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VP_KVM_MAX_IOS);
	__type(key, struct vp_kvm_io_key);
	__type(value, struct vp_kvm_reason_stats);
} kvm_ios SEC(".maps");

VP_DROPS_MAP(kvm_drops, VP_KVM_DROP_MAX);

static __always_inline void drop(enum vp_kvm_drop why)
{
	vp_count(&kvm_drops, why);
}

static __always_inline struct vp_kvm_stats *thread_stats(struct vp_kvm_key *k)
{
	struct vp_kvm_stats *st;
	__u64 id = bpf_get_current_pid_tgid();

	k->tid = (__u32)id;
	k->tgid = id >> 32;
	st = bpf_map_lookup_elem(&kvm_stats, k);
	if (st)
		return st;
	{
		struct vp_kvm_stats zero = {};

		bpf_get_current_comm(zero.comm, sizeof(zero.comm));
		bpf_map_update_elem(&kvm_stats, k, &zero, BPF_NOEXIST);
	}
	st = bpf_map_lookup_elem(&kvm_stats, k);
	if (!st)
		drop(VP_KVM_DROP_THREADS_FULL);
	return st;
}

/*
 * The port / address of the exit in progress on this vCPU thread, counted once per exit when it
 * re-enters (an MMIO read fires kvm_mmio twice: unsatisfied, then on completion).
 */
static __always_inline void io_of_exit(__u32 tid, unsigned int kind, unsigned int write, __u64 addr)
{
	struct vp_kvm_pending *p = bpf_map_lookup_elem(&kvm_pending, &tid);

	if (p && p->ts) {
		p->io_kind = kind;
		p->io_write = write;
		p->io_addr = addr;
	}
}

static __always_inline int on_pio(unsigned int rw, unsigned int port)
{
	struct vp_kvm_key k;
	struct vp_kvm_stats *st = thread_stats(&k);

	if (st)
		st->pio[rw ? 1 : 0]++;
	io_of_exit(k.tid, VP_KVM_IO_PIO, rw ? 1 : 0, port);
	return 0;
}

static __always_inline int on_mmio(int type, __u64 gpa)
{
	struct vp_kvm_key k;
	struct vp_kvm_stats *st = thread_stats(&k);

	if (st && type >= 0 && type < 3)
		st->mmio[type]++;
	io_of_exit(k.tid, VP_KVM_IO_MMIO, type == 2, gpa);
	return 0;
}

/* count + handling time under a key of a plain hash (bounded: a drop when full) */
static __always_inline void add_time(void *map, const void *key, __u64 d, enum vp_kvm_drop why)
{
	struct vp_kvm_reason_stats *v = bpf_map_lookup_elem(map, key);

	if (!v) {
		struct vp_kvm_reason_stats zero = {};

		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(map, key);
	}
	if (!v) {
		drop(why);
		return;
	}
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_add(&v->handle_ns, d);
}

/* kvm_exit record; flavour name so CO-RE matches trace_event_raw_kvm_exit of any version. */
struct trace_event_raw_kvm_exit___vp {
	unsigned int exit_reason;
	unsigned long guest_rip;
	u32 isa;
	unsigned int vcpu_id;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_entry___vp {
	unsigned int vcpu_id;
} __attribute__((preserve_access_index));

SEC("tracepoint/kvm/kvm_exit")
int tp_kvm_exit(struct trace_event_raw_kvm_exit___vp *ctx)
{
	struct vp_kvm_pending p = {}, *prev;
	struct vp_kvm_stats *st;
	struct vp_kvm_key k;

	p.ts = bpf_ktime_get_ns();
	p.reason = BPF_CORE_READ(ctx, exit_reason);
	if (bpf_core_field_exists(ctx->isa))
		p.isa = BPF_CORE_READ(ctx, isa);
	if (bpf_core_field_exists(ctx->guest_rip))
		p.rip = BPF_CORE_READ(ctx, guest_rip);
	st = thread_stats(&k);
	if (st) {
		st->exits++;
		if (bpf_core_field_exists(ctx->vcpu_id)) {
			st->vcpu_id = BPF_CORE_READ(ctx, vcpu_id);
			st->has_vcpu_id = 1;
		}
	}
	/* Every exit after the first finds its vCPU's entry: close the guest run in place. */
	prev = bpf_map_lookup_elem(&kvm_pending, &k.tid);
	if (prev) {
		__u64 ts = p.ts;

		if (st && prev->entry_ts && ts > prev->entry_ts)
			st->guest_ns += ts - prev->entry_ts;
		/*
		 * The stack sampler reads this entry from its interrupt on this CPU (stacks.bpf.c)
		 * and trusts it while ts != 0: ts goes to 0 before the other fields change and to
		 * the new exit's time after them, so a sample landing mid-update sees no exit
		 * rather than the new reason with the old guest RIP.
		 */
		prev->ts = 0;
		barrier();
		p.ts = 0;
		*prev = p;
		barrier();
		prev->ts = ts;
		return 0;
	}
	if (bpf_map_update_elem(&kvm_pending, &k.tid, &p, BPF_ANY))
		drop(VP_KVM_DROP_PENDING_FULL);
	return 0;
}

SEC("tracepoint/kvm/kvm_entry")
int tp_kvm_entry(struct trace_event_raw_kvm_entry___vp *ctx)
{
	struct vp_kvm_reason_key rk = {};
	struct vp_kvm_rip_key ipk = {};
	struct vp_kvm_reason_stats *rs;
	struct vp_kvm_pending *p;
	struct vp_kvm_stats *st;
	struct vp_kvm_key k;
	__u64 now = bpf_ktime_get_ns(), d;

	st = thread_stats(&k);
	if (!st)
		return 0;
	st->entries++;
	if (bpf_core_field_exists(ctx->vcpu_id)) {
		st->vcpu_id = BPF_CORE_READ(ctx, vcpu_id);
		st->has_vcpu_id = 1;
	}
	p = bpf_map_lookup_elem(&kvm_pending, &k.tid);
	if (!p) {
		/* first entry of the vCPU: guest time starts here */
		struct vp_kvm_pending e = { .entry_ts = now };

		if (bpf_map_update_elem(&kvm_pending, &k.tid, &e, BPF_ANY))
			drop(VP_KVM_DROP_PENDING_FULL);
		return 0;
	}
	p->entry_ts = now;
	if (!p->ts)
		return 0; /* two entries in a row: nothing to time */
	d = now - p->ts;
	p->ts = 0;
	st->handle_ns += d;
	rk.tgid = k.tgid;
	rk.tid = k.tid;
	rk.reason = p->reason;
	rk.isa = p->isa;
	rs = bpf_map_lookup_elem(&kvm_reasons, &rk);
	if (!rs) {
		struct vp_kvm_reason_stats zero = {};

		bpf_map_update_elem(&kvm_reasons, &rk, &zero, BPF_NOEXIST);
		rs = bpf_map_lookup_elem(&kvm_reasons, &rk);
	}
	if (rs) {
		rs->count++;
		rs->handle_ns += d;
	} else {
		drop(VP_KVM_DROP_REASONS_FULL);
	}
	ipk.tgid = k.tgid;
	ipk.tid = k.tid;
	ipk.reason = p->reason;
	ipk.isa = p->isa;
	ipk.rip = p->rip;
	add_time(&kvm_rips, &ipk, d, VP_KVM_DROP_RIPS_FULL);
	if (p->io_kind) {
		struct vp_kvm_io_key iok = {
			.tgid = k.tgid,
			.kind = p->io_kind,
			.write = p->io_write,
			.addr = p->io_addr,
		};

		add_time(&kvm_ios, &iok, d, VP_KVM_DROP_IOS_FULL);
		p->io_kind = 0;
	}
	return 0;
}

VP_HOOK(kvm_pio, ((void)btf, on_pio(rw, port)), unsigned int rw, unsigned int port)
VP_HOOK(kvm_mmio, ((void)btf, on_mmio(type, gpa)), int type, int len, u64 gpa)
