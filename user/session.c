// SPDX-License-Identifier: GPL-2.0
/*
 * The session engine (probes + load + snapshots) and `virtprof run`.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "iosections.h"
#include "netpath.h"
#include "session.h"
#include "util.h"

int session_open(struct session *s, const char **vms, int nvm, const char **ctrs, int nctr,
		 uint64_t interval_ns)
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
	err = session_cpu_open(&s->cpu, vms, nvm, ctrs, nctr, true);
	if (err)
		return err;
	s->cpu.io_by_caller = true;
	s->t0_mono = now_mono_ns();
	return 0;
}

static void step_free(struct sess_step *st)
{
	if (st->have_res)
		load_result_free(&st->res);
	agg_free(&st->agg);
	free(st->io_text);
	free(st->io_json);
	for (int i = 0; i < st->ntl; i++)
		free(st->tl[i].rows);
	free(st->tl);
}

void session_close(struct session *s)
{
	for (int i = 0; i < s->nsteps; i++)
		step_free(&s->steps[i]);
	free(s->steps);
	s->steps = NULL;
	s->nsteps = 0;
	session_cpu_close(&s->cpu);
}

struct sess_step *session_add_step(struct session *s, const char *label, int target,
				   const struct load_plan *plan)
{
	struct sess_step *st;

	if (s->nsteps == s->capsteps) {
		int cap = s->capsteps ? s->capsteps * 2 : 8;
		struct sess_step *n = realloc(s->steps, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->steps = n;
		s->capsteps = cap;
	}
	st = &s->steps[s->nsteps++];
	memset(st, 0, sizeof(*st));
	snprintf(st->label, sizeof(st->label), "%s", label);
	st->target = target;
	st->plan = *plan;
	snprintf(st->url, sizeof(st->url), "%s", plan->url ? plan->url : "");
	st->plan.url = st->url;
	return st;
}

static void tl_add(struct session *s, struct sess_step *st, const struct interval *iv,
		   const struct agg *a, bool warmup)
{
	struct tl_point *p;

	if (st->ntl == st->captl) {
		int cap = st->captl ? st->captl * 2 : 32;
		struct tl_point *n = realloc(st->tl, cap * sizeof(*n));

		if (!n)
			return;
		st->tl = n;
		st->captl = cap;
	}
	p = &st->tl[st->ntl++];
	memset(p, 0, sizeof(*p));
	p->t_s = (iv->mono_end_ns - s->t0_mono) / 1e9;
	p->mono_ns = iv->mono_end_ns;
	p->real_ns = iv->real_end_ns;
	p->interval_s = (iv->mono_end_ns - iv->mono_start_ns) / 1e9;
	p->coverage_pct = iv->span_ns ? 100.0 * (iv->busy_ns + iv->idle_ns) / iv->span_ns : 0;
	p->warmup = warmup;
	p->rows = calloc(a->n ? a->n : 1, sizeof(*p->rows));
	if (!p->rows)
		return;
	for (int i = 0; i < a->n; i++) {
		snprintf(p->rows[i].entity, sizeof(p->rows[i].entity), "%s", a->rows[i].entity);
		snprintf(p->rows[i].role, sizeof(p->rows[i].role), "%s", a->rows[i].role);
		p->rows[i].busy_ns = sample_busy_ns(&a->rows[i].st);
	}
	p->nrows = a->n;
}

/* Take one CPU interval; fold it into the step unless it is warm-up. */
static int step_sample(struct session *s, struct sess_step *st, bool warmup)
{
	struct interval iv;
	struct agg a;
	int err = session_cpu_take(&s->cpu, &iv);

	if (err)
		return err;
	err = agg_build(&a, &s->cpu.coll, &s->cpu.targets, &iv, 0);
	if (!err) {
		tl_add(s, st, &iv, &a, warmup);
		if (!warmup) {
			agg_merge(&st->agg, &a);
			st->span_ns += iv.span_ns;
			st->busy_ns += iv.busy_ns;
			st->idle_ns += iv.idle_ns;
			int64_t bpf = session_cpu_bpf_ns(&s->cpu);

			st->bpf_known = bpf >= 0;
			if (bpf > 0)
				st->bpf_ns += bpf;
			if (iv.ncpu_seen > st->ncpu)
				st->ncpu = iv.ncpu_seen;
			for (int k = 0; k < VP_DROP_MAX; k++)
				st->drops[k] += iv.drops[k];
		}
	}
	agg_free(&a);
	interval_free(&iv);
	/* a step's target dying is recorded, not fatal: the measured part stays */
	if (st->target >= 0 && !st->lost && s->cpu.targets.t[st->target].gone) {
		st->lost = true;
		st->lost_at_s = (s->cpu.targets.t[st->target].gone_mono_ns - s->t0_mono) / 1e9;
	}
	return err;
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

/* The network path of the step: per device from the I/O sections, summed per owner. */
static void step_net(struct session *s, struct sess_step *st)
{
	struct netpath *np = s->cpu.io ? iosec_net(s->cpu.io) : NULL;

	if (!np) {
		st->net_ok = false;
		snprintf(st->net_na, sizeof(st->net_na),
			 "network programs not loaded: path time stays inside the hosting threads");
		return;
	}
	if (!np->runs) {
		st->net_ok = false;
		snprintf(st->net_na, sizeof(st->net_na), "%s", np->runs_na);
		return;
	}
	st->net_ok = true;
	for (int i = 0; i < np->ndev; i++) {
		const struct net_dev *d = &np->devs[i];
		const struct target *t = netpath_owner(np, d, &s->cpu.targets);
		struct path_sum *ps;

		if (t)
			ps = &st->path[t - s->cpu.targets.t];
		else if (d->kind == NET_BRIDGE)
			ps = &st->path_bridge;
		else
			ps = &st->path_other;
		ps->softirq_ns += d->total.sirq_ns[0] + d->total.sirq_ns[1];
		ps->proc_ns += d->total.proc_ns;
		ps->pkts += d->total.rx_pkts + d->total.tx_pkts;
	}
}

/*
 * The network / block / KVM tables over the step: the I/O sections hold exactly the step's deltas
 * right now (collected at its start and end), so render them into strings for the report.
 */
static void step_io(struct session *s, struct sess_step *st)
{
	double secs = (now_mono_ns() - s->t0_mono) / 1e9 - st->t_start_s;
	size_t len;
	struct out o;
	FILE *f;

	if (!s->cpu.io)
		return;
	f = open_memstream(&st->io_text, &len);
	if (f) {
		out_init(&o, f, OUT_TEXT, false);
		cpureport_io(&s->cpu, secs, &o);
		fclose(f);
	}
	f = open_memstream(&st->io_json, &len);
	if (f) {
		out_init(&o, f, OUT_JSON, false);
		jw_obj_begin(&o.jw);
		cpureport_io(&s->cpu, secs, &o);
		jw_obj_end(&o.jw);
		fclose(f);
	}
}

/*
 * netpath keeps running totals since load; the step's share is its end minus its start.
 */
static void path_sub(struct path_sum *a, const struct path_sum *b)
{
	a->softirq_ns -= b->softirq_ns;
	a->proc_ns -= b->proc_ns;
	a->pkts -= b->pkts;
}

int session_run_step(struct session *s, struct sess_step *st)
{
	struct sess_step before = {}; /* only its network path totals: the step's start */
	struct interval iv;
	struct load_handle *h = NULL;
	char err[256];
	uint64_t next, warm_end;
	int rc;

	st->t_start_s = (now_mono_ns() - s->t0_mono) / 1e9;
	if (st->target >= 0 && s->cpu.targets.t[st->target].gone) {
		st->skipped = true;
		snprintf(st->skip_reason, sizeof(st->skip_reason), "target %s was lost earlier",
			 s->cpu.targets.t[st->target].entity);
		return 0;
	}
	/* the step's window starts now: discard what was charged before */
	if (!session_cpu_take(&s->cpu, &iv))
		interval_free(&iv);
	if (s->cpu.io)
		iosec_collect(s->cpu.io);
	step_net(s, &before);

	rc = load_start(&st->plan, &h, err, sizeof(err));
	if (rc) {
		vp_err("%s", err);
		st->skipped = true;
		snprintf(st->skip_reason, sizeof(st->skip_reason), "load did not start: %s", err);
		return rc;
	}
	next = now_mono_ns();
	warm_end = next + st->plan.warmup_ns;
	/* warm-up: sampled for the timeline, kept out of the totals; the window starts at its end */
	while (!s->stop && now_mono_ns() < warm_end && !load_done(h)) {
		uint64_t until = next + s->interval_ns < warm_end ? next + s->interval_ns :
								    warm_end;

		if (wait_until(s, until)) {
			s->stop = true;
			st->interrupted = true;
			load_stop(h);
		}
		next = until;
		step_sample(s, st, true);
	}
	next = now_mono_ns();
	while (!s->stop && !load_done(h)) {
		next += s->interval_ns;
		/* poll for the end of the load in short slices so the tail interval is short */
		while (!s->stop && !load_done(h) && now_mono_ns() < next) {
			uint64_t slice = now_mono_ns() + 50 * NSEC_PER_MSEC;

			if (wait_until(s, slice < next ? slice : next)) {
				s->stop = true;
				st->interrupted = true;
				load_stop(h);
			}
		}
		step_sample(s, st, false);
	}
	rc = load_wait(h, &st->res);
	if (!rc)
		st->have_res = true;
	step_sample(s, st, false);
	if (s->cpu.io)
		iosec_collect(s->cpu.io);
	step_net(s, st);
	step_io(s, st);
	for (int i = 0; i < MAX_TARGETS; i++)
		path_sub(&st->path[i], &before.path[i]);
	path_sub(&st->path_other, &before.path_other);
	path_sub(&st->path_bridge, &before.path_bridge);
	st->t_end_s = (now_mono_ns() - s->t0_mono) / 1e9;
	session_derive(s, st);
	return rc;
}

static uint64_t net_softirq(const struct vp_thread_stats *x)
{
	return x->softirq_ns[VP_NET_TX_SOFTIRQ] + x->softirq_ns[VP_NET_RX_SOFTIRQ];
}

void session_derive(struct session *s, struct sess_step *st)
{
	const struct targets *ts = &s->cpu.targets;

	agg_sort(&st->agg);
	memset(st->cost, 0, sizeof(st->cost));
	st->loadgen_ns = st->profiler_ns = st->other_ns = st->net_softirq_hosted_ns = 0;
	for (int i = 0; i < st->agg.n; i++) {
		const struct agg_row *r = &st->agg.rows[i];
		uint64_t busy = sample_busy_ns(&r->st), net = net_softirq(&r->st);
		/* with the per-device split, network softirq time is shown on the path, not here */
		uint64_t mine = st->net_ok ? busy - net : busy;
		struct target_cost *c;

		st->net_softirq_hosted_ns += net;
		if (!strcmp(r->entity, "loadgen")) {
			st->loadgen_ns += mine;
			continue;
		}
		if (!strcmp(r->entity, "profiler")) {
			st->profiler_ns += mine;
			continue;
		}
		if (r->target < 0 || r->target >= ts->n) {
			st->other_ns += mine;
			continue;
		}
		c = &st->cost[r->target];
		c->present = true;
		if (!strcmp(r->role, "vcpu") || !strcmp(r->role, "app"))
			c->own_ns += mine;
		else if (!strcmp(r->role, "emul"))
			c->emul_ns += mine;
		else if (!strcmp(r->role, "io"))
			c->io_ns += mine;
		else if (!strcmp(r->role, "vhost"))
			c->vhost_ns += mine;
		else if (!strcmp(r->role, "kvm"))
			c->kvm_ns += mine;
		else
			c->runtime_ns += mine;
	}
	st->kernel_path_ns = 0;
	for (int t = 0; t < ts->n; t++) {
		struct target_cost *c = &st->cost[t];

		if (st->net_ok) {
			const struct path_sum *p = &st->path[t];

			c->path_ns = p->softirq_ns + p->proc_ns;
			/*
			 * Tap writes run the host stack inside qemu's threads (process context): that
			 * time is in emul/io task time too.  Shown on the path, taken out of emul.
			 */
			if (ts->t[t].kind == TARGET_VM) {
				uint64_t take = p->proc_ns < c->emul_ns ? p->proc_ns : c->emul_ns;

				c->emul_ns -= take;
				if (p->proc_ns > take)
					c->io_ns -= (p->proc_ns - take) < c->io_ns ?
							    p->proc_ns - take :
							    c->io_ns;
			} else if (p->proc_ns) {
				st->other_ns -= p->proc_ns < st->other_ns ? p->proc_ns :
									    st->other_ns;
			}
			if (t == st->target)
				c->bridge_ns = st->path_bridge.softirq_ns + st->path_bridge.proc_ns;
			if (c->path_ns)
				c->present = true;
		}
		c->overhead_ns = c->emul_ns + c->io_ns + c->vhost_ns + c->kvm_ns + c->runtime_ns +
				 c->path_ns + c->bridge_ns;
		st->kernel_path_ns += c->path_ns + c->bridge_ns;
	}
	if (st->net_ok) {
		/* bridges not charged to the step's target, lo and other devices */
		st->kernel_path_ns += st->path_other.softirq_ns + st->path_other.proc_ns;
		if (st->target < 0)
			st->kernel_path_ns += st->path_bridge.softirq_ns + st->path_bridge.proc_ns;
	}
}

/* ---------------- virtprof run ---------------- */

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: virtprof run --url URL [--vm PID|NAME] [--container ID|NAME|CGROUP|PID]\n"
		"                    [--netns NAME] [load options] [--json FILE] [--csv DIR]\n"
		"\n"
		"Profile while driving HTTP load: every CPU nanosecond charged to its owner (VM\n"
		"roles, container app and runtime, kernel network path, the load generator itself,\n"
		"the profiler, other) and normalized per request.  With no --vm/--container every\n"
		"qemu process and docker container found is a target.\n"
		"\n"
		"  --url URL             the server to load (or the first non-option argument)\n"
		"  --interval D          snapshot interval (default 1s)\n"
		"  --json FILE           the report as JSON (schema virtprof-session/1, docs/report.md)\n"
		"  --csv DIR             timeline.csv and summary.csv into DIR\n"
		"  -v, --verbose\n"
		"\n%s"
		"\nExamples:\n"
		"  virtprof run --url http://127.0.0.1:8080/ --users 100 --duration 20s --warmup 2s\n"
		"  virtprof run --url http://10.213.0.2/ --netns virtprof-tb --vm virtprof-vm \\\n"
		"               --users 50 --duration 10s --json vm.json\n",
		load_options_help);
}

void session_cli_init(struct session_cli *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ns = NSEC_PER_SEC;
	load_plan_init(&c->plan);
}

int session_cli_opt(struct session_cli *c, int opt, const char *arg)
{
	char msg[256];

	if (opt >= LOAD_OPT_BASE && opt < LOAD_OPT_END) {
		if (load_plan_parse_opt(&c->plan, opt, arg, msg, sizeof(msg))) {
			vp_err("%s", msg);
			return -EINVAL;
		}
		return 0;
	}
	switch (opt) {
	case SESS_OPT_VM:
	case SESS_OPT_CTR:
		if ((opt == SESS_OPT_VM ? c->nvm : c->nctr) >= MAX_TARGETS) {
			vp_err("too many targets (at most %d of each kind)", MAX_TARGETS);
			return -EINVAL;
		}
		if (opt == SESS_OPT_VM)
			c->vms[c->nvm++] = arg;
		else
			c->ctrs[c->nctr++] = arg;
		return 0;
	case SESS_OPT_INTERVAL:
		if (parse_duration_ns(arg, &c->interval_ns) ||
		    c->interval_ns < 100 * NSEC_PER_MSEC) {
			vp_err("--interval %s: a duration of at least 100ms, with a unit", arg);
			return -EINVAL;
		}
		return 0;
	case SESS_OPT_JSON:
		c->json = arg;
		return 0;
	case SESS_OPT_CSV:
		c->csv = arg;
		return 0;
	}
	return 1;
}

/* --json / --csv after the text report; VP_EXIT_OK or VP_EXIT_FAIL. */
int session_write_outputs(struct session *s, const struct session_cli *c, const char *command)
{
	int err, ret = VP_EXIT_OK;

	if (c->json && (err = session_write_json(s, c->json, command))) {
		vp_err("write %s: %s", c->json, strerror(-err));
		ret = VP_EXIT_FAIL;
	}
	if (c->csv && (err = session_write_csv(s, c->csv))) {
		vp_err("write %s: %s", c->csv, strerror(-err));
		ret = VP_EXIT_FAIL;
	}
	return ret;
}

/* Check before any probe or packet that the output locations are writable. */
int session_check_outputs(const char *json, const char *csv)
{
	if (json) {
		char *dup = strdup(json);
		int bad = !dup || access(dirname(dup), W_OK);

		free(dup);
		if (bad) {
			vp_err("--json %s: directory not writable", json);
			return -EINVAL;
		}
	}
	if (csv && access(csv, W_OK)) {
		vp_err("--csv %s: not a writable directory (%s)", csv, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	enum { OPT_URL = 256 };
	static const struct option opts[] = {
		{ "url", required_argument, NULL, OPT_URL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		SESSION_TARGET_OPTIONS,
		SESSION_OUTPUT_OPTIONS,
		LOAD_LONG_OPTIONS,
		{},
	};
	int opt, err, ret = VP_EXIT_FAIL;
	struct session_cli cli;
	struct sess_step *st;
	const char *url = NULL;
	struct session s;
	char msg[256];

	session_cli_init(&cli);
	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_URL:
			url = optarg;
			break;
		case 'v':
			vp_verbose++;
			break;
		case 'h':
			run_usage(stdout);
			return VP_EXIT_OK;
		default:
			err = session_cli_opt(&cli, opt, optarg);
			if (err < 0)
				return VP_EXIT_USAGE;
			if (!err)
				break;
			run_usage(stderr);
			return VP_EXIT_USAGE;
		}
	}
	if (!url && optind < argc)
		url = argv[optind++];
	if (optind < argc) {
		vp_err("unexpected argument '%s'", argv[optind]);
		return VP_EXIT_USAGE;
	}
	if (!url) {
		vp_err("no URL: give --url URL");
		return VP_EXIT_USAGE;
	}
	cli.plan.url = url;
	if (load_plan_validate(&cli.plan, msg, sizeof(msg))) {
		vp_err("%s", msg);
		return VP_EXIT_USAGE;
	}
	if (session_check_outputs(cli.json, cli.csv))
		return VP_EXIT_USAGE;

	err = session_open(&s, cli.vms, cli.nvm, cli.ctrs, cli.nctr, cli.interval_ns);
	if (err)
		return err == -ENOMEM || err == -EIO ? VP_EXIT_FAIL : VP_EXIT_USAGE;
	st = session_add_step(&s, "run", s.cpu.targets.n == 1 ? 0 : -1, &cli.plan);
	if (!st)
		goto out;
	err = session_run_step(&s, st);
	if (err && !st->have_res) {
		ret = err == -EINVAL ? VP_EXIT_USAGE : VP_EXIT_FAIL;
		goto out;
	}
	session_report_text(&s, stdout, false);
	ret = session_write_outputs(&s, &cli, "run");
out:
	session_close(&s);
	return ret;
}
