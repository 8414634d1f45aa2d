/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the CPU goes inside each part of the cost model: a step's sampled stacks as "where"
 * tables (top functions of each target's OWN, each VIRT role and PATH), the differential tables
 * of a comparison, the step's "stacks" JSON key (with the KVM exit profile's stacks) and the
 * --folded / --pprof / --exit-folded / --exit-pprof files.
 */
#ifndef VP_REPORT_STACKS_H
#define VP_REPORT_STACKS_H

#include "out/table.h"
#include "session/options.h"
#include "session/session.h"

/* The step's "where" table (nothing when sampling was off). */
void report_where(const struct session *s, const struct sess_step *st, struct out *o);
/* top: the interval's hottest functions (self), with their owner. */
void report_top_functions(const struct stack_profile *p, const struct vp_na *na, struct out *o);
/* compare: per function, target A vs B per step, and each step vs the previous one. */
void report_where_diff(const struct session *s, struct out *o);
/* "stacks": {freq_hz, samples, lost, truncated, folded: [...]} or null. */
void report_stacks_json(const struct session *s, const struct sess_step *st, struct jw *w);
/* The exit profile's "exit_samples", "exit_reason", "exit_folded" keys (inside "stacks"). */
void report_exit_stacks_json(const struct session *s, const struct sess_step *st, struct jw *w);
/* Why the step's exit profile is empty (NULL: it is not). */
const struct vp_na *report_exit_stacks_na(const struct session *s, const struct sess_step *st);
/* --folded DIR, --pprof FILE, --exit-folded FILE, --exit-pprof FILE; VP_EXIT_OK or VP_EXIT_FAIL (message printed). */
int report_write_stack_files(const struct session *s, const struct session_cli *c);

#endif
