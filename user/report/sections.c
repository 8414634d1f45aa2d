// SPDX-License-Identifier: GPL-2.0
/*
 * The report sections every command shares, each one table (out/table.h) rendered as text, JSON
 * or CSV: the accounting mode, the targets, CPU by owner, softirq by vector, coverage, dropped
 * events, the profiler's own cost and the I/O sections.  They read what the capture measured;
 * none of them measures or attributes anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/sections.h"
#include "sys/util.h"

static const char *const softirq_names[VP_NR_SOFTIRQS] = {
	"HI",	    "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
	"IRQ_POLL", "TASKLET", "SCHED",	 "HRTIMER", "RCU",
};
static const char *const softirq_keys[VP_NR_SOFTIRQS] = {
	"hi_us",       "timer_us",   "net_tx_us", "net_rx_us",	"block_us",
	"irq_poll_us", "tasklet_us", "sched_us",  "hrtimer_us", "rcu_us",
};

const char *const report_drop_names[VP_DROP_MAX] = {
	[VP_DROP_STATS_FULL] = "stats_map_full",
	[VP_DROP_THREADS_FULL] = "threads_map_full",
	[VP_DROP_WAKE_FULL] = "wakeup_map_full",
	[VP_DROP_NO_INNER] = "generation_map_missing",
	[VP_DROP_UNBALANCED] = "irq_exit_without_entry",
};

void report_mode(const struct kernel_mode *m, struct out *o)
{
	struct table t;
	int r;

	table_init(&t, "accounting_mode", NULL);
	table_col(&t, "kernel", "kernel", 0, true);
	table_col(&t, "cpus", "cpus", 0, false);
	table_col(&t, "cgroup", "cgroup", 0, true);
	table_col(&t, "irq_time_accounting", "irq-time", 0, true);
	table_col(&t, "hz", "HZ", 0, false);
	table_col(&t, "vhost", "vhost", 0, true);
	table_col(&t, "kvm_tracepoints", "kvm-tp", 0, true);
	table_col(&t, "bpf_flavour", "bpf", 0, true);
	table_col(&t, "accounting", "accounting", 0, true);
	r = table_row(&t);
	table_str(&t, r, 0, m->kernel);
	table_u64(&t, r, 1, m->ncpus);
	table_str(&t, r, 2, m->cgroup);
	if (m->irq_time < 0)
		table_na(
			&t, r, 3,
			VP_NA_LIT(
				VP_NA_PERMISSION,
				"irq-time: kernel config not readable (/proc/config.gz, /boot/config-*)"));
	else
		table_str(&t, r, 3, m->irq_time ? "on" : "off");
	if (m->hz)
		table_u64(&t, r, 4, m->hz);
	else
		table_na(&t, r, 4, VP_NA_LIT(VP_NA_PERMISSION, "HZ: kernel config not readable"));
	table_str(&t, r, 5, m->vhost);
	table_str(&t, r, 6, m->kvm_tp ? "yes" : "no");
	table_str(&t, r, 7, m->flavour ? m->flavour : "-");
	table_str(&t, r, 8, m->light ? "light" : "full");
	if (m->light)
		table_note(&t,
			   "light: softirq and irq time left with the interrupted thread, as the "
			   "kernel counts it%s; no softirq by vector, network path, block I/O, "
			   "KVM exits or stacks",
			   m->irq_time == 1 ?
				   " without IRQ_TIME_ACCOUNTING (this kernel has it on: "
				   "its cpu.stat leaves that time out of the tasks)" :
				   "");
	else if (m->irq_time == 0)
		table_note(&t, "without IRQ_TIME_ACCOUNTING /proc charges softirq ticks to the "
			       "interrupted task; virtprof measures them apart");
	table_note(&t, "vhost: %s", m->vhost_why);
	table_render(&t, o);
	table_free(&t);
}

/* "" is "does not apply" (null in JSON), not an empty string */
static void cell_str_or_none(struct table *t, int row, int col, const char *s)
{
	if (s[0])
		table_str(t, row, col, s);
	else
		table_none(t, row, col);
}

void report_targets(const struct capture *s, struct out *o)
{
	struct table t;

	table_init(&t, "targets", "Targets");
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "pid", "PID", 0, false);
	table_col(&t, "id", "ID", 0, true);
	table_col(&t, "cgroup", "CGROUP", 0, true);
	table_col(&t, "cgroup_ids", "CGIDS", 0, false);
	table_col_json_only(&t);
	table_col(&t, "status", "STATUS", 0, true);
	table_col(&t, "gone_after_s", "GONE-AFTER-S", 1, false);
	table_col(&t, "roles", "ROLES", 0, true);
	table_col_json_only(&t);
	table_col(&t, "runtime", "RUNTIME", 0, true); /* shown: which runtime made it */
	table_col(&t, "layout", "LAYOUT", 0, true);
	table_col_json_only(&t);
	table_col(&t, "helper_cgroup", "HELPER-CGROUP", 0, true);
	table_col_json_only(&t);
	for (int i = 0; i < s->targets.n; i++) {
		const struct target *tg = &s->targets.t[i];
		int r = table_row(&t);
		char id[16];

		table_str(&t, r, 0, tg->label[0] ? tg->label : tg->entity);
		table_u64(&t, r, 1, tg->pid);
		snprintf(id, sizeof(id), "%.12s", tg->id);
		if (tg->kind == TARGET_CTR) {
			table_str(&t, r, 2, id);
			table_str(&t, r, 3, tg->cgroup_v2[0] ? tg->cgroup_v2 : tg->cgroup_v1);
		} else {
			/* a VM's id is its uuid (libvirt's domain uuid), its cgroup libvirt's scope */
			cell_str_or_none(&t, r, 2, tg->uuid);
			cell_str_or_none(&t, r, 3, tg->vm_cgroup);
		}
		table_u64(&t, r, 4, tg->ncgids);
		table_str(&t, r, 5, tg->gone ? "gone" : "alive");
		if (tg->gone)
			table_f64(&t, r, 6, (tg->gone_mono_ns - s->t0_mono) / 1e9);
		else
			table_none(&t, r, 6);
		if (target_has_vm(tg)) {
			table_str(&t, r, 7, tg->roles_note);
			table_note(&t, "%s thread roles: %s", tg->entity, tg->roles_note);
		} else {
			table_none(&t, r, 7);
		}
		cell_str_or_none(&t, r, 8, tg->runtime);
		cell_str_or_none(&t, r, 9, tg->layout);
		if (tg->helper_v2[0] || tg->helper_v1[0])
			table_str(&t, r, 10, tg->helper_v2[0] ? tg->helper_v2 : tg->helper_v1);
		else
			table_none(&t, r, 10);
	}
	for (int i = 0; i < s->targets.nnotes; i++)
		table_note(&t, "%s", s->targets.notes[i]);
	if (s->targets.untracked)
		table_note(
			&t,
			"%d more VM(s) or container(s) found past --max-targets %d: not tracked, "
			"their threads are in other (drops: targets_not_tracked)",
			s->targets.untracked, targets_max(&s->targets));
	if (!s->targets.n)
		table_note(&t,
			   "no VM or container found: every thread is loadgen, profiler or other");
	table_render(&t, o);
	table_free(&t);
}

void report_kernel_check(const struct targets *ts, const struct kcheck_delta *kc, int n,
			 struct out *o)
{
	struct table t;

	table_init(&t, "kernel_check", "Agreement with the kernel");
	table_col(&t, "entity", "TARGET", 0, true);
	table_col(&t, "source", "KERNEL-SOURCE", 0, true);
	table_col(&t, "virtprof_ns", "VIRTPROF-ns", 0, false);
	table_col_json_only(&t);
	table_col(&t, "kernel_ns", "KERNEL-ns", 0, false);
	table_col_json_only(&t);
	table_col(&t, "virtprof_ms", "VIRTPROF-ms", 1, false);
	table_col(&t, "kernel_ms", "KERNEL-ms", 1, false);
	table_col(&t, "diff_pct", "DIFF%", 2, false);
	table_col(&t, "agreement", "AGREEMENT", 0, true);
	for (int i = 0; i < n && i < ts->n; i++) {
		const struct kcheck_delta *d = &kc[i];
		int r = table_row(&t);

		table_str(&t, r, 0, ts->t[i].label[0] ? ts->t[i].label : ts->t[i].entity);
		table_u64(&t, r, 2, d->ours_ns);
		table_f64(&t, r, 4, d->ours_ns / 1e6);
		if (!d->ok) {
			table_na(&t, r, 1, &d->na);
			table_na(&t, r, 3, &d->na);
			table_na(&t, r, 5, &d->na);
			table_na(&t, r, 6, &d->na);
			table_na(&t, r, 7, &d->na);
			continue;
		}
		table_str(&t, r, 1, d->source);
		table_u64(&t, r, 3, d->kernel_ns);
		table_f64(&t, r, 5, d->kernel_ns / 1e6);
		if (d->kernel_ns)
			table_f64(&t, r, 6, kcheck_diff_pct(d));
		else
			table_na(&t, r, 6,
				 VP_NA_LIT(VP_NA_UNMEASURED,
					   "the kernel charged no CPU time in the window"));
		table_str(&t, r, 7, kcheck_flagged(d) ? "DIFFERS" : "within 1%");
		if (kcheck_flagged(d))
			table_note(&t,
				   "%s: virtprof and the kernel differ by %+.2f%% (%+.3f ms): "
				   "its figures are less certain than the rest",
				   ts->t[i].label[0] ? ts->t[i].label : ts->t[i].entity,
				   kcheck_diff_pct(d),
				   ((double)d->ours_ns - (double)d->kernel_ns) / 1e6);
	}
	if (n)
		table_note(&t, "virtprof: task + softirq + hardirq of the target's threads (cgroup "
			       "tree / qemu thread group), the kernel's own sum without "
			       "IRQ_TIME_ACCOUNTING; flagged above 1%% and 1 ms");
	table_render(&t, o);
	table_free(&t);
}

/* One figure pair of the disk check: virtprof's, the kernel's, the difference. */
static void disk_check_cells(struct table *t, int r, int c, uint64_t ours, uint64_t kernel,
			     bool known, const struct vp_na *na)
{
	table_u64(t, r, c, ours);
	if (!known) {
		table_na(t, r, c + 1, na);
		table_na(t, r, c + 2, na);
		return;
	}
	table_u64(t, r, c + 1, kernel);
	if (kernel || ours)
		table_f64(t, r, c + 2, kdisk_diff_pct(ours, kernel));
	else
		table_na(t, r, c + 2,
			 VP_NA_LIT(VP_NA_UNMEASURED, "no I/O in the window, on either side"));
}

void report_disk_check(const struct targets *ts, const struct kdisk_delta *kd, int n,
		       const struct kdisk_load *load, const struct vp_na *na, struct out *o)
{
	static const struct vp_na no_ops = { VP_NA_KERNEL,
					     "/proc/<pid>/io counts bytes, not operations" };
	struct table t;

	table_init(&t, "disk_check", "Disk I/O against the kernel (bytes and ops in the window)");
	table_col(&t, "entity", "TARGET", 0, true);
	table_col(&t, "source", "KERNEL-SOURCE", 0, true);
	table_col(&t, "read_bytes", "READ-B", 0, false);
	table_col(&t, "kernel_read_bytes", "K-READ-B", 0, false);
	table_col(&t, "read_diff_pct", "DIFF%", 2, false);
	table_col(&t, "write_bytes", "WRITE-B", 0, false);
	table_col(&t, "kernel_write_bytes", "K-WRITE-B", 0, false);
	table_col(&t, "write_diff_pct", "DIFF%", 2, false);
	table_col(&t, "read_ops", "READ-OPS", 0, false);
	table_col(&t, "kernel_read_ops", "K-READ-OPS", 0, false);
	table_col(&t, "read_ops_diff_pct", "DIFF%", 2, false);
	table_col_json_only(&t);
	table_col(&t, "write_ops", "WRITE-OPS", 0, false);
	table_col_json_only(&t);
	table_col(&t, "kernel_write_ops", "K-WRITE-OPS", 0, false);
	table_col_json_only(&t);
	table_col(&t, "write_ops_diff_pct", "DIFF%", 2, false);
	table_col_json_only(&t);
	table_col(&t, "agreement", "AGREEMENT", 0, true);
	for (int i = 0; i < n && i < ts->n; i++) {
		const struct kdisk_delta *d = &kd[i];
		const char *name = ts->t[i].label[0] ? ts->t[i].label : ts->t[i].entity;
		const struct vp_na *why = vp_na_is(na) ? na : &d->na;
		bool ok = !vp_na_is(na) && d->ok;
		struct kdisk_inflight inflight = kdisk_inflight(load, i, d);
		enum kdisk_agreement agree;
		int r = table_row(&t);

		table_str(&t, r, 0, name);
		if (vp_na_is(na)) {
			for (int c = 1; c <= 15; c++)
				table_na(&t, r, c, na);
			continue;
		}
		if (ok)
			table_str(&t, r, 1, d->source);
		else
			table_na(&t, r, 1, why);
		disk_check_cells(&t, r, 2, d->rd_bytes, d->k_rd_bytes, ok, why);
		disk_check_cells(&t, r, 5, d->wr_bytes, d->k_wr_bytes, ok, why);
		disk_check_cells(&t, r, 8, d->rd_ops, d->k_rd_ops, ok && d->ops_known,
				 ok ? &no_ops : why);
		disk_check_cells(&t, r, 11, d->wr_ops, d->k_wr_ops, ok && d->ops_known,
				 ok ? &no_ops : why);
		if (!ok) {
			table_na(&t, r, 14, why);
			continue;
		}
		agree = kdisk_agreement_of(d, &inflight);
		table_str(&t, r, 14, kdisk_agreement_name(agree));
		if (agree == KDISK_IN_FLIGHT)
			table_note(&t,
				   "%s: read %+.2f%%, write %+.2f%%: beyond 1 %% but within the "
				   "requests in flight at the window's ends (read %" PRIu64
				   ", write %" PRIu64 " bytes: users x bytes per request)",
				   name, kdisk_diff_pct(d->rd_bytes, d->k_rd_bytes),
				   kdisk_diff_pct(d->wr_bytes, d->k_wr_bytes), inflight.rd,
				   inflight.wr);
		if (agree == KDISK_DIFFERS)
			table_note(
				&t,
				"%s: virtprof's block bytes and the kernel's differ (read %+.2f%%, "
				"write %+.2f%%): its disk figures are less certain than the rest",
				name, kdisk_diff_pct(d->rd_bytes, d->k_rd_bytes),
				kdisk_diff_pct(d->wr_bytes, d->k_wr_bytes));
	}
	if (n)
		table_note(&t,
			   "virtprof: the bios the block section gave the target (its blkcg, else "
			   "its submitting threads); kernel: a VM's qemu /proc/<pid>/io, a "
			   "container's blkio.throttle.io_service_bytes / io_serviced (v1) or "
			   "io.stat (v2); bytes flagged above 1%% and 64 KiB; a write is counted "
			   "when submitted there, when its bio is queued here: one in flight per "
			   "user may be on one side only (\"in flight\")");
	for (int i = 0; i < n && i < ts->n; i++)
		if (target_has_vm(&ts->t[i])) {
			table_note(
				&t,
				"a VM's WRITE-B leaves out the host filesystem's metadata (REQ_META) "
				"written in qemu's threads for its fdatasync: /proc/<pid>/io does "
				"not count it (the disk table shows it as META-B)");
			break;
		}
	table_render(&t, o);
	table_free(&t);
}

void report_entities(const struct agg *a, uint64_t span_ns, const struct entity_opts *eo,
		     struct out *o)
{
	struct table t;

	table_init(&t, "entities", eo->title);
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "role", "ROLE", 0, true);
	table_col(&t, "threads", "THR", 0, false);
	table_col(&t, "cpu_pct", "CPU%", 2, false);
	table_col(&t, "us_per_req", "us/req", 2, false);
	if (!eo->per_req)
		table_col_json_only(&t); /* top: no requests, the column does not apply */
	table_col(&t, "task_pct", "TASK%", 2, false);
	table_col(&t, "softirq_pct", "SIRQ%", 2, false);
	table_col(&t, "hardirq_pct", "HIRQ%", 2, false);
	table_col(&t, "rq_delay_avg_us", "RQ-AVG-us", 1, false);
	table_col(&t, "rq_delay_max_us", "RQ-MAX-us", 0, false);
	table_col(&t, "vcsw", "VCSW", 0, false);
	table_col(&t, "ivcsw", "IVCSW", 0, false);
	table_col(&t, "busy_ns", "busy-ns", 0, false);
	table_col_json_only(&t);
	table_col(&t, "task_ns", "task-ns", 0, false);
	table_col_json_only(&t);
	table_col(&t, "softirq_ns", "softirq-ns", 0, false);
	table_col_json_only(&t);
	table_col(&t, "net_softirq_ns", "net-softirq-ns", 0, false);
	table_col_json_only(&t);
	table_col(&t, "hardirq_ns", "hardirq-ns", 0, false);
	table_col_json_only(&t);
	for (int i = 0; i < a->n; i++) {
		const struct agg_row *row = &a->rows[i];
		const struct vp_thread_stats *st = &row->st;
		uint64_t sirq = stats_softirq_ns(st), busy = stats_busy_ns(st);
		int r;

		/* text: leave out the crumbs; JSON: everything */
		if (eo->hide_crumbs && o->mode == OUT_TEXT && pct_of(busy, span_ns) < 0.05)
			continue;
		r = table_row(&t);
		table_str(&t, r, 0, row->entity);
		table_str(&t, r, 1, row->role);
		table_u64(&t, r, 2, row->nthreads);
		table_pct(&t, r, 3, busy, span_ns);
		if (!eo->per_req)
			table_none(&t, r, 4);
		else if (eo->requests)
			table_f64(&t, r, 4, busy / 1e3 / (double)eo->requests);
		else
			table_na(&t, r, 4,
				 VP_NA_LIT(VP_NA_UNMEASURED,
					   "no request completed: nothing to divide by"));
		table_pct(&t, r, 5, st->task_ns, span_ns);
		if (vp_na_is(eo->irq_na)) {
			table_na(&t, r, 6, eo->irq_na);
			table_na(&t, r, 7, eo->irq_na);
		} else {
			table_pct(&t, r, 6, sirq, span_ns);
			table_pct(&t, r, 7, st->hardirq_ns, span_ns);
		}
		if (st->nr_rq) {
			table_f64(&t, r, 8, st->rq_delay_ns / 1e3 / st->nr_rq);
			table_f64(&t, r, 9, st->rq_delay_max_ns / 1e3);
		} else {
			table_none(&t, r, 8);
			table_none(&t, r, 9);
		}
		table_u64(&t, r, 10, st->nvcsw);
		table_u64(&t, r, 11, st->nivcsw);
		table_u64(&t, r, 12, busy);
		table_u64(&t, r, 13, st->task_ns);
		if (vp_na_is(eo->irq_na)) {
			for (int c = 14; c <= 16; c++)
				table_na(&t, r, c, eo->irq_na);
			continue;
		}
		table_u64(&t, r, 14, sirq);
		table_u64(&t, r, 15,
			  st->softirq_ns[VP_NET_TX_SOFTIRQ] + st->softirq_ns[VP_NET_RX_SOFTIRQ]);
		table_u64(&t, r, 16, st->hardirq_ns);
	}
	if (eo->hide_crumbs && o->mode == OUT_TEXT)
		table_note(&t, "rows under 0.05%% of the host left out here (all are in --json)");
	table_render(&t, o);
	table_free(&t);
}

void report_pod_overhead(const struct targets *ts, const struct pod_overhead *po, uint64_t span_ns,
			 uint64_t requests, struct out *o)
{
	const char *cols[][2] = {
		{ "total_ns", "TOTAL-ns" },
		{ "vcpu_ns", "VCPU-ns" },
		{ "guest_ns", "GUEST-ns" },
		{ "overhead_ns", "OVERHEAD-ns" },
	};
	struct table t;
	bool any = false;

	for (int i = 0; i < ts->n; i++)
		any |= po[i].applies;
	if (!any)
		return;
	table_init(&t, "pod_overhead",
		   "pod overhead: a VM-backed pod's CPU but its guest's (vCPU) time");
	table_col(&t, "entity", "POD", 0, true);
	table_col(&t, "total_pct", "TOTAL%", 2, false);
	table_col(&t, "vcpu_pct", "VCPU%", 2, false);
	table_col(&t, "overhead_pct", "OVERHEAD%", 2, false);
	table_col(&t, "overhead_us_per_req", "OVH-us/req", 2, false);
	if (!requests)
		table_col_json_only(&t);
	for (size_t c = 0; c < ARRAY_SIZE(cols); c++) {
		table_col(&t, cols[c][0], cols[c][1], 0, false);
		table_col_json_only(&t);
	}
	for (int i = 0; i < ts->n; i++) {
		const struct pod_overhead *p = &po[i];
		const uint64_t v[] = { p->total_ns, p->vcpu_ns, p->guest_ns, p->overhead_ns };
		int r;

		if (!p->applies)
			continue;
		r = table_row(&t);
		table_str(&t, r, 0, ts->t[i].entity);
		if (!p->ok) {
			for (int c = 1; c < 5 + (int)ARRAY_SIZE(cols); c++)
				table_na(&t, r, c, &p->na);
			continue;
		}
		table_pct(&t, r, 1, p->total_ns, span_ns);
		table_pct(&t, r, 2, p->vcpu_ns, span_ns);
		table_pct(&t, r, 3, p->overhead_ns, span_ns);
		if (requests)
			table_f64(&t, r, 4, p->overhead_ns / 1e3 / (double)requests);
		else
			table_none(&t, r, 4);
		for (size_t c = 0; c < ARRAY_SIZE(v); c++)
			table_u64(&t, r, 5 + (int)c, v[c]);
	}
	table_note(&t, "overhead = the pod's threads (task + softirq + hardirq, as its cgroup is "
		       "charged) less its vCPUs' guest time: the VMM's other threads, the shim, "
		       "virtiofsd");
	for (int i = 0; i < ts->n; i++)
		if (po[i].ok && !po[i].guest_measured)
			table_note(&t,
				   "%s: no KVM guest-mode time measured (a TCG guest, no "
				   "kvm_entry/kvm_exit, or top): its vCPU threads' whole time "
				   "counts as the guest's",
				   ts->t[i].entity);
	table_render(&t, o);
	table_free(&t);
}

void report_softirq(const struct agg *a, const struct vp_na *na, struct out *o)
{
	struct table t;

	table_init(&t, "softirq", "Softirq time by vector, hosting thread's entity (us)");
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "role", "ROLE", 0, true);
	for (int v = 0; v < VP_NR_SOFTIRQS; v++)
		table_col(&t, softirq_keys[v], softirq_names[v], 0, false);
	for (int i = 0; i < a->n; i++) {
		const struct agg_row *row = &a->rows[i];
		int r;

		/* not measured: every owner's row, each vector n/a (an empty table would say "none") */
		if (!vp_na_is(na) && !stats_softirq_ns(&row->st))
			continue;
		r = table_row(&t);
		table_str(&t, r, 0, row->entity);
		table_str(&t, r, 1, row->role);
		for (int v = 0; v < VP_NR_SOFTIRQS; v++)
			if (vp_na_is(na))
				table_na(&t, r, 2 + v, na);
			else
				table_f64(&t, r, 2 + v, row->st.softirq_ns[v] / 1e3);
	}
	table_render(&t, o);
	table_free(&t);
}

void report_steal_note(struct table *t, uint64_t steal_ns, uint64_t span_ns)
{
	if (span_ns && steal_ns * 100.0 > REPORT_STEAL_NOTE_PCT * span_ns)
		table_note(
			t,
			"steal %.2f%% of the CPUs: the hypervisor ran something else on them; "
			"the scheduler (and so cpu.stat) leaves it out of the tasks' time, and so "
			"does virtprof, but every per-request figure is inflated by the wait",
			pct_of(steal_ns, span_ns));
}

void report_coverage(uint64_t busy_ns, uint64_t idle_ns, uint64_t steal_ns, uint64_t span_ns,
		     int ncpu, int64_t bpf_ns, struct out *o)
{
	static const struct vp_na no_boundary = { VP_NA_UNMEASURED,
						  "no interval boundary on any CPU yet" };
	struct table t;
	int r;

	table_init(&t, "coverage", NULL);
	table_col(&t, "interval_s", "interval-s", 3, false);
	table_col(&t, "cpus", "cpus", 0, false);
	table_col(&t, "busy_ns", "busy-ns", 0, false);
	table_col(&t, "idle_ns", "idle-ns", 0, false);
	table_col(&t, "steal_ns", "steal-ns", 0, false);
	table_col(&t, "span_ns", "cpus x interval ns", 0, false);
	table_col(&t, "coverage_pct", "coverage%", 2, false);
	table_col(&t, "bpf_ns", "bpf-ns", 0, false);
	table_col(&t, "bpf_pct", "bpf%", 3, false);
	r = table_row(&t);
	if (ncpu)
		table_f64(&t, r, 0, span_ns / 1e9 / ncpu);
	else
		table_na(&t, r, 0, &no_boundary);
	table_u64(&t, r, 1, ncpu);
	table_u64(&t, r, 2, busy_ns);
	table_u64(&t, r, 3, idle_ns);
	table_u64(&t, r, 4, steal_ns);
	table_u64(&t, r, 5, span_ns);
	if (span_ns)
		table_f64(&t, r, 6, coverage_pct(busy_ns, idle_ns, steal_ns, span_ns));
	else
		table_na(&t, r, 6, &no_boundary);
	if (bpf_ns >= 0) {
		table_u64(&t, r, 7, bpf_ns);
		table_pct(&t, r, 8, bpf_ns, span_ns);
	} else {
		table_na(&t, r, 7, REPORT_BPF_STATS_OFF);
		table_na(&t, r, 8, REPORT_BPF_STATS_OFF);
	}
	report_steal_note(&t, steal_ns, span_ns);
	table_render(&t, o);
	table_free(&t);
}

void report_drops(const uint64_t *drops, const struct targets *ts, bool text_only_nonzero,
		  struct out *o)
{
	struct table t;
	bool any = ts->untracked > 0;
	int r;

	table_init(&t, "drops", "Dropped events (map full / unbalanced)");
	table_col(&t, "reason", "REASON", 0, true);
	table_col(&t, "count", "COUNT", 0, false);
	for (int k = 0; k < VP_DROP_MAX; k++) {
		int r;

		if (!drops[k] && text_only_nonzero && o->mode == OUT_TEXT)
			continue;
		any = any || drops[k];
		r = table_row(&t);
		table_str(&t, r, 0, report_drop_names[k]);
		table_u64(&t, r, 1, drops[k]);
	}
	if (ts->untracked || !text_only_nonzero || o->mode != OUT_TEXT) {
		r = table_row(&t);
		table_str(&t, r, 0, "targets_not_tracked");
		table_u64(&t, r, 1, (uint64_t)ts->untracked);
	}
	if (ts->untracked)
		table_note(&t,
			   "targets_not_tracked: %d VM(s) or container(s) found past --max-targets "
			   "%d are not tracked; their threads are in other",
			   ts->untracked, targets_max(ts));
	if (o->mode == OUT_JSON || any)
		table_render(&t, o);
	table_free(&t);
}

void report_profiler(const struct capture *s, uint64_t span_ns, bool whole, struct out *o)
{
	struct table t;

	table_init(&t, "bpf_programs", "BPF programs (kernel bpf_stats)");
	table_col(&t, "program", "PROGRAM", 0, true);
	table_col(&t, "events", "EVENTS", 0, false);
	table_col(&t, "run_ns", "RUN-ns", 0, false);
	table_col(&t, "ns_per_event", "ns/event", 1, false);
	table_col(&t, "host_pct", "HOST%", 3, false);
	for (int i = 0; i < s->nprogs; i++) {
		const struct prog_cost *p = &s->progs[i];
		uint64_t ns = whole ? p->run_ns - p->base_ns : p->d_ns;
		uint64_t cnt = whole ? p->run_cnt - p->base_cnt : p->d_cnt;
		int r = table_row(&t);

		table_str(&t, r, 0, p->name);
		table_u64(&t, r, 1, cnt);
		table_u64(&t, r, 2, ns);
		if (!s->stats_on)
			table_na(&t, r, 3, REPORT_BPF_STATS_OFF);
		else if (cnt)
			table_f64(&t, r, 3, (double)ns / cnt);
		else
			table_none(&t, r, 3);
		if (span_ns)
			table_pct(&t, r, 4, ns, span_ns);
		else
			table_none(&t, r, 4);
	}
	table_render(&t, o);
	table_free(&t);
}
