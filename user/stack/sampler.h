/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stack sampler: bpf/stacks.bpf.c on a CPU-clock perf event on every CPU, drained once per
 * interval into rows of (thread, context, folded stack, count).  Stacks are symbolized while the
 * interval is drained, so a process that exits later still has named frames.  Owners are not
 * known here: the capture attributes each row's attr_key as the accounting does.
 */
#ifndef VP_STACK_SAMPLER_H
#define VP_STACK_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "out/na.h"
#include "virtprof.h"

#define STACK_DEFAULT_HZ 99
#define STACK_MAX_HZ 10000

struct bpf_object;
struct stack_sampler;

/* One drained row: samples of a thread in a context with one stack. */
struct stack_row {
	uint32_t tid, tgid;
	uint32_t attr_key; /* the accounting's key: tid, or VP_IDLE_KEY_BASE + cpu for tid 0 */
	uint32_t ctx;	   /* VP_SCTX_* */
	const char *stack; /* "root;...;leaf", interned: valid until the next drain */
	uint64_t count;
	/* sampled inside a KVM exit (between kvm_exit and kvm_entry): its reason and guest RIP */
	bool in_exit;
	uint32_t exit_isa, exit_reason;
	uint64_t exit_rip;
};

struct stack_batch {
	int n, cap;
	struct stack_row *rows;
	uint64_t samples;   /* all samples drained, idle included */
	uint64_t lost;	    /* samples or stacks lost (map full, stack-id collision) */
	uint64_t truncated; /* stacks deeper than VP_STACK_DEPTH frames: root frames missing */
};

/*
 * Load and attach on every online CPU at hz samples per second per CPU, sharing the accounting's
 * per-CPU state (cpu_state_fd) and, when kvm_pending_fd >= 0, the KVM section's per-vCPU exit
 * state (kvm.bpf.c's kvm_pending: samples inside an exit are tagged with it; -1: no KVM, the
 * sampler never looks).  -errno; the reason is in why (for "not available").
 */
int stack_sampler_open(struct stack_sampler **out, int cpu_state_fd, int kvm_pending_fd,
		       unsigned int hz, struct vp_na *why);
/*
 * Everything sampled since the previous drain (or open).  A row's stack text lives until the
 * next drain: the folded-stack table starts empty every drain, so an always-on `top --stacks`
 * does not grow with every stack it ever saw (a profile keeps its own copy, stack/profile.h).
 */
int stack_sampler_drain(struct stack_sampler *s, struct stack_batch *b);
void stack_batch_free(struct stack_batch *b);
void stack_sampler_close(struct stack_sampler *s);
struct bpf_object *stack_sampler_object(struct stack_sampler *s);
unsigned int stack_sampler_hz(const struct stack_sampler *s);
/* Seconds spent symbolizing so far, and bytes the symbol tables hold. */
double stack_sampler_sym_seconds(struct stack_sampler *s);
size_t stack_sampler_sym_bytes(struct stack_sampler *s);

/* "task", "softirq:net_rx", "hardirq", "idle". */
const char *stack_ctx_name(uint32_t ctx);

#endif
