// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "account/attribute.h"
#include "sys/procfs.h"
#include "account/self.h"
#include "sys/util.h"

static const struct verdict idle_verdict = { .entity = "other", .role = "swapper", .target = -1 };
static const struct verdict unknown_verdict = { .entity = "other",
						.role = "unknown",
						.target = -1 };

struct verdict_slot {
	uint32_t tid; /* 0: empty */
	uint32_t gen, facts_seq;
	struct verdict v;
};
_Static_assert(offsetof(struct verdict_slot, tid) == 0, "the table finds a slot by its tid");

/* A verdict is kept while the collector still knows its thread. */
static bool slot_kept(const void *entry, void *ctx)
{
	const struct verdict_slot *s = entry;

	return collector_thread(ctx, s->tid) != NULL;
}

int attributor_init(struct attributor *a, struct collector *c, const struct targets *ts)
{
	memset(a, 0, sizeof(*a));
	a->coll = c;
	a->ts = ts;
	a->gen = 1;
	return tidtab_init(&a->slots, sizeof(struct verdict_slot), 4096, slot_kept, c);
}

void attributor_free(struct attributor *a)
{
	tidtab_free(&a->slots);
	memset(a, 0, sizeof(*a));
}

void attributor_invalidate(struct attributor *a)
{
	a->gen++;
}

static bool slot_fresh(const struct attributor *a, const struct verdict_slot *s,
		       const struct thread_rec *r)
{
	return s && s->gen == a->gen && s->facts_seq == r->facts_seq;
}

static bool needs_cmdline(const char *pcomm)
{
	return !strcmp(pcomm, "docker-proxy") || !strncmp(pcomm, "containerd-shim", 15) ||
	       !strcmp(pcomm, "conmon");
}

static const struct verdict *attribute_rec(struct attributor *a, struct thread_rec *r, int depth)
{
	struct collector *c = a->coll;
	const struct targets *ts = a->ts;
	struct verdict_slot *slot = tidtab_get(&a->slots, r->info.tid);
	struct vp_thread_info *ti = &r->info;
	struct thread_facts f = {
		.tid = ti->tid,
		.tgid = ti->tgid,
		.parent_tgid = ti->parent_tgid,
		.flags = ti->flags,
		.cgid_v2 = ti->cgid_v2,
		.cgid_v1_cpu = ti->cgid_v1_cpu,
	};
	struct attribution parent_attr, out, *parent = NULL;
	struct thread_rec *leader, *pr;
	enum self_role self;
	char *cmd = NULL;
	pid_t owner;

	if (slot_fresh(a, slot, r))
		return &slot->v;
	memcpy(f.comm, ti->comm, sizeof(f.comm));
	f.comm[sizeof(f.comm) - 1] = '\0';
	leader = ti->tgid != ti->tid ? collector_thread(c, ti->tgid) : r;
	if (leader)
		memcpy(f.pcomm, leader->info.comm, sizeof(f.pcomm));
	else if (proc_comm(ti->tgid, f.pcomm, sizeof(f.pcomm)))
		memcpy(f.pcomm, f.comm, sizeof(f.pcomm));
	f.pcomm[sizeof(f.pcomm) - 1] = '\0';
	if (needs_cmdline(f.pcomm)) {
		cmd = proc_cmdline(ti->tgid, &f.cmdline_len);
		f.cmdline = cmd;
	}
	owner = classify_kthread_owner(f.comm, f.flags);
	if (owner) {
		struct thread_rec *o = collector_thread(c, owner);

		f.owner_tgid = o ? (pid_t)o->info.tgid : proc_tgid_of(owner);
	}
	/* The creating process's verdict, for inheritance (bounded: fork chains can be long). */
	if (ti->parent_tgid && ti->parent_tgid != ti->tgid && depth < 4 &&
	    (pr = collector_thread(c, ti->parent_tgid))) {
		const struct verdict *pv = attribute_rec(a, pr, depth + 1);

		snprintf(parent_attr.entity, sizeof(parent_attr.entity), "%s", pv->entity);
		snprintf(parent_attr.role, sizeof(parent_attr.role), "%s", pv->role);
		parent_attr.target = pv->target;
		parent = &parent_attr;
	}
	self = self_role_of(ti->tid, ti->tgid);
	if (self == SELF_NONE)
		self = self_role_of_cgroup(ti->cgid_v2, ti->cgid_v1_cpu);
	classify_thread(&f, ts, self, parent, &out);
	free(cmd);
	/* rebuilt (dropping forgotten threads, grown when the live ones need it) before it is full */
	if (tidtab_reserve(&a->slots, 1))
		return &unknown_verdict;
	slot = tidtab_put(&a->slots, ti->tid);
	if (!slot)
		return &unknown_verdict;
	slot->gen = a->gen;
	slot->facts_seq = r->facts_seq;
	snprintf(slot->v.entity, sizeof(slot->v.entity), "%s", out.entity);
	snprintf(slot->v.role, sizeof(slot->v.role), "%s", out.role);
	slot->v.target = out.target;
	return &slot->v;
}

const struct verdict *attribute_key(struct attributor *a, uint32_t key)
{
	struct thread_rec *r;

	if (VP_IS_IDLE_KEY(key))
		return &idle_verdict;
	r = collector_thread(a->coll, key);
	if (!r)
		return &unknown_verdict;
	return attribute_rec(a, r, 0);
}

const struct verdict *attribute_cached(const struct attributor *a, uint32_t tid)
{
	const struct thread_rec *r = tid ? collector_thread(a->coll, tid) : NULL;
	const struct verdict_slot *s;

	if (!r)
		return NULL;
	s = tidtab_get(&a->slots, tid);
	return slot_fresh(a, s, r) ? &s->v : NULL;
}
