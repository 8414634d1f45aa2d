// SPDX-License-Identifier: GPL-2.0
/*
 * Session reports: the same tables rendered as text, as JSON (schema virtprof-session/1,
 * docs/report.md) and as CSV (the comparison and the timeline).  Every figure is a field of the
 * cost model (session/cost.h) or of the step; nothing here measures or attributes.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/block.h"
#include "report/doc.h"
#include "report/html.h"
#include "report/io.h"
#include "report/schema.h"
#include "report/sections.h"
#include "report/session_report.h"
#include "report/stacks.h"
#include "sys/cgroup.h"
#include "sys/util.h"

#define DISK_NOTE                                                                                     \
	"DISK: a VM's I/O threads (iothreads, thread pool, io_uring workers) when it did block I/O, " \
	"taken out of VIRT's IO; plus each owner's share (by bytes) of the BLOCK softirq, taken "     \
	"out of the threads it interrupted"

/* The step's load is virtprof's own generator (users apply). */
static bool step_builtin(const struct sess_step *st)
{
	return !st->cmd_line[0] && st->url[0];
}

static uint64_t step_requests(const struct sess_step *st)
{
	uint64_t n;

	session_step_requests(st, &n, NULL, NULL);
	return n;
}

/* The load the step put on its target, for the disk check's writes in flight. */
static struct kdisk_load step_disk_load(const struct sess_step *st)
{
	return (struct kdisk_load){ .target = step_builtin(st) ? st->target : -1,
				    .users = st->plan.users,
				    .requests = step_requests(st) };
}

/* µs per request, or "not available" when no request completed. */
static void cell_us_per_req(struct table *t, int r, int c, uint64_t ns, uint64_t reqs)
{
	if (reqs)
		table_f64(t, r, c, ns / 1e3 / (double)reqs);
	else
		table_na(
			t, r, c,
			VP_NA_LIT(VP_NA_UNMEASURED,
				  "no request count (none completed, or not available: see REQS)"));
}

/* A count per request, or "not available" when no request completed. */
static void cell_per_req(struct table *t, int r, int c, uint64_t n, uint64_t reqs)
{
	if (reqs)
		table_f64(t, r, c, (double)n / (double)reqs);
	else
		table_na(
			t, r, c,
			VP_NA_LIT(VP_NA_UNMEASURED,
				  "no request count (none completed, or not available: see REQS)"));
}

/* Why target i has no DISK figure in this step. */
static const struct vp_na *disk_na_of(const struct sess_step *st, int i)
{
	static const struct vp_na no_disk = { VP_NA_NO_TARGET, KDISK_NO_DISK_NA };

	return st->disk.ok && i >= 0 && i < st->ntargets && st->disk.no_disk[i] ? &no_disk :
										  &st->disk_na;
}

static const char *target_name(const struct session *s, int idx)
{
	return idx >= 0 && idx < s->cap.targets.n ? s->cap.targets.t[idx].entity : "-";
}

/* CPU per entity and role over the step's measured window. */
static void table_step_cpu(const struct session *s, const struct sess_step *st, struct out *o)
{
	struct entity_opts eo = { .title = "CPU by owner (measured window)",
				  .per_req = true,
				  .requests = step_requests(st),
				  .hide_crumbs = true,
				  .irq_na = &s->cap.irq_na };

	report_entities(&st->agg, st->span_ns, &eo, o);
}

/*
 * Virtualization overhead per target: host-side CPU outside the guest's or app's own work,
 * with its parts, per request and in % of the host.
 */
static void table_step_overhead(const struct session *s, const struct sess_step *st, struct out *o)
{
	enum {
		C_TARGET,
		C_OWN,
		C_OVH,
		C_EMUL,
		C_IO,
		C_VHOST,
		C_KVM,
		C_RUNTIME,
		C_PATH,
		C_BRIDGE,
		C_DISK,
		C_EXITS,
		C_UNKNOWN,
		C_OWN_PCT,
		C_OVH_PCT
	};
	uint64_t reqs = step_requests(st);
	struct table t;

	table_init(&t, SK(overhead), "Virtualization overhead by target (us per request)");
	table_col(&t, SK(target), "TARGET", 0, true);
	table_col(&t, SK(own_us), "OWN", 2, false);
	table_col(&t, SK(overhead_us), "OVERHEAD", 2, false);
	table_col(&t, SK(emul_us), "EMUL", 2, false);
	table_col(&t, SK(io_us), "IO", 2, false);
	table_col(&t, SK(vhost_us), "VHOST", 2, false);
	table_col(&t, SK(kvm_us), "KVM", 2, false);
	table_col(&t, SK(runtime_us), "RUNTIME", 2, false);
	table_col(&t, SK(path_us), "PATH", 2, false);
	table_col(&t, SK(bridge_us), "BRIDGE", 2, false);
	table_col(&t, SK(disk_us), "DISK", 2, false);
	table_col(&t, SK(exits_us), "EXITS", 2, false);
	table_col(&t, SK(unknown_us), "UNKNOWN", 2, false);
	table_col(&t, SK(own_pct), "OWN%", 2, false);
	table_col(&t, SK(overhead_pct), "OVH%", 2, false);
	for (int i = 0; i < s->cap.targets.n; i++) {
		const struct target_cost *c = &st->cost.target[i];
		const struct target *tg = &s->cap.targets.t[i];
		bool vm = target_has_vm(tg), ctr = tg->kind == TARGET_CTR;
		int r;

		if (!c->present && i != st->target)
			continue;
		r = table_row(&t);
		table_str(&t, r, C_TARGET, s->cap.targets.t[i].entity);
		cell_us_per_req(&t, r, C_OWN, c->own_ns, reqs);
		cell_us_per_req(&t, r, C_OVH, c->overhead_ns, reqs);
		if (vm) {
			cell_us_per_req(&t, r, C_EMUL, c->emul_ns, reqs);
			cell_us_per_req(&t, r, C_IO, c->io_ns, reqs);
			cell_us_per_req(&t, r, C_VHOST, c->vhost_ns, reqs);
			cell_us_per_req(&t, r, C_KVM, c->kvm_ns, reqs);
		} else {
			for (int k = C_EMUL; k <= C_KVM; k++)
				table_none(&t, r, k);
		}
		/* a container's helpers; a VM-backed pod (Kata) has both: the shim, virtiofsd */
		if (ctr)
			cell_us_per_req(&t, r, C_RUNTIME, c->runtime_ns, reqs);
		else
			table_none(&t, r, C_RUNTIME);
		if (st->net.ok) {
			cell_us_per_req(&t, r, C_PATH, c->path_ns, reqs);
			cell_us_per_req(&t, r, C_BRIDGE, c->bridge_ns, reqs);
		} else {
			table_na(&t, r, C_PATH, &st->net_na);
			table_na(&t, r, C_BRIDGE, &st->net_na);
		}
		if (c->disk_known)
			cell_us_per_req(&t, r, C_DISK, c->disk_ns, reqs);
		else
			table_na(&t, r, C_DISK, disk_na_of(st, i));
		/* exit handling needs guest time (kvm_entry/kvm_exit); a TCG guest has no exits */
		if (vm && c->exits_known)
			cell_us_per_req(&t, r, C_EXITS, c->exits_ns, reqs);
		else if (vm)
			table_na(&t, r, C_EXITS, &st->guest_na);
		else
			table_none(&t, r, C_EXITS);
		cell_us_per_req(&t, r, C_UNKNOWN, c->unknown_ns, reqs);
		table_pct(&t, r, C_OWN_PCT, c->own_ns, st->span_ns);
		table_pct(&t, r, C_OVH_PCT, c->overhead_ns, st->span_ns);
		if (c->unknown_ns)
			table_note(&t,
				   "%s: threads of a role the cost model does not know, counted "
				   "in neither OWN nor OVERHEAD",
				   s->cap.targets.t[i].entity);
	}
	table_note(&t, "OWN: vcpu threads (VM; under KVM their guest time only) / the container's "
		       "cgroup (app); OVERHEAD: EMUL+IO+VHOST+KVM+EXITS+RUNTIME+PATH+BRIDGE+DISK");
	if (st->disk.ok)
		table_note(&t, DISK_NOTE);
	if (st->net.ok)
		table_note(&t,
			   "PATH: NET_RX/NET_TX softirq and process-context receive work on the "
			   "target's tap / veth, taken out of the threads that hosted it");
	table_render(&t, o);
	table_free(&t);
}

/* One owner's block I/O per request: a row of the step's disk table. */
static void disk_row(struct table *t, const char *name, const struct disk_sum *d,
		     const struct target_cost *c, const struct vp_na *disk_na, uint64_t reqs)
{
	uint64_t ops = d->rd_ops + d->wr_ops + d->other_ops;
	int r = table_row(t);

	table_str(t, r, 0, name);
	if (c && !c->disk_known) {
		for (int k = 1; k <= 15; k++)
			table_na(t, r, k, disk_na);
		return;
	}
	cell_per_req(t, r, 1, d->rd_bytes, reqs);
	cell_per_req(t, r, 2, d->wr_bytes, reqs);
	cell_per_req(t, r, 3, d->rd_ops, reqs);
	cell_per_req(t, r, 4, d->wr_ops, reqs);
	cell_per_req(t, r, 5, d->other_ops, reqs);
	if (c) {
		cell_us_per_req(t, r, 6, c->disk_ns, reqs);
		cell_us_per_req(t, r, 7, c->disk_io_ns, reqs);
		cell_us_per_req(t, r, 8, c->disk_softirq_ns, reqs);
	} else {
		for (int k = 6; k <= 8; k++)
			table_na(t, r, k, disk_na);
	}
	if (ops) {
		table_f64(t, r, 9, d->lat_ns / 1e3 / (double)ops);
		table_u64(t, r, 10, blockio_hist_pct(d->hist, VP_BLK_HIST, 50));
		table_u64(t, r, 11, blockio_hist_pct(d->hist, VP_BLK_HIST, 99));
	} else {
		for (int k = 9; k <= 11; k++)
			table_na(t, r, k,
				 VP_NA_LIT(VP_NA_UNMEASURED, "no block I/O in the window"));
	}
	table_u64(t, r, 12, d->rd_bytes);
	table_u64(t, r, 13, d->wr_bytes);
	table_u64(t, r, 14, d->wb_bytes);
	cell_per_req(t, r, 15, d->wr_meta_bytes, reqs);
}

/*
 * The step's block I/O per target (and the rest), per request: bytes and ops as the kernel
 * buckets them, DISK with its two parts, latency (bio submit to completion).
 */
static void table_step_disk(const struct session *s, const struct sess_step *st, struct out *o)
{
	uint64_t reqs = step_requests(st);
	struct table t;

	table_init(&t, SK(disk), "Disk I/O by owner (per request)");
	table_col(&t, SK(owner), "OWNER", 0, true);
	table_col(&t, SK(read_bytes_per_req), "READ-B", 0, false);
	table_col(&t, SK(write_bytes_per_req), "WRITE-B", 0, false);
	table_col(&t, SK(read_ops_per_req), "READ-OPS", 3, false);
	table_col(&t, SK(write_ops_per_req), "WRITE-OPS", 3, false);
	table_col(&t, SK(other_ops_per_req), "OTHER-OPS", 3, false);
	table_col(&t, SK(disk_us), "DISK-us", 2, false);
	table_col(&t, SK(disk_io_threads_us), "IO-THR-us", 2, false);
	table_col(&t, SK(disk_softirq_us), "SIRQ-us", 2, false);
	table_col(&t, SK(lat_avg_us), "LAT-AVG-us", 1, false);
	table_col(&t, SK(lat_p50_us), "P50-us<=", 0, false);
	table_col(&t, SK(lat_p99_us), "P99-us<=", 0, false);
	table_col(&t, SK(read_bytes), "read-bytes", 0, false);
	table_col_json_only(&t);
	table_col(&t, SK(write_bytes), "write-bytes", 0, false);
	table_col_json_only(&t);
	table_col(&t, SK(writeback_bytes), "writeback-bytes", 0, false);
	table_col_json_only(&t);
	table_col(&t, SK(write_meta_bytes_per_req), "META-B", 0, false);
	if (!st->disk.ok) {
		int r = table_row(&t);

		table_str(&t, r, 0, "-");
		for (int k = 1; k <= 15; k++)
			table_na(&t, r, k, &st->disk_na);
	} else {
		for (int i = 0; i < s->cap.targets.n; i++)
			disk_row(&t, s->cap.targets.t[i].entity, &st->disk.target[i],
				 &st->cost.target[i], disk_na_of(st, i), reqs);
		disk_row(&t, "other (no target's)", &st->disk.other, NULL,
			 VP_NA_LIT(VP_NA_NO_TARGET,
				   "host work for I/O no target owns stays in OTHER"),
			 reqs);
		table_note(&t, DISK_NOTE);
		table_note(&t,
			   "owner: the bio's blkcg when a target holds it, else its submitting "
			   "thread's; ops as the kernel buckets them (read; write and "
			   "write-zeroes; OTHER: flush, discard); META-B: of WRITE-B, filesystem "
			   "metadata (REQ_META: a journal or fast commit written in the owner's "
			   "thread); latency: bio submit to completion, percentiles are log2 "
			   "bucket upper bounds");
		if (cgroup_mounts()->v1_blkio[0])
			table_note(
				&t,
				"writeback kworkers: with blkio on cgroup v1 the kernel has no "
				"cgroup writeback, so a container's writeback bios carry the root "
				"blkcg and count as other (its synchronous writes are its own); "
				"the kworkers' CPU stays in OTHER");
	}
	table_render(&t, o);
	table_free(&t);
}

/* The step's pod overhead of each VM-backed pod (cost_derive's figure). */
static void table_step_pod_overhead(const struct session *s, const struct sess_step *st,
				    struct out *o)
{
	struct pod_overhead *po = calloc(s->cap.targets.n ? s->cap.targets.n : 1, sizeof(*po));

	if (!po)
		return;
	for (int i = 0; i < s->cap.targets.n; i++)
		po[i] = st->cost.target[i].pod;
	report_pod_overhead(&s->cap.targets, po, st->span_ns, step_requests(st), o);
	free(po);
}

/* Where the whole host went during the step, in the categories the comparison uses. */
static void table_step_summary(const struct sess_step *st, struct out *o)
{
	uint64_t reqs = step_requests(st);
	struct table t;
	int r;

	table_init(&t, SK(breakdown), "Where the host's CPU went");
	table_col(&t, SK(category), "CATEGORY", 0, true);
	table_col(&t, SK(us_per_req), "us/req", 2, false);
	table_col(&t, SK(host_pct), "HOST%", 2, false);
	table_col(&t, SK(ns), "ns", 0, false);
	table_col_json_only(&t);
#define ROW(name, ns_)                                 \
	do {                                           \
		r = table_row(&t);                     \
		table_str(&t, r, 0, name);             \
		cell_us_per_req(&t, r, 1, ns_, reqs);  \
		table_pct(&t, r, 2, ns_, st->span_ns); \
		table_u64(&t, r, 3, ns_);              \
	} while (0)
	ROW("load generator", st->cost.loadgen_ns);
	ROW("targets' own work", st->cost.own_ns);
	ROW("virtualization (threads)", st->cost.virt_ns);
	if (st->cost.unknown_ns)
		ROW("targets' threads of unknown role", st->cost.unknown_ns);
	if (st->net.ok) {
		ROW("kernel network path", st->cost.kernel_path_ns);
	} else {
		r = table_row(&t);
		table_str(&t, r, 0, "kernel network path");
		table_na(&t, r, 1, &st->net_na);
		table_na(&t, r, 2, &st->net_na);
		table_na(&t, r, 3, &st->net_na);
	}
	if (st->disk.ok) {
		uint64_t disk = 0;

		for (int i = 0; i < st->ntargets; i++)
			disk += st->cost.target[i].disk_ns;
		ROW("targets' disk I/O (I/O threads, BLOCK softirq)", disk);
	}
	ROW("profiler (control thread)", st->cost.profiler_ns);
	ROW("other", st->cost.other_ns);
	ROW("idle", st->idle_ns);
	ROW("steal (the hypervisor's, not this host's)", st->steal_ns);
	r = table_row(&t);
	table_str(&t, r, 0, "profiler BPF programs (inside the rows above)");
	if (st->bpf_known) {
		cell_us_per_req(&t, r, 1, st->bpf_ns, reqs);
		table_pct(&t, r, 2, st->bpf_ns, st->span_ns);
		table_u64(&t, r, 3, st->bpf_ns);
	} else {
		for (int c = 1; c <= 3; c++)
			table_na(&t, r, c, REPORT_BPF_STATS_OFF);
	}
#undef ROW
	if (st->span_ns)
		table_note(
			&t,
			"coverage %.2f%% (every CPU nanosecond of %d CPUs x %.2f s accounted once)",
			coverage_pct(st->busy_ns, st->idle_ns, st->steal_ns, st->span_ns), st->ncpu,
			st->ncpu ? st->span_ns / 1e9 / st->ncpu : 0);
	else
		table_note(&t, "coverage not available: no interval was measured");
	report_steal_note(&t, st->steal_ns, st->span_ns);
	table_render(&t, o);
	table_free(&t);
}

static void table_step_paths(const struct session *s, const struct sess_step *st, struct out *o)
{
	uint64_t reqs = step_requests(st);
	struct table t;

	table_init(&t, SK(network_paths), "Network path by owner (us per request)");
	table_col(&t, SK(owner), "OWNER", 0, true);
	table_col(&t, SK(softirq_us), "SOFTIRQ", 2, false);
	table_col(&t, SK(proc_us), "PROC", 2, false);
	table_col(&t, SK(packets_per_req), "PKTS/req", 2, false);
	table_col(&t, SK(softirq_ns), "softirq-ns", 0, false);
	table_col_json_only(&t);
	table_col(&t, SK(proc_ns), "proc-ns", 0, false);
	table_col_json_only(&t);
	if (!st->net.ok) {
		table_note_na(&t, &st->net_na);
	} else {
		for (int i = 0; i <= s->cap.targets.n + 1; i++) {
			const struct path_sum *p = i < s->cap.targets.n	 ? &st->net.target[i] :
						   i == s->cap.targets.n ? &st->net.bridge :
									   &st->net.other;
			const char *name = i < s->cap.targets.n	 ? s->cap.targets.t[i].entity :
					   i == s->cap.targets.n ? "bridges" :
								   "other devices (lo, ...)";
			int r;

			if (!p->pkts && !p->softirq_ns && !p->proc_ns)
				continue;
			r = table_row(&t);
			table_str(&t, r, 0, name);
			cell_us_per_req(&t, r, 1, p->softirq_ns, reqs);
			cell_us_per_req(&t, r, 2, p->proc_ns, reqs);
			if (reqs)
				table_f64(&t, r, 3, (double)p->pkts / reqs);
			else
				table_na(&t, r, 3,
					 VP_NA_LIT(VP_NA_UNMEASURED, "no request completed"));
			table_u64(&t, r, 4, p->softirq_ns);
			table_u64(&t, r, 5, p->proc_ns);
		}
	}
	table_render(&t, o);
	table_free(&t);
}

/* A figure the load command's tool printed (NAN: it did not). */
static void cell_tool_ms(struct table *t, int r, int c, const struct sess_step *st, double ms)
{
	struct vp_na why;

	if (!isnan(ms)) {
		table_f64(t, r, c, ms);
		return;
	}
	vp_na_set(&why, VP_NA_OTHER,
		  "%s did not print this figure (wrk: --latency prints percentiles)",
		  load_tool_names[st->cmd.tool]);
	table_na(t, r, c, &why);
}

/* REQS, REQ/S and ERR of a step, from whichever source counts its requests. */
static void step_reqs_errs(const struct sess_step *st, struct table *t, int r, int c_reqs,
			   int c_rps, int c_err)
{
	struct vp_na na;
	const char *src;
	uint64_t n, errs = 0;
	double secs = 0;

	if (!session_step_requests(st, &n, &src, &na)) {
		for (int k = c_reqs; k <= c_err; k++)
			table_na(t, r, k, &na);
		return;
	}
	table_u64(t, r, c_reqs, n);
	if (!strcmp(src, REQS_FROM_COUNTER))
		secs = (st->rc_after.mono_ns - st->rc_before.mono_ns) / 1e9;
	else if (!strcmp(src, REQS_FROM_CMD))
		secs = st->cmd.elapsed_ns / 1e9;
	else
		secs = st->res.measured_ns / 1e9;
	if (secs > 0)
		table_f64(t, r, c_rps, n / secs);
	else
		table_na(t, r, c_rps,
			 VP_NA_LIT(VP_NA_UNMEASURED, "nothing measured after the warm-up"));
	if (st->have_res) {
		for (int k = 0; k < LERR_MAX; k++)
			errs += st->res.err[k];
		table_u64(t, r, c_err, errs + st->res.http[4] + st->res.http[5]);
	} else if (st->have_cmd && st->cmd.parsed.have_errors) {
		table_u64(t, r, c_err, st->cmd.parsed.errors);
	} else {
		table_na(t, r, c_err,
			 st->have_cmd ?
				 &st->cmd.parsed.na :
				 VP_NA_LIT(VP_NA_OTHER, "errors: the server's request counter "
							"does not count them"));
	}
}

/* MEAN, SD, P50, P99 (ms) of a step: virtprof's histogram, or what the load command printed. */
static void step_latency(const struct sess_step *st, struct table *t, int r, int c_mean)
{
	struct hist_summary lat;

	if (st->have_res && st->res.lat.total) {
		hist_summarize(&st->res.lat, &lat);
		table_f64(t, r, c_mean, lat.mean_ns / 1e6);
		table_f64(t, r, c_mean + 1, lat.stddev_ns / 1e6);
		table_f64(t, r, c_mean + 2, lat.p50_ns / 1e6);
		table_f64(t, r, c_mean + 3, lat.p99_ns / 1e6);
	} else if (st->have_cmd && st->cmd.parsed.have_requests && st->cmd.parsed.requests) {
		cell_tool_ms(t, r, c_mean, st, st->cmd.parsed.mean_ms);
		cell_tool_ms(t, r, c_mean + 1, st, st->cmd.parsed.stddev_ms);
		cell_tool_ms(t, r, c_mean + 2, st, st->cmd.parsed.p50_ms);
		cell_tool_ms(t, r, c_mean + 3, st, st->cmd.parsed.p99_ms);
	} else {
		for (int k = 0; k < 4; k++)
			table_na(
				t, r, c_mean + k,
				st->have_res || st->have_cmd ?
					VP_NA_LIT(VP_NA_UNMEASURED,
						  "no latency measured (no response)") :
					VP_NA_LIT(
						VP_NA_OTHER,
						"no client-side latency: the load is not virtprof's"));
	}
}

/* The study's figures done right: one row per (step, target). */
void session_report_compare(const struct session *s, struct out *o)
{
	enum {
		C_STEP,
		C_TARGET,
		C_USERS,
		C_REQS,
		C_RPS,
		C_ERR,
		C_LOADGEN,
		C_OWN,
		C_VIRT,
		C_PATH,
		C_DISK,
		C_OTHER,
		C_BUSY,
		C_TGT,
		C_LG,
		C_MEAN,
		C_SD,
		C_P50,
		C_P99,
		C_STATUS
	};
	static const struct vp_na no_target = { VP_NA_NO_TARGET, "no single target for this step" };
	struct table t;

	table_init(&t, SK(comparison), "Comparison (us per request unless marked; % of host)");
	table_col(&t, SK(step), "STEP", 0, true);
	table_col(&t, SK(target), "TARGET", 0, true);
	table_col(&t, SK(users), "USERS", 0, false);
	table_col(&t, SK(requests), "REQS", 0, false);
	table_col_json_only(&t);
	table_col(&t, SK(req_per_s), "REQ/S", 0, false);
	table_col(&t, SK(errors), "ERR", 0, false);
	table_col(&t, SK(loadgen_us), "LOADGEN", 1, false);
	table_col(&t, SK(own_us), "OWN", 1, false);
	table_col(&t, SK(virt_us), "VIRT", 1, false);
	table_col(&t, SK(path_us), "PATH", 1, false);
	table_col(&t, SK(disk_us), "DISK", 1, false);
	table_col(&t, SK(other_us), "OTHER", 1, false);
	table_col(&t, SK(host_busy_pct), "BUSY%", 1, false);
	table_col(&t, SK(target_pct), "TGT%", 1, false);
	table_col(&t, SK(loadgen_pct), "LG%", 1, false);
	table_col(&t, SK(mean_ms), "MEAN-ms", 2, false);
	table_col(&t, SK(stddev_ms), "SD-ms", 2, false);
	table_col(&t, SK(p50_ms), "P50-ms", 2, false);
	table_col(&t, SK(p99_ms), "P99-ms", 2, false);
	table_col(&t, SK(status), "STATUS", 0, true);
	table_col(&t, SK(loadgen_busy_pct), "LG-BUSY%", 1, false);
	table_col_json_only(&t);
	table_col(&t, SK(loadgen_rq_pct), "LG-RQWAIT%", 1, false);
	table_col_json_only(&t);
	table_col(&t, SK(loadgen_bound), "LG-BOUND", 0, true);
	table_col_json_only(&t);
	for (int i = 0; i < s->nsteps; i++) {
		const struct sess_step *st = &s->steps[i];
		uint64_t reqs = step_requests(st);
		const struct target_cost *c = st->target >= 0 ? &st->cost.target[st->target] : NULL;
		char status[96];
		int r = table_row(&t);

		table_str(&t, r, C_STEP, st->label);
		if (st->target >= 0)
			table_str(&t, r, C_TARGET, target_name(s, st->target));
		else
			table_none(&t, r, C_TARGET);
		if (step_builtin(st))
			table_u64(&t, r, C_USERS, st->plan.users);
		else
			table_none(&t, r, C_USERS);
		if (st->skipped) {
			for (int k = C_REQS; k < C_STATUS; k++)
				table_na(&t, r, k,
					 VP_NA_LIT(VP_NA_UNMEASURED,
						   "step skipped: nothing measured"));
			table_str(&t, r, C_STATUS, st->skip_reason);
			for (int k = 1; k <= 3; k++)
				table_na(&t, r, C_STATUS + k,
					 VP_NA_LIT(VP_NA_UNMEASURED,
						   "step skipped: nothing measured"));
			continue;
		}
		step_reqs_errs(st, &t, r, C_REQS, C_RPS, C_ERR);
		cell_us_per_req(&t, r, C_LOADGEN, st->cost.loadgen_ns, reqs);
		if (c) {
			cell_us_per_req(&t, r, C_OWN, c->own_ns, reqs);
			cell_us_per_req(&t, r, C_VIRT, c->virt_ns, reqs);
			if (st->net.ok)
				cell_us_per_req(&t, r, C_PATH, c->netpath_ns, reqs);
			else
				table_na(&t, r, C_PATH, &st->net_na);
			if (c->disk_known)
				cell_us_per_req(&t, r, C_DISK, c->disk_ns, reqs);
			else
				table_na(&t, r, C_DISK, disk_na_of(st, st->target));
		} else {
			for (int k = C_OWN; k <= C_DISK; k++)
				table_na(&t, r, k, &no_target);
		}
		cell_us_per_req(&t, r, C_OTHER, st->cost.other_ns, reqs);
		table_pct(&t, r, C_BUSY, st->busy_ns, st->span_ns);
		if (c)
			table_pct(&t, r, C_TGT, c->own_ns + c->overhead_ns, st->span_ns);
		else
			table_na(&t, r, C_TGT, &no_target);
		table_pct(&t, r, C_LG, st->cost.loadgen_ns, st->span_ns);
		step_latency(st, &t, r, C_MEAN);
		if (st->lost)
			snprintf(status, sizeof(status), "target lost at %.1fs", st->lost_at_s);
		else if (st->interrupted)
			snprintf(status, sizeof(status), "interrupted");
		else if (!reqs)
			snprintf(status, sizeof(status), "no request served");
		else if (st->lg_bound)
			snprintf(status, sizeof(status), "load-generator bound");
		else
			snprintf(status, sizeof(status), "ok");
		table_str(&t, r, C_STATUS, status);
		if (st->lg_known) {
			table_f64(&t, r, C_STATUS + 1, st->lg_busy_pct);
			table_f64(&t, r, C_STATUS + 2, st->lg_rq_pct);
			table_str(&t, r, C_STATUS + 3, st->lg_bound ? "yes" : "no");
		} else {
			for (int k = 1; k <= 3; k++)
				table_na(&t, r, C_STATUS + k,
					 VP_NA_LIT(VP_NA_UNMEASURED,
						   "no load result or no measured window"));
		}
		if (st->have_res && load_users_short(&st->res))
			table_note(
				&t,
				"step %s (%s): only %" PRIu64 " of %" PRIu64
				" users were answered at least once (%" PRIu64
				" connected but never answered): the latency leaves the others out",
				st->label, st->target >= 0 ? target_name(s, st->target) : "-",
				st->res.users_answered, st->res.plan.users,
				st->res.users_unanswered);
		if (st->lg_bound)
			table_note(
				&t,
				"step %s (%s): load-generator bound: its workers were %.0f%% busy "
				"and waited for a CPU %.0f%% of the time (bound at %.0f%% / %.0f%%): "
				"a generator limit, not the server's; pin it apart with "
				"--loadgen-cpus",
				st->label, st->target >= 0 ? target_name(s, st->target) : "-",
				st->lg_busy_pct, st->lg_rq_pct, LOADGEN_BUSY_BOUND_PCT,
				LOADGEN_RQ_BOUND_PCT);
	}
	table_note(
		&t,
		"LOADGEN: virtprof's own load threads; OWN: vCPUs (under KVM: their guest time) / "
		"container app; VIRT: emulation, io, vhost, KVM threads, exit handling, runtime "
		"helpers; PATH: tap/veth/bridge; DISK: block I/O's host work (each step's disk "
		"table: compare -v)");
	table_note(&t, "latency from the intended send time (coordinated omission corrected)");
	table_render(&t, o);
	table_free(&t);
}

/* Each target's idle CPU before the first step (compare): what the steps are held against. */
static void table_baselines(const struct session *s, struct out *o)
{
	struct table t;

	table_init(&t, SK(baselines), "Idle baselines (before any load)");
	table_col(&t, SK(entity), "TARGET", 0, true);
	table_col(&t, SK(idle_pct), "IDLE-CPU%-OF-HOST", 2, false);
	table_col(&t, SK(measured_s), "OVER-s", 1, false);
	for (int i = 0; i < s->cap.targets.n; i++) {
		int r = table_row(&t);

		table_str(&t, r, 0, s->cap.targets.t[i].entity);
		if (s->have_baseline) {
			table_f64(&t, r, 1, s->baseline_pct[i]);
			table_f64(&t, r, 2, s->baseline_s);
		} else {
			table_na(&t, r, 1,
				 VP_NA_LIT(VP_NA_UNMEASURED,
					   "baselines are measured before the steps of compare"));
			table_na(&t, r, 2,
				 VP_NA_LIT(VP_NA_UNMEASURED,
					   "baselines are measured before the steps of compare"));
		}
	}
	if (s->have_baseline)
		table_note(
			&t,
			"each step waits (at most %.0f s) until every target is within %.0f%% of "
			"the host of its baseline; nothing is subtracted from any figure",
			SETTLE_MAX_NS / 1e9, SETTLE_MARGIN_PCT);
	table_render(&t, o);
	table_free(&t);
}

/* Per step: how long it waited for the targets to settle, and where each target stood. */
static void table_isolation(const struct session *s, const struct sess_step *st, struct out *o)
{
	struct table t;

	table_init(&t, SK(isolation), NULL);
	table_col(&t, SK(entity), "TARGET", 0, true);
	table_col(&t, SK(loaded), "LOADED", 0, true);
	table_col(&t, SK(baseline_pct), "BASELINE%", 2, false);
	table_col(&t, SK(before_pct), "BEFORE%", 2, false);
	table_col(&t, SK(step_pct), "STEP%", 2, false);
	table_col(&t, SK(isolation), "ISOLATION", 0, true);
	for (int i = 0; i < s->cap.targets.n; i++) {
		bool loaded = i == st->target;
		int r = table_row(&t);

		table_str(&t, r, 0, s->cap.targets.t[i].entity);
		table_str(&t, r, 1, loaded ? "yes" : "no");
		table_f64(&t, r, 2, s->baseline_pct[i]);
		if (st->settle_tried)
			table_f64(&t, r, 3, st->settle_pct[i]);
		else
			table_none(&t, r, 3);
		table_f64(&t, r, 4, st->tgt_pct[i]);
		if (loaded) {
			table_none(&t, r, 5);
		} else if (st->tgt_pct[i] > s->baseline_pct[i] + SETTLE_MARGIN_PCT) {
			table_str(&t, r, 5, "ABOVE BASELINE");
			table_note(
				&t,
				"%s (not loaded) used %.2f%% of the host, above its baseline %.2f%% "
				"+ %.0f: its work sits in this step's BUSY%% and OTHER",
				s->cap.targets.t[i].entity, st->tgt_pct[i], s->baseline_pct[i],
				SETTLE_MARGIN_PCT);
		} else {
			table_str(&t, r, 5, "at baseline");
		}
	}
	if (st->settle_tried && st->settled)
		table_note(&t, "waited %.1f s before the step for every target to settle",
			   st->settle_s);
	else if (st->settle_tried)
		table_note(&t,
			   "NOT SETTLED: started after waiting %.1f s (the bound), a target "
			   "was still above its baseline",
			   st->settle_s);
	table_render(&t, o);
	table_free(&t);
}

/* The load command and the server's counter, in words (text report). */
static void step_source_text(const struct sess_step *st, FILE *f)
{
	const struct load_cmd_result *c = &st->cmd;
	const struct tool_result *p = &c->parsed;
	struct vp_na na;
	const char *src;
	uint64_t n;

	if (st->cmd_line[0])
		fprintf(f, "   load command: %s\n", st->cmd_line);
	if (st->have_cmd) {
		fprintf(f, "   ran %.1f s in its own cgroup, charged to loadgen; ",
			c->elapsed_ns / 1e9);
		if (c->killed)
			fprintf(f, "KILLED (%s, signal %d)", c->killed_why,
				c->signal ? c->signal : SIGTERM);
		else if (c->signal)
			fprintf(f, "ended by signal %d", c->signal);
		else
			fprintf(f, "exit status %d", c->exit_code);
		if (c->leftovers)
			fprintf(f, "; %d process(es) it left behind were killed", c->leftovers);
		fputc('\n', f);
		if (p->have_requests && p->have_errors)
			fprintf(f, "   %s's report: %" PRIu64 " requests, %" PRIu64 " errors\n",
				load_tool_names[c->tool], p->requests, p->errors);
		else if (p->have_requests)
			fprintf(f, "   %s's report: %" PRIu64 " requests, errors n/a\n",
				load_tool_names[c->tool], p->requests);
		else
			fprintf(f, "   requests from the command: n/a (%s)\n", p->na.detail);
		if (p->have_requests && p->requests) {
			const double v[] = { p->mean_ms, p->stddev_ms, p->p50_ms,
					     p->p95_ms,	 p->p99_ms,    p->max_ms };
			const char *k[] = { "mean", "stddev", "p50", "p95", "p99", "max" };

			fprintf(f, "   latency (%s's, ms):", load_tool_names[c->tool]);
			for (size_t i = 0; i < ARRAY_SIZE(v); i++)
				if (isnan(v[i]))
					fprintf(f, " %s n/a", k[i]);
				else
					fprintf(f, " %s %.2f", k[i], v[i]);
			fputc('\n', f);
		}
	}
	if (st->have_rc) {
		fprintf(f, "   requests from %s%s%s: ", st->rc_src.url,
			st->rc_src.series[0] ? "#" : "", st->rc_src.series);
		if (session_step_requests(st, &n, &src, &na))
			fprintf(f,
				"%" PRIu64 " (%s %" PRIu64 " -> %" PRIu64
				", our second read excluded where the server counts it; reads took "
				"%.0f / %.0f ms)\n",
				n, reqcount_kind_names[st->rc_before.kind], st->rc_before.value,
				st->rc_after.value, st->rc_before.latency_ms,
				st->rc_after.latency_ms);
		else
			fprintf(f, "n/a (%s)\n", na.detail);
	}
}

static void step_header_text(const struct session *s, const struct sess_step *st, FILE *f)
{
	if (step_builtin(st))
		fprintf(f, "== step %s  target %s  %s  users %" PRIu64 "\n", st->label,
			target_name(s, st->target), st->url, st->plan.users);
	else
		fprintf(f, "== step %s  target %s%s%s\n", st->label, target_name(s, st->target),
			st->url[0] ? "  " : "", st->url);
	step_source_text(st, f);
	if (st->skipped)
		fprintf(f, "   skipped: %s\n", st->skip_reason);
	if (st->lost)
		fprintf(f, "   TARGET LOST at %.1fs: what was measured before is kept\n",
			st->lost_at_s);
	if (st->interrupted)
		fprintf(f, "   interrupted by a signal: partial step\n");
	if (st->lg_bound)
		fprintf(f,
			"   LOAD-GENERATOR BOUND: its workers were %.0f%% busy and waited for a CPU "
			"%.0f%% of the time: a generator limit, not the server's (--loadgen-cpus)\n",
			st->lg_busy_pct, st->lg_rq_pct);
}

/* compare's text without -v: the comparison first, then what it is held against. */
static void compare_summary_text(struct session *s, FILE *f, struct out *o)
{
	bool stacks = false;

	session_report_compare(s, o);
	for (int i = 0; i < s->nsteps; i++)
		stacks |= s->steps[i].stacks.on;
	if (stacks) {
		fputc('\n', f);
		report_where_diff(s, o);
	}
	if (s->have_baseline) {
		fputc('\n', f);
		table_baselines(s, o);
	}
	fputc('\n', f);
	report_mode(&s->cap.mode, o);
	/* what the detail would flag: a step whose CPU the kernel counted otherwise */
	for (int i = 0; i < s->nsteps; i++) {
		const struct sess_step *st = &s->steps[i];

		for (int k = 0; st->kc && st->nkc_iv && k < s->cap.targets.n; k++)
			if (st->kc[k].ok && kcheck_flagged(&st->kc[k]))
				fprintf(f,
					"  note: step %s, %s: virtprof and the kernel differ by %+.2f%%: "
					"its figures are less certain than the rest\n",
					st->label, target_name(s, k), kcheck_diff_pct(&st->kc[k]));
	}
	fprintf(f,
		"\nEach step in detail (load summary, isolation, agreement with the kernel, disk "
		"I/O%s): virtprof compare -v, or the --json / --html reports\n",
		stacks ? ", where" : "");
}

void session_report_text(struct session *s, FILE *f, enum text_report what)
{
	bool compare = what != TEXT_RUN;
	struct out o;

	out_init(&o, f, OUT_TEXT, false);
	if (what == TEXT_COMPARE) {
		compare_summary_text(s, f, &o);
		fflush(f);
		return;
	}
	report_mode(&s->cap.mode, &o);
	fputc('\n', f);
	report_targets(&s->cap, &o);
	if (s->have_baseline) {
		fputc('\n', f);
		table_baselines(s, &o);
	}
	for (int i = 0; i < s->nsteps; i++) {
		struct sess_step *st = &s->steps[i];

		fputc('\n', f);
		step_header_text(s, st, f);
		if (st->skipped)
			continue;
		if (st->have_res)
			load_print_summary(&st->res, f);
		if (s->have_baseline) {
			fputc('\n', f);
			table_isolation(s, st, &o);
		}
		if (st->stacks.on || vp_na_is(&s->cap.stacks_na)) {
			fputc('\n', f);
			report_where(s, st, &o);
		}
		if (st->nkc_iv && s->cap.targets.n) {
			fputc('\n', f);
			report_kernel_check(&s->cap.targets, st->kc, s->cap.targets.n, &o);
		}
		if (s->cap.targets.n) {
			fputc('\n', f);
			struct kdisk_load load = step_disk_load(st);

			report_disk_check(&s->cap.targets, st->kdisk, s->cap.targets.n, &load,
					  st->disk.ok ? NULL : &st->disk_na, &o);
		}
		if (compare && !strncmp(s->workload, "disk", 4)) {
			fputc('\n', f);
			table_step_disk(s, st, &o);
		}
		if (compare)
			continue; /* the side-by-side table carries the CPU figures */
		fputc('\n', f);
		table_step_summary(st, &o);
		fputc('\n', f);
		table_step_overhead(s, st, &o);
		table_step_pod_overhead(s, st, &o);
		fputc('\n', f);
		table_step_paths(s, st, &o);
		fputc('\n', f);
		table_step_disk(s, st, &o);
		if (report_io_step_has(st)) {
			fprintf(f, "\nI/O during the step\n");
			report_io_step(st, &o);
		}
		fputc('\n', f);
		table_step_cpu(s, st, &o);
		report_drops(st->drops, &s->cap.targets, true, &o);
	}
	if (compare) {
		fputc('\n', f);
		session_report_compare(s, &o);
		fputc('\n', f);
		report_where_diff(s, &o);
	}
	fflush(f);
}

static void json_timeline(const struct session *s, const struct sess_step *st, struct out *o)
{
	struct jw *w = &o->jw;

	jw_key(w, SK(timeline));
	jw_arr_begin(w);
	for (int i = 0; i < st->ntl; i++) {
		const struct tl_point *p = &st->tl[i];

		jw_obj_begin(w);
		jw_kdouble(w, SK(t_s), p->t_s);
		jw_ku64(w, SK(mono_ns), p->mono_ns);
		jw_ku64(w, SK(real_ns), p->real_ns);
		jw_kdouble(w, SK(interval_s), p->interval_s);
		jw_kdouble(w, SK(coverage_pct), p->coverage_pct);
		jw_ku64(w, SK(steal_ns), p->steal_ns);
		jw_kbool(w, SK(warmup), p->warmup);
		report_kernel_check(&s->cap.targets, p->kc, p->nkc, o);
		jw_key(w, SK(entities));
		jw_arr_begin(w);
		for (int k = 0; k < p->nrows; k++) {
			jw_obj_begin(w);
			jw_kstr(w, SK(entity), p->rows[k].entity);
			jw_kstr(w, SK(role), p->rows[k].role);
			jw_ku64(w, SK(busy_ns), p->rows[k].busy_ns);
			jw_obj_end(w);
		}
		jw_arr_end(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void jw_kms(struct jw *w, const char *k, double ms)
{
	jw_kopt_double(w, k, !isnan(ms), ms);
}

/* "load_cmd" and "requests_from" of a step (null when not used). */
static void json_step_sources(const struct sess_step *st, struct jw *w)
{
	const struct load_cmd_result *c = &st->cmd;
	const struct tool_result *p = &c->parsed;

	jw_key(w, SK(load_cmd));
	if (!st->cmd_line[0]) {
		jw_null(w);
	} else {
		jw_obj_begin(w);
		jw_kstr(w, SK(command), st->cmd_line);
		jw_kbool(w, SK(ran), st->have_cmd);
		jw_kstr(w, SK(tool), load_tool_names[st->have_cmd ? c->tool : TOOL_UNKNOWN]);
		jw_kopt_u64(w, SK(exit_status), st->have_cmd && c->exit_code >= 0,
			    (uint64_t)c->exit_code);
		jw_kopt_u64(w, SK(signal), st->have_cmd && c->signal, (uint64_t)c->signal);
		jw_kbool(w, SK(killed), st->have_cmd && c->killed);
		jw_key(w, SK(killed_by));
		if (st->have_cmd && c->killed)
			jw_str(w, c->killed_why);
		else
			jw_null(w);
		jw_kopt_double(w, SK(elapsed_s), st->have_cmd, c->elapsed_ns / 1e9);
		jw_kopt_u64(w, SK(leftovers_killed), st->have_cmd, (uint64_t)c->leftovers);
		jw_kopt_u64(w, SK(requests), st->have_cmd && p->have_requests, p->requests);
		jw_kopt_u64(w, SK(errors), st->have_cmd && p->have_errors, p->errors);
		jw_key(w, SK(requests_reason));
		if (st->have_cmd && !p->have_requests)
			jw_str(w, p->na.detail);
		else if (!st->have_cmd)
			jw_str(w, st->skip_reason[0] ? st->skip_reason : "the command did not run");
		else
			jw_null(w);
		jw_key(w, SK(latency_ms));
		jw_obj_begin(w);
		jw_kms(w, SK(mean), st->have_cmd ? p->mean_ms : NAN);
		jw_kms(w, SK(stddev), st->have_cmd ? p->stddev_ms : NAN);
		jw_kms(w, SK(min), st->have_cmd ? p->min_ms : NAN);
		jw_kms(w, SK(p50), st->have_cmd ? p->p50_ms : NAN);
		jw_kms(w, SK(p90), st->have_cmd ? p->p90_ms : NAN);
		jw_kms(w, SK(p95), st->have_cmd ? p->p95_ms : NAN);
		jw_kms(w, SK(p99), st->have_cmd ? p->p99_ms : NAN);
		jw_kms(w, SK(max), st->have_cmd ? p->max_ms : NAN);
		jw_obj_end(w);
		jw_obj_end(w);
	}
	jw_key(w, SK(requests_from));
	if (!st->have_rc) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	jw_kstr(w, SK(url), st->rc_src.url);
	jw_key(w, SK(series));
	if (st->rc_src.series[0])
		jw_str(w, st->rc_src.series);
	else
		jw_null(w);
	jw_kstr(w, SK(kind),
		reqcount_kind_names[st->rc_before.ok ? st->rc_before.kind : st->rc_after.kind]);
	for (int k = 0; k < 2; k++) {
		const struct reqcount_read *r = k ? &st->rc_after : &st->rc_before;

		jw_key(w, k ? SK(after) : SK(before));
		jw_obj_begin(w);
		jw_kopt_u64(w, SK(value), r->ok, r->value);
		jw_ku64(w, SK(mono_ns), r->mono_ns);
		jw_kdouble(w, SK(read_ms), r->latency_ms);
		jw_key(w, SK(error));
		if (r->ok)
			jw_null(w);
		else
			jw_str(w, r->err);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

/* cpu.requests (null when there is no count), where it comes from, or why there is none. */
static void json_step_requests(const struct sess_step *st, struct jw *w)
{
	struct vp_na na;
	const char *src;
	uint64_t n;
	bool ok = session_step_requests(st, &n, &src, &na);

	jw_kopt_u64(w, SK(requests), ok, n);
	jw_key(w, SK(requests_source));
	if (ok)
		jw_str(w, src);
	else
		jw_null(w);
	jw_key(w, SK(requests_reason));
	if (ok)
		jw_null(w);
	else
		jw_str(w, na.detail);
}

static void json_step(struct session *s, struct sess_step *st, struct jw *w, struct out *o)
{
	jw_obj_begin(w);
	jw_kstr(w, SK(label), st->label);
	jw_key(w, SK(target));
	if (st->target >= 0)
		jw_str(w, target_name(s, st->target));
	else
		jw_null(w);
	jw_kstr(w, SK(url), st->url);
	jw_kopt_u64(w, SK(users), step_builtin(st), st->plan.users);
	jw_kbool(w, SK(skipped), st->skipped);
	jw_key(w, SK(skip_reason));
	if (st->skipped)
		jw_str(w, st->skip_reason);
	else
		jw_null(w);
	jw_kbool(w, SK(interrupted), st->interrupted);
	jw_kbool(w, SK(target_lost), st->lost);
	jw_kopt_double(w, SK(target_lost_at_s), st->lost, st->lost_at_s);
	jw_kopt_double(w, SK(settle_s), st->settle_tried, st->settle_s);
	jw_key(w, SK(settled));
	if (st->settle_tried)
		jw_bool(w, st->settled);
	else
		jw_null(w);
	if (s->have_baseline)
		table_isolation(s, st, o);
	jw_kdouble(w, SK(t_start_s), st->t_start_s);
	jw_kdouble(w, SK(t_end_s), st->t_end_s);
	jw_key(w, SK(load));
	if (st->have_res)
		load_json(&st->res, w);
	else
		jw_null(w);
	json_step_sources(st, w);
	jw_key(w, SK(cpu));
	jw_obj_begin(w);
	json_step_requests(st, w);
	jw_ku64(w, SK(cpus), st->ncpu);
	jw_ku64(w, SK(span_ns), st->span_ns);
	jw_ku64(w, SK(busy_ns), st->busy_ns);
	jw_ku64(w, SK(idle_ns), st->idle_ns);
	jw_ku64(w, SK(steal_ns), st->steal_ns);
	jw_kopt_u64(w, SK(bpf_ns), st->bpf_known, st->bpf_ns);
	jw_kopt_double(w, SK(coverage_pct), st->span_ns,
		       coverage_pct(st->busy_ns, st->idle_ns, st->steal_ns, st->span_ns));
	table_step_cpu(s, st, o);
	report_kernel_check(&s->cap.targets, st->kc, st->nkc_iv ? s->cap.targets.n : 0, o);
	report_softirq(&st->agg, &s->cap.irq_na, o);
	table_step_summary(st, o);
	table_step_overhead(s, st, o);
	table_step_pod_overhead(s, st, o);
	jw_kbool(w, SK(network_available), st->net.ok);
	jw_key(w, SK(network_reason));
	if (st->net.ok)
		jw_null(w);
	else
		jw_str(w, st->net_na.detail);
	table_step_paths(s, st, o);
	table_step_disk(s, st, o);
	struct kdisk_load load = step_disk_load(st);

	report_disk_check(&s->cap.targets, st->kdisk, s->cap.targets.n, &load,
			  st->disk.ok ? NULL : &st->disk_na, o);
	report_drops(st->drops, &s->cap.targets, false, o);
	jw_obj_end(w);
	jw_key(w, SK(io));
	if (report_io_step_has(st)) {
		jw_obj_begin(w);
		report_io_step(st, o);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	json_timeline(s, st, o);
	report_where(s, st, o);
	report_stacks_json(s, st, w);
	jw_obj_end(w);
}

static void session_json(struct session *s, FILE *f, const char *command)
{
	struct out o;
	struct jw *w;

	out_init(&o, f, OUT_JSON, true);
	o.decimals = true; /* the page (html.c) rounds each table as the text does */
	w = &o.jw;
	jw_obj_begin(w);
	jw_kstr(w, SK(schema), SESSION_SCHEMA);
	jw_kstr(w, SK(command), command);
	jw_key(w, SK(workload));
	if (s->workload[0])
		jw_str(w, s->workload);
	else
		jw_null(w);
	jw_key(w, SK(testbed));
	if (s->testbed[0])
		jw_str(w, s->testbed);
	else
		jw_null(w);
	jw_kdouble(w, SK(interval_s), s->interval_ns / 1e9);
	report_mode(&s->cap.mode, &o);
	report_targets(&s->cap, &o);
	table_baselines(s, &o);
	report_profiler(&s->cap, 0, true, &o);
	jw_key(w, SK(steps));
	jw_arr_begin(w);
	for (int i = 0; i < s->nsteps; i++)
		json_step(s, &s->steps[i], w, &o);
	jw_arr_end(w);
	session_report_compare(s, &o);
	if (!strcmp(command, "compare"))
		report_where_diff(s, &o);
	jw_obj_end(w);
	jw_end_line(w);
}

int session_report_json(struct session *s, const char *path, const char *command)
{
	struct atomic_file *af = atomic_file_open(path);

	if (!af)
		return -errno;
	session_json(s, atomic_file_stream(af), command);
	return atomic_file_commit(af);
}

/*
 * The page is rendered from the session's JSON document, kept in memory: the same page as
 * `virtprof report` makes from the --json file, from the same numbers.
 */
int session_report_html(struct session *s, const char *path, const char *command)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	json_t *root;
	int err, code;

	if (!m)
		return -errno;
	session_json(s, m, command);
	if (fclose(m)) {
		free(buf);
		return -ENOMEM;
	}
	root = doc_load_buf(buf, len, "session JSON", &code);
	free(buf);
	if (!root)
		return -EIO;
	err = html_write_session(root, "live session", path);
	json_decref(root);
	return err;
}

/* The timeline: one row per interval, entity and role of every step (the CSV's table). */
static void table_timeline(const struct session *s, struct out *o)
{
	enum {
		C_STEP,
		C_TARGET,
		C_T,
		C_MONO,
		C_REAL,
		C_IV,
		C_WARM,
		C_COV,
		C_ENT,
		C_ROLE,
		C_BUSY,
		C_HOST
	};
	struct table t;

	table_init(&t, SK(timeline), "Timeline");
	table_col(&t, SK(step), "STEP", 0, true);
	table_col(&t, SK(target), "TARGET", 0, true);
	table_col(&t, SK(t_s), "T-s", 3, false);
	table_col(&t, SK(mono_ns), "MONO-ns", 0, false);
	table_col(&t, SK(real_ns), "REAL-ns", 0, false);
	table_col(&t, SK(interval_s), "INTERVAL-s", 3, false);
	table_col(&t, SK(warmup), "WARMUP", 0, false);
	table_col(&t, SK(coverage_pct), "COVERAGE%", 3, false);
	table_col(&t, SK(entity), "ENTITY", 0, true);
	table_col(&t, SK(role), "ROLE", 0, true);
	table_col(&t, SK(busy_ns), "BUSY-ns", 0, false);
	table_col(&t, SK(host_pct), "HOST%", 4, false);
	for (int i = 0; i < s->nsteps; i++) {
		const struct sess_step *st = &s->steps[i];

		for (int k = 0; k < st->ntl; k++) {
			const struct tl_point *p = &st->tl[k];
			int ncpu = st->ncpu ? st->ncpu : s->cap.mode.ncpus;
			uint64_t cap = (uint64_t)(p->interval_s * ncpu * 1e9);

			for (int j = 0; j < p->nrows; j++) {
				int r = table_row(&t);

				table_str(&t, r, C_STEP, st->label);
				table_str(&t, r, C_TARGET, target_name(s, st->target));
				table_f64(&t, r, C_T, p->t_s);
				table_u64(&t, r, C_MONO, p->mono_ns);
				table_u64(&t, r, C_REAL, p->real_ns);
				table_f64(&t, r, C_IV, p->interval_s);
				table_u64(&t, r, C_WARM, p->warmup);
				table_f64(&t, r, C_COV, p->coverage_pct);
				table_str(&t, r, C_ENT, p->rows[j].entity);
				table_str(&t, r, C_ROLE, p->rows[j].role);
				table_u64(&t, r, C_BUSY, p->rows[j].busy_ns);
				table_pct(&t, r, C_HOST, p->rows[j].busy_ns, cap);
			}
		}
	}
	table_render(&t, o);
	table_free(&t);
}

/* One CSV file of DIR from one table, written atomically. */
static int write_csv(const struct session *s, int dirfd, const char *name,
		     void (*table)(const struct session *s, struct out *o))
{
	struct atomic_file *af = atomic_file_open_at(dirfd, name);
	struct out o;

	if (!af)
		return -errno;
	out_init(&o, atomic_file_stream(af), OUT_CSV, false);
	table(s, &o);
	return atomic_file_commit(af);
}

int session_report_csv(const struct session *s, const char *dir)
{
	int dfd = vp_dir_open(dir), err;

	if (dfd < 0)
		return dfd;
	err = write_csv(s, dfd, "timeline.csv", table_timeline);
	if (!err)
		err = write_csv(s, dfd, "summary.csv", session_report_compare);
	close(dfd);
	return err;
}

/* --json / --csv / --html after the text report; VP_EXIT_OK or VP_EXIT_FAIL. */
int session_report_outputs(struct session *s, const struct session_cli *c, const char *command)
{
	int err, ret = VP_EXIT_OK;

	if (c->json && (err = session_report_json(s, c->json, command))) {
		vp_err("write %s: %s", c->json, vp_file_error(err));
		ret = VP_EXIT_FAIL;
	}
	if (c->csv && (err = session_report_csv(s, c->csv))) {
		vp_err("write %s: %s", c->csv, vp_file_error(err));
		ret = VP_EXIT_FAIL;
	}
	if (c->html && (err = session_report_html(s, c->html, command))) {
		vp_err("write %s: %s", c->html, vp_file_error(err));
		ret = VP_EXIT_FAIL;
	}
	if (report_write_stack_files(s, c) != VP_EXIT_OK)
		ret = VP_EXIT_FAIL;
	return ret;
}
