// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "account/self.h"
#include "session/cost.h"
#include "virtprof.h"

static const struct {
	const char *role;
	enum cost_part part;
} role_parts[] = {
	{ "vcpu", PART_OWN },	     { "app", PART_OWN },     { "emul", PART_EMUL },
	{ "io", PART_IO },	     { "vhost", PART_VHOST }, { "kvm", PART_KVM },
	{ "runtime", PART_RUNTIME },
};

enum cost_part cost_part_of_role(const char *role)
{
	/* a pod's container: "app:<container>"; a VM-backed pod's helpers: "runtime:<helper>" */
	if (!strncmp(role, "app:", 4))
		return PART_OWN;
	if (!strncmp(role, "runtime:", 8))
		return PART_RUNTIME;
	for (size_t i = 0; i < sizeof(role_parts) / sizeof(role_parts[0]); i++)
		if (!strcmp(role, role_parts[i].role))
			return role_parts[i].part;
	return PART_UNKNOWN;
}

enum cost_charge cost_charge_of(const char *entity, bool in_target)
{
	if (!strcmp(entity, ENTITY_LOADGEN))
		return CHARGE_LOADGEN;
	if (!strcmp(entity, ENTITY_PROFILER))
		return CHARGE_PROFILER;
	return in_target ? CHARGE_TARGET : CHARGE_OTHER;
}

static uint64_t *part_ns(struct target_cost *t, enum cost_part p)
{
	uint64_t *const field[] = {
		[PART_OWN] = &t->own_ns,	 [PART_EMUL] = &t->emul_ns,
		[PART_IO] = &t->io_ns,		 [PART_VHOST] = &t->vhost_ns,
		[PART_KVM] = &t->kvm_ns,	 [PART_RUNTIME] = &t->runtime_ns,
		[PART_UNKNOWN] = &t->unknown_ns,
	};

	return field[p];
}

static uint64_t net_softirq(const struct vp_thread_stats *x)
{
	return x->softirq_ns[VP_NET_TX_SOFTIRQ] + x->softirq_ns[VP_NET_RX_SOFTIRQ];
}

static uint64_t take(uint64_t *from, uint64_t want)
{
	uint64_t t = want < *from ? want : *from;

	*from -= t;
	return t;
}

static void charge_row(struct step_cost *c, const struct agg_row *r, bool net_ok, bool disk_ok,
		       int ntargets)
{
	uint64_t busy = stats_busy_ns(&r->st), net = net_softirq(&r->st);
	/* with the per-device split, network softirq time is shown on the path, not here */
	uint64_t mine = net_ok ? busy - net : busy;
	struct target_cost *t;

	c->net_softirq_hosted_ns += net;
	/* with the disk split, BLOCK softirq time is shown on DISK, not in the hosting thread */
	if (disk_ok) {
		uint64_t blk = take(&mine, r->st.softirq_ns[VP_BLOCK_SOFTIRQ]);

		c->blk_softirq_ns += blk;
	}
	switch (cost_charge_of(r->entity, r->target >= 0 && r->target < ntargets)) {
	case CHARGE_LOADGEN:
		c->loadgen_ns += mine;
		return;
	case CHARGE_PROFILER:
		c->profiler_ns += mine;
		return;
	case CHARGE_OTHER:
		c->other_ns += mine;
		return;
	case CHARGE_TARGET:
		break;
	}
	t = &c->target[r->target];
	t->present = true;
	*part_ns(t, cost_part_of_role(r->role)) += mine;
}

bool pod_overhead_begin(struct pod_overhead *po, const struct target *t)
{
	memset(po, 0, sizeof(*po));
	if (t->kind != TARGET_CTR || !t->vm_pod)
		return false;
	po->applies = true;
	if (!t->vmm_pid)
		vp_na_set(&po->na, VP_NA_UNMEASURED, "%s: no VMM found in the pod's cgroup yet",
			  t->entity);
	else if (!t->vcpus_known)
		vp_na_set(&po->na, VP_NA_UNMEASURED, "%s: its vCPU threads are not known (%.120s)",
			  t->entity, t->roles_note);
	else
		po->ok = true;
	return po->ok;
}

void pod_overhead_add(struct pod_overhead *po, const char *role, uint64_t busy_ns)
{
	po->total_ns += busy_ns;
	if (!strcmp(role, "vcpu"))
		po->vcpu_ns += busy_ns;
}

void pod_overhead_end(struct pod_overhead *po, const uint64_t *guest_ns)
{
	if (!po->ok)
		return;
	/* under KVM with guest time measured, the vCPUs' exit handling is the host's work too */
	po->guest_measured = guest_ns;
	po->guest_ns = guest_ns && *guest_ns < po->vcpu_ns ? *guest_ns : po->vcpu_ns;
	po->overhead_ns = po->total_ns - po->guest_ns;
}

void cost_pod_overhead(const struct agg *agg, int target, const struct target *t,
		       const uint64_t *guest_ns, struct pod_overhead *po)
{
	if (!pod_overhead_begin(po, t))
		return;
	for (int i = 0; i < agg->n; i++)
		if (agg->rows[i].target == target)
			pod_overhead_add(po, agg->rows[i].role, stats_busy_ns(&agg->rows[i].st));
	pod_overhead_end(po, guest_ns);
}

uint64_t disk_sum_bytes(const struct disk_sum *d)
{
	return d->rd_bytes + d->wr_bytes;
}

void disk_sum_add(struct disk_sum *d, unsigned int op, unsigned int flags, bool wb,
		  const struct vp_blk_stats *st)
{
	/* as the kernel's blkio / io.stat buckets them: REQ_OP_READ, the writes, the rest */
	if (op == 0) {
		d->rd_ops += st->ops;
		d->rd_bytes += st->bytes;
	} else if (op == 1 || op == 9) { /* REQ_OP_WRITE, REQ_OP_WRITE_ZEROES */
		d->wr_ops += st->ops;
		d->wr_bytes += st->bytes;
		if (wb)
			d->wb_bytes += st->bytes;
		if (flags & VP_BLK_META)
			d->wr_meta_bytes += st->bytes;
	} else {
		d->other_ops += st->ops;
		d->other_bytes += st->bytes;
	}
	d->lat_ns += st->lat_ns;
	for (int i = 0; i < VP_BLK_HIST; i++)
		d->hist[i] += st->hist[i];
}

/*
 * DISK: a VM's I/O threads (iothreads, thread pool, io_uring workers: role io) work for its
 * disk when it did block I/O -- taken out of VIRT as the tap writes are for PATH; and the BLOCK
 * softirq (completions), shared out by the bytes each owner moved, the rest to OTHER.
 */
static void cost_disk(struct step_cost *c, const struct disk_split *disk, const struct targets *ts)
{
	uint64_t all = disk_sum_bytes(&disk->other), given = 0;

	for (int i = 0; i < ts->n; i++)
		all += disk_sum_bytes(&disk->target[i]);
	for (int i = 0; i < ts->n; i++) {
		struct target_cost *t = &c->target[i];
		const struct disk_sum *d = &disk->target[i];

		if (disk->no_disk[i])
			continue; /* its I/O threads stay in VIRT; it moved no bytes to share by */
		t->disk_known = true;
		if (target_has_vm(&ts->t[i]) && d->rd_ops + d->wr_ops + d->other_ops) {
			t->disk_io_ns = t->io_ns;
			t->io_ns = 0;
		}
		if (all) {
			t->disk_softirq_ns =
				(uint64_t)((double)c->blk_softirq_ns * disk_sum_bytes(d) / all);
			given += t->disk_softirq_ns;
		}
		t->disk_ns = t->disk_io_ns + t->disk_softirq_ns;
		if (t->disk_ns)
			t->present = true;
	}
	c->other_ns += c->blk_softirq_ns - (given < c->blk_softirq_ns ? given : c->blk_softirq_ns);
}

void cost_derive(struct step_cost *c, const struct agg *agg, const struct net_split *net,
		 const struct disk_split *disk, const struct guest_split *guest,
		 const struct targets *ts, int step_target)
{
	struct target_cost *per = c->target;
	bool disk_ok = disk && disk->ok;

	memset(c, 0, sizeof(*c));
	c->target = per;
	if (ts->n)
		memset(per, 0, (size_t)ts->n * sizeof(*per));
	for (int i = 0; i < agg->n; i++)
		charge_row(c, &agg->rows[i], net->ok, disk_ok, ts->n);
	if (disk_ok)
		cost_disk(c, disk, ts);
	for (int i = 0; i < ts->n; i++) {
		struct target_cost *t = &c->target[i];

		if (net->ok) {
			const struct path_sum *p = &net->target[i];

			t->path_ns = p->softirq_ns + p->proc_ns;
			/*
			 * Tap writes run the host stack in the writer's thread (process context): that
			 * time is in its task time too.  Shown on the path, taken out of the writer:
			 * the vhost worker for a tap it serves (without this it was counted twice,
			 * in VHOST and PATH), qemu's emulation then io threads otherwise.  A veth's
			 * process-context work ran in other threads.
			 */
			if (target_has_vm(&ts->t[i])) {
				uint64_t left = p->proc_ns;

				left -= take(&t->vhost_ns, p->vhost_proc_ns < left ? p->vhost_proc_ns : left);
				left -= take(&t->emul_ns, left);
				take(&t->io_ns, left);
			} else if (p->proc_ns) {
				take(&c->other_ns, p->proc_ns);
			}
			if (i == step_target)
				t->bridge_ns = net->bridge.softirq_ns + net->bridge.proc_ns;
			if (t->path_ns)
				t->present = true;
		}
		/*
		 * Under KVM a vCPU thread is the guest only while in guest mode; the rest of its time
		 * (exit handling in the kernel, device emulation qemu does in the vCPU thread) is the
		 * host working for the guest.  The kernel's guest_time splits it the same way.
		 */
		if (target_has_vm(&ts->t[i]) && guest && guest->ok && guest->seen[i]) {
			uint64_t g = guest->guest_ns[i] < t->own_ns ? guest->guest_ns[i] :
								      t->own_ns;

			t->exits_known = true;
			t->exits_ns = t->own_ns - g;
			t->own_ns = g;
		}
		t->virt_ns = t->emul_ns + t->io_ns + t->vhost_ns + t->kvm_ns + t->runtime_ns +
			     t->exits_ns;
		cost_pod_overhead(agg, i, &ts->t[i], t->exits_known ? &t->own_ns : NULL, &t->pod);
		t->netpath_ns = t->path_ns + t->bridge_ns;
		t->overhead_ns = t->virt_ns + t->netpath_ns + t->disk_ns;
		c->own_ns += t->own_ns;
		c->virt_ns += t->virt_ns;
		c->unknown_ns += t->unknown_ns;
		c->kernel_path_ns += t->netpath_ns;
	}
	if (net->ok) {
		/* bridges not charged to the step's target, lo and other devices */
		c->kernel_path_ns += net->other.softirq_ns + net->other.proc_ns;
		if (step_target < 0)
			c->kernel_path_ns += net->bridge.softirq_ns + net->bridge.proc_ns;
	}
}
