// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "report/io.h"
#include "report/sections.h"
#include "report/stacks.h"
#include "report/top.h"
#include "sys/util.h"

void top_report_header(const struct capture *c, const struct top_opts *o, FILE *f)
{
	struct out out;

	if (o->mode == OUT_JSON)
		return;
	out_init(&out, f, OUT_TEXT, false);
	report_mode(&c->mode, &out);
	fputc('\n', f);
	report_targets(c, &out);
	fputc('\n', f);
}

/* Each VM-backed pod's overhead over the interval (the one formula, session/cost.c). */
static void top_pod_overhead(const struct capture *c, const struct capture_interval *ci,
			     struct out *o)
{
	struct pod_overhead *po = calloc(c->targets.n ? c->targets.n : 1, sizeof(*po));

	if (!po)
		return;
	for (int i = 0; i < c->targets.n; i++)
		cost_pod_overhead(&ci->agg, i, &c->targets.t[i], NULL, &po[i]);
	report_pod_overhead(&c->targets, po, ci->iv.span_ns, 0, o);
	free(po);
}

void top_report_interval(struct capture *c, const struct capture_interval *ci,
			 const struct top_opts *o, FILE *f)
{
	const struct interval *iv = &ci->iv;
	double secs = (iv->mono_end_ns - iv->mono_start_ns) / 1e9;
	time_t now = (time_t)(iv->real_end_ns / NSEC_PER_SEC);
	char tbuf[32], bpf_txt[32], cov_txt[32];
	struct entity_opts eo = { .irq_na = &c->irq_na };
	struct out out;
	struct tm tm;

	out_init(&out, f, o->mode, false);
	if (o->mode == OUT_JSON) {
		struct jw *w = &out.jw;

		jw_obj_begin(w);
		jw_kstr(w, "type", "interval");
		jw_ku64(w, "seq", iv->seq);
		jw_ku64(w, "time_ns", iv->real_end_ns);
		jw_ku64(w, "mono_ns", iv->mono_end_ns);
		jw_ku64(w, "interval_ns", iv->mono_end_ns - iv->mono_start_ns);
		if (c->only_tgid)
			jw_ki64(w, "pid", c->only_tgid);
		report_mode(&c->mode, &out);
		report_targets(c, &out);
		report_coverage(iv->busy_ns, iv->idle_ns, iv->steal_ns, iv->span_ns, iv->ncpu_seen,
				ci->bpf_ns, &out);
		report_entities(&ci->agg, iv->span_ns, &eo, &out);
		top_pod_overhead(c, ci, &out);
		report_kernel_check(&c->targets, ci->kc, ci->nkc, &out);
		report_softirq(&ci->agg, &c->irq_na, &out);
		report_io(c, secs, &out);
		report_drops(iv->drops, &c->targets, false, &out);
		report_profiler(c, iv->span_ns, false, &out);
		if (ci->stacks.on || vp_na_is(&c->stacks_na))
			report_top_functions(&ci->stacks, &c->stacks_na, &out);
		jw_obj_end(w);
		jw_end_line(w);
		fflush(f);
		return;
	}
	localtime_r(&now, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	if (ci->bpf_ns >= 0)
		snprintf(bpf_txt, sizeof(bpf_txt), "%.3f%%", pct_of(ci->bpf_ns, iv->span_ns));
	else
		snprintf(bpf_txt, sizeof(bpf_txt), "n/a");
	if (iv->span_ns)
		snprintf(cov_txt, sizeof(cov_txt), "%.2f%%",
			 coverage_pct(iv->busy_ns, iv->idle_ns, iv->steal_ns, iv->span_ns));
	else
		snprintf(cov_txt, sizeof(cov_txt), "n/a");
	fprintf(f,
		"%s  interval %.2fs  coverage %s  bpf %s of host  (%% of host: 100%% = %d CPUs)\n",
		tbuf, iv->ncpu_seen ? iv->span_ns / 1e9 / iv->ncpu_seen : NAN, cov_txt, bpf_txt,
		iv->ncpu_seen);
	for (int i = 0; i < c->targets.n; i++)
		if (c->targets.t[i].gone)
			fprintf(f, "  target %s gone after %.1fs\n", c->targets.t[i].entity,
				(c->targets.t[i].gone_mono_ns - c->t0_mono) / 1e9);
	report_entities(&ci->agg, iv->span_ns, &eo, &out);
	if (c->targets.n) {
		fputc('\n', f);
		top_pod_overhead(c, ci, &out);
	}
	if (ci->nkc) {
		fputc('\n', f);
		report_kernel_check(&c->targets, ci->kc, ci->nkc, &out);
	}
	if (o->softirq_text) {
		fputc('\n', f);
		report_softirq(&ci->agg, &c->irq_na, &out);
	}
	if (o->io_text && c->io) {
		fputc('\n', f);
		report_io(c, secs, &out);
	}
	report_drops(iv->drops, &c->targets, true, &out);
	if (ci->stacks.on || (vp_na_is(&c->stacks_na) && !c->light)) {
		fputc('\n', f);
		report_top_functions(&ci->stacks, &c->stacks_na, &out);
	}
	if (vp_verbose)
		report_profiler(c, iv->span_ns, false, &out);
	fputc('\n', f);
	fflush(f);
}
