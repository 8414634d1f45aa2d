/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF programs and userspace.  One header, no magic offsets: userspace reads
 * the maps through these structs.
 */
#ifndef VIRTPROF_H
#define VIRTPROF_H

#define VP_COMM_LEN 16
#define VP_NR_SOFTIRQS 10 /* enum { HI_SOFTIRQ ... RCU_SOFTIRQ }, stable since 2.6.x */
/*
 * Threads the per-thread maps hold by default (stats per generation, facts): a host with
 * 100,000 threads and room to spare.  --max-threads sizes them (and userspace) at load; past
 * that a thread's charges are counted as drops (VP_DROP_STATS_FULL), never lost silently.
 */
#define VP_MAX_THREADS 131072
#define VP_MAX_THREADS_MIN 64
#define VP_MAX_THREADS_MAX (1 << 22) /* pid_max's ceiling */
#define VP_MAX_CPUS 512

/* task_struct->flags bits; #defines, so not in BTF.  Values stable since they were introduced. */
#define VP_PF_IO_WORKER 0x00000010
#define VP_PF_USER_WORKER 0x00004000 /* v6.4, commit 54e6842d0775 */
#define VP_PF_KTHREAD 0x00200000

/*
 * Stats key: the thread id, except that the idle tasks (pid 0 on every CPU) get one key per CPU so
 * that no two CPUs ever update the same entry concurrently.  pid_max is at most 2^22.
 */
#define VP_IDLE_KEY_BASE 0xffff0000u
#define VP_IS_IDLE_KEY(k) ((k) >= VP_IDLE_KEY_BASE)

/* Persistent facts about a thread, recorded at first sight and updated at exec / cgroup move. */
struct vp_thread_info {
	unsigned int tid;
	unsigned int tgid;
	unsigned int parent_tid;	/* creator at fork (0 if seen before the fork event) */
	unsigned int parent_tgid;	/* creator's process: entities are inherited from it */
	unsigned int flags;		/* PF_KTHREAD / PF_USER_WORKER / PF_IO_WORKER */
	unsigned int exited;		/* sched_process_exit seen: report once more, then forget */
	unsigned long long cgid_v2;	/* kernfs id of the thread's cgroup on the v2 hierarchy */
	unsigned long long cgid_v1_cpu; /* kernfs id on the v1 hierarchy holding the cpu controller */
	unsigned long long first_ns;	/* bpf_ktime at first sight */
	char comm[VP_COMM_LEN];
};

/* Per-thread counters for one collection interval (two generations, swapped by userspace). */
struct vp_thread_stats {
	unsigned long long task_ns; /* on-CPU in task context, net of softirq/hardirq time */
	unsigned long long softirq_ns[VP_NR_SOFTIRQS]; /* softirqs run while this thread hosted */
	unsigned long long hardirq_ns;
	unsigned long long rq_delay_ns; /* wakeup (or preemption) to on-CPU */
	unsigned long long rq_delay_max_ns;
	unsigned int nr_rq;  /* waits measured */
	unsigned int nvcsw;  /* switched out while sleeping */
	unsigned int nivcsw; /* switched out while runnable (preempted) */
	unsigned int nr_softirq;
};

/* d += a: userspace's sums of per-thread stats (the BPF write-back adds atomically: account.bpf.c) */
static inline __attribute__((always_inline)) void vp_stats_add(struct vp_thread_stats *d,
							       const struct vp_thread_stats *a)
{
	d->task_ns += a->task_ns;
	for (int i = 0; i < VP_NR_SOFTIRQS; i++)
		d->softirq_ns[i] += a->softirq_ns[i];
	d->hardirq_ns += a->hardirq_ns;
	d->rq_delay_ns += a->rq_delay_ns;
	if (a->rq_delay_max_ns > d->rq_delay_max_ns)
		d->rq_delay_max_ns = a->rq_delay_max_ns;
	d->nr_rq += a->nr_rq;
	d->nvcsw += a->nvcsw;
	d->nivcsw += a->nivcsw;
	d->nr_softirq += a->nr_softirq;
}

/* Per-CPU accounting state: the open segment and what it accumulated since switch-in. */
struct vp_cpu_state {
	unsigned long long ts;	     /* start of the open segment (0 = not yet seen) */
	unsigned long long flush_ts; /* bpf_ktime of the last flush: interval boundary */
	unsigned long long task_acc;
	unsigned long long softirq_acc[VP_NR_SOFTIRQS];
	unsigned long long hardirq_acc;
	unsigned long long rq_acc, rq_max;
	unsigned int nr_rq;
	unsigned int nr_softirq;
	unsigned int cur_tid; /* owner of the open segment; 0 = idle */
	unsigned int softirq; /* vector + 1 of the softirq running, 0 when none */
	unsigned int hardirq; /* nesting depth of irq handlers */
	/*
	 * NET_TX / NET_RX run boundaries, for the network programs (net.bpf.c shares this map by fd)
	 * so that no second program has to sit on the softirq tracepoints, the hottest path.
	 */
	unsigned int net_vec;	      /* vector of the last NET_* run */
	unsigned long long net_seq;   /* incremented at every NET_* softirq entry */
	unsigned long long net_start; /* entry time of the current/last NET_* run */
	unsigned long long net_end;   /* exit time of the last NET_* run (< net_start: running) */
	unsigned int sirq_dirty;      /* softirq_acc holds time not yet charged */
	unsigned int pad2;
	/* bpf_ktime - rq->clock (sched_clock): in use, minimum of the current window, its start */
	long long clk_off, clk_off_min;
	unsigned long long clk_win_ts;
	unsigned long long steal_prev; /* rq->prev_steal_time_rq at the last reading */
	/* task ns the last flush left open for the next interval (see flush_carry) */
	unsigned long long flush_carry;
};

#define VP_NET_TX_SOFTIRQ 2
#define VP_NET_RX_SOFTIRQ 3
#define VP_BLOCK_SOFTIRQ 4

/* Drop reasons, counted in a per-CPU array; never silent. */
enum vp_drop {
	VP_DROP_STATS_FULL,   /* stats map full: a thread's time for an interval was lost */
	VP_DROP_THREADS_FULL, /* threads map full: a thread without facts (classified "other") */
	VP_DROP_WAKE_FULL,    /* run-queue state not stored (hash full): one delay not measured */
	VP_DROP_NO_INNER,     /* generation map missing (cannot happen once loaded) */
	VP_DROP_UNBALANCED,   /* irq/softirq exit without entry: segment re-synchronised */
	VP_DROP_MAX,
};

/*
 * ==== I/O sections: network path, block I/O, KVM (net.bpf.c, block.bpf.c, kvm.bpf.c) ====
 * Owned by the I/O module (user/iosections, netpath, blockio, kvmexit).  All counters here are
 * per-CPU and cumulative since load; userspace reads them as deltas, so nothing is reset and
 * nothing is lost between read and reset.
 */
#define VP_NET_MAX_DEVS 4096
#define VP_NET_KIND_LEN 16
#define VP_IFF_LOOPBACK 0x8

/* A network device: (network namespace inode, ifindex). */
struct vp_net_key {
	unsigned int netns;
	int ifindex;
};

struct vp_net_stats {
	unsigned long long rx_pkts, rx_bytes; /* netif_receive_skb; bytes include the L2 header */
	unsigned long long tx_pkts, tx_bytes; /* net_dev_xmit with rc == NETDEV_TX_OK */
	unsigned long long sirq_ns[2]; /* NET_TX [0] / NET_RX [1] softirq time charged here */
	unsigned long long proc_ns;    /* netif_receive_skb entry->exit in process context (bh off):
				       * a tap write by qemu or a vhost worker runs the host stack */
	unsigned long long proc_pkts;  /* packets handled in process context (not in a softirq) */
	unsigned long long napi_polls, napi_work;
};

/* Facts about a device at first sight (kept after the device is gone). */
/*
 * Which device holds a key: its struct net_device's address and its netns's cookie.  The key is
 * not unique over time: a netns made after one was deleted may take its inode, and a fresh netns
 * numbers its devices from 1 again (a pod's eth0 after the last pod's).  The address is not
 * either: the slab may hand a new device the freed one's.  A netns cookie is never reused (0 on a
 * kernel without net->net_cookie).
 */
struct vp_net_ident {
	unsigned long long dev;
	unsigned long long netns_cookie;
};

struct vp_net_dev_info {
	struct vp_net_key key;
	char name[16];
	char kind[VP_NET_KIND_LEN]; /* rtnl_link_ops->kind: "veth", "tun", "bridge"; "" if none */
	unsigned int flags;	    /* dev->flags (IFF_*) */
	struct vp_net_key peer;	    /* veth: the other end; zero otherwise */
	struct vp_net_ident ident;
};

/*
 * Per-CPU packet cache (net.bpf.c private): counters of the few devices this CPU is handling,
 * added to net_stats when a NET_* run ends with many devices cached and at the interval flush,
 * so the per-packet path touches no hash map.  run_pkts are the packets of each device in the
 * current NET_* run: the run's duration is split in proportion to them when it ends.
 */
#define VP_NET_SLOTS 8

struct vp_net_slot {
	struct vp_net_key key;
	unsigned int used;
	unsigned int run_pkts;
	struct vp_net_ident ident; /* the device's (vp_net_dev_info.ident) */
	struct vp_net_stats acc;
};

struct vp_net_cache {
	unsigned long long seq;	  /* cpu_state.net_seq of the run the run_pkts belong to */
	unsigned long long start; /* time from which that run is still to be charged */
	unsigned int vec;
	unsigned int have; /* packets seen in that run */
	unsigned int busy; /* a handler is updating: a nested handler or the flush IPI keeps off */
	unsigned int nused;
	unsigned int last; /* slot of the last packet, tried first (one device per run is usual) */
	unsigned int run_devs; /* devices with packets in the run: with one, run_slot names it */
	unsigned int run_slot;
	unsigned int pad;
	struct vp_net_slot slot[VP_NET_SLOTS];
};

/* Per-CPU: a process-context netif_receive_skb in progress (nesting: bridge -> upper device). */
struct vp_net_proc {
	unsigned long long ts;
	struct vp_net_key key;
	unsigned int depth;
	unsigned int pad;
};

enum vp_net_drop {
	VP_NET_DROP_DEVS_FULL, /* device map full: that device's packets are not counted */
	VP_NET_DROP_TAIL, /* end of a run not known (run ended, others followed): tail unsplit */
	VP_NET_DROP_PROC, /* process-context receive not timed (unbalanced entry/exit) */
	VP_NET_DROP_UNCACHED, /* packet counted without a share of its run's time (cache busy/full) */
	VP_NET_DROP_MAX,
};

#define VP_BLK_MAX_KEYS 16384
#define VP_BLK_MAX_INFLIGHT 65536
#define VP_BLK_HIST 24 /* log2 buckets of latency in microseconds: [2^i, 2^(i+1)) us, 0: < 2 us */
#define VP_PF_WQ_WORKER 0x00000020

enum vp_blk_flag {
	VP_BLK_KTHREAD = 1,  /* submitted by a kernel thread */
	VP_BLK_WQ = 2,	     /* ... that is a workqueue worker (writeback kworker for writes) */
	VP_BLK_NO_BLKCG = 4, /* the bio carried no blkcg: owner is the submitting thread */
	VP_BLK_META = 8,     /* REQ_META: filesystem metadata (a journal commit, a fast commit) */
};

struct vp_blk_key {
	unsigned long long cgid; /* kernfs id of the bio's blkcg cgroup (0: none) */
	unsigned int tid, tgid;	 /* submitting thread */
	unsigned int dev;	 /* kernel dev_t: major << 20 | minor */
	unsigned short op;	 /* REQ_OP_* */
	unsigned short flags;	 /* vp_blk_flag */
};

struct vp_blk_stats {
	unsigned long long ops, bytes, errors;
	unsigned long long lat_ns, lat_max_ns;
	unsigned long long hist[VP_BLK_HIST];
	char comm[VP_COMM_LEN]; /* submitter, at first sight */
};

struct vp_blk_inflight {
	struct vp_blk_key key;
	unsigned long long ts, bytes;
	char comm[VP_COMM_LEN]; /* submitter */
};

enum vp_blk_drop {
	VP_BLK_DROP_INFLIGHT_FULL, /* an I/O not timed */
	VP_BLK_DROP_KEYS_FULL,	   /* an I/O not counted */
	VP_BLK_DROP_MAX,
};

#define VP_KVM_MAX_THREADS 4096
#define VP_KVM_MAX_REASONS 16384

struct vp_kvm_key {
	unsigned int tgid, tid;
};

struct vp_kvm_stats {
	unsigned long long pio[2];    /* kvm_pio: [0] in (rw 0), [1] out */
	unsigned long long mmio[3];   /* kvm_mmio: read-unsatisfied, read, write */
	unsigned long long exits;     /* kvm_exit */
	unsigned long long entries;   /* kvm_entry */
	unsigned long long handle_ns; /* kvm_exit -> next kvm_entry on the same thread */
	unsigned long long guest_ns;  /* kvm_entry -> next kvm_exit: in guest mode, always on-CPU */
	unsigned int vcpu_id;	      /* from kvm_exit/kvm_entry, when they fire */
	unsigned int has_vcpu_id;
	char comm[VP_COMM_LEN];
};

struct vp_kvm_reason_key {
	unsigned int tgid, tid;
	unsigned int reason;
	unsigned int isa; /* 1 VMX, 2 SVM (KVM_ISA_*) */
};

struct vp_kvm_reason_stats {
	unsigned long long count, handle_ns;
};

/*
 * Exits per (vCPU thread, reason, guest instruction pointer): kvm_exit's guest_rip, counted with
 * the exit's handling time when the vCPU re-enters.  Bounded: a full map counts a drop.
 */
#define VP_KVM_MAX_RIPS 16384

struct vp_kvm_rip_key {
	unsigned int tgid, tid;
	unsigned int reason, isa;
	unsigned long long rip;
};

/* PIO / MMIO exits per (VM process, kind, port or guest-physical address, direction). */
#define VP_KVM_MAX_IOS 4096
enum vp_kvm_io_kind { VP_KVM_IO_NONE, VP_KVM_IO_PIO, VP_KVM_IO_MMIO };

struct vp_kvm_io_key {
	unsigned int tgid;
	unsigned int kind;  /* enum vp_kvm_io_kind */
	unsigned int write; /* PIO out / MMIO write */
	unsigned int pad;
	unsigned long long addr; /* port, or guest-physical address */
};

/* Per vCPU thread: the last exit not yet followed by an entry, or the last entry. */
struct vp_kvm_pending {
	unsigned long long ts;	     /* kvm_exit time, 0 once the vCPU re-entered */
	unsigned long long entry_ts; /* kvm_entry time, 0 once it exited */
	unsigned int reason, isa;
	unsigned long long rip;	    /* kvm_exit's guest_rip (0: the kernel lacks the field) */
	unsigned long long io_addr; /* kvm_pio port / kvm_mmio gpa of this exit */
	unsigned int io_kind, io_write;
};

enum vp_kvm_drop {
	VP_KVM_DROP_THREADS_FULL,
	VP_KVM_DROP_REASONS_FULL,
	VP_KVM_DROP_PENDING_FULL,
	VP_KVM_DROP_RIPS_FULL,
	VP_KVM_DROP_IOS_FULL,
	VP_KVM_DROP_MAX,
};

/*
 * ==== Stack sampling (stacks.bpf.c, user/stack/sampler.c) ====
 * A perf_event CPU-clock program on every CPU counts samples per (thread, context, kernel stack,
 * user stack) in a hash; the stacks live in two STACK_TRACE maps, one per generation, so that
 * userspace drains and clears one generation while the programs write the other.
 */
#define VP_STACK_MAX_KEYS 16384 /* the least: user/stack/sampler.c sizes it by rate and CPUs */
#define VP_STACK_MAX_IDS 8192
#define VP_STACK_DEPTH 127 /* PERF_MAX_STACK_DEPTH's default */

/* Context of a sample: the accounting's own buckets (account.bpf.c cpu_state). */
#define VP_SCTX_TASK 0
/* 1 .. VP_NR_SOFTIRQS: softirq vector + 1 */
#define VP_SCTX_HARDIRQ (VP_NR_SOFTIRQS + 1)
#define VP_SCTX_IDLE (VP_NR_SOFTIRQS + 2)

struct vp_stack_key {
	unsigned int tid; /* 0: the CPU's idle task */
	unsigned int tgid;
	int kstack; /* stack id in the generation's stack map; < 0: -errno, none */
	int ustack;
	unsigned long long uip; /* user leaf IP (0: a kernel thread), even when ustack failed */
	unsigned int ctx;	/* VP_SCTX_* */
	unsigned short cpu;	/* only for tid 0 (idle keys are per CPU); else 0 */
	unsigned short gen;
	/*
	 * A vCPU thread sampled inside a KVM exit (kvm.bpf.c's kvm_pending: after kvm_exit, before
	 * kvm_entry): in_exit 1, the exit's reason, ISA (1 VMX, 2 SVM) and guest RIP (0: unknown).
	 */
	unsigned int exit_reason;
	unsigned short exit_isa;
	unsigned short in_exit;
	unsigned long long exit_rip;
};

enum vp_stack_drop {
	VP_STACK_DROP_KEYS_FULL, /* count map full: a sample lost */
	VP_STACK_DROP_KSTACK,	 /* kernel stack not recorded (stack map full or collision) */
	VP_STACK_DROP_USTACK, /* user stack not recorded (full, collision; not "no user stack") */
	VP_STACK_DROP_MAX,
	VP_STACK_DROP_ANNOUNCE = VP_STACK_DROP_MAX, /* new process not announced (ring full) */
	VP_STACK_DROP_ALL,
};

#endif
