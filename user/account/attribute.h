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
#include "sys/tidtab.h"

struct verdict {
	char entity[ENTITY_LEN];
	char role[ROLE_LEN];
	int target; /* index in targets, -1 none */
};

struct attributor {
	struct collector *coll;
	const struct targets *ts;
	uint32_t gen; /* bumped by attributor_invalidate */
	struct tidtab slots; /* struct verdict_slot by tid (attribute.c) */
};

int attributor_init(struct attributor *a, struct collector *c, const struct targets *ts);
void attributor_free(struct attributor *a);
/* The targets changed (added, or a container's cgroup set moved): every verdict is stale. */
void attributor_invalidate(struct attributor *a);

/* Owner of one interval row key (tid or idle key); classifies on a cache miss. */
const struct verdict *attribute_key(struct attributor *a, uint32_t key);
/* The cached owner of a thread, NULL when it was never attributed or is stale: never classifies. */
const struct verdict *attribute_cached(const struct attributor *a, uint32_t tid);

#endif
