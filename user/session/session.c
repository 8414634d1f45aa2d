// SPDX-License-Identifier: GPL-2.0
/*
 * The session engine: the capture's intervals while the load generator runs each step, folded
 * into the step's measured window; the step's network split and I/O tables; its cost split.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account/self.h"
#include "io/block.h"
#include "io/kvmexit.h"
#include "session/exits.h"
#include "io/netpath.h"
#include "io/iosec.h"
#include "session/session.h"
#include "sys/util.h"

int session_open(struct session *s, const struct capture_opts *o, uint64_t interval_ns)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->interval_ns = interval_ns;
	sigemptyset(&s->sigs);
	sigaddset(&s->sigs, SIGINT);
	sigaddset(&s->sigs, SIGTERM);
	/* Blocked in every thread created from here on (load workers included): taken synchronously
	 * by the session loop between intervals. */
	pthread_sigmask(SIG_BLOCK, &s->sigs, NULL);
	err = capture_open(&s->cap, o);
	if (err)
		return err;
	/* a session resolves its targets once: every per-target array has this many places */
	s->baseline_pct = calloc(s->cap.targets.n ? s->cap.targets.n : 1, sizeof(*s->baseline_pct));
	if (!s->baseline_pct) {
		capture_close(&s->cap);
		return -ENOMEM;
	}
	s->cap.io_per_step = true;
	s->t0_mono = now_mono_ns();
	return 0;
}

static void step_free(struct sess_step *st)
{
	if (st->have_res)
		load_result_free(&st->res);
	agg_free(&st->agg);
	stack_profile_free(&st->stacks);
	stack_profile_free(&st->exit_stacks);
	io_view_free(&st->io_view);
	table_set_free(&st->io);
	for (int i = 0; i < st->ntl; i++) {
		free(st->tl[i].rows);
		free(st->tl[i].kc);
	}
	free(st->tl);
	free(st->kc);
	free(st->settle_pct);
	free(st->tgt_pct);
	free(st->net.target);
	free(st->guest.seen);
	free(st->guest.guest_ns);
	free(st->cost.target);
	free(st->disk.target);
	free(st->disk.no_disk);
	free(st->kd0);
	free(st->kdisk);
}

int session_step_alloc(struct sess_step *st, int ntargets)
{
	size_t n = ntargets > 0 ? (size_t)ntargets : 1;

	st->ntargets = ntargets;
	st->kc = calloc(n, sizeof(*st->kc));
	st->settle_pct = calloc(n, sizeof(*st->settle_pct));
	st->tgt_pct = calloc(n, sizeof(*st->tgt_pct));
	st->net.target = calloc(n, sizeof(*st->net.target));
	st->guest.seen = calloc(n, sizeof(*st->guest.seen));
	st->guest.guest_ns = calloc(n, sizeof(*st->guest.guest_ns));
	st->cost.target = calloc(n, sizeof(*st->cost.target));
	st->disk.target = calloc(n, sizeof(*st->disk.target));
	st->disk.no_disk = calloc(n, sizeof(*st->disk.no_disk));
	st->kd0 = calloc(n, sizeof(*st->kd0));
	st->kdisk = calloc(n, sizeof(*st->kdisk));
	if (!st->kc || !st->settle_pct || !st->tgt_pct || !st->net.target || !st->guest.seen ||
	    !st->guest.guest_ns || !st->cost.target || !st->disk.target || !st->disk.no_disk ||
	    !st->kd0 || !st->kdisk)
		return -ENOMEM;
	return 0;
}

void session_close(struct session *s)
{
	for (int i = 0; i < s->nsteps; i++)
		step_free(&s->steps[i]);
	free(s->steps);
	s->steps = NULL;
	s->nsteps = 0;
	free(s->baseline_pct);
	s->baseline_pct = NULL;
	capture_close(&s->cap);
}

struct sess_step *session_add_step(struct session *s, const char *label, int target,
				   const struct load_plan *plan)
{
	struct sess_step *st;

	st = array_grow(s->steps, &s->capsteps, s->nsteps, sizeof(*st));
	if (!st)
		return NULL;
	s->steps = st;
	st = &s->steps[s->nsteps];
	memset(st, 0, sizeof(*st));
	if (session_step_alloc(st, s->cap.targets.n)) {
		step_free(st);
		return NULL;
	}
	s->nsteps++;
	snprintf(st->label, sizeof(st->label), "%s", label);
	st->target = target;
	st->plan = *plan;
	snprintf(st->url, sizeof(st->url), "%s", plan->url ? plan->url : "");
	st->plan.url = st->url;
	return st;
}

static void tl_add(struct session *s, struct sess_step *st, const struct capture_interval *ci,
		   bool warmup)
{
	const struct interval *iv = &ci->iv;
	const struct agg *a = &ci->agg;
	struct tl_point *p;

	p = array_push((void **)&st->tl, &st->ntl, &st->captl, sizeof(*p));
	if (!p)
		return;
	p->t_s = (iv->mono_end_ns - s->t0_mono) / 1e9;
	p->mono_ns = iv->mono_end_ns;
	p->real_ns = iv->real_end_ns;
	p->interval_s = (iv->mono_end_ns - iv->mono_start_ns) / 1e9;
	p->steal_ns = iv->steal_ns;
	p->span_ns = iv->span_ns;
	p->coverage_pct = coverage_pct(iv->busy_ns, iv->idle_ns, iv->steal_ns, iv->span_ns);
	p->warmup = warmup;
	p->kc = calloc(ci->nkc ? ci->nkc : 1, sizeof(*p->kc));
	p->rows = calloc(a->n ? a->n : 1, sizeof(*p->rows));
	if (!p->rows || !p->kc)
		return;
	p->nkc = ci->nkc;
	memcpy(p->kc, ci->kc, ci->nkc * sizeof(*p->kc));
	for (int i = 0; i < a->n; i++) {
		snprintf(p->rows[i].entity, sizeof(p->rows[i].entity), "%s", a->rows[i].entity);
		snprintf(p->rows[i].role, sizeof(p->rows[i].role), "%s", a->rows[i].role);
		p->rows[i].busy_ns = stats_busy_ns(&a->rows[i].st);
	}
	p->nrows = a->n;
}

/* Close one interval; fold it into the step unless it is warm-up. */
static int step_interval(struct session *s, struct sess_step *st, bool warmup)
{
	struct capture_interval ci;
	int err = capture_next(&s->cap, &ci);

	if (err)
		return err;
	tl_add(s, st, &ci, warmup);
	if (!warmup) {
		const struct interval *iv = &ci.iv;

		agg_merge(&st->agg, &ci.agg);
		stack_profile_merge(&st->stacks, &ci.stacks);
		stack_profile_merge(&st->exit_stacks, &ci.exit_stacks);
		st->span_ns += iv->span_ns;
		st->busy_ns += iv->busy_ns;
		st->idle_ns += iv->idle_ns;
		st->steal_ns += iv->steal_ns;
		st->bpf_known = ci.bpf_ns >= 0;
		if (ci.bpf_ns > 0)
			st->bpf_ns += ci.bpf_ns;
		if (iv->ncpu_seen > st->ncpu)
			st->ncpu = iv->ncpu_seen;
		for (int k = 0; k < VP_DROP_MAX; k++)
			st->drops[k] += iv->drops[k];
		for (int k = 0; k < ci.nkc && k < st->ntargets; k++)
			kcheck_delta_add(&st->kc[k], &ci.kc[k], st->nkc_iv == 0);
		st->nkc_iv++;
	}
	capture_interval_free(&ci);
	/* a step's target dying is recorded, not fatal: the measured part stays */
	if (st->target >= 0 && !st->lost && s->cap.targets.t[st->target].gone) {
		st->lost = true;
		st->lost_at_s = (s->cap.targets.t[st->target].gone_mono_ns - s->t0_mono) / 1e9;
	}
	return 0;
}

double session_target_pct(const struct agg *a, const struct target *t, uint64_t span_ns)
{
	uint64_t busy = 0;

	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->rows[i].entity, t->entity))
			busy += stats_busy_ns(&a->rows[i].st);
	return pct_of(busy, span_ns);
}

static bool wait_until(struct session *s, uint64_t until);

int session_baseline(struct session *s, uint64_t dur_ns)
{
	struct capture_interval ci;
	uint64_t span = 0, t0 = now_mono_ns(), end = t0 + dur_ns;
	struct agg sum = {};
	int err;

	if (!s->cap.targets.n)
		return 0;
	if (!capture_next(&s->cap, &ci))
		capture_interval_free(&ci);
	while (!s->stop && now_mono_ns() < end) {
		if (wait_until(s, end)) {
			s->stop = true;
			break;
		}
		err = capture_next(&s->cap, &ci);
		if (err)
			return err;
		agg_merge(&sum, &ci.agg);
		span += ci.iv.span_ns;
		capture_interval_free(&ci);
	}
	if (span) {
		for (int i = 0; i < s->cap.targets.n; i++)
			s->baseline_pct[i] = session_target_pct(&sum, &s->cap.targets.t[i], span);
		s->have_baseline = true;
		s->baseline_s = (now_mono_ns() - t0) / 1e9;
	}
	agg_free(&sum);
	return 0;
}

/*
 * Before a step (not the first): short intervals until every live target has been within the
 * margin of its baseline for SETTLE_QUIET_RUNS intervals in a row, at most SETTLE_MAX_NS.  A VM still tearing down the previous step's 10,000
 * connections would otherwise sit in this step's BUSY% and OTHER.
 */
static void step_settle(struct session *s, struct sess_step *st)
{
	uint64_t t0 = now_mono_ns();
	int quiet = 0;

	if (!s->have_baseline || s->nsteps < 2)
		return;
	st->settle_tried = true;
	while (!s->stop) {
		struct capture_interval ci;
		bool all = true;

		if (wait_until(s, now_mono_ns() + SETTLE_STEP_NS)) {
			s->stop = true;
			break;
		}
		if (capture_next(&s->cap, &ci))
			break;
		for (int i = 0; i < s->cap.targets.n; i++) {
			const struct target *t = &s->cap.targets.t[i];

			st->settle_pct[i] = session_target_pct(&ci.agg, t, ci.iv.span_ns);
			if (!t->gone && st->settle_pct[i] > s->baseline_pct[i] + SETTLE_MARGIN_PCT)
				all = false;
		}
		capture_interval_free(&ci);
		quiet = all ? quiet + 1 : 0;
		if (quiet >= SETTLE_QUIET_RUNS) {
			st->settled = true;
			break;
		}
		if (now_mono_ns() - t0 >= SETTLE_MAX_NS)
			break;
	}
	st->settle_s = (now_mono_ns() - t0) / 1e9;
}

/* Wait until `until` (mono ns) or a signal; true when a signal arrived. */
static bool wait_until(struct session *s, uint64_t until)
{
	uint64_t now = now_mono_ns();
	struct timespec to;

	if (until <= now)
		return false;
	to.tv_sec = (until - now) / NSEC_PER_SEC;
	to.tv_nsec = (until - now) % NSEC_PER_SEC;
	return sigtimedwait(&s->sigs, NULL, &to) > 0;
}

/* The network path since load: per device from the I/O sections, summed per owner. */
/*
 * Each device's counters at the start of a step's window.  The window's network path is every
 * device's own delta, charged to its owner at the window's end: totals summed per owner at both
 * ends and subtracted went negative when a device changed hands in between (a veth whose owner
 * was found during the step) or was forgotten (netpath's prune), and the u64 wrapped
 * (18446744073698694106 ns of "other devices" in one 10,000-user step).
 */
struct net_base {
	int n;
	struct net_base_dev {
		struct vp_net_key key;
		struct vp_net_stats total;
	} * dev;
};

static void net_base_take(struct session *s, struct net_base *b)
{
	struct netpath *np = s->cap.io ? iosec_net(s->cap.io) : NULL;

	memset(b, 0, sizeof(*b));
	if (!np || !np->runs || !np->ndev || !(b->dev = calloc(np->ndev, sizeof(*b->dev))))
		return;
	for (int i = 0; i < np->ndev; i++) {
		b->dev[i].key = np->devs[i].info.key;
		b->dev[i].total = np->devs[i].total;
	}
	b->n = np->ndev;
}

static const struct vp_net_stats *net_base_of(const struct net_base *b, const struct vp_net_key *k)
{
	for (int i = 0; b && i < b->n; i++)
		if (b->dev[i].key.netns == k->netns && b->dev[i].key.ifindex == k->ifindex)
			return &b->dev[i].total;
	return NULL;
}

/* end - start, or end when the counter started over (a device forgotten and seen again) */
static uint64_t since(uint64_t end, uint64_t start)
{
	return end >= start ? end - start : end;
}

/* The network path per owner since base (NULL: since the programs were loaded). */
static void net_totals(struct session *s, struct net_split *out, const struct net_base *base,
		       struct vp_na *na)
{
	struct netpath *np = s->cap.io ? iosec_net(s->cap.io) : NULL;

	struct path_sum *per = out->target;

	memset(out, 0, sizeof(*out));
	out->target = per;
	if (s->cap.targets.n)
		memset(per, 0, s->cap.targets.n * sizeof(*per));
	if (!np) {
		const struct vp_na *why = s->cap.io ? iosec_na(s->cap.io, IOSEC_NET) : NULL;

		vp_na_set(na, why ? why->code : VP_NA_OPTION,
			  "%s: path time stays inside the hosting threads",
			  why ? why->detail : "network programs not loaded");
		return;
	}
	if (!np->runs) {
		*na = np->runs_na;
		return;
	}
	out->ok = true;
	for (int i = 0; i < np->ndev; i++) {
		const struct net_dev *d = &np->devs[i];
		const struct vp_net_stats *b = net_base_of(base, &d->info.key);
		const struct vp_net_stats zero = { 0 };
		int t = netpath_owner(np, d, capture_io_owner, &s->cap, NULL, 0);
		struct path_sum *ps;
		uint64_t proc;

		if (!b)
			b = &zero;
		if (t >= 0)
			ps = &out->target[t];
		else if (d->kind == NET_BRIDGE)
			ps = &out->bridge;
		else
			ps = &out->other;
		ps->softirq_ns += since(d->total.sirq_ns[0], b->sirq_ns[0]) +
				  since(d->total.sirq_ns[1], b->sirq_ns[1]);
		proc = since(d->total.proc_ns, b->proc_ns);
		ps->proc_ns += proc;
		if (d->kind == NET_TAP &&
		    (d->vhost == VHOST_USER_WORKER || d->vhost == VHOST_KTHREAD))
			ps->vhost_proc_ns += proc;
		ps->pkts +=
			since(d->total.rx_pkts, b->rx_pkts) + since(d->total.tx_pkts, b->tx_pkts);
	}
}

/*
 * The block I/O of the measured window per owner: the block section's deltas now are exactly
 * the window's (collected at its start and end).  A bio's owner is its blkcg's target, else its
 * submitter's (capture_io_owner), as the block table names them.
 */
static void disk_totals(struct session *s, struct sess_step *st)
{
	struct blockio *b = s->cap.io ? iosec_block(s->cap.io) : NULL;
	int n = s->cap.targets.n < st->ntargets ? s->cap.targets.n : st->ntargets;
	/* the kernel's block I/O figures at the window's end */
	struct kdisk_reading *kd1 = calloc(n > 0 ? n : 1, sizeof(*kd1));

	st->disk.ok = false;
	memset(&st->disk.other, 0, sizeof(st->disk.other));
	for (int i = 0; i < n; i++) {
		memset(&st->disk.target[i], 0, sizeof(st->disk.target[i]));
		st->disk.no_disk[i] = false;
	}
	if (!kd1) {
		vp_na_set(&st->disk_na, VP_NA_OTHER, "out of memory");
		return;
	}
	kdisk_read(&s->cap.targets, kd1);
	if (!b) {
		const struct vp_na *why = s->cap.io ? iosec_na(s->cap.io, IOSEC_BLOCK) : NULL;

		vp_na_set(&st->disk_na, why ? why->code : VP_NA_OPTION,
			  "%s: disk time stays inside the threads",
			  why ? why->detail : "block programs not loaded");
		free(kd1);
		return;
	}
	st->disk.ok = true;
	for (int i = 0; i < n; i++) {
		const struct target *t = &s->cap.targets.t[i];

		st->disk.no_disk[i] = t->kind == TARGET_VM && !kdisk_vm_has_disk(t->pid);
	}
	for (int i = 0; i < b->n; i++) {
		const struct blk_row *r = &b->rows[i];
		uint64_t cgid = (r->key.flags & VP_BLK_NO_BLKCG) || r->key.cgid <= 1 ? 0 :
										       r->key.cgid;
		int t;

		if (!r->delta.ops)
			continue;
		t = capture_io_owner(&s->cap,
				     &(struct io_owner_key){ .tid = r->key.tid, .cgid = cgid },
				     NULL, 0, NULL, 0);
		disk_sum_add(t >= 0 && t < n ? &st->disk.target[t] : &st->disk.other, r->key.op,
			     r->key.flags, !strcmp(blockio_submitter_role(&r->key), "writeback"),
			     &r->delta);
	}
	for (int i = 0; i < n; i++) {
		const struct disk_sum *d = &st->disk.target[i];

		/*
		 * /proc/<pid>/io counts a process's data writes (iomap's direct-I/O bios, pages it
		 * dirtied), not the journal blocks the filesystem writes in its thread for its
		 * fsync (ext4 fast commit, REQ_META): those are compared for a cgroup only, whose
		 * blkio counts every bio.
		 */
		bool proc = s->cap.targets.t[i].kind == TARGET_VM;

		if (st->disk.no_disk[i]) {
			memset(&st->kdisk[i], 0, sizeof(st->kdisk[i]));
			vp_na_set(&st->kdisk[i].na, VP_NA_NO_TARGET, "%s", KDISK_NO_DISK_NA);
			continue;
		}
		kdisk_delta_set(&st->kdisk[i], &st->kd0[i], &kd1[i], d->rd_bytes,
				proc ? d->wr_bytes - d->wr_meta_bytes : d->wr_bytes, d->rd_ops,
				d->wr_ops);
	}
	free(kd1);
}

/*
 * The network / block / KVM figures over the step: the I/O sections hold exactly the step's
 * deltas right now (collected at its start and end), so keep them for the report -- the network
 * and block rows typed, the KVM tables rendered.
 */
static void step_io(struct session *s, struct sess_step *st)
{
	double secs = (now_mono_ns() - s->t0_mono) / 1e9 - st->t_window_s;
	struct out o;

	if (!s->cap.io)
		return;
	io_view_free(&st->io_view);
	iosec_view(s->cap.io, capture_io_owner, &s->cap, secs, &st->io_view);
	out_init_keep(&o, &st->io);
	if (!iosec_kvm(s->cap.io))
		return;
	kvmexit_render(iosec_kvm(s->cap.io), capture_io_owner, &s->cap, secs, &o);
	exits_render(iosec_kvm(s->cap.io), capture_io_owner, &s->cap,
		     st->have_res ? st->res.requests : 0,
		     st->target >= 0 ? (uint32_t)s->cap.targets.t[st->target].pid : 0,
		     st->stacks.on ? &st->exit_stacks : NULL,
		     vp_na_is(&s->cap.stacks_na) ?
			     &s->cap.stacks_na :
			     VP_NA_LIT(VP_NA_OPTION, "stack sampling off (--stacks)"),
		     &o);
}

/*
 * Guest time of each VM's vCPUs over the measured window: the KVM section's deltas since the
 * window began (it was collected then), summed per target by the vCPU threads' process.
 */
static void guest_times(struct session *s, struct sess_step *st)
{
	struct kvmexit *k = s->cap.io ? iosec_kvm(s->cap.io) : NULL;
	st->guest.ok = false;
	memset(st->guest.seen, 0, st->ntargets * sizeof(*st->guest.seen));
	memset(st->guest.guest_ns, 0, st->ntargets * sizeof(*st->guest.guest_ns));
	if (!k) {
		vp_na_set(&st->guest_na, VP_NA_NO_TARGET,
			  "exit handling: KVM programs not loaded (no KVM on this host)");
		return;
	}
	if (vp_na_is(&k->exit_na)) {
		vp_na_set(&st->guest_na, k->exit_na.code, "exit handling: %s", k->exit_na.detail);
		return;
	}
	if (!k->exits) {
		vp_na_set(&st->guest_na, VP_NA_KERNEL,
			  "exit handling: kvm_exit/kvm_entry not attached");
		return;
	}
	st->guest.ok = true;
	for (int i = 0; i < k->n; i++) {
		const struct kvm_row *r = &k->rows[i];
		const struct target *t = targets_by_pid(&s->cap.targets, (pid_t)r->key.tgid);

		if (!t || !r->delta.entries)
			continue;
		st->guest.seen[t - s->cap.targets.t] = true;
		st->guest.guest_ns[t - s->cap.targets.t] += r->delta.guest_ns;
	}
	/* a VM whose vCPUs never entered the guest runs under TCG: it has no exits at all */
	vp_na_set(&st->guest_na, VP_NA_UNMEASURED,
		  "exit handling: the VM never entered KVM guest mode in the step (a TCG guest has "
		  "no exits)");
}

/* netpath keeps running totals since load; the step's share is its end minus its start. */
/*
 * What drives a step: virtprof's own load (h), the user's command (cmd: it lasts as long as it
 * runs, --duration bounds it), or nothing (--requests-from alone: the step lasts --duration).
 */
struct step_load {
	struct load_handle *h;
	struct load_cmd *cmd;
	uint64_t end_ns; /* 0: no bound */
};

static bool step_load_done(struct step_load *l)
{
	if (l->h)
		return load_done(l->h);
	if (l->cmd) {
		if (l->end_ns && now_mono_ns() >= l->end_ns)
			load_cmd_stop(l->cmd, "--duration");
		return load_cmd_done(l->cmd);
	}
	return now_mono_ns() >= l->end_ns;
}

static void step_load_stop(struct step_load *l)
{
	if (l->h)
		load_stop(l->h);
	else if (l->cmd)
		load_cmd_stop(l->cmd, "SIGINT/SIGTERM");
	else
		l->end_ns = now_mono_ns();
}

static void step_reqcount(struct sess_step *st, struct reqcount_read *r)
{
	if (reqcount_read(&st->rc_src, r))
		vp_warn("--requests-from: %s", r->err);
}

static int step_load_start(struct sess_step *st, struct step_load *l)
{
	char err[256];
	int rc;

	memset(l, 0, sizeof(*l));
	if (st->cmd_line[0]) {
		rc = load_cmd_start(st->cmd_line, st->plan.set_cpus ? &st->plan.cpus : NULL,
				    st->plan.netns, &l->cmd, err, sizeof(err));
		if (!rc && st->plan.set_duration)
			l->end_ns = now_mono_ns() + st->plan.duration_ns;
	} else if (st->url[0]) {
		rc = load_start(&st->plan, &l->h, err, sizeof(err));
	} else {
		l->end_ns = now_mono_ns() + st->plan.duration_ns;
		/* no load of ours: say when the window opens, the traffic is the user's to start */
		fprintf(stderr, "virtprof: step %s: measuring for %.1f s\n", st->label,
			st->plan.duration_ns / 1e9);
		return 0;
	}
	if (rc) {
		vp_err("%s", err);
		st->skipped = true;
		snprintf(st->skip_reason, sizeof(st->skip_reason), "load did not start: %s", err);
	}
	return rc;
}

int session_run_step(struct session *s, struct sess_step *st)
{
	struct net_base before = { 0 }; /* the devices' network counters at the window's start */
	struct capture_interval ci;
	struct step_load l;
	uint64_t next, warm_end;
	int rc = 0;
	uint64_t announced = now_mono_ns();

	step_settle(s, st);
	st->t_start_s = (now_mono_ns() - s->t0_mono) / 1e9;
	if (st->target >= 0 && s->cap.targets.t[st->target].gone) {
		const struct target *t = &s->cap.targets.t[st->target];

		st->skipped = true;
		/*
		 * Lost while this step waited for the host to settle (seconds on a busy host): the
		 * step's own loss, with its time, not an earlier step's.
		 */
		if (t->gone_mono_ns >= announced) {
			st->lost = true;
			st->lost_at_s = (t->gone_mono_ns - s->t0_mono) / 1e9;
			snprintf(st->skip_reason, sizeof(st->skip_reason),
				 "target lost at %.1fs, before the step's load started",
				 st->lost_at_s);
		} else {
			snprintf(st->skip_reason, sizeof(st->skip_reason),
				 "target %s was lost earlier", t->entity);
		}
		return 0;
	}
	/* the step starts now: discard what was charged before */
	if (!capture_next(&s->cap, &ci))
		capture_interval_free(&ci);
	/* the server's counter before any of the step's load (after the warm-up when there is one) */
	if (st->have_rc && !st->plan.warmup_ns)
		step_reqcount(st, &st->rc_before);
	rc = step_load_start(st, &l);
	if (rc)
		return rc;
	next = now_mono_ns();
	warm_end = next + st->plan.warmup_ns;
	/* warm-up: sampled for the timeline, kept out of the totals; the window starts at its end */
	while (!s->stop && now_mono_ns() < warm_end && !step_load_done(&l)) {
		uint64_t until = next + s->interval_ns < warm_end ? next + s->interval_ns :
								    warm_end;

		if (wait_until(s, until)) {
			s->stop = true;
			st->interrupted = true;
			step_load_stop(&l);
		}
		next = until;
		step_interval(s, st, true);
	}
	if (st->have_rc && st->plan.warmup_ns)
		step_reqcount(st, &st->rc_before);
	/*
	 * The measured window starts here, for the I/O sections as for the CPU: their deltas from
	 * now on are the window's, and the network totals now are its start.
	 */
	capture_io(&s->cap);
	kdisk_read(&s->cap.targets, st->kd0);
	net_base_take(s, &before);
	st->t_window_s = (now_mono_ns() - s->t0_mono) / 1e9;
	next = now_mono_ns();
	while (!s->stop && !step_load_done(&l)) {
		next += s->interval_ns;
		/* poll for the end of the load in short slices so the tail interval is short */
		while (!s->stop && !step_load_done(&l) && now_mono_ns() < next) {
			uint64_t slice = now_mono_ns() + 50 * NSEC_PER_MSEC;

			if (wait_until(s, slice < next ? slice : next)) {
				s->stop = true;
				st->interrupted = true;
				step_load_stop(&l);
			}
		}
		step_interval(s, st, false);
	}
	if (s->stop && !st->interrupted) {
		st->interrupted = true;
		step_load_stop(&l);
	}
	if (l.h) {
		rc = load_wait(l.h, &st->res);
		if (!rc)
			st->have_res = true;
	} else if (l.cmd) {
		rc = load_cmd_wait(l.cmd, &st->cmd);
		if (!rc)
			st->have_cmd = true;
	}
	step_interval(s, st, false);
	if (st->have_rc)
		step_reqcount(st, &st->rc_after);
	capture_io(&s->cap);
	disk_totals(s, st);
	net_totals(s, &st->net, &before, &st->net_na);
	free(before.dev);
	guest_times(s, st);
	step_io(s, st);
	st->t_end_s = (now_mono_ns() - s->t0_mono) / 1e9;
	session_derive(s, st);
	return rc;
}

void session_step_cmd(struct sess_step *st, const char *line)
{
	snprintf(st->cmd_line, sizeof(st->cmd_line), "%s", line ? line : "");
}

void session_step_reqcount(struct sess_step *st, const struct reqcount_src *src)
{
	st->have_rc = src != NULL;
	if (src)
		st->rc_src = *src;
}

bool session_step_requests(const struct sess_step *st, uint64_t *n, const char **source,
			   struct vp_na *na)
{
	struct vp_na unused;
	const char *unused_src;
	char why[256];
	uint64_t v;

	if (!source)
		source = &unused_src;
	if (!na)
		na = &unused;
	*n = 0;
	*source = NULL;
	vp_na_clear(na);
	if (st->have_rc) {
		if (reqcount_delta(&st->rc_before, &st->rc_after, &v, why, sizeof(why))) {
			vp_na_set(na, VP_NA_OTHER, "%s", why);
			return false;
		}
		*n = v;
		*source = REQS_FROM_COUNTER;
		return true;
	}
	if (st->cmd_line[0]) {
		if (!st->have_cmd) {
			vp_na_set(na, VP_NA_OTHER, "the load command did not run");
			return false;
		}
		if (!st->cmd.parsed.have_requests) {
			vp_na_set(na, st->cmd.parsed.na.code, "%s: %s",
				  load_tool_names[st->cmd.tool], st->cmd.parsed.na.detail);
			return false;
		}
		*n = st->cmd.parsed.requests;
		*source = REQS_FROM_CMD;
		return true;
	}
	if (!st->have_res) {
		if (st->url[0])
			vp_na_set(na, VP_NA_OTHER, "the load generator returned no result");
		else
			vp_na_set(na, VP_NA_OPTION,
				  "no load and no --requests-from: no request count");
		return false;
	}
	*n = st->res.requests;
	*source = REQS_FROM_LOADGEN;
	return true;
}

/* The generator's saturation over the measured window (session.h LOADGEN_*_BOUND_PCT). */
static void loadgen_limits(struct sess_step *st)
{
	uint64_t busy = 0, rq = 0, wall = st->ncpu ? st->span_ns / st->ncpu : 0;
	unsigned cpus = st->plan.set_cpus ? (unsigned)CPU_COUNT(&st->plan.cpus) :
					    (unsigned)st->ncpu;
	unsigned lanes;

	if (!st->have_res || !wall || !st->res.workers)
		return;
	for (int i = 0; i < st->agg.n; i++)
		if (!strcmp(st->agg.rows[i].entity, ENTITY_LOADGEN)) {
			busy += stats_busy_ns(&st->agg.rows[i].st);
			rq += st->agg.rows[i].st.rq_delay_ns;
		}
	/* each worker can use one CPU, and no more CPUs than it may run on */
	lanes = st->res.workers < cpus ? st->res.workers : cpus;
	if (!lanes)
		return;
	st->lg_known = true;
	st->lg_busy_pct = pct_of(busy, (uint64_t)lanes * wall);
	st->lg_rq_pct = pct_of(rq, (uint64_t)st->res.workers * wall);
	st->lg_bound = st->lg_busy_pct >= LOADGEN_BUSY_BOUND_PCT ||
		       st->lg_rq_pct >= LOADGEN_RQ_BOUND_PCT;
}

void session_derive(struct session *s, struct sess_step *st)
{
	loadgen_limits(st);
	for (int i = 0; i < s->cap.targets.n; i++)
		st->tgt_pct[i] = session_target_pct(&st->agg, &s->cap.targets.t[i], st->span_ns);
	agg_sort(&st->agg);
	stack_profile_sort(&st->stacks);
	stack_profile_sort(&st->exit_stacks);
	cost_derive(&st->cost, &st->agg, &st->net, &st->disk, &st->guest, &s->cap.targets,
		    st->target);
}

bool session_step_cmd_failed(const struct sess_step *st, char *msg, size_t len)
{
	const struct load_cmd_result *c = &st->cmd;

	if (!st->cmd_line[0] || st->interrupted)
		return false;
	if (!st->have_cmd)
		snprintf(msg, len, "step %s: %s", st->label, st->skip_reason);
	else if (c->killed)
		snprintf(msg, len, "step %s: the load command was killed after %.1f s (%s)%s",
			 st->label, c->elapsed_ns / 1e9, c->killed_why,
			 c->parsed.have_requests ? "" : ": its report is missing");
	else if (c->signal)
		snprintf(msg, len, "step %s: the load command died of signal %d after %.1f s",
			 st->label, c->signal, c->elapsed_ns / 1e9);
	else if (c->exit_code)
		snprintf(msg, len,
			 "step %s: the load command exited with status %d after %.1f s%s%.200s",
			 st->label, c->exit_code, c->elapsed_ns / 1e9,
			 c->output_tail[0] ? "; its output ended: " : "", c->output_tail);
	else
		return false;
	return true;
}
