/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A CPU-accounting session: probes + collector + targets + the kernel's accounting mode, and the
 * report sections every command shares (targets, entities, softirq by vector, coverage, drops,
 * the profiler's own cost).  `top` prints them per interval; `run`/`compare` sum them per step.
 */
#ifndef VP_CPUREPORT_H
#define VP_CPUREPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "attribute.h"
#include "classify.h"
#include "collect.h"
#include "probes.h"
#include "report/table.h"
#include "sysinfo.h"

#define MAX_PROGS 64

struct prog_cost {
	char name[64];
	int fd;
	uint64_t run_ns, run_cnt;   /* cumulative at the last take */
	uint64_t d_ns, d_cnt;	    /* during the last interval */
	uint64_t base_ns, base_cnt; /* at session start */
};

struct iosec;

struct session_cpu {
	struct probes probes;
	struct iosec *io;  /* network / block / KVM sections; NULL when disabled */
	bool io_by_caller; /* sessions take the I/O deltas per step themselves, not per interval */
	struct collector coll;
	struct targets targets;
	struct sysinfo_mode mode;
	int nprogs;
	struct prog_cost progs[MAX_PROGS];
	uint64_t t0_mono;
	bool open;
};

/*
 * Resolve targets (with none given: discover), load and attach the accounting programs and (with
 * io) the network / block / KVM sections, start the first interval.
 */
int session_cpu_open(struct session_cpu *s, const char **vms, int nvm, const char **ctrs, int nctr,
		     bool io);
/* Close the current interval: samples, coverage, drops; targets refreshed; program costs. */
int session_cpu_take(struct session_cpu *s, struct interval *iv);
void session_cpu_close(struct session_cpu *s);
/* Register extra BPF programs (network/block/KVM objects) for the profiler-cost section. */
void session_cpu_add_prog(struct session_cpu *s, const char *name, int fd);
/* BPF run time of all registered programs during the last interval; -1 when bpf_stats is off. */
int64_t session_cpu_bpf_ns(const struct session_cpu *s);

struct cpureport_opts {
	enum out_mode mode;
	pid_t only_tgid;
	bool softirq_text;
	bool io_text; /* network / block / KVM tables in text mode too */
};

/* Text: the accounting mode and targets, once.  JSON: nothing (each object is complete). */
void cpureport_header(struct session_cpu *s, const struct cpureport_opts *o, FILE *f);
/* One interval: text tables, or one JSON object on one line. */
void cpureport_interval(struct session_cpu *s, const struct interval *iv,
			const struct cpureport_opts *o, FILE *f);

/* Section builders, shared with the session report. */
void cpureport_targets(const struct session_cpu *s, struct out *o);
void cpureport_entities(const struct agg *a, uint64_t span_ns, const char *key, struct out *o);
void cpureport_softirq(const struct agg *a, struct out *o);
/* bpf_ns < 0: program run time unknown (kernel bpf_stats off). */
void cpureport_coverage(const struct interval *iv, int64_t bpf_ns, struct out *o);
void cpureport_drops(const uint64_t *drops, bool text_only_nonzero, struct out *o);
/* Per-program cost during the last interval, or (whole) since the session started. */
void cpureport_profiler(const struct session_cpu *s, uint64_t span_ns, bool whole, struct out *o);
/* The I/O sections of the last interval (owner lookups through the session's attribution). */
void cpureport_io(struct session_cpu *s, double interval_s, struct out *o);

#endif
