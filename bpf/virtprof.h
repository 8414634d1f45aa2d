/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF programs and userspace.  One header, no magic offsets: userspace reads
 * the maps through these structs.
 */
#ifndef VIRTPROF_H
#define VIRTPROF_H

#define VP_COMM_LEN 16
#define VP_NR_SOFTIRQS 10 /* enum { HI_SOFTIRQ ... RCU_SOFTIRQ }, stable since 2.6.x */
#define VP_MAX_THREADS 32768
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
	unsigned int parent_tid;  /* creator at fork (0 if seen before the fork event) */
	unsigned int parent_tgid; /* creator's process: entities are inherited from it */
	unsigned int flags;       /* PF_KTHREAD / PF_USER_WORKER / PF_IO_WORKER */
	unsigned int exited;      /* sched_process_exit seen: report once more, then forget */
	unsigned long long cgid_v2;     /* kernfs id of the thread's cgroup on the v2 hierarchy */
	unsigned long long cgid_v1_cpu; /* kernfs id on the v1 hierarchy holding the cpu controller */
	unsigned long long first_ns;    /* bpf_ktime at first sight */
	char comm[VP_COMM_LEN];
};

/* Per-thread counters for one collection interval (two generations, swapped by userspace). */
struct vp_thread_stats {
	unsigned long long task_ns; /* on-CPU in task context, net of softirq/hardirq time */
	unsigned long long softirq_ns[VP_NR_SOFTIRQS]; /* softirqs run while this thread hosted */
	unsigned long long hardirq_ns;
	unsigned long long rq_delay_ns; /* wakeup (or preemption) to on-CPU */
	unsigned long long rq_delay_max_ns;
	unsigned int nr_rq; /* waits measured */
	unsigned int nvcsw; /* switched out while sleeping */
	unsigned int nivcsw; /* switched out while runnable (preempted) */
	unsigned int nr_softirq;
};

/* Per-CPU accounting state: the open segment and what it accumulated since switch-in. */
struct vp_cpu_state {
	unsigned long long ts;       /* start of the open segment (0 = not yet seen) */
	unsigned long long flush_ts; /* bpf_ktime of the last flush: interval boundary */
	unsigned long long task_acc;
	unsigned long long softirq_acc[VP_NR_SOFTIRQS];
	unsigned long long hardirq_acc;
	unsigned long long rq_acc, rq_max;
	unsigned int nr_rq;
	unsigned int nr_softirq;
	unsigned int cur_tid;  /* owner of the open segment; 0 = idle */
	unsigned int softirq;  /* vector + 1 of the softirq running, 0 when none */
	unsigned int hardirq;  /* nesting depth of irq handlers */
	/*
	 * NET_TX / NET_RX run boundaries, for the network programs (net.bpf.c shares this map by fd)
	 * so that no second program has to sit on the softirq tracepoints, the hottest path.
	 */
	unsigned int net_vec;          /* vector of the last NET_* run */
	unsigned long long net_seq;    /* incremented at every NET_* softirq entry */
	unsigned long long net_start;  /* entry time of the current/last NET_* run */
	unsigned long long net_end;    /* exit time of the last NET_* run (< net_start: running) */
};

#define VP_NET_TX_SOFTIRQ 2
#define VP_NET_RX_SOFTIRQ 3

/* Drop reasons, counted in a per-CPU array; never silent. */
enum vp_drop {
	VP_DROP_STATS_FULL,   /* stats map full: a thread's time for an interval was lost */
	VP_DROP_THREADS_FULL, /* threads map full: a thread without facts (classified "other") */
	VP_DROP_WAKE_FULL,    /* wakeup map full: one run-queue delay not measured */
	VP_DROP_NO_INNER,     /* generation map missing (cannot happen once loaded) */
	VP_DROP_UNBALANCED,   /* irq/softirq exit without entry: segment re-synchronised */
	VP_DROP_MAX,
};

#endif
