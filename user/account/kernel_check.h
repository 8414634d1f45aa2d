/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own CPU figure for each target, to check virtprof's against in every report:
 * a container's cgroup usage (v2 cpu.stat usage_usec, v1 cpuacct.usage; both hierarchical, so
 * the top cgroup already sums its tree), a VM's qemu process CPU time (the process CPU clock:
 * every thread's runtime, exited ones included, in ns).  Like with like: this kernel charges
 * softirq and hardirq time to the interrupted task (no IRQ_TIME_ACCOUNTING), so virtprof's
 * comparable figure is task + softirq + hardirq of the same threads (those in the cgroup tree,
 * those of the qemu thread group).  With IRQ_TIME_ACCOUNTING the kernel would leave irq time out.
 */
#ifndef VP_KERNEL_CHECK_H
#define VP_KERNEL_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "account/collect.h"
#include "account/targets.h"
#include "out/na.h"

/* A difference is flagged above this share of the kernel's figure ... */
#define KCHECK_FLAG_PCT 1.0
/* ... and above this many ns: below it the readings' own resolution and lag dominate. */
#define KCHECK_FLOOR_NS 1000000ULL

/* The kernel's cumulative figure for one target at one instant. */
struct kcheck_reading {
	bool ok;
	uint64_t ns;
	char source[24]; /* "cpu.stat", "cpuacct.usage", "process cpu clock" */
	struct vp_na na; /* why !ok */
};

/* One target over a window (an interval or a step): both figures. */
struct kcheck_delta {
	bool ok; /* both ends read */
	char source[24];
	struct vp_na na;
	uint64_t kernel_ns;
	uint64_t ours_ns; /* virtprof: task + softirq + hardirq of the same threads */
};

/* Read every target's kernel figure now. */
void kcheck_read(const struct targets *ts, struct kcheck_reading *out);
/*
 * virtprof's comparable figure for every target from one interval's rows, into ours[ts->n]: one
 * pass over the rows, each row's targets looked up by its cgroup ids or process.
 */
void kcheck_ours(const struct interval *iv, struct collector *c, const struct targets *ts,
		 uint64_t *ours);
/* The window from `a` to `b` (readings) with virtprof's ns. */
void kcheck_delta_set(struct kcheck_delta *d, const struct kcheck_reading *a,
		      const struct kcheck_reading *b, uint64_t ours_ns);
/* Fold interval deltas into a step's. */
void kcheck_delta_add(struct kcheck_delta *sum, const struct kcheck_delta *d, bool first);
/* Signed difference (virtprof - kernel) in % of the kernel's figure; 0 when the kernel saw 0. */
double kcheck_diff_pct(const struct kcheck_delta *d);
/* Above both the 1 % and the floor. */
bool kcheck_flagged(const struct kcheck_delta *d);

#endif
