// SPDX-License-Identifier: GPL-2.0
/* Inline SVG bar and line charts (see svg.h); pure rendering of the numbers handed in. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/doc.h"
#include "report/svg.h"

#define FONT "font-family=\"system-ui,sans-serif\""

void svg_num(FILE *f, double v)
{
	double a = fabs(v);

	if (!isfinite(v))
		fputs("n/a", f);
	else if (a >= 1e15)
		fprintf(f, "%.4g", v);
	else if (a >= 1000 || v == floor(v))
		fprintf(f, "%.0f", v);
	else if (a >= 100)
		fprintf(f, "%.1f", v);
	else if (a >= 1)
		fprintf(f, "%.2f", v);
	else
		fprintf(f, "%.3g", v);
}

/* The shortest %g that reads back as the same double: data-value is the JSON's number. */
static void svg_exact(FILE *f, double v)
{
	char buf[40];

	for (int prec = 10; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

/* A "nice" step (1, 2, 5 x 10^k) giving about n ticks over [0, max]. */
static double nice_step(double max, int n)
{
	double raw = max / n, mag, r;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	mag = pow(10, floor(log10(raw)));
	r = raw / mag;
	return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

static void y_axis(FILE *f, double x0, double y0, double h, double w, double ymax, double step,
		   const char *label)
{
	/* bounded: a hand-edited file may hold 1e308 */
	for (int i = 0; i <= 40 && i * step <= ymax + step / 2; i++) {
		double v = i * step, y = y0 - v / ymax * h;

		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>",
			x0, x0 + w, y, y);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">",
			x0 - 5, y + 4);
		svg_num(f, v);
		fputs("</text>\n", f);
	}
	fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", x0, x0,
		y0, y0 - h);
	fprintf(f,
		"<text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\" "
		"class=\"alabel\">",
		x0 - 48, y0 - h / 2);
	html_escape(f, label);
	fputs("</text>\n", f);
}

static void legend(FILE *f, double x, double y, double maxw, int n, const char *const *names,
		   const char *const *colors, const bool *dashed)
{
	double cx = x, cy = y;

	for (int i = 0; i < n; i++) {
		double w = 34 + 7.6 * strlen(names[i]);

		if (cx + w > x + maxw && cx > x) {
			cx = x;
			cy += 18;
		}
		if (dashed)
			fprintf(f,
				"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
				"stroke-width=\"2.5\"%s/>",
				cx, cx + 16, cy - 4, cy - 4, colors[i],
				dashed[i] ? " stroke-dasharray=\"5 3\"" : "");
		else
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>",
				cx, cy - 10, colors[i]);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">", cx + 20, cy);
		html_escape(f, names[i]);
		fputs("</text>\n", f);
		cx += w;
	}
}

static int legend_rows(double maxw, int n, const char *const *names)
{
	double cx = 0;
	int rows = 1;

	for (int i = 0; i < n; i++) {
		double w = 34 + 7.6 * strlen(names[i]);

		if (cx + w > maxw && cx > 0) {
			cx = 0;
			rows++;
		}
		cx += w;
	}
	return rows;
}

void svg_bar_chart(FILE *f, const struct svg_bars *c)
{
	const double left = 78, plot_h = 300, slot_gap = 14, group_gap = 34;
	double slot = c->stacked ? 100 : 22.0 * c->nseries + 30;
	double barw = c->stacked ? 58 : 18;
	double ymax = 0, step, x, w, top, y0;
	int ngroups = 0, lrows;

	/* room for the longest label under its bar (11px text, about 6.6px a character) */
	for (int i = 0; i < c->nbars; i++) {
		double need = 6.6 * strlen(c->bars[i].label) + 8;

		if (c->bars[i].note && 6.2 * strlen(c->bars[i].note) + 8 > need)
			need = 6.2 * strlen(c->bars[i].note) + 8;
		if (need > slot)
			slot = need;
	}

	for (int i = 0; i < c->nbars; i++) {
		double sum = 0;

		for (int s = 0; s < c->nseries; s++) {
			double v = c->bars[i].v[s];

			if (!isfinite(v))
				continue;
			if (c->stacked)
				sum += v > 0 ? v : 0;
			else if (v > ymax)
				ymax = v;
		}
		if (sum > ymax)
			ymax = sum;
		if (!i || strcmp(c->bars[i].group, c->bars[i - 1].group))
			ngroups++;
	}
	step = nice_step(ymax > 0 ? ymax : 1, 6);
	ymax = ceil((ymax > 0 ? ymax * 1.08 : 1) / step) * step;
	w = left + c->nbars * (slot + slot_gap) + ngroups * group_gap + 20;
	if (w < 560)
		w = 560;
	lrows = legend_rows(w - left, c->nseries, c->names);
	top = 18.0 * lrows + 22;
	y0 = top + plot_h;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" " FONT ">\n",
		w, y0 + 64, w, y0 + 64);
	legend(f, left, 16, w - left, c->nseries, c->names, c->colors, NULL);
	y_axis(f, left, y0, plot_h, w - left - 10, ymax, step, c->yunit);
	x = left + group_gap / 2;
	for (int i = 0; i < c->nbars; i++) {
		const struct svg_bar *b = &c->bars[i];
		double bx = x + (slot - (c->stacked ? barw : barw * c->nseries)) / 2, yy = y0,
		       sum = 0;

		if (i && strcmp(b->group, c->bars[i - 1].group))
			x += group_gap, bx += group_gap;
		if (!i || strcmp(b->group, c->bars[i - 1].group)) {
			int k = i;
			double gx = x;

			while (k < c->nbars && !strcmp(c->bars[k].group, b->group))
				k++;
			gx += ((k - i) * (slot + slot_gap) - slot_gap) / 2;
			fprintf(f,
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"group\">",
				gx, y0 + 50);
			html_escape(f, b->group);
			fputs("</text>\n", f);
		}
		for (int s = 0; s < c->nseries; s++) {
			double v = b->v[s], h;

			if (!isfinite(v))
				continue;
			h = (v > 0 ? v : 0) / ymax * plot_h;
			if (c->stacked)
				yy -= h;
			else
				yy = y0 - h;
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.2f\" width=\"%.1f\" height=\"%.2f\" fill=\"%s\" "
				"data-key=\"%s\" data-value=\"",
				c->stacked ? bx : bx + s * barw, yy, barw - (c->stacked ? 0 : 2), h,
				c->colors[s], c->keys[s]);
			svg_exact(f, v);
			fprintf(f, "\" %s><title>", b->data ? b->data : "");
			html_escape(f, b->group);
			fputs(" ", f);
			html_escape(f, b->label);
			fprintf(f, " %s: ", c->names[s]);
			svg_num(f, v);
			fputs("</title></rect>\n", f);
			if (c->stacked && h >= 14) {
				fprintf(f,
					"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
					"class=\"inbar\">",
					bx + barw / 2, yy + h / 2 + 4);
				svg_num(f, v);
				fputs("</text>\n", f);
			} else if (!c->stacked) {
				fprintf(f,
					"<text transform=\"translate(%.1f %.1f) rotate(-90)\" "
					"class=\"val\">",
					bx + s * barw + barw / 2 + 3, yy - 4);
				svg_num(f, v);
				fputs("</text>\n", f);
			}
			sum += v > 0 ? v : 0;
		}
		if (c->stacked) {
			fprintf(f,
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"total\">",
				bx + barw / 2, yy - 5);
			svg_num(f, sum);
			fputs("</text>\n", f);
		}
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"blabel\">",
			x + slot / 2, y0 + 16);
		html_escape(f, b->label);
		fputs("</text>\n", f);
		if (b->note) {
			fprintf(f,
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"bnote\">",
				x + slot / 2, y0 + 31);
			html_escape(f, b->note);
			fputs("</text>\n", f);
		}
		x += slot + slot_gap;
	}
	fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n", left,
		w - 10, y0, y0);
	fputs("</svg>\n", f);
}

void svg_line_chart(FILE *f, const struct svg_lines *c)
{
	const double left = 78, right = 20;
	double xmin = INFINITY, xmax = -INFINITY, ymax = 0, ystep, xstep, pw, ph, top, y0;
	const char *names[SVG_MAX_SERIES], *colors[SVG_MAX_SERIES];
	bool dashed[SVG_MAX_SERIES];
	int ns = c->nseries < SVG_MAX_SERIES ? c->nseries : SVG_MAX_SERIES, lrows;

	for (int i = 0; i < ns; i++) {
		names[i] = c->s[i].name;
		colors[i] = c->s[i].color;
		dashed[i] = c->s[i].dashed;
		for (int k = 0; k < c->s[i].n; k++) {
			double xv = c->s[i].x[k], yv = c->s[i].y[k];

			if (!isfinite(xv) || !isfinite(yv))
				continue;
			xmin = fmin(xmin, xv);
			xmax = fmax(xmax, xv);
			ymax = fmax(ymax, yv);
		}
	}
	for (int i = 0; i < c->nxt; i++) {
		xmin = fmin(xmin, c->xt[i]);
		xmax = fmax(xmax, c->xt[i]);
	}
	for (int i = 0; i < c->nmarks; i++) {
		xmin = fmin(xmin, c->marks[i].x);
		xmax = fmax(xmax, c->marks[i].x);
	}
	if (!isfinite(xmin)) {
		xmin = 0;
		xmax = 1;
	}
	if (c->xmin0 && xmin > 0)
		xmin = 0;
	if (c->xhi > c->xlo) {
		xmin = c->xlo;
		xmax = c->xhi;
	}
	if (xmax <= xmin)
		xmax = xmin + 1;
	ystep = nice_step(ymax > 0 ? ymax : 1, 5);
	ymax = ceil((ymax > 0 ? ymax * 1.05 : 1) / ystep) * ystep;
	pw = c->w - left - right;
	lrows = legend_rows(pw, ns, names);
	top = 18.0 * lrows + 24;
	ph = c->h - top - 46;
	y0 = top + ph;
#define X(v) (left + ((v)-xmin) / (xmax - xmin) * pw)
#define Y(v) (y0 - (v) / ymax * ph)
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" " FONT ">\n",
		c->w, c->h, c->w, c->h);
	legend(f, left, 16, pw, ns, names, colors, dashed);
	y_axis(f, left, y0, ph, pw, ymax, ystep, c->ylabel);
	if (c->nxt) {
		for (int i = 0; i < c->nxt; i++) {
			fprintf(f,
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">",
				X(c->xt[i]), y0 + 16);
			html_escape(f, c->xt_label[i]);
			fputs("</text>\n", f);
		}
	} else {
		xstep = nice_step(xmax - xmin, 10);
		double x0 = ceil(xmin / xstep) * xstep;

		for (int i = 0; i <= 40 && x0 + i * xstep <= xmax + xstep / 1e6; i++) {
			double v = x0 + i * xstep;

			fprintf(f,
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">",
				X(v), y0 + 16);
			svg_num(f, v);
			fputs("</text>\n", f);
		}
	}
	fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n", left,
		left + pw, y0, y0);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"alabel\">",
		left + pw / 2, y0 + 36);
	html_escape(f, c->xlabel);
	fputs("</text>\n", f);
	for (int i = 0; i < c->nmarks; i++) {
		const struct svg_mark *m = &c->marks[i];

		fprintf(f,
			"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-dasharray=\"3 3\"/>",
			X(m->x), X(m->x), y0, top - 4, m->color);
		if (m->label) {
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"mark\" fill=\"%s\">",
				X(m->x) + 3, top + 8, m->color);
			html_escape(f, m->label);
			fputs("</text>\n", f);
		}
	}
	for (int i = 0; i < ns; i++) {
		const struct svg_series *s = &c->s[i];
		bool pen = false;

		fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"", s->color,
			s->dashed ? " stroke-dasharray=\"6 3\"" : "");
		for (int k = 0; k < s->n; k++) {
			if (!isfinite(s->x[k]) || !isfinite(s->y[k])) {
				pen = false;
				continue;
			}
			fprintf(f, "%c%.1f %.1f ", pen ? 'L' : 'M', X(s->x[k]), Y(s->y[k]));
			pen = true;
		}
		fputs("\"/>\n", f);
		for (int k = 0; k < s->n; k++) {
			if (!isfinite(s->x[k]) || !isfinite(s->y[k]))
				continue;
			fprintf(f,
				"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\" "
				"data-value=\"",
				X(s->x[k]), Y(s->y[k]), s->color);
			svg_exact(f, s->y[k]);
			fputs("\"><title>", f);
			html_escape(f, s->name);
			fputs(": ", f);
			svg_num(f, s->y[k]);
			fputs("</title></circle>\n", f);
		}
	}
	fputs("</svg>\n", f);
#undef X
#undef Y
}
