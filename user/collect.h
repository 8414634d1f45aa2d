/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector: every interval, close all open segments (flush), flip the generation, drain the
 * old generation's maps.  It also keeps the userspace copy of every thread's facts, so a thread
 * that exited during the interval is still reported (and classified) once.
 */
#ifndef VP_COLLECT_H
#define VP_COLLECT_H

#include <stdint.h>

#include "probes.h"
#include "virtprof.h"

struct sample {
	uint32_t key; /* tid, or VP_IDLE_KEY_BASE + cpu */
	struct vp_thread_stats st;
};

struct thread_rec {
	struct vp_thread_info info;
	int exited_round; /* collection round the exit was seen, 0 = alive */
	int attr_round;	  /* round of the cached attribution (classify.c), 0 = none */
	char entity[64];
	char role[32];
	int target;
};

struct interval {
	int round;
	uint64_t mono_start_ns, mono_end_ns, real_end_ns; /* userspace clocks */
	uint64_t span_ns; /* sum over CPUs of the flush-to-flush time: ncpu x interval */
	uint64_t idle_ns; /* sum over CPUs */
	uint64_t busy_ns; /* sum over samples of task + softirq + hardirq */
	int ncpu_seen;	  /* CPUs with a flush boundary on both ends */
	int n, cap;
	struct sample *s;
	uint64_t drops[VP_DROP_MAX]; /* during this interval */
};

struct collector {
	struct probes *p;
	int round;
	uint64_t *flush_prev; /* per possible CPU */
	uint64_t drops_prev[VP_DROP_MAX];
	uint64_t mono_prev;
	/* userspace thread table, open addressing by tid */
	struct thread_rec *recs;
	uint32_t nrecs, caprecs;
	/* scratch */
	uint32_t *keys;
	void *vals;
};

int collector_init(struct collector *c, struct probes *p);
void collector_free(struct collector *c);
/* Start a fresh interval now: everything charged so far is discarded. */
int collector_reset(struct collector *c);
/* Close the interval that began at the previous call (or reset) and fill iv. */
int collector_take(struct collector *c, struct interval *iv);
void interval_free(struct interval *iv);
/* The userspace thread table: facts of a tid, NULL when never seen. */
struct thread_rec *collector_thread(struct collector *c, uint32_t tid);

static inline uint64_t sample_busy_ns(const struct vp_thread_stats *st)
{
	uint64_t t = st->task_ns + st->hardirq_ns;

	for (int i = 0; i < VP_NR_SOFTIRQS; i++)
		t += st->softirq_ns[i];
	return t;
}

static inline uint64_t sample_softirq_ns(const struct vp_thread_stats *st)
{
	uint64_t t = 0;

	for (int i = 0; i < VP_NR_SOFTIRQS; i++)
		t += st->softirq_ns[i];
	return t;
}

#endif
