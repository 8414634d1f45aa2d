/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stack profiles to files: folded stacks (flamegraph.pl, speedscope, inferno) and pprof
 * (profile.proto, gzip; go tool pprof, Pyroscope, Parca).  Every file is written atomically.
 */
#ifndef VP_STACK_OUTPUT_H
#define VP_STACK_OUTPUT_H

#include <stdint.h>

#include "stack/profile.h"

/* One profile with the labels of where it came from. */
struct stack_source {
	const struct stack_profile *p;
	const char *step;   /* step label ("run", "light", ...) */
	const char *target; /* the step's target entity, "-" none */
};

/*
 * DIR/<entity>.<role>.folded, one per owner, lines "entity;role;context;frame;...;frame count"
 * (root first).  Characters other than [A-Za-z0-9._-] in names become '_'.  -errno.
 */
int stack_write_folded(const char *dir, const struct stack_source *src, int n);
/*
 * The KVM exit profile as one folded file (--exit-folded): lines "entity;[guest] function;[exit]
 * REASON;host frames... count", root first, the host's frames leaf last.  -errno.
 */
int stack_write_exit_folded(const char *path, const struct stack_source *src, int n);
/*
 * One exit profile stack: "[guest] func;[exit] reason;host" (host: the vCPU thread's sampled
 * stack, root first; "" -> "[no host stack]").  ';' in a name would split a frame: made '_'.
 * The length it needs (as snprintf); out holds what fits.
 */
int stack_fold_exit(char *out, size_t len, const char *func, const char *reason, const char *host);
/* Length of an exit profile stack's "[guest] func;[exit] reason" head; 0 when it has none. */
size_t stack_exit_head(const char *stack);
/*
 * A gzip'd profile.proto: sample types samples/count and cpu/nanoseconds, one location per
 * function, labels entity, role, context, target, step.  -errno.
 */
int stack_write_pprof(const char *path, const struct stack_source *src, int n,
		      uint64_t duration_ns);
/* The same gzip'd bytes in memory (serve's /debug/pprof/profile); malloc'd, NULL when out of memory. */
uint8_t *stack_pprof_gzip(const struct stack_source *src, int n, uint64_t duration_ns,
			  size_t *len);
/* The protobuf bytes alone (tests decode them); malloc'd, *len set, NULL when out of memory. */
uint8_t *stack_pprof_encode(const struct stack_source *src, int n, uint64_t duration_ns,
			    size_t *len);

#endif
