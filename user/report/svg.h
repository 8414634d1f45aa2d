/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inline SVG charts for the HTML page, generated here so the page needs no script or library to
 * show a figure: labelled axes with units, a legend, and every value readable without hovering
 * (totals printed on the bars).  Each mark carries the figure it draws in data-value, printed
 * with the shortest %g that reads back as the same double as the JSON member it came from.
 */
#ifndef VP_REPORT_SVG_H
#define VP_REPORT_SVG_H

#include <stdbool.h>
#include <stdio.h>

#define SVG_MAX_SERIES 12

struct svg_bar {
	const char *group;	  /* x-axis group (a step) */
	const char *label;	  /* the bar under it (a target) */
	double v[SVG_MAX_SERIES]; /* NaN: not available (drawn as nothing, marked n/a) */
	const char *note;	  /* a line under the label, or NULL */
	const char *data;	  /* extra attributes for each mark (data-step=...), or NULL */
};

struct svg_bars {
	const char *title, *yunit; /* axis label, with its unit */
	int nseries;
	const char *const *names; /* legend */
	const char *const *colors;
	const char *const *keys; /* data-key of each series' marks (the JSON member) */
	bool stacked;		 /* else the series side by side within a bar's slot */
	int nbars;
	const struct svg_bar *bars;
};

void svg_bar_chart(FILE *f, const struct svg_bars *c);

struct svg_series {
	const char *name, *color;
	bool dashed;
	int n;
	const double *x, *y; /* NaN y: a gap */
};

struct svg_mark {
	double x;
	const char *label, *color;
};

struct svg_lines {
	const char *title, *xlabel, *ylabel;
	int w, h;
	/* categorical x ticks (n > 0), else numeric ticks */
	int nxt;
	const double *xt;
	const char *const *xt_label;
	int nseries;
	const struct svg_series *s;
	int nmarks; /* vertical lines: step boundaries, "target lost" */
	const struct svg_mark *marks;
	bool xmin0;	 /* x axis starts at 0 */
	double xlo, xhi; /* when xhi > xlo: the x range (charts sharing one time axis) */
};

void svg_line_chart(FILE *f, const struct svg_lines *c);

/* A number for a label: %.*f without trailing noise. */
void svg_num(FILE *f, double v);

#endif
