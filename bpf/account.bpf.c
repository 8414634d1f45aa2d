// SPDX-License-Identifier: GPL-2.0
/*
 * CPU accounting: every nanosecond of every CPU lands in exactly one bucket,
 * (thread, context) with context in {task, softirq[vec], hardirq}, or the CPU's idle time.
 *
 * Each CPU has one open segment that starts at cpu_state.ts.  sched_switch closes it for the
 * thread going off-CPU; softirq and irq-handler entry/exit close it and open one in the new
 * context, so irq time is carved out of the interrupted thread's time and never counted twice.
 * The hot handlers (softirq/irq) touch only the per-CPU state; at a switch-out its accumulators
 * go to the thread's per-CPU slot (`owners`), which reaches the per-thread hash when the slot is
 * reused and at every flush.
 *
 * Userspace reads an interval by (1) running `flush` on every CPU (BPF_PROG_TEST_RUN with
 * BPF_F_TEST_RUN_ON_CPU), which charges the open segments and stamps the boundary, (2) flipping
 * `gen`, (3) draining the old generation's maps.  Nothing is lost between read and reset.
 *
 * Every program exists as tp_btf and raw_tp; both call one handler.  Userspace picks the flavour
 * that loads (tp_btf needs v5.5+ BTF-enabled tracing).
 */
#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "virtprof.h"

char LICENSE[] SEC("license") = "GPL";

/* Generation the programs write to; flipped by userspace (in .bss, mmap'ed). */
__u32 gen = 0;

struct stats_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VP_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct vp_thread_stats);
} stats0 SEC(".maps"), stats1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct stats_map);
} stats SEC(".maps") = {
	.values = { &stats0, &stats1 },
};

/* Idle ns per generation (index gen), and steal ns (index 2 + gen), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} idle SEC(".maps");

VP_CPU_STATE_MAP;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VP_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct vp_thread_info);
} threads SEC(".maps");

/*
 * Run-queue delay is the kernel's own (schedstat's run_delay, CONFIG_SCHED_INFO, on in every
 * distribution kernel through TASK_DELAY_ACCT or SCHEDSTATS): at the switch, next's run_delay
 * plus the wait in progress (rq->clock - last_queued, what the arrival adds right after the
 * tracepoint) less what was seen at its previous switch-in is the wait(s) since -- a wait split
 * by a migration included.  So no program sits on sched_wakeup.  Kernels without sched_info
 * (rq_wakeup, set by userspace) time wakeup -> switch instead.
 *
 * Per thread: the run_delay total last seen (VP_RQ_SEEN set), or with rq_wakeup the time it
 * became runnable.  The tp_btf flavour keeps it in task-local storage (no hash insert/delete on
 * the hottest scheduler event); the raw_tp flavour, for kernels where task storage is not usable
 * from tracing programs, uses the hash.
 */
const volatile bool rq_wakeup = false;

#define VP_RQ_SEEN (1ULL << 63)

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} wake_store SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VP_MAX_THREADS);
	__type(key, __u32);
	__type(value, __u64);
} wake_ts SEC(".maps");

VP_DROPS_MAP(drops, VP_DROP_MAX);

static __always_inline void drop(enum vp_drop why)
{
	vp_count(&drops, why);
}

static __always_inline struct vp_cpu_state *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state, &zero);
}

static __always_inline void fill_info(struct vp_thread_info *ti, struct task_struct *t)
{
	ti->tid = BPF_CORE_READ(t, pid);
	ti->tgid = BPF_CORE_READ(t, tgid);
	ti->flags = BPF_CORE_READ(t, flags) & (VP_PF_KTHREAD | VP_PF_USER_WORKER | VP_PF_IO_WORKER);
	ti->cgid_v2 = vp_task_cgid_v2(t);
	ti->cgid_v1_cpu = vp_task_cgid_v1_cpu(t);
	BPF_CORE_READ_STR_INTO(&ti->comm, t, comm);
}

/* Record a thread's facts the first time it is seen, so exited threads can still be attributed. */
static __always_inline void see_thread(struct task_struct *t, __u32 tid)
{
	struct vp_thread_info ti = {};

	if (bpf_map_lookup_elem(&threads, &tid))
		return;
	fill_info(&ti, t);
	ti.first_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&threads, &tid, &ti, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&threads, &tid))
		drop(VP_DROP_THREADS_FULL);
}

static __always_inline struct vp_thread_stats *stats_of(__u32 key, struct task_struct *t)
{
	struct vp_thread_stats zero = {};
	struct vp_thread_stats *st;
	__u32 g = gen & 1;
	void *m;

	m = bpf_map_lookup_elem(&stats, &g);
	if (!m) {
		drop(VP_DROP_NO_INNER);
		return NULL;
	}
	st = bpf_map_lookup_elem(m, &key);
	if (st)
		return st;
	/* First charge of this thread in this interval: also make sure its facts are recorded. */
	if (t && !VP_IS_IDLE_KEY(key))
		see_thread(t, key);
	bpf_map_update_elem(m, &key, &zero, BPF_NOEXIST);
	st = bpf_map_lookup_elem(m, &key);
	if (!st)
		drop(VP_DROP_STATS_FULL);
	return st;
}

/*
 * Per-CPU write-back cache of per-thread stats.  A CPU switches among few threads (a server's
 * worker, the load generator, ksoftirqd, idle), and the hash update cost ~130 ns of a ~450 ns
 * switch (measured with perf bench sched pipe): a thread's charges now add up in one of this
 * CPU's slots and reach the hash when the slot is reused for another thread, or at the flush
 * that closes every interval -- before userspace flips the generation, so nothing an interval
 * read misses.  Only the tp_btf flavour with sched_info uses it: there a thread's facts are
 * recorded when its task storage is created at its first switch-in (take_rq_delay), so a slot
 * needs no lookup in `threads`; the other flavours charge the hash directly, as before.
 */
#define VP_OWNER_SLOTS 8

/* The tids side by side: a lookup reads one cache line.  Keys are never 0 (idle has its own). */
struct owner_cache {
	__u32 victim; /* round-robin: the slot a miss reuses when all are taken */
	__u32 pad;
	__u32 tid[VP_OWNER_SLOTS]; /* 0: free */
	struct vp_thread_stats st[VP_OWNER_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct owner_cache);
} owners SEC(".maps");

/*
 * Atomic adds: a thread that migrated has slots on two CPUs, and both may write back into its one
 * hash entry at the same instant (one evicting at a switch while the other flushes).  A plain
 * += there lost one CPU's whole cached charge -- isolated intervals of a busy loop 12-23 % below
 * cpu.stat on a loaded host.  Only non-zero fields; the run-queue maximum is a plain store (a
 * lost race there loses a maximum, not time).
 */
#define VP_ADD(d, a, f)                                       \
	do {                                                  \
		if ((a)->f)                                   \
			__sync_fetch_and_add(&(d)->f, (a)->f); \
	} while (0)

static __always_inline void stats_add_shared(struct vp_thread_stats *d,
					     const struct vp_thread_stats *a)
{
	VP_ADD(d, a, task_ns);
	for (int i = 0; i < VP_NR_SOFTIRQS; i++)
		VP_ADD(d, a, softirq_ns[i]);
	VP_ADD(d, a, hardirq_ns);
	VP_ADD(d, a, rq_delay_ns);
	if (a->rq_delay_max_ns > d->rq_delay_max_ns)
		d->rq_delay_max_ns = a->rq_delay_max_ns;
	VP_ADD(d, a, nr_rq);
	VP_ADD(d, a, nvcsw);
	VP_ADD(d, a, nivcsw);
	VP_ADD(d, a, nr_softirq);
}

/* Slot i's charges into the current generation's hash; the slot is free again. */
static __always_inline void write_back(struct owner_cache *oc, int i)
{
	struct vp_thread_stats *st;

	i &= VP_OWNER_SLOTS - 1;
	if (!oc->tid[i])
		return;
	st = stats_of(oc->tid[i], NULL);
	if (st)
		stats_add_shared(st, &oc->st[i]);
	__builtin_memset(&oc->st[i], 0, sizeof(oc->st[i]));
	oc->tid[i] = 0;
}

static __always_inline void write_back_all(void)
{
	__u32 zero = 0;
	struct owner_cache *oc = bpf_map_lookup_elem(&owners, &zero);

	if (!oc)
		return;
	for (int i = 0; i < VP_OWNER_SLOTS; i++)
		write_back(oc, i);
}

/* Where `key`'s charges go: its slot on this CPU (taken on a miss), or the hash. */
static __always_inline struct vp_thread_stats *owner_stats(__u32 key, struct task_struct *t,
							   bool cache)
{
	struct owner_cache *oc;
	__u32 zero = 0;
	int free = -1;

	if (!cache)
		return stats_of(key, t);
	oc = bpf_map_lookup_elem(&owners, &zero);
	if (!oc)
		return stats_of(key, t);
	for (int i = 0; i < VP_OWNER_SLOTS; i++) {
		if (oc->tid[i] == key)
			return &oc->st[i];
		if (!oc->tid[i] && free < 0)
			free = i;
	}
	if (free < 0) {
		free = oc->victim++ & (VP_OWNER_SLOTS - 1);
		write_back(oc, free);
	}
	free &= VP_OWNER_SLOTS - 1;
	/* a thread switched out before it was ever switched in here: no task storage, no facts yet */
	if (t && !VP_IS_IDLE_KEY(key) && !bpf_task_storage_get(&wake_store, t, 0, 0))
		see_thread(t, key);
	oc->tid[free] = key;
	return &oc->st[free];
}

/* Close the open segment: its time goes to the context the CPU is in. */
static __always_inline void close_segment(struct vp_cpu_state *cs, __u64 now)
{
	__u64 delta;
	int vec;

	if (!cs->ts) {
		cs->ts = now;
		return;
	}
	delta = now - cs->ts;
	cs->ts = now;
	if (cs->hardirq) {
		cs->hardirq_acc += delta;
		return;
	}
	vec = (int)cs->softirq - 1;
	if (vec >= 0 && vec < VP_NR_SOFTIRQS) {
		cs->softirq_acc[vec] += delta;
		cs->sirq_dirty = 1;
		return;
	}
	cs->task_acc += delta;
}

/*
 * Move the CPU's accumulators into the owner's per-thread entry.  The idle task's task time is the
 * CPU's idle time; softirqs it hosted are kept under a per-CPU idle key.
 */
static __always_inline struct vp_thread_stats *charge_owner(struct vp_cpu_state *cs,
							    struct task_struct *owner, bool cache)
{
	struct vp_thread_stats *st;
	__u32 key = cs->cur_tid;
	__u32 g = gen & 1;

	if (!key) {
		__u64 *idle_ns = bpf_map_lookup_elem(&idle, &g);

		if (idle_ns)
			*idle_ns += cs->task_acc;
		cs->task_acc = 0;
		/* an idle run that hosted no interrupt has nothing for its key: no hash lookup */
		if (!cs->sirq_dirty && !cs->hardirq_acc && !cs->nr_softirq)
			return NULL;
		key = VP_IDLE_KEY_BASE + bpf_get_smp_processor_id();
	}
	st = owner_stats(key, owner, cache);
	if (st) {
		st->task_ns += cs->task_acc;
		/* most switches saw no softirq since the last one: skip the vector loop */
		if (cs->sirq_dirty)
			for (int i = 0; i < VP_NR_SOFTIRQS; i++)
				st->softirq_ns[i] += cs->softirq_acc[i];
		st->hardirq_ns += cs->hardirq_acc;
		st->rq_delay_ns += cs->rq_acc;
		if (cs->rq_max > st->rq_delay_max_ns)
			st->rq_delay_max_ns = cs->rq_max;
		st->nr_rq += cs->nr_rq;
		st->nr_softirq += cs->nr_softirq;
	}
	cs->task_acc = 0;
	if (cs->sirq_dirty)
		for (int i = 0; i < VP_NR_SOFTIRQS; i++)
			cs->softirq_acc[i] = 0;
	cs->sirq_dirty = 0;
	cs->hardirq_acc = 0;
	cs->rq_acc = 0;
	cs->rq_max = 0;
	cs->nr_rq = 0;
	cs->nr_softirq = 0;
	return st;
}

static __always_inline __u64 *rq_slot(struct task_struct *t, __u32 tid, bool btf, bool create)
{
	__u64 zero = 0, *v;

	if (btf)
		return bpf_task_storage_get(&wake_store, t, 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	v = bpf_map_lookup_elem(&wake_ts, &tid);
	if (v || !create)
		return v;
	bpf_map_update_elem(&wake_ts, &tid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&wake_ts, &tid);
}

static __always_inline void add_rq_wait(struct vp_cpu_state *cs, __u64 d)
{
	cs->rq_acc += d;
	if (d > cs->rq_max)
		cs->rq_max = d;
	cs->nr_rq++;
}

/* rq_wakeup: `t` became runnable now. */
static __always_inline void mark_runnable(struct task_struct *t, __u32 tid, __u64 now, bool btf)
{
	__u64 *ts;

	if (!tid)
		return;
	ts = rq_slot(t, tid, btf, true);
	if (ts)
		*ts = now;
	else
		drop(VP_DROP_WAKE_FULL);
}

/* next's wait(s) up to this switch-in, charged to it (see wake_store above). */
static __always_inline void take_rq_delay(struct vp_cpu_state *cs, struct task_struct *next,
					  __u32 tid, __u64 clock, __u64 now, bool btf)
{
	__u64 *v, queued, total, d;

	if (!tid)
		return;
	if (rq_wakeup) {
		v = rq_slot(next, tid, btf, false);
		if (v && *v) {
			add_rq_wait(cs, now > *v ? now - *v : 0);
			*v = 0;
		}
		return;
	}
	queued = VP_READ(btf, next, sched_info.last_queued);
	total = VP_READ(btf, next, sched_info.run_delay);
	d = queued && clock > queued ? clock - queued : 0;
	total += d;
	v = rq_slot(next, tid, btf, true);
	if (!v) {
		drop(VP_DROP_WAKE_FULL);
		return;
	}
	/*
	 * first sight: only the wait in progress is known to be since we attached; and the thread's
	 * facts are recorded now (the owner cache relies on it: see owner_stats)
	 */
	if (*v & VP_RQ_SEEN)
		d = total > (*v & ~VP_RQ_SEEN) ? total - (*v & ~VP_RQ_SEEN) : 0;
	else
		see_thread(next, tid);
	*v = total | VP_RQ_SEEN;
	if (queued || d)
		add_rq_wait(cs, d);
}

/*
 * The kernel's boundary between prev and next is its run-queue clock, not the switch.  __schedule()
 * updates rq->clock before it dequeues prev and picks next (the new-idle balance included), and
 * when a wakeup set need_resched on the running task, wakeup_preempt() asks it to skip even that
 * update (rq_clock_skip_update): prev's runtime -- and its cgroup's cpu.stat usage -- stops at the
 * wakeup, next's starts there, and the rest of the interrupt, a remote wakeup's IPI latency and
 * the exit path are next's.  A switch-to-switch clock gave all that to prev: a server next to one
 * busy loop per CPU came out 2-9 % short of cpu.stat, its time on whoever it preempted.
 *
 * So at the switch, the time since the kernel's boundary -- prev's se.exec_start, or rq->clock
 * when prev is the idle task -- starts next's segment.  rq->clock is
 * sched_clock; its offset to bpf_ktime is calibrated at the switches themselves, where the rq
 * clock was updated a few hundred ns before the tracepoint unless the update was skipped (then
 * it is older, and the offset larger): the smallest (ktime - clock) seen in the last 100 ms window
 * (the two clocks drift apart by well under a ppm, measured 0.3).
 */
#define VP_CLOCK_WINDOW_NS (100 * 1000 * 1000ULL)

static __always_inline void calibrate_clock(struct vp_cpu_state *cs, __u64 clock, __u64 now)
{
	__s64 off;

	if (!clock)
		return;
	off = (__s64)(now - clock);
	if (now - cs->clk_win_ts > VP_CLOCK_WINDOW_NS) {
		/* the window's minimum becomes the offset in use; a new window starts */
		if (cs->clk_win_ts)
			cs->clk_off = cs->clk_off_min;
		cs->clk_off_min = off;
		cs->clk_win_ts = now;
	} else if (off < cs->clk_off_min) {
		cs->clk_off_min = off;
	}
}

/*
 * Without IRQ_TIME_ACCOUNTING (Debian's kernels) a task's runtime includes the interrupts it
 * hosted, so the part of a softirq past the kernel's boundary is next's in cpu.stat.  Set by
 * userspace from the kernel's config.
 */
const volatile bool irq_in_runtime = true;

/* Up to `want` ns out of this run's softirq time (the accumulators since the last switch/flush). */
static __always_inline __u64 take_softirq(struct vp_cpu_state *cs, __u64 want)
{
	__u64 got = 0;

	if (!cs->sirq_dirty)
		return 0;
	for (int i = 0; i < VP_NR_SOFTIRQS; i++) {
		__u64 t = cs->softirq_acc[i];

		if (t > want - got)
			t = want - got;
		cs->softirq_acc[i] -= t;
		got += t;
	}
	return got;
}

/*
 * How far the open run of `t` on rq goes past the kernel's last charge of it: its se.exec_start
 * (rq->clock_task, which is rq->clock less the steal so far), not rq->clock -- the new-idle
 * balance in pick_next_task() drops the rq lock and updates the clock again after prev was
 * charged.  The idle task has no runtime: rq->clock.  0 before the clock offset is calibrated.
 */
static __always_inline __u64 past_kernel_charge(struct vp_cpu_state *cs, struct rq *rq, __u64 clock,
						struct task_struct *t, __u32 tid, __u64 now,
						bool btf)
{
	__u64 boundary;

	if (!rq || !cs->clk_off)
		return 0;
	boundary = clock + cs->clk_off;
	if (tid)
		boundary += VP_READ(btf, t, se.exec_start) - VP_RQ_READ(btf, rq, clock_task);
	return boundary < now ? now - boundary : 0;
}

/* Up to `want` ns out of the open run's task time. */
static __always_inline __u64 take_task(struct vp_cpu_state *cs, __u64 want)
{
	__u64 got = want < cs->task_acc ? want : cs->task_acc;

	cs->task_acc -= got;
	return got;
}

/*
 * ns of the open run that the kernel already gives to next, taken out of prev's accumulators:
 * task time first; then, where the kernel counts interrupts in the runtime, the softirq that ran
 * past the boundary -- a loopback send's receive processing that woke next on this CPU: the
 * kernel stops prev at that wakeup, and with a light load generator a server's runs are mostly
 * such softirqs (37 % of nginx's time): leaving them with prev put it 3 % above cpu.stat.
 * Past the run (a flush in between) nothing moves.
 */
static __always_inline __u64 kernel_handoff(struct vp_cpu_state *cs, struct rq *rq, __u64 clock,
					    struct task_struct *prev, __u32 prev_tid, __u64 now,
					    bool btf)
{
	__u64 gap = past_kernel_charge(cs, rq, clock, prev, prev_tid, now, btf);
	__u64 moved = take_task(cs, gap);

	if (irq_in_runtime && moved < gap)
		moved += take_softirq(cs, gap - moved);
	return moved;
}

/*
 * Steal time: with PARAVIRT_TIME_ACCOUNTING the scheduler leaves out of every task's runtime
 * (and cpu.stat) the time the hypervisor ran something else on this vCPU, while bpf_ktime counts
 * it; under a busy host that was up to 10 % of a busy loop's time.  rq->prev_steal_time_rq is the
 * CPU's steal clock as of the last rq clock update: what it moved since the last reading on this
 * CPU comes out of the open run's task time into the CPU's steal bucket, as the kernel does.
 */
struct rq___steal {
	u64 prev_steal_time_rq;
} __attribute__((preserve_access_index));

static __always_inline void take_steal(struct vp_cpu_state *cs, struct rq *rq, bool btf)
{
	__u64 s, d;
	__u32 k;

	if (!rq || !bpf_core_field_exists(((struct rq___steal *)rq)->prev_steal_time_rq))
		return;
	s = VP_RQ_READ(btf, (struct rq___steal *)rq, prev_steal_time_rq);
	d = s > cs->steal_prev && cs->steal_prev ? s - cs->steal_prev : 0;
	cs->steal_prev = s;
	if (!d)
		return;
	if (d > cs->task_acc)
		d = cs->task_acc;
	cs->task_acc -= d;
	k = 2 + (gen & 1);
	__u64 *steal = bpf_map_lookup_elem(&idle, &k);
	if (steal)
		*steal += d;
}

static __always_inline int handle_switch(bool preempt, struct task_struct *prev,
					 struct task_struct *next, bool btf)
{
	struct vp_cpu_state *cs = this_cpu();
	__u32 prev_tid = VP_READ(btf, prev, pid);
	__u32 next_tid = VP_READ(btf, next, pid);
	__u64 now = bpf_ktime_get_ns();
	struct vp_thread_stats *st;
	__u64 handoff, clock = 0;
	struct rq *rq;
	bool runnable;

	if (!cs)
		return 0;
	/* A switch happens in task context; a missed softirq/irq exit must not leak into it. */
	if (cs->hardirq || cs->softirq) {
		drop(VP_DROP_UNBALANCED);
		cs->hardirq = 0;
		cs->softirq = 0;
	}
	/* First event after attach raced with a switch: the segment's owner is prev. */
	if (cs->ts && cs->cur_tid != prev_tid)
		cs->cur_tid = prev_tid;
	close_segment(cs, now);
	/* next is already this CPU's (even the idle task has a cfs_rq) */
	rq = vp_task_rq(next, btf);
	if (rq)
		clock = VP_RQ_READ(btf, rq, clock);
	/* steal first: the handoff is bounded by the time left, so it cannot underflow */
	take_steal(cs, rq, btf);
	handoff = kernel_handoff(cs, rq, clock, prev, prev_tid, now, btf);
	calibrate_clock(cs, clock, now);
	/* preempt is the kernel's own flag; a runnable prev means involuntary too. */
	runnable = preempt || vp_task_state(prev, btf) == 0;
	if (rq_wakeup && runnable)
		mark_runnable(prev, prev_tid, now, btf);
	st = charge_owner(cs, prev, btf && !rq_wakeup);
	if (st && prev_tid) {
		if (runnable)
			st->nivcsw++;
		else
			st->nvcsw++;
	}

	cs->cur_tid = next_tid;
	cs->task_acc = handoff;
	take_rq_delay(cs, next, next_tid, clock, now, btf);
	return 0;
}

/* Attached only with rq_wakeup (a kernel without sched_info). */
static __always_inline int handle_wakeup(struct task_struct *p, bool btf)
{
	mark_runnable(p, VP_READ(btf, p, pid), bpf_ktime_get_ns(), btf);
	return 0;
}

/* The current task owns the segment when the state has not seen a switch yet. */
static __always_inline void sync_owner(struct vp_cpu_state *cs)
{
	if (!cs->ts)
		cs->cur_tid = (__u32)bpf_get_current_pid_tgid();
}

static __always_inline int handle_softirq_entry(unsigned int vec)
{
	struct vp_cpu_state *cs = this_cpu();
	__u64 now = bpf_ktime_get_ns();

	if (!cs)
		return 0;
	sync_owner(cs);
	close_segment(cs, now);
	cs->softirq = vec < VP_NR_SOFTIRQS ? vec + 1 : 0;
	cs->nr_softirq++;
	if (vec == VP_NET_RX_SOFTIRQ || vec == VP_NET_TX_SOFTIRQ) {
		cs->net_vec = vec;
		cs->net_seq++;
		cs->net_start = now;
	}
	return 0;
}

static __always_inline int handle_softirq_exit(unsigned int vec)
{
	struct vp_cpu_state *cs = this_cpu();
	__u64 now = bpf_ktime_get_ns();

	if (!cs)
		return 0;
	sync_owner(cs);
	if (cs->softirq != vec + 1 && cs->ts)
		drop(VP_DROP_UNBALANCED);
	/* Attached in the middle of a softirq: its first part is unknown, charge what we saw. */
	if (!cs->softirq && vec < VP_NR_SOFTIRQS)
		cs->softirq = vec + 1;
	close_segment(cs, now);
	if (vec == VP_NET_RX_SOFTIRQ || vec == VP_NET_TX_SOFTIRQ)
		cs->net_end = now;
	cs->softirq = 0;
	return 0;
}

static __always_inline int handle_irq_entry(void)
{
	struct vp_cpu_state *cs = this_cpu();

	if (!cs)
		return 0;
	sync_owner(cs);
	close_segment(cs, bpf_ktime_get_ns());
	cs->hardirq++;
	return 0;
}

static __always_inline int handle_irq_exit(void)
{
	struct vp_cpu_state *cs = this_cpu();

	if (!cs)
		return 0;
	sync_owner(cs);
	if (!cs->hardirq && cs->ts) {
		drop(VP_DROP_UNBALANCED);
		cs->hardirq = 1;
	}
	close_segment(cs, bpf_ktime_get_ns());
	if (cs->hardirq)
		cs->hardirq--;
	return 0;
}

static __always_inline int handle_fork(struct task_struct *parent, struct task_struct *child)
{
	struct vp_thread_info ti = {};
	__u32 tid = BPF_CORE_READ(child, pid);

	fill_info(&ti, child);
	ti.parent_tid = BPF_CORE_READ(parent, pid);
	ti.parent_tgid = BPF_CORE_READ(parent, tgid);
	ti.first_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&threads, &tid, &ti, BPF_ANY))
		drop(VP_DROP_THREADS_FULL);
	return 0;
}

/* exec changes comm (and possibly nothing else we record); refresh the facts. */
static __always_inline int handle_exec(struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);
	struct vp_thread_info *ti = bpf_map_lookup_elem(&threads, &tid);

	if (!ti) {
		see_thread(p, tid);
		return 0;
	}
	fill_info(ti, p);
	return 0;
}

static __always_inline int handle_exit(struct task_struct *p, bool btf)
{
	__u32 tid = BPF_CORE_READ(p, pid);
	struct vp_thread_info *ti;

	see_thread(p, tid);
	ti = bpf_map_lookup_elem(&threads, &tid);
	if (ti)
		ti->exited = 1;
	/* task storage is freed with the task; the hash entry is ours to remove */
	if (!btf)
		bpf_map_delete_elem(&wake_ts, &tid);
	return 0;
}

/* A thread moved to another cgroup (container start): re-read its cgroup ids. */
static __always_inline int handle_cgroup_attach(struct task_struct *t)
{
	__u32 tid = BPF_CORE_READ(t, pid);
	struct vp_thread_info *ti = bpf_map_lookup_elem(&threads, &tid);

	if (!ti)
		return 0;
	ti->cgid_v2 = vp_task_cgid_v2(t);
	ti->cgid_v1_cpu = vp_task_cgid_v1_cpu(t);
	return 0;
}

/*
 * Interval boundary.  For a running thread it is where the kernel last charged it, as at a switch
 * (kernel_handoff): its se.exec_start, set at the last update_curr() -- the last tick, or a
 * /proc/<pid>/schedstat read, which updates the running task first.  cgroup cpu.stat read at the
 * boundary holds the thread's runtime up to there and no further.  Charging the open run up to the
 * flush instead put the rest of the tick in this interval and the kernel's next, and worse, a
 * hypervisor steal slice that ended since the last tick: the rq clock had not seen it yet, so it
 * stayed in the thread's interval and came out of the next one (40-100 ms, 12-31 % of a 1 s
 * interval against cpu.stat on a host with 100 ms steal slices).  So that part of the run stays
 * open for the next interval, as in the kernel (its length in flush_carry, for the span); the
 * steal comes out of it there.
 *
 * Run on each CPU by userspace through BPF_PROG_TEST_RUN, in the IPI handler of the target CPU,
 * so the per-CPU state is exactly that CPU's open segment.
 */
SEC("raw_tp")
int flush(void *ctx)
{
	struct vp_cpu_state *cs = this_cpu();
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct rq *rq = vp_task_rq(cur, false);
	__u64 now = bpf_ktime_get_ns(), carry = 0;
	bool own;

	if (!cs)
		return 0;
	sync_owner(cs);
	close_segment(cs, now);
	take_steal(cs, rq, false);
	/* The IPI interrupts the segment's owner; pass it only when that is provably so. */
	own = cs->cur_tid == (__u32)bpf_get_current_pid_tgid();
	if (own && cs->cur_tid && rq)
		carry = take_task(cs, past_kernel_charge(cs, rq, VP_RQ_READ(false, rq, clock), cur,
							 cs->cur_tid, now, false));
	charge_owner(cs, own ? cur : NULL, false);
	cs->task_acc = carry;
	cs->flush_carry = carry;
	/* the interval's charges still in this CPU's slots, before userspace flips the generation */
	write_back_all();
	cs->flush_ts = now;
	return 0;
}

VP_HOOK(sched_switch, handle_switch(preempt, prev, next, btf), bool preempt,
	struct task_struct *prev, struct task_struct *next)
VP_HOOK(sched_wakeup, handle_wakeup(p, btf), struct task_struct *p)
VP_HOOK(sched_wakeup_new, handle_wakeup(p, btf), struct task_struct *p)
VP_HOOK(sched_process_fork, ((void)btf, handle_fork(parent, child)), struct task_struct *parent,
	struct task_struct *child)
VP_HOOK(sched_process_exec, ((void)btf, handle_exec(p)), struct task_struct *p)
VP_HOOK(sched_process_exit, handle_exit(p, btf), struct task_struct *p)
VP_HOOK(softirq_entry, ((void)btf, handle_softirq_entry(vec)), unsigned int vec)
VP_HOOK(softirq_exit, ((void)btf, handle_softirq_exit(vec)), unsigned int vec)
VP_HOOK(irq_handler_entry, ((void)btf, handle_irq_entry()))
VP_HOOK(irq_handler_exit, ((void)btf, handle_irq_exit()))
VP_HOOK(cgroup_attach_task, ((void)btf, handle_cgroup_attach(t)), struct cgroup *dst,
	const char *path, struct task_struct *t)
