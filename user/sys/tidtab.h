/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A table of fixed-size entries keyed by thread id: the per-thread state userspace keeps beside
 * the BPF maps (collect.c's thread facts, attribute.c's verdicts).  Open addressing, linear
 * probing, at most half full, so a probe meets an empty slot within a few steps; no tombstones:
 * entries leave only when the table is rebuilt, which drops those the owner no longer keeps
 * (threads exit all day, an interval at a time, so deletions are batched anyway).
 *
 * An entry begins with its tid (uint32_t, 0 = empty slot): the users assert that with
 * offsetof, so the table needs no key accessor.
 */
#ifndef VP_TIDTAB_H
#define VP_TIDTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tidtab {
	void *slots;
	size_t esize;	 /* bytes per entry */
	uint32_t n, cap; /* entries in use; slots (a power of two) */
	uint32_t mincap; /* a rebuild never goes below it */
	/* whether an entry survives a rebuild (NULL: all do) */
	bool (*keep)(const void *entry, void *ctx);
	void *keep_ctx;
};

/* cap: the initial and smallest size, a power of two. 0 or -ENOMEM. */
int tidtab_init(struct tidtab *t, size_t esize, uint32_t cap,
		bool (*keep)(const void *entry, void *ctx), void *ctx);
void tidtab_free(struct tidtab *t);

/* tid's entry, or NULL (tid 0 never has one). */
void *tidtab_get(const struct tidtab *t, uint32_t tid);
/*
 * tid's entry, a zeroed one with its tid set if there was none; NULL for tid 0 or when the insert
 * would take the table past half full (call tidtab_reserve first).
 */
void *tidtab_put(struct tidtab *t, uint32_t tid);
/*
 * Room for n more entries with the table at most half full.  When there is none, the table is
 * rebuilt: kept entries only, sized for them, the n and an eighth more (so a day of short-lived
 * threads does not double it every time it fills with the dead, and rebuilds stay rare).
 * Entry pointers taken before are stale afterwards.  0, or -ENOMEM with the table unchanged.
 */
int tidtab_reserve(struct tidtab *t, uint32_t n);
/* Rebuild now (dropping what keep() refuses, shrinking to fit). 0 or -ENOMEM. */
int tidtab_rebuild(struct tidtab *t);

#endif
