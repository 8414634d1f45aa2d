/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Totals: what the capture measured, summed interval by interval since the agent started, for
 * `virtprof serve`.  Every counter here only grows while its series exists.  Cardinality is
 * bounded: `other` keeps at most top_other process names of its own (ranked by recent CPU; the
 * rest is summed into one remainder row), and a series that has not moved for the grace period
 * (and does not belong to a live target) is dropped; when it moves again it starts from 0.
 * report/metrics.c names and renders them; nothing here knows a metric name.
 */
#ifndef VP_TOTALS_H
#define VP_TOTALS_H

#include <stdbool.h>
#include <stdint.h>

#include "account/targets.h"
#include "session/capture.h"
#include "virtprof.h"

/* The remainder row of `other`: every process name outside the top N. */
#define TOTALS_OTHER_REST "(rest)"
#define TOTALS_LABEL_LEN 64

/* Entity kinds: the `kind` label. */
const char *totals_kind_of(const char *entity);

struct tot_cpu {
	struct {
		char entity[ENTITY_LEN];
		char role[ROLE_LEN];
	} key;
	char target[ENTITY_LEN]; /* target name ("" for loadgen, profiler, other) */
	int tindex;		 /* index in the capture's targets, -1 none */
	uint64_t task_ns, hardirq_ns, softirq_ns[VP_NR_SOFTIRQS];
	uint64_t rq_delay_ns, nr_rq, nvcsw, nivcsw;
	uint64_t seen_ns; /* monotonic end of the last interval that charged it */
};

struct tot_net {
	struct {
		uint32_t netns;
		int32_t ifindex;
		char dev[16];
		char owner[ENTITY_LEN]; /* target entity or "" */
		char vhost[16];		/* tap: vhost mode of its holder, else "" */
	} key;
	const char *kind;
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t sirq_ns[2]; /* NET_TX, NET_RX softirq time split to this device */
	uint64_t proc_ns, proc_pkts;
	uint64_t seen_ns;
};

struct tot_blk {
	struct {
		char entity[ENTITY_LEN];
		char role[ROLE_LEN];
		char dev[32];
		char op[16];
	} key;
	uint64_t ops, bytes, errors, lat_ns;
	uint64_t hist[VP_BLK_HIST]; /* log2 us buckets, as vp_blk_stats */
	uint64_t seen_ns;
};

struct tot_kvm {
	struct {
		char entity[ENTITY_LEN];
		char thread[VP_COMM_LEN]; /* the vCPU thread's name ("CPU 0/KVM") */
		char reason[32];	  /* exits by reason; "" for the pio/mmio row */
	} key;
	uint64_t pio_in, pio_out, mmio_read, mmio_write, exits, handle_ns;
	uint64_t seen_ns;
};

struct tot_prog {
	char name[64]; /* key */
	uint64_t run_ns, run_cnt;
};

/* Candidates for the top N of `other`, ranked by decayed CPU. */
struct tot_other {
	char name[ROLE_LEN]; /* key */
	double score;	     /* busy ns, decayed by half every 10 intervals */
	bool named;	     /* has a series of its own */
	uint64_t seen_ns;
};

struct totals {
	int top_other;
	uint64_t grace_ns;
	uint64_t t0_mono, t0_real;
	uint64_t intervals;
	uint64_t last_interval_ns, last_end_real_ns;
	/* coverage: sums over CPUs, and the last interval's */
	uint64_t busy_ns, idle_ns, span_ns;
	double last_coverage_pct; /* NaN when the last interval had no span */
	int64_t bpf_ns;		  /* -1: bpf_stats off */
	uint64_t drops[VP_DROP_MAX];
	uint64_t net_drops[VP_NET_DROP_MAX], blk_drops[VP_BLK_DROP_MAX], kvm_drops[VP_KVM_DROP_MAX];
	/* /proc/stat steal per CPU since start (USER_HZ ticks), -1 before the first read */
	int nsteal;
	long clk_tck; /* USER_HZ */
	uint64_t *steal0, *steal;
	/* the agent's own process */
	uint64_t self_utime_ns, self_stime_ns, self_rss_bytes;
	uint64_t evicted; /* series dropped (grace period or pushed out of the top N) */

	struct tot_cpu *cpu;
	int ncpu, capcpu;
	struct tot_other *other;
	int nother, capother;
	struct tot_net *net;
	int nnet, capnet;
	struct tot_blk *blk;
	int nblk, capblk;
	struct tot_kvm *kvm;
	int nkvm, capkvm;
	struct tot_prog *prog;
	int nprog, capprog;
};

void totals_init(struct totals *t, int top_other, uint64_t grace_ns);
/* Add one closed interval of the capture (its I/O deltas already taken). -ENOMEM. */
int totals_add(struct totals *t, struct capture *c, const struct capture_interval *ci);
void totals_free(struct totals *t);

#endif
