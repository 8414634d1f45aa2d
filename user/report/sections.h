/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Report sections shared by every command (top, run, compare, serve): one table each, rendered
 * through out/table.h as text, JSON or CSV.  They only read what the capture measured.
 */
#ifndef VP_REPORT_SECTIONS_H
#define VP_REPORT_SECTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "account/agg.h"
#include "account/disk_check.h"
#include "out/table.h"
#include "probe/kernel.h"
#include "session/capture.h"
#include "session/cost.h"

/* Why a BPF run time is "not available": the one wording every section uses. */
#define REPORT_BPF_STATS_OFF                                                                    \
	VP_NA_LIT(VP_NA_OPTION, "BPF run time: kernel bpf_stats off (VIRTPROF_BPF_STATS=0, or " \
				"BPF_ENABLE_STATS failed)")

/* The accounting object's drop reasons (enum vp_drop), as every report names them. */
extern const char *const report_drop_names[VP_DROP_MAX];

/* The kernel's accounting mode: one row (text: a two-line header). */
void report_mode(const struct kernel_mode *m, struct out *o);
void report_targets(const struct capture *s, struct out *o);
/*
 * Per target, the kernel's CPU figure beside virtprof's comparable one and their difference
 * (account/kernel_check.h): one agreement line per target.
 */
/*
 * Disk cross-check: each target's block bytes (and ops where the source counts them) against
 * the kernel's own counters over the same window; na (why) when the block section did not run.
 * load: the step's, for the writes in flight at the window's ends (NULL: none allowed).
 */
void report_disk_check(const struct targets *ts, const struct kdisk_delta *kd, int n,
		       const struct kdisk_load *load, const struct vp_na *na, struct out *o);
void report_kernel_check(const struct targets *ts, const struct kcheck_delta *kc, int n,
			 struct out *o);
/* How the one entity-row table (top and run/compare share its schema) is shown. */
struct entity_opts {
	const char *title;
	bool per_req;	   /* us_per_req applies (a session step) */
	uint64_t requests; /* its divisor */
	bool hide_crumbs;  /* text leaves out rows under 0.05 % of the host */
	/* softirq / hardirq not measured (light mode): why; NULL or clear: measured */
	const struct vp_na *irq_na;
};
/* CPU per (entity, role), JSON member "entities". */
void report_entities(const struct agg *a, uint64_t span_ns, const struct entity_opts *eo,
		     struct out *o);
/* Softirq by vector per owner; na non-NULL: not measured, every cell n/a with that reason. */
void report_softirq(const struct agg *a, const struct vp_na *na, struct out *o);
/*
 * Pod overhead of each VM-backed pod (Kata; session/cost.h), JSON member "pod_overhead": po[i]
 * for target i; nothing when no target is one.  requests > 0 adds us per request.
 */
void report_pod_overhead(const struct targets *ts, const struct pod_overhead *po, uint64_t span_ns,
			 uint64_t requests, struct out *o);
/* Steal above this share of the CPUs gets a note wherever the CPU is shown. */
#define REPORT_STEAL_NOTE_PCT 1.0
void report_steal_note(struct table *t, uint64_t steal_ns, uint64_t span_ns);
/* Coverage of an interval or a step; bpf_ns < 0: program run time unknown (bpf_stats off). */
void report_coverage(uint64_t busy_ns, uint64_t idle_ns, uint64_t steal_ns, uint64_t span_ns,
		     int ncpu, int64_t bpf_ns, struct out *o);
/*
 * The BPF side's drops, and the VMs and containers found past --max-targets (ts->untracked:
 * counted at the last look, their threads in other); text_only_nonzero leaves zero rows out of text.
 */
void report_drops(const uint64_t *drops, const struct targets *ts, bool text_only_nonzero,
		  struct out *o);
/* Per-program cost during the last interval, or (whole) since the capture started. */
void report_profiler(const struct capture *s, uint64_t span_ns, bool whole, struct out *o);

#endif
