/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The session engine: a capture running while the load generator drives one or more steps, the
 * capture's intervals folded into each step's measured window (warm-up excluded), and per step
 * the costs split by owner (session/cost.h) and normalized per request.  `virtprof run` is one
 * step; `virtprof compare` is steps x targets.  Reports are in report/session_report.h.
 */
#ifndef VP_SESSION_H
#define VP_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "account/agg.h"
#include "account/disk_check.h"
#include "io/iosec.h"
#include "load/command.h"
#include "load/load.h"
#include "load/reqcount.h"
#include "out/table.h"
#include "session/capture.h"
#include "session/cost.h"

/* One interval of a step's CPU timeline. */
struct tl_point {
	double t_s; /* end of the interval, seconds since the session started */
	uint64_t mono_ns, real_ns;
	double interval_s;
	double coverage_pct;
	uint64_t steal_ns, span_ns;
	bool warmup;
	int nrows;
	struct tl_row {
		char entity[ENTITY_LEN];
		char role[ROLE_LEN];
		uint64_t busy_ns;
	} * rows;
	int nkc;
	struct kcheck_delta *kc; /* [nkc] */
};

struct sess_step {
	char label[48]; /* "light", "1000", "run" */
	int target;	/* index in the session's targets, -1: none named */
	int ntargets;	/* places in the per-target arrays below (session_step_alloc) */
	char url[512];
	struct load_plan plan;
	struct load_result res;
	bool have_res;
	/* --load-cmd: the user's own generator instead of virtprof's ("" none) */
	char cmd_line[1024];
	struct load_cmd_result cmd;
	bool have_cmd;
	/* --requests-from: the server's own counter at the window's boundaries */
	bool have_rc;
	struct reqcount_src rc_src;
	struct reqcount_read rc_before, rc_after;
	bool skipped;
	char skip_reason[160];
	bool interrupted; /* SIGINT/SIGTERM ended it early */
	bool lost;	  /* its target died during the step */
	double lost_at_s;
	double t_start_s, t_end_s;
	double t_window_s; /* the measured window's start (the warm-up's end) */

	/* CPU over the measured window (warm-up excluded) */
	struct agg agg;
	uint64_t span_ns, busy_ns, idle_ns, steal_ns, bpf_ns;
	bool bpf_known; /* kernel bpf_stats was on */
	int ncpu;
	uint64_t drops[VP_DROP_MAX];
	int nkc_iv;		 /* measured intervals folded into kc */
	struct kcheck_delta *kc; /* per target over the measured window */
	int ntl, captl;
	struct tl_point *tl;

	/* network path split: per target, plus unowned devices (lo, host bridges, ...) */
	struct net_split net;
	struct vp_na net_na; /* why net.ok is false */

	/* block I/O per owner over the measured window (DISK, the disk cross-check) */
	struct disk_split disk;
	struct vp_na disk_na; /* why disk.ok is false */
	/* the kernel's block I/O figure of each target over the same window (disk_check.h) */
	struct kdisk_reading *kd0; /* [targets] at the window's start */
	struct kdisk_delta *kdisk; /* [targets] */

	/* guest time of the VMs' vCPUs (KVM), splitting their CPU into OWN and EXITS */
	struct guest_split guest;
	struct vp_na guest_na; /* why EXITS is not available for a VM */

	/*
	 * network devices, block I/O and KVM over the step, taken when it ended: the network and
	 * block rows typed (report/io.c renders them), the KVM tables made then
	 */
	struct io_view io_view;
	struct table_set io;

	/* sampled stacks over the measured window, per owner (stacks.on: sampling ran) */
	struct stack_profile stacks;
	/* ... of which inside KVM exits, as the exit profile ("[guest] f;[exit] R;host") */
	struct stack_profile exit_stacks;

	/* the cost model's split of the measured window (session/cost.h) */
	struct step_cost cost;

	/* isolation: the wait for every target to be back near its idle baseline before the step,
	 * and each target's CPU % of the host during the step (session_baseline) */
	bool settle_tried, settled;
	double settle_s;
	double *settle_pct; /* each target's CPU % of host when the wait ended */
	double *tgt_pct;    /* during the measured window */

	/* the load generator's own limits (session_derive): its threads' CPU and run-queue wait in
	 * % of what its workers could have used; bound when either is above its threshold */
	bool lg_known;
	double lg_busy_pct, lg_rq_pct;
	bool lg_bound;
};

/*
 * A step is "load-generator bound" when its workers were busy >= 90 % of the CPU they could use
 * (they could not have sent faster), or waited for a CPU >= 10 % of it while runnable (their
 * sends and the latency clock ran late by that much: the tail percentiles measure the
 * generator's queue, not the server).
 */
#define LOADGEN_BUSY_BOUND_PCT 90.0
#define LOADGEN_RQ_BOUND_PCT 10.0

/* A target is "back at its baseline" within this many % of the host above it. */
#define SETTLE_MARGIN_PCT 2.0
/* The longest wait between steps (a target that never calms down is reported, not waited on). */
#define SETTLE_MAX_NS (20 * NSEC_PER_SEC)
/* Length of the wait's own intervals: short enough to start soon, long enough to be stable. */
#define SETTLE_STEP_NS (500 * NSEC_PER_MSEC)
/*
 * Consecutive quiet intervals that count as settled.  One is not enough: a TCG guest tearing
 * down 2,000 connections on a contended host goes quiet for half a second while it is not
 * scheduled, then resumes (seen in CI: settled after 1.1 s, then 3.8 % of the host during the
 * other target's step, its baseline 0.1 %).
 */
#define SETTLE_QUIET_RUNS 2

struct session {
	struct capture cap;
	uint64_t interval_ns;
	uint64_t t0_mono;
	sigset_t sigs;
	bool stop; /* a signal arrived: finish the current step's report and stop */
	int nsteps, capsteps;
	struct sess_step *steps;
	char testbed[64];  /* name of the testbed the session brought up, "" none */
	char workload[16]; /* compare --workload: "http", "disk-read", "disk-write"; "" none */
	/* each target's idle CPU % of the host, measured before the first step */
	bool have_baseline;
	double baseline_s;
	double *baseline_pct; /* [targets] */
};

/*
 * Open probes (and the I/O sections; light: the switch-side accounting only, capture.h) for the
 * given targets; SIGINT/SIGTERM are blocked and taken between intervals.  Returns 0 or -errno (message printed).
 */
int session_open(struct session *s, const struct capture_opts *o, uint64_t interval_ns);
void session_close(struct session *s);
/*
 * A step's per-target arrays (kc, settle and target %, network, guest and cost splits) for
 * ntargets: the session's targets are resolved once, at session_open.  -ENOMEM.
 */
int session_step_alloc(struct sess_step *st, int ntargets);
/* Add a step (plan copied); the label and the target index are for the report. */
struct sess_step *session_add_step(struct session *s, const char *label, int target,
				   const struct load_plan *plan);
/* Run one step: load while the capture closes an interval every interval_ns; fills the step.
 * Returns 0, or -errno for load failures. */
int session_run_step(struct session *s, struct sess_step *st);
/*
 * Measure every target's idle CPU (% of the host) for dur_ns with no load; from then on each step
 * first waits (at most SETTLE_MAX_NS) until every target is back within SETTLE_MARGIN_PCT of it.
 */
int session_baseline(struct session *s, uint64_t dur_ns);
/* A target's CPU % of the host in an aggregate (all its roles). */
double session_target_pct(const struct agg *a, const struct target *t, uint64_t span_ns);
/* Where a step's request count comes from (session_step_requests's *source; JSON
 * cpu.requests_source). */
#define REQS_FROM_COUNTER "requests_from"
#define REQS_FROM_CMD "load_cmd"
#define REQS_FROM_LOADGEN "loadgen"
/*
 * A step's completed requests (the divisor of every per-request figure) and where they come
 * from: --requests-from when given, else the load command's report, else virtprof's own load.
 * False when there is no count, the reason in *na.  source and na may be NULL (the count only).
 */
bool session_step_requests(const struct sess_step *st, uint64_t *n, const char **source,
			   struct vp_na *na);
/* The step's load command did not start, failed, died or was killed: the reason in msg. */
bool session_step_cmd_failed(const struct sess_step *st, char *msg, size_t len);
/* Give a step a load command / a request counter (before session_run_step). */
void session_step_cmd(struct sess_step *st, const char *line);
void session_step_reqcount(struct sess_step *st, const struct reqcount_src *src);
/* Split the step's CPU with the cost model (session/cost.h); its entity rows sorted by CPU. */
void session_derive(struct session *s, struct sess_step *st);

#endif
