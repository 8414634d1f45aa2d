// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "account.skel.h"
#include "block.skel.h"
#include "blockio.h"
#include "cpureport.h"
#include "iosections.h"
#include "kvm.skel.h"
#include "kvmexit.h"
#include "net.skel.h"
#include "netpath.h"
#include "util.h"

static const char *const softirq_names[VP_NR_SOFTIRQS] = {
	"HI",	    "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
	"IRQ_POLL", "TASKLET", "SCHED",	 "HRTIMER", "RCU",
};
static const char *const softirq_keys[VP_NR_SOFTIRQS] = {
	"hi_us",       "timer_us",   "net_tx_us", "net_rx_us",	"block_us",
	"irq_poll_us", "tasklet_us", "sched_us",  "hrtimer_us", "rcu_us",
};

static const char *const drop_names[VP_DROP_MAX] = {
	[VP_DROP_STATS_FULL] = "stats_map_full",
	[VP_DROP_THREADS_FULL] = "threads_map_full",
	[VP_DROP_WAKE_FULL] = "wakeup_map_full",
	[VP_DROP_NO_INNER] = "generation_map_missing",
	[VP_DROP_UNBALANCED] = "irq_exit_without_entry",
};

void session_cpu_add_prog(struct session_cpu *s, const char *name, int fd)
{
	struct prog_cost *p;

	if (s->nprogs >= MAX_PROGS || fd < 0)
		return;
	p = &s->progs[s->nprogs++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->fd = fd;
	prog_run_stats(fd, &p->run_ns, &p->run_cnt);
	p->base_ns = p->run_ns;
	p->base_cnt = p->run_cnt;
}

static void add_obj_progs(struct session_cpu *s, struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__fd(prog) >= 0 && strcmp(bpf_program__name(prog), "flush"))
			session_cpu_add_prog(s, bpf_program__name(prog), bpf_program__fd(prog));
	}
}

int session_cpu_open(struct session_cpu *s, const char **vms, int nvm, const char **ctrs, int nctr,
		     bool io)
{
	int err;

	memset(s, 0, sizeof(*s));
	/* Privilege first: target discovery reads /proc of other users' processes. */
	err = check_privileges();
	if (err)
		return err;
	for (int i = 0; i < nvm; i++)
		if ((err = targets_add_vm(&s->targets, vms[i])))
			return err;
	for (int i = 0; i < nctr; i++)
		if ((err = targets_add_container(&s->targets, ctrs[i])))
			return err;
	if (!nvm && !nctr)
		targets_discover(&s->targets);
	attribute_targets_gen++;

	err = probes_open(&s->probes);
	if (err)
		return err == -EPERM || err == -ENOENT ? err : -EIO;
	err = collector_init(&s->coll, &s->probes);
	if (err) {
		probes_close(&s->probes);
		return err;
	}
	sysinfo_detect(&s->mode);
	s->mode.flavour = s->probes.flavour;
	add_obj_progs(s, s->probes.skel->obj);
	if (io) {
		struct iosec_opts io_opts = {
			.account_cpu_state_fd = probes_cpu_state_fd(&s->probes),
			.net = true,
			.block = true,
			.kvm = true,
		};

		/* each part that cannot load is reported as not available, never fatal */
		if (!iosec_open(&s->io, &io_opts)) {
			if (iosec_net(s->io))
				add_obj_progs(s, iosec_net(s->io)->skel->obj);
			if (iosec_block(s->io))
				add_obj_progs(s, iosec_block(s->io)->skel->obj);
			if (iosec_kvm(s->io))
				add_obj_progs(s, iosec_kvm(s->io)->skel->obj);
			iosec_collect(s->io);
		}
	}
	s->open = true;
	s->t0_mono = now_mono_ns();
	err = collector_reset(&s->coll);
	if (err) {
		session_cpu_close(s);
		return -EIO;
	}
	return 0;
}

int session_cpu_take(struct session_cpu *s, struct interval *iv)
{
	int err = collector_take(&s->coll, iv);

	if (err)
		return err;
	if (s->io && !s->io_by_caller)
		iosec_collect(s->io);
	/* a cgroup made below a container later (a new exec'd service) must be attributed too */
	if (targets_refresh(&s->targets))
		attribute_targets_gen++;
	for (int i = 0; i < s->nprogs; i++) {
		struct prog_cost *p = &s->progs[i];
		uint64_t ns = p->run_ns, cnt = p->run_cnt;

		if (prog_run_stats(p->fd, &p->run_ns, &p->run_cnt))
			continue;
		p->d_ns = p->run_ns - ns;
		p->d_cnt = p->run_cnt - cnt;
	}
	return 0;
}

int64_t session_cpu_bpf_ns(const struct session_cpu *s)
{
	int64_t t = 0;

	if (s->probes.stats_fd < 0)
		return -1;
	for (int i = 0; i < s->nprogs; i++)
		t += s->progs[i].d_ns;
	return t;
}

void session_cpu_close(struct session_cpu *s)
{
	if (!s->open)
		return;
	iosec_destroy(s->io);
	s->io = NULL;
	collector_free(&s->coll);
	probes_close(&s->probes);
	s->open = false;
}

/* ---------------- sections ---------------- */

void cpureport_targets(const struct session_cpu *s, struct out *o)
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
	for (int i = 0; i < s->targets.n; i++) {
		const struct target *tg = &s->targets.t[i];
		int r = table_row(&t);
		char id[16];

		table_str(&t, r, 0, tg->entity);
		table_u64(&t, r, 1, tg->pid);
		snprintf(id, sizeof(id), "%.12s", tg->id);
		if (tg->kind == TARGET_CTR) {
			table_str(&t, r, 2, id);
			table_str(&t, r, 3, tg->cgroup_v2[0] ? tg->cgroup_v2 : tg->cgroup_v1);
		} else {
			table_none(&t, r, 2);
			table_none(&t, r, 3);
		}
		table_u64(&t, r, 4, tg->ncgids);
		table_str(&t, r, 5, tg->gone ? "gone" : "alive");
		if (tg->gone)
			table_f64(&t, r, 6, (tg->gone_mono_ns - s->t0_mono) / 1e9);
		else
			table_none(&t, r, 6);
	}
	if (!s->targets.n)
		table_note(&t,
			   "no VM or container found: every thread is loadgen, profiler or other");
	table_render(&t, o);
	table_free(&t);
}

void cpureport_entities(const struct agg *a, uint64_t span_ns, const char *key, struct out *o)
{
	struct table t;

	table_init(&t, key, NULL);
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "role", "ROLE", 0, true);
	table_col(&t, "threads", "THR", 0, false);
	table_col(&t, "cpu_pct", "CPU%", 2, false);
	table_col(&t, "task_pct", "TASK%", 2, false);
	table_col(&t, "softirq_pct", "SIRQ%", 2, false);
	table_col(&t, "hardirq_pct", "HIRQ%", 2, false);
	table_col(&t, "rq_delay_avg_us", "RQ-AVG-us", 1, false);
	table_col(&t, "rq_delay_max_us", "RQ-MAX-us", 0, false);
	table_col(&t, "vcsw", "VCSW", 0, false);
	table_col(&t, "ivcsw", "IVCSW", 0, false);
	table_col(&t, "task_ns", "task-ns", 0, false);
	table_col_json_only(&t);
	table_col(&t, "softirq_ns", "softirq-ns", 0, false);
	table_col_json_only(&t);
	table_col(&t, "hardirq_ns", "hardirq-ns", 0, false);
	table_col_json_only(&t);
	for (int i = 0; i < a->n; i++) {
		const struct agg_row *row = &a->rows[i];
		const struct vp_thread_stats *st = &row->st;
		uint64_t sirq = sample_softirq_ns(st);
		int r = table_row(&t);

		table_str(&t, r, 0, row->entity);
		table_str(&t, r, 1, row->role);
		table_u64(&t, r, 2, row->nthreads);
		table_pct(&t, r, 3, sample_busy_ns(st), span_ns);
		table_pct(&t, r, 4, st->task_ns, span_ns);
		table_pct(&t, r, 5, sirq, span_ns);
		table_pct(&t, r, 6, st->hardirq_ns, span_ns);
		if (st->nr_rq) {
			table_f64(&t, r, 7, st->rq_delay_ns / 1e3 / st->nr_rq);
			table_f64(&t, r, 8, st->rq_delay_max_ns / 1e3);
		} else {
			table_none(&t, r, 7);
			table_none(&t, r, 8);
		}
		table_u64(&t, r, 9, st->nvcsw);
		table_u64(&t, r, 10, st->nivcsw);
		table_u64(&t, r, 11, st->task_ns);
		table_u64(&t, r, 12, sirq);
		table_u64(&t, r, 13, st->hardirq_ns);
	}
	table_render(&t, o);
	table_free(&t);
}

void cpureport_softirq(const struct agg *a, struct out *o)
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

		if (!sample_softirq_ns(&row->st))
			continue;
		r = table_row(&t);
		table_str(&t, r, 0, row->entity);
		table_str(&t, r, 1, row->role);
		for (int v = 0; v < VP_NR_SOFTIRQS; v++)
			table_f64(&t, r, 2 + v, row->st.softirq_ns[v] / 1e3);
	}
	table_render(&t, o);
	table_free(&t);
}

#define BPF_STATS_OFF \
	"BPF run time: kernel bpf_stats off (VIRTPROF_BPF_STATS=0, or BPF_ENABLE_STATS failed)"

void cpureport_coverage(const struct interval *iv, int64_t bpf_ns, struct out *o)
{
	struct table t;
	int r;

	table_init(&t, "coverage", NULL);
	table_col(&t, "interval_s", "interval-s", 3, false);
	table_col(&t, "cpus", "cpus", 0, false);
	table_col(&t, "busy_ns", "busy-ns", 0, false);
	table_col(&t, "idle_ns", "idle-ns", 0, false);
	table_col(&t, "span_ns", "cpus x interval ns", 0, false);
	table_col(&t, "coverage_pct", "coverage%", 2, false);
	table_col(&t, "bpf_ns", "bpf-ns", 0, false);
	table_col(&t, "bpf_pct", "bpf%", 3, false);
	r = table_row(&t);
	if (iv->ncpu_seen)
		table_f64(&t, r, 0, iv->span_ns / 1e9 / iv->ncpu_seen);
	else
		table_na(&t, r, 0, "no interval boundary on any CPU yet");
	table_u64(&t, r, 1, iv->ncpu_seen);
	table_u64(&t, r, 2, iv->busy_ns);
	table_u64(&t, r, 3, iv->idle_ns);
	table_u64(&t, r, 4, iv->span_ns);
	if (iv->span_ns)
		table_pct(&t, r, 5, iv->busy_ns + iv->idle_ns, iv->span_ns);
	else
		table_na(&t, r, 5, "no interval boundary on any CPU yet");
	if (bpf_ns >= 0) {
		table_u64(&t, r, 6, bpf_ns);
		table_pct(&t, r, 7, bpf_ns, iv->span_ns);
	} else {
		table_na(&t, r, 6, BPF_STATS_OFF);
		table_na(&t, r, 7, BPF_STATS_OFF);
	}
	table_render(&t, o);
	table_free(&t);
}

void cpureport_drops(const uint64_t *drops, bool text_only_nonzero, struct out *o)
{
	struct table t;
	bool any = false;

	table_init(&t, "drops", "Dropped events (map full / unbalanced)");
	table_col(&t, "reason", "REASON", 0, true);
	table_col(&t, "count", "COUNT", 0, false);
	for (int k = 0; k < VP_DROP_MAX; k++) {
		int r;

		if (!drops[k] && text_only_nonzero && o->mode == OUT_TEXT)
			continue;
		any = any || drops[k];
		r = table_row(&t);
		table_str(&t, r, 0, drop_names[k]);
		table_u64(&t, r, 1, drops[k]);
	}
	if (o->mode == OUT_JSON || any)
		table_render(&t, o);
	table_free(&t);
}

void cpureport_profiler(const struct session_cpu *s, uint64_t span_ns, bool whole, struct out *o)
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
		if (s->probes.stats_fd < 0)
			table_na(&t, r, 3, BPF_STATS_OFF);
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

/* Owner of a thread (by its attribution) or of a cgroup id (the target holding it). */
static void io_owner(void *ctx, uint32_t tid, uint64_t cgid, char *entity, size_t elen, char *role,
		     size_t rlen)
{
	struct session_cpu *s = ctx;

	if (cgid) {
		for (int i = 0; i < s->targets.n; i++) {
			const struct target *t = &s->targets.t[i];

			for (int k = 0; k < t->ncgids; k++) {
				if (t->cgids[k] == cgid) {
					snprintf(entity, elen, "%s", t->entity);
					snprintf(role, rlen, "app");
					return;
				}
			}
		}
		if (!tid) {
			snprintf(entity, elen, "other");
			snprintf(role, rlen, "cgroup:%llu", (unsigned long long)cgid);
			return;
		}
	}
	if (tid) {
		const struct thread_rec *r = attribute_key(&s->coll, &s->targets, tid);

		snprintf(entity, elen, "%s", r->entity);
		snprintf(role, rlen, "%s", r->role);
		return;
	}
	snprintf(entity, elen, "other");
	snprintf(role, rlen, "unknown");
}

void cpureport_io(struct session_cpu *s, double interval_s, struct out *o)
{
	if (s->io)
		iosec_render(s->io, &s->targets, io_owner, s, interval_s, o);
}

/* ---------------- top's per-interval output ---------------- */

void cpureport_header(struct session_cpu *s, const struct cpureport_opts *o, FILE *f)
{
	struct out out;

	if (o->mode == OUT_JSON)
		return;
	out_init(&out, f, OUT_TEXT, false);
	sysinfo_render(&s->mode, &out);
	fputc('\n', f);
	cpureport_targets(s, &out);
	fputc('\n', f);
}

void cpureport_interval(struct session_cpu *s, const struct interval *iv,
			const struct cpureport_opts *o, FILE *f)
{
	int64_t bpf_ns = session_cpu_bpf_ns(s);
	char tbuf[32], bpf_txt[32];
	struct out out;
	struct agg a;
	time_t now = (time_t)(iv->real_end_ns / NSEC_PER_SEC);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	agg_build(&a, &s->coll, &s->targets, iv, o->only_tgid);
	out_init(&out, f, o->mode, false);
	if (o->mode == OUT_JSON) {
		struct jw *w = &out.jw;

		jw_obj_begin(w);
		jw_kstr(w, "type", "interval");
		jw_ku64(w, "round", iv->round);
		jw_ku64(w, "time_ns", iv->real_end_ns);
		jw_ku64(w, "mono_ns", iv->mono_end_ns);
		jw_ku64(w, "interval_ns", iv->mono_end_ns - iv->mono_start_ns);
		if (o->only_tgid)
			jw_ki64(w, "pid", o->only_tgid);
		sysinfo_render(&s->mode, &out);
		cpureport_targets(s, &out);
		cpureport_coverage(iv, bpf_ns, &out);
		cpureport_entities(&a, iv->span_ns, "entities", &out);
		cpureport_softirq(&a, &out);
		cpureport_io(s, (iv->mono_end_ns - iv->mono_start_ns) / 1e9, &out);
		cpureport_drops(iv->drops, false, &out);
		cpureport_profiler(s, iv->span_ns, false, &out);
		jw_obj_end(w);
		jw_end_line(w);
	} else {
		double ivs = iv->ncpu_seen ? iv->span_ns / 1e9 / iv->ncpu_seen : NAN;

		if (bpf_ns >= 0)
			snprintf(bpf_txt, sizeof(bpf_txt), "%.3f%%", pct_of(bpf_ns, iv->span_ns));
		else
			snprintf(bpf_txt, sizeof(bpf_txt), "n/a");
		fprintf(f,
			"%s  interval %.2fs  coverage %.2f%%  bpf %s of host  "
			"(%% of host: 100%% = %d CPUs)\n",
			tbuf, ivs, pct_of(iv->busy_ns + iv->idle_ns, iv->span_ns), bpf_txt,
			iv->ncpu_seen);
		for (int i = 0; i < s->targets.n; i++)
			if (s->targets.t[i].gone)
				fprintf(f, "  target %s gone after %.1fs\n", s->targets.t[i].entity,
					(s->targets.t[i].gone_mono_ns - s->t0_mono) / 1e9);
		cpureport_entities(&a, iv->span_ns, "entities", &out);
		if (o->softirq_text) {
			fputc('\n', f);
			cpureport_softirq(&a, &out);
		}
		if (o->io_text && s->io) {
			fputc('\n', f);
			cpureport_io(s, (iv->mono_end_ns - iv->mono_start_ns) / 1e9, &out);
		}
		cpureport_drops(iv->drops, true, &out);
		if (vp_verbose)
			cpureport_profiler(s, iv->span_ns, false, &out);
		fputc('\n', f);
	}
	fflush(f);
	agg_free(&a);
}
