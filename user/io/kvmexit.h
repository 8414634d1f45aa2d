/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM section: per VM process and vCPU thread, kvm_pio / kvm_mmio counts and kvm_exit reasons
 * with their handling time (kvm_exit -> kvm_entry).  A source this kernel lacks, or one that is
 * attached but provably never fires (nested PVM: pio/mmio fire, exit/entry do not), is reported
 * as not available with the reason.
 */
#ifndef VP_KVMEXIT_H
#define VP_KVMEXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "io/owner.h"
#include "out/na.h"
#include "virtprof.h"

struct kvm_bpf;
struct out;

struct kvm_row {
	struct vp_kvm_key key;
	struct vp_kvm_stats total, delta;
};

struct kvm_reason_row {
	struct vp_kvm_reason_key key;
	struct vp_kvm_reason_stats total, delta;
};

/* The exits of one interval per (vCPU thread, reason, guest IP), and per port / address. */
struct kvm_rip_row {
	struct vp_kvm_rip_key key;
	struct vp_kvm_reason_stats delta;
};

struct kvm_io_row {
	struct vp_kvm_io_key key;
	struct vp_kvm_reason_stats delta;
};

/*
 * Halt polling per VM process: KVM's own statistics in debugfs (/sys/kernel/debug/kvm/PID-FD/,
 * summed over the VM's vCPUs): host CPU spent polling before a halted vCPU slept -- polls that
 * found work (success) and polls that gave up (fail) -- and the time it then waited.
 */
enum { KVM_HALT_POLL_OK, KVM_HALT_POLL_FAIL, KVM_HALT_WAIT, KVM_HALT_MAX };

struct kvm_halt_row {
	uint32_t tgid;
	bool has[KVM_HALT_MAX];
	uint64_t total[KVM_HALT_MAX], delta[KVM_HALT_MAX]; /* ns */
};

struct kvmexit {
	struct kvm_bpf *skel;
	int ncpu;
	bool pio, mmio, exits; /* attached */
	struct vp_na pio_na, mmio_na;
	/* why exit timing is not available: absent, or attached but silent (kvmexit_check_exits) */
	struct vp_na exit_na;
	struct kvm_row *rows;
	int n, cap;
	struct kvm_reason_row *reasons;
	int nr, rcap;
	struct kvm_rip_row *rips; /* drained from the map each collect: these are deltas */
	int nrip, ripcap;
	struct kvm_io_row *ios;
	int nio, iocap;
	struct kvm_halt_row *halts;
	int nhalt, haltcap;
	struct vp_na halt_na;	      /* why halt polling is not available (clear when it is) */
	uint64_t life_exits, life_io; /* since load: exits seen / pio+mmio seen */
	uint64_t drops[VP_KVM_DROP_MAX], drops_delta[VP_KVM_DROP_MAX];
};

int kvmexit_open(struct kvmexit **k);
int kvmexit_collect(struct kvmexit *k);
void kvmexit_close(struct kvmexit *k);
void kvmexit_for_each_tid(const struct kvmexit *k, io_tid_fn fn, void *ctx);
void kvmexit_render(const struct kvmexit *k, io_owner_fn owner, void *ctx, double interval_s,
		    struct out *o);
/*
 * The per-vCPU exit state map (kvm_pending) for the stack sampler to share, when kvm_exit and
 * kvm_entry are attached; -1 otherwise (nothing ever writes it then).
 */
int kvmexit_pending_fd(const struct kvmexit *k);
/*
 * exit_na again from what fired so far (kvmexit_collect calls it): attached kvm_exit/kvm_entry
 * that never fired while kvm_pio/kvm_mmio did are not available; zero exits otherwise are a
 * measurement.
 */
void kvmexit_check_exits(struct kvmexit *k);

/* ---- pure helpers ---- */
/* Exit reason name for KVM_ISA_VMX (1) / KVM_ISA_SVM (2); NULL when not in the short list. */
const char *kvmexit_reason_name(unsigned int isa, unsigned int reason);

#endif
