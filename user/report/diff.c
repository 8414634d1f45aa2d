// SPDX-License-Identifier: GPL-2.0
/*
 * virtprof diff: B against A.  The figures are the comparison table's; the uncertainty of each
 * comes from its step's own intervals, so a change on a noisy host is judged against that
 * host's noise:
 *
 *   CPU µs/request: the CPU of the category and the requests completed in the same time, bin by
 *   bin (intervals, or load seconds when --interval is shorter than 1 s); the ratio estimator's
 *   relative standard error, applied to the figure.
 *   PATH has no per-interval split (the device split is per step): the spread of the whole
 *   host's CPU per request stands in for it.
 *   p99 and req/s: the load timeline's per-second p99 and request counts; u = sd/sqrt(n).
 *
 * A change is beyond its uncertainty when |B - A| > 2 sqrt(uA^2 + uB^2) (about 95 % for
 * independent, roughly normal bin means); with fewer than 2 bins there is no
 * uncertainty and the change is "unknown" -- a gate still applies to it, and says so.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/diff.h"
#include "report/doc.h"
#include "report/html.h"
#include "report/schema.h"
#include "report/svg.h"
#include "sys/util.h"

const char *const diff_metric_key[DM_N] = {
	[DM_LOADGEN] = SK(loadgen_us), [DM_OWN] = SK(own_us),	  [DM_VIRT] = SK(virt_us),
	[DM_PATH] = SK(path_us),       [DM_OTHER] = SK(other_us), [DM_P99] = SK(p99_ms),
	[DM_RPS] = SK(req_per_s),
};

int diff_parse_gate(const char *expr, struct diff_gate *g, char *msg, size_t len)
{
	const char *p = expr, *op;
	char *end;
	size_t kl;
	int m;

	memset(g, 0, sizeof(*g));
	g->expr = expr;
	op = strpbrk(expr, "<>");
	if (!op) {
		snprintf(msg, len,
			 "--fail-if '%s': want METRIC>LIMIT or METRIC<LIMIT (e.g. 'virt_us>+10%%')",
			 expr);
		return -EINVAL;
	}
	while (*p == ' ')
		p++;
	kl = op - p;
	while (kl && p[kl - 1] == ' ')
		kl--;
	for (m = 0; m < DM_N; m++)
		if (strlen(diff_metric_key[m]) == kl && !strncmp(p, diff_metric_key[m], kl))
			break;
	if (m == DM_N) {
		snprintf(
			msg, len,
			"--fail-if '%s': unknown metric '%.*s' (one of loadgen_us, own_us, virt_us, "
			"path_us, other_us, p99_ms, req_per_s)",
			expr, (int)kl, p);
		return -EINVAL;
	}
	g->metric = m;
	g->op = *op;
	p = op + 1;
	while (*p == ' ')
		p++;
	if (*p == '=' || *p == '<' || *p == '>') {
		snprintf(msg, len, "--fail-if '%s': the operator is > or < alone", expr);
		return -EINVAL;
	}
	errno = 0;
	g->limit = strtod(p, &end);
	if (end == p || errno || !isfinite(g->limit)) {
		snprintf(msg, len, "--fail-if '%s': the limit is a number, e.g. +10%% or 2.5",
			 expr);
		return -EINVAL;
	}
	while (*end == ' ')
		end++;
	if (*end == '%') {
		g->pct = true;
		end++;
	}
	while (*end == ' ')
		end++;
	if (*end) {
		snprintf(msg, len, "--fail-if '%s': unexpected '%s' after the limit", expr, end);
		return -EINVAL;
	}
	return 0;
}

/* --- the uncertainty of one figure ---------------------------------------------------------- */

struct spread {
	int n;
	double sum, sumsq;
};

static void spread_add(struct spread *s, double x)
{
	s->n++;
	s->sum += x;
	s->sumsq += x * x;
}

static double spread_sd(const struct spread *s)
{
	double mean = s->sum / s->n, var = (s->sumsq - s->n * mean * mean) / (s->n - 1);

	return var > 0 ? sqrt(var) : 0;
}

/* The CPU of an interval (a steps[].timeline point) in the metric's category. */
static double interval_cpu(const json_t *p, enum diff_metric m, const char *target)
{
	double busy = 0;
	const json_t *e;
	size_t k;

	json_array_foreach(doc_arr(p, SK(entities)), k, e)
	{
		const char *en = doc_str(e, SK(entity)), *ro = doc_str(e, SK(role));
		enum doc_cat c;
		double b;

		if (!en || !ro || !doc_num(e, SK(busy_ns), &b))
			continue;
		c = doc_category(en, ro, target);
		if (m == DM_PATH || (m == DM_LOADGEN && c == DCAT_LOADGEN) ||
		    (m == DM_OWN && c == DCAT_OWN) || (m == DM_VIRT && c == DCAT_VIRT) ||
		    (m == DM_OTHER && c == DCAT_OTHER))
			busy += b;
	}
	return busy;
}

/* Sums for the ratio estimator R = sum(cpu) / sum(requests) over bins. */
struct ratio {
	int n;
	double c, r, cc, cr, rr;
};

static void ratio_add(struct ratio *x, double c, double r)
{
	if (r <= 0)
		return;
	x->n++;
	x->c += c;
	x->r += r;
	x->cc += c * c;
	x->cr += c * r;
	x->rr += r * r;
}

/*
 * The relative standard error of R (delta method): s^2 = sum (c_k - R r_k)^2 / (n - 1),
 * se(R) = sqrt(s^2 / n) / mean(r).  Bins with many requests weigh more than bins with few,
 * which a mean of per-bin ratios would not do.
 */
static double ratio_rse(const struct ratio *x)
{
	double R, s2;

	if (x->n < 2)
		return NAN;
	if (x->c <= 0)
		return 0;
	R = x->c / x->r;
	s2 = (x->cc - 2 * R * x->cr + R * R * x->rr) / (x->n - 1);
	return sqrt(s2 > 0 ? s2 / x->n : 0) / (x->r / x->n) / R;
}

/* An interval that counts: measured, and not the stub closed when a step ends. */
static bool full_interval(const json_t *p, double nominal, double *end, double *iv)
{
	return !doc_true(p, SK(warmup)) && doc_num(p, SK(mono_ns), end) &&
	       doc_num(p, SK(interval_s), iv) && *iv >= nominal / 2;
}

/*
 * The standard error of a step's figure (see the top of this file); NaN with < 2 bins.  CPU per
 * request pairs CPU with the requests completed in the same time, on the coarser of the two
 * grids: per interval when --interval is 1 s or more (the load seconds whose middle falls in
 * it), else per load second (the intervals whose middle falls in it).
 */
static double figure_stderr(const json_t *st, enum diff_metric m, double value, double nominal)
{
	const json_t *lt = doc_arr(doc_get(st, SK(load)), SK(timeline)),
		     *tl = doc_arr(st, SK(timeline));
	const char *target = doc_step_target(st);
	struct spread s = { 0 };
	struct ratio x = { 0 };
	const json_t *p, *q;
	size_t i, j;

	if (m == DM_P99 || m == DM_RPS) {
		json_array_foreach(lt, i, p)
		{
			double v;

			if (!doc_whole_second(st, p))
				continue;
			if (m == DM_P99 && doc_num(p, SK(p99_us), &v))
				spread_add(&s, v / 1e3);
			else if (m == DM_RPS && doc_num(p, SK(requests), &v))
				spread_add(&s, v);
		}
		return s.n >= 2 ? spread_sd(&s) / sqrt(s.n) : NAN;
	}
	if (nominal >= 1) {
		json_array_foreach(tl, i, p)
		{
			double end, iv, reqs = 0;

			if (!full_interval(p, nominal, &end, &iv))
				continue;
			json_array_foreach(lt, j, q)
			{
				double start, r;

				if (!doc_whole_second(st, q) || !doc_num(q, SK(mono_ns), &start) ||
				    !doc_num(q, SK(requests), &r))
					continue;
				start += 0.5e9; /* the middle of that second */
				if (start > end - iv * 1e9 && start <= end)
					reqs += r;
			}
			ratio_add(&x, interval_cpu(p, m, target), reqs);
		}
	} else {
		json_array_foreach(lt, j, q)
		{
			double start, r, cpu = 0;

			if (!doc_whole_second(st, q) || !doc_num(q, SK(mono_ns), &start) ||
			    !doc_num(q, SK(requests), &r))
				continue;
			json_array_foreach(tl, i, p)
			{
				double end, iv, mid;

				if (!full_interval(p, nominal, &end, &iv))
					continue;
				mid = end - iv * 0.5e9;
				if (mid >= start && mid < start + 1e9)
					cpu += interval_cpu(p, m, target);
			}
			ratio_add(&x, cpu, r);
		}
	}
	return fabs(value) * ratio_rse(&x);
}

/* --- matching the sessions ------------------------------------------------------------------ */

/* Every step of x is in y (label and target), else the message names the first missing. */
static int steps_in(const json_t *x, const json_t *y, const char *xn, const char *yn, char *msg,
		    size_t len)
{
	const json_t *st;
	size_t i;

	json_array_foreach(doc_arr(x, SK(steps)), i, st)
	{
		const char *l = doc_str(st, SK(label));

		if (!l) {
			snprintf(msg, len, "%s: step %zu has no label: not a step virtprof wrote",
				 xn, i);
			return -EINVAL;
		}
		if (!doc_find_step(y, l, doc_step_target(st))) {
			snprintf(msg, len,
				 "sessions do not match: step '%s' against %s is in %s, not in %s "
				 "(diff compares the same steps and targets)",
				 l, doc_step_target(st), xn, yn);
			return -EINVAL;
		}
	}
	return 0;
}

static struct diff_row *add_row(struct diff *d)
{
	if (d->n == d->cap) {
		int cap = d->cap ? d->cap * 2 : 64;
		struct diff_row *r = realloc(d->rows, cap * sizeof(*r));

		if (!r)
			return NULL;
		d->rows = r;
		d->cap = cap;
	}
	memset(&d->rows[d->n], 0, sizeof(d->rows[0]));
	return &d->rows[d->n++];
}

int diff_sessions(const json_t *a, const json_t *b, struct diff *d, char *msg, size_t len)
{
	double iva = 1, ivb = 1;
	const json_t *ra;
	size_t i;

	doc_num(a, SK(interval_s), &iva);
	doc_num(b, SK(interval_s), &ivb);
	if (steps_in(a, b, "A", "B", msg, len) || steps_in(b, a, "B", "A", msg, len))
		return -EINVAL;
	if (!json_array_size(doc_arr(a, SK(comparison)))) {
		snprintf(msg, len,
			 "nothing to compare: A has no comparison rows (no step completed)");
		return -EINVAL;
	}
	json_array_foreach(doc_arr(a, SK(comparison)), i, ra)
	{
		const char *step = doc_str(ra, SK(step)), *target = doc_str(ra, SK(target));
		const json_t *rb = step && target ? doc_comparison_row(b, step, target) : NULL;
		const json_t *sa, *sb;

		if (!step || !target) {
			snprintf(msg, len,
				 "A: comparison row %zu has no step or target: not a row "
				 "virtprof wrote",
				 i);
			return -EINVAL;
		}
		if (!rb) {
			snprintf(msg, len,
				 "sessions do not match: comparison row '%s' %s is not in B",
				 step ? step : "?", target ? target : "?");
			return -EINVAL;
		}
		sa = doc_find_step(a, step, target);
		sb = doc_find_step(b, step, target);
		for (int m = 0; m < DM_N; m++) {
			struct diff_row *r = add_row(d);

			if (!r)
				return -ENOMEM;
			r->step = step;
			r->target = target;
			r->metric = m;
			if (!doc_num(ra, diff_metric_key[m], &r->a))
				r->a = NAN;
			if (!doc_num(rb, diff_metric_key[m], &r->b))
				r->b = NAN;
			r->ua = sa ? figure_stderr(sa, m, r->a, iva) : NAN;
			r->ub = sb ? figure_stderr(sb, m, r->b, ivb) : NAN;
			r->delta = r->b - r->a;
			r->pct = r->a != 0 ? r->delta / fabs(r->a) * 100 : NAN;
			r->u = 2 * sqrt(r->ua * r->ua + r->ub * r->ub);
			if (!isfinite(r->delta))
				r->changed = -1;
			else if (isfinite(r->u))
				r->changed = fabs(r->delta) > r->u;
			else
				r->changed = -1;
		}
	}
	return 0;
}

int diff_gates(struct diff *d)
{
	int total = 0;

	for (int i = 0; i < d->n; i++) {
		struct diff_row *r = &d->rows[i];

		for (int k = 0; k < d->ngates; k++) {
			struct diff_gate *g = &d->gates[k];
			double x;

			if (g->metric != r->metric || !isfinite(r->delta) || r->changed == 0)
				continue;
			if (g->pct)
				x = r->a != 0	 ? r->pct :
				    r->delta > 0 ? INFINITY :
				    r->delta < 0 ? -INFINITY :
						   0;
			else
				x = r->delta;
			if (g->op == '>' ? x > g->limit : x < g->limit) {
				r->gates |= 1u << k;
				g->violations++;
				total++;
			}
		}
	}
	return total;
}

/* A figure of a change, or n/a for why (NAN: the figure is not there). */
static void f64_or_na(struct table *t, int row, int col, double v, const struct vp_na *why)
{
	if (isfinite(v))
		table_f64(t, row, col, v);
	else
		table_na(t, row, col, why);
}

void diff_table(const struct diff *d, struct out *o)
{
	enum { C_STEP, C_TGT, C_MET, C_A, C_B, C_D, C_P, C_U, C_CH, C_G };
	static const struct vp_na no_a = { VP_NA_OTHER,
					   "A: the figure is null in the session (see its notes)" },
				  no_b = { VP_NA_OTHER,
					   "B: the figure is null in the session (see its notes)" },
				  no_delta = { VP_NA_UNMEASURED, "a change needs both figures" },
				  no_pct = { VP_NA_UNMEASURED, "B-A%: A is 0 or not available" },
				  no_u = { VP_NA_UNMEASURED,
					   "u: fewer than 2 measured intervals in a session (no "
					   "spread to judge a change by); gates apply to the raw "
					   "change" };
	struct table t;

	table_init(&t, "changes",
		   "B against A (u: 2 standard errors of the change, from the intervals)");
	table_col(&t, SK(step), "STEP", 0, true);
	table_col(&t, SK(target), "TARGET", 0, true);
	table_col(&t, "metric", "METRIC", 0, true);
	table_col(&t, SK(a), "A", 2, false);
	table_col(&t, SK(b), "B", 2, false);
	table_col(&t, "delta", "B-A", 2, false);
	table_col(&t, "delta_pct", "B-A%", 1, false);
	table_col(&t, "u", "+-u", 2, false);
	table_col(&t, "change", "CHANGE", 0, true);
	table_col(&t, "gate", "GATE", 0, true);
	for (int i = 0; i < d->n; i++) {
		const struct diff_row *r = &d->rows[i];
		int row = table_row(&t);
		char gates[512] = "";

		table_str(&t, row, C_STEP, r->step);
		table_str(&t, row, C_TGT, r->target);
		table_str(&t, row, C_MET, diff_metric_key[r->metric]);
		f64_or_na(&t, row, C_A, r->a, &no_a);
		f64_or_na(&t, row, C_B, r->b, &no_b);
		f64_or_na(&t, row, C_D, r->delta, &no_delta);
		f64_or_na(&t, row, C_P, r->pct, &no_pct);
		f64_or_na(&t, row, C_U, r->u, &no_u);
		table_str(&t, row, C_CH,
			  r->changed > 0  ? (r->delta > 0 ? "up" : "down") :
			  r->changed == 0 ? "within" :
					    "unknown");
		for (int k = 0; k < d->ngates; k++)
			if (r->gates & (1u << k))
				snprintf(gates + strlen(gates), sizeof(gates) - strlen(gates),
					 "%sFAIL %s", gates[0] ? ", " : "", d->gates[k].expr);
		if (gates[0])
			table_str(&t, row, C_G, gates);
		else
			table_none(&t, row, C_G);
	}
	table_note(
		&t,
		"CPU metrics: u/request from the spread of CPU per request over the step's "
		"intervals; path_us uses the whole host's spread (no per-interval device split)");
	table_note(&t, "p99_ms, req_per_s: u from the spread of the load timeline's seconds");
	table_render(&t, o);
	table_free(&t);
}

void diff_free(struct diff *d)
{
	free(d->rows);
	d->rows = NULL;
	d->n = d->cap = 0;
}

/* --- the page ------------------------------------------------------------------------------- */

void diff_html(FILE *f, const struct diff *d, const json_t *a, const json_t *b, const char *apath,
	       const char *bpath)
{
	static const char *const names[] = { "LOADGEN", "OWN", "VIRT", "PATH" };
	static const char *const colors[] = { "#8a8f98", "#2f6db5", "#d1495b", "#2e9e5b" };
	static const char *const keys[] = { SK(loadgen_us), SK(own_us), SK(virt_us), SK(path_us) };
	static struct svg_bar bars[512];
	static char group[256][200], data[512][300];
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	json_t *doc;
	int nb = 0, ng = 0, fails = 0;
	const json_t *ra;
	size_t i;

	html_begin(f, "virtprof diff");
	fputs("<h1>virtprof diff</h1>\n<p class=\"sub\">A = ", f);
	html_escape(f, apath);
	fputs(" \u00b7 B = ", f);
	html_escape(f, bpath);
	fputs("</p>\n", f);
	for (int k = 0; k < d->ngates; k++) {
		fails += d->gates[k].violations;
		fprintf(f, "<p><b style=\"color:%s\">%s</b> <code>",
			d->gates[k].violations ? "#c62828" : "#2e7d32",
			d->gates[k].violations ? "FAIL" : "pass");
		html_escape(f, d->gates[k].expr);
		fprintf(f, "</code>: %d violation(s) beyond the uncertainty</p>\n",
			d->gates[k].violations);
	}
	if (!d->ngates)
		fputs("<p class=\"sub\">no --fail-if gate</p>\n", f);
	else
		fprintf(f, "<p><b>verdict: %s</b> (exit %d)</p>\n", fails ? "FAIL" : "pass",
			fails ? 1 : 0);
	fputs("<h2>CPU per request, A and B side by side</h2>\n<div class=\"card\">", f);
	json_array_foreach(doc_arr(a, SK(comparison)), i, ra)
	{
		const char *step = doc_str(ra, SK(step)), *target = doc_str(ra, SK(target));
		const json_t *r2[2] = { ra, doc_comparison_row(b, step, target) };

		if (!step || !target || !r2[1] || ng >= 256 || nb + 2 > 512)
			continue;
		snprintf(group[ng], sizeof(group[0]), "%s %s", step, target);
		for (int s = 0; s < 2; s++) {
			struct svg_bar *bar = &bars[nb];

			memset(bar, 0, sizeof(*bar));
			bar->group = group[ng];
			bar->label = s ? "B" : "A";
			for (int k = 0; k < 4; k++)
				if (!doc_num(r2[s], keys[k], &bar->v[k]))
					bar->v[k] = NAN;
			snprintf(data[nb], sizeof(data[0]), "data-session=\"%c\"", s ? 'B' : 'A');
			bar->data = data[nb];
			nb++;
		}
		ng++;
	}
	{
		struct svg_bars c = { .yunit = "CPU \u00b5s per request",
				      .nseries = 4,
				      .names = names,
				      .colors = colors,
				      .keys = keys,
				      .stacked = true,
				      .nbars = nb,
				      .bars = bars };

		if (nb)
			svg_bar_chart(f, &c);
	}
	fputs("</div>\n<h2>Changes</h2>\n<div class=\"card\">", f);
	/* the table as its JSON, rendered like every other table of the pages */
	m = open_memstream(&buf, &len);
	if (m) {
		struct out o;

		out_init(&o, m, OUT_JSON, false);
		o.decimals = true;
		jw_obj_begin(&o.jw);
		diff_table(d, &o);
		jw_obj_end(&o.jw);
		fclose(m);
		doc = json_loadb(buf, len, 0, NULL);
		html_table_of(f, NULL, doc, "changes");
		json_decref(doc);
		free(buf);
	}
	/* the rows that changed beyond their uncertainty stand out */
	fputs("</div>\n<script>document.querySelectorAll('td').forEach(function(td){"
	      "var t=td.textContent;if(t==='up'||t==='down'){td.parentNode.style.background="
	      "t==='up'?'#fdecea':'#e8f4fd';td.style.fontWeight='600';}});</script>\n",
	      f);
	html_end(f);
}
