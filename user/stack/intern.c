// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "stack/intern.h"
#include "sys/util.h"

uint64_t intern_hash(const void *p, size_t len, uint64_t h)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void intern_init(struct intern *t)
{
	memset(t, 0, sizeof(*t));
}

void intern_free(struct intern *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free((void *)t->by_id[i]);
	free(t->slot);
	free(t->slot_id);
	free(t->by_id);
	memset(t, 0, sizeof(*t));
}

static int grow(struct intern *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : 1024;
	const char **slot = calloc(cap, sizeof(*slot));
	uint32_t *ids = calloc(cap, sizeof(*ids));

	if (!slot || !ids) {
		free(slot);
		free(ids);
		return -1;
	}
	for (uint32_t i = 0; i < t->cap; i++) {
		const char *s = t->slot[i];
		uint32_t h;

		if (!s)
			continue;
		h = intern_hash(s, strlen(s), INTERN_HASH_SEED) & (cap - 1);
		while (slot[h])
			h = (h + 1) & (cap - 1);
		slot[h] = s;
		ids[h] = t->slot_id[i];
	}
	free(t->slot);
	free(t->slot_id);
	t->slot = slot;
	t->slot_id = ids;
	t->bytes += (cap - t->cap) * (sizeof(*slot) + sizeof(*ids));
	t->cap = cap;
	return 0;
}

const char *intern_n(struct intern *t, const char *s, size_t len, uint32_t *id)
{
	const char **by;
	uint32_t h;
	char *copy;

	if ((t->n + 1) * 2 > t->cap && grow(t))
		return NULL;
	h = intern_hash(s, len, INTERN_HASH_SEED) & (t->cap - 1);
	for (; t->slot[h]; h = (h + 1) & (t->cap - 1)) {
		if (!strncmp(t->slot[h], s, len) && !t->slot[h][len]) {
			if (id)
				*id = t->slot_id[h];
			return t->slot[h];
		}
	}
	by = array_grow(t->by_id, &t->cap_id, (int)t->n, sizeof(*by));
	if (!by)
		return NULL;
	t->by_id = by;
	copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = 0;
	t->bytes += len + 1 + 16 + sizeof(*t->by_id); /* malloc's header, the id slot */
	t->slot[h] = copy;
	t->slot_id[h] = t->n;
	t->by_id[t->n] = copy;
	if (id)
		*id = t->n;
	t->n++;
	return copy;
}

const char *intern(struct intern *t, const char *s, uint32_t *id)
{
	return intern_n(t, s, strlen(s), id);
}
