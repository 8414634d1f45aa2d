/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPU per owner (entity, role): an interval's rows aggregated by their verdicts
 * (account/attribute.h), and a step's or a session's sums of those.
 */
#ifndef VP_AGG_H
#define VP_AGG_H

#include <stdint.h>
#include <sys/types.h>

#include "account/attribute.h"

/* The CPU of one owner (entity, role) over an interval or a step. */
struct agg_row {
	char entity[ENTITY_LEN];
	char role[ROLE_LEN];
	int target; /* index in targets, -1 none */
	uint32_t nthreads;
	struct vp_thread_stats st; /* sums; rq_delay_max_ns is a max */
};

struct agg {
	int n, cap;
	struct agg_row *rows;
	uint64_t busy_ns;
	/*
	 * (entity, role) -> row + 1, open addressing, at most half full: an interval of 100,000
	 * rows among 1,000 owners is not a linear search per row.  Rows appended by hand are
	 * indexed on the next lookup (hn: rows indexed so far); agg_sort drops the index.
	 */
	uint32_t *hidx;
	uint32_t hcap;
	int hn;
};

/*
 * Aggregate an interval's rows per (entity, role).  With only_tgid > 0 keep just that process's
 * threads.  Rows are sorted by busy time, largest first.
 */
int agg_build(struct agg *a, struct attributor *at, const struct interval *iv, pid_t only_tgid);
/* Add b's rows into a (sums session totals from intervals). */
int agg_merge(struct agg *a, const struct agg *b);
struct agg_row *agg_find(struct agg *a, const char *entity, const char *role);
void agg_free(struct agg *a);
void agg_sort(struct agg *a);

#endif
