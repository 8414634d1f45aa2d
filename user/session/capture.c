// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "account.skel.h"
#include "account/classify.h"
#include "io/kvmexit.h"
#include "io/iosec.h"
#include "probe/probe.h"
#include "stack/sampler.h"
#include "session/capture.h"
#include "session/exits.h"
#include "sys/util.h"

/* The target table and the per-target arrays (capture_open's failures and capture_close). */
static void capture_free_targets(struct capture *c)
{
	targets_free(&c->targets);
	free(c->kc_prev);
	free(c->kc_now);
	free(c->kc_ours);
	c->kc_prev = c->kc_now = NULL;
	c->kc_ours = NULL;
	c->kc_cap = 0;
}

static void add_prog(struct capture *c, const char *name, int fd)
{
	struct prog_cost *p;

	if (c->nprogs >= MAX_PROGS || fd < 0)
		return;
	p = &c->progs[c->nprogs++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->fd = fd;
	probe_prog_stats(fd, &p->run_ns, &p->run_cnt);
	p->base_ns = p->run_ns;
	p->base_cnt = p->run_cnt;
}

static void add_obj_progs(struct capture *c, struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__fd(prog) >= 0 && strcmp(bpf_program__name(prog), "flush"))
			add_prog(c, bpf_program__name(prog), bpf_program__fd(prog));
	}
}

/* --vm / --container specs, or (with none) every VM and container found. */
static int resolve_targets(struct targets *ts, const char **vms, int nvm, const char **ctrs,
			   int nctr)
{
	int err;

	for (int i = 0; i < nvm; i++)
		if ((err = targets_add_vm(ts, vms[i])))
			return err;
	for (int i = 0; i < nctr; i++)
		if ((err = targets_add_container(ts, ctrs[i])))
			return err;
	if (!nvm && !nctr)
		targets_discover(ts);
	else if (nctr)
		targets_find_helpers(ts);
	return 0;
}

/* Room in the per-target arrays for n targets; the new places zeroed.  -ENOMEM. */
static int kc_room(struct capture *c, int n)
{
	struct kcheck_reading *prev, *now;
	uint64_t *ours;
	int cap = c->kc_cap ? c->kc_cap : 32;

	if (n <= c->kc_cap)
		return 0;
	while (cap < n)
		cap *= 2;
	prev = realloc(c->kc_prev, cap * sizeof(*prev));
	if (prev)
		c->kc_prev = prev;
	now = realloc(c->kc_now, cap * sizeof(*now));
	if (now)
		c->kc_now = now;
	ours = realloc(c->kc_ours, cap * sizeof(*ours));
	if (ours)
		c->kc_ours = ours;
	if (!prev || !now || !ours)
		return -ENOMEM;
	memset(prev + c->kc_cap, 0, (cap - c->kc_cap) * sizeof(*prev));
	memset(now + c->kc_cap, 0, (cap - c->kc_cap) * sizeof(*now));
	c->kc_cap = cap;
	return 0;
}

/* The kernel's figures at the interval boundary (account/kernel_check.h). */
static void read_kernel_figures(void *ctx)
{
	struct capture *c = ctx;

	kcheck_read(&c->targets, c->kc_now);
}

int capture_open(struct capture *c, const struct capture_opts *o)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->targets.max = o->max_targets;
	/* Privilege first: target discovery reads /proc of other users' processes. */
	err = probe_check_privileges();
	if (!err)
		err = resolve_targets(&c->targets, o->vms, o->nvm, o->ctrs, o->nctr);
	if (!err)
		err = kc_room(c, c->targets.n);
	if (!err) {
		err = account_probe_open(&c->probe, o->max_threads, o->which == CAPTURE_LIGHT);
		if (err && err != -EPERM && err != -ENOENT)
			err = -EIO;
	}
	if (err) {
		capture_free_targets(c);
		return err;
	}
	c->light = o->which == CAPTURE_LIGHT;
	c->stats_on = c->probe.stats_fd >= 0;
	err = collector_init(&c->coll, &c->probe);
	if (!err)
		err = attributor_init(&c->attr, &c->coll, &c->targets);
	if (err) {
		collector_free(&c->coll);
		account_probe_close(&c->probe);
		capture_free_targets(c);
		return err;
	}
	c->open = true;
	kernel_mode_detect(&c->mode);
	c->mode.flavour = c->probe.flavour;
	c->mode.light = c->light;
	add_obj_progs(c, c->probe.skel->obj);
	if (c->light) {
		vp_na_set(&c->stacks_na, VP_NA_LIGHT, "%s", CAPTURE_LIGHT_STACKS_NA);
		vp_na_set(&c->irq_na, VP_NA_LIGHT, "%s", CAPTURE_LIGHT_IRQ_NA);
	}
	if (o->which != CAPTURE_NO_IO) {
		/* light: every section is there, not available with the reason */
		struct iosec_opts io_opts = {
			.account_cpu_state_fd = account_probe_cpu_state_fd(&c->probe),
			.net = true,
			.block = true,
			.kvm = true,
			.off = c->light ? VP_NA_LIT(VP_NA_LIGHT, CAPTURE_LIGHT_IO_NA) : NULL,
		};
		struct bpf_object *objs[4];

		/* each part that cannot load is reported as not available, never fatal */
		if (!iosec_open(&c->io, &io_opts)) {
			int n = iosec_objects(c->io, objs, ARRAY_SIZE(objs));

			for (int i = 0; i < n; i++)
				add_obj_progs(c, objs[i]);
			iosec_collect(c->io);
		}
	}
	c->t0_mono = now_mono_ns();
	c->coll.at_boundary = read_kernel_figures;
	c->coll.at_boundary_ctx = c;
	err = collector_restart(&c->coll);
	if (c->targets.n) /* no target, no arrays (memcpy's NULL is undefined even for 0 bytes) */
		memcpy(c->kc_prev, c->kc_now, c->targets.n * sizeof(*c->kc_prev));
	if (err) {
		capture_close(c);
		return -EIO;
	}
	return 0;
}

int capture_retarget(struct capture *c, const char **vms, int nvm, const char **ctrs, int nctr)
{
	struct targets *ts = calloc(1, sizeof(*ts));
	int err = ts ? 0 : -ENOMEM;

	if (!err) {
		ts->max = c->targets.max;
		err = resolve_targets(ts, vms, nvm, ctrs, nctr);
	}
	if (!err)
		err = kc_room(c, ts->n);
	if (!err) {
		bool rd = c->targets.rediscover;
		uint64_t keep = c->targets.prune_after_ns;

		/* the attributor points at c->targets: same address, every verdict stale */
		targets_free(&c->targets);
		c->targets = *ts;
		c->targets.rediscover = rd;
		c->targets.prune_after_ns = keep;
		c->disc_last_ns = 0; /* resolved anew: the next interval discovers in full */
		attributor_invalidate(&c->attr);
		/* the kernel's figures were read for the old list: each starts again at a boundary */
		for (int i = 0; i < c->kc_cap; i++) {
			memset(&c->kc_prev[i], 0, sizeof(c->kc_prev[i]));
			vp_na_set(&c->kc_prev[i].na, VP_NA_UNMEASURED,
				  "the targets were resolved again during this interval");
		}
	} else if (ts) {
		targets_free(ts);
	}
	free(ts);
	return err;
}

/*
 * With rediscovery (top, serve with no target named) a VM or container gone for prune_after_ns
 * leaves the table, so a host that starts and stops containers all day keeps a table (and
 * --max-targets room) for the live ones.  Done before the boundary so the kernel's figures keep
 * their targets' places.
 */
static void prune_gone_targets(struct capture *c)
{
	struct targets *ts = &c->targets;
	int n0 = ts->n, *moved;

	if (!ts->rediscover || !ts->prune_after_ns || !n0)
		return;
	moved = malloc(n0 * sizeof(*moved));
	if (!moved)
		return; /* pruned at the next interval */
	if (targets_prune(ts, ts->prune_after_ns, moved) != n0) {
		for (int j = 0; j < ts->n; j++)
			c->kc_prev[j] = c->kc_prev[moved[j]];
		attributor_invalidate(&c->attr);
	}
	free(moved);
}

int capture_stacks(struct capture *c, unsigned int hz)
{
	int err;

	if (c->light)
		return -ENOTSUP; /* stacks_na says why */
	{
		struct kvmexit *k = c->io ? iosec_kvm(c->io) : NULL;
		int kfd = kvmexit_pending_fd(k);

		if (!k && c->io)
			vp_na_set(&c->exit_stacks_na, iosec_na(c->io, IOSEC_KVM)->code,
				  "no KVM exit profile: KVM programs not loaded (%s)",
				  iosec_na(c->io, IOSEC_KVM)->detail);
		else if (!k)
			vp_na_set(
				&c->exit_stacks_na, VP_NA_OPTION,
				"no KVM exit profile: KVM programs not loaded (I/O sections off)");
		else if (kfd < 0 && vp_na_is(&k->exit_na))
			vp_na_set(&c->exit_stacks_na, k->exit_na.code, "no KVM exit profile: %s",
				  k->exit_na.detail);
		else if (kfd < 0)
			vp_na_set(&c->exit_stacks_na, VP_NA_KERNEL,
				  "no KVM exit profile: kvm_exit/kvm_entry not attached");
		else
			vp_na_clear(&c->exit_stacks_na);
		err = stack_sampler_open(&c->stacks, account_probe_cpu_state_fd(&c->probe), kfd, hz,
					 &c->stacks_na);
	}

	if (err) {
		vp_warn("stack sampling not available: %s", c->stacks_na.detail);
		return err;
	}
	vp_na_clear(&c->stacks_na);
	c->stacks_prog0 = c->nprogs;
	add_obj_progs(c, stack_sampler_object(c->stacks));
	/* what was sampled while loading belongs to no interval */
	{
		struct stack_batch b;

		if (!stack_sampler_drain(c->stacks, &b))
			stack_batch_free(&b);
	}
	return 0;
}

void capture_stacks_stop(struct capture *c)
{
	if (!c->stacks)
		return;
	/* its programs were added last; their run time stays in serve's totals, by name */
	c->nprogs = c->stacks_prog0;
	stack_sampler_close(c->stacks);
	c->stacks = NULL;
}

/*
 * A sample inside a KVM exit, also in the exit profile: "[guest] f;[exit] R;host stack".  The
 * context is left out (0): the exit profile is keyed by guest function, reason and host stack,
 * and an interrupt's frames show on the host stack.
 */
static int exit_stack_row(struct stack_profile *x, const struct stack_row *r,
			  const struct verdict *v)
{
	const char *ent = v ? v->entity : "other";
	char buf[1024], *big = NULL;
	int need, err;

	need = exits_sample_stack(r->tgid, ent, r->exit_isa, r->exit_reason, r->exit_rip, r->stack,
				  buf, sizeof(buf));
	if (need >= (int)sizeof(buf)) {
		big = malloc(need + 1);
		if (!big)
			return -ENOMEM;
		exits_sample_stack(r->tgid, ent, r->exit_isa, r->exit_reason, r->exit_rip, r->stack,
				   big, need + 1);
	}
	err = stack_profile_add(x, ent, v ? v->role : "unknown", VP_SCTX_TASK, big ? big : buf,
				r->count);
	free(big);
	return err;
}

/* The interval's samples, each owned by the accounting's verdict for its thread. */
static int capture_stack_rows(struct capture *c, struct stack_profile *p, struct stack_profile *x)
{
	struct stack_batch b;
	int err = stack_sampler_drain(c->stacks, &b);

	if (err)
		return err;
	p->on = true;
	x->on = true;
	x->hz = stack_sampler_hz(c->stacks);
	p->hz = stack_sampler_hz(c->stacks);
	p->samples = b.samples;
	p->lost = b.lost;
	p->truncated = b.truncated;
	for (int i = 0; i < b.n && !err; i++) {
		const struct stack_row *r = &b.rows[i];
		const struct verdict *v;

		if (c->only_tgid && r->tgid != (uint32_t)c->only_tgid)
			continue;
		v = attribute_key(&c->attr, r->attr_key);
		err = stack_profile_add(p, v ? v->entity : "other", v ? v->role : "unknown", r->ctx,
					r->stack, r->count);
		if (!err && r->in_exit) {
			x->samples += r->count;
			err = exit_stack_row(x, r, v);
		}
	}
	stack_batch_free(&b);
	stack_profile_sort(p);
	stack_profile_sort(x);
	return err;
}

static void attribute_io_tid(void *ctx, uint32_t tid)
{
	attribute_key(ctx, tid);
}

void capture_io(struct capture *c)
{
	if (!c->io)
		return;
	iosec_collect(c->io);
	iosec_for_each_tid(c->io, attribute_io_tid, &c->attr);
}

/* An open-addressing set of cgroup ids (0 is never an id). */
static bool cgid_set_has(const struct cgid_set *s, uint64_t k)
{
	if (!s->cap)
		return false;
	for (uint32_t i = (uint32_t)(k * 0x9e3779b97f4a7c15ull >> 32) & (s->cap - 1);;
	     i = (i + 1) & (s->cap - 1)) {
		if (s->k[i] == k)
			return true;
		if (!s->k[i])
			return false;
	}
}

/* Adds k; true when it was not there (or could not be remembered: look again then). */
static bool cgid_set_add(struct cgid_set *s, uint64_t k)
{
	uint32_t i;

	if (cgid_set_has(s, k))
		return false;
	if ((s->n + 1) * 2 > s->cap) {
		struct cgid_set g = { .cap = s->cap ? s->cap * 2 : 256 };

		g.k = calloc(g.cap, sizeof(*g.k));
		if (!g.k)
			return true;
		for (uint32_t j = 0; j < s->cap; j++)
			if (s->k[j])
				cgid_set_add(&g, s->k[j]);
		free(s->k);
		*s = g;
	}
	for (i = (uint32_t)(k * 0x9e3779b97f4a7c15ull >> 32) & (s->cap - 1); s->k[i];
	     i = (i + 1) & (s->cap - 1))
		;
	s->k[i] = k;
	s->n++;
	return true;
}

/*
 * With rediscovery on (top, serve with no target named), a full discovery walks every cgroup
 * directory of both hierarchies and /proc/<pid>/comm of every process: on a host of 1,800
 * cgroups that was most of the agent's own CPU (as much as its BPF programs in --light).  What
 * there is to find shows first as a thread that runs in a cgroup not seen before, or as a process
 * named as a VMM that is no target: discover then.  The set of cgroups seen starts over every
 * DISCOVER_MAX_GAP_NS, which makes that interval a full discovery too (for what only sleeps,
 * and so that a host's churn of cgroups does not pile up in the set).
 */
#define DISCOVER_MAX_GAP_NS (10ull * 1000 * 1000 * 1000)

static bool discover_due(struct capture *c, const struct interval *iv)
{
	uint64_t now = now_mono_ns();
	bool due = false;

	if (!c->disc_last_ns || now - c->disc_last_ns >= DISCOVER_MAX_GAP_NS) {
		c->disc_seen.n = 0;
		if (c->disc_seen.k)
			memset(c->disc_seen.k, 0, c->disc_seen.cap * sizeof(*c->disc_seen.k));
		c->disc_last_ns = now;
		due = true;
	}
	for (int i = 0; i < iv->n; i++) {
		const struct thread_rec *r;

		if (VP_IS_IDLE_KEY(iv->rows[i].key) ||
		    !(r = collector_thread(&c->coll, iv->rows[i].key)))
			continue;
		/* both: no short cut, each new id must be remembered */
		due |= r->info.cgid_v2 && cgid_set_add(&c->disc_seen, r->info.cgid_v2);
		due |= r->info.cgid_v1_cpu && cgid_set_add(&c->disc_seen, r->info.cgid_v1_cpu);
		if (!due && r->info.tid == r->info.tgid && classify_vmm_of_comm(r->info.comm) &&
		    !targets_by_pid(&c->targets, (pid_t)r->info.tgid))
			due = true;
	}
	return due;
}

int capture_next(struct capture *c, struct capture_interval *ci)
{
	int err, nbefore;

	memset(ci, 0, sizeof(*ci));
	prune_gone_targets(c);
	err = collector_next(&c->coll, &ci->iv);
	if (err)
		return err;
	/* a cgroup made below a container later (a new exec'd service) must be attributed too */
	nbefore = c->targets.n;
	if (c->targets.rediscover)
		c->targets.discover_now = discover_due(c, &ci->iv);
	if (targets_refresh(&c->targets))
		attributor_invalidate(&c->attr);
	if (kc_room(c, c->targets.n) ||
	    !(ci->kc = calloc(c->targets.n ? c->targets.n : 1, sizeof(*ci->kc)))) {
		capture_interval_free(ci);
		return -ENOMEM;
	}
	/* a target found this interval: the kernel's figure starts at its next boundary */
	for (int i = nbefore; i < c->targets.n; i++) {
		memset(&c->kc_now[i], 0, sizeof(c->kc_now[i]));
		vp_na_set(&c->kc_now[i].na, VP_NA_UNMEASURED,
			  "%s was found after this interval's boundary", c->targets.t[i].label);
		c->kc_prev[i] = c->kc_now[i];
	}
	ci->nkc = c->targets.n;
	kcheck_ours(&ci->iv, &c->coll, &c->targets, c->kc_ours);
	for (int i = 0; i < c->targets.n; i++) {
		kcheck_delta_set(&ci->kc[i], &c->kc_prev[i], &c->kc_now[i], c->kc_ours[i]);
		c->kc_prev[i] = c->kc_now[i];
	}
	err = agg_build(&ci->agg, &c->attr, &ci->iv, c->only_tgid);
	if (err) {
		capture_interval_free(ci);
		return err;
	}
	if (c->stacks && (err = capture_stack_rows(c, &ci->stacks, &ci->exit_stacks))) {
		capture_interval_free(ci);
		return err;
	}
	if (!c->io_per_step)
		capture_io(c);
	ci->bpf_ns = c->stats_on ? 0 : -1;
	for (int i = 0; i < c->nprogs; i++) {
		struct prog_cost *p = &c->progs[i];
		uint64_t ns = p->run_ns, cnt = p->run_cnt;

		if (probe_prog_stats(p->fd, &p->run_ns, &p->run_cnt))
			continue;
		p->d_ns = p->run_ns - ns;
		p->d_cnt = p->run_cnt - cnt;
		if (c->stats_on)
			ci->bpf_ns += p->d_ns;
	}
	return 0;
}

void capture_interval_free(struct capture_interval *ci)
{
	interval_free(&ci->iv);
	free(ci->kc);
	ci->kc = NULL;
	ci->nkc = 0;
	agg_free(&ci->agg);
	stack_profile_free(&ci->stacks);
	stack_profile_free(&ci->exit_stacks);
}

void capture_close(struct capture *c)
{
	if (!c->open)
		return;
	iosec_destroy(c->io);
	c->io = NULL;
	exits_free();
	if (c->stacks && vp_verbose)
		fprintf(stderr,
			"virtprof: stacks: symbolization %.3f s CPU, symbol tables %.1f MB\n",
			stack_sampler_sym_seconds(c->stacks),
			stack_sampler_sym_bytes(c->stacks) / 1048576.0);
	stack_sampler_close(c->stacks);
	c->stacks = NULL;
	attributor_free(&c->attr);
	collector_free(&c->coll);
	account_probe_close(&c->probe);
	capture_free_targets(c);
	free(c->disc_seen.k);
	memset(&c->disc_seen, 0, sizeof(c->disc_seen));
	c->open = false;
}

static int owner_put(int target, const char *ent, const char *role, char *entity, size_t elen,
		     char *rbuf, size_t rlen)
{
	snprintf(entity, elen, "%s", ent);
	snprintf(rbuf, rlen, "%s", role);
	return target;
}

int capture_io_owner(void *ctx, const struct io_owner_key *k, char *entity, size_t elen, char *role,
		     size_t rlen)
{
	const struct capture *c = ctx;
	const struct target *t = NULL;
	const struct verdict *v;

	if (k->netns || k->tgid) {
		/* a VM's netns is only where its VMM runs: a VM is found by its process */
		if (k->netns)
			t = targets_by_netns(&c->targets, k->netns);
		if (t && t->kind != TARGET_CTR)
			t = NULL;
		if (!t && k->tgid)
			t = targets_by_pid(&c->targets, k->tgid);
		return t ? owner_put(t - c->targets.t, t->entity, t->app_role, entity, elen, role,
				     rlen) :
			   owner_put(-1, "", "", entity, elen, role, rlen);
	}
	/* a bio's blkcg names its owner: the target holding that cgroup */
	if (k->cgid) {
		int i = targets_by_blkcg(&c->targets, k->cgid);
		char cg[32];

		if (i >= 0)
			return owner_put(i, c->targets.t[i].entity, c->targets.t[i].app_role,
					 entity, elen, role, rlen);
		snprintf(cg, sizeof(cg), "cgroup:%llu", (unsigned long long)k->cgid);
		if (!k->tid)
			return owner_put(-1, "other", cg, entity, elen, role, rlen);
	}
	v = k->tid ? attribute_cached(&c->attr, k->tid) : NULL;
	return v ? owner_put(v->target, v->entity, v->role, entity, elen, role, rlen) :
		   owner_put(-1, "other", "unknown", entity, elen, role, rlen);
}
