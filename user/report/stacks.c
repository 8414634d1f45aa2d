// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "io/kvmexit.h"
#include "io/iosec.h"
#include "report/stacks.h"
#include "stack/output.h"
#include "stack/sampler.h"
#include "stack/where.h"
#include "sys/util.h"

#define WHERE_TOP 5
#define DIFF_TOP 10

/* The parts a step's samples are shown in: OWN, each VIRT role, PATH. */
enum where_part { W_OWN, W_VIRT, W_PATH };

struct part_filter {
	const char *entity; /* the target's */
	enum where_part part;
	const char *role; /* W_VIRT: this role only */
};

static bool net_softirq_ctx(uint32_t ctx)
{
	return ctx == VP_NET_TX_SOFTIRQ + 1 || ctx == VP_NET_RX_SOFTIRQ + 1;
}

/*
 * PATH as the cost model counts it: NET_TX/NET_RX softirq (whatever thread hosted it), and the
 * target's own threads receiving a packet in process context (a tap write runs the host stack in
 * qemu's thread: netif_receive_skb on its stack).
 */
static bool on_path(const struct stack_prow *r, const char *entity)
{
	if (net_softirq_ctx(r->ctx))
		return true;
	return r->ctx == VP_SCTX_TASK && !strcmp(r->entity, entity) &&
	       strstr(r->stack, "netif_receive_skb");
}

static bool keep_part(const struct stack_prow *r, void *ctx)
{
	const struct part_filter *f = ctx;
	enum cost_part p;

	if (f->part == W_PATH)
		return on_path(r, f->entity);
	if (strcmp(r->entity, f->entity) || on_path(r, f->entity))
		return false;
	p = cost_part_of_role(r->role);
	if (f->part == W_OWN)
		return p == PART_OWN;
	return p != PART_OWN && p != PART_UNKNOWN && !strcmp(r->role, f->role);
}

/* The whole target: OWN + VIRT + PATH (for the differential tables). */
static bool keep_target(const struct stack_prow *r, void *ctx)
{
	const char *entity = ctx;

	return !strcmp(r->entity, entity) || on_path(r, entity);
}

static void where_rows(struct table *t, const struct stack_profile *p, const char *entity,
		       const char *part, struct part_filter *f)
{
	struct func_stats fs;

	if (stack_where(p, keep_part, f, &fs)) {
		func_stats_free(&fs);
		return;
	}
	func_stats_sort(&fs);
	for (int i = 0; i < fs.n && i < WHERE_TOP && fs.f[i].self; i++) {
		int r = table_row(t);

		table_str(t, r, 0, entity);
		table_str(t, r, 1, part);
		table_u64(t, r, 2, fs.total);
		table_str(t, r, 3, fs.f[i].name);
		table_str(t, r, 4, fs.f[i].kernel ? "kernel" : "user");
		table_pct(t, r, 5, fs.f[i].self, fs.total);
		table_pct(t, r, 6, fs.f[i].incl, fs.total);
		table_u64(t, r, 7, fs.f[i].self);
	}
	func_stats_free(&fs);
}

void report_where(const struct session *s, const struct sess_step *st, struct out *o)
{
	const struct stack_profile *p = &st->stacks;
	struct table t;

	if (!p->on && !vp_na_is(&s->cap.stacks_na))
		return;
	table_init(&t, "where", "Where: top functions per part (sampled stacks, measured window)");
	table_col(&t, "entity", "TARGET", 0, true);
	table_col(&t, "part", "PART", 0, true);
	table_col(&t, "part_samples", "SAMPLES", 0, false);
	table_col(&t, "function", "FUNCTION", 0, true);
	table_col(&t, "kind", "KIND", 0, true);
	table_col(&t, "self_pct", "SELF%", 1, false);
	table_col(&t, "incl_pct", "INCL%", 1, false);
	table_col(&t, "self_samples", "self", 0, false);
	table_col_json_only(&t);
	if (!p->on) {
		table_note(&t, "not available: %s", s->cap.stacks_na.detail);
		table_render(&t, o);
		table_free(&t);
		return;
	}
	for (int i = 0; i < s->cap.targets.n; i++) {
		const char *ent = s->cap.targets.t[i].entity;
		const char *seen[32];
		int nseen = 0;
		struct part_filter f = { ent, W_OWN, NULL };

		if (st->target >= 0 && st->target != i)
			continue;
		where_rows(&t, p, ent, "OWN", &f);
		/* one VIRT part per role the target's threads were sampled in */
		for (int k = 0; k < p->n; k++) {
			const struct stack_prow *r = &p->rows[k];
			enum cost_part cp = cost_part_of_role(r->role);
			bool dup = false;
			char part[ROLE_LEN + 8];

			if (strcmp(r->entity, ent) || cp == PART_OWN || cp == PART_UNKNOWN)
				continue;
			for (int j = 0; j < nseen && !dup; j++)
				dup = !strcmp(seen[j], r->role);
			if (dup || nseen >= (int)ARRAY_SIZE(seen))
				continue;
			seen[nseen++] = r->role;
			f.part = W_VIRT;
			f.role = r->role;
			snprintf(part, sizeof(part), "VIRT:%s", r->role);
			where_rows(&t, p, ent, part, &f);
		}
		f.part = W_PATH;
		where_rows(&t, p, ent, "PATH", &f);
	}
	table_note(&t,
		   "%llu samples at %u Hz per CPU, %llu lost, %llu truncated; SELF%%: leaf, "
		   "INCL%%: anywhere on the stack, of the part's samples",
		   (unsigned long long)p->samples, p->hz, (unsigned long long)p->lost,
		   (unsigned long long)p->truncated);
	table_note(&t, "PATH: NET_TX/NET_RX softirq samples of the step (any thread) and the "
		       "target's threads receiving in process context (tap writes)");
	table_render(&t, o);
	table_free(&t);
}

struct owner_key {
	const char *entity, *role;
};

static bool keep_owner(const struct stack_prow *r, void *ctx)
{
	const struct owner_key *k = ctx;

	return r->ctx != VP_SCTX_IDLE && !strcmp(r->entity, k->entity) && !strcmp(r->role, k->role);
}

void report_top_functions(const struct stack_profile *p, const struct vp_na *na, struct out *o)
{
	struct table t;

	table_init(&t, "top_functions", "Hottest functions by owner (sampled stacks, self)");
	table_col(&t, "entity", "ENTITY", 0, true);
	table_col(&t, "role", "ROLE", 0, true);
	table_col(&t, "function", "FUNCTION", 0, true);
	table_col(&t, "kind", "KIND", 0, true);
	table_col(&t, "samples", "SAMPLES", 0, false);
	table_col(&t, "host_pct", "HOST%", 2, false);
	if (!p->on) {
		table_note(&t, "not available: %s",
			   vp_na_is(na) ? na->detail : "stack sampling off");
	} else {
		/* per owner its top 3, the owners in the profile's order (sorted by name) */
		for (int i = 0; i < p->n; i++) {
			struct owner_key k = { p->rows[i].entity, p->rows[i].role };
			struct func_stats fs;

			if (i && !strcmp(p->rows[i - 1].entity, k.entity) &&
			    !strcmp(p->rows[i - 1].role, k.role))
				continue;
			if (!stack_where(p, keep_owner, &k, &fs)) {
				func_stats_sort(&fs);
				for (int f = 0; f < fs.n && f < 3 && fs.f[f].self; f++) {
					int r = table_row(&t);

					table_str(&t, r, 0, k.entity);
					table_str(&t, r, 1, k.role);
					table_str(&t, r, 2, fs.f[f].name);
					table_str(&t, r, 3, fs.f[f].kernel ? "kernel" : "user");
					table_u64(&t, r, 4, fs.f[f].self);
					table_pct(&t, r, 5, fs.f[f].self, p->samples);
				}
			}
			func_stats_free(&fs);
		}
		table_note(&t, "%llu samples at %u Hz per CPU, %llu lost; HOST%%: of all samples",
			   (unsigned long long)p->samples, p->hz, (unsigned long long)p->lost);
	}
	table_render(&t, o);
	table_free(&t);
}

static double us_per_req(uint64_t samples, unsigned int hz, uint64_t reqs)
{
	return samples * 1e6 / hz / (double)reqs;
}

/* Top functions of two selections side by side, by the largest difference per request. */
static void diff_rows(struct table *t, const char *step, const char *a_name,
		      const struct func_stats *a, uint64_t a_reqs, const char *b_name,
		      const struct func_stats *b, uint64_t b_reqs, unsigned int hz)
{
	struct cand {
		const char *name;
		bool kernel;
		double a, b;
	} c[2 * DIFF_TOP * 4];
	int nc = 0;

	/* the candidates: each side's biggest functions */
	for (int side = 0; side < 2; side++) {
		const struct func_stats *fs = side ? b : a;

		for (int i = 0; i < fs->n && i < 2 * DIFF_TOP && nc < (int)ARRAY_SIZE(c); i++) {
			const struct func_stat *x = &fs->f[i], *ya, *yb;
			bool dup = false;

			for (int k = 0; k < nc && !dup; k++)
				dup = c[k].kernel == x->kernel && !strcmp(c[k].name, x->name);
			if (dup || !x->self)
				continue;
			ya = func_stats_find(a, x->name, x->kernel);
			yb = func_stats_find(b, x->name, x->kernel);
			c[nc].name = x->name;
			c[nc].kernel = x->kernel;
			c[nc].a = ya ? us_per_req(ya->self, hz, a_reqs) : 0;
			c[nc].b = yb ? us_per_req(yb->self, hz, b_reqs) : 0;
			nc++;
		}
	}
	for (int i = 0; i < nc; i++)
		for (int k = i + 1; k < nc; k++)
			if (fabs(c[k].a - c[k].b) > fabs(c[i].a - c[i].b)) {
				struct cand x = c[i];

				c[i] = c[k];
				c[k] = x;
			}
	for (int i = 0; i < nc && i < DIFF_TOP; i++) {
		int r = table_row(t);

		table_str(t, r, 0, step);
		table_str(t, r, 1, c[i].name);
		table_str(t, r, 2, c[i].kernel ? "kernel" : "user");
		table_str(t, r, 3, a_name);
		table_f64(t, r, 4, c[i].a);
		table_str(t, r, 5, b_name);
		table_f64(t, r, 6, c[i].b);
		table_f64(t, r, 7, c[i].a - c[i].b);
	}
}

static void diff_table_init(struct table *t, const char *key, const char *title, const char *a,
			    const char *b)
{
	table_init(t, key, title);
	table_col(t, "step", "STEP", 0, true);
	table_col(t, "function", "FUNCTION", 0, true);
	table_col(t, "kind", "KIND", 0, true);
	table_col(t, "a", a, 0, true);
	table_col(t, "a_us_per_req", "A-us/req", 3, false);
	table_col(t, "b", b, 0, true);
	table_col(t, "b_us_per_req", "B-us/req", 3, false);
	table_col(t, "delta_us_per_req", "A-B", 3, false);
}

static uint64_t reqs_of(const struct sess_step *st)
{
	uint64_t n;

	session_step_requests(st, &n, NULL, NULL);
	return n;
}

static bool diffable(const struct sess_step *st)
{
	return !st->skipped && st->stacks.on && st->target >= 0 && reqs_of(st) && st->stacks.hz;
}

void report_where_diff(const struct session *s, struct out *o)
{
	struct table t;
	bool any = false;

	for (int i = 0; i < s->nsteps; i++)
		any |= s->steps[i].stacks.on;
	if (!any)
		return;
	/* target against target, step by step: the first step of each label against the others */
	diff_table_init(&t, "where_diff", "Where the targets differ (self samples, us per request)",
			"A", "B");
	for (int i = 0; i < s->nsteps; i++) {
		const struct sess_step *a = &s->steps[i];

		if (!diffable(a))
			continue;
		for (int k = i + 1; k < s->nsteps; k++) {
			const struct sess_step *b = &s->steps[k];
			const char *ea = s->cap.targets.t[a->target].entity;
			const char *eb;
			struct func_stats fa, fb;

			if (!diffable(b) || strcmp(a->label, b->label) || b->target == a->target)
				continue;
			eb = s->cap.targets.t[b->target].entity;
			if (!stack_where(&a->stacks, keep_target, (void *)ea, &fa) &&
			    !stack_where(&b->stacks, keep_target, (void *)eb, &fb)) {
				func_stats_sort(&fa);
				func_stats_sort(&fb);
				diff_rows(&t, a->label, ea, &fa, reqs_of(a), eb, &fb, reqs_of(b),
					  a->stacks.hz);
			}
			func_stats_free(&fa);
			func_stats_free(&fb);
		}
	}
	table_note(&t, "a target's samples: its threads and its network path; us/req = self "
		       "samples / frequency / requests; largest differences first");
	table_render(&t, o);
	table_free(&t);

	/* each target's step against its previous step */
	diff_table_init(&t, "where_steps",
			"Where a step differs from the previous one (us per request)", "STEP-A",
			"STEP-B");
	table_col(&t, "target", "TARGET", 0, true);
	for (int i = 0; i < s->nsteps; i++) {
		const struct sess_step *b = &s->steps[i], *a = NULL;
		struct func_stats fa, fb;
		const char *e;

		if (!diffable(b))
			continue;
		for (int k = i - 1; k >= 0 && !a; k--)
			if (s->steps[k].target == b->target && diffable(&s->steps[k]))
				a = &s->steps[k];
		if (!a)
			continue;
		e = s->cap.targets.t[b->target].entity;
		if (!stack_where(&b->stacks, keep_target, (void *)e, &fb) &&
		    !stack_where(&a->stacks, keep_target, (void *)e, &fa)) {
			int r0 = t.nrows;

			func_stats_sort(&fa);
			func_stats_sort(&fb);
			diff_rows(&t, b->label, b->label, &fb, reqs_of(b), a->label, &fa,
				  reqs_of(a), b->stacks.hz);
			for (int r = r0; r < t.nrows; r++)
				table_str(&t, r, 8, e);
			func_stats_free(&fa);
		}
		func_stats_free(&fb);
	}
	/* one step per target: nothing to set side by side (JSON keeps the empty table) */
	if (t.nrows || o->mode != OUT_TEXT) {
		fputc('\n', o->f);
		table_render(&t, o);
	}
	table_free(&t);
}

void report_stacks_json(const struct session *s, const struct sess_step *st, struct jw *w)
{
	const struct stack_profile *p = &st->stacks;

	jw_key(w, "stacks");
	if (!p->on && !vp_na_is(&s->cap.stacks_na)) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	jw_kopt_u64(w, "freq_hz", p->on, p->hz);
	jw_kopt_u64(w, "samples", p->on, p->samples);
	jw_kopt_u64(w, "lost", p->on, p->lost);
	jw_kopt_u64(w, "truncated", p->on, p->truncated);
	jw_key(w, "reason");
	if (p->on)
		jw_null(w);
	else
		jw_str(w, s->cap.stacks_na.detail);
	jw_key(w, "folded");
	jw_arr_begin(w);
	for (int i = 0; i < p->n; i++) {
		const struct stack_prow *r = &p->rows[i];

		jw_obj_begin(w);
		jw_kstr(w, "entity", r->entity);
		jw_kstr(w, "role", r->role);
		jw_kstr(w, "context", stack_ctx_name(r->ctx));
		jw_kstr(w, "stack", r->stack);
		jw_ku64(w, "count", r->count);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	report_exit_stacks_json(s, st, w);
	jw_obj_end(w);
}

const struct vp_na *report_exit_stacks_na(const struct session *s, const struct sess_step *st)
{
	static const struct vp_na off = { VP_NA_OPTION, "stack sampling off (--stacks)" };
	static const struct vp_na none = {
		VP_NA_UNMEASURED,
		"no sample fell inside a KVM exit in the step's measured window (no vCPU exited: "
		"no VM under KVM, or a TCG guest, which has no exits)"
	};
	struct kvmexit *k = s->cap.io ? iosec_kvm(s->cap.io) : NULL;

	if (!st->stacks.on)
		return vp_na_is(&s->cap.stacks_na) ? &s->cap.stacks_na : &off;
	if (st->exit_stacks.n)
		return NULL;
	if (vp_na_is(&s->cap.exit_stacks_na))
		return &s->cap.exit_stacks_na;
	if (k && vp_na_is(&k->exit_na))
		return &k->exit_na;
	return &none;
}

/*
 * "exit_folded": the step's samples inside KVM exits, [{entity, role, stack, count}] with stack
 * "[guest] f;[exit] R;host frames"; "exit_reason": why it is empty (null when it is not).
 */
void report_exit_stacks_json(const struct session *s, const struct sess_step *st, struct jw *w)
{
	const struct stack_profile *x = &st->exit_stacks;
	const struct vp_na *na = report_exit_stacks_na(s, st);

	jw_kopt_u64(w, "exit_samples", st->stacks.on, x->samples);
	jw_key(w, "exit_reason");
	if (vp_na_is(na))
		jw_str(w, na->detail);
	else
		jw_null(w);
	jw_key(w, "exit_folded");
	jw_arr_begin(w);
	for (int i = 0; i < x->n; i++) {
		jw_obj_begin(w);
		jw_kstr(w, "entity", x->rows[i].entity);
		jw_kstr(w, "role", x->rows[i].role);
		jw_kstr(w, "stack", x->rows[i].stack);
		jw_ku64(w, "count", x->rows[i].count);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* The steps' profiles that sampling filled (exits: their exit profiles); the duration summed. */
static int stack_sources(const struct session *s, bool exits, struct stack_source *src,
			 uint64_t *dur)
{
	int n = 0;

	*dur = 0;
	for (int i = 0; i < s->nsteps; i++) {
		const struct sess_step *st = &s->steps[i];

		if (!st->stacks.on)
			continue;
		src[n].p = exits ? &st->exit_stacks : &st->stacks;
		src[n].step = st->label;
		src[n].target = st->target >= 0 ? s->cap.targets.t[st->target].entity : "-";
		*dur += (uint64_t)((st->t_end_s - st->t_start_s) * 1e9);
		n++;
	}
	return n;
}

/*
 * --exit-folded / --exit-pprof: written even when empty, so a script finds the file; why it is
 * empty is said once (stderr) and in the JSON's stacks.exit_reason.
 */
static int write_exit_files(const struct session *s, const struct session_cli *c,
			    struct stack_source *src)
{
	uint64_t dur, rows = 0;
	const struct vp_na *na = NULL;
	int n = stack_sources(s, true, src, &dur), err, ret = VP_EXIT_OK;

	for (int i = 0; i < n; i++)
		rows += src[i].p->n;
	for (int i = 0; i < s->nsteps && !rows && !na; i++)
		na = report_exit_stacks_na(s, &s->steps[i]);
	if (!rows)
		vp_warn("the KVM exit profile is empty: %s", na ? na->detail : "no step ran");
	if (c->exit_folded && (err = stack_write_exit_folded(c->exit_folded, src, n))) {
		vp_err("write %s: %s", c->exit_folded, vp_file_error(err));
		ret = VP_EXIT_FAIL;
	}
	if (c->exit_pprof && (err = stack_write_pprof(c->exit_pprof, src, n, dur))) {
		vp_err("write %s: %s", c->exit_pprof, vp_file_error(err));
		ret = VP_EXIT_FAIL;
	}
	return ret;
}

int report_write_stack_files(const struct session *s, const struct session_cli *c)
{
	struct stack_source *src;
	uint64_t dur = 0;
	int n = 0, err, ret = VP_EXIT_OK;

	if (!c->folded && !c->pprof && !c->exit_folded && !c->exit_pprof)
		return VP_EXIT_OK;
	src = calloc(s->nsteps ? s->nsteps : 1, sizeof(*src));
	if (!src)
		return VP_EXIT_FAIL;
	n = stack_sources(s, false, src, &dur);
	if (!n && (c->folded || c->pprof))
		vp_warn("no stacks were sampled (%s): --folded/--pprof not written",
			vp_na_is(&s->cap.stacks_na) ? s->cap.stacks_na.detail : "no step ran");
	if (n && c->folded && (err = stack_write_folded(c->folded, src, n))) {
		vp_err("write %s: %s", c->folded, vp_file_error(err));
		ret = VP_EXIT_FAIL;
	}
	if (n && c->pprof && (err = stack_write_pprof(c->pprof, src, n, dur))) {
		vp_err("write %s: %s", c->pprof, vp_file_error(err));
		ret = VP_EXIT_FAIL;
	}
	if (c->exit_folded || c->exit_pprof)
		ret = write_exit_files(s, c, src) == VP_EXIT_OK ? ret : VP_EXIT_FAIL;
	free(src);
	return ret;
}
