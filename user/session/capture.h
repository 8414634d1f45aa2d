/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A capture: the accounting probes, the collector, the targets and their attribution, the I/O
 * sections and the BPF programs' own cost, interval by interval.  `top` and `serve` print each
 * interval; the session engine (engine.c) folds them into steps.  An interval comes out of here
 * attributed: the report layer only reads it.
 */
#ifndef VP_CAPTURE_H
#define VP_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "account/agg.h"
#include "account/collect.h"
#include "account/kernel_check.h"
#include "account/targets.h"
#include "io/owner.h"
#include "out/na.h"
#include "probe/account.h"
#include "probe/kernel.h"
#include "stack/profile.h"

#define MAX_PROGS 64

struct prog_cost {
	char name[64];
	int fd;
	uint64_t run_ns, run_cnt;   /* cumulative at the end of the last interval */
	uint64_t d_ns, d_cnt;	    /* during the last interval */
	uint64_t base_ns, base_cnt; /* at capture start */
};

struct iosec;
struct stack_sampler;

/*
 * Which programs a capture attaches: everything; the accounting without the network / block /
 * KVM sections (--no-io); or light mode (--light): the switch-side accounting only, no softirq /
 * irq timing, no I/O sections, no stack sampling.
 */
enum capture_probes { CAPTURE_ALL, CAPTURE_NO_IO, CAPTURE_LIGHT };

/* Why light mode has no figure, one wording for every output (text, JSON, metrics). */
#define CAPTURE_LIGHT_IRQ_NA                                                                       \
	"light mode: softirq and irq time not timed apart, left in the interrupted thread's task " \
	"time as the kernel counts it"
#define CAPTURE_LIGHT_IO_NA "light mode: no network, block or KVM programs attached"
#define CAPTURE_LIGHT_STACKS_NA "light mode: no stack sampling"

/* An open-addressing set of cgroup ids (capture.c). */
struct cgid_set {
	uint64_t *k;
	uint32_t cap, n;
};

struct capture {
	struct account_probe probe;
	struct iosec *io; /* network / block / KVM sections; NULL when disabled */
	bool io_per_step; /* the engine takes the I/O deltas per step, not per interval */
	struct stack_sampler *stacks; /* stack sampling; NULL when off or not available */
	struct vp_na stacks_na;	      /* why sampling is not available (clear when off) */
	int stacks_prog0;	      /* c->progs[] index of the sampler's first program */
	/* why the sampler cannot tag samples in KVM exits (clear: it does, where exits fire) */
	struct vp_na exit_stacks_na;
	/* why softirq and hardirq figures are not available (light mode); clear: measured */
	struct vp_na irq_na;
	struct collector coll;
	struct targets targets;
	/* with rediscovery: the cgroups threads ran in since the last full discovery, and when */
	struct cgid_set disc_seen;
	uint64_t disc_last_ns;
	struct attributor attr;
	struct kernel_mode mode;
	bool light;	 /* CAPTURE_LIGHT: softirq / irq time left with the interrupted thread */
	pid_t only_tgid; /* top -p: aggregate just this process */
	int nprogs;
	struct prog_cost progs[MAX_PROGS];
	bool stats_on; /* kernel bpf_stats enabled: program run times are measured */
	uint64_t t0_mono;
	bool open;
	/* per target, grown with the table (kc_cap places) */
	struct kcheck_reading *kc_prev; /* the kernel's figures at the last boundary */
	struct kcheck_reading *kc_now;	/* ... at this one (collector's at_boundary) */
	uint64_t *kc_ours;		/* virtprof's comparable figure over the interval */
	int kc_cap;
};

/* One closed interval, attributed per (entity, role). */
struct capture_interval {
	struct interval iv;
	struct agg agg;
	int64_t bpf_ns; /* BPF run time of every program during it; -1: bpf_stats off */
	struct stack_profile stacks; /* samples per owner and stack (stacks.on: sampling ran) */
	/* the samples of vCPU threads inside a KVM exit: "[guest] f;[exit] R;host" (exits.h) */
	struct stack_profile exit_stacks;
	int nkc;		     /* = targets.n */
	struct kcheck_delta *kc;     /* [nkc] per target: the kernel's figure beside virtprof's */
};

/* What a capture is opened with: the targets named (none: discover), the sizes. */
struct capture_opts {
	const char **vms, **ctrs;
	int nvm, nctr;
	enum capture_probes which; /* CAPTURE_ALL: the network / block / KVM sections too */
	uint32_t max_threads; /* sizes the per-thread maps (0: the default) */
	int max_targets;      /* bounds the target table (0: TARGETS_DEFAULT_MAX) */
};

/*
 * Resolve targets (with none given: discover), load and attach the accounting programs and (with
 * CAPTURE_ALL) the network / block / KVM sections (CAPTURE_LIGHT: every section there, not
 * available with the reason), start the first interval.  -errno, message printed.
 */
int capture_open(struct capture *c, const struct capture_opts *o);
/*
 * Resolve the targets again (none given: discover again) and re-attribute from the next interval
 * on; the probes stay attached.  On an error (message printed) the old targets are kept.
 */
int capture_retarget(struct capture *c, const char **vms, int nvm, const char **ctrs, int nctr);
/*
 * Sample stacks at hz per CPU from now on (after capture_open); each interval then carries its
 * samples, attributed like its rows.  Not available is not an error: the reason is kept in
 * stacks_na and -errno returned.
 */
int capture_stacks(struct capture *c, unsigned int hz);
/* Stop sampling (serve samples only while a profile is asked for); the probes stay attached. */
void capture_stacks_stop(struct capture *c);
/* Close the current interval: rows attributed, coverage, drops, program costs; targets refreshed. */
int capture_next(struct capture *c, struct capture_interval *ci);
void capture_interval_free(struct capture_interval *ci);
/* Take the I/O sections' deltas and attribute the threads they name. */
void capture_io(struct capture *c);
void capture_close(struct capture *c);
/*
 * The I/O sections' owner lookup (io/owner.h): reads verdicts and targets already made, never
 * classifies.  A bio's owner is its blkcg's target, else its submitter's; a tap's its holder's
 * target; a veth end's the container in its netns.
 */
int capture_io_owner(void *ctx, const struct io_owner_key *k, char *entity, size_t elen, char *role,
		     size_t rlen);

#endif
