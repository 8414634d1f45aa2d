// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sys/tidtab.h"

/* The largest table: 2^30 slots, half of them usable. */
#define TIDTAB_MAXCAP (1u << 30)

static inline void *slot_at(const struct tidtab *t, uint32_t i)
{
	return (char *)t->slots + (size_t)i * t->esize;
}

static inline uint32_t slot_tid(const void *e)
{
	uint32_t tid;

	memcpy(&tid, e, sizeof(tid));
	return tid;
}

/* tid's slot or the empty one where it would go; NULL only if the table were full (never). */
static void *slot_find(const struct tidtab *t, uint32_t tid)
{
	uint32_t mask = t->cap - 1, i = (tid * 2654435761u) & mask;

	for (uint32_t n = 0; n < t->cap; n++, i = (i + 1) & mask) {
		void *e = slot_at(t, i);
		uint32_t et = slot_tid(e);

		if (et == tid || !et)
			return e;
	}
	return NULL;
}

int tidtab_init(struct tidtab *t, size_t esize, uint32_t cap,
		bool (*keep)(const void *entry, void *ctx), void *ctx)
{
	memset(t, 0, sizeof(*t));
	if (esize < sizeof(uint32_t) || !cap || (cap & (cap - 1)) || cap > TIDTAB_MAXCAP)
		return -EINVAL;
	t->slots = calloc(cap, esize);
	if (!t->slots)
		return -ENOMEM;
	t->esize = esize;
	t->cap = t->mincap = cap;
	t->keep = keep;
	t->keep_ctx = ctx;
	return 0;
}

void tidtab_free(struct tidtab *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

void *tidtab_get(const struct tidtab *t, uint32_t tid)
{
	void *e;

	if (!tid)
		return NULL;
	e = slot_find(t, tid);
	return e && slot_tid(e) == tid ? e : NULL;
}

void *tidtab_put(struct tidtab *t, uint32_t tid)
{
	void *e;

	if (!tid)
		return NULL;
	e = slot_find(t, tid);
	if (!e)
		return NULL;
	if (!slot_tid(e)) {
		if (t->n + 1 > t->cap / 2)
			return NULL;
		memcpy(e, &tid, sizeof(tid));
		t->n++;
	}
	return e;
}

static bool kept(const struct tidtab *t, const void *e)
{
	return slot_tid(e) && (!t->keep || t->keep(e, t->keep_ctx));
}

/* Rebuild with room for `more` beyond the kept entries. */
static int rebuild(struct tidtab *t, uint32_t more)
{
	struct tidtab old = *t;
	uint64_t live = 0, want;
	uint32_t cap = t->mincap;

	for (uint32_t i = 0; i < old.cap; i++)
		live += kept(&old, slot_at(&old, i));
	want = live + more + live / 8;
	while ((uint64_t)cap / 2 < want) {
		if (cap >= TIDTAB_MAXCAP)
			return -ENOMEM;
		cap *= 2;
	}
	t->slots = calloc(cap, t->esize);
	if (!t->slots) {
		t->slots = old.slots;
		return -ENOMEM;
	}
	t->cap = cap;
	t->n = 0;
	for (uint32_t i = 0; i < old.cap; i++) {
		const void *e = slot_at(&old, i);

		if (kept(&old, e)) {
			memcpy(slot_find(t, slot_tid(e)), e, t->esize);
			t->n++;
		}
	}
	free(old.slots);
	return 0;
}

int tidtab_reserve(struct tidtab *t, uint32_t n)
{
	if ((uint64_t)t->n + n <= t->cap / 2)
		return 0;
	return rebuild(t, n);
}

int tidtab_rebuild(struct tidtab *t)
{
	return rebuild(t, 0);
}
