/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O sections of `virtprof top` / `run`: network devices and paths, block I/O, KVM.  One
 * entry point for the lead's code: open (open + configure + load + attach the BPF objects this
 * kernel supports), collect an interval, render the tables (text or JSON, via report/table.h),
 * destroy.  The programs' own cost is read by the session (cpureport.c) from their fds.
 */
#ifndef VP_IOSECTIONS_H
#define VP_IOSECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct targets;
struct out;
struct iosec;

struct iosec_opts {
	int account_cpu_state_fd; /* account.bpf.c's cpu_state map, or -1 (standalone) */
	bool net, block, kvm;
	bool napi;	/* also napi_poll per device (fires on every poll: opt-in) */
};

/* Owner lookup the lead provides: entity and role of a thread id or of a cgroup id (0: none). */
typedef void (*iosec_owner_fn)(void *ctx, uint32_t tid, uint64_t cgid, char *entity, size_t elen,
			       char *role, size_t rlen);

int iosec_open(struct iosec **s, const struct iosec_opts *o);
/* Take this interval's deltas. */
int iosec_collect(struct iosec *s);
/* Tables: net_devices, net_paths, block, kvm, kvm_exits (each "not available" with the reason
 * where this kernel lacks the source). */
void iosec_render(struct iosec *s, const struct targets *ts, iosec_owner_fn owner, void *ctx,
		  double interval_s, struct out *o);

void iosec_destroy(struct iosec *s);

/* The parts, for tests and for callers that want one source only. */
struct netpath *iosec_net(struct iosec *s);
struct blockio *iosec_block(struct iosec *s);
struct kvmexit *iosec_kvm(struct iosec *s);

#endif
