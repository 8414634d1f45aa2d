/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribution: every interval row gets an owner -- an entity and a role -- from the thread's
 * recorded facts, /proc and the targets (rules in classify.h).  Verdicts are cached per thread
 * until its facts change (the collector bumps facts_seq) or the targets change
 * (attributor_invalidate).  The session attributes an interval once, when it is closed; reports
 * only read the result (agg rows, attribute_cached), so printing never classifies.
 */
#ifndef VP_ATTRIBUTE_H
#define VP_ATTRIBUTE_H

#include <stddef.h>
#include <stdint.h>

#include "account/classify.h"
#include "account/collect.h"

struct verdict {
	char entity[ENTITY_LEN];
	char role[ROLE_LEN];
	int target; /* index in targets, -1 none */
};

struct verdict_slot;

struct attributor {
	struct collector *coll;
	const struct targets *ts;
	uint32_t gen; /* bumped by attributor_invalidate */
	struct verdict_slot *slots;
	uint32_t n, cap;
};

int attributor_init(struct attributor *a, struct collector *c, const struct targets *ts);
void attributor_free(struct attributor *a);
/* The targets changed (added, or a container's cgroup set moved): every verdict is stale. */
void attributor_invalidate(struct attributor *a);

/* Owner of one interval row key (tid or idle key); classifies on a cache miss. */
const struct verdict *attribute_key(struct attributor *a, uint32_t key);
/* The cached owner of a thread, NULL when it was never attributed or is stale: never classifies. */
const struct verdict *attribute_cached(const struct attributor *a, uint32_t tid);

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
