/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Block I/O section: ops, bytes, errors and a log2 latency histogram per (bio blkcg cgroup,
 * submitting thread, device, op), owner from the blkcg when the kernel attached one, else the
 * submitter; writeback kworkers labelled.
 */
#ifndef VP_BLOCKIO_H
#define VP_BLOCKIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/owner.h"
#include "virtprof.h"

struct block_bpf;

struct blk_row {
	struct vp_blk_key key;
	struct vp_blk_stats total, delta;
	uint64_t active_ns; /* last collect that saw it move */
};

struct blockio {
	struct block_bpf *skel;
	int ncpu;
	const char *flavour;
	struct blk_row *rows;
	int n, cap;
	uint64_t drops[VP_BLK_DROP_MAX], drops_delta[VP_BLK_DROP_MAX];
	uint64_t purged; /* in-flight entries dropped after 60 s without completion */
	uint64_t last_purge_ns;
};

int blockio_open(struct blockio **b);
int blockio_collect(struct blockio *b);
void blockio_close(struct blockio *b);
void blockio_for_each_tid(const struct blockio *b, io_tid_fn fn, void *ctx);

/* ---- the interval as typed rows, for report/ to render (report/io.c) ---- */

/* The bios of one (owner entity, role, device, op, blkcg) this interval. */
struct blk_group {
	char entity[64]; /* the owner; "cgroup:<id>" / "other:<comm>" when it named none */
	char role[32];	 /* the owner's role, or the submitter's kind ("writeback", "kthread") */
	char dev[32];
	unsigned int op;
	uint64_t cgid; /* the bio's blkcg; 0: none (owner is the submitting thread) */
	struct vp_blk_stats s;
};

struct block_view {
	struct blk_group *group;
	int n;
	uint64_t drops[VP_BLK_DROP_MAX]; /* this interval, by enum vp_blk_drop */
	uint64_t purged;		 /* in-flight entries dropped (never completed), so far */
};

/*
 * This interval's rows grouped by owner; block_view_free after.  -ENOMEM leaves the drops and
 * no groups.
 */
int blockio_view(const struct blockio *b, io_owner_fn owner, void *ctx, struct block_view *v);
void block_view_free(struct block_view *v);

/* ---- pure helpers ---- */
const char *blockio_op_name(unsigned int op);
/* Upper bound (us) of the bucket holding the pct-th percentile; 0 if the histogram is empty. */
uint64_t blockio_hist_pct(const uint64_t *hist, int nb, double pct);
/* The histogram as text: "2:5 16:40" = upper bound (us) of each non-empty bucket : count. */
void blockio_hist_str(const uint64_t *hist, int nb, char *buf, size_t len);
/* "loop3" for a kernel dev_t (major << 20 | minor), "MAJ:MIN" when unknown. */
void blockio_dev_name(unsigned int dev, char *buf, size_t len);
/* Role label of a row's submitter ("writeback", "kthread", "" for a user thread). */
const char *blockio_submitter_role(const struct vp_blk_key *k);

#endif
