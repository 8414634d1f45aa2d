/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector: at the end of every interval, close all open segments (flush), flip the
 * generation, drain the old generation's maps.  It also keeps the userspace copy of every thread's facts, so a thread
 * that exited during the interval is still reported (and classified) once.
 */
#ifndef VP_COLLECT_H
#define VP_COLLECT_H

#include <stdint.h>

#include "probe/account.h"
#include "sys/tidtab.h"
#include "sys/util.h"
#include "virtprof.h"

/* What one thread (or one CPU's idle time) was charged during an interval. */
struct interval_row {
	uint32_t key; /* tid, or VP_IDLE_KEY_BASE + cpu */
	struct vp_thread_stats st;
};

struct thread_rec {
	struct vp_thread_info info;
	int exited_seq;	    /* interval in which the exit was seen, 0 = alive */
	uint32_t facts_seq; /* bumped when comm or cgroups change: cached verdicts are stale */
};

/* One interval: flush to flush on every CPU, everything charged in between. */
struct interval {
	int seq; /* 1, 2, ... since the collector started */
	uint64_t mono_start_ns, mono_end_ns, real_end_ns; /* userspace clocks */
	uint64_t span_ns; /* sum over CPUs of the time between charge boundaries: ncpu x interval */
	uint64_t idle_ns; /* sum over CPUs */
	/* sum over CPUs of the time the hypervisor stole from the vCPUs (the scheduler's steal
	 * clock): taken out of the tasks' time, as the kernel does (account.bpf.c take_steal) */
	uint64_t steal_ns;
	uint64_t busy_ns; /* sum over samples of task + softirq + hardirq */
	int ncpu_seen;	  /* CPUs with a flush boundary on both ends */
	int n, cap;
	struct interval_row *rows;
	uint64_t drops[VP_DROP_MAX]; /* during this interval */
};

struct collector {
	struct account_probe *p;
	int seq;	      /* of the interval being charged now */
	uint64_t *flush_prev; /* per possible CPU */
	uint64_t drops_prev[VP_DROP_MAX];
	uint64_t mono_prev;
	/*
	 * Called right before the flush that ends an interval (the collector at SCHED_FIFO from
	 * here to the flip, collect.c): where the kernel cross-check reads.
	 */
	void (*at_boundary)(void *ctx);
	void *at_boundary_ctx;
	/* userspace thread table: struct thread_rec by tid */
	struct tidtab threads;
	/* scratch */
	uint32_t *keys;
	void *vals;
};

int collector_init(struct collector *c, struct account_probe *p);
void collector_free(struct collector *c);
/* Start a fresh interval now: everything charged so far is discarded. */
int collector_restart(struct collector *c);
/* Close the interval that began at the previous call (or restart) and fill iv. */
int collector_next(struct collector *c, struct interval *iv);
void interval_free(struct interval *iv);
/* The userspace thread table: facts of a tid, NULL when never seen. */
struct thread_rec *collector_thread(struct collector *c, uint32_t tid);

/* Every CPU nanosecond of the interval landed in a thread's bucket, a CPU's idle time or steal. */
static inline double coverage_pct(uint64_t busy_ns, uint64_t idle_ns, uint64_t steal_ns,
				  uint64_t span_ns)
{
	return pct_of(busy_ns + idle_ns + steal_ns, span_ns);
}

static inline uint64_t stats_busy_ns(const struct vp_thread_stats *st)
{
	uint64_t t = st->task_ns + st->hardirq_ns;

	for (int i = 0; i < VP_NR_SOFTIRQS; i++)
		t += st->softirq_ns[i];
	return t;
}

static inline uint64_t stats_softirq_ns(const struct vp_thread_stats *st)
{
	uint64_t t = 0;

	for (int i = 0; i < VP_NR_SOFTIRQS; i++)
		t += st->softirq_ns[i];
	return t;
}

#endif
