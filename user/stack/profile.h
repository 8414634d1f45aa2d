/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stack profile: sample counts per (owner, context, folded stack) over an interval or a step.
 * The capture fills one per interval from the sampler's rows and the accounting's verdicts; the
 * session engine merges them into the step's.  Rendering (where tables, folded files, pprof)
 * reads it.
 */
#ifndef VP_STACK_PROFILE_H
#define VP_STACK_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "account/targets.h"

struct intern;

struct stack_prow {
	char entity[ENTITY_LEN];
	char role[ROLE_LEN];
	uint32_t ctx;	   /* VP_SCTX_* */
	const char *stack; /* "root;...;leaf", in the profile's own table (strs) */
	uint64_t count;
};

struct stack_profile {
	bool on;	  /* sampling ran */
	unsigned int hz;  /* samples per second per CPU */
	uint64_t samples; /* all, idle included */
	uint64_t lost, truncated;
	int n, cap;
	struct stack_prow *rows;
	uint32_t *index; /* hash of rows, cap*2 slots, value row+1 */
	uint32_t nindex;
	/*
	 * The stacks' text, one copy each, owned: rows compare stacks as pointers, and the sampler's
	 * table lives one drain only.  Its size follows the profile's rows, not the session's.
	 */
	struct intern *strs;
};

/* Add count samples of one (owner, context, stack); the stack text is copied.  -ENOMEM. */
int stack_profile_add(struct stack_profile *p, const char *entity, const char *role, uint32_t ctx,
		      const char *stack, uint64_t count);
/* Add b's rows and totals into a. */
int stack_profile_merge(struct stack_profile *a, const struct stack_profile *b);
void stack_profile_free(struct stack_profile *p);
/* Rows sorted by owner, context, then count (largest first): a stable order for every output. */
void stack_profile_sort(struct stack_profile *p);

#endif
