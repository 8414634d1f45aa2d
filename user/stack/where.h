/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the samples are: per function, self samples (the function is the leaf) and inclusive
 * samples (it is anywhere on the stack, counted once per stack), over the rows of a profile a
 * filter keeps.  The one formula behind the "where" and differential tables.
 */
#ifndef VP_STACK_WHERE_H
#define VP_STACK_WHERE_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/intern.h"
#include "stack/profile.h"

struct func_stat {
	const char *name; /* without the kernel suffix */
	bool kernel;	  /* a kernel frame (folded as name_[k]) */
	uint64_t self, incl;
	int64_t last; /* scratch: the last row counted in incl */
};

struct func_stats {
	struct intern names; /* frame text -> index in f */
	struct intern disp;  /* displayed names */
	int n, cap;
	struct func_stat *f;
	uint64_t total; /* samples the filter kept */
};

typedef bool (*stack_filter_fn)(const struct stack_prow *r, void *ctx);

/* Function statistics of the rows keep() accepts (NULL: all); -ENOMEM. */
int stack_where(const struct stack_profile *p, stack_filter_fn keep, void *ctx,
		struct func_stats *out);
/* Largest self first (then inclusive, then name). */
void func_stats_sort(struct func_stats *fs);
const struct func_stat *func_stats_find(const struct func_stats *fs, const char *name, bool kernel);
void func_stats_free(struct func_stats *fs);

#endif
