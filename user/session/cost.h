/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cost model: how a step's CPU is split into the figures the reports show.  Every column of
 * the comparison and overhead tables is one named field here, computed once, in cost.c; text,
 * JSON, CSV and HTML all print these fields.
 *
 *   LOADGEN  loadgen_ns   virtprof's load threads (their own work; path work taken out)
 *   OWN      own_ns       a VM's vCPU threads / a container's cgroup (role vcpu / app); under
 *                         KVM where kvm_entry/kvm_exit fire, only the vCPUs' guest time
 *   EXITS    exits_ns     the rest of the vCPU threads' time: host-side exit handling
 *   VIRT     virt_ns      emul + io + vhost + kvm + exits (VM) / runtime helpers (container)
 *   PATH     netpath_ns   the target's tap / veth softirq and process-context receive work,
 *                         plus the bridges in a step that loads that target
 *   DISK     disk_ns      its block I/O's host work: a VM's I/O threads (iothreads, thread pool,
 *                         io_uring workers) when it did block I/O, taken out of VIRT; and the
 *                         BLOCK softirq, shared by bytes among the owners of the step's bios
 *   OTHER    other_ns     every other thread of the host
 * Time in a target's threads whose role is not one of these is unknown_ns: shown on its own
 * line, never counted as VIRT.
 */
#ifndef VP_COST_H
#define VP_COST_H

#include <stdbool.h>
#include <stdint.h>

#include "account/agg.h"
#include "account/targets.h"
#include "out/na.h"
#include "virtprof.h"

/* Network path time of one owner during a step (from the per-device split). */
struct path_sum {
	uint64_t softirq_ns;	/* NET_RX + NET_TX softirq time charged to its devices */
	uint64_t proc_ns;	/* receive work in process context (tap writes) */
	uint64_t vhost_proc_ns; /* of proc_ns: on taps a vhost worker serves (its writes) */
	uint64_t pkts;
};

/* The per-device network split of a step, summed per owner. */
struct net_split {
	bool ok;		 /* the split is available; else path time stays in the threads */
	struct path_sum *target; /* [the session's targets] (session_step_alloc) */
	struct path_sum bridge;	 /* bridges */
	struct path_sum other;	 /* lo and devices no target owns */
};

/* Block I/O of one owner over a step (the bio's blkcg, else its submitter: io/block.c). */
struct disk_sum {
	uint64_t rd_ops, rd_bytes; /* REQ_OP_READ */
	uint64_t wr_ops, wr_bytes; /* REQ_OP_WRITE, WRITE_ZEROES */
	uint64_t other_ops;	   /* flush, discard, ... */
	uint64_t other_bytes;	   /* discard's range and the like: not data moved */
	uint64_t wb_bytes;	   /* of wr_bytes: submitted by writeback kworkers */
	uint64_t wr_meta_bytes;	   /* of wr_bytes: REQ_META, the filesystem's own (journal) */
	uint64_t lat_ns;	   /* summed latency of every op */
	uint64_t hist[VP_BLK_HIST];
};

/* Bytes moved (read + written); discard ranges and flushes move none. */
uint64_t disk_sum_bytes(const struct disk_sum *d);
/* Add one block row's ops to d: REQ_OP_* op, vp_blk_flag flags, writeback (its submitter). */
void disk_sum_add(struct disk_sum *d, unsigned int op, unsigned int flags, bool wb,
		  const struct vp_blk_stats *st);

/* The step's block I/O, per owner. */
struct disk_split {
	bool ok;		   /* the block programs ran; else na in the step says why */
	bool *no_disk;		   /* [targets] a VM without a disk: DISK does not apply */
	struct disk_sum *target;   /* [targets] (session_step_alloc) */
	struct disk_sum other; /* owners no target holds */
};

/*
 * Guest time of each VM's vCPU threads over the step (kvm_entry -> kvm_exit, io/kvmexit.c): splits
 * their CPU into the guest's own work and the host's exit handling.
 */
struct guest_split {
	bool ok;	    /* kvm_entry/kvm_exit fire on this host */
	bool *seen;	    /* [targets] the target's vCPUs entered the guest during the step */
	uint64_t *guest_ns; /* [targets] */
};

/* Which part of the cost model a role belongs to. */
enum cost_part { PART_OWN, PART_EMUL, PART_IO, PART_VHOST, PART_KVM, PART_RUNTIME, PART_UNKNOWN };
enum cost_part cost_part_of_role(const char *role);
/*
 * Which of a step's figures an entity's CPU is charged to: LOADGEN, the profiler, a target's
 * (then by its role, cost_part_of_role) or OTHER.  in_target: the entity is a target the figure
 * is kept for.  charge_row and a saved session's reader (report/doc.c) both decide here.
 */
enum cost_charge { CHARGE_LOADGEN, CHARGE_PROFILER, CHARGE_TARGET, CHARGE_OTHER };
enum cost_charge cost_charge_of(const char *entity, bool in_target);

/*
 * Pod overhead of a VM-backed pod (Kata): everything its threads cost the host -- task,
 * softirq and hardirq time, as its cgroup is charged -- except the guest's own time, its vCPU
 * threads (only their guest-mode time under KVM where that is measured: the exit handling is
 * the host's).  What Kubernetes' PodOverhead has to cover: the VMM's emulation and I/O threads,
 * the shim, virtiofsd.
 */
struct pod_overhead {
	bool applies;	     /* a VM-backed pod; else the figure does not apply */
	bool ok;	     /* measured; else na says why */
	bool guest_measured; /* KVM guest time split the vCPU threads' time */
	struct vp_na na;
	uint64_t total_ns, vcpu_ns, guest_ns, overhead_ns; /* overhead = total - guest */
};
/*
 * The one formula, over one owner row at a time: begin (false: does not apply, or n/a with the
 * reason), add each (role, busy ns) row of the pod, end (guest_ns NULL when not measured).
 */
bool pod_overhead_begin(struct pod_overhead *po, const struct target *t);
void pod_overhead_add(struct pod_overhead *po, const char *role, uint64_t busy_ns);
void pod_overhead_end(struct pod_overhead *po, const uint64_t *guest_ns);
/* ... over agg's rows of target index `target`. */
void cost_pod_overhead(const struct agg *agg, int target, const struct target *t,
		       const uint64_t *guest_ns, struct pod_overhead *po);

struct target_cost {
	bool present;
	struct pod_overhead pod; /* VM-backed pods only (applies) */
	uint64_t own_ns;
	uint64_t emul_ns, io_ns, vhost_ns, kvm_ns, runtime_ns; /* the parts of VIRT */
	bool exits_known;     /* a KVM guest with guest time measured: exits_ns is a figure */
	uint64_t exits_ns;    /* vCPU thread time outside guest mode (part of VIRT) */
	uint64_t unknown_ns;  /* threads of the target with a role the model does not know */
	uint64_t path_ns;     /* its own devices: softirq + process-context */
	uint64_t bridge_ns;   /* bridges on its path, in a step that loads it */
	uint64_t virt_ns;     /* emul + io + vhost + kvm + runtime */
	uint64_t netpath_ns;  /* path + bridge */
	bool disk_known;      /* the block section ran: disk_ns is a figure */
	uint64_t disk_io_ns;  /* a VM's I/O threads, when it did block I/O (out of VIRT's io) */
	uint64_t disk_softirq_ns; /* its share (by bytes) of the step's BLOCK softirq */
	uint64_t disk_ns;	  /* disk_io + disk_softirq */
	uint64_t overhead_ns;	  /* virt + netpath + disk: everything the host spends beyond own */
};

struct step_cost {
	struct target_cost *target; /* [targets]: cost_derive fills ts->n of them */
	uint64_t loadgen_ns, profiler_ns, other_ns;
	uint64_t own_ns, virt_ns, unknown_ns; /* sums over targets */
	uint64_t kernel_path_ns;	      /* every device's path time, owned or not */
	uint64_t net_softirq_hosted_ns;	      /* NET_* softirq time inside threads' buckets */
	uint64_t blk_softirq_ns;	      /* BLOCK softirq time (shared out by bytes) */
};

/*
 * Split a step's CPU (agg: per entity and role over its measured window) with its network and
 * disk splits (disk NULL or !ok: DISK not measured, its time stays in the threads).
 * step_target is the target the step loads (-1 none): the bridges are charged to it.
 */
void cost_derive(struct step_cost *c, const struct agg *agg, const struct net_split *net,
		 const struct disk_split *disk, const struct guest_split *guest,
		 const struct targets *ts, int step_target);

#endif
