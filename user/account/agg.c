// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "account/agg.h"
#include "sys/util.h"

static uint32_t agg_hash(const char *entity, const char *role)
{
	uint32_t h = 2166136261u; /* FNV-1a over "entity\0role" */

	for (const char *p = entity; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *p = role; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

/* The index slot of (entity, role): its row, or the empty slot where it would go. */
static uint32_t *agg_slot(const struct agg *a, const char *entity, const char *role)
{
	uint32_t mask = a->hcap - 1, i = agg_hash(entity, role) & mask;

	for (uint32_t n = 0; n < a->hcap; n++, i = (i + 1) & mask) {
		const struct agg_row *r;

		if (!a->hidx[i])
			return &a->hidx[i];
		r = &a->rows[a->hidx[i] - 1];
		if (!strcmp(r->entity, entity) && !strcmp(r->role, role))
			return &a->hidx[i];
	}
	return NULL; /* cannot happen at most half full */
}

/* Index rows [hn, n), growing (and rebuilding) the index to hold want rows at most half full. */
static int agg_index(struct agg *a, int want)
{
	if (!a->hidx || (uint32_t)want * 2 > a->hcap) {
		uint32_t cap = a->hcap ? a->hcap : 64;

		while ((uint32_t)want * 2 > cap)
			cap *= 2;
		free(a->hidx);
		a->hidx = calloc(cap, sizeof(*a->hidx));
		a->hn = 0;
		if (!a->hidx) {
			a->hcap = 0;
			return -ENOMEM;
		}
		a->hcap = cap;
	}
	for (; a->hn < a->n; a->hn++) {
		const struct agg_row *r = &a->rows[a->hn];
		uint32_t *s = agg_slot(a, r->entity, r->role);

		if (s && !*s)
			*s = (uint32_t)a->hn + 1;
	}
	return 0;
}

struct agg_row *agg_find(struct agg *a, const char *entity, const char *role)
{
	uint32_t *s;

	if (!a->n || agg_index(a, a->n))
		return NULL;
	s = agg_slot(a, entity, role);
	return s && *s ? &a->rows[*s - 1] : NULL;
}

static struct agg_row *agg_get(struct agg *a, const char *entity, const char *role, int target)
{
	struct agg_row *row;
	uint32_t *s;

	if (agg_index(a, a->n + 1))
		return NULL;
	s = agg_slot(a, entity, role);
	if (!s)
		return NULL;
	if (*s)
		return &a->rows[*s - 1];
	row = array_push((void **)&a->rows, &a->n, &a->cap, sizeof(*row));
	if (!row)
		return NULL;
	snprintf(row->entity, sizeof(row->entity), "%s", entity);
	snprintf(row->role, sizeof(row->role), "%s", role);
	row->target = target;
	*s = (uint32_t)a->n;
	a->hn = a->n;
	return row;
}

static int cmp_busy(const void *a, const void *b)
{
	uint64_t x = stats_busy_ns(&((const struct agg_row *)a)->st);
	uint64_t y = stats_busy_ns(&((const struct agg_row *)b)->st);

	if (x != y)
		return x < y ? 1 : -1;
	return strcmp(((const struct agg_row *)a)->entity, ((const struct agg_row *)b)->entity);
}

void agg_sort(struct agg *a)
{
	qsort(a->rows, a->n, sizeof(*a->rows), cmp_busy);
	/* the rows moved: index them again at the next lookup */
	free(a->hidx);
	a->hidx = NULL;
	a->hcap = 0;
	a->hn = 0;
}

int agg_build(struct agg *a, struct attributor *at, const struct interval *iv, pid_t only_tgid)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < iv->n; i++) {
		const struct interval_row *s = &iv->rows[i];
		const struct verdict *v = attribute_key(at, s->key);
		struct agg_row *row;

		if (only_tgid > 0) {
			const struct thread_rec *r =
				VP_IS_IDLE_KEY(s->key) ? NULL : collector_thread(at->coll, s->key);

			if (!r || (pid_t)r->info.tgid != only_tgid)
				continue;
		}
		row = agg_get(a, v->entity, v->role, v->target);
		if (!row)
			return -ENOMEM;
		row->nthreads++;
		vp_stats_add(&row->st, &s->st);
		a->busy_ns += stats_busy_ns(&s->st);
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
		vp_stats_add(&row->st, &b->rows[i].st);
	}
	a->busy_ns += b->busy_ns;
	return 0;
}

void agg_free(struct agg *a)
{
	free(a->hidx);
	free(a->rows);
	memset(a, 0, sizeof(*a));
}
