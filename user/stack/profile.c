// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/intern.h"
#include "stack/profile.h"
#include "sys/util.h"

static uint64_t row_hash(const char *entity, const char *role, uint32_t ctx, const char *stack)
{
	uint64_t h = intern_hash(entity, strlen(entity), INTERN_HASH_SEED);

	h = intern_hash(role, strlen(role) + 1, h);
	h = intern_hash(&ctx, sizeof(ctx), h);
	return intern_hash(&stack, sizeof(stack), h);
}

static int reindex(struct stack_profile *p, uint32_t slots)
{
	uint32_t *idx = calloc(slots, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	for (int i = 0; i < p->n; i++) {
		const struct stack_prow *r = &p->rows[i];
		uint32_t h = row_hash(r->entity, r->role, r->ctx, r->stack) & (slots - 1);

		while (idx[h])
			h = (h + 1) & (slots - 1);
		idx[h] = i + 1;
	}
	free(p->index);
	p->index = idx;
	p->nindex = slots;
	return 0;
}

int stack_profile_add(struct stack_profile *p, const char *entity, const char *role, uint32_t ctx,
		      const char *stack, uint64_t count)
{
	struct stack_prow *r;
	uint32_t h;

	if (!p->strs && !(p->strs = calloc(1, sizeof(*p->strs))))
		return -ENOMEM;
	stack = intern(p->strs, stack, NULL);
	if (!stack)
		return -ENOMEM;
	if ((uint32_t)(p->n + 1) * 2 > p->nindex && reindex(p, p->nindex ? p->nindex * 2 : 1024))
		return -ENOMEM;
	h = row_hash(entity, role, ctx, stack) & (p->nindex - 1);
	for (; p->index[h]; h = (h + 1) & (p->nindex - 1)) {
		r = &p->rows[p->index[h] - 1];
		if (r->stack == stack && r->ctx == ctx && !strcmp(r->entity, entity) &&
		    !strcmp(r->role, role)) {
			r->count += count;
			return 0;
		}
	}
	r = array_grow(p->rows, &p->cap, p->n, sizeof(*r));
	if (!r)
		return -ENOMEM;
	p->rows = r;
	r = &p->rows[p->n];
	snprintf(r->entity, sizeof(r->entity), "%s", entity);
	snprintf(r->role, sizeof(r->role), "%s", role);
	r->ctx = ctx;
	r->stack = stack;
	r->count = count;
	p->index[h] = ++p->n;
	return 0;
}

int stack_profile_merge(struct stack_profile *a, const struct stack_profile *b)
{
	if (!b->on)
		return 0;
	a->on = true;
	a->hz = b->hz;
	a->samples += b->samples;
	a->lost += b->lost;
	a->truncated += b->truncated;
	for (int i = 0; i < b->n; i++) {
		const struct stack_prow *r = &b->rows[i];
		int err = stack_profile_add(a, r->entity, r->role, r->ctx, r->stack, r->count);

		if (err)
			return err;
	}
	return 0;
}

void stack_profile_free(struct stack_profile *p)
{
	if (p->strs)
		intern_free(p->strs);
	free(p->strs);
	free(p->rows);
	free(p->index);
	memset(p, 0, sizeof(*p));
}

static int row_cmp(const void *x, const void *y)
{
	const struct stack_prow *a = x, *b = y;
	int c = strcmp(a->entity, b->entity);

	if (!c)
		c = strcmp(a->role, b->role);
	if (!c)
		c = (a->ctx > b->ctx) - (a->ctx < b->ctx);
	if (!c)
		c = (a->count < b->count) - (a->count > b->count);
	if (!c)
		c = strcmp(a->stack, b->stack);
	return c;
}

void stack_profile_sort(struct stack_profile *p)
{
	if (!p->n)
		return;
	qsort(p->rows, p->n, sizeof(*p->rows), row_cmp);
	reindex(p, p->nindex ? p->nindex : 1024);
}
