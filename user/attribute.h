/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Joins the collector's samples with classification: every sample key gets an entity and role
 * (cached per thread until its facts or the targets change), then rows per (entity, role).
 */
#ifndef VP_ATTRIBUTE_H
#define VP_ATTRIBUTE_H

#include <stdint.h>

#include "classify.h"
#include "collect.h"

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
};

/* Bump when targets change so cached attributions are recomputed. */
extern int attribute_targets_gen;

/* Entity and role of one sample key (tid or idle key). */
const struct thread_rec *attribute_key(struct collector *c, const struct targets *ts, uint32_t key);

/*
 * Aggregate an interval's samples per (entity, role).  With only_tgid > 0 keep just that
 * process's threads.  Rows are sorted by busy time, largest first.
 */
int agg_build(struct agg *a, struct collector *c, const struct targets *ts,
	      const struct interval *iv, pid_t only_tgid);
/* Add b's rows into a (sums session totals from intervals). */
int agg_merge(struct agg *a, const struct agg *b);
struct agg_row *agg_find(struct agg *a, const char *entity, const char *role);
void agg_free(struct agg *a);
void agg_sort(struct agg *a);

#endif
