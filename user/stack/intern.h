/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interned strings: each distinct string stored once, with a small id, for the life of the
 * table.  Symbol names, folded stacks and pprof's string table are made of them, so a stack is
 * compared and hashed as one pointer.
 */
#ifndef VP_STACK_INTERN_H
#define VP_STACK_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern {
	uint32_t n, cap; /* strings, hash slots */
	const char **slot;
	uint32_t *slot_id;
	const char **by_id;
	int cap_id;
	size_t bytes; /* the strings and the table */
};

void intern_init(struct intern *t);
void intern_free(struct intern *t);
/* The stored copy of s (len bytes, no NUL needed); NULL when memory ran out. */
const char *intern_n(struct intern *t, const char *s, size_t len, uint32_t *id);
const char *intern(struct intern *t, const char *s, uint32_t *id);
/* FNV-1a, the hash every table of this folder uses. */
uint64_t intern_hash(const void *p, size_t len, uint64_t h);
#define INTERN_HASH_SEED 0xcbf29ce484222325ULL

#endif
