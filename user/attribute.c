// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attribute.h"
#include "procfs.h"
#include "self.h"
#include "util.h"

int attribute_targets_gen = 1;

static struct thread_rec idle_rec = { .entity = "other", .role = "swapper", .target = -1 };
static struct thread_rec unknown_rec = { .entity = "other", .role = "unknown", .target = -1 };

static bool needs_cmdline(const char *pcomm)
{
	return !strcmp(pcomm, "docker-proxy") || !strncmp(pcomm, "containerd-shim", 15) ||
	       !strcmp(pcomm, "conmon");
}

static void attribute_rec(struct collector *c, const struct targets *ts, struct thread_rec *r,
			  int depth)
{
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
	char *cmd = NULL;
	pid_t owner;

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
		if (pr->attr_round != attribute_targets_gen)
			attribute_rec(c, ts, pr, depth + 1);
		snprintf(parent_attr.entity, sizeof(parent_attr.entity), "%s", pr->entity);
		snprintf(parent_attr.role, sizeof(parent_attr.role), "%s", pr->role);
		parent_attr.target = pr->target;
		parent = &parent_attr;
	}
	classify_thread(&f, ts, self_role_of(ti->tid, ti->tgid), parent, &out);
	free(cmd);
	snprintf(r->entity, sizeof(r->entity), "%s", out.entity);
	snprintf(r->role, sizeof(r->role), "%s", out.role);
	r->target = out.target;
	r->attr_round = attribute_targets_gen;
}

const struct thread_rec *attribute_key(struct collector *c, const struct targets *ts, uint32_t key)
{
	struct thread_rec *r;

	if (VP_IS_IDLE_KEY(key))
		return &idle_rec;
	r = collector_thread(c, key);
	if (!r)
		return &unknown_rec;
	if (r->attr_round != attribute_targets_gen)
		attribute_rec(c, ts, r, 0);
	return r;
}

struct agg_row *agg_find(struct agg *a, const char *entity, const char *role)
{
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->rows[i].entity, entity) && !strcmp(a->rows[i].role, role))
			return &a->rows[i];
	return NULL;
}

static struct agg_row *agg_get(struct agg *a, const char *entity, const char *role, int target)
{
	struct agg_row *row = agg_find(a, entity, role);

	if (row)
		return row;
	if (a->n == a->cap) {
		int cap = a->cap ? a->cap * 2 : 32;
		struct agg_row *rows = realloc(a->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		a->rows = rows;
		a->cap = cap;
	}
	row = &a->rows[a->n++];
	memset(row, 0, sizeof(*row));
	snprintf(row->entity, sizeof(row->entity), "%s", entity);
	snprintf(row->role, sizeof(row->role), "%s", role);
	row->target = target;
	return row;
}

static void add_stats(struct vp_thread_stats *d, const struct vp_thread_stats *s)
{
	d->task_ns += s->task_ns;
	for (int i = 0; i < VP_NR_SOFTIRQS; i++)
		d->softirq_ns[i] += s->softirq_ns[i];
	d->hardirq_ns += s->hardirq_ns;
	d->rq_delay_ns += s->rq_delay_ns;
	if (s->rq_delay_max_ns > d->rq_delay_max_ns)
		d->rq_delay_max_ns = s->rq_delay_max_ns;
	d->nr_rq += s->nr_rq;
	d->nvcsw += s->nvcsw;
	d->nivcsw += s->nivcsw;
	d->nr_softirq += s->nr_softirq;
}

static int cmp_busy(const void *a, const void *b)
{
	uint64_t x = sample_busy_ns(&((const struct agg_row *)a)->st);
	uint64_t y = sample_busy_ns(&((const struct agg_row *)b)->st);

	if (x != y)
		return x < y ? 1 : -1;
	return strcmp(((const struct agg_row *)a)->entity, ((const struct agg_row *)b)->entity);
}

void agg_sort(struct agg *a)
{
	qsort(a->rows, a->n, sizeof(*a->rows), cmp_busy);
}

int agg_build(struct agg *a, struct collector *c, const struct targets *ts,
	      const struct interval *iv, pid_t only_tgid)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < iv->n; i++) {
		const struct sample *s = &iv->s[i];
		const struct thread_rec *r = attribute_key(c, ts, s->key);
		struct agg_row *row;

		if (only_tgid > 0 && (VP_IS_IDLE_KEY(s->key) || (pid_t)r->info.tgid != only_tgid))
			continue;
		row = agg_get(a, r->entity, r->role, r->target);
		if (!row)
			return -ENOMEM;
		row->nthreads++;
		add_stats(&row->st, &s->st);
		a->busy_ns += sample_busy_ns(&s->st);
	}
	agg_sort(a);
	return 0;
}

int agg_merge(struct agg *a, const struct agg *b)
{
	for (int i = 0; i < b->n; i++) {
		struct agg_row *row =
			agg_get(a, b->rows[i].entity, b->rows[i].role, b->rows[i].target);

		if (!row)
			return -ENOMEM;
		if (b->rows[i].nthreads > row->nthreads)
			row->nthreads = b->rows[i].nthreads;
		add_stats(&row->st, &b->rows[i].st);
	}
	a->busy_ns += b->busy_ns;
	return 0;
}

void agg_free(struct agg *a)
{
	free(a->rows);
	memset(a, 0, sizeof(*a));
}
