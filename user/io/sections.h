/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O sections: network devices and paths, block I/O, KVM.  One entry point for the session:
 * open (open + configure + load + attach the BPF objects this kernel supports), collect an
 * interval, render the tables (text or JSON, through out/table.h), destroy.  The programs' own
 * cost is read by the session (session/capture.c) from their fds.
 */
#ifndef VP_IOSECTIONS_H
#define VP_IOSECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/owner.h"

struct targets;
struct out;
struct iosec;
struct bpf_object;

struct iosec_opts {
	int account_cpu_state_fd; /* account.bpf.c's cpu_state map, or -1 (standalone) */
	bool net, block, kvm;
	bool napi; /* also napi_poll per device (fires on every poll: opt-in) */
	const char *off_why; /* non-NULL: nothing is loaded; each part is not available for this */
};

int iosec_open(struct iosec **s, const struct iosec_opts *o);
/* Take this interval's deltas. */
int iosec_collect(struct iosec *s);
/* Every thread id the current deltas name (block submitters, vCPU threads): to attribute them. */
void iosec_for_each_tid(const struct iosec *s, io_tid_fn fn, void *ctx);
/* Tables: net_devices, net_paths, block, kvm, kvm_exits (each "not available" with the reason
 * where this kernel lacks the source). */
void iosec_render(struct iosec *s, const struct targets *ts, io_owner_fn owner, void *ctx,
		  double interval_s, struct out *o);
/* Why a part ("net", "block", "kvm") is not available; NULL when it loaded. */
const char *iosec_na(const struct iosec *s, const char *part);

void iosec_destroy(struct iosec *s);
/* The BPF objects that loaded (their programs' run time is the profiler's cost). */
int iosec_objects(const struct iosec *s, struct bpf_object **objs, int max);

/* The parts, for tests and for callers that want one source only. */
struct netpath *iosec_net(struct iosec *s);
struct blockio *iosec_block(struct iosec *s);
struct kvmexit *iosec_kvm(struct iosec *s);

#endif
