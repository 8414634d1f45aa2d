/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O sections: network devices and paths, block I/O, KVM.  One entry point for the session:
 * open (open + configure + load + attach the BPF objects this kernel supports), collect an
 * interval, take its typed rows with their owners (iosec_view: report/io.c renders them), destroy.
 * No renderer of net or block lives in io/; the KVM tables are still rendered by io/kvmexit.c
 * (kvmexit_render).  The programs' own cost is read by the session (session/capture.c) from
 * their fds.
 */
#ifndef VP_IOSECTIONS_H
#define VP_IOSECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/block.h"
#include "io/netpath.h"
#include "io/owner.h"
#include "out/na.h"

struct iosec;
struct bpf_object;

/* The parts, each loaded or not available with its reason. */
enum iosec_part { IOSEC_NET, IOSEC_BLOCK, IOSEC_KVM, IOSEC_PARTS };

struct iosec_opts {
	int account_cpu_state_fd; /* account.bpf.c's cpu_state map, or -1 (standalone) */
	bool net, block, kvm;
	bool napi; /* also napi_poll per device (fires on every poll: opt-in) */
	const struct vp_na
		*off; /* non-NULL: nothing is loaded; each part is not available for this */
};

int iosec_open(struct iosec **s, const struct iosec_opts *o);
/* Take this interval's deltas. */
int iosec_collect(struct iosec *s);
/* Every thread id the current deltas name (block submitters, vCPU threads): to attribute them. */
void iosec_for_each_tid(const struct iosec *s, io_tid_fn fn, void *ctx);

/*
 * One period's I/O as typed data: which parts were asked for and which loaded (with the reason
 * when one did not), and the network and block rows with their owners.  The KVM part's rows
 * stay in struct kvmexit (io/kvmexit.c renders them).
 */
struct io_view {
	bool taken;
	double interval_s;		  /* the period's length (block rates); 0: none */
	bool net_on, block_on, kvm_on;	  /* asked for */
	bool has_net, has_block, has_kvm; /* loaded */
	struct vp_na na[IOSEC_PARTS];	  /* why a part is not available (clear: it loaded) */
	struct net_view net;
	struct block_view block;
};

/* The current deltas as an io_view (owners named by `owner`); io_view_free after. */
int iosec_view(const struct iosec *s, io_owner_fn owner, void *ctx, double interval_s,
	       struct io_view *v);
void io_view_free(struct io_view *v);
/* Why a part is not available (not asked for, light mode, did not load); clear when it loaded. */
const struct vp_na *iosec_na(const struct iosec *s, enum iosec_part part);

void iosec_destroy(struct iosec *s);
/* The BPF objects that loaded (their programs' run time is the profiler's cost). */
int iosec_objects(const struct iosec *s, struct bpf_object **objs, int max);

/* The parts, for tests and for callers that want one source only. */
struct netpath *iosec_net(struct iosec *s);
struct blockio *iosec_block(struct iosec *s);
struct kvmexit *iosec_kvm(struct iosec *s);

#endif
