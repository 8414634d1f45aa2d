/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why a VM exits: the KVM section's exits per guest instruction pointer named with the guest
 * kernel's symbols (the exits table by GUEST-FUNCTION, with each function's exit reasons), and its
 * PIO / MMIO exits named by the device that owns the port or address (qemu's memory tree over
 * QMP).  Guest symbols come from --guest-symbols VM=FILE, or, for a qemu that boots a kernel
 * with -kernel /boot/vmlinuz-V and nokaslr on its -append (the testbed), from /boot/System.map-V.
 */
#ifndef VP_SESSION_EXITS_H
#define VP_SESSION_EXITS_H

#include <stdint.h>

#include "io/owner.h"
#include "out/na.h"

struct kvmexit;
struct out;
struct stack_profile;

/*
 * --guest-symbols VM=FILE (VM: a pid or a name as --vm takes): the file is read now, so a missing
 * one or one that is not a symbol map is refused before any probe (message printed, -EINVAL).
 */
int exits_guest_symbols_add(const char *arg);
/*
 * Tables kvm_guest_functions (by exit count), kvm_guest_functions_time (by handling time),
 * kvm_devices, kvm_halt_poll and kvm_exit_profile (per "[guest] function;[exit] REASON": exits,
 * handling time, and the host samples taken inside those exits from xs, the exit profile's
 * stacks; NULL: n/a for the reason xs_na) over the KVM section's current deltas.  requests > 0:
 * per-request figures for the VM whose pid is req_tgid (0: every VM).
 */
void exits_render(const struct kvmexit *k, io_owner_fn owner, void *ctx, uint64_t requests,
		  uint32_t req_tgid, const struct stack_profile *xs, const struct vp_na *xs_na,
		  struct out *o);
/*
 * One sample the stack sampler took inside a KVM exit, as an exit profile stack: "[guest]
 * function;[exit] REASON;host frames" (stack/output.h stack_fold_exit).  The function is named
 * as in the exits tables, an address where the VM has no symbols or they do not cover it.  The
 * length it needs (as snprintf).
 */
int exits_sample_stack(uint32_t tgid, const char *entity, uint32_t isa, uint32_t reason,
		       uint64_t rip, const char *host, char *out, size_t len);
/* Forget what was learnt about each VM (symbols, device maps). */
void exits_free(void);

/* ---- pure helpers (unit-tested) ---- */
/*
 * From a qemu command line (NUL-separated argv): the -kernel file, and whether -append has
 * nokaslr.  The symbol file that applies to it: for /boot/vmlinuz-V (or a testbed's extracted
 * vmlinux whose directory's `kernel` file names one) the System.map-V beside it.  0, or -ENOENT
 * with why.
 */
int exits_guest_map_for(const char *cmdline, size_t len, char *map, size_t mlen, char *why,
			size_t wlen);

#endif
